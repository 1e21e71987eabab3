"""Triage as a service (reviewer/triage.py): the state machine, four eyes, duplicates, withdrawal,
assignment, tags and notes, each change audited in the caller's transaction."""

from __future__ import annotations

import io
import json

import pytest
from flask import Flask
from sqlalchemy import select

from core import audit, db, submissions
from core.models import AuditEntry, Submission
from crypto.envelope import encrypt_parts
from crypto.keys import Identity
from reviewer import triage
from reviewer.models import Note, Triage, User
from tests.reviewer.reading_helpers import add_submission, give_vetted_key


@pytest.fixture
def people(app: Flask) -> Flask:
    with app.app_context():
        session = db.session()
        session.add_all(
            [
                User(login="a", display_name="A", is_reviewer=True),
                User(login="b", display_name="B", is_reviewer=True),
                User(login="admin", display_name="Admin", is_admin=True),
            ]
        )
        session.commit()
    return app


def _user(login: str) -> User:
    return db.session().scalars(select(User).where(User.login == login)).one()


def _walk(app: Flask, submission_id: str, *moves: tuple[str, str]) -> list[str]:
    """Apply (login, target) moves in order; returns the state after each."""
    states = []
    with app.app_context():
        session = db.session()
        for login, target in moves:
            submission = session.get(Submission, submission_id)
            triage.change_state(session, submission, target, _user(login))
            session.commit()
            states.append(submission.state)
    return states


def test_the_allowed_paths_through_the_states(people: Flask) -> None:
    sid, _ = add_submission(people)
    assert _walk(
        people, sid, ("a", "in_review"), ("a", "needs_follow_up"), ("b", "in_review"), ("a", "rejected")
    ) == ["in_review", "needs_follow_up", "in_review", "rejected"]


@pytest.mark.parametrize(
    ("before", "target"),
    [
        (["in_review"], "new"),
        ([], "needs_follow_up"),
        ([], "rejected"),
        ([], "duplicate"),
        ([], "verified"),
        (["in_review", "rejected"], "in_review"),
        (["in_review", "rejected"], "rejected"),
        (["withdrawn"], "withdrawn"),
        (["withdrawn"], "in_review"),
        (["in_review"], "bogus"),
    ],
)
def test_moves_outside_the_design_are_refused(people: Flask, before: list[str], target: str) -> None:
    sid, _ = add_submission(people)
    _walk(people, sid, *[("a", b) for b in before])
    with people.app_context():
        session = db.session()
        submission = session.get(Submission, sid)
        state = submission.state
        with pytest.raises(triage.TransitionRefused):
            triage.change_state(session, submission, target, _user("a"))
        session.rollback()
        assert session.get(Submission, sid).state == state


def test_verified_needs_two_different_reviewers(people: Flask) -> None:
    sid, _ = add_submission(people)
    _walk(people, sid, ("a", "in_review"))
    with people.app_context():
        session = db.session()
        submission = session.get(Submission, sid)
        outcome = triage.change_state(session, submission, "verified", _user("a"))
        session.commit()
        assert outcome.kind == "proposed" and submission.state == "in_review"
        assert session.get(Triage, sid).verify_proposed_by_id == _user("a").id
        with pytest.raises(triage.SameReviewer):
            triage.change_state(session, submission, "verified", _user("a"))
        session.rollback()
        assert session.get(Submission, sid).state == "in_review"
        outcome = triage.change_state(session, session.get(Submission, sid), "verified", _user("b"))
        session.commit()
        assert outcome.kind == "changed" and session.get(Submission, sid).state == "verified"
        last = audit.entries(session, limit=1)[0]
        assert last.action == "submission.state" and last.actor == "b"
        assert json.loads(last.details) == {"from": "in_review", "to": "verified", "proposed_by": "a"}
        actions = [e.action for e in audit.entries(session, limit=10)]
        assert "submission.verify_proposed" in actions
        assert audit.verify(session)[1] is None


def test_a_move_elsewhere_drops_the_proposal(people: Flask) -> None:
    sid, _ = add_submission(people)
    _walk(people, sid, ("a", "in_review"), ("a", "verified"), ("b", "needs_follow_up"), ("b", "in_review"))
    # The proposal is gone: b's verified is a new proposal, not a confirmation.
    with people.app_context():
        session = db.session()
        outcome = triage.change_state(session, session.get(Submission, sid), "verified", _user("b"))
        session.commit()
        assert outcome.kind == "proposed"


