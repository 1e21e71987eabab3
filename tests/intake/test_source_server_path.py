"""The server path (JavaScript or WebAssembly off): the form is sealed in memory while it streams in."""

from __future__ import annotations

import io
import json
import re
import tempfile
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core import db, form_nonces, receipts, submissions
from tests.intake.source_helpers import (
    answers_of,
    csrf_token,
    files_under,
    open_envelope,
    stored,
    vet_reviewer,
)

SENTINEL = "SENTINEL-7f3a 회령 보위부 구류장"


def _form(token: str, **extra: object) -> dict:
    form = {
        "csrf_token": token,
        "form_nonce": form_nonces.new(),
        "submitter": "survivor",
        "what_happened": SENTINEL,
        "who-1-name": "리창대",
        "violations": ["torture_interrogation", "forced_labour"],
        "consent_documentation": "yes",
        "consent_sanctions": "no",
    }
    form.update(extra)
    return form


def _post(client: FlaskClient, data: dict, path: str = "/submit?lang=ko"):
    return client.post(path, data=data, content_type="multipart/form-data")


def _receipt(page: str) -> str:
    match = re.search(r'id="receipt-value">([0-9 ]{19})<', page)
    assert match, "no receipt on the page"
    return match.group(1)


def test_the_form_page_carries_what_the_browser_needs(app: Flask, client: FlaskClient) -> None:
    vet_reviewer(app)
    response = client.get("/submit?lang=en")
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert '<html lang="en">' in page
    for attribute in (
        "data-recipients",
        "data-receipt-salt",
        "data-sodium",
        "data-upload-url",
        "data-max-bytes",
    ):
        assert attribute in page
    assert "sori-pk1-" in page
    # Every text field comes before the file input: the server path relies on that order.
    assert (
        page.index('name="what_happened"') < page.index('name="consent_contact"') < page.index('type="file"')
    )
    assert page.index('name="csrf_token"') < page.index('name="submitter"')


