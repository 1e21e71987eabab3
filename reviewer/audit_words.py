"""What each audit-trail action means, in the reader's language: the trail stores stable codes
(``envelope.fetch``) so that its hash chain never depends on a translation, and the admin's page shows
these words beside them. tests/reviewer/test_audit.py finds every code the application writes and fails
when one has no words here."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

ACTIONS: dict[str, LazyString] = {
    "login": _l("Logged in"),
    "logout": _l("Logged out"),
    "reauth": _l("Confirmed their identity again"),
    "login.failed": _l("A login failed"),
    "login.refused": _l("Refused logins (counted per minute)"),
    "user.invite": _l("Invited an account"),
    "user.accept": _l("Accepted an invitation"),
    "user.totp_enrol": _l("Set up two-step login"),
    "user.unlock": _l("Unlocked an account"),
    "user.disable": _l("Disabled an account"),
    "key.enrol": _l("Made a key"),
    "key.vet": _l("Approved a key"),
    "key.revoke": _l("Revoked a key"),
    "key.fetch": _l("Fetched their key to unlock it"),
    "key.download": _l("Downloaded their key file"),
    "key.grant": _l("Gave a colleague access to a testimony"),
    "key.grant_fetch": _l("Fetched access given by a colleague"),
    "envelope.fetch": _l("Opened a testimony"),
    "envelope.export": _l("Downloaded a testimony's encrypted file"),
    "note.write": _l("Wrote a note"),
    "note.fetch": _l("Opened a note"),
    "submission.state": _l("Changed a submission's state"),
    "submission.assign": _l("Assigned a submission"),
    "submission.tag": _l("Changed a submission's tags"),
    "submission.verify_proposed": _l("Proposed a submission as verified"),
    "reply.send": _l("Wrote to a source"),
    "reply_template.create": _l("Added a reply template"),
    "reply_template.delete": _l("Deleted a reply template"),
    "source.withdraw": _l("The source withdrew the testimony"),
    "source.consent": _l("The source changed their consent"),
    "source.deletion_request": _l("The source asked for deletion"),
    "source.record": _l("Recorded a source"),
    "record.create": _l("Created a record"),
    "record.update": _l("Changed a record"),
    "record.delete": _l("Deleted a record"),
    "record.merge": _l("Merged two records"),
    "record.merge_undo": _l("Undid a merge"),
    "export.settings": _l("Changed the export settings"),
    "export.dossier": _l("Exported a dossier"),
}


def action_words(code: str) -> str:
    """The words for an action code; the code itself for one written by a newer or older Sori."""
    words = ACTIONS.get(code)
    return str(words) if words is not None else code
