"""Records tests read pages in English (the pages are Korean by default, like every Sori page)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.reviewer.helpers import PASSWORD, log_in, make_user


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    test_client = app.test_client()
    test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return test_client


@pytest.fixture
def kim(app: Flask, client: FlaskClient) -> FlaskClient:
    """A logged-in reviewer."""
    _, secret = make_user(app, "kim", "reviewer")
    log_in(client, "kim", PASSWORD, secret)
    return client
