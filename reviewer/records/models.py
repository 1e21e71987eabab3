"""Database models of the records triage produces (DESIGN.md section 4): persons, organizations, positions
and occupancies, facilities, incidents and acts, involvement, information, and the pseudonymous sources and
their consent that exports are filtered by.

Records never hold a survivor's identity. A source is known here only by a pseudonymous reference
(``W-0042``) that reviewers give a submission; several submissions of one source share the reference, so
they count once when corroboration is counted.

Partial dates (a year, a month or a day: ``2019``, ``2019-03``, ``2019-03-14``) are kept as text, beside
the earliest and latest day they may mean (``*_lo`` / ``*_hi``) so that periods can be compared in SQL
(reviewer/records/dates.py).

Schema changes go through a migration in ``core/migrations/versions/``; a test checks the two agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Source(Base):
    """A source as records know it: a pseudonymous reference and nothing else."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``W-0042``: what dossiers and record pages show instead of anything that could identify the source.
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)


class SubmissionSource(Base):
    """What a reviewer read in a submission and recorded in the clear so that the server can act on it:
    whose account it is (the pseudonymous source) and the consent the source gave, scope by scope.
    Exports include a submission only when its consent covers their purpose (reviewer/records/consent.py)."""

    __tablename__ = "submission_sources"

    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    consent_documentation: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_sanctions: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_public: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)


class Person(Base):
    """A perpetrator or official. Names live in :class:`PersonName`; a person merged into another keeps its
    row (``merged_into_id``) so that the merge can be undone."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``male``, ``female`` or ``unknown``.
    gender: Mapped[str] = mapped_column(String(10), default="unknown")
    #: A partial date (``1961``, ``1961-04``, ``1961-04-15``) or NULL.
    birth_date: Mapped[str | None] = mapped_column(String(10))
    birth_place: Mapped[str | None] = mapped_column(String(200))
    #: ISO 3166 alpha-2 codes separated by spaces, ``kp`` for most.
    nationality: Mapped[str | None] = mapped_column(String(50))
    #: A photo among a submission's encrypted attachments: the envelope id and the part's name. The image
    #: itself stays encrypted; only reviewers who can open the envelope see it.
    photo_envelope_id: Mapped[int | None] = mapped_column(ForeignKey("envelopes.id"))
    photo_part: Mapped[str | None] = mapped_column(String(255))
    #: What the reviewers know about the person's role, in their own words (no source identity).
    description: Mapped[str | None] = mapped_column(Text)
    #: Information that speaks in the person's favour, which a dossier must state.
    exculpatory: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)


class PersonName(Base):
    """One written form of a person's name: the Hangul original, a romanization or an alias."""

    __tablename__ = "person_names"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: ``hangul``, ``dprk`` (Ri Chang Dae), ``rr`` (South Korean, Lee Chang-dae), ``lc`` (Library of
    #: Congress / McCune–Reischauer, Yi Ch'ang-dae) or ``other``.
    style: Mapped[str] = mapped_column(String(10))
    #: ``primary`` names or ``alias``; aliases have a ``quality`` (``strong`` or ``weak``, as in sanctions
    #: lists: a weak alias alone does not identify).
    kind: Mapped[str] = mapped_column(String(10), default="primary")
    quality: Mapped[str | None] = mapped_column(String(10))
    #: The language of the name form (``ko``, ``en``, ``zh`` ...).
    lang: Mapped[str | None] = mapped_column(String(10))


class PersonIdentifier(Base):
    """A number or code that identifies a person: passport, national ID, military service number."""

    __tablename__ = "person_identifiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    #: ``passport``, ``national_id``, ``military``, ``other``.
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))


class Organization(Base):
    """A ministry, bureau or unit; ``parent_id`` is the one directly above it in the chain of command."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_ko: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    #: ``ministry``, ``bureau``, ``unit``, ``party`` or ``other``: state bodies export as PublicBody.
    kind: Mapped[str] = mapped_column(String(20), default="bureau")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    province: Mapped[str | None] = mapped_column(String(64))
    county: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    exculpatory: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)


class Position(Base):
    """A post in an organization. The holder of a ``is_head`` post commands every post of the organization
    and of every organization below it; any other post commands the organizations below it only."""

    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    title_ko: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    is_head: Mapped[bool] = mapped_column(Boolean, default=False)


class Occupancy(Base):
    """Who held a post from when to when. ``start``/``end`` are partial dates (``end`` NULL: still held or
    not known); ``start_lo``/``end_hi`` are the widest period they may mean."""

    __tablename__ = "occupancies"
    __table_args__ = (Index("ix_occupancies_position_period", "position_id", "start_lo", "end_hi"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"))
    start: Mapped[str | None] = mapped_column(String(10))
    end: Mapped[str | None] = mapped_column(String(10))
    start_lo: Mapped[date] = mapped_column(Date)
    end_hi: Mapped[date] = mapped_column(Date)


class Facility(Base):
    """A place of detention. Names live in :class:`FacilityName`; a merged facility keeps its row."""

    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``kwanliso`` 관리소, ``kyohwaso`` 교화소, ``kuryujang`` 구류장, ``jipkyulso`` 집결소,
    #: ``rodong_danryondae`` 노동단련대 or ``other``.
    kind: Mapped[str] = mapped_column(String(20))
    #: ``mss`` (보위부), ``mps`` (안전부) or ``other``.
    agency: Mapped[str] = mapped_column(String(10))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    #: Codes from core/data/nk_divisions.json.
    province: Mapped[str | None] = mapped_column(String(64))
    county: Mapped[str | None] = mapped_column(String(64))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str | None] = mapped_column(Text)
    exculpatory: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)


class FacilityName(Base):
    """One written form of a facility's name."""

    __tablename__ = "facility_names"

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: As :attr:`PersonName.style`.
    style: Mapped[str] = mapped_column(String(10))


