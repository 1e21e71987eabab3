"""Migrations: an empty database goes up to the models' exact schema, and back down to nothing."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import core.models  # noqa: F401  (registers the tables)
from core import migrate
from core.db import Base, make_engine


def test_upgrade_matches_models_and_downgrade_removes_all(database_url: str) -> None:
    assert migrate.current_revision(database_url) is None

    migrate.upgrade(database_url)
    migrate.upgrade(database_url)  # idempotent, as `sori init` relies on
    assert migrate.current_revision(database_url) == migrate.head_revision() == "0009"

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            assert set(inspect(connection).get_table_names()) == {
                "alembic_version",
                "recipients",
                "submissions",
                "envelopes",
                "settings",
                "users",
                "reviewer_keys",
                "key_grants",
                "tags",
                "submission_tags",
                "notes",
                "triage",
                "audit_log",
                "audit_tallies",
                "sources",
                "submission_sources",
                "persons",
                "person_names",
                "person_identifiers",
                "organizations",
                "positions",
                "occupancies",
                "facilities",
                "facility_names",
                "name_keys",
                "incidents",
                "acts",
                "involvements",
                "information",
                "merges",
                "sanctioned_entities",
                "spent_nonces",
                "reply_templates",
                "counters",
                "record_origins",
            }

        migrate.downgrade(database_url, "base")
        assert migrate.current_revision(database_url) is None
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
