"""Fictional records for ``sori demo`` (the tables are in reviewer/records/demo_data.py), so that every
records page, the chain-of-command views and corroboration counts show something on a first run; and a
fictional sanctions list (``<data>/demo/sanctions-demo.ftm.json``, imported) on which the demo minister
and his ministry are possible matches; and, unless an admin set them, fictional submitter details, so that
a demo dossier names who prepared it.

Made once: nothing is added if any person, organization, facility or incident exists (as the demo accounts
are not added again once any submission exists). The demo accounts are told apart by opening them with the
first demo reviewer's identity, whose passphrase the demo keeps in plain sight; only a submission that
opens to one of :data:`core.demo.DEMO_ACCOUNTS` is cited, never anything else in the database.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import answers, submissions
from core.demo import DEMO_ACCOUNTS, DemoReviewer
from core.models import Envelope, Submission
from crypto.envelope import EnvelopeReader
from crypto.errors import CryptoError
from crypto.keys import Identity
from reviewer import accounts, triage
from reviewer.exports import sanctions
from reviewer.exports.settings import load_submitter, save_submitter
from reviewer.models import User
from reviewer.records import dates, name_index, record_names
from reviewer.records.demo_data import (
    CITATIONS,
    DEMO_MARK,
    FACILITIES,
    IDENTIFIERS,
    INCIDENTS,
    OCCUPANCIES,
    ORGANIZATIONS,
    PERSONS,
    POSITIONS,
    SANCTIONS_LIST,
    SUBMITTER,
)
from reviewer.records.models import (
    Act,
    Facility,
    Incident,
    Information,
    Involvement,
    Occupancy,
    Organization,
    Person,
    PersonIdentifier,
    Position,
    Source,
    SubmissionSource,
)


def add_demo_records(session: Session, demo_dir: Path, reviewers: list[DemoReviewer]) -> bool:
    """Add the fictional records once, citing the demo accounts and verifying those meant to be verified
    by two demo reviewers, and import a fictional sanctions list (kept in ``demo_dir``); returns whether
    anything was added. Commits."""
    for model in (Person, Organization, Facility, Incident):
        if session.scalar(select(func.count()).select_from(model)):
            return False
    organizations = _add_organizations(session)
    positions = _add_positions(session, organizations)
    persons = _add_persons(session)
    for person_key, position_key, start, end in OCCUPANCIES:
        session.add(
            Occupancy(
                person_id=persons[person_key].id,
                position_id=positions[position_key].id,
                start=start,
                end=end,
                start_lo=dates.earliest(start),
                end_hi=dates.latest(end),
            )
        )
    session.add_all(
        PersonIdentifier(person_id=persons[person_key].id, kind=kind, value=value, country=country)
        for person_key, kind, value, country in IDENTIFIERS
    )
    list_path = demo_dir / "sanctions-demo.ftm.json"
    list_path.write_text(
        "".join(json.dumps(entity, ensure_ascii=False) + "\n" for entity in SANCTIONS_LIST), "utf-8"
    )
    sanctions.import_file(session, list_path, dataset=f"{DEMO_MARK} sori-demo")
    if not any(load_submitter(session).values()):
        save_submitter(session, SUBMITTER)
    facilities = _add_facilities(session, organizations)
    incidents, acts, involvements = _add_incidents(session, facilities, persons)
    _cite_accounts(session, reviewers, incidents, acts, involvements)
    session.commit()
    return True


def _described(text: str) -> str:
    return f"{DEMO_MARK} {text}"


def _add_organizations(session: Session) -> dict[str, Organization]:
    made: dict[str, Organization] = {}
    for key, parent, name_ko, name_en, kind, province, county, description in ORGANIZATIONS:
        organization = Organization(
            name_ko=name_ko,
            name_en=name_en,
            kind=kind,
            parent_id=made[parent].id if parent else None,
            province=province,
            county=county,
            description=_described(description),
        )
        session.add(organization)
        session.flush()
        name_index.reindex(session, "organization", organization.id, [name_ko, name_en])
        made[key] = organization
    return made


def _add_positions(session: Session, organizations: dict[str, Organization]) -> dict[str, Position]:
    made = {
        key: Position(
            organization_id=organizations[organization].id, title_ko=title_ko, title_en=title_en, is_head=head
        )
        for key, organization, title_ko, title_en, head in POSITIONS
    }
    session.add_all(made.values())
    session.flush()
    return made


def _add_persons(session: Session) -> dict[str, Person]:
    made: dict[str, Person] = {}
    for key, gender, birth_date, birth_place, names, description, exculpatory in PERSONS:
        person = Person(
            gender=gender,
            birth_date=birth_date,
            birth_place=birth_place,
            nationality="kp",
            description=_described(description),
            exculpatory=_described(exculpatory) if exculpatory else None,
        )
        session.add(person)
        session.flush()
        record_names.replace_names(
            session,
            "person",
            person.id,
            [
                {"name": name, "style": style, "kind": kind, "quality": quality, "lang": lang}
                for name, style, kind, quality, lang in names
            ],
        )
        made[key] = person
    return made


def _add_facilities(session: Session, organizations: dict[str, Organization]) -> dict[str, Facility]:
    made: dict[str, Facility] = {}
    for key, kind, agency, organization, province, county, lat, lon, names, description in FACILITIES:
        facility = Facility(
            kind=kind,
            agency=agency,
            organization_id=organizations[organization].id,
            province=province,
            county=county,
            latitude=lat,
            longitude=lon,
            description=_described(description),
        )
        session.add(facility)
        session.flush()
        record_names.replace_names(
            session, "facility", facility.id, [{"name": name, "style": style} for name, style in names]
        )
        made[key] = facility
    return made


def _add_incidents(
    session: Session, facilities: dict[str, Facility], persons: dict[str, Person]
) -> tuple[dict[str, Incident], dict[str, Act], dict[tuple[str, str, str], Involvement]]:
    incidents: dict[str, Incident] = {}
    acts: dict[str, Act] = {}
    involvements: dict[tuple[str, str, str], Involvement] = {}
    for demo_incident in INCIDENTS:
        incident = Incident(title=demo_incident.title, summary=_described(demo_incident.summary))
        session.add(incident)
        session.flush()
        incidents[demo_incident.key] = incident
        for demo_act in demo_incident.acts:
            facility = facilities[demo_act.facility] if demo_act.facility else None
            date_lo, date_hi = dates.span(demo_act.start, demo_act.end)
            act = Act(
                incident_id=incident.id,
                violation=demo_act.violation,
                date_start=demo_act.start,
                date_end=demo_act.end,
                date_lo=date_lo,
                date_hi=date_hi,
                facility_id=facility.id if facility else None,
                province=facility.province if facility else None,
                county=facility.county if facility else None,
                victims=demo_act.victims,
                victim_count=demo_act.victim_count,
                description=_described(demo_act.description),
            )
            session.add(act)
            session.flush()
            acts[demo_act.key] = act
            for person_key, degree, confidence in demo_act.involvements:
                involvement = Involvement(
                    act_id=act.id, person_id=persons[person_key].id, degree=degree, confidence=confidence
                )
                session.add(involvement)
                involvements[(demo_act.key, person_key, degree)] = involvement
    session.flush()
    return incidents, acts, involvements


def _cite_accounts(
    session: Session,
    reviewers: list[DemoReviewer],
    incidents: dict[str, Incident],
    acts: dict[str, Act],
    involvements: dict[tuple[str, str, str], Involvement],
) -> None:
    """Record each demo account's source and consent, link it to what it tells of, and take it through
    triage: verified by two different demo reviewers (four eyes), or left in review as a lead."""
    users = [accounts.find_user(session, reviewer.name) for reviewer in reviewers[:2]]
    if len(users) < 2 or not all(isinstance(user, User) for user in users):
        return
    proposer, confirmer = users
    found = _demo_accounts(session, reviewers[0])
    for index, citation in enumerate(CITATIONS):
        if index not in found:
            continue
        submission, fields = found[index]
        source = Source(ref=citation.ref)
        session.add(source)
        session.flush()
        # The scopes exactly as the source answered them in the account.
        session.add(
            SubmissionSource(
                submission_id=submission.id,
                source_id=source.id,
                recorded_by_id=proposer.id,
                **{scope: fields.get(scope) == "yes" for scope in answers.CONSENTS},
            )
        )
        targets = (
            [{"incident_id": incidents[key].id} for key in citation.incidents]
            + [{"act_id": acts[key].id} for key in citation.acts]
            + [{"involvement_id": involvements[key].id} for key in citation.involvements]
        )
        session.add_all(
            Information(
                submission_id=submission.id,
                connection=citation.connection,
                reliability=citation.reliability,
                created_by_id=proposer.id,
                **target,
            )
            for target in targets
        )
        if submission.state == "new":
            triage.change_state(session, submission, "in_review", proposer)
        if citation.verified and submission.state == "in_review":
            triage.change_state(session, submission, "verified", proposer)
            triage.change_state(session, submission, "verified", confirmer)


def _demo_accounts(session: Session, reviewer: DemoReviewer) -> dict[int, tuple[Submission, dict]]:
    """The submissions that open to a demo account, by the account's index in DEMO_ACCOUNTS, with its
    answers. Only envelopes sealed to the demo reviewer are opened, and only their answers part is read."""
    identity = Identity.unwrap(reviewer.identity_path.read_text(encoding="utf-8"), reviewer.passphrase)
    texts = {fields["what_happened"]: index for index, (fields, _) in enumerate(DEMO_ACCOUNTS)}
    sealed_to_demo = select(Envelope).where(
        Envelope.sequence == 1, Envelope.recipient_key_ids.contains(identity.public_key.key_id.hex())
    )
    found: dict[int, tuple[Submission, dict]] = {}
    for envelope in session.scalars(sealed_to_demo):
        try:
            with submissions.open_envelope(envelope) as stream:
                first = next(iter(EnvelopeReader(stream, identity=identity)), None)
                if first is None or first.name != answers.ANSWERS_PART:
                    continue
                document = json.loads(first.read_all())
        except (CryptoError, ValueError):
            continue  # not an account the demo made
        index = texts.get(document.get("fields", {}).get("what_happened"))
        if index is not None:
            found[index] = (envelope.submission, document["fields"])
    return found
