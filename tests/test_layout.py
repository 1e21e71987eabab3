"""The layout keeps its promises (DESIGN.md section 3): dependencies point one way, the application factory
names every part, and no part of ours is found through plug-in discovery."""

from __future__ import annotations

import ast
import fnmatch
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from flask import Flask

from core.config import REPO_ROOT

#: What each package may import of ours (beside itself).
ALLOWED = {
    "crypto": set(),
    "core": {"crypto"},
    "intake": {"crypto", "core"},
    "reviewer": {"crypto", "core"},
    "sori": {"crypto", "core", "intake", "reviewer"},
}
OURS = frozenset(ALLOWED)


def _imports(path: Path) -> set[str]:
    """The top-level names of every module ``path`` imports, at any depth of the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value).split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_what_it_stands_on(package: str) -> None:
    wrong = {}
    for path in sorted((REPO_ROOT / package).rglob("*.py")):
        ours = (_imports(path) & OURS) - {package}
        if ours - ALLOWED[package]:
            wrong[str(path.relative_to(REPO_ROOT))] = sorted(ours - ALLOWED[package])
    assert wrong == {}


def test_crypto_needs_no_web_framework() -> None:
    for path in (REPO_ROOT / "crypto").rglob("*.py"):
        assert not _imports(path) & {"flask", "werkzeug", "jinja2", "sqlalchemy"}, path


def test_no_entry_points_find_our_own_parts() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "entry-points" not in project
    assert project["scripts"] == {"sori": "sori.cli:main"}


def test_the_factory_registers_every_blueprint_of_the_parts(app: Flask) -> None:
    """A blueprint defined anywhere in intake/ or reviewer/ is one the factory names."""
    defined = set()
    for package in ("intake", "reviewer"):
        for path in (REPO_ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Blueprint":
                    defined.add(node.args[0].value)  # type: ignore[attr-defined]
    assert defined and defined <= set(app.blueprints)


def test_every_package_says_what_it_is_for_and_what_it_may_import() -> None:
    for package in ALLOWED:
        doc = ast.get_docstring(ast.parse((REPO_ROOT / package / "__init__.py").read_text(encoding="utf-8")))
        assert doc and "import" in doc, package


def test_a_checkout_runs_with_flask_without_being_installed(tmp_path: Path) -> None:
    """``flask --app sori`` from a plain copy of the checkout (nothing of it installed) has every part:
    no entry point or installed metadata is needed to assemble Sori."""
    checkout = tmp_path / "checkout"
    for folder in ("sori", "core", "intake", "reviewer", "crypto", "templates", "static", "translations"):
        shutil.copytree(REPO_ROOT / folder, checkout / folder, ignore=shutil.ignore_patterns("__pycache__"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SORI_")},
        "SORI_DATA_DIR": str(tmp_path / "data"),
        "PYTHONSAFEPATH": "",
    }
    flask = Path(sys.executable).parent / "flask"
    code = "import sori, reviewer; print(sori.__file__); print(reviewer.__file__)"
    where = subprocess.run(
        [sys.executable, "-c", code], cwd=checkout, env=env, capture_output=True, text=True
    )
    assert where.returncode == 0, where.stderr
    assert all(line.startswith(str(checkout)) for line in where.stdout.split()), where.stdout
    routes = subprocess.run(
        [str(flask), "--app", "sori", "routes"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert routes.returncode == 0, routes.stderr
    for endpoint in ("source.submit_form", "reviewer_inbox.inbox", "records.home", "exports.home"):
        assert endpoint in routes.stdout


def test_every_file_the_packages_hold_is_declared_so_that_a_wheel_carries_it() -> None:
    """A data file beside the code (the divisions, the map outline, the format's vectors) must be package
    data, or an installed Sori would miss it while a checkout works."""
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared: dict[str, list[str]] = config["tool"]["setuptools"]["package-data"]
    tracked = subprocess.run(
        ["git", "ls-files", *sorted(OURS)], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()

    def carried(path: str) -> bool:
        package, _, inside = path.partition("/")
        return any(fnmatch.fnmatch(inside, pattern) for pattern in declared.get(package, []))

    assert not [path for path in tracked if not path.endswith(".py") and not carried(path)]
