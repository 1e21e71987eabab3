"""The fixed vocabularies of records, with their translated labels: codes are stored, labels are shown.

Violation types are the intake form's taxonomy (core/answers.py ``VIOLATIONS``), so a source's words and a
record's act use one list.
"""

from __future__ import annotations

from babel import Locale
from flask_babel import lazy_gettext as _l

from core.answers import VIOLATIONS

__all__ = [
    "AGENCIES",
    "CONFIDENCES",
    "CONNECTIONS",
    "DEGREES",
    "FACILITY_KINDS",
    "GENDERS",
    "IDENTIFIER_KINDS",
    "NAME_KINDS",
    "NAME_QUALITIES",
    "NAME_STYLES",
    "NAME_STYLE_CHOICES",
    "ORGANIZATION_KINDS",
    "PURPOSES",
    "RELIABILITIES",
    "VIOLATIONS",
]

GENDERS = {"male": _l("Male"), "female": _l("Female"), "unknown": _l("Unknown")}

#: How a name is spelled, as pages and dossiers label a name already written.
NAME_STYLES = {
    "hangul": _l("Hangul"),
    "dprk": _l("North Korean romanization"),
    "rr": _l("South Korean romanization"),
    "lc": _l("Library of Congress / McCune–Reischauer"),
    "other": _l("Other spelling"),
}
#: The same with an example of each, for the form where a name is written (next to a real name, an
#: example reads like another name of the person).
NAME_STYLE_CHOICES = {
    "hangul": _l("Hangul"),
    "dprk": _l("North Korean romanization (Ri Chang Dae)"),
    "rr": _l("South Korean romanization (Lee Chang-dae)"),
    "lc": _l("Library of Congress / McCune–Reischauer (Yi Ch'ang-dae)"),
    "other": _l("Other spelling"),
}
NAME_KINDS = {"primary": _l("Name"), "alias": _l("Alias")}
NAME_QUALITIES = {"strong": _l("Strong alias"), "weak": _l("Weak alias")}

IDENTIFIER_KINDS = {
    "passport": _l("Passport number"),
    "national_id": _l("Citizen's ID card number"),
    "military": _l("Military service number"),
    "other": _l("Other identifier"),
}

ORGANIZATION_KINDS = {
    "ministry": _l("Ministry"),
    "bureau": _l("Bureau"),
    "unit": _l("Unit"),
    "party": _l("Party body"),
    "other": _l("Other organization"),
}

FACILITY_KINDS = {
    "kwanliso": _l("Political prison camp (kwanliso)"),
    "kyohwaso": _l("Re-education camp (kyohwaso)"),
    "kuryujang": _l("Detention centre (kuryujang)"),
    "jipkyulso": _l("Holding centre (jipkyulso)"),
    "rodong_danryondae": _l("Labour training camp (rodong danryondae)"),
    "other": _l("Other place of detention"),
}

AGENCIES = {
    "mss": _l("Ministry of State Security (bowibu)"),
    "mps": _l("Ministry of Social Security (anjeonbu)"),
    "other": _l("Other agency"),
}

DEGREES = {
    "carried_out": _l("Carried it out"),
    "ordered": _l("Ordered it"),
    "planned": _l("Planned it"),
    "present": _l("Was present"),
    "failed_to_prevent": _l("Failed to prevent it"),
    "superior_failed": _l("Superior who failed to act"),
}

CONFIDENCES = {"high": _l("High confidence"), "medium": _l("Medium confidence"), "low": _l("Low confidence")}

CONNECTIONS = {
    "victim": _l("Victim"),
    "witness": _l("Witness"),
    "former_agent": _l("Former state agent"),
    "third_party": _l("Third party"),
}

RELIABILITIES = {
    "highly_reliable": _l("Highly reliable"),
    "likely_reliable": _l("Likely reliable"),
    "unsure": _l("Unsure"),
    "likely_unreliable": _l("Likely unreliable"),
    "highly_unreliable": _l("Highly unreliable"),
    "unknown": _l("Reliability unknown"),
}

#: Export purposes, and the consent scope (a SubmissionSource column) each needs.
PURPOSES = {
    "sanctions": (_l("Sanctions submission to governments"), "consent_sanctions"),
    "public": (_l("Public report"), "consent_public"),
    "internal": (_l("Internal"), "consent_documentation"),
}


def country_name(code: str | None, locale: str) -> str:
    """A country's name from its ISO 3166 two-letter code, in ``locale`` (``kp`` is 북한 in Korean, North
    Korea in English); an unknown code as itself, in capitals."""
    if not code:
        return ""
    return Locale.parse(locale).territories.get(code.upper(), code.upper())


def country_names(codes: str | None, locale: str) -> str:
    """Space-separated codes (a person's nationality) as names."""
    return ", ".join(country_name(code, locale) for code in (codes or "").split())
