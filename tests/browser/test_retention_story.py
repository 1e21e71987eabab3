"""Deletion on a source's request, the whole story in Korean, in Debian's Chromium against a real Sori server
(issue 14):

1. A source sends a testimony with a photo (its envelope large enough for the blob store), encrypted in the
   browser, and gets a receipt.
2. Back on the status page with the receipt, the source asks for the testimony to be deleted and confirms.
3. Demo reviewer A sees the request on the retention page and proposes the deletion; A cannot confirm it.
   Demo reviewer B, in a browser of their own, confirms it.
4. The source comes back with the receipt: the status page says, in Korean, that the testimony is gone.
5. Nothing of it remains: no file of the data folder has the SHA-256 of any of its envelopes or holds a
   piece of one, its receipt hash or the source's key, and no database row does (the audit trail names it
   by id only).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from core import db, receipts, submissions, tombstones
from core.models import Envelope, Submission
from tests.browser.live_server import LiveServer
from tests.browser.test_accessibility import violations
from tests.browser.test_source_paths import open_form, send_and_read_receipt, translated
from tests.retention.helpers import every_row

pytestmark = pytest.mark.browser

WAIT_MS = 60_000
#: Bytes taken from each envelope at several places, to search every file for.
PIECE = 48


@pytest.fixture
def korean(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="ko-KR")
    yield context
    context.close()


def _reviewer(browser: Browser, server: LiveServer, login: str, *, bypass_csp: bool = False) -> Page:
    """A page logged in, in Korean, as one of ``sori demo``'s accounts (``bypass_csp`` for axe only)."""
    credentials = json.loads((server.data_dir / "demo" / f"{login}.login.json").read_text("utf-8"))
    page = browser.new_context(locale="ko-KR", bypass_csp=bypass_csp).new_page()
    page.goto(f"{server.url}/reviewer/login?lang=ko")
    page.fill("#login", login)
    page.fill("#password", credentials["password"])
    page.click("form.account button[type=submit]")
    page.wait_for_url("**/reviewer/login/code**")
    page.fill("#code", _code(login, credentials["totp_secret"]))
    page.click("form.account button[type=submit]")
    page.wait_for_load_state()
    assert "/reviewer/login" not in page.url, f"{login} could not log in"
    return page


#: The TOTP step last used by each login: the server takes each code once.
_LAST_STEP: dict[str, int] = {}


def _code(login: str, secret: str) -> str:
    """A code the server accepts now for ``login``: a step within one of the current one, later than the
    last one used (waiting for the next step when every one in the window is spent)."""
    current = int(time.time()) // 30
    step = max(_LAST_STEP.get(login, current - 1) + 1, current - 1)  # the step of its making is spent
    while step > int(time.time()) // 30 + 1:
        time.sleep(0.5)
    _LAST_STEP[login] = step
    return pyotp.TOTP(secret).at(step * 30)


def _status(page: Page, server: LiveServer, receipt: str) -> None:
    """Open the status page with the receipt, the browser deriving its keys."""
    page.goto(f"{server.url}/status?lang=ko")
    expect(page.locator("#receipt-form[data-path=browser]")).to_have_count(1, timeout=WAIT_MS)
    page.fill("#receipt", receipt)
    page.click("#receipt-form button[type=submit]")
    expect(page.locator("p.status")).to_be_visible(timeout=WAIT_MS)


def _what_is_kept(app: Flask, submission_id: str) -> tuple[list[bytes], str, str]:
    """The submission's envelopes (bytes, wherever kept), its receipt hash and the source's key."""
    with app.app_context():
        session = db.session()
        submission = session.get(Submission, submission_id)
        envelopes = []
        for envelope in session.scalars(select(Envelope).where(Envelope.submission_id == submission_id)):
            with submissions.open_envelope(envelope) as stream:
                envelopes.append(stream.read())
        assert submission.source_public_key is not None
        return envelopes, submission.receipt_hash, submission.source_public_key


