"""The dossier pages: the case team builds a dossier on a record and downloads it (zip or sealed envelope)
after re-authenticating; every export is audited; the submitter details are the admins' to edit."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile

import nacl.signing
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core import db, export_key
from core.models import AuditEntry
from crypto.envelope import decrypt_all
from crypto.keys import Identity
from reviewer.exports import signing
from reviewer.exports.settings import load_submitter
from tests.exports.fixtures import Records
from tests.reviewer.helpers import csrf_token, log_in, make_user, reauthenticate


@pytest.fixture
def records(app: Flask, records: Records) -> Records:
    """The records, and the organization's export key to sign with."""
    export_key.ensure(app.config["SORI_DATA_DIR"])
    return records


@pytest.fixture
def case_team(app: Flask, client: FlaskClient) -> FlaskClient:
    _id, secret = make_user(app, "han", "case_team")
    log_in(client, "han", totp_secret=secret)
    return client


def form_url(records: Records) -> str:
    return f"/reviewer/dossiers/new/person/{records.person_id}"


def post_export(client: FlaskClient, records: Records, **fields: object) -> object:
    data = {
        "csrf_token": csrf_token(client, form_url(records)),
        "return_to": form_url(records),
        "purpose": "sanctions",
        "formats": ["pdf", "ftm", "csv"],
        "language": "both",
        **fields,
    }
    return client.post(form_url(records), data=data)


def expire_reauthentication(client: FlaskClient) -> None:
    with client.session_transaction() as session:
        session["reviewer_reauth_at"] = time.time() - 3600


