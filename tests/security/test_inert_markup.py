"""HTML and script typed anywhere come back as text: in every text field of the source form (server path)
and in every reviewer-side text input (tags, logins, display names, the invitation form, filters).

Server-rendered pages are checked here: a payload never appears unescaped in any page that shows it, and it
does appear escaped (so the check is not passing on a page that simply left it out). Decrypted answers are
rendered in the reviewer's browser with textContent; tests/browser/test_reviewer_reading.py proves that in
Chromium and is not repeated here.
"""

from __future__ import annotations

import json
import re

from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from core import answers, db, form_nonces
from reviewer import triage
from tests.intake.source_helpers import answers_of, open_envelope, stored, vet_reviewer
from tests.reviewer.helpers import PASSWORD, csrf_token, log_in, make_user, reauthenticate
from tests.reviewer.reading_helpers import add_submission, give_vetted_key
from tests.security.hostile import MARKUP, field, multipart

#: Logins cannot hold white space: the same payloads without it.
LOGINS = ["<script>alert(1)</script>", '"><img/src=x/onerror=alert(1)>', "{{7*7}}", "javascript:alert(1)"]
BOUNDARY = b"inert"


def assert_inert(pages: dict[str, str], payloads: list[str], *, shown: bool = True) -> None:
    """No payload with markup appears raw in any page, none is evaluated as a template, no ``javascript:``
    lands in a link; with ``shown``, each payload appears (escaped) in at least one page."""
    for url, page in pages.items():
        for payload in payloads:
            if str(escape(payload)) != payload:
                assert payload not in page, f"{payload!r} appears unescaped in {url}"
        assert not re.search(r"""(href|src|action|formaction)\s*=\s*["']?\s*javascript:""", page, re.I), url
        assert "onerror=alert(1)>" not in page and "<svg onload" not in page, url
    if shown:
        everything = "\n".join(pages.values())
        missing = [p for p in payloads if str(escape(p)) not in everything]
        assert missing == [], f"not shown anywhere, so not proven inert: {missing}"


# --- the source form ----------------------------------------------------------------------------------------


def test_markup_in_every_source_field_is_sealed_as_typed_and_never_echoed(
    app: Flask, client: FlaskClient
) -> None:
    reviewer = vet_reviewer(app)
    person_fields = [
        f"who-{i}-{part}" for i in (1, 2) for part in ("name", "position", "unit", "description")
    ]
    fields = sorted(answers.TEXT_FIELDS - {"violations"}) + person_fields
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/submit").get_data(as_text=True)
    ).group(1)
    sent = {name: MARKUP[i % len(MARKUP)] + f" #{name}" for i, name in enumerate(fields)}
    parts = [field("csrf_token", token), field("form_nonce", form_nonces.new())]
    parts += [field(name, value) for name, value in sent.items()]
    parts += [field("violations", payload) for payload in MARKUP]
    pages = {}
    response = client.post(
        "/submit?lang=en", data=multipart(BOUNDARY, parts), content_type="multipart/form-data; boundary=inert"
    )
    assert response.status_code == 200
    pages["receipt"] = response.get_data(as_text=True)
    assert_inert(pages, MARKUP, shown=False)
    assert not any(payload in pages["receipt"] for payload in sent.values())
    [(_, [envelope])] = stored(app)
    kept = answers_of(open_envelope(app, envelope, reviewer))["fields"]
    # Kept exactly as typed, for the reviewer's browser to show as text; the date fields are dropped, because
    # markup is no kind of "when" (core/answers.py WHEN_FIELDS).
    dates = {name for names in answers.WHEN_FIELDS.values() for name in names}
    assert {name: kept[name] for name in sent if name not in dates} == {
        name: value for name, value in sent.items() if name not in dates
    }
    assert not dates & set(kept)
    assert kept["violations"] == MARKUP

    # The status page and the refusals echo nothing the source typed.
    for receipt in MARKUP:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/status").get_data(as_text=True))
        answer = client.post(
            "/status?lang=en",
            data={"csrf_token": token.group(1), "form_nonce": form_nonces.new(), "receipt": receipt},
        )
        assert answer.status_code in (400, 403)
        pages[f"status {receipt}"] = answer.get_data(as_text=True)
        assert receipt not in pages[f"status {receipt}"] or str(escape(receipt)) == receipt
    for path in ("/", "/submit", "/readers", "/status"):
        for payload in MARKUP:
            pages[f"{path}?{payload}"] = client.get(
                path, query_string={"lang": payload, "x": payload}
            ).get_data(as_text=True)
    assert_inert(pages, MARKUP, shown=False)


