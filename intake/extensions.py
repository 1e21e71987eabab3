"""Parts of Sori outside the core, found through the ``sori.extensions`` entry points of installed packages.

The core knows no extension by name, so dependencies keep pointing one way (reviewer → intake → crypto):
``reviewer`` declares itself in pyproject.toml, and the factory, the command line and the migrations find
it here. A ``sori.extensions`` entry point names a callable ``register(app)`` that adds blueprints;
importing its module also registers the extension's tables on the shared metadata. A ``sori.commands``
entry point names a click command that joins ``sori``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

import click
from flask import Flask

GROUP = "sori.extensions"
#: Entry points naming click commands (or groups) that join the ``sori`` command.
COMMANDS_GROUP = "sori.commands"
#: Entry points naming ``add_demo(demo_dir, reviewers) -> {reviewer name: [lines to print]}``, called by
#: ``sori demo`` after the demo identities exist (e.g. to give the demo reviewers logins).
DEMO_GROUP = "sori.demo"


def registrars() -> list[Callable[[Flask], None]]:
    """Every extension's ``register`` callable, in name order (importing each module on the way)."""
    return [point.load() for point in sorted(entry_points(group=GROUP), key=lambda point: point.name)]


def commands() -> list[click.Command]:
    """Every extension's commands for ``sori`` (and ``flask --app intake``), in name order."""
    return [
        point.load() for point in sorted(entry_points(group=COMMANDS_GROUP), key=lambda point: point.name)
    ]


def demo_hooks() -> list[Callable[..., dict[str, list[str]]]]:
    """Every extension's demo hook, in name order."""
    return [point.load() for point in sorted(entry_points(group=DEMO_GROUP), key=lambda point: point.name)]


def register_all(app: Flask) -> None:
    """Let every installed extension add its blueprints and commands to ``app``."""
    for register in registrars():
        register(app)
