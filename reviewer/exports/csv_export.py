"""A dossier as CSV files that import into Uwazi as intended (the platform of HURIDOCS and of Korea Future's
North Korean Prison Database): the records the dossier lists in Sori's Uwazi layout, one file per template
(reviewer/records/uwazi/), the evidence by pseudonymous source, the thesauri, and the description of the
templates, thesauri and relationship types to create before importing, with the order to import in.

With the PDF, ``uwazi-<template>.zip`` is what Uwazi's import of a ZIP file takes: ``import.csv``, the
target's template file with an ``attachments`` column naming the dossier's PDFs on the target's row, and
the PDFs, which Uwazi then attaches to the target's entity.

The record files list every record the dossier names (the target, the acts it answers for with their
incidents, places and every person involved, the posts of the chain of command and the organizations up to
the top) as complete as Sori holds them, so that ``sori records import --uwazi`` gives back the same
records and a new export of them the same files. ``sources.csv`` is the evidence: each included source
with the acts it supports, how it is connected to them, how reliable it was judged, and the SHA-256 and day
of receipt of its encrypted testimony. Cells that a spreadsheet could run as a formula are made inert
(reviewer/records/uwazi/cells.py).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict

from flask_babel import force_locale

from reviewer.exports.model import Dossier, EvidenceDocument, SourceUse
from reviewer.records.uwazi import cells, description, layout, thesauri, writer

#: The files every Uwazi export has, beside one thesaurus file per thesaurus.
FILES = (
    *(template.file for template in layout.TEMPLATES),
    description.TEMPLATES_FILE,
    description.README_FILE,
)


def render(dossier: Dossier) -> dict[str, bytes]:
    """File name -> content, for every file of the layout (a file with no rows has its header only)."""
    with force_locale("en"):
        written = writer.write(dossier.records)
        act_titles = written.titles[layout.ACTS.file]
        files = dict(written.files)
        files[layout.SOURCES.file] = _sources(
            dossier.evidence,
            dossier.documents,
            {act: act_titles[sori] for act, sori in dossier.act_sori_ids.items()},
        )
        countries = {code for person in dossier.records.persons for code in person.nationality}
        for key in thesauri.NAMES:
            files[thesauri.file_name(key)] = thesauri.thesaurus_file(key, countries)
        files[description.TEMPLATES_FILE] = description.templates_json()
        files[description.README_FILE] = description.readme()
    return files


#: The template a dossier's target is a row of.
TARGET_TEMPLATES = {
    "person": layout.PERSONS,
    "organization": layout.ORGANIZATIONS,
    "facility": layout.FACILITIES,
}


def attachment_zip(dossier: Dossier, files: dict[str, bytes]) -> dict[str, bytes]:
    """The target's template as a ZIP for Uwazi's import, with the PDFs among ``files`` attached to the
    target's row (nothing when there is no PDF)."""
    pdfs = sorted(name for name in files if name.endswith(".pdf"))
    template = TARGET_TEMPLATES[dossier.target.kind]
    if not pdfs:
        return {}
    table = list(csv.reader(io.StringIO(files[template.file].decode("utf-8"), newline="")))
    sori_id = table[0].index("sori_id")
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*table[0], "attachments"])
    writer.writerows(
        [*row, cells.multi(pdfs) if row[sori_id] == cells.inert(dossier.target_sori_id) else ""]
        for row in table[1:]
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundled:
        for name, content in [
            ("import.csv", out.getvalue().encode("utf-8")),
            *((pdf, files[pdf]) for pdf in pdfs),
        ]:
            bundled.writestr(
                zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), content, zipfile.ZIP_DEFLATED
            )
    return {f"uwazi-{template.file.removesuffix('.csv')}.zip": archive.getvalue()}


def _sources(
    evidence: tuple[SourceUse, ...], documents: tuple[EvidenceDocument, ...], act_titles: dict[int, str]
) -> bytes:
    uses: dict[str, list[SourceUse]] = defaultdict(list)
    for use in evidence:
        uses[use.source_ref].append(use)
    sent: dict[str, list[EvidenceDocument]] = defaultdict(list)
    for document in documents:
        sent[document.source_ref].append(document)
    rows = []
    for ref in sorted(set(uses) | set(sent)):
        own = uses.get(ref, [])
        rows.append(
            {
                "title": ref,
                "acts_supported": cells.links(sorted({act_titles[use.act_id] for use in own})),
                "connections": cells.multi(
                    sorted({thesauri.label("connections", use.connection) for use in own})
                ),
                "reliability": cells.multi(
                    sorted({thesauri.label("reliabilities", use.reliability) for use in own})
                ),
                "envelope_sha256": cells.lines(document.sha256 for document in sent.get(ref, [])),
                "received_on": cells.multi(document.received_on for document in sent.get(ref, [])),
            }
        )
    return cells.table(layout.SOURCES.header, rows)
