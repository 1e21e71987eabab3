"""The texts the pictures print, in the page's language or in a dossier's (Korean, English, or both joined as
"Korean / English"), translated once per picture: layouts receive a :class:`PictureWords` and never call
the translation functions themselves, so the same layout serves a page and a PDF."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import force_locale, get_locale, ngettext
from flask_babel import lazy_gettext as _l

from core import divisions
from reviewer.records import vocab

TEXT = {
    "chain_title": _l("Chain of command: %(name)s"),
    "chain_desc": _l(
        "A tree from the top of the chain down to the persons below. %(posts)s; %(acts)s. The tables below "
        "list every post, person and act."
    ),
    "act_chain_title": _l("Chain of command at the time of act %(id)s"),
    "legend_target": _l("this record"),
    "legend_command": _l("command responsibility: in a post above the acts, at the time"),
    "legend_dashed": _l("dashed link: when the post was held is not known"),
    "legend_weight": _l("number and thickness of a link: independent sources of the acts below it"),
    "no_head": _l("head not recorded"),
    "head": _l("head"),
    "period": _l("%(start)s – %(end)s"),
    "unknown_start": _l("unknown start"),
    "unknown_end": _l("unknown end"),
    "no_post_at_time": _l("no post recorded at the time"),
    "left_out": _l("Posts without recorded acts are left out of the drawing."),
    "timeline_title": _l("Acts over time: %(name)s"),
    "timeline_desc": _l(
        "Acts by type of violation along the years: %(acts)s, of which %(undated)s without a date."
    ),
    "legend_band": _l("band: the year or month known, or the period"),
    "legend_tick": _l("tick: the exact day known"),
    "legend_command_acts": _l("pale: done by persons under command"),
    "undated": _l("date unknown"),
    "map_title": _l("Places of detention: %(name)s"),
    "map_desc": _l(
        "An outline of North Korea with its provinces named, and %(placed)s drawn where they are; %(listed)s "
        "without coordinates listed beside it by province."
    ),
    "no_coordinates": _l("Without coordinates"),
    "map_source": _l("Outline: Natural Earth (public domain)"),
    "no_province": _l("Province not known"),
    "counts_desc": _l("Bars with their numbers; the same numbers are in the table below."),
    "by_violation": _l("Acts by type of violation"),
    "by_year": _l("Acts by year"),
    "by_facility": _l("Acts by place of detention"),
    "by_corroboration": _l("Acts by corroboration"),
    "no_facility": _l("no place of detention recorded"),
    "other_facilities": _l("other places"),
    "sources_none": _l("no independent source"),
    "sources_three": _l("3 or more independent sources"),
}

#: Messages with a number, as functions of it (``ngettext`` picks the form for the language).
PLURALS: dict[str, Callable[[int], str]] = {
    "acts": lambda n: ngettext("%(num)d act", "%(num)d acts", n),
    "posts": lambda n: ngettext("%(num)d post held", "%(num)d posts held", n),
    "facilities": lambda n: ngettext("%(num)d place of detention", "%(num)d places of detention", n),
    "more_branches": lambda n: ngettext("%(num)d more branch", "%(num)d more branches", n),
    "sources": lambda n: ngettext("%(num)d independent source", "%(num)d independent sources", n),
    "acts_below": lambda n: ngettext("%(num)d act by persons below", "%(num)d acts by persons below", n),
    "more_persons": lambda n: ngettext("%(num)d more person", "%(num)d more persons", n),
}

_VOCABULARIES = {
    "violations": vocab.VIOLATIONS,
    "facilities": vocab.FACILITY_KINDS,
    "degrees": vocab.DEGREES,
}


def join(parts: Iterable[str]) -> str:
    """Texts in several languages as one ("Korean / English"), each once."""
    return " / ".join(unique(parts))


def unique(parts: Iterable[str]) -> list[str]:
    """The parts without repeats (an untranslated label is the same in both languages)."""
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    return seen


def localized(locales: tuple[str, ...], korean: str, english: str | None) -> str:
    """A record's Korean or English form, by language."""
    return join((korean if locale == "ko" else english or korean) for locale in locales)


class PictureWords:
    """The pictures' texts in ``locales`` (``("ko",)``, ``("en",)`` or ``("ko", "en")``)."""

    def __init__(self, locales: tuple[str, ...]) -> None:
        self.locales = locales
        self._text: list[dict[str, str]] = []
        self._vocab: list[dict[str, dict[str, str]]] = []
        for locale in locales:
            with force_locale(locale):
                self._text.append({key: str(message) for key, message in TEXT.items()})
                self._vocab.append(
                    {
                        name: {code: str(label) for code, label in labels.items()}
                        for name, labels in _VOCABULARIES.items()
                    }
                )
        self._counted: dict[tuple[str, int], str] = {}

    @classmethod
    def current(cls) -> PictureWords:
        """The page's language."""
        found = get_locale()
        return cls((found.language if found and found.language in ("ko", "en") else "ko",))

    def __call__(self, key: str, **values: Any) -> str:
        return join(text[key] % values if values else text[key] for text in self._text)

    def count(self, key: str, n: int) -> str:
        """A message with a number, in the right plural form."""
        if (key, n) not in self._counted:
            parts = []
            for locale in self.locales:
                with force_locale(locale):
                    parts.append(PLURALS[key](n))
            self._counted[key, n] = join(parts)
        return self._counted[key, n]

    def code(self, vocabulary: str, code: str | None) -> str:
        """The label of a vocabulary code (``violations``, ``facilities``, ``degrees``)."""
        if not code:
            return ""
        return join(labels[vocabulary].get(code, code) for labels in self._vocab)

    def name(self, korean: str, english: str | None) -> str:
        return localized(self.locales, korean, english)

    def province(self, code: str | None) -> str:
        if not code:
            return self("no_province")
        try:
            return join(divisions.label(code, locale) for locale in self.locales)
        except KeyError:
            return code

    def period(self, start: str | None, end: str | None) -> str:
        """A tenure or an act's dates as a period ("2012-04 – 2017"); the same date twice as itself."""
        if start and end == start:
            return start
        return self("period", start=start or self("unknown_start"), end=end or self("unknown_end"))
