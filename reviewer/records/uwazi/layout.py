"""The Uwazi layout: one CSV file per Uwazi template, each column an Uwazi property with its type, and the
order in which the files import (a file's links point only to files before it, or to earlier rows of
itself).

Uwazi's CSV import (huridocs/uwazi, app/api/csv) reads a header as a property name after lower-casing it
and turning every character but ``a-z`` and ``0-9`` into ``_``; a geolocation property's name always ends
in ``_geolocation``; ``title__ko`` / ``title__en`` are the Korean and English versions of one property
(two underscores, allowed for title, text, markdown, select and multiselect); a relationship cell holds
the exact titles of existing entities separated by ``|``; a daterange cell is ``from:to``. Headers here are
already in that normal form, so Uwazi and ``sori records import`` read them alike. Uwazi names a property
after its label the same way, so each column's English label is one whose normal form is the column's
name: typing it as the field's label in Uwazi gives the field the column's name.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

#: The Uwazi property types the layout uses (``title`` is the common title property).
TYPES = (
    "title",
    "text",
    "markdown",
    "select",
    "multiselect",
    "relationship",
    "daterange",
    "multidate",
    "numeric",
    "geolocation",
)
#: Types that hold one value: a ``|`` never appears in them.
SINGLE_CHOICE = ("select",)
#: Languages of translated columns (``title__ko``); links name the English title, which an instance whose
#: languages include English always has.
LANGUAGES = ("ko", "en")
LINK_LANGUAGE = "en"


@dataclass(frozen=True)
class Column:
    """One column of a layout file: an Uwazi property."""

    name: str
    type: str
    label: object
    #: For a select or multiselect: the thesaurus (a key of reviewer/records/uwazi/thesauri.py THESAURI).
    thesaurus: str | None = None
    #: For a relationship: the file whose titles it names, and the relationship type to create for it.
    target: str | None = None
    relationship: object | None = None
    #: Given in Korean and in English, as ``<name>__ko`` and ``<name>__en``.
    translated: bool = False

    @property
    def headers(self) -> tuple[str, ...]:
        """The columns of this property in a file."""
        return tuple(f"{self.name}__{lang}" for lang in LANGUAGES) if self.translated else (self.name,)


@dataclass(frozen=True)
class Template:
    """One file of the layout and the Uwazi template it fills; its first column is the title."""

    file: str
    name: object
    #: The kind of record a row is (reviewer/records/origins.py), or ``None`` for the evidence file.
    kind: str | None
    columns: tuple[Column, ...]

    @property
    def title(self) -> Column:
        return self.columns[0]

    @property
    def link_title(self) -> str:
        """The column whose values other files' links name."""
        return f"title__{LINK_LANGUAGE}" if self.title.translated else "title"

    @property
    def title_headers(self) -> tuple[str, ...]:
        return self.title.headers

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(header for column in self.columns for header in column.headers)

    def column(self, name: str) -> Column:
        """The property of the column ``name``."""
        return next(column for column in self.columns if name in column.headers)


def _text(name: str, label: object) -> Column:
    return Column(name, "text", label)


def _markdown(name: str, label: object) -> Column:
    return Column(name, "markdown", label)


def _select(name: str, label: object, thesaurus: str) -> Column:
    return Column(name, "select", label, thesaurus=thesaurus)


def _link(name: str, label: object, target: str, relationship: object) -> Column:
    return Column(name, "relationship", label, target=target, relationship=relationship)


SORI_ID = _text("sori_id", _l("Sori ID"))
#: A title in Korean and English (the English one is what links name), or one title.
TITLES = Column("title", "title", _l("Title"), translated=True)
TITLE = Column("title", "title", _l("Title"))
PROVINCE = _select("province", _l("Province"), "provinces")
COUNTY = _select("county", _l("County"), "counties")
DESCRIPTION = _markdown("description", _l("Description"))
EXCULPATORY = _markdown("exculpatory_information", _l("Exculpatory information"))
#: Primary names by spelling style (reviewer/records/vocab.py NAME_STYLES), one name a line.
NAME_COLUMNS = {
    "hangul": _markdown("hangul_names", _l("Hangul names")),
    "dprk": _markdown("dprk_romanization", _l("DPRK romanization")),
    "rr": _markdown("south_korean_romanization", _l("South Korean romanization")),
    "lc": _markdown("mccune_reischauer", _l("McCune Reischauer")),
    "other": _markdown("other_spellings", _l("Other spellings")),
}
#: Identifiers by kind (reviewer/records/vocab.py IDENTIFIER_KINDS), one a line, the country after it.
IDENTIFIER_COLUMNS = {
    "passport": _markdown("passport_numbers", _l("Passport numbers")),
    "national_id": _markdown("id_card_numbers", _l("ID card numbers")),
    "military": _markdown("military_service_numbers", _l("Military service numbers")),
    "other": _markdown("other_identifiers", _l("Other identifiers")),
}

