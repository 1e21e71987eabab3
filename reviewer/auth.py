"""Reviewer accounts: invitations, passwords, TOTP, login, throttling and re-authentication."""

from __future__ import annotations

import click


@click.group("users", help="Reviewer, admin and case-team accounts.")
def users_cli() -> None:
    """The ``sori users`` commands."""
