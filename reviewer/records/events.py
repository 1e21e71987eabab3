"""Incidents, acts, involvement and information: the services behind the incident and act pages and the
linking page of a submission (no Flask).

Every create, update and delete is written to the audit trail in the caller's transaction, with the names of
the fields that changed and never their content (the caller commits). Rules kept here:

- an act's violation type comes from the intake form's taxonomy; its date is a partial date or a period
  (``date_lo``/``date_hi`` from reviewer/records/dates.py; unknown: the widest period); its place is a
  facility or a province/county with free text; its victims are pseudonyms (``V-1 V-2``) or a count;
- information links a submission to exactly one incident, act or involvement; a withdrawn submission
  cannot be linked; only a verified one is evidence, any other is a lead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core import audit, divisions
from core.models import Submission
from reviewer.models import Triage, User
from reviewer.records import dates, entities, vocab
from reviewer.records.corroboration import acts_with_at_least
from reviewer.records.models import (
    Act,
    Facility,
    Incident,
    Information,
    Involvement,
    Person,
)
from reviewer.records.sources import refs_of

TITLE_MAX = 300
PLACE_MAX = 200
VICTIMS_MAX = 500
MAX_VICTIM_COUNT = 1_000_000
#: A victim's pseudonym: one to three letters, a hyphen, a number (``V-1``, ``VB-12``).
_PSEUDONYM = re.compile(r"[A-Za-z]{1,3}-\d{1,5}")
_ID = re.compile(r"[0-9]{1,9}")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


class RecordError(ValueError):
    """A change of a record that is refused; ``code`` names the rule (a key of :data:`ERRORS`)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


ERRORS = {
    "title": _l("An incident needs a title (at most 300 characters)."),
    "violation": _l("Choose a violation type from the list."),
    "date": _l("A date is a year, a month or a day: 2019, 2019-03 or 2019-03-14."),
    "date_order": _l("The end of the period comes before its start."),
    "end_without_start": _l("A period needs its start; for one date, fill in the start only."),
    "facility": _l("Choose a facility that exists (and was not merged into another)."),
    "province": _l("Choose a province from the list."),
    "county": _l("The city or county is not in the province chosen."),
    "place": _l("The place has at most 200 characters."),
    "victims": _l(
        "Victims are written as pseudonyms only, such as V-1, V-2 (never names), at most 500 characters."
    ),
    "victim_count": _l("The number of victims is a whole number of at least 1."),
    "has_acts": _l("Remove the incident's acts first."),
    "person": _l("Choose a person who exists (and was not merged into another)."),
    "names": _l("A new person needs a name in Hangul and a romanized name (at most 200 characters each)."),
    "facility_names": _l(
        "A new facility needs a name in Hangul or a romanized name (at most 200 characters each)."
    ),
    "facility_kind": _l("Choose the kind of facility and its agency from the lists."),
    "degree": _l("Choose the person's part in the act from the list."),
    "confidence": _l("Choose a confidence from the list."),
    "duplicate_involvement": _l("This person is already linked to this act with this part."),
    "submission": _l("There is no such submission."),
    "withdrawn": _l("The source withdrew consent: this submission cannot be linked to records."),
    "target": _l("Link the submission to one incident, act or involvement that exists."),
    "connection": _l("Choose the source's connection from the list."),
    "reliability": _l("Choose a reliability from the list."),
    "already_linked": _l("This submission is already linked to this record."),
}


def _now() -> datetime:
    return datetime.now(UTC)


def record_id(value: Any) -> int | None:
    """A record id from a form or a URL (``None`` unless one to nine ASCII digits: no overflow, and no
    other Unicode digits that ``int`` would refuse)."""
    text = str(value or "").strip()
    return int(text) if _ID.fullmatch(text) else None


def _text(value: str | None) -> str | None:
    """Trimmed text, ``None`` when empty."""
    value = (value or "").strip()
    return value or None