# --- the reviewer side --------------------------------------------------------------------------------------


def _pages(client: FlaskClient, urls: list[str]) -> dict[str, str]:
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        pages[url] = response.get_data(as_text=True)
    return pages


def test_markup_in_every_reviewer_input_comes_back_escaped(app: Flask, client: FlaskClient) -> None:
    # The logged-in admin and reviewer is named with a payload; so are other accounts and their logins.
    kim_id, secret = make_user(app, "kim", "admin", "reviewer", name=MARKUP[1])
    give_vetted_key(app, kim_id)
    for i, login in enumerate(LOGINS):
        user_id, _ = make_user(app, login, "reviewer", name=MARKUP[i % len(MARKUP)] + f" {i}")
        give_vetted_key(app, user_id)
    submission_id, _ = add_submission(app, {"what_happened": "markup test"})
    log_in(client, "kim", PASSWORD, secret)
    reauthenticate(client)
    page = f"/reviewer/submissions/{submission_id}"

    # Tags, typed into the submission page.
    token = csrf_token(client, page)
    for payload in MARKUP:
        assert client.post(f"{page}/tags", data={"csrf_token": token, "tag": payload}).status_code == 303
    assert client.post(f"{page}/assign", data={"csrf_token": token, "assignee": "me"}).status_code == 303

    # The invitation form, with payloads as login and display name (and one login with white space).
    invited = []
    for i, payload in enumerate(MARKUP):
        login = LOGINS[i % len(LOGINS)] + f"-inv{i}"
        response = client.post(
            "/reviewer/admin/users",
            data={"csrf_token": token, "login": login, "display_name": payload + " inv", "reviewer": "on"},
        )
        assert response.status_code == 201, response.status_code
        invited.append(response.get_data(as_text=True))
    refused = client.post(
        "/reviewer/admin/users",
        data={"csrf_token": token, "login": MARKUP[1], "display_name": MARKUP[0], "reviewer": "on"},
    )
    assert refused.status_code == 400

    urls = [
        "/reviewer/",
        "/reviewer/inbox",
        page,
        "/reviewer/admin/users",
        "/reviewer/admin/keys",
        "/reviewer/admin/audit",
        "/reviewer/keys",
        "/reviewer/keys/grants",
    ]
    with app.app_context():
        tag_ids = db.session().scalars(select(triage.Tag.id)).all()
    urls += [f"/reviewer/inbox?tag={payload}" for payload in MARKUP]
    urls += [f"/reviewer/inbox?state={p}&assignee={p}&from={p}&to={p}&path={p}&after={p}" for p in MARKUP]
    pages = _pages(client, urls)
    pages.update({f"invitation {i}": body for i, body in enumerate(invited)})
    pages["refused invitation"] = refused.get_data(as_text=True)
    assert len(tag_ids) == len(MARKUP)
    assert_inert(pages, MARKUP + LOGINS + [p + " inv" for p in MARKUP])

    # JSON answers that carry names are JSON, never HTML.
    pending = client.get("/reviewer/api/grants/pending")
    if pending.status_code == 200:
        assert pending.mimetype == "application/json"
        json.loads(pending.get_data(as_text=True))


def test_markup_on_the_login_invitation_and_code_pages_is_not_echoed(app: Flask, client: FlaskClient) -> None:
    make_user(app, LOGINS[0], "reviewer", name=MARKUP[1])
    pages = {}
    for payload in MARKUP + LOGINS:
        token = csrf_token(client, "/reviewer/login")
        answer = client.post(
            "/reviewer/login", data={"csrf_token": token, "login": payload, "password": payload}
        )
        pages[f"login {payload}"] = answer.get_data(as_text=True)
        pages[f"next {payload}"] = client.get("/reviewer/login", query_string={"next": payload}).get_data(
            as_text=True
        )
        pages[f"invite {payload}"] = client.get(f"/reviewer/invite/{payload}").get_data(as_text=True)
    # The right password for the payload-named account: the code page names nobody.
    token = csrf_token(client, "/reviewer/login")
    step = client.post(
        "/reviewer/login", data={"csrf_token": token, "login": LOGINS[0], "password": PASSWORD}
    )
    assert step.status_code == 302
    pages["code page"] = client.get("/reviewer/login/code").get_data(as_text=True)
    assert_inert(pages, MARKUP + LOGINS, shown=False)
