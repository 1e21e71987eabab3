"""Import records from a folder in the Uwazi layout (``sori records import --uwazi DIR``): organizations
with their parents, persons, the posts they held, facilities, incidents, acts and who took part in them,
each row through the service of its web form, as the acting reviewer.

Nothing is written unless the whole folder imports. First every file is read and checked together (a
header in Uwazi's normal form, titles unique in their file, every link naming a title of its target file,
one ``sori_id`` per row); then every row is made, in import order, inside one transaction that is rolled
back, so that every service checks every row; only if no row was refused are the files made again, one
transaction per file, each committed with a ``records.import`` entry in the audit trail (the file's
SHA-256 and how many records it made). A dry run stops after the check. Problems name the file and the
line the row starts on; a column the layout does not know is reported, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core import audit
from reviewer.models import User
from reviewer.records import origins
from reviewer.records.uwazi import layout, sheets
from reviewer.records.uwazi.messages import message, where
from reviewer.records.uwazi.rows import Made, RowCells, make_row
from reviewer.records.uwazi.sheets import Problem, Sheet


@dataclass
class Report:
    """What an import did or would do."""

    #: File -> (records made, rows already in Sori), for each record file read.
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    remarks: list[Problem] = field(default_factory=list)
    #: Files of the folder that are not record files of the layout.
    not_read: list[str] = field(default_factory=list)
    written: bool = False

    def lines(self) -> list[str]:
        """The report in words, in the current language: each file's counts, then remarks and problems."""
        counted = (
            _("%(file)s: %(new)s made, %(present)s already in Sori")
            if self.written
            else _("%(file)s: %(new)s to make, %(present)s already in Sori")
        )
        said = [
            counted % {"file": name, "new": new, "present": present}
            for name, (new, present) in self.counts.items()
        ]
        if self.not_read:
            said.append(_("Not read: %(files)s", files=", ".join(self.not_read)))
        said += [f"{where(remark)}: {message(remark)}" for remark in self.remarks]
        said += [f"{where(problem)}: {message(problem)}" for problem in self.problems]
        if self.problems and not self.written:
            said.append(_("Nothing was written."))
        return said


def import_folder(session: Session, actor: User, folder: Path, *, dry_run: bool = False) -> Report:
    """Import ``folder``'s record files as ``actor`` (or only check them: ``dry_run``)."""
    names = sorted(path.name for path in folder.iterdir() if path.is_file())
    files = {name: (folder / name).read_bytes() for name in names if name in layout.BY_FILE}
    report = Report()
    read = sheets.read_folder(files, report.problems)
    _check_sori_ids(read, report.problems)
    report.not_read = [name for name in names if name not in read and name != layout.SOURCES.file]
    if layout.SOURCES.file in files:
        report.remarks.append(Problem(layout.SOURCES.file, 0, "evidence"))
    for sheet in read.values():
        report.remarks += [
            Problem(sheet.template.file, 1, "unknown_column", {"column": name})
            for name in sheet.unknown_columns
        ]
    if report.problems:
        return report
    made = _make(session, actor, read, report, commit_each=False)
    session.rollback()
    report.counts = {name: (made.created.get(name, 0), made.present.get(name, 0)) for name in read}
    if report.problems or dry_run:
        return report
    writing = Report()
    _make(session, actor, read, writing, commit_each=True)
    report.problems += writing.problems  # only if the database changed since the check
    report.written = True
    return report


def _make(
    session: Session, actor: User, read: dict[str, Sheet], report: Report, *, commit_each: bool
) -> Made:
    """Make every row, file by file in import order; stop after a file with a refused row (rolled back
    when ``commit_each``, as each file is committed on its own then)."""
    sori_ids = (row.text("sori_id") for sheet in read.values() for row in sheet.rows)
    made = Made(known=origins.known(session, filter(None, sori_ids)))
    for template in layout.RECORD_TEMPLATES:
        sheet = read.get(template.file)
        if sheet is None:
            continue
        problems: list[Problem] = []
        for index in _order(sheet, problems):
            row_cells = RowCells(read, made, sheet, sheet.rows[index])
            make_row(session, actor, row_cells, index)
            problems += row_cells.problems
            report.remarks += row_cells.remarks
        report.problems += problems
        if problems:
            if commit_each:
                session.rollback()
            break
        if commit_each:
            audit.record(
                session,
                actor,
                "records.import",
                f"uwazi:{template.file}",
                sha256=sheet.sha256,
                created=made.created.get(template.file, 0),
                present=made.present.get(template.file, 0),
            )
            session.commit()
    return made


def _order(sheet: Sheet, problems: list[Problem]) -> list[int]:
    """The rows in the order they are made: as written, but an organization after its parent; the rows
    of a loop of parents are left out, each with a problem."""
    if sheet.template is not layout.ORGANIZATIONS:
        return list(range(len(sheet.rows)))
    parents = {}
    for index, row in enumerate(sheet.rows):
        titles = row.links("parent_organization")
        if titles:
            parents[index] = sheet.titles[titles[0]]
    order: list[int] = []
    placed: set[int] = set()
    for index in range(len(sheet.rows)):
        chain = [index]
        while chain[-1] in parents and parents[chain[-1]] not in placed and parents[chain[-1]] not in chain:
            chain.append(parents[chain[-1]])
        if chain[-1] in parents and parents[chain[-1]] in chain:
            for looped in chain[chain.index(parents[chain[-1]]) :]:
                if looped not in placed:
                    placed.add(looped)
                    problems.append(Problem(sheet.template.file, sheet.rows[looped].line, "parent_loop"))
            chain = chain[: chain.index(parents[chain[-1]])]
        for member in reversed(chain):
            if member not in placed:
                placed.add(member)
                order.append(member)
    return order


def _check_sori_ids(read: dict[str, Sheet], problems: list[Problem]) -> None:
    """One row per ``sori_id`` in a file."""
    for sheet in read.values():
        seen: dict[str, int] = {}
        for row in sheet.rows:
            sori_id = row.text("sori_id")
            if sori_id and seen.setdefault(sori_id, row.line) != row.line:
                params = {"sori_id": sori_id, "other": seen[sori_id]}
                problems.append(Problem(sheet.template.file, row.line, "sori_id_twice", params))
