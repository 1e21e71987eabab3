"""What a source may decide from the status page, with the receipt: withdraw the testimony, change the
consent answers, or ask for it to be deleted. Each is recorded in the clear, because the server must act on
it (exports leave a withdrawn testimony out at once), and audited with the submission's id only.

A consent answer the source changes to "no" takes effect at once, whatever reviewers recorded; a "yes"
waits for a reviewer to record it (reviewer/records/sources.py), as consent read in a testimony does.
Deleting is the reviewers' decision, made with four eyes (the retention rules); here it is only asked for.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from core import audit
from core.answers import CONSENTS
from core.models import Submission

#: The consent scopes a source can change, as the form asks them (core/answers.py).
SCOPES = tuple(CONSENTS)


def _today():
    return datetime.now(UTC).date()


def withdraw(session: Session, submission: Submission) -> None:
    """The source withdraws the testimony: no export includes it from now on (the caller commits)."""
    if submission.state != "withdrawn":
        submission.state = "withdrawn"
        audit.record(session, None, "source.withdraw", f"submission:{submission.id}")


def set_consent(session: Session, submission: Submission, answers: Mapping[str, bool]) -> None:
    """The source's consent answers from now on; a scope not in ``answers`` counts as no (the caller
    commits). Audited with the scopes given, which are not testimony."""
    given = {scope: bool(answers.get(scope)) for scope in SCOPES}
    submission.source_consent = json.dumps(given, sort_keys=True)
    submission.source_consent_on = _today()
    audit.record(
        session,
        None,
        "source.consent",
        f"submission:{submission.id}",
        consent=sorted(scope for scope, value in given.items() if value),
    )


def consent_of(submission: Submission) -> dict[str, bool] | None:
    """The consent answers the source last set on the status page, or ``None``."""
    if not submission.source_consent:
        return None
    stored = json.loads(submission.source_consent)
    return {scope: bool(stored.get(scope)) for scope in SCOPES}


def request_deletion(session: Session, submission: Submission) -> None:
    """The source asks for the testimony to be deleted; reviewers see it at the top of the inbox (the
    caller commits)."""
    if submission.deletion_requested_on is None:
        submission.deletion_requested_on = _today()
        audit.record(session, None, "source.deletion_request", f"submission:{submission.id}")