def test_a_form_with_files_is_sealed_and_only_ciphertext_is_kept(app: Flask, client: FlaskClient) -> None:
    reviewer = vet_reviewer(app)
    photo = b"\xff\xd8" + SENTINEL.encode() + bytes(range(256)) * 4000
    temp_before = set(Path(tempfile.gettempdir()).iterdir())
    data = _form(
        csrf_token(client),
        attachments=[
            (io.BytesIO(photo), "사진.jpg", "image/jpeg"),
            (io.BytesIO(b"note " + SENTINEL.encode()), "../../etc/note.txt", "text/plain"),
        ],
    )
    response = _post(client, data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert SENTINEL not in page
    receipt = _receipt(page)

    [(submission, [envelope])] = stored(app)
    assert envelope.path == "server" and submission.state == "new"
    parts = open_envelope(app, envelope, reviewer)
    assert list(parts) == ["answers.json", "사진.jpg", "../../etc/note.txt", "files.json"]
    assert parts["사진.jpg"] == photo  # not really a JPEG (no marker after its first two bytes): kept as sent
    assert json.loads(parts["files.json"])["files"] == [
        {"name": "사진.jpg", "kind": None, "removed": [], "complete": False},
        {"name": "../../etc/note.txt", "kind": None, "removed": [], "complete": False},
    ]
    answers = answers_of(parts)
    assert answers["path"] == "server" and answers["lang"] == "ko"
    assert answers["fields"]["what_happened"] == SENTINEL
    assert answers["fields"]["violations"] == ["torture_interrogation", "forced_labour"]
    assert "csrf_token" not in answers["fields"]

    for path, content in files_under(Path(app.config["SORI_DATA_DIR"])).items():
        assert SENTINEL.encode() not in content, path
    for path in set(Path(tempfile.gettempdir()).iterdir()) - temp_before:
        if path.is_file():
            assert SENTINEL.encode() not in path.read_bytes(), path
    with app.app_context():
        salt = submissions.receipt_salt(db.session())
    digits = receipts.normalize(receipt)
    keys = receipts.derive(digits, salt)
    assert digits and submission.receipt_hash == receipts.stored_hash(keys.lookup_key)
    assert submission.source_public_key == keys.identity.public_key.text


def test_a_missing_or_forged_csrf_token_stores_nothing(app: Flask, client: FlaskClient) -> None:
    vet_reviewer(app)
    client.get("/submit")
    for token in ("", "forged-token"):
        response = _post(client, _form(token, attachments=[(io.BytesIO(b"x" * 100_000), "a.bin")]))
        assert response.status_code == 403
        assert "for your safety" in response.get_data(as_text=True) or "안전" in response.get_data(
            as_text=True
        )
    assert stored(app) == []
    assert list((Path(app.config["SORI_DATA_DIR"]) / "blobs" / "tmp").iterdir()) == []


def test_the_token_must_come_first(app: Flask, client: FlaskClient) -> None:
    vet_reviewer(app)
    token = csrf_token(client)
    body = (
        b'--B\r\nContent-Disposition: form-data; name="what_happened"\r\n\r\ntext\r\n'
        b'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        + token.encode()
        + b"\r\n--B--\r\n"
    )
    response = client.post("/submit", data=body, content_type="multipart/form-data; boundary=B")
    assert response.status_code == 403 and stored(app) == []


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({"unknown_field": "x"}, 400),
        (
            {
                "what_happened": "",
                "submitter": "",
                "violations": [],
                "who-1-name": "",
                "consent_documentation": "",
                "consent_sanctions": "",
            },
            400,
        ),
        ({"what_happened": "x" * (1024 * 1024 + 1)}, 400),
    ],
    ids=["unknown field", "empty form", "text too long"],
)
def test_forms_that_are_not_ours_are_refused_with_a_translated_page(app, client, extra, status) -> None:
    vet_reviewer(app)
    response = _post(client, _form(csrf_token(client), **extra), path="/submit?lang=en")
    assert response.status_code == status
    assert "Your account was not sent" in response.get_data(as_text=True)
    assert stored(app) == []


def test_without_a_vetted_reviewer_nothing_is_accepted(app: Flask, client: FlaskClient) -> None:
    response = _post(client, _form(csrf_token(client)), path="/submit?lang=en")
    assert response.status_code == 409
    assert "No reviewer can receive accounts" in response.get_data(as_text=True)
    assert stored(app) == []


def test_an_upload_over_the_limit_gets_the_413_page_and_leaves_nothing(
    app: Flask, client: FlaskClient
) -> None:
    vet_reviewer(app)
    app.config["MAX_CONTENT_LENGTH"] = 200_000
    response = _post(client, _form(csrf_token(client), attachments=[(io.BytesIO(b"x" * 300_000), "big.bin")]))
    assert response.status_code == 413
    assert stored(app) == []
    assert list((Path(app.config["SORI_DATA_DIR"]) / "blobs" / "tmp").iterdir()) == []