def test_duplicate_names_another_existing_submission(people: Flask) -> None:
    original, _ = add_submission(people)
    sid, _ = add_submission(people)
    _walk(people, sid, ("a", "in_review"))
    with people.app_context():
        session = db.session()
        submission = session.get(Submission, sid)
        for bad in (None, "", sid, "no-such-submission"):
            with pytest.raises(triage.BadOriginal):
                triage.change_state(session, submission, "duplicate", _user("a"), duplicate_of=bad)
            session.rollback()
        submission = session.get(Submission, sid)
        triage.change_state(session, submission, "duplicate", _user("a"), duplicate_of=original)
        session.commit()
        assert submission.state == "duplicate"
        assert session.get(Triage, sid).duplicate_of_id == original
        assert json.loads(audit.entries(session, limit=1)[0].details)["original"] == original


@pytest.mark.parametrize(
    "before", [[], ["in_review"], ["in_review", "needs_follow_up"], ["in_review", "rejected"]]
)
def test_withdrawn_is_reachable_from_every_state(people: Flask, before: list[str]) -> None:
    sid, _ = add_submission(people)
    states = _walk(people, sid, *[("a", b) for b in before], ("b", "withdrawn"))
    assert states[-1] == "withdrawn"
    with people.app_context():
        entry = audit.entries(db.session(), limit=1)[0]
        assert entry.action == "submission.state" and json.loads(entry.details)["to"] == "withdrawn"
        assert db.session().get(Submission, sid).source_status == "reviewed"


def test_every_state_change_is_audited_with_from_and_to(people: Flask) -> None:
    sid, _ = add_submission(people)
    _walk(people, sid, ("a", "in_review"), ("a", "needs_follow_up"))
    with people.app_context():
        rows = db.session().scalars(
            select(AuditEntry).where(AuditEntry.action == "submission.state").order_by(AuditEntry.seq)
        )
        assert [(json.loads(r.details)["from"], json.loads(r.details)["to"]) for r in rows] == [
            ("new", "in_review"),
            ("in_review", "needs_follow_up"),
        ]


def test_assignment_to_reviewers_only(people: Flask) -> None:
    sid, _ = add_submission(people)
    with people.app_context():
        session = db.session()
        submission = session.get(Submission, sid)
        with pytest.raises(triage.BadAssignee):
            triage.assign(session, submission, _user("admin"), _user("a"))
        session.rollback()
        triage.assign(session, session.get(Submission, sid), _user("b"), _user("a"))
        session.commit()
        assert session.get(Triage, sid).assignee_id == _user("b").id
        triage.assign(session, session.get(Submission, sid), None, _user("a"))
        session.commit()
        assert session.get(Triage, sid).assignee_id is None
        details = [json.loads(e.details) for e in audit.entries(session, limit=2)]
        assert details == [{"from": "b", "to": None}, {"from": None, "to": "b"}]


def test_tags_are_made_on_first_use_and_removed(people: Flask) -> None:
    sid, _ = add_submission(people)
    with people.app_context():
        session = db.session()
        submission = session.get(Submission, sid)
        tag = triage.add_tag(session, submission, "  함경북도   회령 ", _user("a"))
        again = triage.add_tag(session, submission, "함경북도 회령", _user("b"))
        session.commit()
        assert tag.id == again.id and tag.name == "함경북도 회령"
        for bad in ("", "   ", "x" * 101):
            with pytest.raises(triage.BadTag):
                triage.add_tag(session, submission, bad, _user("a"))
        triage.remove_tag(session, submission, tag.id, _user("a"))
        session.commit()
        actions = [(e.action, json.loads(e.details)) for e in audit.entries(session, limit=2)]
        assert actions == [
            ("submission.tag", {"removed": "함경북도 회령"}),
            ("submission.tag", {"added": "함경북도 회령"}),
        ]


def test_notes_are_stored_as_ciphertext_sealed_to_the_active_recipients(people: Flask) -> None:
    with people.app_context():
        a_id = _user("a").id
    identity = give_vetted_key(people, a_id)
    sid, _ = add_submission(people)
    secret = "보위원 김모 씨가 때렸다 — NOTE-SENTINEL-7731"
    with people.app_context():
        session = db.session()
        keys = submissions.recipient_keys(session)
        out = io.BytesIO()
        encrypt_parts(out, keys, [("note.txt", "text/plain", secret.encode())])
        note = triage.add_note(session, session.get(Submission, sid), out.getvalue(), _user("a"))
        session.commit()
        stored = session.get(Note, note.id)
        assert secret.encode() not in stored.ciphertext
        assert json.loads(stored.recipient_key_ids) == [identity.public_key.key_id.hex()]
        assert audit.entries(session, limit=1)[0].action == "note.write"
        # Sealed to someone else: refused, so that every vetted reviewer can read every note.
        other = io.BytesIO()
        encrypt_parts(other, [Identity.generate().public_key], [("note.txt", "text/plain", b"x")])
        with pytest.raises(triage.RecipientsChanged):
            triage.add_note(session, session.get(Submission, sid), other.getvalue(), _user("a"))
        with pytest.raises(triage.BadNote):
            triage.add_note(session, session.get(Submission, sid), secret.encode(), _user("a"))