# ---- Incidents ----------------------------------------------------------------------------------------


def _incident_fields(title: str | None, summary: str | None) -> dict[str, Any]:
    clean_title = _text(title)
    if clean_title is None or len(clean_title) > TITLE_MAX:
        raise RecordError("title")
    return {"title": clean_title, "summary": _text(summary)}


def create_incident(session: Session, actor: User, *, title: str, summary: str | None = None) -> Incident:
    """A new incident; audited as ``record.create``. Raises :class:`RecordError`."""
    incident = Incident(**_incident_fields(title, summary))
    session.add(incident)
    session.flush()
    audit.record(session, actor, "record.create", f"incident:{incident.id}", fields=["title", "summary"])
    return incident


def update_incident(
    session: Session, actor: User, incident: Incident, *, title: str, summary: str | None
) -> list[str]:
    """Change the incident's title and summary; returns (and audits) the names of the fields changed."""
    changed = _assign(incident, _incident_fields(title, summary))
    if changed:
        incident.updated_at = _now()
        audit.record(session, actor, "record.update", f"incident:{incident.id}", fields=changed)
    return changed


def delete_incident(session: Session, actor: User, incident: Incident) -> None:
    """Delete an incident without acts, with its information links. Raises :class:`RecordError`."""
    if session.scalar(select(func.count(Act.id)).where(Act.incident_id == incident.id)):
        raise RecordError("has_acts")
    links = session.execute(delete(Information).where(Information.incident_id == incident.id)).rowcount
    audit.record(session, actor, "record.delete", f"incident:{incident.id}", information=links)
    session.delete(incident)
    session.flush()


@dataclass(frozen=True)
class IncidentRow:
    """One line of the incident list."""

    incident: Incident
    act_count: int
    violations: list[str]
    date_lo: Any
    date_hi: Any


def incident_page(
    session: Session,
    *,
    violation: str = "",
    min_sources: int = 0,
    before: int | None = None,
    limit: int = 50,
) -> tuple[list[IncidentRow], int | None]:
    """One page of incidents, newest first, and the id to continue before (or ``None``).

    ``violation`` keeps incidents with an act of that type; ``min_sources`` those with an act supported by
    at least that many independent sources (reviewer/records/corroboration.py)."""
    query = select(Incident).order_by(Incident.id.desc()).limit(limit + 1)
    if violation:
        query = query.where(Incident.id.in_(select(Act.incident_id).where(Act.violation == violation)))
    if min_sources > 0:
        supported = select(Act.incident_id).where(Act.id.in_(acts_with_at_least(min_sources)))
        query = query.where(Incident.id.in_(supported))
    if before is not None:
        query = query.where(Incident.id < before)
    found = list(session.scalars(query))
    incidents = found[:limit]
    facts: dict[int, dict[str, Any]] = {
        i.id: {"count": 0, "violations": set(), "lo": None, "hi": None} for i in incidents
    }
    if facts:
        rows = session.execute(
            select(Act.incident_id, Act.violation, Act.date_lo, Act.date_hi).where(
                Act.incident_id.in_(list(facts))
            )
        )
        for incident_id, act_violation, lo, hi in rows:
            fact = facts[incident_id]
            fact["count"] += 1
            fact["violations"].add(act_violation)
            fact["lo"] = lo if fact["lo"] is None else min(fact["lo"], lo)
            fact["hi"] = hi if fact["hi"] is None else max(fact["hi"], hi)
    page = [
        IncidentRow(
            incident,
            facts[incident.id]["count"],
            sorted(facts[incident.id]["violations"]),
            facts[incident.id]["lo"],
            facts[incident.id]["hi"],
        )
        for incident in incidents
    ]
    return page, (incidents[-1].id if len(found) > limit else None)