def test_a_receipt_shows_the_status_and_lets_the_source_add_more(app: Flask, client: FlaskClient) -> None:
    reviewer = vet_reviewer(app)
    receipt = _receipt(_post(client, _form(csrf_token(client))).get_data(as_text=True))

    token = csrf_token(client, "/status")
    page = client.post(
        "/status?lang=en",
        data={"csrf_token": token, "form_nonce": form_nonces.new(), "receipt": receipt.replace(" ", "-")},
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Received, waiting to be read" in text
    assert page.headers["Cache-Control"] == "no-store"
    follow_up_key = re.search(r'name="follow_up_key" value="([^"]+)"', text).group(1)

    added = _post(
        client,
        {
            "csrf_token": token,
            "form_nonce": form_nonces.new(),
            "follow_up_key": follow_up_key,
            "what_happened": "더 기억나는 것",
            "attachments": [(io.BytesIO(b"second file"), "more.txt", "text/plain")],
        },
    )
    assert added.status_code == 200
    [(submission, envelopes)] = stored(app)
    assert [e.sequence for e in envelopes] == [1, 2]
    parts = open_envelope(app, envelopes[1], reviewer)
    assert answers_of(parts)["fields"]["what_happened"] == "더 기억나는 것"
    assert parts["more.txt"] == b"second file"


def test_a_follow_up_with_an_unknown_key_is_refused(app: Flask, client: FlaskClient) -> None:
    vet_reviewer(app)
    response = _post(
        client,
        {
            "csrf_token": csrf_token(client),
            "form_nonce": form_nonces.new(),
            "follow_up_key": "A" * 43,
            "what_happened": "x",
        },
    )
    assert response.status_code == 403 and stored(app) == []


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("text", ["", " ", "\r\n\t　"])
def test_an_account_without_what_happened_is_refused_in_the_page_language(
    app: Flask, client: FlaskClient, lang: str, text: str
) -> None:
    """Only "What happened?" must be answered, and white space is not an answer (full-width space too)."""
    vet_reviewer(app)
    response = _post(
        client,
        _form(
            csrf_token(client), what_happened=text, attachments=[(io.BytesIO(b"x"), "a.txt", "text/plain")]
        ),
        path=f"/submit?lang={lang}",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert ("무슨 일이 있었습니까?" in page) if lang == "ko" else ("Nothing was written under" in page)
    assert stored(app) == []


def test_only_the_chosen_kind_of_when_is_kept(app: Flask, client: FlaskClient) -> None:
    reviewer = vet_reviewer(app)
    every_date = {
        "when_date": "2019-01-05",
        "when_year": "2018",
        "when_season": "winter",
        "when_from_year": "2010",
        "when_to_year": "2012",
    }
    for kind in ("exact", "range", None):
        extra = {**every_date, **({"when_kind": kind} if kind else {})}
        assert _post(client, _form(csrf_token(client), **extra)).status_code == 200
    kept = [
        {
            k: v
            for k, v in answers_of(open_envelope(app, envelopes[0], reviewer))["fields"].items()
            if "when" in k
        }
        for _, envelopes in stored(app)
    ]
    assert sorted(kept, key=len) == sorted(
        [
            {"when_kind": "exact", "when_date": "2019-01-05"},
            {"when_kind": "range", "when_from_year": "2010", "when_to_year": "2012"},
            {},
        ],
        key=len,
    )


def test_the_form_requires_only_what_happened_and_chooses_nothing_for_the_source(
    app: Flask, client: FlaskClient
) -> None:
    vet_reviewer(app)
    page = client.get("/submit?lang=en").get_data(as_text=True)
    assert re.findall(r"<(\w+)[^>]*\brequired\b", page) == ["textarea"]
    assert 'id="what_happened" name="what_happened"' in page
    assert " checked" not in page and " selected" not in page
    assert "A question left unanswered counts as no." in page


def test_hidden_details_are_removed_as_files_stream_in_unless_the_source_keeps_them(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    from tests.intake.metadata_fixtures import make_fixtures

    reviewer = vet_reviewer(app)
    photo = make_fixtures(tmp_path)["photo.jpg"].read_bytes()
    for keep in ("", "yes"):
        extra = {"keep_metadata": keep} if keep else {}
        response = _post(
            client, _form(csrf_token(client), **extra, attachments=[(io.BytesIO(photo), "p.jpg")])
        )
        assert response.status_code == 200
    kept = {}
    for _, [envelope] in stored(app):
        parts = open_envelope(app, envelope, reviewer)
        kept[json.loads(parts["files.json"])["files"][0].get("kept", False)] = parts["p.jpg"]
    assert kept[True] == photo
    assert kept[False] != photo and b"Samsung" in photo and b"Samsung" not in kept[False]
