"""Export tests read pages in English (the pages are Korean by default, like every Sori page), about the
records of tests/exports/fixtures.py."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core import db
from tests.exports.fixtures import Records, build_records


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    test_client = app.test_client()
    test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return test_client


@pytest.fixture
def records(app: Flask) -> Records:
    """The records of tests/exports/fixtures.py, committed."""
    with app.app_context():
        made = build_records(db.session())
        db.session().commit()
        return made
