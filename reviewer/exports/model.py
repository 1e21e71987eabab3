"""What a dossier holds, independent of its formats: :func:`reviewer.exports.dossier.build` fills it from the
records, and each format (pdf.py, ftm.py, csv_export.py) only renders it. Nothing here can name a source:
sources appear by their pseudonymous reference, submissions by the SHA-256 of their envelopes.

Fields hold codes, not labels, so that one dossier renders in Korean and in English: violation types,
degrees, confidences, connections, reliabilities, genders, name styles, identifier, organization and
facility kinds and agencies are keys of reviewer/records/vocab.py; provinces and counties are codes of
core/data/nk_divisions.json (``core.divisions.label(code, locale)``); ``legal_basis`` holds category codes
of reviewer/exports/legal.py (``legal.REGIMES``, ``legal.CATEGORIES``, ``legal.INVOLVEMENT``); dates are
partial dates as text (``2019``, ``2019-03``, ``2019-03-14``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from reviewer.records.pictures.chain_cards import ChainTree
from reviewer.records.pictures.facility_map import MapFacility
from reviewer.records.uwazi.record_set import RecordSet


@dataclass(frozen=True)
class NameForm:
    name: str
    #: reviewer/records/vocab.py NAME_STYLES code (``hangul``, ``dprk``, ``rr``, ``lc``, ``other``).
    style: str
    #: ``primary`` or ``alias``; aliases carry ``quality`` (``strong``/``weak``).
    kind: str = "primary"
    quality: str | None = None
    lang: str | None = None


@dataclass(frozen=True)
class Identifier:
    kind: str
    value: str
    country: str | None = None


@dataclass(frozen=True)
class OrganizationRef:
    id: int
    name_ko: str
    name_en: str | None
    kind: str
    parent_id: int | None


@dataclass(frozen=True)
class PostHeld:
    """An occupancy: a person in a post of an organization, from ``start`` to ``end`` (partial dates)."""

    occupancy_id: int
    person_id: int
    person_name: str
    position_id: int
    title_ko: str
    title_en: str | None
    organization: OrganizationRef
    start: str | None
    end: str | None
    is_head: bool = False


@dataclass(frozen=True)
class Target:
    """Who or what the dossier asks to be sanctioned."""

    #: ``person``, ``organization`` or ``facility``.
    kind: str
    id: int
    #: The name to print as the heading (Hangul first where there is one).
    caption: str
    names: tuple[NameForm, ...] = ()
    gender: str | None = None
    birth_date: str | None = None
    birth_place: str | None = None
    nationality: tuple[str, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    posts: tuple[PostHeld, ...] = ()
    #: For an organization or facility: its own chain upward; for a facility also its kind and agency.
    organization: OrganizationRef | None = None
    facility_kind: str | None = None
    agency: str | None = None
    province: str | None = None
    county: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    description: str | None = None


@dataclass(frozen=True)
class SourceUse:
    """One source's support of one act, as the evidence matrix shows it."""

    source_ref: str
    act_id: int
    connection: str
    reliability: str


@dataclass(frozen=True)
class Conduct:
    """One act attributed to the target, with the degree of involvement (for a person) and its support."""

    act_id: int
    incident_id: int
    incident_title: str
    violation: str
    date_start: str | None
    date_end: str | None
    facility_id: int | None
    facility_name: str | None
    place: str | None
    province: str | None
    county: str | None
    victims: str | None
    victim_count: int | None
    description: str | None
    #: Degrees (vocab DEGREES codes) of the target's involvement; for an organization or facility, the
    #: persons involved with their degrees: ``("Ri Chang Dae", "ordered")``.
    degrees: tuple[str, ...] = ()
    #: For a person: the act was done by persons under their command while they held the post above them
    #: (command responsibility), not with their own recorded involvement.
    under_command: bool = False
    perpetrators: tuple[tuple[str, str], ...] = ()
    #: The person id of each entry of ``perpetrators``, in the same order (for machine-readable formats).
    perpetrator_ids: tuple[int, ...] = ()
    confidence: str | None = None
    #: Independent sources that are evidence, counted among the sources this export may include.
    corroboration: int = 0


@dataclass(frozen=True)
class EvidenceDocument:
    """An envelope relied on: only its digest, size and date of receipt travel."""

    source_ref: str
    sha256: str
    size: int
    #: ISO date (YYYY-MM-DD).
    received_on: str
    #: SHA-1 of the same bytes: FollowTheMoney's ``contentHash`` is a SHA-1 (at most 40 characters).
    sha1: str = ""


@dataclass(frozen=True)
class SanctionMatch:
    """A possible match in an imported sanctions list, for a reviewer to confirm."""

    caption: str
    dataset: str
    authorities: tuple[str, ...]
    programs: tuple[str, ...]
    matched_name: str
    birth_dates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dossier:
    target: Target
    #: vocab PURPOSES code.
    purpose: str
    created_at: datetime
    created_by: str
    submitter: dict[str, str] = field(default_factory=dict)
    #: Regime code (``eu``, ``uk``, ``us``) -> the legal categories the acts' violation types fall under.
    legal_basis: dict[str, tuple[str, ...]] = field(default_factory=dict)
    conduct: tuple[Conduct, ...] = ()
    evidence: tuple[SourceUse, ...] = ()
    documents: tuple[EvidenceDocument, ...] = ()
    #: From the target up: the organizations above, each with the heads in office during the conduct.
    chain_up: tuple[OrganizationRef, ...] = ()
    superiors: tuple[PostHeld, ...] = ()
    #: Persons below the target (for a person in command, or an organization/facility) with their posts.
    subordinates: tuple[PostHeld, ...] = ()
    exculpatory: tuple[str, ...] = ()
    #: How many sources were left out for lack of consent for this purpose (never which).
    sources_excluded: int = 0
    sources_included: int = 0
    existing_sanctions: tuple[SanctionMatch, ...] = ()
    #: The chain-of-command diagram's content (reviewer/records/pictures/), counting only the acts and
    #: sources the dossier includes.
    chain_diagram: ChainTree | None = None
    #: The places of detention to draw on a map: the target facility, or those an organization runs.
    facilities: tuple[MapFacility, ...] = ()
    #: Every record the dossier names, complete, as Sori's Uwazi layout lists them
    #: (reviewer/records/uwazi/record_set.py).
    records: RecordSet = field(default_factory=RecordSet)
    #: Act id -> the act's ``sori_id`` (reviewer/records/origins.py), for the evidence to link to.
    act_sori_ids: dict[int, str] = field(default_factory=dict)
    #: The target's ``sori_id``, for the dossier to be attached to its row.
    target_sori_id: str = ""
    #: The submissions whose envelopes the dossier relied on: never in any file, only in the audit entry
    #: of the export, so that ``sori export cited-by`` can name the dossiers a deleted source was in.
    cited_submissions: tuple[str, ...] = ()
