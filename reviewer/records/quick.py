"""Persons and facilities recorded on the way, from the act page and a submission's linking page, by a name
or two: made through the person and facility services (indexed for search, audited), so that their own
pages can complete them later. Refusals are :class:`reviewer.records.events.RecordError`."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from reviewer.models import User
from reviewer.records.events import RecordError
from reviewer.records.facilities import FacilityInput, FacilityNameInput, save_facility
from reviewer.records.forms import Refused, text
from reviewer.records.models import Facility, Person
from reviewer.records.persons import NameInput, PersonInput, save_person

_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def quick_person(session: Session, actor: User, *, hangul: str | None, romanized: str | None) -> Person:
    """A new person known by one Hangul name and one romanized (North Korean style) name."""
    hangul, romanized = text(hangul), text(romanized)
    if hangul is None or romanized is None or not _HANGUL.search(hangul):
        raise RecordError("names")
    names = [NameInput(hangul, "hangul", lang="ko"), NameInput(romanized, "dprk", lang="en")]
    try:
        return save_person(session, actor, PersonInput(names=names))
    except Refused as exc:
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
    """A new facility known by a name (Hangul, romanized or both), its kind and agency."""
    names = [
        FacilityNameInput(name, style)
        for name, style in ((text(hangul), "hangul"), (text(romanized), "dprk"))
        if name
    ]
    if not names:
        raise RecordError("facility_names")
    data = FacilityInput(names=names, kind=kind or "", agency=agency or "")
    try:
        return save_facility(session, actor, data)
    except Refused as exc:
        kind_wrong = {"kind", "agency"} & set(exc.errors)
        raise RecordError("facility_kind" if kind_wrong else "facility_names") from exc
