"""A fresh Debian 12 with only python3, python3-venv, nodejs and npm: the setup command installs what the
dependencies need to build, before it installs them (docs/fresh-machine.md says how to check this by hand
in a container)."""

from __future__ import annotations

import re
from importlib.metadata import requires

from core.config import REPO_ROOT

SETUP = (REPO_ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")


def _build_packages() -> set[str]:
    match = re.search(r"^BUILD_PACKAGES=\(([^)]*)\)", SETUP, re.M)
    assert match, "scripts/setup.sh names no BUILD_PACKAGES"
    return set(match.group(1).split())


def test_pyicu_still_needs_building_so_the_list_is_still_needed() -> None:
    # followthemoney → normality → PyICU, which has no wheels on PyPI: it compiles from source.
    assert any(r.lower().startswith("pyicu") for r in requires("normality") or [])


def test_the_build_dependencies_of_pyicu_are_installed_before_pip_runs() -> None:
    assert {"libicu-dev", "pkg-config", "g++"} <= _build_packages()
    # Python's headers too, when the Python in use does not carry its own (Debian's python3 does not).
    assert "BUILD_PACKAGES+=(python3-dev)" in SETUP
    assert SETUP.index('apt_install "${BUILD_PACKAGES[@]}"') < SETUP.index("pip install -q -e")
    assert SETUP.index("apt_install python3-venv") < SETUP.index("-m venv .venv")


def test_what_the_application_itself_needs_from_debian_is_installed_on_every_setup() -> None:
    # Dossier PDFs embed Nanum Gothic (reviewer/exports/pdf_style.py), whatever the setup is for.
    assert re.search(r"^apt_install fonts-nanum$", SETUP, re.M)
