"""Records: sources and consent, persons, organizations, positions, occupancies, facilities, name keys,
incidents, acts, involvement, information, merges, imported sanctions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 01:30:27.015621
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_table(
        "name_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_name_keys")),
    )
    op.create_index("ix_name_keys_key_kind", "name_keys", ["key", "kind"], unique=False)
    op.create_index("ix_name_keys_owner", "name_keys", ["kind", "owner_id"], unique=False)
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_ko", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("province", sa.String(length=64), nullable=True),
        sa.Column("county", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("exculpatory", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["organizations.id"], name=op.f("fk_organizations_parent_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    op.create_index(op.f("ix_organizations_parent_id"), "organizations", ["parent_id"], unique=False)
    op.create_table(
        "sanctioned_entities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ftm_id", sa.String(length=200), nullable=False),
        sa.Column("schema", sa.String(length=40), nullable=False),
        sa.Column("caption", sa.String(length=300), nullable=False),
        sa.Column("names", sa.Text(), nullable=False),
        sa.Column("birth_dates", sa.Text(), nullable=False),
        sa.Column("sanctions", sa.Text(), nullable=False),
        sa.Column("dataset", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanctioned_entities")),
        sa.UniqueConstraint("ftm_id", name=op.f("uq_sanctioned_entities_ftm_id")),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("ref", name=op.f("uq_sources_ref")),
    )
    op.create_table(
        "facilities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("agency", sa.String(length=10), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("province", sa.String(length=64), nullable=True),
        sa.Column("county", sa.String(length=64), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("exculpatory", sa.Text(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["facilities.id"], name=op.f("fk_facilities_merged_into_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_facilities_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facilities")),
    )
    op.create_index(op.f("ix_facilities_merged_into_id"), "facilities", ["merged_into_id"], unique=False)
    op.create_index(op.f("ix_facilities_organization_id"), "facilities", ["organization_id"], unique=False)
    op.create_table(
        "merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("kept_id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("moved", sa.Text(), nullable=False),
        sa.Column("merged_by_id", sa.Integer(), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["merged_by_id"], ["users.id"], name=op.f("fk_merges_merged_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merges")),
    )
    op.create_table(
        "positions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("title_ko", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=True),
        sa.Column("is_head", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_positions_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
    )
    op.create_index(op.f("ix_positions_organization_id"), "positions", ["organization_id"], unique=False)
    op.create_table(
        "submission_sources",
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("consent_documentation", sa.Boolean(), nullable=False),
        sa.Column("consent_sanctions", sa.Boolean(), nullable=False),
        sa.Column("consent_public", sa.Boolean(), nullable=False),
        sa.Column("consent_contact", sa.Boolean(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_submission_sources_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_submission_sources_source_id_sources")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_sources_submission_id_submissions"),
        ),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_submission_sources")),
    )
    op.create_index(
        op.f("ix_submission_sources_source_id"), "submission_sources", ["source_id"], unique=False
    )
    op.create_table(
        "acts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("violation", sa.String(length=40), nullable=False),
        sa.Column("date_start", sa.String(length=10), nullable=True),
        sa.Column("date_end", sa.String(length=10), nullable=True),
        sa.Column("date_lo", sa.Date(), nullable=False),
        sa.Column("date_hi", sa.Date(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column("province", sa.String(length=64), nullable=True),
        sa.Column("county", sa.String(length=64), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("victims", sa.String(length=500), nullable=True),
        sa.Column("victim_count", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_acts_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_acts_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acts")),
    )
    op.create_index("ix_acts_facility_violation", "acts", ["facility_id", "violation"], unique=False)
    op.create_index(op.f("ix_acts_incident_id"), "acts", ["incident_id"], unique=False)
    op.create_table(
        "facility_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("style", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_facility_names_facility_id_facilities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility_names")),
    )
    op.create_index(op.f("ix_facility_names_facility_id"), "facility_names", ["facility_id"], unique=False)
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gender", sa.String(length=10), nullable=False),
        sa.Column("birth_date", sa.String(length=10), nullable=True),
        sa.Column("birth_place", sa.String(length=200), nullable=True),
        sa.Column("nationality", sa.String(length=50), nullable=True),
        sa.Column("photo_envelope_id", sa.Integer(), nullable=True),
        sa.Column("photo_part", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("exculpatory", sa.Text(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["persons.id"], name=op.f("fk_persons_merged_into_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["photo_envelope_id"], ["envelopes.id"], name=op.f("fk_persons_photo_envelope_id_envelopes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
    )
    op.create_index(op.f("ix_persons_merged_into_id"), "persons", ["merged_into_id"], unique=False)
    op.create_table(
        "involvements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("act_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("degree", sa.String(length=20), nullable=False),
        sa.Column("confidence", sa.String(length=10), nullable=False),
        sa.Column("exculpatory", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["act_id"], ["acts.id"], name=op.f("fk_involvements_act_id_acts")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_involvements_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_involvements")),
        sa.UniqueConstraint(
            "act_id", "person_id", "degree", name=op.f("uq_involvements_act_id_person_id_degree")
        ),
    )
    op.create_index(op.f("ix_involvements_act_id"), "involvements", ["act_id"], unique=False)
    op.create_index(op.f("ix_involvements_person_id"), "involvements", ["person_id"], unique=False)
    op.create_table(
        "occupancies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.String(length=10), nullable=True),
        sa.Column("end", sa.String(length=10), nullable=True),
        sa.Column("start_lo", sa.Date(), nullable=False),
        sa.Column("end_hi", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_occupancies_person_id_persons")),
        sa.ForeignKeyConstraint(
            ["position_id"], ["positions.id"], name=op.f("fk_occupancies_position_id_positions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_occupancies")),
    )
    op.create_index(op.f("ix_occupancies_person_id"), "occupancies", ["person_id"], unique=False)
    op.create_index(
        "ix_occupancies_position_period", "occupancies", ["position_id", "start_lo", "end_hi"], unique=False
    )
    op.create_table(
        "person_identifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_person_identifiers_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_identifiers")),
    )
    op.create_index(
        op.f("ix_person_identifiers_person_id"), "person_identifiers", ["person_id"], unique=False
    )
    op.create_table(
        "person_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("style", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("quality", sa.String(length=10), nullable=True),
        sa.Column("lang", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_person_names_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_names")),
    )
    op.create_index(op.f("ix_person_names_person_id"), "person_names", ["person_id"], unique=False)
    op.create_table(
        "information",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("act_id", sa.Integer(), nullable=True),
        sa.Column("involvement_id", sa.Integer(), nullable=True),
        sa.Column("connection", sa.String(length=20), nullable=False),
        sa.Column("reliability", sa.String(length=20), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN incident_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN act_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN involvement_id IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_information_one_target"),
        ),
        sa.ForeignKeyConstraint(["act_id"], ["acts.id"], name=op.f("fk_information_act_id_acts")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_information_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_information_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["involvement_id"], ["involvements.id"], name=op.f("fk_information_involvement_id_involvements")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_information_submission_id_submissions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_information")),
    )
    op.create_index(op.f("ix_information_act_id"), "information", ["act_id"], unique=False)
    op.create_index(op.f("ix_information_incident_id"), "information", ["incident_id"], unique=False)
    op.create_index(op.f("ix_information_involvement_id"), "information", ["involvement_id"], unique=False)
    op.create_index(op.f("ix_information_submission_id"), "information", ["submission_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_information_submission_id"), table_name="information")
    op.drop_index(op.f("ix_information_involvement_id"), table_name="information")
    op.drop_index(op.f("ix_information_incident_id"), table_name="information")
    op.drop_index(op.f("ix_information_act_id"), table_name="information")
    op.drop_table("information")
    op.drop_index(op.f("ix_person_names_person_id"), table_name="person_names")
    op.drop_table("person_names")
    op.drop_index(op.f("ix_person_identifiers_person_id"), table_name="person_identifiers")
    op.drop_table("person_identifiers")
    op.drop_index("ix_occupancies_position_period", table_name="occupancies")
    op.drop_index(op.f("ix_occupancies_person_id"), table_name="occupancies")
    op.drop_table("occupancies")
    op.drop_index(op.f("ix_involvements_person_id"), table_name="involvements")
    op.drop_index(op.f("ix_involvements_act_id"), table_name="involvements")
    op.drop_table("involvements")
    op.drop_index(op.f("ix_persons_merged_into_id"), table_name="persons")
    op.drop_table("persons")
    op.drop_index(op.f("ix_facility_names_facility_id"), table_name="facility_names")
    op.drop_table("facility_names")
    op.drop_index(op.f("ix_acts_incident_id"), table_name="acts")
    op.drop_index("ix_acts_facility_violation", table_name="acts")
    op.drop_table("acts")
    op.drop_index(op.f("ix_submission_sources_source_id"), table_name="submission_sources")
    op.drop_table("submission_sources")
    op.drop_index(op.f("ix_positions_organization_id"), table_name="positions")
    op.drop_table("positions")
    op.drop_table("merges")
    op.drop_index(op.f("ix_facilities_organization_id"), table_name="facilities")
    op.drop_index(op.f("ix_facilities_merged_into_id"), table_name="facilities")
    op.drop_table("facilities")
    op.drop_table("sources")
    op.drop_table("sanctioned_entities")
    op.drop_index(op.f("ix_organizations_parent_id"), table_name="organizations")
    op.drop_table("organizations")
    op.drop_index("ix_name_keys_owner", table_name="name_keys")
    op.drop_index("ix_name_keys_key_kind", table_name="name_keys")
    op.drop_table("name_keys")
    op.drop_table("incidents")
