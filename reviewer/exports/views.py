"""The dossier pages: how exports work and the key that signs them, the form that builds a dossier on one
target and answers it as a download, and the submitter details every dossier prints.

Routes (all under ``/reviewer/dossiers``)::

    GET  /                              exports.home: explanation, export public key, recent exports
    GET  /new/<kind>/<target id>        exports.new: the form (purpose, formats, PDF language, sealing)
    POST /new/<kind>/<target id>        exports.build: a zip of the files and the signed manifest, or the
                                        zip sealed to a case team's public key (.sori); fresh login
    GET  /settings                      exports.settings: submitter and point of contact (admins edit)
    POST /settings                      exports.settings_save (admins, fresh login)

Dossiers are built in memory and handed over as the response: no file with their content is written.
Building, signing, auditing (``export.dossier``) and committing are reviewer/exports/bundle.py's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.routing import BuildError

from core import audit, db, export_key
from core.models import AuditEntry
from crypto.errors import BadPublicKey
from crypto.keys import PublicKey
from reviewer import access
from reviewer.exports import bundle, pdf
from reviewer.exports.dossier import DossierError
from reviewer.exports.settings import MAX_LENGTH, SUBMITTER_FIELDS, load_submitter, save_submitter
from reviewer.records import record_names
from reviewer.records.models import Facility, Organization, Person
from reviewer.records.vocab import PURPOSES

bp = Blueprint("exports", __name__, url_prefix="/reviewer/dossiers")

KINDS = {"person": Person, "organization": Organization, "facility": Facility}
KIND_LABELS = {"person": _l("Person"), "organization": _l("Organization"), "facility": _l("Facility")}
FORMATS = {
    "pdf": _l("PDF, for reading and printing"),
    "ftm": _l("FollowTheMoney (JSON lines), for OpenSanctions and Aleph"),
    "csv": _l("CSV, for Uwazi and spreadsheets"),
}
PDF_LANGUAGES = {"ko": _l("Korean"), "en": _l("English"), "both": _l("Korean and English")}
#: Recent exports listed on the home page.
RECENT = 20

ERRORS = {
    "purpose": _l("Choose what the dossier is for."),
    "formats": _l("Choose at least one format."),
    "language": _l("Choose the language of the PDF."),
    "seal_to": _l(
        "This is not a valid public key (sori-pk1-…). Copy it again from the case team's key page."
    ),
    "not_found": _l("This record does not exist."),
    "merged": _l("This record was merged into another one: build the dossier on that one."),
    "no_key": _l(
        "This Sori has no export signing key yet: an administrator must run sori init before dossiers can be "
        "exported."
    ),
    "unknown_kind": _l("Dossiers are made on persons, organizations and facilities only."),
    "unknown_purpose": _l("Choose what the dossier is for."),
    "too_long": _l("At most %(n)s characters.", n=MAX_LENGTH),
}


# ---- Shared ---------------------------------------------------------------------------------------------


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(template: str, status: int = 200, **context: Any) -> Response:
    return _no_store(Response(render_template(template, **context), status=status))


def _url_or_none(endpoint: str, **values: Any) -> str | None:
    """``url_for`` of a records page, or ``None`` while that page does not exist."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _signing_key() -> Any:
    return export_key.load(Path(current_app.config["SORI_DATA_DIR"]))


def sanction_matches_for(kind: str, record_id: int) -> list[Any]:
    """Possible matches of a person or organization in the imported sanctions lists, for record pages."""
    # Imported here: record pages render this whatever the state of the sanctions module.
    from reviewer.exports.sanctions import matches_for

    return matches_for(db.session(), kind, record_id)


@bp.app_context_processor
def _sanctions_context() -> dict[str, Any]:
    return {"sanction_matches_for": sanction_matches_for}


# ---- Home -----------------------------------------------------------------------------------------------


@bp.get("/", endpoint="home")
@access.requires("reviewer", "case_team")
def home() -> Response:
    """How dossiers work, the export public key to publish, where to choose a target, recent exports."""
    key = _signing_key()
    public = key.verify_key if key is not None else None
    recent = db.session().scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "export.dossier")
        .order_by(AuditEntry.seq.desc())
        .limit(RECENT)
    )
    lists = [
        (_url_or_none("records.persons"), _("Persons")),
        (_url_or_none("records.organizations"), _("Organizations")),
        (_url_or_none("records.facilities"), _("Facilities")),
        (_url_or_none("records.search"), _("Search records")),
    ]
    return _page(
        "reviewer/exports/home.html",
        public_key=export_key.public_text(public) if public is not None else None,
        fingerprint=export_key.fingerprint(public) if public is not None else None,
        recent=[_recent_row(entry) for entry in recent],
        lists=[(href, label) for href, label in lists if href],
        kind_labels=KIND_LABELS,
        purposes={code: label for code, (label, _scope) in PURPOSES.items()},
    )


@dataclass(frozen=True)
class RecentExport:
    """One line of the recent exports: from the audit entry, never from the files."""

    at: str
    actor: str
    kind: str
    target_id: str
    details: dict[str, Any] = field(default_factory=dict)


def _recent_row(entry: AuditEntry) -> RecentExport:
    kind, _colon, target_id = entry.subject.partition(":")
    try:
        details = json.loads(entry.details)
    except ValueError:
        details = {}
    return RecentExport(entry.at.strftime("%Y-%m-%d %H:%M"), entry.actor, kind, target_id, details)


