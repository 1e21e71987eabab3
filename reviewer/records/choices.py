"""What the incident, act and linking pages offer to choose from: the vocabularies of their forms, the
facilities an act may be at, the persons found by a name, and the records a submission can be linked to."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core import divisions
from reviewer.records import events, facilities, record_names, search, sources, vocab
from reviewer.records.models import Act, Incident, Involvement
from reviewer.records.pages import locale


def vocabularies() -> dict[str, Any]:
    """The choices of the event forms, labelled in the page's language."""
    here = locale()
    return {
        "violations": vocab.VIOLATIONS,
        "degrees": vocab.DEGREES,
        "confidences": vocab.CONFIDENCES,
        "connections": vocab.CONNECTIONS,
        "reliabilities": vocab.RELIABILITIES,
        "facility_kinds": vocab.FACILITY_KINDS,
        "agencies": vocab.AGENCIES,
        "consent_scopes": sources.SCOPES,
        "province_choices": [(p.code, p.name(here)) for p in divisions.provinces()],
        "county_choices": divisions.choices(here),
    }


def facility_choices(session: Session, query: str, selected: Any) -> list[tuple[int, str]]:
    """The facilities a form offers: the matches of ``query`` (by any spelling), else all (capped), with
    the one already chosen kept."""
    if query.strip():
        ids = [hit.owner_id for hit in search.find(session, query, ("facility",), limit=30)]
        choices = list(record_names.facility_captions(session, ids).items())
    else:
        choices = facilities.facility_choices(session)
    chosen = events.record_id(selected)
    if chosen is not None and chosen not in {facility_id for facility_id, _caption in choices}:
        choices = [*record_names.facility_captions(session, [chosen]).items(), *choices]
    return choices


def person_hits(session: Session, query: str) -> list[tuple[int, str]]:
    """The persons whose names match ``query`` (any spelling), best first, with their captions."""
    if not query.strip():
        return []
    ids = [hit.owner_id for hit in search.find(session, query, ("person",), limit=20)]
    captions = record_names.person_captions(session, ids)
    return [(person_id, captions[person_id]) for person_id in ids]


def link_targets(
    incident: Incident, act: Act | None, involvements: list[Involvement], persons: dict[int, str]
) -> list[tuple[str, int, str]]:
    """What a submission can be linked to from here: the incident, the act, each involvement in it."""
    targets = [("incident", incident.id, _("The whole incident: %(title)s", title=incident.title))]
    if act is not None:
        violation = vocab.VIOLATIONS.get(act.violation, act.violation)
        targets.append(("act", act.id, _("This act: %(violation)s", violation=violation)))
        for row in involvements:
            degree = vocab.DEGREES.get(row.degree, row.degree)
            person = persons.get(row.person_id, "")
            targets.append(("involvement", row.id, _("%(person)s: %(degree)s", person=person, degree=degree)))
    return targets
