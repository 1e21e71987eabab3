"""The whole reviewer story in Korean, in Debian's Chromium against a real Sori server (issue 4, first "Done
when" item).

1. The first admin is invited with ``sori users invite --admin``, accepts in the browser (password, TOTP
   enrolment with codes from pyotp, then a two-step login) and invites two reviewers on the accounts page,
   reading their links from it.
2. Each reviewer, in a browser of their own, opens the link, sets a password, enrols TOTP, logs in with the
   password and a code, and makes a key in the browser under a key passphrase.
3. The admin vets both keys, comparing the fingerprint each reviewer was shown with the one on the vetting
   page, re-authenticating if asked.
4. A source submits a Korean testimony with attachments through /submit, encrypted in the browser, and gets
   a receipt.
5. Reviewer A finds it in the inbox, unlocks the key with the passphrase, reads the testimony as text and
   downloads the attachments byte for byte; moves it to in_review and proposes verified (still in_review,
   and A cannot confirm alone). Reviewer B confirms; only then is it verified, on the page and in the
   database.
6. No request any browser sent carries a key passphrase or plaintext of the testimony or its attachments;
   ``sori audit verify`` passes, and the trail holds the logins, the vetting, the envelope fetch and the
   state changes.

One file of about 420 lines: it is one story, told in order."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from core.models import AuditEntry, Submission
from tests.browser.live_server import SORI, LiveServer
from tests.browser.test_source_paths import Source, fill_testimony, open_form, send_and_read_receipt

pytestmark = pytest.mark.browser

WAIT_MS = 60_000
FINGERPRINT = re.compile(r"^\d{5}( \d{5}){5}$")
INVITATION_PATH = re.compile(r"/reviewer/invite/[A-Za-z0-9_-]+")


@dataclass
class Person:
    """A reviewer-side account as the test drives it: login, name, passwords and the TOTP app."""

    login: str
    name: str
    password: str = field(default_factory=lambda: "로그인 비밀번호 " + secrets.token_hex(8))
    key_passphrase: str = field(default_factory=lambda: "열쇠 암호 KEYPASS-" + secrets.token_hex(8))
    totp: pyotp.TOTP | None = None
    last_step: int | None = None
    page: Page | None = None

    def code(self) -> str:
        """A code the server accepts now: a step within one of the current one, later than the last used
        (each code works once)."""
        assert self.totp is not None
        current = int(time.time()) // 30
        step = current - 1 if self.last_step is None else max(self.last_step + 1, current - 1)
        while step > int(time.time()) // 30 + 1:  # every step in the window is spent: wait for the next
            time.sleep(0.5)
        self.last_step = step
        return self.totp.at(step * 30)


class Recorder:
    """Every request every browser context sends: method, URL and body."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bytes]] = []

    def __call__(self, request: Request) -> None:
        self.requests.append((request.method, request.url, request.post_data_buffer or b""))

    def watch(self, context: BrowserContext) -> BrowserContext:
        context.on("request", self)
        return context

    def assert_never_sent(self, secret: str | bytes) -> None:
        if isinstance(secret, str):
            needles = [secret.encode("utf-8"), secret.encode("utf-16-le")]
            text = secret
        else:
            needles = [secret]
            text = secret.decode("latin-1")
        for method, url, body in self.requests:
            assert not any(n in body for n in needles), f"{text[:40]!r} was sent in {method} {url}"
            assert text not in url, f"{text[:40]!r} was sent in the URL {url}"


def korean(page: Page) -> None:
    """The page is in Korean."""
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ko", page.url


