"""The fixed texts of a dossier's PDF and the labels of the codes it shows, in Korean, English or both
("Korean / English" for a label; prose once per language), translated once per document."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask_babel import force_locale, ngettext
from flask_babel import lazy_gettext as _l

from core import divisions
from reviewer.exports import legal
from reviewer.exports.model import OrganizationRef, PostHeld
from reviewer.records import dates, vocab
from reviewer.records.pictures.words import join, localized, unique

#: Every fixed text of the dossier. Messages with ``%(name)s`` are formatted after translation.
TEXT = {
    "title": _l("Dossier"),
    "target_person": _l("Person"),
    "target_organization": _l("Organization"),
    "target_facility": _l("Facility"),
    "purpose": _l("Purpose"),
    "date": _l("Date"),
    "prepared_by": _l("Prepared by"),
    "not_set": _l("not given"),
    "none": _l("none recorded"),
    "page": _l("Page %(n)s"),
    "classification_sanctions": _l(
        "Confidential. Prepared for the sanctions authorities it is submitted to; not for publication. "
        "Sources appear only under pseudonymous references; do not try to identify them."
    ),
    "classification_public": _l(
        "For public reporting. Every source consented to anonymised public use; sources appear only "
        "under pseudonymous references."
    ),
    "classification_internal": _l(
        "Internal working document of the submitting organization. Not for distribution."
    ),
    "submitter": _l("Submitter and point of contact"),
    "legal": _l("Legal basis"),
    "legal_intro": _l(
        "By the types of violation recorded, the conduct set out below falls under these categories of "
        "each sanctions regime. The categories are proposed for assessment, not a legal finding."
    ),
    "identification": _l("Identification of the target"),
    "kind": _l("Kind"),
    "organization_kind": _l("Kind of organization"),
    "names": _l("Names"),
    "name": _l("Name"),
    "style": _l("Spelling"),
    "language": _l("Language"),
    "gender": _l("Gender"),
    "birth_date": _l("Date of birth"),
    "birth_place": _l("Place of birth"),
    "nationality": _l("Nationality"),
    "identifiers": _l("Identifiers"),
    "number": _l("Number"),
    "country": _l("Country"),
    "posts": _l("Positions held"),
    "position": _l("Position"),
    "organization": _l("Organization"),
    "period": _l("Period"),
    "head": _l("head of the organization"),
    "facility_kind": _l("Kind of facility"),
    "agency": _l("Managing agency"),
    "operator": _l("Operated by"),
    "location": _l("Location"),
    "coordinates": _l("Coordinates"),
    "description": _l("Description"),
    "precision_year": _l("year known"),
    "precision_month": _l("month known"),
    "precision_day": _l("exact day"),
    "conduct": _l("Conduct"),
    "act": _l("Act %(id)s"),
    "act_column": _l("Act"),
    "incident": _l("Incident"),
    "violation": _l("Violation"),
    "place": _l("Place"),
    "victims": _l("Victims"),
    "involvement": _l("Involvement"),
    "under_command": _l(
        "Done by persons under the target's command while the target held the post above them (command "
        "responsibility)"
    ),
    "perpetrators": _l("Persons involved"),
    "confidence": _l("Reviewer's confidence"),
    "corroboration": _l("Corroboration"),
    "evidence": _l("Evidence and corroboration matrix"),
    "sources": _l("Sources"),
    "no_sources": _l("no source included"),
    "chain": _l("Chain of command"),
    "facility_map": _l("Places of detention on a map"),
    "chain_up": _l("Organizations above, nearest first"),
    "superiors": _l("Superiors in office"),
    "subordinates": _l("Persons in command below"),
    "person": _l("Person"),
    "exculpatory": _l("Exculpatory information"),
    "no_exculpatory": _l("No exculpatory information was recorded."),
    "methodology": _l("Methodology and chain of custody"),
    "methodology_text": _l(
        "Testimony was given through Sori, an intake service reachable over Tor. Each account was encrypted "
        "in the source's browser (or on arrival) to the public keys of vetted reviewers before it was "
        "stored; the server never holds it in readable form. Reviewers read accounts on their own devices, "
        "and every reading, change and export is written to a hash-chained audit trail."
    ),
    "verification_text": _l(
        "An account counts as evidence only after two different reviewers have verified it. Records are "
        "derived from accounts without editing them; the facts below come from those records."
    ),
    "digests_text": _l(
        "The encrypted envelopes relied on are listed with their SHA-256 digests, so that the organization "
        "can show later that the evidence has not changed since it was received."
    ),
    "source": _l("Source"),
    "digest": _l("SHA-256 of the envelope"),
    "size": _l("Size (bytes)"),
    "received": _l("Received on"),
    "consent": _l("Consent and protection measures"),
    "sanctions": _l("Existing sanctions"),
    "sanctions_intro": _l(
        "Possible matches in the imported sanctions lists, for confirmation: a match by name is not proof "
        "that the listed person or entity is the target."
    ),
    "no_sanctions": _l("No possible match in the imported sanctions lists."),
    "dataset": _l("List"),
    "authorities": _l("Authorities"),
    "programs": _l("Programmes"),
    "matched_name": _l("Matched name"),
    "birth_dates": _l("Dates of birth"),
}

#: The texts with a number, as functions of it: ``ngettext`` picks the form each language needs.
COUNTED: dict[str, Callable[[int], str]] = {
    "conduct_intro": lambda n: ngettext(
        "%(num)d act is attributed to the target, set out below.",
        "%(num)d acts are attributed to the target, one by one below.",
        n,
    ),
    "victim_count": lambda n: ngettext("%(num)d victim", "%(num)d victims", n),
    "sources_count": lambda n: ngettext("%(num)d independent source", "%(num)d independent sources", n),
    "evidence_intro": lambda n: ngettext(
        "For each act, the sources that support it: pseudonymous reference, the source's connection to the "
        "events and the reviewers' assessment of its reliability. %(num)d source is included.",
        "For each act, the sources that support it: pseudonymous reference, the source's connection to the "
        "events and the reviewers' assessment of its reliability. %(num)d sources are included.",
        n,
    ),
    "consent_text": lambda n: ngettext(
        "Only sources whose consent covers this purpose are included: %(num)d source. Sources are named "
        "only by pseudonymous references, and no detail that could identify a source is part of this "
        "dossier.",
        "Only sources whose consent covers this purpose are included: %(num)d sources. Sources are named "
        "only by pseudonymous references, and no detail that could identify a source is part of this "
        "dossier.",
        n,
    ),
    "excluded": lambda n: ngettext(
        "%(num)d source was left out for lack of consent.",
        "%(num)d sources were left out for lack of consent.",
        n,
    ),
}

#: The vocabularies whose codes the dossier shows, as code -> label.
_VOCABULARIES: dict[str, Mapping[str, Any]] = {
    "genders": vocab.GENDERS,
    "styles": vocab.NAME_STYLES,
    "name_kinds": vocab.NAME_KINDS,
    "qualities": vocab.NAME_QUALITIES,
    "identifiers": vocab.IDENTIFIER_KINDS,
    "organizations": vocab.ORGANIZATION_KINDS,
    "facilities": vocab.FACILITY_KINDS,
    "agencies": vocab.AGENCIES,
    "degrees": vocab.DEGREES,
    "confidences": vocab.CONFIDENCES,
    "connections": vocab.CONNECTIONS,
    "reliabilities": vocab.RELIABILITIES,
    "violations": vocab.VIOLATIONS,
    "purposes": {code: label for code, (label, _scope) in vocab.PURPOSES.items()},
    "regimes": legal.REGIMES,
    "involvement": legal.INVOLVEMENT,
    "categories": legal.CATEGORIES,
}


class Words:
    """The dossier's texts in its language(s): labels joined as "Korean / English" for ``both``."""

    def __init__(self, lang: str) -> None:
        self.locales = ("ko", "en") if lang == "both" else (lang,)
        self._text: list[dict[str, str]] = []
        self._vocab: list[dict[str, dict[str, str]]] = []
        # Translated once per locale: switching locales per string would dominate the time of a big dossier.
        for locale in self.locales:
            with force_locale(locale):
                self._text.append({key: str(message) for key, message in TEXT.items()})
                self._vocab.append(
                    {
                        name: {code: str(label) for code, label in labels.items()}
                        for name, labels in _VOCABULARIES.items()
                    }
                )
        self._places: dict[str, str] = {}
        self._counted: dict[tuple[str, int], list[str]] = {}

    def count_each(self, key: str, n: int) -> list[str]:
        """A text with a number (:data:`COUNTED`) once per language, in the plural form it needs."""
        if (key, n) not in self._counted:
            parts = []
            for locale in self.locales:
                with force_locale(locale):
                    parts.append(COUNTED[key](n))
            self._counted[key, n] = unique(parts)
        return self._counted[key, n]

    def count(self, key: str, n: int) -> str:
        """A label with a number, as :meth:`count_each` joined."""
        return join(self.count_each(key, n))

    def __call__(self, key: str, **values: Any) -> str:
        """A fixed label, formatted with ``values``."""
        return join(text[key] % values if values else text[key] for text in self._text)

    def each(self, key: str, **values: Any) -> list[str]:
        """A fixed text once per language, for prose that reads better whole than joined."""
        return unique(text[key] % values if values else text[key] for text in self._text)

    def code(self, vocabulary: str, code: str | None) -> str:
        """The label of a vocabulary code (the code itself if the vocabulary does not know it)."""
        if not code:
            return ""
        return join(labels[vocabulary].get(code, code) for labels in self._vocab)

    def code_each(self, vocabulary: str, code: str) -> list[str]:
        """The label of a vocabulary code once per language, for labels that are whole sentences."""
        return unique(labels[vocabulary].get(code, code) for labels in self._vocab)

    def place(self, code: str | None) -> str:
        """A province or county code as its name ("함경북도 회령시 / Hoeryong, North Hamgyong")."""
        if not code:
            return ""
        if code not in self._places:
            try:
                self._places[code] = join(divisions.label(code, locale) for locale in self.locales)
            except KeyError:
                self._places[code] = code
        return self._places[code]

    def countries(self, codes: Iterable[str]) -> str:
        """Country codes (``kp``) as the countries' names in the dossier's language(s)."""
        return ", ".join(join(vocab.country_name(code, locale) for locale in self.locales) for code in codes)

    def name_of(self, organization: OrganizationRef) -> str:
        """An organization's name in the dossier's language(s)."""
        return localized(self.locales, organization.name_ko, organization.name_en)

    def title_of(self, post: PostHeld) -> str:
        """A post's title in the dossier's language(s)."""
        return localized(self.locales, post.title_ko, post.title_en)

    def period(self, start: str | None, end: str | None) -> str:
        """A period of partial dates with the precision they were known to: "2019-03 – 2020 (…)"."""
        if not start and not end:
            return ""
        if start and (not end or end == start):
            shown, precise = start, [start]
        else:
            shown = f"{start or '…'} – {end or '…'}"
            precise = [d for d in (start, end) if d]
        levels = unique(self(f"precision_{dates.precision(d)}") for d in precise)
        return f"{shown} ({', '.join(levels)})"


def translated(words: Words, label: Any) -> str:
    """A lazily translated label from another module, in the dossier's language(s)."""
    parts = []
    for locale in words.locales:
        with force_locale(locale):
            parts.append(str(label))
    return join(parts)
