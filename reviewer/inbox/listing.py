"""The inbox's list of submissions: its filters as read from the query string, and one page of rows, newest
first, found by keyset pagination on (received_on, id) in two queries whatever the page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from core.models import Envelope, Submission
from reviewer import triage
from reviewer.models import SubmissionTag, Tag, Triage, User

PAGE_SIZE = 50
#: How a submission came: sealed in the source's browser, or by the server on arrival.
PATHS = ("browser", "server")
#: Where the conversation with the source stands (core/conversation.py ``waiting_for``), and the source's
#: requests: the inbox's ``talk`` filter.
TALK = ("waiting", "answered", "deletion")


@dataclass
class InboxFilters:
    """The inbox's filters, read from the query string; unknown or malformed values are ignored."""

    state: str = ""
    received_from: date | None = None
    received_to: date | None = None
    tag: str = ""
    assignee: str = ""  # "", "me", "nobody" or a user id
    path: str = ""
    talk: str = ""
    after: tuple[date, str] | None = None

    @classmethod
    def from_args(cls, args: Any) -> InboxFilters:
        state = args.get("state", "")
        assignee = args.get("assignee", "")
        path = args.get("path", "")
        talk = args.get("talk", "")
        return cls(
            state=state if state in triage.STATES else "",
            received_from=_parse_date(args.get("from", "")),
            received_to=_parse_date(args.get("to", "")),
            tag=" ".join(args.get("tag", "").split())[: triage.TAG_MAX_CHARS],
            assignee=assignee if assignee in ("me", "nobody") or assignee.isdigit() else "",
            path=path if path in PATHS else "",
            talk=talk if talk in TALK else "",
            after=_parse_cursor(args.get("after", "")),
        )

    def query_args(self) -> dict[str, str]:
        """The filters (not the cursor) as query-string arguments, for links to the next page."""
        values = {
            "state": self.state,
            "from": self.received_from.isoformat() if self.received_from else "",
            "to": self.received_to.isoformat() if self.received_to else "",
            "tag": self.tag,
            "assignee": self.assignee,
            "path": self.path,
            "talk": self.talk,
        }
        return {key: value for key, value in values.items() if value}


@dataclass
class InboxRow:
    """One line of the inbox."""

    id: str
    received_on: date
    state: str
    assignee: str | None
    envelope_count: int
    path: str | None
    #: ``waiting`` (a reviewer wrote last), ``answered`` (the source answered a reviewer), or ``None``.
    talk: str | None = None
    deletion_requested: bool = False
    tags: list[str] = field(default_factory=list)


def inbox_page(
    session: Session, filters: InboxFilters, user: User, limit: int = PAGE_SIZE
) -> tuple[list[InboxRow], str | None]:
    """One page of the inbox, newest first, and the cursor of the next page (or ``None``).

    Keyset pagination on (received_on, id), both descending: two queries whatever the page, one for the
    rows (with their assignee, envelope count and first path) and one for their tags."""
    envelope_count = (
        select(func.count(Envelope.id))
        .where(Envelope.submission_id == Submission.id)
        .correlate(Submission)
        .scalar_subquery()
    )
    first_path = (
        select(Envelope.path)
        .where(Envelope.submission_id == Submission.id, Envelope.sequence == 1)
        .correlate(Submission)
        .limit(1)
        .scalar_subquery()
    )
    last_kind = (
        select(Envelope.kind)
        .where(Envelope.submission_id == Submission.id)
        .correlate(Submission)
        .order_by(Envelope.sequence.desc(), Envelope.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    wrote = (
        select(Envelope.id)
        .where(Envelope.submission_id == Submission.id, Envelope.kind == "reviewer")
        .correlate(Submission)
        .exists()
    )
    talk = case((~wrote, None), (last_kind == "reviewer", "waiting"), else_="answered")
    query = (
        select(
            Submission.id,
            Submission.received_on,
            Submission.state,
            User.display_name,
            envelope_count.label("envelope_count"),
            first_path.label("path"),
            talk.label("talk"),
            Submission.deletion_requested_on,
        )
        .outerjoin(Triage, Triage.submission_id == Submission.id)
        .outerjoin(User, User.id == Triage.assignee_id)
        .order_by(Submission.received_on.desc(), Submission.id.desc())
        .limit(limit + 1)
    )
    if filters.state:
        query = query.where(Submission.state == filters.state)
    if filters.received_from:
        query = query.where(Submission.received_on >= filters.received_from)
    if filters.received_to:
        query = query.where(Submission.received_on <= filters.received_to)
    if filters.tag:
        tagged = select(SubmissionTag.submission_id).join(Tag, Tag.id == SubmissionTag.tag_id)
        query = query.where(Submission.id.in_(tagged.where(Tag.name == filters.tag)))
    if filters.assignee == "me":
        query = query.where(Triage.assignee_id == user.id)
    elif filters.assignee == "nobody":
        query = query.where(Triage.assignee_id.is_(None))
    elif filters.assignee:
        query = query.where(Triage.assignee_id == int(filters.assignee))
    if filters.path:
        query = query.where(first_path == filters.path)
    if filters.talk == "deletion":
        query = query.where(Submission.deletion_requested_on.is_not(None))
    elif filters.talk:
        query = query.where(talk == filters.talk)
    if filters.after:
        day, last_id = filters.after
        query = query.where(
            or_(
                Submission.received_on < day,
                and_(Submission.received_on == day, Submission.id < last_id),
            )
        )
    found = session.execute(query).all()
    rows = [
        InboxRow(
            r.id,
            r.received_on,
            r.state,
            r.display_name,
            r.envelope_count,
            r.path,
            talk=r.talk,
            deletion_requested=r.deletion_requested_on is not None,
        )
        for r in found[:limit]
    ]
    by_id = {row.id: row for row in rows}
    if by_id:
        tags = session.execute(
            select(SubmissionTag.submission_id, Tag.name)
            .join(Tag, Tag.id == SubmissionTag.tag_id)
            .where(SubmissionTag.submission_id.in_(list(by_id)))
            .order_by(Tag.name)
        )
        for submission_id, name in tags:
            by_id[submission_id].tags.append(name)
    cursor = None
    if len(found) > limit:
        last = rows[-1]
        cursor = f"{last.received_on.isoformat()}.{last.id}"
    return rows, cursor


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _parse_cursor(text: str) -> tuple[date, str] | None:
    day_text, _dot, last_id = text.partition(".")
    day = _parse_date(day_text)
    if day is None or not last_id or len(last_id) > 32:
        return None
    return day, last_id


def deletion_requests(session: Session) -> list[tuple[str, date]]:
    """Every submission whose source asked for deletion, oldest request first: the inbox shows them above
    everything else, whatever the filters, until reviewers have decided."""
    query = (
        select(Submission.id, Submission.deletion_requested_on)
        .where(Submission.deletion_requested_on.is_not(None))
        .order_by(Submission.deletion_requested_on, Submission.id)
    )
    return [(row.id, row.deletion_requested_on) for row in session.execute(query)]
