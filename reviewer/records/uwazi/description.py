"""What an Uwazi administrator must create before importing the layout, written into every Uwazi export:
``uwazi-templates.json`` (each file's template, each column's property type, thesaurus, link target and
relationship type, the thesauri and the import order) and ``uwazi-README.md`` (the same as steps).

Uwazi never makes a template, a thesaurus or a relationship type from a CSV file, so these come first.
"""

from __future__ import annotations

import json

from flask_babel import force_locale

from reviewer.records.uwazi import layout, thesauri
from reviewer.records.uwazi.layout import Column, Template

TEMPLATES_FILE = "uwazi-templates.json"
README_FILE = "uwazi-README.md"
FORMAT = "sori-uwazi-layout-1"


def _both(text: object) -> dict[str, str]:
    """A translatable text in English and Korean."""
    found = {}
    for lang in ("en", "ko"):
        with force_locale(lang):
            found[lang] = str(text)
    return found


def _property(column: Column) -> dict[str, object]:
    described: dict[str, object] = {
        "name": column.name,
        "columns": list(column.headers),
        "type": column.type,
        "label": _both(column.label),
    }
    if column.thesaurus:
        described["thesaurus"] = _both(thesauri.NAMES[column.thesaurus])
        described["thesaurus_file"] = thesauri.file_name(column.thesaurus)
    if column.target:
        described["target_template"] = _both(layout.BY_FILE[column.target].name)
        described["target_file"] = column.target
        described["relationship_type"] = _both(column.relationship)
    return described


def _template(template: Template) -> dict[str, object]:
    return {
        "file": template.file,
        "name": _both(template.name),
        "links_name": template.link_title,
        "properties": [_property(column) for column in template.columns],
    }


def _thesaurus_keys() -> list[str]:
    keys = (column.thesaurus for template in layout.TEMPLATES for column in template.columns)
    return list(dict.fromkeys(key for key in keys if key))


def _relationship_types() -> list[dict[str, str]]:
    named = [column.relationship for template in layout.TEMPLATES for column in template.columns]
    pairs = [_both(text) for text in named if text is not None]
    return list({pair["en"]: pair for pair in pairs}.values())


def templates_json() -> bytes:
    """The description of the layout, as JSON."""
    described = {
        "format": FORMAT,
        "languages": list(layout.LANGUAGES),
        "links_name_language": layout.LINK_LANGUAGE,
        "thesauri": [
            {"key": key, "name": _both(thesauri.NAMES[key]), "file": thesauri.file_name(key)}
            for key in _thesaurus_keys()
        ],
        "relationship_types": _relationship_types(),
        "templates": [_template(template) for template in layout.TEMPLATES],
        "import_order": [template.file for template in layout.TEMPLATES],
    }
    return (json.dumps(described, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def readme() -> bytes:
    """The steps to load the files into Uwazi, in English (docs/exports.md says more)."""
    with force_locale("en"):
        templates = "\n".join(
            f"   - {template.name} (`{template.file}`): "
            + ", ".join(f"{column.label} [{column.type}]" for column in template.columns[1:])
            for template in layout.TEMPLATES
        )
        thesaurus_lines = "\n".join(
            f"   - {thesauri.NAMES[key]}: `{thesauri.file_name(key)}`" for key in _thesaurus_keys()
        )
    relationship_lines = "\n".join(f"   - {pair['en']} ({pair['ko']})" for pair in _relationship_types())
    order = ", ".join(f"`{template.file}`" for template in layout.TEMPLATES)
    text = f"""# Loading these files into Uwazi

Uwazi makes no template, thesaurus or relationship type from a CSV file: create them first, as
`{TEMPLATES_FILE}` describes them. The instance's languages must include English (links name the English
titles); add Korean to get the Korean titles and labels too.

1. Settings > Languages: English, and Korean if wanted. Do the rest with English selected.
2. Settings > Thesauri: for each file below, a new thesaurus of that name, then Import that file
   (its English column becomes the values, its Korean column their translations):
{thesaurus_lines}
3. Settings > Relationship types: one of each name:
{relationship_lines}
4. Settings > Templates: one template per file, with a property per column, typed the label given (the
   label makes the property's name, which must be the column's name); a select takes the thesaurus named
   in `{TEMPLATES_FILE}`, and a relationship its relationship type and the template it links to (always
   set it: a title that matches nothing then becomes an empty entity of that template, which shows):
{templates}
5. Import the CSV files into their templates in this order, each after the one before has finished:
   {order}.
   Every link names a title of a file before it (or, for parent organizations, a row above it). With the
   dossier's PDF, import `uwazi-<template>.zip` instead of the target's CSV file: the PDF is then attached
   to the target's entity. Import each file once: Uwazi adds entities anew on a second import.

Dates are full days, `from:to` for a partial date or a period (`2019-03` is `2019-03-01:2019-03-31`);
`date_as_recorded` keeps Sori's own form. A cell that began with `=`, `+`, `-`, `@`, a tab, a carriage
return or an apostrophe has one apostrophe added, so that no spreadsheet runs it; Uwazi keeps it. `sori_id`
names the Sori record (never rename it `id`: to Uwazi that means "update this entity").
`sources.csv` lists the evidence of the dossier by pseudonymous source; `sori records import --uwazi`
reads every other file back into Sori.
"""
    return text.encode("utf-8")