ORGANIZATIONS = Template(
    "organizations.csv",
    _l("Organization"),
    "organization",
    (
        TITLES,
        _select("organization_kind", _l("Organization kind"), "organization_kinds"),
        _link("parent_organization", _l("Parent organization"), "organizations.csv", _l("Is under")),
        PROVINCE,
        COUNTY,
        DESCRIPTION,
        EXCULPATORY,
        SORI_ID,
    ),
)
PERSONS = Template(
    "persons.csv",
    _l("Person"),
    "person",
    (
        TITLES,
        *NAME_COLUMNS.values(),
        _markdown("aliases", _l("Aliases")),
        _markdown("weak_aliases", _l("Weak aliases")),
        _select("gender", _l("Gender"), "genders"),
        Column("birth_date", "daterange", _l("Birth date")),
        _text("birth_place", _l("Birth place")),
        Column("nationality", "multiselect", _l("Nationality"), thesaurus="countries"),
        *IDENTIFIER_COLUMNS.values(),
        DESCRIPTION,
        EXCULPATORY,
        SORI_ID,
    ),
)
POSTS = Template(
    "posts.csv",
    _l("Post held"),
    "occupancy",
    (
        TITLE,
        _link("held_by", _l("Held by"), "persons.csv", _l("Post held by")),
        _link("organization", _l("Organization"), "organizations.csv", _l("Post in")),
        Column("post_title", "text", _l("Post title"), translated=True),
        _select("post_kind", _l("Post kind"), "post_kinds"),
        Column("held_from", "daterange", _l("Held from")),
        Column("held_until", "daterange", _l("Held until")),
        SORI_ID,
    ),
)
FACILITIES = Template(
    "facilities.csv",
    _l("Place of detention"),
    "facility",
    (
        TITLES,
        *NAME_COLUMNS.values(),
        _select("facility_kind", _l("Facility kind"), "facility_kinds"),
        _select("managing_agency", _l("Managing agency"), "agencies"),
        _link("operated_by", _l("Operated by"), "organizations.csv", _l("Operated by")),
        PROVINCE,
        COUNTY,
        Column("coordinates_geolocation", "geolocation", _l("Coordinates")),
        DESCRIPTION,
        EXCULPATORY,
        SORI_ID,
    ),
)
INCIDENTS = Template(
    "incidents.csv",
    _l("Incident"),
    "incident",
    (TITLE, _markdown("summary", _l("Summary")), SORI_ID),
)
ACTS = Template(
    "acts.csv",
    _l("Act"),
    "act",
    (
        TITLE,
        _link("incident", _l("Incident"), "incidents.csv", _l("Part of incident")),
        _select("violation", _l("Violation"), "violations"),
        Column("date", "daterange", _l("Date")),
        _text("date_as_recorded", _l("Date as recorded")),
        _link("place_of_detention", _l("Place of detention"), "facilities.csv", _l("Took place at")),
        PROVINCE,
        COUNTY,
        _text("place", _l("Place")),
        _text("victims", _l("Victims")),
        Column("number_of_victims", "numeric", _l("Number of victims")),
        DESCRIPTION,
        SORI_ID,
    ),
)
INVOLVEMENTS = Template(
    "involvements.csv",
    _l("Involvement"),
    "involvement",
    (
        TITLE,
        _link("act", _l("Act"), "acts.csv", _l("Involvement in")),
        _link("person", _l("Person"), "persons.csv", _l("Involvement of")),
        _select("degree_of_involvement", _l("Degree of involvement"), "degrees"),
        _select("confidence", _l("Confidence"), "confidences"),
        EXCULPATORY,
        SORI_ID,
    ),
)
#: The evidence a dossier relied on, by pseudonymous source; only a dossier writes it, and records are
#: never made from it (a source's evidence in Sori is its verified testimony).
SOURCES = Template(
    "sources.csv",
    _l("Source"),
    None,
    (
        TITLE,
        _link("acts_supported", _l("Acts supported"), "acts.csv", _l("Supports")),
        Column("connections", "multiselect", _l("Connections"), thesaurus="connections"),
        Column("reliability", "multiselect", _l("Reliability"), thesaurus="reliabilities"),
        _markdown("envelope_sha256", _l("Envelope SHA256")),
        Column("received_on", "multidate", _l("Received on")),
    ),
)

#: Every file, in the order they import.
TEMPLATES: tuple[Template, ...] = (
    ORGANIZATIONS,
    PERSONS,
    POSTS,
    FACILITIES,
    INCIDENTS,
    ACTS,
    INVOLVEMENTS,
    SOURCES,
)
BY_FILE = {template.file: template for template in TEMPLATES}
#: The files records are made from, in the order they import.
RECORD_TEMPLATES = tuple(template for template in TEMPLATES if template.kind is not None)
