"""Write a record set (reviewer/records/uwazi/record_set.py) as the record files of the Uwazi layout.

Every row has a title, and every link names a title of the file it points to exactly. Titles are made from
what the row holds (a person's Hangul name and romanized name, an act's violation, date and incident), a
``|`` in them made ``/`` (Uwazi splits a link cell at every ``|``), and they are unique in their file across
both languages: a row whose title another row also has gets its
``sori_id`` after it, in brackets, in every language, so that a link in Uwazi finds one entity. Rows come
in an order that depends only on what they hold, so that the same records always give the same bytes;
organizations come parent first, since Uwazi makes a new empty entity for a link whose title does not
exist yet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from reviewer.records import dates
from reviewer.records.uwazi import cells, layout, thesauri
from reviewer.records.uwazi.layout import IDENTIFIER_COLUMNS, NAME_COLUMNS, Template
from reviewer.records.uwazi.record_set import Name, OrganizationRow, RecordSet

#: Spelling styles in the order a romanized title is looked for.
ROMANIZED = ("dprk", "rr", "lc", "other")
DATE_UNKNOWN = _l("date unknown")


@dataclass(frozen=True)
class Written:
    """The record files, and each file's titles by ``sori_id`` (for another file to link to)."""

    files: dict[str, bytes]
    titles: dict[str, dict[str, str]]


def write(records: RecordSet) -> Written:
    """Every record file of ``records`` (a file with no rows has its header only)."""
    with force_locale("en"):
        return _Writer(records).write()