def find_incidents(session: Session, text: str, *, limit: int = 20) -> list[Incident]:
    """Incidents whose title contains ``text`` (any case), newest first; the newest ones for no text."""
    query = select(Incident).order_by(Incident.id.desc()).limit(limit)
    words = (text or "").strip()
    if words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(func.lower(Incident.title).like(pattern.lower(), escape="\\"))
    return list(session.scalars(query))


# ---- Acts ---------------------------------------------------------------------------------------------


def clean_act(session: Session, form: Mapping[str, Any]) -> dict[str, Any]:
    """The act's columns from a form's fields (``violation``, ``date_start``, ``date_end``, ``facility_id``,
    ``province``, ``county``, ``place``, ``victims``, ``victim_count``, ``description``), checked; raises
    :class:`RecordError` at the first field that is wrong."""
    violation = (form.get("violation") or "").strip()
    if violation not in vocab.VIOLATIONS:
        raise RecordError("violation")
    try:
        start = dates.parse(form.get("date_start"))
        end = dates.parse(form.get("date_end"))
    except dates.PartialDateError as exc:
        raise RecordError("date") from exc
    if end and not start:
        raise RecordError("end_without_start")
    if end == start:
        end = None
    if start and end and dates.latest(end) < dates.earliest(start):
        raise RecordError("date_order")
    date_lo, date_hi = dates.span(start, end)
    facility_id = _facility_id(session, form.get("facility_id"))
    province, county = _division(form.get("province"), form.get("county"))
    place = _text(form.get("place"))
    if place is not None and len(place) > PLACE_MAX:
        raise RecordError("place")
    return {
        "violation": violation,
        "date_start": start,
        "date_end": end,
        "date_lo": date_lo,
        "date_hi": date_hi,
        "facility_id": facility_id,
        "province": province,
        "county": county,
        "place": place,
        "victims": clean_victims(form.get("victims")),
        "victim_count": _victim_count(form.get("victim_count")),
        "description": _text(form.get("description")),
    }


def clean_victims(text: str | None) -> str | None:
    """Victims' pseudonyms as ``V-1 V-2`` (commas or spaces between them); anything that is not a
    pseudonym, such as a name, is refused with :class:`RecordError`."""
    tokens = [token for token in re.split(r"[\s,;]+", text or "") if token]
    if not tokens:
        return None
    if not all(_PSEUDONYM.fullmatch(token) for token in tokens):
        raise RecordError("victims")
    joined = " ".join(dict.fromkeys(token.upper() for token in tokens))
    if len(joined) > VICTIMS_MAX:
        raise RecordError("victims")
    return joined


def _victim_count(value: Any) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    count = record_id(text)
    if count is None or not 1 <= count <= MAX_VICTIM_COUNT:
        raise RecordError("victim_count")
    return count


def _facility_id(session: Session, value: Any) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    facility_id = record_id(text)
    facility = session.get(Facility, facility_id) if facility_id is not None else None
    if facility is None or facility.merged_into_id is not None:
        raise RecordError("facility")
    return facility.id


def _division(province: str | None, county: str | None) -> tuple[str | None, str | None]:
    province, county = _text(province), _text(county)
    if county is not None:
        division = divisions.find(county)
        if division is None or (province is not None and division.province_code != province):
            raise RecordError("county")
        return division.province_code, county
    if province is not None and divisions.province(province) is None:
        raise RecordError("province")
    return province, None


def create_act(session: Session, actor: User, incident: Incident, form: Mapping[str, Any]) -> Act:
    """A new act in ``incident`` from a form's fields (:func:`clean_act`); audited as ``record.create``."""
    fields = clean_act(session, form)
    act = Act(incident_id=incident.id, **fields)
    session.add(act)
    incident.updated_at = _now()
    session.flush()
    given = sorted(name for name, value in fields.items() if value is not None)
    audit.record(session, actor, "record.create", f"act:{act.id}", incident=incident.id, fields=given)
    return act


