"""What a deletion does (docs/retention.md): every envelope row and file of the submission (what the source
sent, the reviewers' messages to the source), its notes, triage, tags, key grants, recorded source and
consent, its receipt lookup and the source's key are gone, and `sori check` is clean; the records keep the
links as "source deleted", corroboration drops, an act left with no evidence is flagged and kept; a
withdrawal outlives the deleted submission; dossiers built afterwards leave it out, and those built before
are listed by `sori export cited-by`."""

from __future__ import annotations

import io
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from core import conversation, db, submissions, tombstones
from core.db import Base
from core.models import BlobChunk, Envelope, StoredBlob, Submission
from crypto.envelope import encrypt_parts
from crypto.keys import Identity, PublicKey
from reviewer.exports import bundle, dossier
from reviewer.models import KeyGrant, Note, SubmissionTag, Triage, User
from reviewer.records import corroboration, sources
from reviewer.records.models import Information, Person, SubmissionSource
from reviewer.retention import deletion, policies
from reviewer.retention.evidence import acts_left_without_evidence
from sori import create_app
from tests.exports.fixtures import Records, build_records
from tests.retention.helpers import Story, audit_details, envelope_rows, every_row, exists, receipt_hash


def _delete(app: Flask, *submission_ids: str) -> list[deletion.Deleted]:
    """Delete as two reviewers would have decided (the web path is tested in test_four_eyes.py)."""
    with app.app_context():
        reasons = {sid: {"proposed_by": "kim", "confirmed_by": "lee"} for sid in submission_ids}
        return deletion.delete_submissions(db.session(), reasons, None, policies.today())


def _reply(app: Flask, story: Story, submission_id: str, source_key: str) -> None:
    """A reviewer's message to the source, sealed to the source and both reviewers, as the page sends it."""
    keys = [PublicKey.parse(source_key), *(identity.public_key for identity in story.identities.values())]
    out = io.BytesIO()
    encrypt_parts(
        out, keys, [(conversation.MESSAGE_PART, conversation.MESSAGE_TYPE, "언제였습니까?".encode())]
    )
    with app.app_context():
        session = db.session()
        conversation.send(session, story.user("kim"), session.get(Submission, submission_id), out.getvalue())


def test_deletion_removes_every_part_reply_note_and_file_and_the_receipt_lookup(
    app: Flask, story: Story, runner: FlaskCliRunner
) -> None:
    kept = story.submit(in_blob=True)
    gone = story.submit(in_blob=True)
    sid = gone.submission_id
    source_key = Identity.generate().public_key.text
    with app.app_context():
        db.session().get(Submission, sid).source_public_key = source_key
        db.session().commit()
    story.add_envelope(sid, in_blob=False)
    story.add_envelope(sid, in_blob=True)
    _reply(app, story, sid, source_key)
    note = story.note(sid)
    story.tag(sid)
    story.grant(sid)
    story.move(sid, "in_review")
    act = story.act()
    story.link(sid, act)
    with app.app_context():
        session = db.session()
        sources.record_source(session, story.user("kim"), session.get(Submission, sid), ref=None, consents={})
        first_envelope = session.scalar(select(Envelope.id).where(Envelope.submission_id == sid).limit(1))
        photo = Person(photo_envelope_id=first_envelope, photo_part="photo.jpg")
        session.add(photo)
        session.commit()
        photo_id = photo.id
    rows = envelope_rows(app, sid)
    with app.app_context():
        blob_paths = [submissions.blob_store().path(blob_id) for _id, blob_id, _data in rows if blob_id]
        sizes = sum(
            db.session().scalars(select(Envelope.ciphertext_size).where(Envelope.submission_id == sid))
        )
    inline = [data for _id, _blob, data in rows if data]
    lookup_hash = receipt_hash(app, sid)
    assert len(rows) == 4 and len(blob_paths) == 2 and all(path.exists() for path in blob_paths)

    [done] = _delete(app, sid)
    assert (done.envelopes, done.bytes, done.notes, done.information) == (4, sizes, 1, 1)

    assert not exists(app, sid) and exists(app, kept.submission_id)
    assert not any(path.exists() for path in blob_paths)
    with app.app_context():
        session = db.session()
        for model in (Note, SubmissionTag, Triage, SubmissionSource, Envelope):
            assert session.scalars(select(model).where(model.submission_id == sid)).first() is None, model
        assert session.scalars(select(KeyGrant)).first() is None
        assert session.get(Person, photo_id).photo_envelope_id is None
        [link] = session.scalars(select(Information)).all()
        assert link.submission_id is None and link.source_deleted_on == policies.today()
        assert tombstones.deleted_on(session, [lookup_hash]) == policies.today()
    content = every_row(app)
    # The audit trail keeps naming the submission by its id: nothing else of it is left in any row.
    for needle in (lookup_hash, source_key, note.hex(), *(data.hex() for data in inline)):
        assert needle not in content, needle[:40]
    check = runner.invoke(args=["check"])
    assert check.exit_code == 0, check.output
    [(_actor, subject, details)] = audit_details(app, "submission.delete")
    assert subject == f"submission:{sid}"
    assert details == {
        "proposed_by": "kim",
        "confirmed_by": "lee",
        "envelopes": 4,
        "bytes": sizes,
        "notes": 1,
        "information": 1,
        "acts_without_evidence": [act],
    }


