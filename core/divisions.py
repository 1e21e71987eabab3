"""North Korea's provinces and counties, for the place picker of the testimony form and for records.

The list lives in ``core/data/nk_divisions.json`` (see its ``source`` and ``note`` for what it covers and
which statuses it uses). Codes are stable ASCII: ``north-hamgyong`` for a first-level unit (province,
directly governed city or special city), ``north-hamgyong/hoeryong`` for a city, county or district in it.
Records store codes; labels are made at display time in the reader's language.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

_DATA_FILE = "nk_divisions.json"


@dataclass(frozen=True)
class FormerName:
    """A name the unit used to carry (e.g. 화성군 for today's 명간군)."""

    ko: str
    en: str


@dataclass(frozen=True)
class Division:
    """A second-level unit: a city (시), county (군) or district (구역, 구, 지구)."""

    code: str
    ko: str
    en: str
    kind: str
    province_code: str
    ko_south: str | None = None
    en_alt: tuple[str, ...] = ()
    former: tuple[FormerName, ...] = ()
    note: str | None = None

    def name(self, locale: str) -> str:
        """The unit's own name, without its province: Korean for a Korean locale, English otherwise."""
        return self.ko if _is_korean(locale) else self.en


@dataclass(frozen=True)
class Province:
    """A first-level unit: a province (도), the directly governed city (평양) or a special city."""

    code: str
    ko: str
    en: str
    kind: str
    divisions: tuple[Division, ...]
    ko_south: str | None = None
    en_alt: tuple[str, ...] = ()
    #: (latitude, longitude) of a point inside the unit where a map writes its name.
    label_at: tuple[float, float] | None = None

    def name(self, locale: str) -> str:
        """The province's name: Korean for a Korean locale, English otherwise."""
        return self.ko if _is_korean(locale) else self.en


def _is_korean(locale: str) -> bool:
    """True for ``ko`` and its regional forms (``ko_KR``, ``ko-KP``)."""
    return locale.replace("-", "_").split("_", 1)[0].lower() == "ko"


def _division(raw: dict[str, Any], province_code: str) -> Division:
    return Division(
        code=raw["code"],
        ko=raw["ko"],
        en=raw["en"],
        kind=raw["kind"],
        province_code=province_code,
        ko_south=raw.get("ko_south"),
        en_alt=tuple(raw.get("en_alt", ())),
        former=tuple(FormerName(ko=f["ko"], en=f["en"]) for f in raw.get("former", ())),
        note=raw.get("note"),
    )


@cache
def _load() -> tuple[tuple[Province, ...], dict[str, Province], dict[str, Division]]:
    """Read the data file once per process."""
    text = resources.files(__package__).joinpath("data", _DATA_FILE).read_text(encoding="utf-8")
    raw = json.loads(text)
    loaded = tuple(
        Province(
            code=p["code"],
            ko=p["ko"],
            en=p["en"],
            kind=p["kind"],
            divisions=tuple(_division(d, p["code"]) for d in p["divisions"]),
            ko_south=p.get("ko_south"),
            en_alt=tuple(p.get("en_alt", ())),
            label_at=tuple(p["label_at"]) if "label_at" in p else None,
        )
        for p in raw["provinces"]
    )
    by_province = {p.code: p for p in loaded}
    by_division = {d.code: d for p in loaded for d in p.divisions}
    return loaded, by_province, by_division


def provinces() -> list[Province]:
    """Every first-level unit in file order: the four cities, then the provinces as the DPRK lists them."""
    return list(_load()[0])


def province(code: str) -> Province | None:
    """The first-level unit with this code, or None."""
    return _load()[1].get(code)


def find(code: str) -> Division | None:
    """The city, county or district with this code (``north-hamgyong/hoeryong``), or None."""
    return _load()[2].get(code)


def label(code: str, locale: str) -> str:
    """A display name for a code: "함경북도 회령시" / "Hoeryong, North Hamgyong", or a province alone.

    Korean for a Korean locale, English for any other. Raises KeyError for an unknown code.
    """
    _, by_province, by_division = _load()
    if code in by_province:
        return by_province[code].name(locale)
    division = by_division.get(code)
    if division is None:
        raise KeyError(code)
    parent = by_province[division.province_code]
    if _is_korean(locale):
        return f"{parent.ko} {division.ko}"
    return f"{division.en}, {parent.en}"


@functools.lru_cache(maxsize=8)
def choices(locale: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """What a ``<select>`` needs: one ``(province name, [(code, name), ...])`` per ``<optgroup>``.

    Provinces keep the file's order; within one, units are sorted by their name in the locale so that a
    reader can find a place by its first letter. The same list every time (callers must not change it).
    """
    return [
        (
            p.name(locale),
            sorted(((d.code, d.name(locale)) for d in p.divisions), key=lambda pair: pair[1].casefold()),
        )
        for p in _load()[0]
    ]