def update_act(session: Session, actor: User, act: Act, form: Mapping[str, Any]) -> list[str]:
    """Change the act from a form's fields; returns (and audits) the names of the fields changed."""
    changed = _assign(act, clean_act(session, form))
    if changed:
        incident = session.get(Incident, act.incident_id)
        if incident is not None:
            incident.updated_at = _now()
        audit.record(session, actor, "record.update", f"act:{act.id}", fields=changed)
    return changed


def delete_act(session: Session, actor: User, act: Act) -> None:
    """Delete an act with its involvements and every information link to them or to it."""
    involvement_ids = list(session.scalars(select(Involvement.id).where(Involvement.act_id == act.id)))
    links = session.execute(delete(Information).where(Information.act_id == act.id)).rowcount
    if involvement_ids:
        links += session.execute(
            delete(Information).where(Information.involvement_id.in_(involvement_ids))
        ).rowcount
        session.execute(delete(Involvement).where(Involvement.id.in_(involvement_ids)))
    audit.record(
        session,
        actor,
        "record.delete",
        f"act:{act.id}",
        incident=act.incident_id,
        involvements=len(involvement_ids),
        information=links,
    )
    session.delete(act)
    session.flush()


# ---- Involvement --------------------------------------------------------------------------------------


def _involvement_fields(
    degree: str | None, confidence: str | None, exculpatory: str | None
) -> dict[str, Any]:
    if degree not in vocab.DEGREES:
        raise RecordError("degree")
    if confidence not in vocab.CONFIDENCES:
        raise RecordError("confidence")
    return {"degree": degree, "confidence": confidence, "exculpatory": _text(exculpatory)}


def _duplicate(session: Session, act_id: int, person_id: int, degree: str, other_than: int | None) -> bool:
    query = select(Involvement.id).where(
        Involvement.act_id == act_id, Involvement.person_id == person_id, Involvement.degree == degree
    )
    if other_than is not None:
        query = query.where(Involvement.id != other_than)
    return session.scalar(query.limit(1)) is not None


def add_involvement(
    session: Session,
    actor: User,
    act: Act,
    person_id: int | str | None,
    *,
    degree: str | None,
    confidence: str | None,
    exculpatory: str | None = None,
) -> Involvement:
    """Link a person to ``act`` with a degree and a confidence; audited as ``record.create``."""
    chosen = record_id(person_id)
    person = session.get(Person, chosen) if chosen is not None else None
    if person is None or person.merged_into_id is not None:
        raise RecordError("person")
    fields = _involvement_fields(degree, confidence, exculpatory)
    if _duplicate(session, act.id, person.id, fields["degree"], None):
        raise RecordError("duplicate_involvement")
    involvement = Involvement(act_id=act.id, person_id=person.id, **fields)
    session.add(involvement)
    session.flush()
    audit.record(
        session,
        actor,
        "record.create",
        f"involvement:{involvement.id}",
        act=act.id,
        person=person.id,
        fields=sorted(name for name, value in fields.items() if value is not None),
    )
    return involvement


def update_involvement(
    session: Session,
    actor: User,
    involvement: Involvement,
    *,
    degree: str | None,
    confidence: str | None,
    exculpatory: str | None,
) -> list[str]:
    """Change an involvement's degree, confidence and exculpatory note; returns (and audits) what changed."""
    fields = _involvement_fields(degree, confidence, exculpatory)
    if _duplicate(session, involvement.act_id, involvement.person_id, fields["degree"], involvement.id):
        raise RecordError("duplicate_involvement")
    changed = _assign(involvement, fields)
    if changed:
        audit.record(session, actor, "record.update", f"involvement:{involvement.id}", fields=changed)
    return changed


def remove_involvement(session: Session, actor: User, involvement: Involvement) -> None:
    """Remove an involvement and the information linked to it; audited as ``record.delete``."""
    links = session.execute(delete(Information).where(Information.involvement_id == involvement.id)).rowcount
    audit.record(
        session,
        actor,
        "record.delete",
        f"involvement:{involvement.id}",
        act=involvement.act_id,
        person=involvement.person_id,
        information=links,
    )
    session.delete(involvement)
    session.flush()


