"""Reading the files of an Uwazi layout back: each file's header in Uwazi's normal form, its rows with the
line each starts on, the columns the layout does not know, and the checks that need the whole folder:
titles unique in their file, every link naming a title of its target file.

A header is read as Uwazi reads it (huridocs/uwazi, ``safeName``): trimmed, lower-cased, every character
but ``a-z`` and ``0-9`` made ``_``; so ``Birth date`` is ``birth_date``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field

from reviewer.records.uwazi import cells, layout
from reviewer.records.uwazi.layout import Template

_NOT_NAME = re.compile(r"[^a-z0-9]")


@dataclass(frozen=True)
class Problem:
    """Something wrong in a file, at a line (0: the file as a whole); ``code`` is a key of
    reviewer/records/uwazi/messages.py MESSAGES, ``params`` what its message names."""

    file: str
    line: int
    code: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass
class Row:
    line: int
    cells: dict[str, str]

    def text(self, column: str) -> str:
        """A cell as it was given to the file (one leading apostrophe dropped), or ``""``."""
        return cells.plain(self.cells.get(column, "")).strip()

    def links(self, column: str) -> list[str]:
        return cells.read_links(self.cells.get(column, ""))


@dataclass
class Sheet:
    """One file of the layout as read."""

    template: Template
    rows: list[Row]
    sha256: str
    unknown_columns: list[str]
    #: Link title -> the index of the row that has it.
    titles: dict[str, int] = field(default_factory=dict)

    def titles_of(self, row: Row) -> list[str]:
        """The row's titles (each language's), the one links name first."""
        found = [row.text(self.template.link_title)]
        found += [row.text(header) for header in self.template.title_headers]
        return list(dict.fromkeys(title for title in found if title))


def normal_name(header: str) -> str:
    """A header as Uwazi names the property it fills."""
    return _NOT_NAME.sub("_", header.strip().lower())


def read(template: Template, content: bytes, problems: list[Problem]) -> Sheet | None:
    """The file's rows, or ``None`` with the problem noted when it is not a CSV file with a header."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(Problem(template.file, 0, "not_utf8"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[Row] = []
    try:
        header = [normal_name(name) for name in next(reader, [])]
        if not any(header):
            problems.append(Problem(template.file, 0, "no_header"))
            return None
        for name in sorted({name for name in header if header.count(name) > 1}):
            problems.append(Problem(template.file, 1, "duplicate_column", {"column": name}))
        line = reader.line_num + 1
        for values in reader:
            if len(values) > len(header) and any(value.strip() for value in values[len(header) :]):
                problems.append(Problem(template.file, line, "extra_cells"))
            if any(value.strip() for value in values):
                rows.append(Row(line, dict(zip(header, values, strict=False))))
            line = reader.line_num + 1
    except csv.Error as exc:
        problems.append(Problem(template.file, reader.line_num, "not_csv", {"error": str(exc)}))
        return None
    known = set(template.header)
    unknown = [name for name in dict.fromkeys(header) if name and name not in known]
    sheet = Sheet(template, rows, hashlib.sha256(content).hexdigest(), unknown)
    _index_titles(sheet, problems)
    return sheet


def _index_titles(sheet: Sheet, problems: list[Problem]) -> None:
    """Every title of every row, which must be unique in the file across languages: Uwazi links to every
    entity that has a title a link names."""
    for index, row in enumerate(sheet.rows):
        titles = sheet.titles_of(row)
        if not titles:
            problems.append(Problem(sheet.template.file, row.line, "no_title"))
        for title in titles:
            other = sheet.titles.setdefault(title, index)
            if other != index:
                params = {"title": title, "other": sheet.rows[other].line}
                problems.append(Problem(sheet.template.file, row.line, "duplicate_title", params))


def check_links(sheets: dict[str, Sheet], problems: list[Problem]) -> None:
    """Every value of every link column names a title of a row of its target file."""
    for sheet in sheets.values():
        for column in sheet.template.columns:
            if column.type != "relationship" or column.target is None:
                continue
            target = sheets.get(column.target)
            for row in sheet.rows:
                for title in row.links(column.name):
                    if target is None or title not in target.titles:
                        params = {"column": column.name, "title": title, "file": column.target}
                        problems.append(Problem(sheet.template.file, row.line, "unknown_link", params))


def read_folder(files: dict[str, bytes], problems: list[Problem]) -> dict[str, Sheet]:
    """The record files among ``files`` (name -> content), read and checked together."""
    sheets = {}
    for template in layout.RECORD_TEMPLATES:
        if template.file in files:
            sheet = read(template, files[template.file], problems)
            if sheet is not None:
                sheets[template.file] = sheet
    check_links(sheets, problems)
    return sheets
