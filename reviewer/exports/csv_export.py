"""A dossier as CSV files that Uwazi's CSV import accepts (the platform of HURIDOCS and of Korea Future's
North Korean Prison Database), one file per entity type: persons, organizations, facilities, acts and
sources.

Uwazi's conventions: a header row of property names (lower case, no spaces), a ``title`` column on every
row, several values in one cell separated by ``|`` (so a ``|`` inside a value becomes ``/``), geolocation as
``latitude|longitude``. Dates are partial dates as testimony gave them (``2019``, ``2019-03``,
``2019-03-14``). Files are UTF-8 with CRLF line ends; labels are in English, names in every form.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or carriage
return) as a formula, and a record's text comes from testimony and reviewers: ``=HYPERLINK(...)`` in a
name would become a live link, or worse, in whoever opens the file. As OWASP recommends ("CSV Injection"),
such a cell gets a leading apostrophe, which spreadsheets take as "this is text" and do not show; every
other cell is written as it is. Uwazi imports the apostrophe as part of the value, so a reader who needs
the exact text drops one leading ``'`` from a cell whose next character is one of these (docs/exports.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask_babel import force_locale

from core import divisions
from reviewer.exports.model import Dossier, OrganizationRef, PostHeld
from reviewer.records import vocab

SEPARATOR = "|"
FILES = ("persons.csv", "organizations.csv", "facilities.csv", "acts.csv", "sources.csv")


def render(dossier: Dossier) -> dict[str, bytes]:
    """File name -> CSV bytes, for every entity type (a type with nothing to list gets its header only)."""
    with force_locale("en"):
        return {
            "persons.csv": _persons(dossier),
            "organizations.csv": _organizations(dossier),
            "facilities.csv": _facilities(dossier),
            "acts.csv": _acts(dossier),
            "sources.csv": _sources(dossier),
        }


def multi(values: Iterable[object]) -> str:
    """Several values in one cell, Uwazi style."""
    return SEPARATOR.join(_cell(value).replace(SEPARATOR, "/") for value in values if _cell(value))


def _cell(value: object) -> str:
    return "" if value is None else str(value)


#: What makes a spreadsheet read a cell as a formula (OWASP, CSV Injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    """``text`` as a cell no spreadsheet runs: with a leading apostrophe if it could start a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([inert(_cell(value)) for value in row])
    return out.getvalue().encode("utf-8")


def _label(labels: dict, code: str | None) -> str:
    return str(labels[code]) if code in labels else _cell(code)


def _division(code: str | None) -> str:
    if not code:
        return ""
    try:
        return divisions.label(code, "en")
    except KeyError:
        return code


def _post_text(post: PostHeld) -> str:
    title = post.title_en or post.title_ko
    organization = post.organization.name_en or post.organization.name_ko
    return f"{title}, {organization} ({post.start or '?'} – {post.end or '?'})"


def _persons(dossier: Dossier) -> bytes:
    header = [
        "title", "names_hangul", "names_romanized", "aliases", "weak_aliases", "gender", "birth_date",
        "birth_place", "nationality", "identifiers", "positions", "role", "sori_id",
    ]  # fmt: skip
    rows: list[list[object]] = []
    target = dossier.target
    if target.kind == "person":
        names = [n for n in target.names if n.kind == "primary"]
        rows.append([
            target.caption,
            multi(n.name for n in names if n.style == "hangul"),
            multi(n.name for n in names if n.style != "hangul"),
            multi(n.name for n in target.names if n.kind == "alias" and n.quality != "weak"),
            multi(n.name for n in target.names if n.kind == "alias" and n.quality == "weak"),
            _label(vocab.GENDERS, target.gender),
            target.birth_date,
            target.birth_place,
            multi(code.upper() for code in target.nationality),
            multi(f"{_label(vocab.IDENTIFIER_KINDS, i.kind)}: {i.value}" for i in target.identifiers),
            multi(_post_text(post) for post in target.posts),
            "target",
            f"person:{target.id}",
        ])  # fmt: skip
    seen = {target.id} if target.kind == "person" else set()
    others: dict[int, tuple[str, list[str], str]] = {}
    for role, posts in (("superior", dossier.superiors), ("subordinate", dossier.subordinates)):
        for post in posts:
            if post.person_id in seen:
                continue
            entry = others.setdefault(post.person_id, (post.person_name, [], role))
            entry[1].append(_post_text(post))
    for conduct in dossier.conduct:
        for person_id, (name, _degree) in zip(conduct.perpetrator_ids, conduct.perpetrators, strict=True):
            if person_id not in seen:
                others.setdefault(person_id, (name, [], "perpetrator"))
    for person_id, (name, posts, role) in sorted(others.items()):
        rows.append([name, "", "", "", "", "", "", "", "", "", multi(posts), role, f"person:{person_id}"])
    return _table(header, rows)