# ---- Persons and facilities made on the way -----------------------------------------------------------


def quick_person(session: Session, actor: User, *, hangul: str | None, romanized: str | None) -> Person:
    """A new person known by one Hangul name and one romanized (North Korean style) name, made through the
    person service (indexed for search, audited); the person page completes the rest."""
    hangul, romanized = _text(hangul), _text(romanized)
    if hangul is None or romanized is None or not _HANGUL.search(hangul):
        raise RecordError("names")
    names = [
        entities.NameInput(hangul, "hangul", lang="ko"),
        entities.NameInput(romanized, "dprk", lang="en"),
    ]
    try:
        return entities.save_person(session, actor, entities.PersonInput(names=names))
    except entities.Refused as exc:
        raise RecordError("names") from exc


def quick_facility(
    session: Session,
    actor: User,
    *,
    hangul: str | None,
    romanized: str | None,
    kind: str | None,
    agency: str | None,
) -> Facility:
    """A new facility known by a name (Hangul, romanized or both), its kind and agency, made through the
    facility service (indexed for search, audited); the facility page completes the rest."""
    names = [
        entities.FacilityNameInput(name, style)
        for name, style in ((_text(hangul), "hangul"), (_text(romanized), "dprk"))
        if name
    ]
    if not names:
        raise RecordError("facility_names")
    data = entities.FacilityInput(names=names, kind=kind or "", agency=agency or "")
    try:
        return entities.save_facility(session, actor, data)
    except entities.Refused as exc:
        kind_wrong = {"kind", "agency"} & set(exc.errors)
        raise RecordError("facility_kind" if kind_wrong else "facility_names") from exc


def facility_choices(session: Session, *, limit: int = 300) -> list[tuple[int, str]]:
    """(id, caption) of the facilities not merged, sorted by caption, for a select."""
    ids = list(
        session.scalars(
            select(Facility.id).where(Facility.merged_into_id.is_(None)).order_by(Facility.id).limit(limit)
        )
    )
    captions = entities.facility_captions(session, ids)
    return sorted(captions.items(), key=lambda item: item[1])


# ---- Information --------------------------------------------------------------------------------------


def _information_fields(connection: str | None, reliability: str | None) -> dict[str, str]:
    if connection not in vocab.CONNECTIONS:
        raise RecordError("connection")
    if reliability not in vocab.RELIABILITIES:
        raise RecordError("reliability")
    return {"connection": connection, "reliability": reliability}


_TARGETS = {
    "incident": (Incident, "incident_id"),
    "act": (Act, "act_id"),
    "involvement": (Involvement, "involvement_id"),
}


def link_information(
    session: Session,
    actor: User,
    submission_id: str,
    target_kind: str,
    target_id: int | str | None,
    *,
    connection: str | None,
    reliability: str | None,
) -> Information:
    """Record that the submission is a source for one incident, act or involvement (``target_kind``);
    audited as ``record.create``. A withdrawn submission is refused; any other may be linked (only a
    verified one counts as evidence). Raises :class:`RecordError`."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise RecordError("submission")
    if submission.state == "withdrawn":
        raise RecordError("withdrawn")
    if target_kind not in _TARGETS:
        raise RecordError("target")
    model, column = _TARGETS[target_kind]
    chosen = record_id(target_id)
    target = session.get(model, chosen) if chosen is not None else None
    if target is None:
        raise RecordError("target")
    fields = _information_fields(connection, reliability)
    already = select(Information.id).where(
        Information.submission_id == submission.id, getattr(Information, column) == target.id
    )
    if session.scalar(already.limit(1)) is not None:
        raise RecordError("already_linked")
    information = Information(
        submission_id=submission.id, created_by_id=actor.id, **{column: target.id}, **fields
    )
    session.add(information)
    session.flush()
    audit.record(
        session,
        actor,
        "record.create",
        f"information:{information.id}",
        submission=submission.id,
        target=f"{target_kind}:{target.id}",
        fields=["connection", "reliability"],
    )
    return information


def update_information(
    session: Session,
    actor: User,
    information: Information,
    *,
    connection: str | None,
    reliability: str | None,
) -> list[str]:
    """Change an information link's connection and reliability; returns (and audits) what changed."""
    changed = _assign(information, _information_fields(connection, reliability))
    if changed:
        audit.record(session, actor, "record.update", f"information:{information.id}", fields=changed)
    return changed