def test_corroboration_drops_and_an_act_left_without_evidence_is_flagged_not_deleted(
    app: Flask, story: Story
) -> None:
    act = story.act()
    first, second = story.submit(), story.submit()
    for stored in (first, second):
        story.move(stored.submission_id, "in_review", "verified")
        story.link(stored.submission_id, act)

    def support() -> corroboration.Support:
        with app.app_context():
            return corroboration.act_support(db.session(), [act]).get(act, corroboration.Support())

    assert support().sources == 2
    [done] = _delete(app, first.submission_id)
    assert support().sources == 1 and done.acts_without_evidence == ()
    [done] = _delete(app, second.submission_id)
    assert support() == corroboration.Support() and done.acts_without_evidence == (act,)
    with app.app_context():
        assert acts_left_without_evidence(db.session()) == [act]
    kim = story.client("kim")
    act_page = kim.get(f"/reviewer/records/acts/{act}").get_data(as_text=True)
    assert act_page.count("Source deleted on") == 2
    retention = kim.get("/reviewer/retention").get_data(as_text=True)
    assert f'href="/reviewer/records/acts/{act}"' in retention


def test_a_duplicate_of_a_deleted_submission_counts_as_itself(app: Flask, story: Story) -> None:
    original, copy = story.submit(), story.submit()
    story.move(original.submission_id, "in_review", "verified")
    story.move(copy.submission_id, "in_review")
    story.duplicate(copy.submission_id, original.submission_id)
    _delete(app, original.submission_id)
    with app.app_context():
        assert db.session().get(Triage, copy.submission_id).duplicate_of_id is None
    assert exists(app, copy.submission_id)


def _records(app: Flask) -> Records:
    with app.app_context():
        made = build_records(db.session())
        db.session().commit()
        return made


def _submission_of(app: Flask, ref: str, state: str | None = None) -> list[str]:
    with app.app_context():
        query = (
            select(SubmissionSource.submission_id)
            .join(sources.Source, sources.Source.id == SubmissionSource.source_id)
            .join(Submission, Submission.id == SubmissionSource.submission_id)
            .where(sources.Source.ref == ref)
        )
        if state is not None:
            query = query.where(Submission.state == state)
        return list(db.session().scalars(query))


def test_dossiers_built_after_a_deletion_leave_the_source_out(app: Flask) -> None:
    records = _records(app)
    [w2] = _submission_of(app, "W-0002")
    with app.app_context():
        before = dossier.build(db.session(), "person", records.person_id, "sanctions", actor_login="kim")
    assert before.conduct[0].corroboration == 2 and w2 in before.cited_submissions

    _delete(app, w2)
    with app.app_context():
        after = dossier.build(db.session(), "person", records.person_id, "sanctions", actor_login="kim")
    torture = after.conduct[0]
    assert torture.corroboration == 1 and "W-0002" not in {use.source_ref for use in after.evidence}
    assert not set(records.digests["W-0002"]) & {document.sha256 for document in after.documents}
    assert w2 not in after.cited_submissions


