"""The retention policies: how many days each kind of submission is kept, set by an admin and kept in the
``settings`` table (``retention.<name>``) so that every host, the command line and the backup wrapper
agree. Each is a whole number of days; 0 means never. The defaults are the safe ones deploy/README.md
documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.models import Setting
from reviewer.models import User

SETTING_PREFIX = "retention."
#: Ten years: a longer period is a typing mistake, and "keep for ever" is 0.
MAX_DAYS = 3650

#: Each policy's title and what it means, in the order the page shows them.
LABELS = {
    "rejected_days": (
        _l("Rejected and duplicate submissions"),
        _l("Deleted this many days after a reviewer rejected the submission or marked it as a duplicate."),
    ),
    "withdrawn_days": (
        _l("Withdrawn submissions"),
        _l("Deleted this many days after the source or a reviewer withdrew it, unless under a legal hold."),
    ),
    "review_days": (
        _l("Review of stale submissions"),
        _l(
            "Submissions still new, or never linked to records, this many days after they arrived are "
            "flagged for reviewers to decide. They are never deleted without that decision."
        ),
    ),
    "notice_days": (
        _l("Deletion notices"),
        _l(
            "For this many days after a deletion, a source who comes back with the receipt is told that "
            "the testimony was deleted, and on which day. Afterwards the receipt is simply not known."
        ),
    ),
}


class PolicyError(ValueError):
    """A policy value refused; ``name`` is the policy."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


ERROR = _l("Give a whole number of days from 0 (never) to %(max)s (ten years).", max=MAX_DAYS)


@dataclass(frozen=True)
class Policies:
    """Every retention period, in days (0: never)."""

    rejected_days: int = 90
    withdrawn_days: int = 30
    review_days: int = 365
    notice_days: int = 90

    def longest_days(self) -> int:
        """The longest period after which submissions are deleted (0 when none is): backups older than
        this are deleted (deploy/backup.sh), so a deleted submission survives in them no longer."""
        return max(self.rejected_days, self.withdrawn_days)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def today() -> date:
    """The current day (UTC), by which every period is counted; tests move it forward."""
    return datetime.now(UTC).date()


def load(session: Session) -> Policies:
    """The policies in force: those an admin saved, the defaults for the rest."""
    names = {SETTING_PREFIX + name: name for name in LABELS}
    stored = session.execute(select(Setting.name, Setting.value).where(Setting.name.in_(list(names))))
    saved = {names[name]: int(value) for name, value in stored if value.isdigit()}
    return replace(Policies(), **saved)


def parse(values: Mapping[str, str]) -> Policies:
    """Policies from a form (every field of :data:`LABELS`); raises :class:`PolicyError` naming the first
    value that is not a whole number of days from 0 to :data:`MAX_DAYS`."""
    parsed = {}
    for name in LABELS:
        text = (values.get(name) or "").strip()
        if not text.isascii() or not text.isdigit() or int(text) > MAX_DAYS:
            raise PolicyError(name)
        parsed[name] = int(text)
    return Policies(**parsed)


def save(session: Session, actor: User, policies: Policies) -> list[str]:
    """Store ``policies`` and audit the change (the caller commits); the names of those that changed."""
    before = load(session)
    changed = [f.name for f in fields(Policies) if getattr(before, f.name) != getattr(policies, f.name)]
    for name in changed:
        setting = session.get(Setting, SETTING_PREFIX + name)
        if setting is None:
            session.add(Setting(name=SETTING_PREFIX + name, value=str(getattr(policies, name))))
        else:
            setting.value = str(getattr(policies, name))
    if changed:
        audit.record(session, actor, "retention.policies", "retention", changed=changed, **policies.as_dict())
    return changed
