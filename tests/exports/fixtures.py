"""Records to build dossiers from, shared by the export tests (E1, E2) and bench/exports.py.

:func:`build_records` makes, in the current application context:

- a four-level chain of command: 국가보위성 (ministry) → 함경북도 보위국 → 회령시 보위부 →
  구류장 경비대 (unit), with a head in office at each level and a guard in the unit;
- the target official 리창대 / Ri Chang Dae / Lee Chang-dae, head of the county bureau 2015–2020, with a
  weak alias, a birth date of 1961-04 and a passport;
- a facility (회령 구류장, operated by the unit) and one incident with four acts there;
- submissions with real envelopes (a tiny payload sealed with crypto.envelope, so digests are real), in
  mixed states and consents, linked to the acts:

  ========  ===========  ==========================  ===========================================
  source    state        consent                     linked to
  ========  ===========  ==========================  ===========================================
  W-0001    verified     sanctions, public, docs     act torture (and a duplicate of it, verified)
  W-0002    verified     sanctions, docs             involvement of the guard in torture
  W-0003    verified     public, docs                act torture; incident (so every act)
  W-0004    verified +   sanctions, public, docs     act forced labour; the second submission is
            withdrawn                                withdrawn: the source is out of every export
  (none)    verified     not recorded                act death in custody
  W-0005    new          sanctions, public, docs     act torture (a lead, never evidence)
  ========  ===========  ==========================  ===========================================

For a sanctions export of the target: the torture act only (W-0001, W-0002), arbitrary detention and death
in custody and forced labour left out; excluded W-0003, W-0004 and the unattributed one (3).
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import insert
from sqlalchemy.orm import Session

from core.models import Envelope, Submission
from crypto.envelope import encrypt_parts
from crypto.keys import Identity
from reviewer.models import Triage, User
from reviewer.records import dates, name_index
from reviewer.records.models import (
    Act,
    Facility,
    FacilityName,
    Incident,
    Information,
    Involvement,
    Occupancy,
    Organization,
    Person,
    PersonIdentifier,
    PersonName,
    Position,
    Source,
    SubmissionSource,
)


@dataclass
class Records:
    """What :func:`build_records` made: ids to build dossiers for, and what each source's evidence is."""

    person_id: int
    guard_id: int
    minister_id: int
    ministry_id: int
    province_bureau_id: int
    county_bureau_id: int
    unit_id: int
    facility_id: int
    act_ids: dict[str, int]
    #: Source reference (or ``unattributed``) -> the SHA-256 digests of its envelopes.
    digests: dict[str, list[str]] = field(default_factory=dict)
    identity: Identity | None = None


def _user(session: Session) -> User:
    user = User(login=f"fixture-{secrets.token_hex(4)}", display_name="Fixture", is_reviewer=True)
    session.add(user)
    session.flush()
    return user


def seal(identity: Identity, payload: bytes) -> bytes:
    """A real envelope holding ``payload``, sealed to ``identity``."""
    out = io.BytesIO()
    encrypt_parts(out, [identity.public_key], [("answers.json", "application/json", payload)])
    return out.getvalue()


def submission(session: Session, identity: Identity, state: str, received_on: date) -> tuple[str, str]:
    """A submission in ``state`` with one envelope; returns its id and the envelope's SHA-256."""
    sid = secrets.token_urlsafe(16)
    session.execute(
        insert(Submission.__table__).values(
            id=sid, receipt_hash=secrets.token_hex(32), state=state, received_on=received_on
        )
    )
    ciphertext = seal(identity, json.dumps({"fictional": secrets.token_hex(8)}).encode())
    session.execute(
        insert(Envelope.__table__).values(
            submission_id=sid,
            sequence=1,
            received_on=received_on,
            ciphertext=ciphertext,
            ciphertext_size=len(ciphertext),
            recipient_key_ids=json.dumps([identity.public_key.key_id.hex()]),
            path="server",
        )
    )
    return sid, hashlib.sha256(ciphertext).hexdigest()


def _organization(session: Session, name_ko: str, name_en: str, kind: str, parent: int | None) -> int:
    org = Organization(name_ko=name_ko, name_en=name_en, kind=kind, parent_id=parent)
    session.add(org)
    session.flush()
    name_index.reindex(session, "organization", org.id, [name_ko, name_en])
    return org.id


def _person(session: Session, names: list[tuple[str, str, str, str | None]], **fields: object) -> int:
    person = Person(**fields)
    session.add(person)
    session.flush()
    for name, style, kind, quality in names:
        session.add(PersonName(person_id=person.id, name=name, style=style, kind=kind, quality=quality))
    name_index.reindex(session, "person", person.id, [name for name, *_rest in names])
    return person.id


def _post(
    session: Session, org: int, title_ko: str, title_en: str, head: bool, person: int, start: str, end: str
):
    position = Position(organization_id=org, title_ko=title_ko, title_en=title_en, is_head=head)
    session.add(position)
    session.flush()
    session.add(
        Occupancy(
            person_id=person,
            position_id=position.id,
            start=start,
            end=end,
            start_lo=dates.earliest(start),
            end_hi=dates.latest(end),
        )
    )


def act(
    session: Session, incident: int, violation: str, start: str, facility: int | None, **fields: object
) -> int:
    """An act dated ``start`` (a partial date)."""
    low, high = dates.span(start, None)
    row = Act(
        incident_id=incident,
        violation=violation,
        date_start=start,
        date_lo=low,
        date_hi=high,
        facility_id=facility,
        **fields,
    )
    session.add(row)
    session.flush()
    return row.id


