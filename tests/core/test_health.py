"""``/health``: ok with a working database, 503 without one, and nothing more said."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from sori import create_app


def test_health_ok(client: FlaskClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}
    assert "Server" not in response.headers or "Sori" not in response.headers["Server"]


def test_health_unavailable(tmp_path: Path) -> None:
    # A SQLite file in a folder that does not exist cannot be opened.
    app: Flask = create_app(
        {"SORI_DATA_DIR": tmp_path / "d", "SORI_DATABASE_URL": f"sqlite:///{tmp_path / 'gone' / 'x.db'}"}
    )
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unavailable"}