def disambiguated(sori_ids: Sequence[str], titles: Sequence[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Each row's titles (one per language), with `` (sori_id)`` after them when another row shares one."""
    counts = Counter(title for row in titles for title in set(row))
    shared = {title for title, count in counts.items() if count > 1}
    return [
        tuple(f"{title} ({sori_id})" for title in row) if shared.intersection(row) else row
        for sori_id, row in zip(sori_ids, titles, strict=True)
    ]


def strip_sori_id(title: str, sori_id: str) -> str:
    """A title without the `` (sori_id)`` that :func:`disambiguated` may have put after it."""
    suffix = f" ({sori_id})"
    return title[: -len(suffix)] if sori_id and title.endswith(suffix) else title


def name_titles(names: Sequence[Name]) -> tuple[str, str]:
    """(Korean title, English title) of a person or facility: the first Hangul name and the first romanized
    name (North Korean, South Korean, McCune-Reischauer, other), each standing in for the other when
    missing."""
    primary = [name for name in names if name.kind == "primary"] or list(names)
    hangul = [name.name for name in primary if name.style == "hangul"]
    romanized = [name.name for style in ROMANIZED for name in primary if name.style == style]
    either = hangul or romanized or [""]
    return (hangul or either)[0], (romanized or either)[0]


class _Writer:
    def __init__(self, records: RecordSet) -> None:
        self.records = records
        self.titles: dict[str, dict[str, str]] = {}

    def write(self) -> Written:
        files = {
            layout.ORGANIZATIONS.file: self._organizations(),
            layout.PERSONS.file: self._persons(),
            layout.POSTS.file: self._posts(),
            layout.FACILITIES.file: self._facilities(),
            layout.INCIDENTS.file: self._incidents(),
            layout.ACTS.file: self._acts(),
            layout.INVOLVEMENTS.file: self._involvements(),
        }
        return Written(files, self.titles)

    def _file(
        self,
        template: Template,
        rows: Sequence[Any],
        titles: Callable[[Any], tuple[str, ...]],
        cells_of: Callable[[Any], dict[str, str]],
        order: Callable[[Any, tuple[str, ...]], Any] | None = None,
    ) -> bytes:
        """A file of ``rows``: their titles made unique, sorted by ``order`` (else by title), with their
        cells; remembers each row's link title."""
        # Uwazi splits a link cell at every "|", so no title may hold one.
        plain = [tuple(title.replace(cells.SEPARATOR, "/") for title in titles(row)) for row in rows]
        unique = disambiguated([row.sori_id for row in rows], plain)
        by_row = list(zip(rows, unique, strict=True))
        by_row.sort(key=(lambda pair: order(*pair)) if order else (lambda pair: (pair[1], pair[0].sori_id)))
        self.titles[template.file] = {row.sori_id: title[-1] for row, title in by_row}
        headers = template.title_headers
        return cells.table(
            template.header,
            [{**dict(zip(headers, title, strict=True)), **cells_of(row)} for row, title in by_row],
        )

    def _link(self, file: str, sori_id: str | None) -> str:
        return cells.links([self.titles[file][sori_id]]) if sori_id else ""

    def _organizations(self) -> bytes:
        rows = self.records.organizations
        depth = _tree_positions(rows)
        return self._file(
            layout.ORGANIZATIONS,
            rows,
            lambda o: (o.name_ko, o.name_en or o.name_ko),
            lambda o: {
                "organization_kind": thesauri.label("organization_kinds", o.kind),
                "parent_organization": self._link(layout.ORGANIZATIONS.file, o.parent),
                **_place(o.province, o.county),
                "description": o.description or "",
                "exculpatory_information": o.exculpatory or "",
                "sori_id": o.sori_id,
            },
            lambda o, title: (depth[o.sori_id], title[-1], o.sori_id),
        )

    def _persons(self) -> bytes:
        def cells_of(p: Any) -> dict[str, str]:
            aliases = [n for n in p.names if n.kind == "alias"]
            return {
                **_names(p.names),
                "aliases": cells.lines(n.name for n in aliases if n.quality != "weak"),
                "weak_aliases": cells.lines(n.name for n in aliases if n.quality == "weak"),
                "gender": thesauri.label("genders", p.gender),
                "birth_date": cells.date_range(p.birth_date),
                "birth_place": p.birth_place or "",
                "nationality": cells.multi(
                    thesauri.labels("countries", p.nationality)[code][0] for code in p.nationality
                ),
                **{
                    column.name: cells.lines(
                        cells.identifier(value, country)
                        for kind, value, country in p.identifiers
                        if kind == wanted
                    )
                    for wanted, column in IDENTIFIER_COLUMNS.items()
                },
                "description": p.description or "",
                "exculpatory_information": p.exculpatory or "",
                "sori_id": p.sori_id,
            }

        return self._file(layout.PERSONS, self.records.persons, lambda p: name_titles(p.names), cells_of)

    def _posts(self) -> bytes:
        persons, organizations = self.titles[layout.PERSONS.file], self.titles[layout.ORGANIZATIONS.file]

        def title(post: Any) -> tuple[str]:
            period = cells.as_recorded(post.start, post.end)
            post_title = post.title_en or post.title_ko
            held = f"{persons[post.person]}, {post_title}, {organizations[post.organization]}"
            return (f"{held} ({period})" if period else held,)

        return self._file(
            layout.POSTS,
            self.records.posts,
            title,
            lambda post: {
                "held_by": self._link(layout.PERSONS.file, post.person),
                "organization": self._link(layout.ORGANIZATIONS.file, post.organization),
                "post_title__ko": post.title_ko,
                "post_title__en": post.title_en or "",
                "post_kind": thesauri.label("post_kinds", "head" if post.is_head else "post"),
                "held_from": cells.date_range(post.start),
                "held_until": cells.date_range(post.end),
                "sori_id": post.sori_id,
            },
            lambda post, title: (persons[post.person], dates.earliest(post.start), title[0], post.sori_id),
        )

    def _facilities(self) -> bytes:
        return self._file(
            layout.FACILITIES,
            self.records.facilities,
            lambda f: name_titles(f.names),
            lambda f: {
                **_names(f.names),
                "facility_kind": thesauri.label("facility_kinds", f.kind),
                "managing_agency": thesauri.label("agencies", f.agency),
                "operated_by": self._link(layout.ORGANIZATIONS.file, f.organization),
                **_place(f.province, f.county),
                "coordinates_geolocation": cells.coordinates(f.latitude, f.longitude),
                "description": f.description or "",
                "exculpatory_information": f.exculpatory or "",
                "sori_id": f.sori_id,
            },
        )

    def _incidents(self) -> bytes:
        return self._file(
            layout.INCIDENTS,
            self.records.incidents,
            lambda i: (i.title,),
            lambda i: {"summary": i.summary or "", "sori_id": i.sori_id},
        )

    def _acts(self) -> bytes:
        incidents = self.titles[layout.INCIDENTS.file]

        def title(act: Any) -> tuple[str]:
            when = cells.as_recorded(act.date_start, act.date_end) or str(DATE_UNKNOWN)
            return (f"{thesauri.label('violations', act.violation)}, {when}, {incidents[act.incident]}",)

        return self._file(
            layout.ACTS,
            self.records.acts,
            title,
            lambda act: {
                "incident": self._link(layout.INCIDENTS.file, act.incident),
                "violation": thesauri.label("violations", act.violation),
                "date": cells.date_range(act.date_start, act.date_end),
                "date_as_recorded": cells.as_recorded(act.date_start, act.date_end),
                "place_of_detention": self._link(layout.FACILITIES.file, act.facility),
                **_place(act.province, act.county),
                "place": act.place or "",
                "victims": act.victims or "",
                "number_of_victims": "" if act.victim_count is None else str(act.victim_count),
                "description": act.description or "",
                "sori_id": act.sori_id,
            },
            lambda act, title: (*dates.span(act.date_start, act.date_end), title[0], act.sori_id),
        )

    def _involvements(self) -> bytes:
        acts, persons = self.titles[layout.ACTS.file], self.titles[layout.PERSONS.file]
        act_order = {sori_id: index for index, sori_id in enumerate(acts)}
        degree = thesauri.label
        return self._file(
            layout.INVOLVEMENTS,
            self.records.involvements,
            lambda i: (f"{persons[i.person]}, {degree('degrees', i.degree)}, {acts[i.act]}",),
            lambda i: {
                "act": self._link(layout.ACTS.file, i.act),
                "person": self._link(layout.PERSONS.file, i.person),
                "degree_of_involvement": thesauri.label("degrees", i.degree),
                "confidence": thesauri.label("confidences", i.confidence),
                "exculpatory_information": i.exculpatory or "",
                "sori_id": i.sori_id,
            },
            lambda i, title: (act_order[i.act], title[0], i.sori_id),
        )


def _names(names: Sequence[Name]) -> dict[str, str]:
    return {
        column.name: cells.lines(n.name for n in names if n.kind == "primary" and n.style == style)
        for style, column in NAME_COLUMNS.items()
    }


def _place(province: str | None, county: str | None) -> dict[str, str]:
    return {
        "province": thesauri.label("provinces", province) if province else "",
        "county": thesauri.label("counties", county) if county else "",
    }


def _tree_positions(rows: Sequence[OrganizationRow]) -> dict[str, int]:
    """Each organization's place in a walk of the tree, parents before their children, siblings by
    title; an organization whose parent is not listed is a root."""
    listed = {row.sori_id for row in rows}
    children: dict[str | None, list[OrganizationRow]] = {}
    for row in rows:
        children.setdefault(row.parent if row.parent in listed else None, []).append(row)
    order: dict[str, int] = {}
    stack = sorted(children.get(None, []), key=_organization_key, reverse=True)
    while stack:
        row = stack.pop()
        if row.sori_id in order:
            continue
        order[row.sori_id] = len(order)
        stack.extend(sorted(children.get(row.sori_id, []), key=_organization_key, reverse=True))
    for row in rows:  # in a cycle (refused by the forms, so never expected): after the rest
        order.setdefault(row.sori_id, len(order))
    return order


def _organization_key(row: OrganizationRow) -> tuple[str, str]:
    return (row.name_en or row.name_ko, row.sori_id)
