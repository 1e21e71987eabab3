"""The application factory: ``create_app`` builds a configured Sori application (``flask --app intake``)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from intake import assets, cli, config, db, errors, extensions, health, i18n, security, source


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """A Sori application configured from the environment (see intake/config.py), then ``test_config``.

    ``test_config`` holds Flask configuration keys; a ``SORI_DATA_DIR`` given there without a
    ``SORI_DATABASE_URL`` also moves the default database into that folder.
    """
    app = Flask(
        __name__,
        template_folder=str(config.REPO_ROOT / "templates"),
        static_folder="static",
    )
    app.config.from_mapping(config.from_env())
    if test_config is not None:
        app.config.from_mapping(test_config)
    config.complete(app.config)

    db.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    assets.init_app(app)
    errors.init_app(app)
    app.register_blueprint(source.bp)
    app.register_blueprint(health.bp)
    cli.register(app)
    extensions.register_all(app)
    return app
