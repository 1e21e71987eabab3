"""Who submits the dossiers: the organization and its point of contact, kept in the ``settings`` table as
``export.submitter.<field>`` so that every host and the command line agree. Admins edit them on the
export settings page; :func:`reviewer.exports.dossier.build` prints them in every dossier.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Setting

#: Field name -> label, in the order the page and the dossier show them.
SUBMITTER_FIELDS: dict[str, object] = {
    "organization": _l("Submitting organization"),
    "contact_name": _l("Point of contact"),
    "email": _l("E-mail"),
    "address": _l("Postal address"),
}

#: The prefix of the setting names; ``export.submitter.organization`` and so on.
SETTING_PREFIX = "export.submitter."

#: Longest value accepted for a field (the postal address may take several lines).
MAX_LENGTH = 1000


def setting_name(field_name: str) -> str:
    """The ``settings`` row name of a submitter field."""
    if field_name not in SUBMITTER_FIELDS:
        raise KeyError(field_name)
    return SETTING_PREFIX + field_name


def load_submitter(session: Session) -> dict[str, str]:
    """Every submitter field, ``""`` where none is set yet."""
    names = [setting_name(field_name) for field_name in SUBMITTER_FIELDS]
    query = select(Setting.name, Setting.value).where(Setting.name.in_(names))
    stored = {name: value for name, value in session.execute(query)}
    return {field_name: stored.get(setting_name(field_name), "") for field_name in SUBMITTER_FIELDS}


def save_submitter(session: Session, values: dict[str, str]) -> list[str]:
    """Store the given fields (stripped) without committing; the names of the fields that changed.

    Unknown field names raise :class:`KeyError`; values longer than :data:`MAX_LENGTH` raise
    :class:`ValueError`.
    """
    changed = []
    for field_name, raw in values.items():
        name = setting_name(field_name)
        value = raw.strip()
        if len(value) > MAX_LENGTH:
            raise ValueError(field_name)
        setting = session.get(Setting, name)
        if setting is None:
            if value:
                session.add(Setting(name=name, value=value))
                changed.append(field_name)
        elif setting.value != value:
            setting.value = value
            changed.append(field_name)
    return changed
