"""Every route in the URL map, every method: the security headers of DESIGN.md 6 on every answer,
``Cache-Control: no-store`` on every answer but a static file (issue 18), and no POST or PUT accepted
without a CSRF token.

The list of routes comes from ``app.url_map``, so a route added later is tested without anyone editing this
file; a route whose URL arguments this file cannot fill in fails :func:`_url` until its argument is added
to :data:`ARGUMENTS`. Who may reach which route is tests/reviewer/test_route_matrix.py's job; this file
requests every route both anonymously and as a fully logged-in admin and reviewer with a vetted key, so
that the headers are seen on the pages themselves and not only on login redirects.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf.csrf import CSRFError
from werkzeug.routing import Rule

from core import db, errors, recipients, submissions
from core.models import Submission
from core.security import CONTENT_SECURITY_POLICY
from intake import uploads
from reviewer import enrolment
from reviewer.models import ReviewerKey
from tests.intake.source_helpers import files_under
from tests.reviewer.helpers import csrf_token, log_in, make_user, reauthenticate
from tests.reviewer.reading_helpers import add_submission, give_vetted_key

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
}
#: The endpoints that serve files, whose successful answers may be cached (versioned URLs).
STATIC_ENDPOINTS = {"static", "assets.vendor", "assets.crypto_js", "assets.favicon"}
#: Methods that change state: each needs a CSRF token.
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
#: Methods a route never has, for the 405 answers.
ABSENT = ["GET", "POST", "PUT", "DELETE", "PATCH"]

#: Values for each URL argument, by (endpoint, argument) first, then by argument name; filled per test.
ARGUMENTS: dict[str, Callable[[dict], str]] = {
    "source.upload_piece:upload_id": lambda w: w["upload_id"],
    "source.upload_finish:upload_id": lambda w: w["upload_id"],
    "submission_id": lambda w: w["submission_id"],
    "envelope_id": lambda w: str(w["envelope_id"]),
    "key_id": lambda w: str(w["key_id"]),
    "user_id": lambda w: str(w["user_id"]),
    "tag_id": lambda w: "1",
    "note_id": lambda w: "1",
    "template_id": lambda w: "1",
    # Records and dossiers: an id that may not exist answers 404.
    "person_id": lambda w: "1",
    "organization_id": lambda w: "1",
    "facility_id": lambda w: "1",
    "position_id": lambda w: "1",
    "occupancy_id": lambda w: "1",
    "merge_id": lambda w: "1",
    "target_id": lambda w: "1",
    "kind": lambda w: "person",
    "incident_id": lambda w: "1",
    "act_id": lambda w: "1",
    "involvement_id": lambda w: "1",
    "information_id": lambda w: "1",
    "token": lambda w: w["invitation"],
    "static:filename": lambda w: "sori.css",
    "assets.vendor:name": lambda w: "libsodium.js",
    "assets.crypto_js:name": lambda w: "sori-envelope.js",
}


def _url(rule: Rule, world: dict) -> str:
    values = {}
    for argument in rule.arguments:
        fill = ARGUMENTS.get(f"{rule.endpoint}:{argument}") or ARGUMENTS.get(argument)
        assert fill is not None, f"add a value for <{argument}> of {rule.endpoint} to ARGUMENTS"
        values[argument] = fill(world)
    url = rule.rule
    for argument, value in values.items():
        url = re.sub(rf"<(?:[^:>]+:)?{argument}>", value, url)
    return url


def routes(app: Flask) -> list[tuple[Rule, str]]:
    """Every (rule, method) of the URL map, HEAD and OPTIONS included."""
    return sorted(
        ((rule, method) for rule in app.url_map.iter_rules() for method in rule.methods or ()),
        key=lambda pair: (pair[0].rule, pair[1]),
    )


def assert_secure_headers(response, what: str) -> None:
    missing = {
        name: response.headers.get(name)
        for name, value in HEADERS.items()
        if response.headers.get(name) != value
    }
    assert missing == {}, f"{what} ({response.status_code}) lacks or alters {missing}"
    for cookie in response.headers.getlist("Set-Cookie"):
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie, f"{what} sets a weak cookie: {cookie}"


@pytest.fixture
def world(app: Flask, tmp_path: Path) -> dict:
    """An admin and reviewer with a vetted key, a submission, an open upload and an invitation."""
    user_id, secret = make_user(app, "kim", "admin", "reviewer")
    give_vetted_key(app, user_id)
    submission_id, envelope_id = add_submission(app, {"what_happened": "route test"})
    with app.app_context():
        key_id = db.session().query(ReviewerKey.id).filter_by(user_id=user_id).scalar()
        upload_id = uploads.start(submissions.blob_store(), 1000, app.config["MAX_CONTENT_LENGTH"], 200)
        invitation = enrolment.invite(db.session(), None, "newcomer", "New", reviewer=True).token
    return {
        "user_id": user_id,
        "secret": secret,
        "submission_id": submission_id,
        "envelope_id": envelope_id,
        "key_id": key_id,
        "upload_id": upload_id,
        "invitation": invitation,
    }


@pytest.fixture
def csrf_refusals(app: Flask) -> Iterator[list[str]]:
    """The paths of the requests CSRFProtect refused, seen through an error handler for CSRFError."""
    refused: list[str] = []

    def handler(error: CSRFError):
        from flask import request

        refused.append(request.path)
        return errors._http_error(error)

    app.register_error_handler(CSRFError, handler)
    yield refused


def test_the_map_is_not_trivial(app: Flask) -> None:
    pairs = routes(app)
    endpoints = {rule.endpoint for rule, _ in pairs}
    assert len(endpoints) >= 40
    assert {"source.submit", "source.upload_piece", "reviewer_inbox.tag_add", "static"} <= endpoints
    assert len([1 for _, method in pairs if method in UNSAFE]) >= 18


def _request(client: FlaskClient, method: str, url: str, token: str | None):
    headers = {"X-CSRFToken": token} if token else {}
    if method in ("GET", "HEAD", "OPTIONS"):
        return client.open(url, method=method, headers=headers)
    if "/api/" in url:
        headers["X-Upload-Offset"] = "0"
        return client.open(url, method=method, json={"size": 10}, headers=headers)
    data = {"csrf_token": token} if token else {}
    return client.open(url, method=method, data=data, headers=headers)


@pytest.mark.parametrize("who", ["anonymous", "logged in"])
def test_every_route_and_method_answers_with_the_security_headers(
    app: Flask, client: FlaskClient, world: dict, who: str
) -> None:
    if who == "logged in":
        log_in(client, "kim", totp_secret=world["secret"])
        reauthenticate(client)
    token = csrf_token(client, "/reviewer/login")
    statuses: Counter[int] = Counter()
    no_store: Counter[int] = Counter()
    methods_of: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        methods_of.setdefault(rule.rule, set()).update(rule.methods or ())
    for rule, method in routes(app):
        url = _url(rule, world)
        for sent in (token, None):
            response = _request(client, method, url, sent)
            assert_secure_headers(response, f"{method} {url}")
            statuses[response.status_code] += 1
            if rule.endpoint not in STATIC_ENDPOINTS or response.status_code >= 400:
                cache = response.headers.get("Cache-Control")
                assert cache == "no-store", f"{method} {url} ({response.status_code}): Cache-Control {cache}"
                no_store[response.status_code] += 1
        for other in ABSENT:
            if other not in methods_of[rule.rule]:
                response = client.open(url, method=other, headers={"X-CSRFToken": token})
                assert response.status_code in (400, 405), f"{other} {url}"
                assert_secure_headers(response, f"{other} {url}")
                statuses[response.status_code] += 1
    # The pages themselves were seen, not only refusals.
    assert statuses[200] >= (25 if who == "logged in" else 10), statuses
    assert no_store[200] >= (20 if who == "logged in" else 6), no_store
    assert statuses[405] >= 30 and statuses[400] >= 10, statuses


@pytest.mark.parametrize(
    "path",
    [
        "/no-such-page",
        "/reviewer/no-such-page",
        "/api/no-such",
        "/static/no-such.css",
        "/static/../intake/app.py",
        "/static/%2e%2e/app.py",
        "/vendor/../../package.json",
        "/vendor/not-allowed.js",
        "/static/crypto/not-allowed.js",
        "/reviewer/submissions/%00",
        "/reviewer/invite/" + "x" * 5000,
        "/%3Cscript%3E",
    ],
)
def test_unknown_paths_get_a_404_with_the_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (400, 404) or response.headers["Location"].startswith("/reviewer/login")
    assert_secure_headers(response, path)
    assert "<script>" not in response.get_data(as_text=True)


def test_the_413_and_500_pages_have_the_headers(
    app: Flask, client: FlaskClient, world: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    token = csrf_token(client, "/submit")
    for path in ("/submit", "/api/submissions", "/status", "/reviewer/login"):
        response = client.post(
            path,
            data=b"x" * 5000,
            content_type="multipart/form-data; boundary=b",
            headers={"X-CSRFToken": token},
        )
        assert response.status_code == 413, path
        assert_secure_headers(response, path)

    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(*args: object) -> None:
        raise RuntimeError("the database is gone")

    monkeypatch.setattr(recipients, "active_texts", broken)
    for path in ("/readers", "/submit", "/status"):
        response = client.get(path)
        assert response.status_code == 500, path
        assert_secure_headers(response, path)
        assert "the database is gone" not in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["anonymous", "logged in", "another session's token"])
def test_no_post_or_put_is_accepted_without_its_csrf_token(
    app: Flask, client: FlaskClient, world: dict, csrf_refusals: list[str], who: str
) -> None:
    if who == "logged in":
        log_in(client, "kim", totp_secret=world["secret"])
        reauthenticate(client)
    forged = None
    if who == "another session's token":
        log_in(client, "kim", totp_secret=world["secret"])
        forged = csrf_token(app.test_client(), "/reviewer/login")
    before = files_under(Path(app.config["SORI_DATA_DIR"]))
    checked = []
    for rule, method in routes(app):
        if method not in UNSAFE:
            continue
        url = _url(rule, world)
        response = _request(client, method, url, forged)
        assert_secure_headers(response, f"{method} {url}")
        if rule.endpoint == "source.submit":
            continue  # checks the token itself while streaming: see the test below
        assert response.status_code == 400 and csrf_refusals[-1:] == [url], (
            f"{method} {url} was not refused for want of a CSRF token ({response.status_code})"
        )
        checked.append(url)
    assert len(checked) >= 17
    # Nothing was written: no upload piece, no blob, no changed database file content for sources.
    after = files_under(Path(app.config["SORI_DATA_DIR"]))
    assert {p for p in after if "blobs" in p.parts} == {p for p in before if "blobs" in p.parts}
    for path in after:
        if "upload-" in path.name:
            assert after[path] == b"", "an upload piece was accepted without a token"


@pytest.mark.parametrize("token", [None, "", "forged-token", "IjEyMyI.abc.def"])
def test_submit_checks_the_token_itself_and_stores_nothing(
    app: Flask, client: FlaskClient, world: dict, token: str | None
) -> None:
    from tests.security.hostile import field, file_part, multipart

    parts = [] if token is None else [field("csrf_token", token)]
    parts += [field("what_happened", "CSRF-SENTINEL"), file_part(b"a.txt", b"CSRF-SENTINEL" * 1000)]
    before = files_under(Path(app.config["SORI_DATA_DIR"]))
    response = client.post(
        "/submit?lang=en", data=multipart(b"bnd", parts), content_type="multipart/form-data; boundary=bnd"
    )
    assert response.status_code == 403
    assert "open too long or was sent from another page" in response.get_data(as_text=True)
    assert_secure_headers(response, "/submit")
    assert files_under(Path(app.config["SORI_DATA_DIR"])).keys() == before.keys()
    with app.app_context():
        assert db.session().query(Submission).count() == 1  # the world's own


def test_a_json_body_does_not_replace_the_header_token(app: Flask, client: FlaskClient, world: dict) -> None:
    token = csrf_token(client, "/submit")
    # The token in the JSON body (where no browser script puts it) is not read: still refused.
    response = client.post("/api/uploads", json={"size": 10, "csrf_token": token})
    assert response.status_code == 400
    envelope = io.BytesIO(b"SORI-ENV")
    response = client.post(f"/api/submissions?csrf_token={token}", data=envelope)
    assert response.status_code == 400