def test_a_source_asks_two_reviewers_delete_and_nothing_of_it_remains(
    browser: Browser, korean: BrowserContext, live_server: LiveServer, server_app: Flask, tmp_path: Path
) -> None:
    server = live_server
    with server_app.app_context():
        before = set(db.session().scalars(select(Submission.id)))

    # 1. The source sends a testimony with a photo.
    photo = tmp_path / "사진.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + os.urandom(400_000))
    source = korean.new_page()
    open_form(source, server, "wasm", "ko")
    source.fill("#what_happened", "2019년 겨울 회령 보위부 구류장에서 있었던 일입니다. 지워 주십시오.")
    source.set_input_files("#attachments", [str(photo)])
    receipt = send_and_read_receipt(source, "wasm")
    with server_app.app_context():
        [submission_id] = set(db.session().scalars(select(Submission.id))) - before
    envelopes, receipt_hash, source_key = _what_is_kept(server_app, submission_id)
    assert max(len(envelope) for envelope in envelopes) > submissions.INLINE_MAX  # one is in the blob store

    # 2. The source asks for deletion, and confirms.
    _status(source, server, receipt)
    source.click("form.choice:has(input[name=choice][value=delete]) button")
    source.wait_for_load_state()
    assert source.locator("html").get_attribute("lang") == "ko"
    source.click("form.testimony button.primary")
    expect(source.locator("section.notice")).to_contain_text(
        translated("ko", "Your request to delete your account has been passed to the reviewers.")
    )

    # 3. Reviewer A proposes, from the retention page; reviewer B confirms.
    first = _reviewer(browser, server, "demo-reviewer-a")
    first.goto(f"{server.url}/reviewer/retention?lang=ko")
    flag = first.locator(f"#retention-flags tr[data-reason=deletion_requested] a:has-text('{submission_id}')")
    flag.click()
    expect(first.locator("#deletion-requested")).to_be_visible()
    first.click("#deletion-propose")
    expect(first.locator("#deletion-proposer")).to_be_visible()
    expect(first.locator("#deletion-confirm")).to_have_count(0)
    second = _reviewer(browser, server, "demo-reviewer-b")
    second.goto(f"{server.url}/reviewer/submissions/{submission_id}?lang=ko")
    second.click("#deletion-confirm")
    second.wait_for_url("**/reviewer/retention**")
    expect(second.locator("p.notice").first).to_contain_text("접수 건을 삭제했습니다")
    for page in (first, second):
        page.context.close()

    # 4. The source comes back: the testimony is gone.
    _status(source, server, receipt)
    expect(source.locator("#status-deleted strong")).to_have_text(translated("ko", "Deleted"))
    expect(source.locator("#status-result")).not_to_contain_text("회령 보위부")
    expect(source.locator("#testimony")).to_have_count(0)

    # 5. Nothing of it remains, in the data folder or the database.
    digests = {hashlib.sha256(envelope).hexdigest() for envelope in envelopes}
    needles = [receipt_hash.encode(), source_key.encode(), *(digest.encode() for digest in digests)]
    for envelope in envelopes:
        for offset in range(0, len(envelope) - PIECE, max(len(envelope) // 7, PIECE)):
            needles.append(envelope[offset : offset + PIECE])
    found = []
    files = list(server.data_dir.rglob("*"))
    if server.database_url.startswith("sqlite:///"):
        database = Path(server.database_url.removeprefix("sqlite:///"))
        files += list(database.parent.glob(database.name + "*"))  # its write-ahead log too
    for path in files:
        if path.is_file():
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() in digests or any(needle in data for needle in needles):
                found.append(path.name)
    assert found == []
    rows = every_row(server_app)
    assert [n for n in needles if n.hex() in rows or n.decode("latin-1") in rows] == []
    assert submission_id in rows  # the audit trail names it, by id only


@pytest.mark.parametrize("width", [360, 1280])
def test_the_retention_pages_have_no_accessibility_violation(
    browser: Browser, live_server: LiveServer, server_app: Flask, width: int
) -> None:
    """axe (as tests/browser/test_accessibility.py runs it) on the retention page, for a reviewer and for an
    admin, and on the status page of a deleted testimony."""
    with server_app.app_context():
        session = db.session()
        keys = receipts.derive(f"12345678123{width:05d}", submissions.receipt_salt(session))
        tombstones.record(session, [receipts.stored_hash(keys.lookup_key)], date.today())
        session.commit()
    found = {}
    for login in ("demo-reviewer-a", "demo-admin"):
        page = _reviewer(browser, live_server, login, bypass_csp=True)
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/reviewer/retention?lang=ko")
        found[login] = violations(page)
        page.context.close()
    source = browser.new_context(locale="ko-KR", bypass_csp=True).new_page()
    source.set_viewport_size({"width": width, "height": 900})
    _status(source, live_server, f"12345678123{width:05d}")
    expect(source.locator("#status-deleted")).to_be_visible()
    found["deleted"] = violations(source)
    source.context.close()
    assert {where: lines for where, lines in found.items() if lines} == {}
