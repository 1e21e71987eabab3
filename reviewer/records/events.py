"""Incidents and their acts (the events of HURIDOCS' model), as a service, no Flask; and the refusal that
every event record's service raises (:class:`RecordError`, with the translated rule of each code).

Every create, update and delete is written to the audit trail in the caller's transaction, with the names of
the fields that changed and never their content (the caller commits). An act's violation type comes from
the intake form's taxonomy; its date is a partial date or a period (``date_lo``/``date_hi`` from
reviewer/records/dates.py; unknown: the widest period); its place is a facility or a province/county with
free text; its victims are pseudonyms (``V-1 V-2``) or a count. Who had a part in an act is in
reviewer/records/involvements.py, which submission backs what in reviewer/records/information.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core import audit, divisions
from reviewer.models import User
from reviewer.records import dates, vocab
from reviewer.records.corroboration import acts_with_at_least
from reviewer.records.forms import now, text
from reviewer.records.models import Act, Facility, Incident, Information, Involvement

TITLE_MAX = 300
PLACE_MAX = 200
VICTIMS_MAX = 500
MAX_VICTIM_COUNT = 1_000_000
#: A victim's pseudonym: one to three letters, a hyphen, a number (``V-1``, ``VB-12``).
_PSEUDONYM = re.compile(r"[A-Za-z]{1,3}-\d{1,5}")
_ID = re.compile(r"[0-9]{1,9}")


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


def record_id(value: Any) -> int | None:
    """A record id from a form or a URL (``None`` unless one to nine ASCII digits: no overflow, and no
    other Unicode digits that ``int`` would refuse)."""
    text = str(value or "").strip()
    return int(text) if _ID.fullmatch(text) else None


def assign(record: Any, fields: Mapping[str, Any]) -> list[str]:
    """Set ``fields`` on ``record``; returns the names of those whose value changed."""
    changed = []
    for name, value in fields.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed.append(name)
    return sorted(changed)


# ---- Incidents ----------------------------------------------------------------------------------------


def _incident_fields(title: str | None, summary: str | None) -> dict[str, Any]:
    clean_title = text(title)
    if clean_title is None or len(clean_title) > TITLE_MAX:
        raise RecordError("title")
    return {"title": clean_title, "summary": text(summary)}


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
    changed = assign(incident, _incident_fields(title, summary))
    if changed:
        incident.updated_at = now()
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
    place = text(form.get("place"))
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
        "description": text(form.get("description")),
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
    province, county = text(province), text(county)
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
    incident.updated_at = now()
    session.flush()
    given = sorted(name for name, value in fields.items() if value is not None)
    audit.record(session, actor, "record.create", f"act:{act.id}", incident=incident.id, fields=given)
    return act


def update_act(session: Session, actor: User, act: Act, form: Mapping[str, Any]) -> list[str]:
    """Change the act from a form's fields; returns (and audits) the names of the fields changed."""
    changed = assign(act, clean_act(session, form))
    if changed:
        incident = session.get(Incident, act.incident_id)
        if incident is not None:
            incident.updated_at = now()
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
