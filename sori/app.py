"""The application factory and composition root: ``create_app`` names every part of Sori it assembles.

Sori is three parts on one core (DESIGN.md section 3): ``intake`` is what a source meets, ``reviewer`` what
reviewers and case teams meet, and ``core`` what both stand on. The parts never import each other; this
module may import them all, and it is the one place that does. A reader of :func:`create_app` sees the
whole application: every blueprint and every command group is registered here by name, with no plug-in
discovery for Sori's own code.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Blueprint, Flask

from core import assets, config, db, errors, health, i18n, offline, request_bodies, security
from core import audit as core_audit
from core import cli as core_cli
from intake import browser_api, responses, source, status
from reviewer import audit_views, auth, conversation, users
from reviewer.exports import cli as exports_cli
from reviewer.exports import views as exports_views
from reviewer.inbox import views as inbox_views
from reviewer.keys import views as key_views
from reviewer.records import (
    analysis_views,
    facility_views,
    incident_views,
    linking_views,
    organization_views,
    person_views,
)
from reviewer.records import blueprint as records
from reviewer.records import cli as records_cli
from sori import demo

#: The pages, in the order their URL rules are added.
BLUEPRINTS: tuple[Blueprint, ...] = (
    # the core: liveness for the load balancer; the browser crypto files are registered by assets.init_app
    health.bp,
    # what a source meets (its view modules add their routes to it: SOURCE_VIEWS)
    responses.bp,
    # what reviewers and case teams meet
    auth.bp,
    users.bp,
    key_views.bp,
    inbox_views.bp,
    audit_views.bp,
    conversation.bp,
    records.bp,
    exports_views.bp,
)

#: The ``sori`` command groups and commands beyond the core's own (core.cli).
COMMANDS: tuple[click.Command, ...] = (
    demo.demo_command,
    core_audit.audit_cli,
    users.users_cli,
    exports_cli.export_cli,
    exports_cli.sanctions_cli,
    records_cli.records_cli,
)

# Importing a view module adds its routes to its part's blueprint; named here so that the linter and the
# reader both see that they are part of the application.
SOURCE_VIEWS = (source, browser_api, status)
RECORDS_VIEWS = (
    person_views,
    organization_views,
    facility_views,
    incident_views,
    linking_views,
    analysis_views,
)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """A Sori application configured from the environment (see core/config.py), then ``test_config``.

    ``test_config`` holds Flask configuration keys; a ``SORI_DATA_DIR`` given there without a
    ``SORI_DATABASE_URL`` also moves the default database into that folder.
    """
    app = Flask(
        "sori",
        template_folder=str(config.REPO_ROOT / "templates"),
        static_folder=str(config.REPO_ROOT / "static"),
    )
    app.config.from_mapping(config.from_env())
    if test_config is not None:
        app.config.from_mapping(test_config)
    config.complete(app.config)

    db.init_app(app)
    security.init_app(app)
    request_bodies.init_app(app)
    i18n.init_app(app)
    assets.init_app(app)
    errors.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    for command in commands():
        app.cli.add_command(command)
    return app


def commands() -> list[click.Command]:
    """Every ``sori`` command: the core's, the offline ones, then the groups the parts add."""
    return [*core_cli.COMMANDS, *offline.COMMANDS, *COMMANDS]
