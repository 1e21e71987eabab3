"""The thesauri (Uwazi's lists of values) behind the layout's choice columns: each value's English and Korean
label, the code Sori stores for it, and the thesaurus files in Uwazi's thesaurus import format.

Cells hold English labels: Uwazi matches a select cell to a thesaurus value by its label in the language the
thesaurus was imported in, so the thesauri are imported with English as the language and Korean as its
translation. ``sori records import`` reads a label in either language (any case), or a country's two-letter
code. Places are two thesauri: provinces, and cities and counties nested under their province, which a cell
names as ``province::county`` (Uwazi's parent-child separator).

A thesaurus file has one column per language, headed by the language's name as Uwazi lists it
(``English``, ``Korean``), one value a row, and a child value right under its parent with ``-`` before it.
The ``-`` is written after a space (`` -Hoeryong``): Uwazi skips spaces before the dash, and a cell that
starts with a space is never run by a spreadsheet as a formula (reviewer/records/uwazi/cells.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from functools import cache

from babel import Locale
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from core import divisions
from reviewer.records import vocab

#: Kinds of post: the holder of a head's post commands the whole organization (reviewer/records/chain.py).
POST_KINDS = {"head": _l("Head of the organization"), "post": _l("Other post")}

#: Thesaurus key -> its name and its values (code -> label), for the fixed vocabularies.
VOCABULARIES: dict[str, tuple[object, dict]] = {
    "organization_kinds": (_l("Organization kinds"), vocab.ORGANIZATION_KINDS),
    "genders": (_l("Genders"), vocab.GENDERS),
    "post_kinds": (_l("Post kinds"), POST_KINDS),
    "facility_kinds": (_l("Facility kinds"), vocab.FACILITY_KINDS),
    "agencies": (_l("Agencies"), vocab.AGENCIES),
    "violations": (_l("Violations"), vocab.VIOLATIONS),
    "degrees": (_l("Degrees of involvement"), vocab.DEGREES),
    "confidences": (_l("Confidences"), vocab.CONFIDENCES),
    "connections": (_l("Connections"), vocab.CONNECTIONS),
    "reliabilities": (_l("Reliabilities"), vocab.RELIABILITIES),
}
#: The thesauri whose values come from elsewhere: North Korea's divisions, and the world's countries.
NAMES: dict[str, object] = {
    **{key: name for key, (name, _values) in VOCABULARIES.items()},
    "provinces": _l("Provinces"),
    "counties": _l("Cities and counties"),
    "countries": _l("Countries"),
}
#: How Uwazi's thesaurus import names the languages of its columns.
LANGUAGE_NAMES = {"en": "English", "ko": "Korean"}
#: Uwazi's separator of a parent value and its child in a cell.
PARENT_CHILD = "::"


def labels(key: str, codes: Iterable[str] = ()) -> dict[str, tuple[str, str]]:
    """Code -> (English label, Korean label) of every value of thesaurus ``key``; for ``countries``, of
    the country ``codes`` given (lower-case ISO 3166 codes)."""
    if key == "countries":
        english, korean = Locale("en").territories, Locale("ko").territories
        # A code that is no country Babel knows keeps its own letters as its label.
        return {
            code: (english.get(code.upper(), code.upper()), korean.get(code.upper(), code.upper()))
            for code in sorted(set(codes))
        }
    return dict(_fixed_labels(key))


@cache
def _fixed_labels(key: str) -> tuple[tuple[str, tuple[str, str]], ...]:
    if key == "provinces":
        return tuple((p.code, (p.en, p.ko)) for p in divisions.provinces())
    if key == "counties":
        return tuple(
            (d.code, (f"{p.en}{PARENT_CHILD}{d.en}", f"{p.ko}{PARENT_CHILD}{d.ko}"))
            for p in divisions.provinces()
            for d in p.divisions
        )
    values = VOCABULARIES[key][1]
    with force_locale("en"):
        english = {code: str(label) for code, label in values.items()}
    with force_locale("ko"):
        korean = {code: str(label) for code, label in values.items()}
    return tuple((code, (english[code], korean[code])) for code in values)


def label(key: str, code: str) -> str:
    """The English label of ``code`` in thesaurus ``key`` (what a cell holds)."""
    return labels(key, [code])[code][0]


def code_of(key: str, text: str) -> str | None:
    """The code a cell's label (English or Korean, any case; for a country also its code, even one Babel
    does not know, as the person form takes any two letters) stands for."""
    code = _codes(key).get(_normal(text))
    if code is None and key == "countries" and len(text.strip()) == 2 and text.strip().isalpha():
        return text.strip().lower()
    return code


@cache
def _codes(key: str) -> dict[str, str]:
    if key == "countries":
        english, korean = Locale("en").territories, Locale("ko").territories
        found = {}
        for code in english:
            if len(code) == 2 and code.isalpha():
                found.update({_normal(code): code.lower(), _normal(english[code]): code.lower()})
                if code in korean:
                    found[_normal(korean[code])] = code.lower()
        return found
    return {_normal(text): code for code, pair in _fixed_labels(key) for text in pair}


def _normal(text: str) -> str:
    """A label as compared: spaces around ``::`` and at either end dropped, runs of spaces made one,
    any case."""
    parts = [" ".join(part.split()) for part in text.split(PARENT_CHILD)]
    return PARENT_CHILD.join(parts).casefold()


def thesaurus_file(key: str, codes: Iterable[str] = ()) -> bytes:
    """Thesaurus ``key`` in Uwazi's thesaurus import format (``countries``: the ``codes`` given)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([LANGUAGE_NAMES["en"], LANGUAGE_NAMES["ko"]])
    if key == "counties":
        for province in divisions.provinces():
            writer.writerow([province.en, province.ko])
            writer.writerows([f" -{d.en}", f" -{d.ko}"] for d in province.divisions)
    else:
        writer.writerows(list(pair) for pair in labels(key, codes).values())
    return out.getvalue().encode("utf-8")


def file_name(key: str) -> str:
    return f"thesaurus-{key.replace('_', '-')}.csv"
