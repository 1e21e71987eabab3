"""Configuration: defaults, overrides from the environment, the data folder and the secret key file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from flask import request

from core import config, export_key
from core.security import csrf
from sori import create_app


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = config.from_env({})
    assert settings["SORI_DATA_DIR"] == tmp_path / "sori-data"
    assert settings["SORI_DATA_DIR"].is_absolute()
    assert settings["SORI_DATABASE_URL"] is None  # derived by complete()
    assert settings["SECRET_KEY"] is None
    assert settings["MAX_CONTENT_LENGTH"] == 1024**3
    assert settings["SORI_NODE_MODULES"] == (config.REPO_ROOT / "node_modules").resolve()
    assert settings["SESSION_COOKIE_SECURE"] is False

    config.complete(settings)
    assert settings["SORI_DATABASE_URL"] == f"sqlite:///{tmp_path / 'sori-data' / 'sori.db'}"
    assert len(settings["SECRET_KEY"]) >= 32


def test_overrides(tmp_path: Path) -> None:
    settings = config.from_env(
        {
            "SORI_DATA_DIR": str(tmp_path / "elsewhere"),
            "SORI_DATABASE_URL": "postgresql://sori@db.internal/sori",
            "SORI_SECRET_KEY": "from-the-environment",
            "SORI_MAX_UPLOAD_BYTES": "1048576",
            "SORI_NODE_MODULES": str(tmp_path / "nm"),
            "SORI_SECURE_COOKIES": "true",
            "SORI_QUICK_EXIT_URL": "https://weather.example/",
        }
    )
    assert settings["SORI_DATA_DIR"] == tmp_path / "elsewhere"
    assert settings["SORI_DATABASE_URL"] == "postgresql+psycopg://sori@db.internal/sori"
    assert settings["MAX_CONTENT_LENGTH"] == 1048576
    assert settings["SORI_NODE_MODULES"] == tmp_path / "nm"
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SORI_QUICK_EXIT_URL"] == "https://weather.example/"
    config.complete(settings)
    assert settings["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "elsewhere" / "secret_key").exists()


@pytest.mark.parametrize("value", ["lots", "0", "-5", "1.5"])
def test_bad_upload_limit_is_refused(value: str) -> None:
    with pytest.raises(config.ConfigError, match="SORI_MAX_UPLOAD_BYTES"):
        config.from_env({"SORI_MAX_UPLOAD_BYTES": value})


def test_data_folder_layout_is_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config.make_data_dirs(data)
    for folder in (data, data / "blobs", data / "blobs" / "tmp"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_secret_key_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    config.make_data_dirs(tmp_path)
    key = config.load_secret_key(tmp_path)
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.load_secret_key(tmp_path) == key
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".secret_key")] == []


def test_app_takes_database_and_key_from_its_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SORI_DATABASE_URL", raising=False)
    monkeypatch.delenv("SORI_SECRET_KEY", raising=False)
    app = create_app({"SORI_DATA_DIR": tmp_path / "d"})
    assert app.config["SORI_DATABASE_URL"] == f"sqlite:///{tmp_path / 'd' / 'sori.db'}"
    assert app.config["SECRET_KEY"] == (tmp_path / "d" / "secret_key").read_text()


def test_upload_limit_from_the_environment_refuses_larger_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SORI_MAX_UPLOAD_BYTES", "1000")
    app = create_app({"SORI_DATA_DIR": tmp_path / "d"})
    assert app.config["MAX_CONTENT_LENGTH"] == 1000

    @app.post("/size")
    @csrf.exempt
    def size() -> str:
        return str(len(request.get_data()))

    client = app.test_client()
    assert client.post("/size", data=b"x" * 1000).get_data(as_text=True) == "1000"
    response = client.post("/size", data=b"x" * 1001)
    assert response.status_code == 413
    assert "보내신 내용이 너무 큽니다" in response.get_data(as_text=True)


def test_the_base_url_for_links_sent_out_comes_from_the_environment() -> None:
    assert config.from_env({})["SORI_BASE_URL"] == "http://127.0.0.1:5000"
    onion = {"SORI_BASE_URL": "http://sorixyz.onion/"}
    assert config.from_env(onion)["SORI_BASE_URL"] == "http://sorixyz.onion"


def test_secure_cookies_follow_the_base_url_unless_set() -> None:
    assert config.from_env({"SORI_BASE_URL": "https://sori.example.org"})["SESSION_COOKIE_SECURE"] is True
    onion = "http://" + "a" * 56 + ".onion"
    assert config.from_env({"SORI_BASE_URL": onion})["SESSION_COOKIE_SECURE"] is False
    assert config.from_env({})["SESSION_COOKIE_SECURE"] is False
    forced = {"SORI_BASE_URL": onion, "SORI_SECURE_COOKIES": "1"}
    assert config.from_env(forced)["SESSION_COOKIE_SECURE"] is True
    off = {"SORI_BASE_URL": "https://sori.example.org", "SORI_SECURE_COOKIES": "0"}
    assert config.from_env(off)["SESSION_COOKIE_SECURE"] is False


def test_the_blob_store_and_the_export_key_location_come_from_the_environment(tmp_path: Path) -> None:
    assert config.from_env({})["SORI_BLOB_STORE"] == "files"
    assert config.from_env({})["SORI_EXPORT_KEY_FILE"] is None
    chosen = config.from_env({"SORI_BLOB_STORE": "Database", "SORI_EXPORT_KEY_FILE": str(tmp_path / "k")})
    assert chosen["SORI_BLOB_STORE"] == "database" and chosen["SORI_EXPORT_KEY_FILE"] == tmp_path / "k"
    with pytest.raises(config.ConfigError, match="SORI_BLOB_STORE must be one of files, database"):
        config.from_env({"SORI_BLOB_STORE": "s3"})

    app = create_app({"SORI_DATA_DIR": tmp_path / "data", "SORI_EXPORT_KEY_FILE": tmp_path / "shared.key"})
    with app.app_context():
        assert export_key.ensure(tmp_path / "data")
        assert export_key.key_path(tmp_path / "data") == tmp_path / "shared.key"
    assert (tmp_path / "shared.key").exists() and not (tmp_path / "data" / export_key.KEY_FILE).exists()
