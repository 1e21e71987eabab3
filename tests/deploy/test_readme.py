"""deploy/README.md: every file of the repository it names exists."""

from __future__ import annotations

import re

from tests.deploy.helpers import DEPLOY, REPO

# Paths inside the repository (install targets such as /etc/... or /srv/... are not checked).
NAMED = re.compile(r"(?<![\w/.-])((?:deploy|scripts|intake|docs|crypto|tests)/[\w./-]*[\w])")


def test_every_file_the_readme_names_exists() -> None:
    text = (DEPLOY / "README.md").read_text(encoding="utf-8")
    named = set(NAMED.findall(text))
    assert {"deploy/postgres-setup.sh", "deploy/gunicorn.conf.py", "scripts/setup.sh"} <= named
    missing = sorted(path for path in named if not (REPO / path).exists())
    assert not missing, f"deploy/README.md names files that do not exist: {missing}"


def test_the_scripts_it_names_are_executable() -> None:
    for script in ("deploy/postgres-setup.sh", "scripts/setup.sh"):
        assert (REPO / script).stat().st_mode & 0o111, script