def _organizations(dossier: Dossier) -> bytes:
    found: dict[int, OrganizationRef] = {}
    if dossier.target.organization is not None:
        found[dossier.target.organization.id] = dossier.target.organization
    for organization in dossier.chain_up:
        found.setdefault(organization.id, organization)
    for post in (*dossier.target.posts, *dossier.superiors, *dossier.subordinates):
        found.setdefault(post.organization.id, post.organization)
    header = ["title", "name_ko", "name_en", "kind", "parent", "sori_id"]
    rows = [
        [
            org.name_ko,
            org.name_ko,
            org.name_en,
            _label(vocab.ORGANIZATION_KINDS, org.kind),
            found[org.parent_id].name_ko if org.parent_id in found else "",
            f"organization:{org.id}",
        ]
        for org in sorted(found.values(), key=lambda org: org.id)
    ]
    return _table(header, rows)


def _facilities(dossier: Dossier) -> bytes:
    header = [
        "title", "names", "kind", "agency", "operating_organization", "province", "county", "geolocation",
        "sori_id",
    ]  # fmt: skip
    rows: list[list[object]] = []
    target = dossier.target
    if target.kind == "facility":
        geolocation = (
            multi([target.latitude, target.longitude])
            if target.latitude is not None and target.longitude is not None
            else ""
        )
        rows.append([
            target.caption,
            multi(n.name for n in target.names),
            _label(vocab.FACILITY_KINDS, target.facility_kind),
            _label(vocab.AGENCIES, target.agency),
            target.organization.name_ko if target.organization else "",
            _division(target.province),
            _division(target.county),
            geolocation,
            f"facility:{target.id}",
        ])  # fmt: skip
    listed = {target.id} if target.kind == "facility" else set()
    for conduct in dossier.conduct:
        if conduct.facility_id is not None and conduct.facility_id not in listed:
            listed.add(conduct.facility_id)
            rows.append([conduct.facility_name, conduct.facility_name, "", "", "", "", "", "",
                         f"facility:{conduct.facility_id}"])  # fmt: skip
    return _table(header, rows)


def _acts(dossier: Dossier) -> bytes:
    header = [
        "title", "incident", "violation", "date_start", "date_end", "facility", "place", "province", "county",
        "victims", "victim_count", "perpetrators", "degrees_of_target", "confidence", "corroboration",
        "sources", "description", "sori_id",
    ]  # fmt: skip
    refs: dict[int, set[str]] = {}
    for use in dossier.evidence:
        refs.setdefault(use.act_id, set()).add(use.source_ref)
    rows = [
        [
            f"{_label(vocab.VIOLATIONS, c.violation)}: {c.incident_title}",
            c.incident_title,
            _label(vocab.VIOLATIONS, c.violation),
            c.date_start,
            c.date_end,
            c.facility_name,
            c.place,
            _division(c.province),
            _division(c.county),
            multi((c.victims or "").split()),
            c.victim_count,
            multi(f"{name} ({_label(vocab.DEGREES, degree)})" for name, degree in c.perpetrators),
            "command responsibility"
            if c.under_command
            else multi(_label(vocab.DEGREES, d) for d in c.degrees),
            _label(vocab.CONFIDENCES, c.confidence) if c.confidence else "",
            c.corroboration,
            multi(sorted(refs.get(c.act_id, ()))),
            c.description,
            f"act:{c.act_id}",
        ]
        for c in dossier.conduct
    ]
    return _table(header, rows)


def _sources(dossier: Dossier) -> bytes:
    header = ["title", "acts", "connections", "reliabilities", "envelope_sha256", "received_on"]
    uses: dict[str, list] = {}
    for use in dossier.evidence:
        uses.setdefault(use.source_ref, []).append(use)
    documents: dict[str, list] = {}
    for document in dossier.documents:
        documents.setdefault(document.source_ref, []).append(document)
    rows = []
    for ref in sorted(set(uses) | set(documents)):
        own = uses.get(ref, [])
        rows.append([
            ref,
            multi(sorted({f"act:{use.act_id}" for use in own})),
            multi(sorted({str(_label(vocab.CONNECTIONS, use.connection)) for use in own})),
            multi(sorted({str(_label(vocab.RELIABILITIES, use.reliability)) for use in own})),
            multi(document.sha256 for document in documents.get(ref, [])),
            multi(document.received_on for document in documents.get(ref, [])),
        ])  # fmt: skip
    return _table(header, rows)