class NameKey(Base):
    """A search key of a name (reviewer/names.py): every spelling of a name is indexed under its keys, and a
    query is looked up under its own, so ``리창대``, ``Ri Chang Dae`` and ``Lee Chang-dae`` meet."""

    __tablename__ = "name_keys"
    __table_args__ = (
        Index("ix_name_keys_key_kind", "key", "kind"),
        Index("ix_name_keys_owner", "kind", "owner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``person``, ``facility`` or ``organization``.
    kind: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(200))


class Incident(Base):
    """An event (HURIDOCS): what happened, made of one or more acts. No source identity in any field."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)


class Act(Base):
    """One violation within an incident: its type from the taxonomy (core/answers.py VIOLATIONS), when,
    where, and its victims as pseudonyms or a count."""

    __tablename__ = "acts"
    __table_args__ = (Index("ix_acts_facility_violation", "facility_id", "violation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    violation: Mapped[str] = mapped_column(String(40))
    #: Partial dates; ``date_end`` only for a period. NULL ``date_start``: the date is not known.
    date_start: Mapped[str | None] = mapped_column(String(10))
    date_end: Mapped[str | None] = mapped_column(String(10))
    date_lo: Mapped[date] = mapped_column(Date)
    date_hi: Mapped[date] = mapped_column(Date)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    province: Mapped[str | None] = mapped_column(String(64))
    county: Mapped[str | None] = mapped_column(String(64))
    place: Mapped[str | None] = mapped_column(String(200))
    #: Pseudonyms of victims (``V-1 V-2``), never names.
    victims: Mapped[str | None] = mapped_column(String(500))
    victim_count: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)


class Involvement(Base):
    """A person's part in an act: the degree and the reviewers' confidence in it."""

    __tablename__ = "involvements"
    __table_args__ = (UniqueConstraint("act_id", "person_id", "degree"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    act_id: Mapped[int] = mapped_column(ForeignKey("acts.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    #: ``carried_out``, ``ordered``, ``planned``, ``present``, ``failed_to_prevent``, ``superior_failed``.
    degree: Mapped[str] = mapped_column(String(20))
    #: ``high``, ``medium`` or ``low``.
    confidence: Mapped[str] = mapped_column(String(10))
    exculpatory: Mapped[str | None] = mapped_column(Text)


class Information(Base):
    """A submission as a source for an incident, an act or a person's involvement in an act (exactly one).

    Only a verified submission backs a record as evidence; any other is a lead (reviewer/records/
    corroboration.py decides, from the submission's state, when counting)."""

    __tablename__ = "information"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN incident_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN act_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN involvement_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    act_id: Mapped[int | None] = mapped_column(ForeignKey("acts.id"), index=True)
    involvement_id: Mapped[int | None] = mapped_column(ForeignKey("involvements.id"), index=True)
    #: ``victim``, ``witness``, ``former_agent`` or ``third_party``.
    connection: Mapped[str] = mapped_column(String(20))
    #: ``highly_reliable``, ``likely_reliable``, ``unsure``, ``likely_unreliable``, ``highly_unreliable``,
    #: ``unknown``.
    reliability: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)


class Merge(Base):
    """Two persons or two facilities merged: which one was kept, and which rows were moved from the other,
    so that the merge can be undone exactly."""

    __tablename__ = "merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``person`` or ``facility``.
    kind: Mapped[str] = mapped_column(String(20))
    kept_id: Mapped[int] = mapped_column(Integer)
    merged_id: Mapped[int] = mapped_column(Integer)
    #: The ids of the rows moved, by table, as JSON.
    moved: Mapped[str] = mapped_column(Text)
    merged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SanctionedEntity(Base):
    """A person or organization from an imported sanctions list (OpenSanctions-style FollowTheMoney), kept to
    flag possible matches on record pages and dossiers for a reviewer to confirm."""

    __tablename__ = "sanctioned_entities"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The FtM entity id in the imported file.
    ftm_id: Mapped[str] = mapped_column(String(200), unique=True)
    #: ``Person``, ``Organization``, ``PublicBody``, ``LegalEntity`` ...
    schema: Mapped[str] = mapped_column(String(40))
    caption: Mapped[str] = mapped_column(String(300))
    #: Every name form, JSON list.
    names: Mapped[str] = mapped_column(Text)
    #: Birth dates as given (partial ISO dates), JSON list.
    birth_dates: Mapped[str] = mapped_column(Text)
    #: The sanctions, JSON list of {authority, program, start_date, source_url}.
    sanctions: Mapped[str] = mapped_column(Text)
    dataset: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now)


class RecordOrigin(Base):
    """The ``sori_id`` a record carried when it was imported from an Uwazi layout (``sori records import``),
    so that its exports name it as the file did and the same row imported again is recognised
    (reviewer/records/origins.py)."""

    __tablename__ = "record_origins"
    __table_args__ = (UniqueConstraint("kind", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``organization``, ``person``, ``occupancy``, ``facility``, ``incident``, ``act`` or ``involvement``.
    kind: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer)
    sori_id: Mapped[str] = mapped_column(String(120), unique=True)
