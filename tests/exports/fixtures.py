"""Records to build dossiers from, shared by the export tests (E1, E2) and bench/exports.py.

:func:`build_records` makes, in the current application context and through the records services as a
reviewer's forms would (so that they are checked, indexed for search and audited like real records):

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
from reviewer.records import events, information, involvements, sources
from reviewer.records.facilities import FacilityInput, FacilityNameInput, save_facility
from reviewer.records.models import Act, Organization
from reviewer.records.organizations import OrganizationInput, save_organization
from reviewer.records.persons import IdentifierInput, NameInput, PersonInput, save_person
from reviewer.records.posts import OccupancyInput, PositionInput, save_occupancy, save_position


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


def seal(identity: Identity, payload: bytes) -> bytes:
    """A real envelope holding ``payload``, sealed to ``identity``."""
    out = io.BytesIO()
    encrypt_parts(out, [identity.public_key], [("answers.json", "application/json", payload)])
    return out.getvalue()


def _submission(session: Session, identity: Identity, state: str, received_on: date) -> tuple[str, str]:
    """A submission already in ``state`` (as triage would have left it) with one envelope; returns its id and
    the envelope's SHA-256."""
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


def build_records(session: Session) -> Records:
    """The records described in the module docstring, made through the records services as a reviewer
    would make them (flushed, not committed)."""
    recorder = User(login=f"fixture-{secrets.token_hex(4)}", display_name="Fixture", is_reviewer=True)
    session.add(recorder)
    session.flush()
    identity = Identity.generate()

    def organization(name_ko: str, name_en: str, kind: str, parent: int | None) -> int:
        data = OrganizationInput(name_ko=name_ko, name_en=name_en, kind=kind, parent_id=str(parent or ""))
        return save_organization(session, recorder, data).id

    def person(*names: NameInput) -> int:
        return save_person(session, recorder, PersonInput(names=list(names))).id

    def post(
        organization_id: int, title_ko: str, title_en: str, head: bool, holder: int, start: str, end: str
    ) -> None:
        held = session.get(Organization, organization_id)
        position = save_position(session, recorder, held, PositionInput(title_ko, title_en, head))
        save_occupancy(session, recorder, OccupancyInput(str(holder), str(position.id), start, end))

    ministry = organization("국가보위성", "Ministry of State Security", "ministry", None)
    province = organization(
        "함경북도 보위국", "North Hamgyong Provincial Security Bureau", "bureau", ministry
    )
    county = organization("회령시 보위부", "Hoeryong City Security Department", "bureau", province)
    unit = organization("구류장 경비대", "Detention Centre Guard Unit", "unit", county)

    ri = save_person(
        session,
        recorder,
        PersonInput(
            names=[
                NameInput("리창대", "hangul"),
                NameInput("Ri Chang Dae", "dprk"),
                NameInput("Lee Chang-dae", "rr"),
                NameInput("Ri Chang-de", "other", "alias", "weak"),
            ],
            gender="male",
            birth_date="1961-04",
            birth_place="Chongjin",
            nationality="kp",
            identifiers=[IdentifierInput("passport", "745123456", "kp")],
            exculpatory="Reported to have released two detainees early in 2018.",
        ),
    ).id
    minister = person(NameInput("김정호", "hangul"), NameInput("Kim Jong Ho", "dprk"))
    chief = person(NameInput("박성철", "hangul"))
    guard = person(NameInput("최민수", "hangul"), NameInput("Choe Min Su", "dprk"))
    post(ministry, "국가보위상", "Minister of State Security", True, minister, "2012", "2021")
    post(province, "보위국장", "Bureau Chief", True, chief, "2014", "2020")
    post(county, "보위부장", "Department Chief", True, ri, "2015-03", "2020")
    post(unit, "경비원", "Guard", False, guard, "2016", "2019")

    facility = save_facility(
        session,
        recorder,
        FacilityInput(
            names=[
                FacilityNameInput("회령 구류장", "hangul"),
                FacilityNameInput("Hoeryong Detention Centre", "other"),
            ],
            kind="kuryujang",
            agency="mss",
            organization_id=str(unit),
            latitude="42.45",
            longitude="129.75",
        ),
    )
    incident = events.create_incident(
        session, recorder, title="Interrogations at the Hoeryong detention centre, 2016–2019"
    )

    def act(violation: str, start: str, **fields: str) -> Act:
        form = {"violation": violation, "date_start": start, "facility_id": str(facility.id), **fields}
        return events.create_act(session, recorder, incident, form)

    acts = {
        "torture": act("torture_interrogation", "2017-03", victims="V-1 V-2"),
        "detention": act("arbitrary_detention", "2016", victim_count="12"),
        "labour": act("forced_labour", "2018"),
        "death": act("death_in_custody", "2019-05-02"),
    }
    involvement_ids = {}
    for key, involved, degree in [
        ("torture", ri, "ordered"),
        ("torture", guard, "carried_out"),
        ("detention", ri, "ordered"),
        ("labour", ri, "superior_failed"),
        ("death", ri, "ordered"),
    ]:
        row = involvements.add_involvement(
            session, recorder, acts[key], involved, degree=degree, confidence="medium"
        )
        involvement_ids[(key, involved)] = row.id

    records = Records(
        ri,
        guard,
        minister,
        ministry,
        province,
        county,
        unit,
        facility.id,
        {key: row.id for key, row in acts.items()},
        identity=identity,
    )

    recorded: set[str] = set()

    def submit(
        ref: str | None, state: str, consents: tuple[str, ...], target: str = "", target_id: int = 0
    ) -> str:
        sid, digest = _submission(session, identity, state, date(2024, 5, 1))
        records.digests.setdefault(ref or "unattributed", []).append(digest)
        if ref is not None:
            # A source seen for the first time gets the next reference, which is ``ref``: they come in order.
            given = {f"consent_{scope}": True for scope in consents}
            submission = session.get(Submission, sid)
            sources.record_source(
                session, recorder, submission, ref=ref if ref in recorded else None, consents=given
            )
            recorded.add(ref)
            assert sources.refs_of(session, [sid]) == {sid: ref}
        if target:
            information.link_information(
                session, recorder, sid, target, target_id, connection="victim", reliability="likely_reliable"
            )
        session.flush()
        return sid

    every = ("documentation", "sanctions", "public")
    torture = acts["torture"].id
    original = submit("W-0001", "verified", every, "act", torture)
    duplicate = submit("W-0001", "duplicate", every, "act", torture)
    session.add(Triage(submission_id=duplicate, duplicate_of_id=original))
    submit(
        "W-0002",
        "verified",
        ("documentation", "sanctions"),
        "involvement",
        involvement_ids[("torture", guard)],
    )
    submit("W-0003", "verified", ("documentation", "public"), "act", torture)
    submit("W-0003", "verified", ("documentation", "public"), "incident", incident.id)
    submit("W-0004", "verified", every, "act", acts["labour"].id)
    submit("W-0004", "withdrawn", ())
    submit(None, "verified", (), "act", acts["death"].id)
    submit("W-0005", "new", every, "act", torture)
    session.flush()
    return records