def build_records(session: Session) -> Records:
    """The records described in the module docstring (flushed, not committed)."""
    recorder = _user(session)
    identity = Identity.generate()
    ministry = _organization(session, "국가보위성", "Ministry of State Security", "ministry", None)
    province = _organization(
        session, "함경북도 보위국", "North Hamgyong Provincial Security Bureau", "bureau", ministry
    )
    county = _organization(session, "회령시 보위부", "Hoeryong City Security Department", "bureau", province)
    unit = _organization(session, "구류장 경비대", "Detention Centre Guard Unit", "unit", county)

    ri = _person(
        session,
        [
            ("리창대", "hangul", "primary", None),
            ("Ri Chang Dae", "dprk", "primary", None),
            ("Lee Chang-dae", "rr", "primary", None),
            ("Ri Chang-de", "other", "alias", "weak"),
        ],
        gender="male",
        birth_date="1961-04",
        birth_place="Chongjin",
        nationality="kp",
        exculpatory="Reported to have released two detainees early in 2018.",
    )
    session.add(PersonIdentifier(person_id=ri, kind="passport", value="745123456", country="kp"))
    minister = _person(
        session, [("김정호", "hangul", "primary", None), ("Kim Jong Ho", "dprk", "primary", None)]
    )
    chief = _person(session, [("박성철", "hangul", "primary", None)])
    guard = _person(
        session, [("최민수", "hangul", "primary", None), ("Choe Min Su", "dprk", "primary", None)]
    )
    _post(session, ministry, "국가보위상", "Minister of State Security", True, minister, "2012", "2021")
    _post(session, province, "보위국장", "Bureau Chief", True, chief, "2014", "2020")
    _post(session, county, "보위부장", "Department Chief", True, ri, "2015-03", "2020")
    _post(session, unit, "경비원", "Guard", False, guard, "2016", "2019")

    # No province: the schema's String(10) cannot hold division codes such as ``north-hamgyong`` on
    # PostgreSQL (reported; SQLite does not enforce lengths).
    facility = Facility(
        kind="kuryujang", agency="mss", organization_id=unit, latitude=42.45, longitude=129.75
    )
    session.add(facility)
    session.flush()
    session.add_all(
        [
            FacilityName(facility_id=facility.id, name="회령 구류장", style="hangul"),
            FacilityName(facility_id=facility.id, name="Hoeryong Detention Centre", style="other"),
        ]
    )
    name_index.reindex(session, "facility", facility.id, ["회령 구류장", "Hoeryong Detention Centre"])
    incident = Incident(title="Interrogations at the Hoeryong detention centre, 2016–2019")
    session.add(incident)
    session.flush()
    acts = {
        "torture": act(
            session, incident.id, "torture_interrogation", "2017-03", facility.id, victims="V-1 V-2"
        ),
        "detention": act(session, incident.id, "arbitrary_detention", "2016", facility.id, victim_count=12),
        "labour": act(session, incident.id, "forced_labour", "2018", facility.id),
        "death": act(session, incident.id, "death_in_custody", "2019-05-02", facility.id),
    }
    involvements = {}
    for key, person, degree in [
        ("torture", ri, "ordered"),
        ("torture", guard, "carried_out"),
        ("detention", ri, "ordered"),
        ("labour", ri, "superior_failed"),
        ("death", ri, "ordered"),
    ]:
        row = Involvement(act_id=acts[key], person_id=person, degree=degree, confidence="medium")
        session.add(row)
        session.flush()
        involvements[(key, person)] = row.id

    records = Records(
        ri, guard, minister, ministry, province, county, unit, facility.id, acts, identity=identity
    )
    sources: dict[str, Source] = {}

    def source(ref: str) -> Source:
        if ref not in sources:
            sources[ref] = Source(ref=ref)
            session.add(sources[ref])
            session.flush()
        return sources[ref]

    def submit(ref: str | None, state: str, consents: tuple[str, ...], **link: int) -> str:
        sid, digest = submission(session, identity, state, date(2024, 5, 1))
        records.digests.setdefault(ref or "unattributed", []).append(digest)
        if ref is not None:
            session.add(
                SubmissionSource(
                    submission_id=sid,
                    source_id=source(ref).id,
                    recorded_by_id=recorder.id,
                    **{f"consent_{scope}": True for scope in consents},
                )
            )
        if link:
            session.add(
                Information(
                    submission_id=sid,
                    connection="victim",
                    reliability="likely_reliable",
                    created_by_id=recorder.id,
                    **link,
                )
            )
        session.flush()
        return sid

    every = ("documentation", "sanctions", "public")
    original = submit("W-0001", "verified", every, act_id=acts["torture"])
    duplicate = submit("W-0001", "duplicate", every, act_id=acts["torture"])
    session.add(Triage(submission_id=duplicate, duplicate_of_id=original))
    submit(
        "W-0002", "verified", ("documentation", "sanctions"), involvement_id=involvements[("torture", guard)]
    )
    submit("W-0003", "verified", ("documentation", "public"), act_id=acts["torture"])
    submit("W-0003", "verified", ("documentation", "public"), incident_id=incident.id)
    submit("W-0004", "verified", every, act_id=acts["labour"])
    submit("W-0004", "withdrawn", ())
    submit(None, "verified", (), act_id=acts["death"])
    submit("W-0005", "new", every, act_id=acts["torture"])
    session.flush()
    return records
