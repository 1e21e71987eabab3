"""Dossier export of a large target: one official with 1,000 acts backed by 3,000 sources, in each format.

Builds a temporary SQLite database (migrated like production) holding the small record set of
tests/exports/fixtures.py, then gives its target official 1,000 more acts, each involving them and two
guards, backed by 3,000 sources (one verified submission with a real envelope each; nine in ten with
sanctions consent, the rest without, so that consent filtering has work to do), three sources an act.
Times the dossier's build, then each format from the built dossier: PDF in Korean (with its chain-of-command
diagram and timeline), FollowTheMoney, CSV, and the signed manifest (targets: PDF <= 10 s, FtM and CSV
<= 2 s); then the dossier of the official's county bureau, whose PDF has all three pictures (the diagram,
the timeline of the 1,000 acts and the map of the facility it runs), in Korean and in both languages.
Then the Uwazi layout's round trip: the CSV files imported into a new database with
``sori records import`` (its check of every row, then the import file by file), and the records it then
holds written again, which must give the same files.

    .venv/bin/python -m bench.exports [--acts 1000] [--sources 3000]
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import tempfile
import time
from datetime import date
from pathlib import Path

import nacl.signing
from sqlalchemy import insert, select

from core import db, migrate
from core.models import Envelope, Submission
from reviewer.exports import bundle, csv_export, dossier, ftm, pdf
from reviewer.models import User
from reviewer.records import dates
from reviewer.records.models import Act, Incident, Information, Involvement, Source, SubmissionSource
from reviewer.records.uwazi import importer, layout
from sori import create_app
from tests.exports.fixtures import build_records, seal
from tests.records.uwazi import every_record

VIOLATIONS = ["torture_interrogation", "arbitrary_detention", "forced_labour", "food_deprivation", "rape"]


def populate(app, acts: int, sources: int) -> tuple[int, int]:
    """Fill the database; returns the target person's id and their county bureau's."""
    rng = random.Random(6113)
    with app.app_context():
        session = db.session()
        records = build_records(session)
        assert records.identity is not None
        recorder = session.scalars(select(User.id)).first()
        incident = Incident(title="Bench: a decade at one detention centre")
        session.add(incident)
        session.flush()
        act_rows = []
        for n in range(acts):
            start = f"{2010 + n % 10}-{1 + n % 12:02d}"
            low, high = dates.span(start, None)
            act_rows.append(
                {
                    "incident_id": incident.id,
                    "violation": VIOLATIONS[n % len(VIOLATIONS)],
                    "date_start": start,
                    "date_lo": low,
                    "date_hi": high,
                    "facility_id": records.facility_id,
                    "description": f"Bench act {n}: described by reviewers in their own words.",
                }
            )
        session.execute(insert(Act), act_rows)
        act_ids = list(session.scalars(select(Act.id).where(Act.incident_id == incident.id).order_by(Act.id)))
        involvement_rows = [
            {"act_id": act_id, "person_id": person, "degree": degree, "confidence": "medium"}
            for act_id in act_ids
            for person, degree in ((records.person_id, "ordered"), (records.guard_id, "carried_out"))
        ]
        session.execute(insert(Involvement), involvement_rows)
        subs, envs, links, infos = [], [], [], []
        session.execute(insert(Source), [{"ref": f"W-{10000 + n}"} for n in range(sources)])
        source_ids = list(
            session.scalars(select(Source.id).where(Source.ref.like("W-1%")).order_by(Source.id))
        )
        key_ids = json.dumps([records.identity.public_key.key_id.hex()])
        for n, source_id in enumerate(source_ids):
            sid = secrets.token_urlsafe(16)
            ciphertext = seal(records.identity, b'{"bench": true}')
            subs.append({"id": sid, "receipt_hash": secrets.token_hex(32), "state": "verified"})
            envs.append(
                {
                    "submission_id": sid,
                    "sequence": 1,
                    "received_on": date(2024, 1, 1 + n % 28),
                    "ciphertext": ciphertext,
                    "ciphertext_size": len(ciphertext),
                    "recipient_key_ids": key_ids,
                    "path": "server",
                }
            )
            consent = n % 10 != 0
            links.append(
                {
                    "submission_id": sid,
                    "source_id": source_id,
                    "consent_documentation": True,
                    "consent_sanctions": consent,
                    "consent_public": consent,
                    "recorded_by_id": recorder,
                }
            )
            for act_id in rng.sample(act_ids, 1):
                infos.append(
                    {
                        "submission_id": sid,
                        "act_id": act_id,
                        "connection": rng.choice(["victim", "witness", "former_agent"]),
                        "reliability": rng.choice(["highly_reliable", "likely_reliable", "unsure"]),
                        "created_by_id": recorder,
                    }
                )
        # Three sources an act on average: each act also gets two more of the sources at random.
        for act_id in act_ids:
            for pick in rng.sample(range(len(subs)), 2):
                infos.append({**infos[pick], "act_id": act_id})
        session.execute(insert(Submission.__table__), subs)
        session.execute(insert(Envelope.__table__), envs)
        session.execute(insert(SubmissionSource), links)
        session.execute(insert(Information), infos)
        session.commit()
        return records.person_id, records.county_bureau_id


def timed(label: str, target: float | None, work):  # noqa: ANN001, ANN201  (a callable and its result)
    start = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - start
    verdict = (
        "" if target is None else f"  ({'within' if elapsed <= target else 'OVER'} the {target:g} s target)"
    )
    size = f", {len(result) / 1e6:.1f} MB" if isinstance(result, bytes) else ""
    print(f"  {label:<22} {elapsed:6.2f} s{size}{verdict}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--acts", type=int, default=1000)
    parser.add_argument("--sources", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sori-bench-exports-") as folder:
        url = f"sqlite:///{Path(folder) / 'sori.db'}"
        migrate.upgrade(url)
        app = create_app({"SORI_DATA_DIR": Path(folder) / "data", "SORI_DATABASE_URL": url})
        start = time.perf_counter()
        person_id, bureau_id = populate(app, args.acts, args.sources)
        print(f"{args.acts} acts and {args.sources} sources made in {time.perf_counter() - start:.1f} s")
        with app.app_context():
            session = db.session()
            print("Sanctions dossier of the target official:")
            built = timed(
                "build (consent, digests)",
                None,
                lambda: dossier.build(session, "person", person_id, "sanctions", actor_login="bench"),
            )
            print(
                f"  {len(built.conduct)} acts, {len(built.evidence)} evidence lines, {len(built.documents)} "
                f"envelopes; {built.sources_included} sources in, {built.sources_excluded} left out"
            )
            pictures = "diagram" if built.chain_diagram else "no diagram"
            print(f"  pictures: {pictures}, timeline of {len(built.conduct)} acts")
            timed("pdf (ko)", 10, lambda: pdf.render(built, "ko"))
            timed("ftm", 2, lambda: ftm.render(built))
            timed("csv", 2, lambda: b"".join(csv_export.render(built).values()))
            key = nacl.signing.SigningKey.generate()
            timed("ftm+csv+manifest", None, lambda: bundle.make(built, ("ftm", "csv"), (), key).files)
            print("Sanctions dossier of the official's county bureau, with every picture:")
            bureau = timed(
                "build (consent, digests)",
                None,
                lambda: dossier.build(session, "organization", bureau_id, "sanctions", actor_login="bench"),
            )
            cards = sum(1 for _ in bureau.chain_diagram.cards()) if bureau.chain_diagram else 0
            print(
                f"  {len(bureau.conduct)} acts; diagram of {cards} cards, timeline, map of "
                f"{len(bureau.facilities)} facilities"
            )
            timed("pdf (ko), all pictures", 10, lambda: pdf.render(bureau, "ko"))
            timed("pdf (both), all pictures", 10, lambda: pdf.render(bureau, "both"))
            exported = csv_export.render(built)
        round_trip(exported, Path(folder))


def round_trip(exported: dict[str, bytes], folder: Path) -> None:
    """Import the Uwazi files into a new database, write its records again, and compare."""
    url = f"sqlite:///{folder / 'second.db'}"
    migrate.upgrade(url)
    second = create_app({"SORI_DATA_DIR": folder / "second", "SORI_DATABASE_URL": url})
    uwazi = folder / "uwazi"
    uwazi.mkdir()
    for name, content in exported.items():
        (uwazi / name).write_bytes(content)
    print("Uwazi layout round trip:")
    with second.app_context():
        session = db.session()
        reviewer = User(login="bench-importer", display_name="Bench", is_reviewer=True)
        session.add(reviewer)
        session.commit()
        report = timed(
            "import (check, write)", None, lambda: importer.import_folder(session, reviewer, uwazi)
        )
        made = sum(new for new, _present in report.counts.values())
        print(f"  {made} records made, {len(report.problems)} problems")
    again = timed("export of every record", None, lambda: every_record(second))
    files = [template.file for template in layout.RECORD_TEMPLATES]
    same = all(again[name] == exported[name] for name in files)
    print(f"  {len(files)} record files {'identical' if same else 'DIFFERENT'} after the round trip")


if __name__ == "__main__":
    main()
