"""Accounts and login: invitations, passwords, TOTP enrolment, the two-step login, throttling, lockout,
sessions and re-authentication, as a reviewer and an admin live them."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from intake import db
from reviewer import audit
from tests.reviewer.helpers import PASSWORD, log_in, make_user


@pytest.fixture(autouse=True)
def _cheap(app: Flask) -> None:
    app.config["SORI_PASSWORD_HASH_PARAMS"] = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


def _chain_ok(app: Flask) -> int:
    with app.app_context():
        checked, broken = audit.verify(db.session())
    assert broken is None, broken
    return checked


def test_helpers_log_in_and_land(app: Flask, client: FlaskClient) -> None:
    _, secret = make_user(app, "kim", "reviewer", "admin")
    log_in(client, "kim", PASSWORD, secret)
    page = client.get("/reviewer/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "/reviewer/admin/users" in body
    log_in(client, "kim", PASSWORD, secret)
    log_in(client, "kim", PASSWORD, secret)
    log_in(client, "kim", PASSWORD, secret)
    assert _chain_ok(app) > 0
