"""A source asks for deletion from the status page, two reviewers decide on the web, and the source's
receipt then opens a page that says the testimony was deleted and when, on both paths of the status page;
the receipt opens nothing else, and is not counted as a wrong guess."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core import counters, db, form_nonces, receipts, submissions
from core.models import Submission
from tests.intake.source_helpers import SOURCE_KEY, controls, csrf_token
from tests.retention.helpers import Story, exists
from tests.reviewer.helpers import csrf_token as reviewer_csrf

TESTIMONY = "SENTINEL-삭제-요청 회령 구류장"


def _submit(client: FlaskClient) -> str:
    """A testimony through the form without JavaScript; the receipt's 16 digits."""
    data = {
        **controls(client),
        "submitter": "survivor",
        "what_happened": TESTIMONY,
        "consent_documentation": "yes",
    }
    page = client.post("/submit?lang=ko", data=data, content_type="multipart/form-data").get_data(
        as_text=True
    )
    match = re.search(r'id="receipt-value">([0-9 ]{19})<', page)
    assert match, page[:500]
    return match.group(1).replace(" ", "")


def _status(client: FlaskClient, digits: str, lang: str = "en") -> str:
    data = {**controls(client, "/status"), "receipt": digits}
    return client.post(f"/status?lang={lang}", data=data).get_data(as_text=True)


def _ask_for_deletion(client: FlaskClient, digits: str) -> None:
    page = _status(client, digits)
    follow_up_key = re.search(r'name="follow_up_key" value="([^"]+)"', page).group(1)
    confirm = client.post(
        "/status/choice?lang=en",
        data={**controls(client, "/status"), "follow_up_key": follow_up_key, "choice": "delete"},
    )
    assert confirm.status_code == 200
    done = client.post(
        "/status/choice/confirm?lang=en",
        data={**controls(client, "/status"), "follow_up_key": follow_up_key, "choice": "delete"},
    )
    assert "passed to the reviewers" in done.get_data(as_text=True)


def _post(client: FlaskClient, path: str):
    return client.post(path, data={"csrf_token": reviewer_csrf(client, "/reviewer/")})


def test_a_source_request_becomes_a_deletion_and_the_receipt_then_says_so(
    app: Flask, client: FlaskClient, story: Story
) -> None:
    digits = _submit(client)
    _ask_for_deletion(client, digits)
    with app.app_context():
        [submission_id] = db.session().scalars(select(Submission.id)).all()
        assert db.session().get(Submission, submission_id).deletion_requested_on is not None

    kim, lee = story.client("kim"), story.client("lee")
    assert "Deletion requests from sources: 1." in kim.get("/reviewer/inbox").get_data(as_text=True)
    page = kim.get(f"/reviewer/submissions/{submission_id}").get_data(as_text=True)
    assert 'id="deletion-requested"' in page and 'id="deletion-propose"' in page
    # The conversation's summary and the deletion controls share one page: no id may appear twice.
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert _post(kim, f"/reviewer/submissions/{submission_id}/deletion/propose").status_code == 303
    assert _post(lee, f"/reviewer/submissions/{submission_id}/deletion/confirm").status_code == 303
    assert not exists(app, submission_id)

    with app.app_context():
        wrong_before = counters.last_minute(db.session(), receipts.WRONG_COUNTER)
    # The server path: the digits.
    english = _status(client, digits)
    assert 'id="status-deleted"' in english and "Your account was deleted on" in english
    assert TESTIMONY not in english and 'name="follow_up_key"' not in english
    korean = _status(client, digits, "ko")
    assert "삭제" in korean and 'id="status-deleted"' in korean
    # The browser path: the lookup key the browser derives.
    with app.app_context():
        keys = receipts.derive(digits, submissions.receipt_salt(db.session()))
    answer = client.post(
        "/api/status?lang=en",
        json={
            "lookup_key": receipts.encode_key(keys.lookup_key),
            "source_key": SOURCE_KEY,
            "form_nonce": form_nonces.new(),
        },
        headers={"X-CSRFToken": csrf_token(client, "/status")},
    )
    assert answer.status_code == 200 and 'id="status-deleted"' in answer.get_json()["html"]
    with app.app_context():
        assert counters.last_minute(db.session(), receipts.WRONG_COUNTER) == wrong_before

    # Any other receipt is still simply not known.
    assert "This receipt is not known" in _status(client, "0000111122223333")
