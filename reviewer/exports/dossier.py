"""Build a dossier (reviewer/exports/model.py) for one target, one purpose: what a sanctions submission, a
public report or an internal file says about a person, an organization or a facility.

Consent is enforced here, once, before any format sees the data: an act's evidence counts only from
submissions whose recorded consent covers the purpose (reviewer/records/sources.py ``consent_covers``: the
scope given, nothing withdrawn by the source, consent recorded at all). An act none of whose evidence may be
included is left out of the dossier; the sources left out are counted, never named.

The parts: the target's identification (here), its conduct (reviewer/exports/conduct.py), the evidence
(reviewer/exports/evidence.py), the chain of command (reviewer/exports/chain_of_command.py), what the
pictures draw (reviewer/exports/diagrams.py), and every record the dossier names, complete, for its Uwazi
files (reviewer/records/uwazi/record_set.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.exports import conduct, diagrams, evidence, legal, sanctions
from reviewer.exports.chain_of_command import chain_of_command
from reviewer.exports.dossier_reading import Captions, posts, ref
from reviewer.exports.model import Dossier, Identifier, NameForm, OrganizationRef, PostHeld, SourceUse, Target
from reviewer.exports.settings import load_submitter
from reviewer.records import corroboration, origins, record_names
from reviewer.records.models import Facility, Occupancy, Person, PersonIdentifier, PersonName
from reviewer.records.sources import consent_covers
from reviewer.records.tree import OrganizationTree
from reviewer.records.uwazi import record_set
from reviewer.records.uwazi.record_set import Selection, involvements_of
from reviewer.records.vocab import PURPOSES

KINDS = ("person", "organization", "facility")


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
    captions = Captions(session)
    target = _target(session, kind, target_id, tree, captions)

    candidates = conduct.candidate_acts(session, kind, target_id, tree)
    supporting = corroboration.act_evidence(session, candidates)
    allowed = consent_covers(session, {row.submission_id for row in supporting}, purpose)
    included = [row for row in supporting if row.submission_id in allowed]
    excluded_keys = {row.key for row in supporting} - {row.key for row in included}

    keys_by_act: dict[int, set[str]] = defaultdict(set)
    for row in included:
        keys_by_act[row.act_id].add(row.key)
    acts = conduct.load_acts(session, sorted(keys_by_act))
    lines = conduct.conduct_lines(session, kind, target_id, acts, keys_by_act, captions)

    refs = evidence.source_refs(session, {row.key for row in included})
    evidence_uses = sorted(
        {SourceUse(refs[row.key], row.act_id, row.connection, row.reliability) for row in included},
        key=lambda use: (use.act_id, use.source_ref, use.connection, use.reliability),
    )
    submission_refs = {row.submission_id: refs[row.key] for row in included}
    period = conduct.period(acts)
    chain_up, superiors, subordinates = chain_of_command(session, kind, target, tree, captions, period)
    pictures = diagrams.pictures(session, kind, target_id, keys_by_act, tree)
    act_ids = [line.act_id for line in lines]
    listed = _listed(session, target, act_ids, chain_up, (*target.posts, *superiors, *subordinates))
    return Dossier(
        target=target,
        purpose=purpose,
        created_at=now(),
        created_by=actor_login,
        submitter=load_submitter(session),
        legal_basis=legal.basis(act.violation for act in acts),
        conduct=lines,
        evidence=tuple(evidence_uses),
        documents=evidence.documents(session, submission_refs),
        chain_up=chain_up,
        superiors=superiors,
        subordinates=subordinates,
        exculpatory=evidence.exculpatory(session, kind, target_id, [act.id for act in acts]),
        sources_excluded=len(excluded_keys),
        sources_included=len(set(refs.values())),
        existing_sanctions=tuple(sanctions.matches_for(session, kind, target_id)),
        chain_diagram=pictures.chain,
        facilities=pictures.facilities,
        records=record_set.read(session, listed),
        act_sori_ids=origins.sori_ids(session, "act", act_ids),
        target_sori_id=origins.sori_ids(session, kind, [target_id])[target_id],
    )


def _listed(
    session: Session,
    target: Target,
    act_ids: list[int],
    chain_up: tuple[OrganizationRef, ...],
    posts_held: tuple[PostHeld, ...],
) -> Selection:
    """The records the dossier names, for its Uwazi files: the target, its acts with everyone involved,
    the posts of the chain of command and its organizations (reading them adds what they link to)."""
    organizations = {organization.id for organization in chain_up}
    if target.organization is not None:
        organizations.add(target.organization.id)
    return Selection(
        organizations=organizations,
        persons={target.id} if target.kind == "person" else set(),
        occupancies={post.occupancy_id for post in posts_held},
        facilities={target.id} if target.kind == "facility" else set(),
        acts=set(act_ids),
        involvements=involvements_of(session, act_ids),
    )


# --- the target ---------------------------------------------------------------------------------------


def _target(
    session: Session, kind: str, target_id: int, tree: OrganizationTree, captions: Captions
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
            organization=ref(tree, org.id),
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
        organization=ref(tree, facility.organization_id) if facility.organization_id in tree.by_id else None,
        facility_kind=facility.kind,
        agency=facility.agency,
        province=facility.province,
        county=facility.county,
        latitude=facility.latitude,
        longitude=facility.longitude,
        description=facility.description,
    )


def _person_target(session: Session, person_id: int, tree: OrganizationTree, captions: Captions) -> Target:
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
        posts=tuple(posts(session, [Occupancy.person_id == person_id], tree, captions)),
        description=person.description,
    )