def audit_entries(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        session = db.session()
        found = list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        session.expunge_all()
        return found


def test_the_case_team_downloads_a_signed_zip_after_confirming_who_they_are(
    app: Flask, case_team: FlaskClient, records: Records
) -> None:
    page = case_team.get(form_url(records))
    assert page.status_code == 200
    assert "Build a dossier" in page.get_data(as_text=True)
    assert "리창대" in page.get_data(as_text=True)

    expire_reauthentication(case_team)
    refused = post_export(case_team, records)
    assert refused.status_code == 302
    assert "/reviewer/reauth" in refused.headers["Location"]
    assert refused.headers["Location"].endswith("next=" + form_url(records))
    assert audit_entries(app, "export.dossier") == []

    reauthenticate(case_team)
    response = post_export(case_team, records)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    assert {"manifest.json", "manifest.sig", "dossier-ko-en.pdf", "entities.ftm.json"} <= set(files)
    assert any(name.endswith(".csv") for name in files)
    key = export_key.load(app.config["SORI_DATA_DIR"])
    assert key is not None
    signing.verify(files, key.verify_key)

    [entry] = audit_entries(app, "export.dossier")
    assert entry.actor == "han"
    assert entry.subject == f"person:{records.person_id}"
    assert json.loads(entry.details)["purpose"] == "sanctions"


def test_a_dossier_sealed_to_a_case_teams_key_opens_only_with_that_key(
    app: Flask, case_team: FlaskClient, records: Records
) -> None:
    identity = Identity.generate()
    response = post_export(
        case_team, records, formats=["pdf"], language="en", seal_to=identity.public_key.text
    )
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('.sori"')
    parts = {info.name: content for info, content in decrypt_all(io.BytesIO(response.data), identity)}
    assert set(parts) == {"dossier-en.pdf", "manifest.json", "manifest.sig"}
    assert parts["dossier-en.pdf"].startswith(b"%PDF")


def test_a_wrong_choice_or_a_damaged_public_key_is_explained_and_nothing_is_exported(
    app: Flask, case_team: FlaskClient, records: Records
) -> None:
    response = post_export(case_team, records, formats=[], purpose="gossip", seal_to="sori-pk1-damaged")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose at least one format." in page
    assert "Choose what the dossier is for." in page
    assert "This is not a valid public key" in page
    assert audit_entries(app, "export.dossier") == []


def test_unknown_targets_are_not_found(case_team: FlaskClient, records: Records) -> None:
    assert case_team.get("/reviewer/dossiers/new/person/999999").status_code == 404
    assert case_team.get(f"/reviewer/dossiers/new/incident/{records.person_id}").status_code == 404


def test_anonymous_visitors_and_users_without_a_records_role_are_refused(
    app: Flask, client: FlaskClient, records: Records
) -> None:
    for path in ("/reviewer/dossiers/", form_url(records)):
        response = client.get(path)
        assert response.status_code == 302 and "/reviewer/login" in response.headers["Location"]
    _id, secret = make_user(app, "boss", "admin")
    log_in(client, "boss", totp_secret=secret)
    assert client.get("/reviewer/dossiers/").status_code == 403
    assert client.get(form_url(records)).status_code == 403
    token = csrf_token(client, "/reviewer/dossiers/settings")
    assert (
        client.post(form_url(records), data={"csrf_token": token, "purpose": "sanctions"}).status_code == 403
    )
    assert audit_entries(app, "export.dossier") == []


def test_the_home_page_shows_the_export_key_and_recent_exports(
    app: Flask, case_team: FlaskClient, records: Records
) -> None:
    key = export_key.load(app.config["SORI_DATA_DIR"])
    assert isinstance(key, nacl.signing.SigningKey)
    assert post_export(case_team, records, formats=["csv"]).status_code == 200
    page = case_team.get("/reviewer/dossiers/").get_data(as_text=True)
    assert export_key.public_text(key.verify_key) in page
    assert export_key.fingerprint(key.verify_key) in page
    recent = page[page.index("Recent exports") :]
    assert re.search(rf"Person #{records.person_id}\s*</td>", recent)
    assert "Sanctions submission to governments" in recent


def test_record_pages_get_a_dossier_link_and_sanction_matches(app: Flask, records: Records) -> None:
    with app.test_request_context("/"):
        link = app.jinja_env.get_template("reviewer/exports/_target_link.html").render(
            kind="person", record=type("Record", (), {"id": records.person_id})()
        )
        assert f'href="/reviewer/dossiers/new/person/{records.person_id}"' in link
        context: dict[str, object] = {}
        app.update_template_context(context)
        assert context["sanction_matches_for"]("person", records.person_id) == []  # type: ignore[operator]


def test_only_admins_change_the_submitter_and_the_change_is_audited(app: Flask, client: FlaskClient) -> None:
    _id, secret = make_user(app, "han", "case_team")
    log_in(client, "han", totp_secret=secret)
    page = client.get("/reviewer/dossiers/settings")
    assert page.status_code == 200
    assert "Only an administrator can change these." in page.get_data(as_text=True)
    token = csrf_token(client, "/reviewer/dossiers/settings")
    refused = client.post("/reviewer/dossiers/settings", data={"csrf_token": token, "organization": "X"})
    assert refused.status_code == 403

    admin = app.test_client()
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    _id, secret = make_user(app, "boss", "admin")
    log_in(admin, "boss", totp_secret=secret)
    fields = {
        "organization": "북한인권 예시 단체",
        "contact_name": "Case desk",
        "email": "desk@example.org",
        "address": "1 Example Street\nSeoul",
    }
    token = csrf_token(admin, "/reviewer/dossiers/settings")
    saved = admin.post("/reviewer/dossiers/settings", data={"csrf_token": token, **fields})
    assert saved.status_code == 302
    with app.app_context():
        assert load_submitter(db.session()) == fields
    [entry] = audit_entries(app, "export.settings")
    assert entry.actor == "boss"
    assert json.loads(entry.details)["fields"] == ["organization", "contact_name", "email", "address"]
    assert "북한인권" not in entry.details

    too_long = admin.post(
        "/reviewer/dossiers/settings", data={"csrf_token": token, "organization": "x" * 1001}
    )
    assert too_long.status_code == 400
    assert "북한인권 예시 단체" in client.get("/reviewer/dossiers/settings").get_data(as_text=True)
