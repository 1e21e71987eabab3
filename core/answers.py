"""The testimony questionnaire: its fields, the violation taxonomy, and the answers document sealed in part 1.

Both the browser and the server build the same ``answers.json`` (docs/source-intake.md): every non-empty
text field of the form by name, so that what the source wrote reaches reviewers exactly as typed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

ANSWERS_PART = "answers.json"
ANSWERS_FORMAT = "sori-answers/1"
#: The last part of an envelope with attachments: what hidden metadata was removed from each
#: (docs/source-intake.md, "The envelope of a submission").
FILES_PART = "files.json"
FILES_FORMAT = "sori-files/1"
#: The form's choice to keep attachments as they are, hidden details included (not recommended).
KEEP_METADATA = "keep_metadata"

#: Fields the server handles itself and never seals into the answers.
CONTROL_FIELDS = frozenset({"csrf_token", "follow_up_key", "form_nonce"})
#: A field the form may repeat; every other field is kept as one string.
MULTI_FIELDS = frozenset({"violations"})
#: Per-field limit: long enough for any account typed by hand, short enough to bound server memory.
FIELD_MAX_BYTES = 1024 * 1024
FIELDS_MAX_BYTES = 4 * 1024 * 1024
PERSON_BLOCKS = 3

TEXT_FIELDS = frozenset(
    {
        "submitter",
        "on_behalf_of",
        "what_happened",
        "when_kind",
        "when_date",
        "when_year",
        "when_month",
        "when_season",
        "when_from_year",
        "when_from_month",
        "when_to_year",
        "when_to_month",
        "where_facility",
        "where_division",
        "where_other",
        "violations",
        "consent_documentation",
        "consent_sanctions",
        "consent_public",
        "consent_contact",
        KEEP_METADATA,
    }
)
_PERSON_FIELD = re.compile(r"who-[1-9][0-9]?-(name|position|unit|description)")

SUBMITTERS = {
    "survivor": _l("I am telling what happened to me"),
    "witness": _l("I am telling what I saw happen to others"),
    "intermediary": _l("I am an interviewer entering someone else's account"),
}

#: The fixed taxonomy of DESIGN section 4, in the order the form lists it.
VIOLATIONS = {
    "arbitrary_detention": _l("Arbitrary arrest or detention"),
    "torture_interrogation": _l("Torture or beating during interrogation"),
    "stress_positions": _l("Forced stress positions (made to sit or kneel still for hours)"),
    "forced_nudity_search": _l("Forced nudity or invasive body searches"),
    "rape": _l("Rape"),
    "sexual_violence": _l("Other sexual violence"),
    "forced_abortion": _l("Forced abortion"),
    "infanticide": _l("Killing of a newborn baby"),
    "food_deprivation": _l("Deprivation of food"),
    "inhumane_conditions": _l("Inhumane conditions of detention"),
    "medical_denial": _l("Denial of medical care"),
    "forced_labour": _l("Forced labour"),
    "unfair_trial": _l("No fair trial"),
    "death_in_custody": _l("Death in custody"),
    "religious_persecution": _l("Punishment for religion"),
    "repatriation_persecution": _l("Punishment after forced return from China"),
}

WHEN_KINDS = {
    "exact": _l("On a known day"),
    "approximate": _l("About when (year, month or season)"),
    "range": _l("Over a period"),
    "unknown": _l("I do not know"),
}

#: The date fields of each kind of "when". The form shows only the chosen kind's fields, and the fields of the
#: other kinds (or of no kind chosen) are dropped on every path, so nothing the source did not mean is kept.
WHEN_FIELDS = {
    "exact": frozenset({"when_date"}),
    "approximate": frozenset({"when_year", "when_month", "when_season"}),
    "range": frozenset({"when_from_year", "when_from_month", "when_to_year", "when_to_month"}),
    "unknown": frozenset(),
}
_ALL_WHEN_FIELDS = frozenset().union(*WHEN_FIELDS.values())

SEASONS = {"spring": _l("Spring"), "summer": _l("Summer"), "autumn": _l("Autumn"), "winter": _l("Winter")}

CONSENTS = {
    "consent_documentation": (
        _l("Documentation"),
        _l(
            "Reviewers may read your account, check it against others and keep it as a record of what "
            "happened."
        ),
    ),
    "consent_sanctions": (
        _l("Sanctions"),
        _l(
            "Your account, without your name, may be given to governments to ask them to sanction the "
            "officials "
            "responsible (for example the United States, the United Kingdom and the European Union)."
        ),
    ),
    "consent_public": (
        _l("Public reports"),
        _l("What happened may be described in public reports, with nothing that could identify you."),
    ),
    "consent_contact": (
        _l("Follow-up questions"),
        _l("Reviewers may leave questions for you, which you can read only with your receipt."),
    ),
}


class AnswersError(ValueError):
    """A form field that no form of ours sends: an unknown name, or too much text."""


def is_field_name(name: str) -> bool:
    """Whether ``name`` is a text field of the questionnaire (or a control field)."""
    return name in TEXT_FIELDS or name in CONTROL_FIELDS or _PERSON_FIELD.fullmatch(name) is not None


def collect(pairs: Iterable[tuple[str, str]]) -> dict[str, str | list[str]]:
    """The ``fields`` of the answers document from ``(name, value)`` pairs in form order.

    Control fields, empty values and the date fields of a kind of "when" other than the one chosen are left
    out; ``violations`` becomes a list. Raises :class:`AnswersError` for an unknown field name."""
    fields: dict[str, str | list[str]] = {}
    for name, value in pairs:
        if not is_field_name(name):
            raise AnswersError(f"unknown form field {name[:40]!r}")
        if name in CONTROL_FIELDS or not value.strip():
            continue
        if name in MULTI_FIELDS:
            values = fields.get(name)
            fields[name] = [*values, value] if isinstance(values, list) else [value]
        else:
            fields[name] = value
    kind = fields.get("when_kind")
    chosen = WHEN_FIELDS.get(kind, frozenset()) if isinstance(kind, str) else frozenset()
    for name in _ALL_WHEN_FIELDS - chosen:
        fields.pop(name, None)
    return fields


def tells_what_happened(fields: dict[str, str | list[str]]) -> bool:
    """Whether a new account answers the one question it must: "What happened?" (not only white space)."""
    return "what_happened" in fields


def document(fields: dict[str, str | list[str]], *, lang: str, path: str) -> bytes:
    """The UTF-8 JSON of part 1 of a submission's envelope."""
    return json.dumps(
        {"format": ANSWERS_FORMAT, "lang": lang, "path": path, "fields": fields},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")


def files_document(files: list[dict[str, object]]) -> bytes:
    """The UTF-8 JSON of the files part: per attachment, in order, its ``name``, and either ``kept: true``
    (the source chose to keep it as it was) or the cleaner's ``kind``, ``removed`` categories and whether
    it was cleaned ``complete``ly (intake/metadata/)."""
    document = {"format": FILES_FORMAT, "files": files}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