def sori(server: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    """A ``sori`` command on the live server's data folder and database."""
    env = {**os.environ, "SORI_DATA_DIR": str(server.data_dir), "SORI_DATABASE_URL": server.database_url}
    return subprocess.run(
        [str(SORI), *args], env=env, capture_output=True, text=True, timeout=120, cwd=server.data_dir.parent
    )


def submit_account_form(page: Page) -> None:
    page.click("form.account button[type=submit]")
    page.wait_for_load_state()


def reauthenticate_if_asked(page: Page, person: Person, redo: Callable[[], None]) -> None:
    """If the last act sent ``person`` to confirm it is them, do so with the password, then ``redo`` it."""
    if urlsplit(page.url).path != "/reviewer/reauth":
        return
    korean(page)
    page.fill("#password", person.password)
    submit_account_form(page)
    assert urlsplit(page.url).path != "/reviewer/reauth", "re-authentication was refused"
    redo()


def accept_invitation(
    browser: Browser, recorder: Recorder, server: LiveServer, link: str, who: Person
) -> Page:
    """``who`` opens their invitation link in a browser of their own, sets a password, enrols TOTP from the
    secret the page shows, logs out, and logs in again with the password and a code."""
    path = INVITATION_PATH.search(link)
    assert path, link
    context = recorder.watch(browser.new_context(locale="ko-KR", accept_downloads=True))
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    who.page = page
    page.goto(f"{server.url}{path.group(0)}?lang=ko")
    korean(page)
    assert who.login in page.locator("main, body").first.inner_text()
    page.fill("#password", who.password)
    page.fill("#password_again", who.password)
    submit_account_form(page)

    page.wait_for_url("**/reviewer/totp/enrol**")
    korean(page)
    expect(page.locator("figure.totp-qr svg")).to_have_count(1)
    secret = "".join(page.locator(".totp-secret code").inner_text().split())
    who.totp = pyotp.TOTP(secret)
    page.fill("#code", who.code())
    submit_account_form(page)
    assert "/reviewer/totp" not in page.url and "/reviewer/login" not in page.url, page.url
    korean(page)

    # The enrolment logged them in; log out and in again, as every later day starts.
    page.click("nav.reviewer-nav form.logout button")
    page.wait_for_url("**/reviewer/login**")
    log_in(page, server, who)
    return page


def log_in(page: Page, server: LiveServer, who: Person) -> None:
    """The two-step login. No ``lang`` in the URL: the browser's Accept-Language (ko-KR) picks Korean."""
    page.goto(f"{server.url}/reviewer/login")
    korean(page)
    page.fill("#login", who.login)
    page.fill("#password", who.password)
    submit_account_form(page)
    page.wait_for_url("**/reviewer/login/code**")
    korean(page)
    page.fill("#code", who.code())
    submit_account_form(page)
    assert "/reviewer/login" not in page.url, f"{who.login} could not log in"
    korean(page)
    expect(page.locator("nav.reviewer-nav .who")).to_contain_text(who.login)


def invite_on_page(page: Page, server: LiveServer, admin: Person, who: Person) -> str:
    """The admin invites ``who`` as a reviewer on the accounts page; the link the page shows once."""

    def invite() -> None:
        page.goto(f"{server.url}/reviewer/admin/users?lang=ko")
        korean(page)
        page.fill("#invite-login", who.login)
        page.fill("#invite-name", who.name)
        page.check("input[type=checkbox][name=reviewer]")
        page.click("form.account button[type=submit]")
        page.wait_for_load_state()

    invite()
    reauthenticate_if_asked(page, admin, invite)
    korean(page)
    link = page.locator("code.invitation-link").inner_text().strip()
    assert INVITATION_PATH.search(link), link
    row = page.locator("table.accounts tr", has_text=who.login)
    expect(row.locator("td.state-invited")).to_have_count(1)
    return link


def start_key_enrolment(page: Page, server: LiveServer, who: Person) -> None:
    page.goto(f"{server.url}/reviewer/keys?lang=ko")
    korean(page)
    expect(page.locator("#enrol-form")).to_be_visible(timeout=WAIT_MS)
    page.fill("#key-passphrase", who.key_passphrase)
    page.fill("#key-passphrase-again", who.key_passphrase)
    page.click("#enrol-button")


def shown_fingerprint(page: Page) -> str:
    fingerprint = page.locator("#enrol-fingerprint")
    expect(fingerprint).to_have_text(FINGERPRINT, timeout=WAIT_MS)
    expect(page.locator("#enrol-error")).to_be_hidden()
    return fingerprint.inner_text().strip()


def open_submission(page: Page, server: LiveServer, submission_id: str) -> None:
    """From the inbox to the submission's page, with its reader ready."""
    page.goto(f"{server.url}/reviewer/inbox?lang=ko")
    korean(page)
    page.click(f'tr[data-submission-id="{submission_id}"] a')
    page.wait_for_url(f"**/reviewer/submissions/{submission_id}**")
    korean(page)
    expect(page.locator("#reader")).to_have_attribute("data-ready", "true", timeout=WAIT_MS)


def change_state(page: Page, target: str) -> None:
    with page.expect_navigation(timeout=WAIT_MS):
        page.click(f'.triage button[data-target="{target}"]')
    korean(page)


def state_in_database(server: LiveServer, submission_id: str) -> str:
    engine = create_engine(server.database_url)
    try:
        with Session(engine) as session:
            submission = session.get(Submission, submission_id)
            assert submission is not None
            return submission.state
    finally:
        engine.dispose()


def submission_ids(server: LiveServer) -> set[str]:
    engine = create_engine(server.database_url)
    try:
        with Session(engine) as session:
            return set(session.scalars(select(Submission.id)))
    finally:
        engine.dispose()


def test_the_whole_reviewer_story_in_korean(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    started = time.monotonic()
    recorder = Recorder()
    admin = Person("choi.admin", "최관리")
    reviewer_a = Person("kim.reviewer", "김검토")
    reviewer_b = Person("lee.reviewer", "이검토")
    contexts: list[BrowserContext] = []
    errors: list[str] = []
    try:
        # 1. The first admin: invited on the command line, accepted in the browser.
        invited = sori(live_server, "users", "invite", admin.login, "--name", admin.name, "--admin")
        assert invited.returncode == 0, invited.stderr
        chief = accept_invitation(browser, recorder, live_server, invited.stdout, admin)
        contexts.append(chief.context)
        chief.on("pageerror", lambda error: errors.append(f"admin: {error}"))

        links = {
            who.login: invite_on_page(chief, live_server, admin, who) for who in (reviewer_a, reviewer_b)
        }

        # 2. Each reviewer in a browser of their own: password, TOTP, login, a key made in the browser.
        # Both keys are made at once (argon2id in two renderers), then each fingerprint is read.
        for who in (reviewer_a, reviewer_b):
            page = accept_invitation(browser, recorder, live_server, links[who.login], who)
            contexts.append(page.context)
            page.on("pageerror", lambda error, login=who.login: errors.append(f"{login}: {error}"))
            start_key_enrolment(page, live_server, who)
        fingerprints = {}
        for who in (reviewer_a, reviewer_b):
            assert who.page is not None
            fingerprints[who.login] = shown_fingerprint(who.page)
        assert fingerprints[reviewer_a.login] != fingerprints[reviewer_b.login]

        # 3. The admin vets both keys, each only after comparing the fingerprints.
        chief.goto(f"{live_server.url}/reviewer/admin/keys?lang=ko")
        korean(chief)
        for who in (reviewer_a, reviewer_b):

            def approve(who: Person = who) -> None:
                chief.goto(f"{live_server.url}/reviewer/admin/keys?lang=ko")
                item = chief.locator("#pending-keys li", has_text=f"({who.login})")
                expect(item).to_have_count(1)
                expect(item.locator("code.fingerprint")).to_have_text(fingerprints[who.login])
                with chief.expect_navigation():
                    item.locator("button.approve").click()

            approve()
            reauthenticate_if_asked(chief, admin, approve)
            korean(chief)
            vetted = chief.locator("#vetted-keys li", has_text=f"({who.login})")
            expect(vetted.locator("code.fingerprint")).to_have_text(fingerprints[who.login])
        for who in (reviewer_a, reviewer_b):
            assert who.page is not None
            who.page.goto(f"{live_server.url}/reviewer/keys?lang=ko")
            korean(who.page)
            expect(who.page.locator("#my-keys li.key-vetted code.fingerprint")).to_have_text(
                fingerprints[who.login]
            )

        # 4. A source submits in Korean, encrypted in the browser (JavaScript and WebAssembly).
        before = submission_ids(live_server)
        source = Source.make(tmp_path / "source", "ko")
        source_context = recorder.watch(browser.new_context(locale="ko-KR"))
        contexts.append(source_context)
        source_page = source_context.new_page()
        source_page.set_default_timeout(WAIT_MS)
        open_form(source_page, live_server, "wasm", "ko")
        fill_testimony(source_page, source, "wasm")
        receipt = send_and_read_receipt(source_page, "wasm")
        assert receipt
        [submission_id] = submission_ids(live_server) - before
        source_context.close()

        # 5. Reviewer A reads it in the browser, then starts the review and proposes it as verified.
        page_a = reviewer_a.page
        assert page_a is not None
        open_submission(page_a, live_server, submission_id)
        expect(page_a.locator("#submission-state")).to_have_attribute("data-state", "new")
        article = page_a.locator("#envelope-1")
        page_a.click("#envelope-1 .read-button")
        expect(page_a.locator("#passphrase-form")).to_be_visible(timeout=WAIT_MS)
        page_a.fill("#key-passphrase", reviewer_a.key_passphrase)
        page_a.press("#key-passphrase", "Enter")
        expect(article).to_have_attribute("data-read", "done", timeout=WAIT_MS)
        expect(page_a.locator("#reader-error")).to_be_hidden()
        answers = article.locator(".answers")
        expect(answers).to_contain_text(source.what_happened.splitlines()[0])
        text = answers.inner_text()
        assert source.person in text and source.extra_person in text
        assert "회령 보위부 구류장" in text

        expect(page_a.locator("#metadata-warning")).to_be_visible()
        links_a = article.locator("a.attachment")
        expect(links_a).to_have_count(len(source.files))
        for index in range(len(source.files)):
            link = links_a.nth(index)
            name = link.get_attribute("download")
            assert name in source.files, name
            with page_a.expect_download() as download_info:
                link.click()
            saved = tmp_path / f"download-{index}.bin"
            download_info.value.save_as(saved)
            assert saved.read_bytes() == source.files[name], name

        change_state(page_a, "in_review")
        expect(page_a.locator("#submission-state")).to_have_attribute("data-state", "in_review")
        change_state(page_a, "verified")
        expect(page_a.locator("#submission-state")).to_have_attribute("data-state", "in_review")
        expect(page_a.locator("#verify-proposer")).to_have_text(reviewer_a.name)
        assert state_in_database(live_server, submission_id) == "in_review"
        # Four eyes: the proposer cannot confirm.
        page_a.click('.triage button[data-target="verified"]')
        page_a.wait_for_load_state()
        expect(page_a.locator("#triage-error")).to_be_visible()
        assert state_in_database(live_server, submission_id) == "in_review"

        # Reviewer B confirms; only now is it verified.
        page_b = reviewer_b.page
        assert page_b is not None
        open_submission(page_b, live_server, submission_id)
        expect(page_b.locator("#submission-state")).to_have_attribute("data-state", "in_review")
        expect(page_b.locator("#verify-proposer")).to_have_text(reviewer_a.name)
        change_state(page_b, "verified")
        expect(page_b.locator("#submission-state")).to_have_attribute("data-state", "verified")
        expect(page_b.locator("#triage-error")).to_have_count(0)
        assert state_in_database(live_server, submission_id) == "verified"
        assert not errors, errors
    finally:
        for context in contexts:
            context.close()

    # 6. Nothing secret left any browser: neither key passphrase, nor the testimony, nor the files.
    assert any(urlsplit(url).path == "/submit" or "/api/" in url for _m, url, _b in recorder.requests)
    for secret in (reviewer_a.key_passphrase, reviewer_b.key_passphrase, source.token):
        recorder.assert_never_sent(secret)
    for line in source.what_happened.splitlines():
        recorder.assert_never_sent(line)
    recorder.assert_never_sent(source.person)
    for data in source.files.values():
        recorder.assert_never_sent(data[:64])
        recorder.assert_never_sent(data[len(data) // 2 : len(data) // 2 + 64])

    verified = sori(live_server, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    engine = create_engine(live_server.database_url)
    try:
        with Session(engine) as session:
            trail = [(e.actor, e.action, e.subject) for e in session.scalars(select(AuditEntry))]
    finally:
        engine.dispose()
    for who in (admin, reviewer_a, reviewer_b):
        assert (who.login, "login", f"user:{who.login}") in trail, who.login
    for who in (reviewer_a, reviewer_b):
        assert (who.login, "key.enrol", f"user:{who.login}") in trail, who.login
        assert (admin.login, "key.vet", f"user:{who.login}") in trail, who.login
    assert any(a == reviewer_a.login and act == "envelope.fetch" for a, act, _s in trail)
    submission_subject = f"submission:{submission_id}"
    assert (reviewer_a.login, "submission.state", submission_subject) in trail
    assert (reviewer_a.login, "submission.verify_proposed", submission_subject) in trail
    assert (reviewer_b.login, "submission.state", submission_subject) in trail
    print(f"the reviewer story took {time.monotonic() - started:.1f} s")