def remove_information(session: Session, actor: User, information: Information) -> None:
    """Remove an information link; audited as ``record.delete``."""
    audit.record(
        session,
        actor,
        "record.delete",
        f"information:{information.id}",
        submission=information.submission_id,
        target=information_target(information),
    )
    session.delete(information)
    session.flush()


def information_target(information: Information) -> str:
    """``incident:3``, ``act:7`` or ``involvement:2``."""
    for kind, (_model, column) in _TARGETS.items():
        value = getattr(information, column)
        if value is not None:
            return f"{kind}:{value}"
    raise AssertionError("information without a target")  # the table's check constraint forbids it


@dataclass(frozen=True)
class InformationView:
    """An information link as pages show it: ``standing`` is ``evidence`` (a verified submission, or a
    duplicate of one) or ``lead`` (any other state)."""

    information: Information
    submission_id: str
    state: str
    standing: str
    source_ref: str | None


def information_views(session: Session, rows: list[Information]) -> list[InformationView]:
    """Each information link with its submission's state, standing and source reference."""
    if not rows:
        return []
    ids = {row.submission_id for row in rows}
    states = dict(
        session.execute(select(Submission.id, Submission.state).where(Submission.id.in_(ids))).all()
    )
    originals = dict(
        session.execute(
            select(Triage.submission_id, Triage.duplicate_of_id).where(
                Triage.submission_id.in_(ids), Triage.duplicate_of_id.is_not(None)
            )
        ).all()
    )
    original_states = (
        dict(
            session.execute(
                select(Submission.id, Submission.state).where(Submission.id.in_(set(originals.values())))
            ).all()
        )
        if originals
        else {}
    )
    refs = refs_of(session, ids | set(originals.values()))
    views = []
    for row in rows:
        state = states[row.submission_id]
        original = originals.get(row.submission_id) if state == "duplicate" else None
        effective = original_states.get(original, state) if original else state
        standing = (
            "withdrawn"
            if "withdrawn" in (state, effective)
            else ("evidence" if effective == "verified" else "lead")
        )
        ref = refs.get(row.submission_id) or (refs.get(original) if original else None)
        views.append(InformationView(row, row.submission_id, state, standing, ref))
    return views


def information_on(session: Session, **target: Any) -> list[Information]:
    """The information links on one target: ``incident_id=``, ``act_id=`` or ``involvement_id=`` (a
    collection of ids for ``involvement_ids=``), oldest first."""
    query = select(Information).order_by(Information.id)
    if "involvement_ids" in target:
        ids = list(target["involvement_ids"])
        if not ids:
            return []
        query = query.where(Information.involvement_id.in_(ids))
    else:
        ((column, value),) = target.items()
        query = query.where(getattr(Information, column) == value)
    return list(session.scalars(query))


def information_of_submission(session: Session, submission_id: str) -> list[Information]:
    """Every information link of a submission, oldest first."""
    return list(
        session.scalars(
            select(Information).where(Information.submission_id == submission_id).order_by(Information.id)
        )
    )


# ---- Shared ---------------------------------------------------------------------------------------------


def _assign(record: Any, fields: Mapping[str, Any]) -> list[str]:
    """Set ``fields`` on ``record``; returns the names of those whose value changed."""
    changed = []
    for name, value in fields.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed.append(name)
    return sorted(changed)
