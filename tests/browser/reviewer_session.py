"""A reviewer's session in Chromium against the live server, for the browser tests of reviewer pages: the
login password of their accounts, logging in with it and a TOTP code, and a record of every request the
browser sends, to show that a secret never left it."""

from __future__ import annotations

import json

import pyotp
from playwright.sync_api import Page, Request

from tests.browser.live_server import LiveServer

#: The login password of every account these tests make.
PASSWORD = "a long login password 로그인"


class Recorder:
    """Every request a browser context sends, as (URL, body); attach it with ``context.on("request", …)``."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, bytes]] = []

    def __call__(self, request: Request) -> None:
        self.requests.append((request.url, request.post_data_buffer or b""))

    def assert_never_sent(self, secret: str) -> None:
        """Fails if ``secret`` (as UTF-8 or UTF-16) is in any body, or in any URL."""
        needles = [secret.encode("utf-8"), secret.encode("utf-16-le")]
        for url, body in self.requests:
            assert not any(n in body for n in needles), f"{secret!r} was sent to {url}"
            assert secret not in url, f"{secret!r} was sent in the URL {url}"


def log_in(page: Page, server: LiveServer, login: str, secret: str, password: str = PASSWORD) -> None:
    """Logs ``page`` in as ``login`` (``password``, TOTP ``secret``), in Korean; fails if the server does not
    let it in."""
    page.goto(f"{server.url}/reviewer/login?lang=ko")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("form.account button[type=submit]")
    page.wait_for_url("**/reviewer/login/code**")
    # The account was just made: the code of the step before now is spent, the current one is not.
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("form.account button[type=submit]")
    page.wait_for_load_state()
    assert "/reviewer/login" not in page.url, f"{login} could not log in"


def log_in_demo_reviewer(page: Page, server: LiveServer) -> None:
    """Logs ``page`` in as ``sori demo``'s first reviewer, with the login it wrote to the data folder."""
    credentials = json.loads((server.data_dir / "demo" / "demo-reviewer-a.login.json").read_text("utf-8"))
    log_in(page, server, "demo-reviewer-a", credentials["totp_secret"], credentials["password"])
