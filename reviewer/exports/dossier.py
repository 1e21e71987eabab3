"""Build a dossier (reviewer/exports/model.py) for one target, one purpose: what a sanctions submission, a
public report or an internal file says about a person, an organization or a facility.

Consent is enforced here, once, before any format sees the data: an act's evidence counts only from
submissions whose recorded consent covers the purpose (reviewer/records/sources.py ``consent_covers``: the
scope given, nothing withdrawn by the source, consent recorded at all). An act none of whose evidence may be
included is left out of the dossier; the sources left out are counted, never named.

Conduct:

- a person: the acts they are involved in, and the acts of persons under their command while they held the
  post above them (command responsibility: reviewer/records/chain.py's rule, the act within both tenures);
- an organization: acts attributed (through involvements) to persons holding a post in it or below while
  the act may have happened, and acts at the facilities it or an organization below it operates;
- a facility: the acts recorded there.

The chain of command follows reviewer/records/chain.py's rules (a head commands their own organization and
everything below; any other post, the organizations below); organizations are few, so the tree is walked in
Python.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, date, datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, undefer

from core import submissions
from core.models import Envelope
from reviewer.exports import legal, sanctions
from reviewer.exports.model import (
    Conduct,
    Dossier,
    EvidenceDocument,
    Identifier,
    NameForm,
    OrganizationRef,
    PostHeld,
    SourceUse,
    Target,
)
from reviewer.exports.settings import load_submitter
from reviewer.records import corroboration, record_names
from reviewer.records.dates import EARLIEST, LATEST
from reviewer.records.models import (
    Act,
    Facility,
    Incident,
    Involvement,
    Occupancy,
    Organization,
    Person,
    PersonIdentifier,
    PersonName,
    Position,
    Source,
)
from reviewer.records.sources import consent_covers
from reviewer.records.tree import OrganizationTree
from reviewer.records.vocab import PURPOSES

KINDS = ("person", "organization", "facility")
#: Confidence codes from the weakest: a conduct line states the weakest of the target's involvements.
_CONFIDENCE_ORDER = ("low", "medium", "high")
#: Submission ids per query when reading envelopes (keeps the statement's parameters bounded).
_BATCH = 500
_HASH_CHUNK = 1 << 16


class DossierError(ValueError):
    """A dossier that cannot be built; ``code`` is ``unknown_kind``, ``unknown_purpose``, ``not_found`` or
    ``merged`` (the target was merged into another record: build that one's)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def build(
    session: Session,
    kind: str,
    target_id: int,
    purpose: str,
    *,
    actor_login: str,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Dossier:
    """The dossier on ``kind`` ``target_id`` for ``purpose`` (a key of vocab.PURPOSES), as ``actor_login``
    builds it. Reads only; raises :class:`DossierError`. Needs an application context (envelopes may be in
    the blob store)."""
    if kind not in KINDS:
        raise DossierError("unknown_kind")
    if purpose not in PURPOSES:
        raise DossierError("unknown_purpose")
    tree = OrganizationTree.load(session)
    captions = _Captions(session)
    target = _target(session, kind, target_id, tree, captions)

    candidates = _candidate_acts(session, kind, target_id, tree)
    evidence = corroboration.act_evidence(session, candidates)
    allowed = consent_covers(session, {row.submission_id for row in evidence}, purpose)
    included = [row for row in evidence if row.submission_id in allowed]
    excluded_keys = {row.key for row in evidence} - {row.key for row in included}

    keys_by_act: dict[int, set[str]] = defaultdict(set)
    for row in included:
        keys_by_act[row.act_id].add(row.key)
    acts = _load_acts(session, sorted(keys_by_act))
    conduct = _conduct(session, kind, target_id, acts, keys_by_act, captions)

    refs = _source_refs(session, {row.key for row in included})
    evidence_uses = sorted(
        {SourceUse(refs[row.key], row.act_id, row.connection, row.reliability) for row in included},
        key=lambda use: (use.act_id, use.source_ref, use.connection, use.reliability),
    )
    submission_refs = {row.submission_id: refs[row.key] for row in included}
    period = _period(acts)
    chain_up, superiors, subordinates = _chain(session, kind, target, tree, captions, period)
    return Dossier(
        target=target,
        purpose=purpose,
        created_at=now(),
        created_by=actor_login,
        submitter=load_submitter(session),
        legal_basis=legal.basis(act.violation for act in acts),
        conduct=conduct,
        evidence=tuple(evidence_uses),
        documents=_documents(session, submission_refs),
        chain_up=chain_up,
        superiors=superiors,
        subordinates=subordinates,
        exculpatory=_exculpatory(session, kind, target_id, [act.id for act in acts]),
        sources_excluded=len(excluded_keys),
        sources_included=len(set(refs.values())),
        existing_sanctions=tuple(sanctions.matches_for(session, kind, target_id)),
    )


# --- the organization tree and names -----------------------------------------------------------------


def _ref(tree: OrganizationTree, organization_id: int) -> OrganizationRef:
    org = tree.by_id[organization_id]
    return OrganizationRef(org.id, org.name_ko, org.name_en, org.kind, org.parent_id)


def _above(tree: OrganizationTree, organization_id: int) -> list[int]:
    """The ids of the organizations above, nearest first."""
    return [org.id for org in tree.above(organization_id)]


class _Captions:
    """Person captions (reviewer/records/record_names.py), each read once per dossier."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[int, str] = {}

    def __call__(self, person_ids: Iterable[int]) -> dict[int, str]:
        missing = set(person_ids) - self.known.keys()
        if missing:
            self.known.update(record_names.person_captions(self.session, missing))
        return self.known

    def one(self, person_id: int) -> str:
        return self([person_id])[person_id]


# --- the target ---------------------------------------------------------------------------------------


def _target(
    session: Session, kind: str, target_id: int, tree: OrganizationTree, captions: _Captions
) -> Target:
    if kind == "person":
        return _person_target(session, target_id, tree, captions)
    if kind == "organization":
        if target_id not in tree.by_id:
            raise DossierError("not_found")
        org = tree.by_id[target_id]
        names = [NameForm(org.name_ko, "hangul", lang="ko")]
        if org.name_en:
            names.append(NameForm(org.name_en, "other", lang="en"))
        return Target(
            kind=kind,
            id=org.id,
            caption=org.name_ko,
            names=tuple(names),
            organization=_ref(tree, org.id),
            province=org.province,
            county=org.county,
            description=org.description,
        )
    facility = session.get(Facility, target_id)
    if facility is None:
        raise DossierError("not_found")
    if facility.merged_into_id is not None:
        raise DossierError("merged")
    names = record_names.name_rows(session, "facility", facility.id)
    return Target(
        kind=kind,
        id=facility.id,
        caption=record_names.facility_captions(session, [facility.id])[facility.id],
        names=tuple(NameForm(name.name, name.style) for name in names),
        organization=_ref(tree, facility.organization_id) if facility.organization_id in tree.by_id else None,
        facility_kind=facility.kind,
        agency=facility.agency,
        province=facility.province,
        county=facility.county,
        latitude=facility.latitude,
        longitude=facility.longitude,
        description=facility.description,
    )


def _person_target(session: Session, person_id: int, tree: OrganizationTree, captions: _Captions) -> Target:
    person = session.get(Person, person_id)
    if person is None:
        raise DossierError("not_found")
    if person.merged_into_id is not None:
        raise DossierError("merged")
    names = session.scalars(
        select(PersonName).where(PersonName.person_id == person_id).order_by(PersonName.id)
    )
    identifiers = session.scalars(
        select(PersonIdentifier).where(PersonIdentifier.person_id == person_id).order_by(PersonIdentifier.id)
    )
    return Target(
        kind="person",
        id=person.id,
        caption=captions.one(person.id),
        names=tuple(NameForm(n.name, n.style, n.kind, n.quality, n.lang) for n in names),
        gender=person.gender,
        birth_date=person.birth_date,
        birth_place=person.birth_place,
        nationality=tuple((person.nationality or "").split()),
        identifiers=tuple(Identifier(i.kind, i.value, i.country) for i in identifiers),
        posts=tuple(_posts(session, [Occupancy.person_id == person_id], tree, captions)),
        description=person.description,
    )


def _posts(session: Session, where: list, tree: OrganizationTree, captions: _Captions) -> list[PostHeld]:
    """Occupancies matching ``where``, oldest first, as :class:`PostHeld`."""
    rows = session.execute(
        select(Occupancy, Position)
        .join(Position, Position.id == Occupancy.position_id)
        .where(*where)
        .order_by(Occupancy.start_lo, Occupancy.id)
    ).all()
    names = captions(occupancy.person_id for occupancy, _position in rows)
    return [
        PostHeld(
            occupancy_id=occupancy.id,
            person_id=occupancy.person_id,
            person_name=names[occupancy.person_id],
            position_id=position.id,
            title_ko=position.title_ko,
            title_en=position.title_en,
            organization=_ref(tree, position.organization_id),
            start=occupancy.start,
            end=occupancy.end,
            is_head=position.is_head,
        )
        for occupancy, position in rows
    ]


# --- conduct ------------------------------------------------------------------------------------------


def _candidate_acts(session: Session, kind: str, target_id: int, tree: OrganizationTree) -> list[int]:
    """Every act the target may answer for, before consent filters them."""
    if kind == "person":
        query = select(Involvement.act_id).where(Involvement.person_id == target_id)
        return sorted(set(session.scalars(query)) | _commanded_acts(session, target_id, tree))
    if kind == "facility":
        return sorted(set(session.scalars(select(Act.id).where(Act.facility_id == target_id))))
    organizations = [target_id, *tree.below(target_id)]
    attributed = (
        select(Act.id)
        .join(Involvement, Involvement.act_id == Act.id)
        .join(Occupancy, Occupancy.person_id == Involvement.person_id)
        .join(Position, Position.id == Occupancy.position_id)
        .where(
            Position.organization_id.in_(organizations),
            and_(Occupancy.start_lo <= Act.date_hi, Occupancy.end_hi >= Act.date_lo),
        )
    )
    at_facilities = (
        select(Act.id)
        .join(Facility, Facility.id == Act.facility_id)
        .where(Facility.organization_id.in_(organizations))
    )
    return sorted(set(session.scalars(attributed)) | set(session.scalars(at_facilities)))


def _commanded_acts(session: Session, person_id: int, tree: OrganizationTree) -> set[int]:
    """Acts of persons under ``person_id``'s command: involved in the act, holding a post the person's post
    commanded, the act within both tenures."""
    held = session.execute(
        select(Occupancy.start_lo, Occupancy.end_hi, Position.organization_id, Position.is_head)
        .join(Position, Position.id == Occupancy.position_id)
        .where(Occupancy.person_id == person_id)
    )
    acts: set[int] = set()
    for start, end, org_id, is_head in held:
        commanded = [org_id, *tree.below(org_id)] if is_head else tree.below(org_id)
        if not commanded:
            continue
        query = (
            select(Act.id)
            .join(Involvement, Involvement.act_id == Act.id)
            .join(Occupancy, Occupancy.person_id == Involvement.person_id)
            .join(Position, Position.id == Occupancy.position_id)
            .where(
                Involvement.person_id != person_id,
                Position.organization_id.in_(commanded),
                Occupancy.start_lo <= end,
                Occupancy.end_hi >= start,
                Act.date_hi >= start,
                Act.date_lo <= end,
                Occupancy.start_lo <= Act.date_hi,
                Occupancy.end_hi >= Act.date_lo,
            )
        )
        acts |= set(session.scalars(query))
    return acts


def _load_acts(session: Session, act_ids: list[int]) -> list[Act]:
    acts: list[Act] = []
    for start in range(0, len(act_ids), _BATCH):
        acts.extend(session.scalars(select(Act).where(Act.id.in_(act_ids[start : start + _BATCH]))))
    return sorted(acts, key=lambda act: (act.date_lo, act.date_hi, act.id))


def _conduct(
    session: Session,
    kind: str,
    target_id: int,
    acts: list[Act],
    keys_by_act: dict[int, set[str]],
    captions: _Captions,
) -> tuple[Conduct, ...]:
    act_ids = [act.id for act in acts]
    incidents = _by_id(session, Incident, {act.incident_id for act in acts})
    facilities = record_names.facility_captions(session, {act.facility_id for act in acts if act.facility_id})
    involvements: dict[int, list[Involvement]] = defaultdict(list)
    for start in range(0, len(act_ids), _BATCH):
        query = select(Involvement).where(Involvement.act_id.in_(act_ids[start : start + _BATCH]))
        for involvement in session.scalars(query.order_by(Involvement.id)):
            involvements[involvement.act_id].append(involvement)
    names = captions(i.person_id for rows in involvements.values() for i in rows)
    lines = []
    for act in acts:
        own = [i for i in involvements[act.id] if kind == "person" and i.person_id == target_id]
        lines.append(
            Conduct(
                act_id=act.id,
                incident_id=act.incident_id,
                incident_title=incidents[act.incident_id].title,
                violation=act.violation,
                date_start=act.date_start,
                date_end=act.date_end,
                facility_id=act.facility_id,
                facility_name=facilities.get(act.facility_id) if act.facility_id is not None else None,
                place=act.place,
                province=act.province,
                county=act.county,
                victims=act.victims,
                victim_count=act.victim_count,
                description=act.description,
                degrees=tuple(i.degree for i in own),
                under_command=kind == "person" and not own,
                perpetrators=tuple((names[i.person_id], i.degree) for i in involvements[act.id]),
                perpetrator_ids=tuple(i.person_id for i in involvements[act.id]),
                confidence=min((i.confidence for i in own), key=_confidence_rank, default=None),
                corroboration=len(keys_by_act[act.id]),
            )
        )
    return tuple(lines)


def _confidence_rank(code: str) -> int:
    return _CONFIDENCE_ORDER.index(code) if code in _CONFIDENCE_ORDER else -1


def _by_id(session: Session, model: type, ids: Collection[int]) -> dict:
    found = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), _BATCH):
        for row in session.scalars(select(model).where(model.id.in_(ordered[start : start + _BATCH]))):
            found[row.id] = row
    return found


def _period(acts: list[Act]) -> tuple[date, date]:
    """The widest period the listed acts may span (all time when there are none)."""
    if not acts:
        return EARLIEST, LATEST
    return min(act.date_lo for act in acts), max(act.date_hi for act in acts)


# --- evidence -----------------------------------------------------------------------------------------


def _source_refs(session: Session, keys: set[str]) -> dict[str, str]:
    """Source key (``s<id>``) -> pseudonymous reference. Included evidence always has a recorded source,
    since consent is only known through one."""
    ids = sorted(int(key[1:]) for key in keys if key.startswith("s"))
    refs = {}
    for start in range(0, len(ids), _BATCH):
        query = select(Source.id, Source.ref).where(Source.id.in_(ids[start : start + _BATCH]))
        refs.update({f"s{source_id}": ref for source_id, ref in session.execute(query)})
    return refs


def _documents(session: Session, submission_refs: dict[str, str]) -> tuple[EvidenceDocument, ...]:
    """The SHA-256 (and SHA-1, FollowTheMoney's content hash) of every envelope of the included
    submissions, streamed from wherever the bytes are kept. Submission ids stay inside: only the source
    reference, the digests, the size and the day of receipt travel."""
    documents = []
    ids = sorted(submission_refs)
    for start in range(0, len(ids), _BATCH):
        query = (
            select(Envelope)
            .options(undefer(Envelope.ciphertext))
            .where(Envelope.submission_id.in_(ids[start : start + _BATCH]))
        )
        for envelope in session.scalars(query):
            sha256, sha1 = hashlib.sha256(), hashlib.sha1(usedforsecurity=False)  # FtM's content hash
            with submissions.open_envelope(envelope) as stream:
                while chunk := stream.read(_HASH_CHUNK):
                    sha256.update(chunk)
                    sha1.update(chunk)
            documents.append(
                EvidenceDocument(
                    source_ref=submission_refs[envelope.submission_id],
                    sha256=sha256.hexdigest(),
                    size=envelope.ciphertext_size,
                    received_on=envelope.received_on.isoformat(),
                    sha1=sha1.hexdigest(),
                )
            )
            # The ciphertext was only needed for the digest; do not keep thousands in the session.
            session.expunge(envelope)
    return tuple(sorted(documents, key=lambda doc: (doc.source_ref, doc.received_on, doc.sha256)))


def _exculpatory(session: Session, kind: str, target_id: int, act_ids: list[int]) -> tuple[str, ...]:
    """What reviewers recorded in the target's favour: on the record itself and, for the listed acts, on the
    involvements (the target's own for a person; every one for an organization or a facility)."""
    model = {"person": Person, "organization": Organization, "facility": Facility}[kind]
    texts = [session.get(model, target_id).exculpatory]  # type: ignore[attr-defined]
    for start in range(0, len(act_ids), _BATCH):
        query = select(Involvement.exculpatory).where(
            Involvement.act_id.in_(act_ids[start : start + _BATCH]), Involvement.exculpatory.is_not(None)
        )
        if kind == "person":
            query = query.where(Involvement.person_id == target_id)
        texts.extend(session.scalars(query.order_by(Involvement.act_id, Involvement.id)))
    seen: list[str] = []
    for text in texts:
        if text and text.strip() and text.strip() not in seen:
            seen.append(text.strip())
    return tuple(seen)


# --- chain of command ---------------------------------------------------------------------------------


def _chain(
    session: Session,
    kind: str,
    target: Target,
    tree: OrganizationTree,
    captions: _Captions,
    period: tuple[date, date],
) -> tuple[tuple[OrganizationRef, ...], tuple[PostHeld, ...], tuple[PostHeld, ...]]:
    """(organizations from the target up, the heads above in office at the time, the persons below)."""
    if kind == "person":
        return _person_chain(session, target, tree, captions)
    if target.organization is None:  # a facility no organization is recorded to operate
        return (), (), ()
    org_id = target.organization.id
    up = [org_id, *_above(tree, org_id)] if kind == "facility" else _above(tree, org_id)
    heads_of = [org_id, *_above(tree, org_id)]
    superiors = _posts(
        session, [Position.organization_id.in_(heads_of), Position.is_head, *_overlap(period)], tree, captions
    )
    below = [org_id, *tree.below(org_id)]
    subordinates = _posts(
        session,
        [Position.organization_id.in_(below), *_overlap(period)],
        tree,
        captions,
    )
    subordinates = [post for post in subordinates if not (post.is_head and post.organization.id == org_id)]
    return tuple(_ref(tree, o) for o in up), tuple(superiors), tuple(subordinates)


def _person_chain(
    session: Session, target: Target, tree: OrganizationTree, captions: _Captions
) -> tuple[tuple[OrganizationRef, ...], tuple[PostHeld, ...], tuple[PostHeld, ...]]:
    up: list[int] = []
    superiors: dict[int, PostHeld] = {}
    subordinates: dict[int, PostHeld] = {}
    occupancies = _by_id(session, Occupancy, {post.occupancy_id for post in target.posts})
    for post in target.posts:
        occupancy = occupancies[post.occupancy_id]
        tenure = (occupancy.start_lo, occupancy.end_hi)
        org_id = post.organization.id
        for org in [org_id, *_above(tree, org_id)]:
            if org not in up:
                up.append(org)
        heads_of = _above(tree, org_id) if post.is_head else [org_id, *_above(tree, org_id)]
        for held in _posts(
            session,
            [Position.organization_id.in_(heads_of), Position.is_head, *_overlap(tenure)],
            tree,
            captions,
        ):
            if held.person_id != target.id:
                superiors.setdefault(held.occupancy_id, held)
        commanded = [org_id, *tree.below(org_id)] if post.is_head else tree.below(org_id)
        if commanded:
            for held in _posts(
                session, [Position.organization_id.in_(commanded), *_overlap(tenure)], tree, captions
            ):
                if held.person_id != target.id:
                    subordinates.setdefault(held.occupancy_id, held)
    return (
        tuple(_ref(tree, o) for o in up),
        tuple(superiors.values()),
        tuple(subordinates.values()),
    )


def _overlap(period: tuple[date, date]) -> list:
    return [Occupancy.start_lo <= period[1], Occupancy.end_hi >= period[0]]
