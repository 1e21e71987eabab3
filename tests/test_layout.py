"""The layout keeps its promises (DESIGN.md section 3): dependencies point one way, the application factory
names every part, and no part of ours is found through plug-in discovery."""

from __future__ import annotations

import ast
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
