"""What the services behind the person, organization, post and facility forms share: the refusal they
raise, stored text as a form shows it, the checks of text, Korean and English name pairs, record numbers,
partial dates and North Korea's divisions, what is known of a record, and the audit entry of a save.

Views hand a service what a form sent as a dataclass of text; the service checks it, raises
:class:`Refused` with nothing written, or writes it and audits the names of the fields that changed (never
their values), all in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from core import audit, divisions
from reviewer.models import User
from reviewer.records import dates

NAME_MAX = 200

Record = TypeVar("Record")


class Refused(Exception):
    """What a form sent cannot be saved: ``errors`` maps each field (or ``""`` for the whole form) to a
    stable code that views translate."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(f"{name or 'form'}: {code}" for name, code in errors.items()))
        self.errors = errors


def text(value: str | None) -> str | None:
    """Trimmed text, or ``None`` for nothing but spaces."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def as_text(record: Any, *names: str) -> dict[str, str]:
    """A stored record's optional text fields ``names`` as its form shows them: ``""`` for none."""
    return {name: getattr(record, name) or "" for name in names}


def too_long(value: str | None, limit: int) -> bool:
    return value is not None and len(value) > limit


def ko_en(errors: dict[str, str], field: str, ko: str, en: str, limit: int) -> tuple[str | None, str | None]:
    """A required Korean text and an optional English one (fields ``<field>_ko`` and ``<field>_en``),
    trimmed; ``required`` or ``too_long`` noted for the field at fault."""
    ko_text, en_text = text(ko), text(en)
    if ko_text is None:
        errors[f"{field}_ko"] = "required"
    elif too_long(ko_text, limit):
        errors[f"{field}_ko"] = "too_long"
    if too_long(en_text, limit):
        errors[f"{field}_en"] = "too_long"
    return ko_text, en_text


def by_id(session: Session, model: type[Record], value: str) -> Record | None:
    """The ``model`` record numbered ``value`` (a form's text, spaces trimmed), or ``None`` when the text is
    not a number or no such record exists."""
    value = value.strip()
    return session.get(model, int(value)) if value.isdigit() else None


def partial_date(errors: dict[str, str], name: str, value: str) -> str | None:
    """A partial date (reviewer/records/dates.py), or ``None`` with ``bad_date`` noted for field ``name``."""
    try:
        return dates.parse(value)
    except dates.PartialDateError:
        errors[name] = "bad_date"
        return None


def division(errors: dict[str, str], province: str, county: str) -> tuple[str | None, str | None]:
    """Checked province and county codes: the county must belong to the province (a county alone gives
    its province)."""
    province_code = text(province)
    county_code = text(county)
    if province_code is not None and divisions.province(province_code) is None:
        errors["province"] = "bad_province"
        return None, None
    if county_code is not None:
        found = divisions.find(county_code)
        if found is None:
            errors["county"] = "bad_county"
            return province_code, None
        if province_code is None:
            province_code = found.province_code
        elif found.province_code != province_code:
            errors["county"] = "county_not_in_province"
    return province_code, county_code


def now() -> datetime:
    return datetime.now(UTC)


def write_known(session: Session, record: Any, description: str, exculpatory: str) -> None:
    """Set what is known of a person, organization or facility and what is in its favour (as typed in its
    form), stamp the change, and flush so that a new record has its id."""
    record.description = text(description)
    record.exculpatory = text(exculpatory)
    record.updated_at = now()
    session.flush()


def save(
    session: Session,
    actor: User,
    kind: str,
    record: Record | None,
    make: Callable[[], Record],
    fill: Callable[[Record], None],
    as_form: Callable[[Record], Any],
) -> Record:
    """Create a record of ``kind`` with ``make`` (``record`` None) or change ``record``: ``fill`` sets what
    the checked form says, then the record is audited as ``record.create`` or, if any field of its form
    (``as_form``, such as ``PersonInput.of``) changed, ``record.update``, naming those fields."""
    before = None if record is None else asdict(as_form(record))
    if record is None:
        record = make()
        session.add(record)
    fill(record)
    session.flush()
    after = asdict(as_form(record))
    changed = sorted(name for name in after if before is None or before.get(name) != after[name])
    subject = f"{kind}:{record.id}"  # type: ignore[attr-defined]
    if before is None:
        audit.record(session, actor, "record.create", subject, fields=changed)
    elif changed:
        audit.record(session, actor, "record.update", subject, fields=changed)
    return record