# ---- New dossier ----------------------------------------------------------------------------------------


@dataclass
class ExportForm:
    """The form's values, checked: ``errors`` maps a field to the code of what is wrong with it."""

    purpose: str = "sanctions"
    formats: list[str] = field(default_factory=lambda: ["pdf", "ftm", "csv"])
    language: str = "both"
    seal_to: str = ""
    recipient: PublicKey | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: Any) -> ExportForm:
        checked = cls(
            purpose=form.get("purpose", ""),
            formats=[f for f in FORMATS if f in form.getlist("formats")],
            language=form.get("language", ""),
            seal_to=form.get("seal_to", "").strip()[:200],
        )
        if checked.purpose not in PURPOSES:
            checked.errors["purpose"] = "purpose"
        if not checked.formats:
            checked.errors["formats"] = "formats"
        if checked.language not in pdf.LANGUAGES:
            checked.errors["language"] = "language"
        if checked.seal_to:
            try:
                checked.recipient = PublicKey.parse(checked.seal_to)
            except BadPublicKey:
                checked.errors["seal_to"] = "seal_to"
        return checked


def _target_or_404(kind: str, target_id: int) -> tuple[Any, str]:
    """The record and its caption; 404 for an unknown kind or record."""
    model = KINDS.get(kind)
    record = db.session().get(model, target_id) if model is not None else None
    if record is None:
        abort(404)
    if isinstance(record, Person | Facility):
        caption = record_names.caption_of(record)
    else:
        caption = record_names.organization_caption(record, str(get_locale() or "ko"))
    return record, caption


def _form_page(kind: str, target_id: int, form: ExportForm, status: int = 200, error: str = "") -> Response:
    record, caption = _target_or_404(kind, target_id)
    return _page(
        "reviewer/exports/new.html",
        status=status,
        kind=kind,
        record=record,
        caption=caption,
        kind_label=KIND_LABELS[kind],
        form=form,
        errors={name: ERRORS[code] for name, code in form.errors.items()},
        error=ERRORS.get(error),
        purposes={code: label for code, (label, _scope) in PURPOSES.items()},
        formats=FORMATS,
        languages=PDF_LANGUAGES,
        record_url=_url_or_none(f"records.{kind}", **{f"{kind}_id": target_id}),
        has_key=_signing_key() is not None,
        no_submitter=not load_submitter(db.session()).get("organization", "").strip(),
    )


@bp.get("/new/<kind>/<int:target_id>", endpoint="new")
@access.requires("reviewer", "case_team")
def new(kind: str, target_id: int) -> Response:
    """The form to build a dossier on one person, organization or facility."""
    return _form_page(kind, target_id, ExportForm())


@bp.post("/new/<kind>/<int:target_id>", endpoint="build")
@access.requires("reviewer", "case_team", fresh=True)
def build(kind: str, target_id: int) -> Response:
    """Build the dossier and answer it as a download: a zip, or a ``.sori`` envelope when sealed."""
    _target_or_404(kind, target_id)
    form = ExportForm.from_form(request.form)
    if form.errors:
        return _form_page(kind, target_id, form, status=400)
    session = db.session()
    try:
        made = bundle.export(session, kind, target_id, form.purpose, form.formats, [form.language], g.user)
    except bundle.BundleError:
        session.rollback()
        return _form_page(kind, target_id, form, status=503, error="no_key")
    except DossierError as refused:
        session.rollback()
        return _form_page(kind, target_id, form, status=409, error=refused.code)
    name = f"dossier-{kind}-{target_id}-{form.purpose}"
    if form.recipient is not None:
        # One envelope, a part per file: ``sori decrypt -o FOLDER`` gives back the files and the manifest.
        return _download(bundle.seal(made, [form.recipient]), f"{name}.sori", "application/octet-stream")
    return _download(bundle.to_zip(made), f"{name}.zip", "application/zip")


def _download(content: bytes, filename: str, mimetype: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _no_store(response)


# ---- Settings -------------------------------------------------------------------------------------------


def _settings_page(values: dict[str, str] | None = None, errors: dict[str, str] | None = None) -> Response:
    return _page(
        "reviewer/exports/settings.html",
        status=400 if errors else 200,
        fields=SUBMITTER_FIELDS,
        values=values if values is not None else load_submitter(db.session()),
        errors=errors or {},
        can_edit=g.user.is_admin,
    )


@bp.get("/settings", endpoint="settings")
@access.requires()
def settings() -> Response:
    """Who submits the dossiers: shown to everyone, edited by admins."""
    return _settings_page()


@bp.post("/settings", endpoint="settings_save")
@access.requires("admin", fresh=True)
def settings_save() -> Response:
    """Store the submitter details; audited with the names of the fields that changed."""
    values = {name: request.form.get(name, "") for name in SUBMITTER_FIELDS}
    errors = {
        name: str(ERRORS["too_long"]) for name, value in values.items() if len(value.strip()) > MAX_LENGTH
    }
    if errors:
        return _settings_page(values, errors)
    session = db.session()
    changed = save_submitter(session, values)
    if changed:
        audit.record(session, g.user, "export.settings", "settings:export.submitter", fields=changed)
    session.commit()
    flash(_("The submitter details are saved.") if changed else _("Nothing was changed."))
    return redirect(url_for(".settings"))  # type: ignore[return-value]
