"""The ``sori`` console script: every command of the application (sori/app.py names them) under one group.

The same commands are reachable as ``flask --app sori ...``. Commands that need the application create it
from the environment when they run; the offline ones (``keygen``, ``encrypt``, ``decrypt``) never do.
"""

from __future__ import annotations

import click
from flask.cli import ScriptInfo

from sori.app import commands, create_app


@click.group(help="Sori: secure intake of survivor testimony. See README.md.")
def cli() -> None:
    """The root of the ``sori`` commands."""


for _command in commands():
    cli.add_command(_command)


def main() -> None:
    """Entry point of the ``sori`` console script."""
    cli(obj=ScriptInfo(create_app=create_app, set_debug_flag=False, load_dotenv_defaults=False))