def test_a_source_whose_withdrawn_submission_is_deleted_stays_out_of_every_export(app: Flask) -> None:
    records = _records(app)
    [withdrawn] = _submission_of(app, "W-0004", "withdrawn")
    _delete(app, withdrawn)
    with app.app_context():
        built = dossier.build(db.session(), "person", records.person_id, "public", actor_login="kim")
    assert "W-0004" not in {use.source_ref for use in built.evidence}
    assert _submission_of(app, "W-0004")  # its other submission is kept, and still left out


def test_cited_by_lists_the_dossiers_that_relied_on_a_deleted_submission(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    assert runner.invoke(args=["init"]).exit_code == 0  # the export signing key
    records = _records(app)
    [w2] = _submission_of(app, "W-0002")
    [w3] = _submission_of(app, "W-0003")[:1]
    with app.app_context():
        session = db.session()
        actor = session.scalars(select(User).limit(1)).one()
        made = bundle.export(session, "person", records.person_id, "sanctions", ["ftm"], [], actor)
    _delete(app, w2)

    listed = runner.invoke(args=["export", "cited-by", w2])
    assert listed.exit_code == 0
    assert f"person:{records.person_id}\tsanctions\tmanifest SHA-256 {made.manifest_digest}" in listed.output
    # W-0003 has no sanctions consent: the sanctions dossier did not rely on it.
    other = runner.invoke(args=["export", "cited-by", w3]).output
    assert "No dossier export in the audit trail relied on submission" in other
    # An id may begin with "-" (URL-safe base64): it is read as the submission, not as an option.
    dashed = runner.invoke(args=["export", "cited-by", "-6Zq3hXkP0aWbT1n2yVd9Q"])
    assert dashed.exit_code == 0, dashed.output
    assert "relied on submission -6Zq3hXkP0aWbT1n2yVd9Q" in dashed.output


#: Every column that points at a submission or an envelope, and what deletion does with it.
HANDLED = {
    ("envelopes", "submission_id"): "deleted (core/erasure.py)",
    ("notes", "submission_id"): "deleted",
    ("submission_tags", "submission_id"): "deleted",
    ("triage", "submission_id"): "deleted",
    ("triage", "duplicate_of_id"): "unlinked",
    ("submission_sources", "submission_id"): "deleted (the withdrawal kept on the source)",
    ("submission_retention", "submission_id"): "deleted",
    ("information", "submission_id"): "unlinked, marked source deleted",
    ("key_grants", "envelope_id"): "deleted",
    ("persons", "photo_envelope_id"): "unlinked",
}


def test_deletion_knows_every_table_that_points_at_a_submission_or_an_envelope(app: Flask) -> None:
    """A new table naming submissions or envelopes must be handled in reviewer/retention/deletion.py (or
    core/erasure.py) before this passes: otherwise deleting would be refused, or leave it behind."""
    pointing = {
        (table.name, key.parent.name)
        for table in Base.metadata.tables.values()
        for key in table.foreign_keys
        if key.column.table.name in ("submissions", "envelopes")
    }
    assert pointing == set(HANDLED)


def test_deletion_removes_the_chunks_of_envelopes_kept_in_the_database(app: Flask) -> None:
    database_app = create_app({**app.config, "SORI_BLOB_STORE": "database"})
    story = Story.make(database_app)
    gone, kept = story.submit(in_blob=True), story.submit(in_blob=True)
    story.add_envelope(gone.submission_id, in_blob=True)
    [gone_blobs, kept_blobs] = [
        {blob_id for _id, blob_id, _data in envelope_rows(database_app, stored.submission_id) if blob_id}
        for stored in (gone, kept)
    ]
    assert len(gone_blobs) == 2 and len(kept_blobs) == 1

    _delete(database_app, gone.submission_id)

    with database_app.app_context():
        session = db.session()
        assert set(session.scalars(select(BlobChunk.blob_id).distinct())) == kept_blobs
        assert set(session.scalars(select(StoredBlob.id))) == kept_blobs
    assert not [p for p in (Path(app.config["SORI_DATA_DIR"]) / "blobs").rglob("*") if p.is_file()]
    check = database_app.test_cli_runner().invoke(args=["check"])
    assert check.exit_code == 0, check.output
