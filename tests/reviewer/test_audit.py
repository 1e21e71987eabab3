"""The audit trail: entries chain by hash, and `sori audit verify` names the first one tampered with."""

from __future__ import annotations

import ast

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import delete, update

from core import audit, db
from core.config import REPO_ROOT
from core.models import AuditEntry
from reviewer.audit_words import ACTIONS
from reviewer.models import User
from tests.reviewer.helpers import PASSWORD, log_in, make_user

REORDERED = "it does not follow the entry before it (removed or reordered)"


@pytest.fixture
def trail(app: Flask) -> Flask:
    """Five entries by an admin, committed."""
    with app.app_context():
        session = db.session()
        admin = User(login="관리자", display_name="Admin", is_admin=True)
        session.add(admin)
        session.flush()
        for n in range(1, 6):
            audit.record(
                session, admin if n % 2 else None, "submission.state", f"submission:s{n}", to="in_review", n=n
            )
        session.commit()
    return app


def _verify(app: Flask) -> tuple[int, audit.Break | None]:
    with app.app_context():
        return audit.verify(db.session())


def test_an_untouched_trail_verifies_and_says_who_did_what(trail: Flask, runner: FlaskCliRunner) -> None:
    assert _verify(trail) == (5, None)
    with trail.app_context():
        newest = audit.entries(db.session(), limit=2)
        assert [e.seq for e in newest] == [5, 4]
        assert newest[0].actor == "관리자" and newest[1].actor == "-"
        assert newest[0].prev_hash == newest[1].hash
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "5 entries" in result.output


def _tamper(app: Flask, statement) -> None:
    with app.app_context():
        db.session().execute(statement)
        db.session().commit()


def test_an_edited_entry_is_named(trail: Flask, runner: FlaskCliRunner) -> None:
    _tamper(trail, update(AuditEntry).where(AuditEntry.seq == 3).values(details='{"to":"verified"}'))
    assert _verify(trail)[1] == audit.Break(3, "its content was changed after it was written")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "entry 3" in result.output


def test_a_deleted_entry_is_named(trail: Flask, runner: FlaskCliRunner) -> None:
    _tamper(trail, delete(AuditEntry).where(AuditEntry.seq == 2))
    checked, broken = _verify(trail)
    assert checked == 1 and broken is not None and broken.seq == 2
    assert runner.invoke(args=["audit", "verify"]).exit_code == 1


def test_swapped_entries_are_named(trail: Flask) -> None:
    for old, new in ((2, 1000), (4, 2), (1000, 4)):
        _tamper(trail, update(AuditEntry).where(AuditEntry.seq == old).values(seq=new))
    assert _verify(trail)[1] == audit.Break(2, REORDERED)


def test_a_rewritten_entry_with_a_fresh_hash_breaks_the_next_link(trail: Flask) -> None:
    with trail.app_context():
        session = db.session()
        entry = session.get(AuditEntry, 3)
        entry.details = '{"to":"verified"}'
        entry.hash = audit.entry_hash(entry)  # an attacker who recomputes one hash
        session.commit()
    assert _verify(trail)[1] == audit.Break(
        4, "it does not follow the entry before it (removed or reordered)"
    )


def test_the_trail_keeps_no_address_and_accepts_korean(trail: Flask) -> None:
    with trail.app_context():
        for entry in audit.entries(db.session()):
            assert "127.0.0.1" not in entry.details and "ip" not in entry.details.lower()
        assert audit.count(db.session()) == 5


def test_admins_see_the_trail_and_can_check_it(trail: Flask) -> None:
    admin_id, secret = make_user(trail, "admin2", "admin")
    reviewer_id, reviewer_secret = make_user(trail, "reviewer2", "reviewer")
    client = trail.test_client()
    assert client.get("/reviewer/admin/audit").status_code == 302  # to the login page
    log_in(client, "reviewer2", PASSWORD, reviewer_secret)
    assert client.get("/reviewer/admin/audit").status_code == 403
    admin = trail.test_client()
    log_in(admin, "admin2", PASSWORD, secret)
    page = admin.get("/reviewer/admin/audit?verify=1&lang=en")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "The chain is intact" in text and "submission:s5" in text
    _tamper(trail, update(AuditEntry).where(AuditEntry.seq == 2).values(actor="someone else"))
    assert "The chain is broken at entry 2" in admin.get("/reviewer/admin/audit?verify=1&lang=en").get_data(
        as_text=True
    )


def _written_actions() -> set[str]:
    """Every action code the application writes: the string given as the action to ``audit.record``,
    ``audit.tally`` (also imported bare) and the key module's ``_audit``, anywhere outside tests."""
    positions = {"record": 2, "tally": 1, "_audit": 2}
    codes: set[str] = set()
    for path in REPO_ROOT.rglob("*.py"):
        if {".venv", "node_modules", "tests", "bench"} & set(path.relative_to(REPO_ROOT).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            index = positions.get(name)
            if index is not None and len(node.args) > index:
                action = node.args[index]
                if isinstance(action, ast.Constant) and isinstance(action.value, str):
                    codes.add(action.value)
    return codes


def test_every_action_the_application_writes_has_words_in_both_languages() -> None:
    written = _written_actions()
    assert {"envelope.fetch", "login", "login.refused", "key.vet"} <= written  # the finder finds them
    assert written <= set(ACTIONS), sorted(written - set(ACTIONS))


def test_the_trail_page_says_what_each_action_means_in_korean(trail: Flask) -> None:
    _, secret = make_user(trail, "admin3", "admin")
    admin = trail.test_client()
    log_in(admin, "admin3", PASSWORD, secret)
    text = admin.get("/reviewer/admin/audit?lang=ko").get_data(as_text=True)
    assert "접수 건 상태 변경" in text and "<code>submission.state</code>" in text
