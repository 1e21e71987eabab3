"""The chain of command: who stood above a person, an organization or a facility, and whose acts fall under
whom (DESIGN.md section 4: occupancies → positions → organization → parent organizations → the top).

The views that pages, diagrams and dossiers read: a person's posts (:func:`command_view`), an organization's
or a facility's side (:func:`organization_view`, :func:`facility_view`), one act (:func:`act_view`).

Rules:

- A person in a post at organization O commands every post of every organization strictly below O; when the
  post ``is_head``, also the other posts of O itself.
- A subordinate counts for a superior when their occupancies overlap in time (the widest periods their
  partial dates may mean); an act attributed to the subordinate (through :class:`Involvement`) counts when
  its own period ``[date_lo, date_hi]`` overlaps that common period. An undated act spans every period, so
  it lists under each superior who may have commanded at the time (pages mark it as undated).
- Above a post stand its own organization's heads (for a post that is not the head) and the heads of every
  organization up to the top, those in office during the tenure.

Organizations are few (hundreds): the tree (reviewer/records/tree.py) is loaded once per view and walked in
Python. Who is under whom, counted and paged in SQL, is reviewer/records/chain_scope.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reviewer.records.chain_scope import (
    ActLine,
    CommandScope,
    Level,
    Scope,
    Subordinate,
    act_columns,
    act_order,
    levels,
    subordinates_in,
)
from reviewer.records.corroboration import Support, act_support
from reviewer.records.dates import EARLIEST, LATEST
from reviewer.records.models import Act, Facility, Involvement, Occupancy, Organization, Person, Position
from reviewer.records.record_names import person_captions
from reviewer.records.tree import OrganizationTree

__all__ = [
    "ActPost",
    "ActView",
    "CommandView",
    "OrganizationView",
    "Post",
    "act_view",
    "command_view",
    "facility_view",
    "organization_view",
]


@dataclass
class Post:
    """A post the person held, who stood above it, and who stood below it while it was held."""

    occupancy: Occupancy
    position: Position
    organization: Organization
    above: list[Level]
    subordinates: list[Subordinate]
    #: Every subordinate in the period (``subordinates`` may hold only a page of them).
    subordinate_count: int
    #: Distinct acts of all the subordinates in the period.
    act_count: int
    #: Everyone under the post in the period, with their acts.
    scope: CommandScope | None = None


@dataclass
class CommandView:
    """A person's place in the chain of command."""

    person_id: int
    name: str
    posts: list[Post]
    #: Distinct acts attributed to the person's subordinates while under them, over every post.
    act_count: int
    #: Corroboration of every act listed.
    support: dict[int, Support]


@dataclass
class OrganizationView:
    """An organization (or a facility's operating organization) from its side: the organizations above with
    all their heads, the persons in posts in it and below with their acts in post, and, for a facility,
    the acts recorded there."""

    organization: Organization | None
    above: list[Level]
    subordinates: list[Subordinate]
    subordinate_count: int
    act_count: int
    support: dict[int, Support]
    facility: Facility | None = None
    facility_acts: list[ActLine] = field(default_factory=list)
    facility_act_count: int = 0
    #: Everyone in posts in the organization and below, with their acts.
    scope: CommandScope | None = None


def _support(session: Session, lines: Iterable[ActLine]) -> dict[int, Support]:
    return act_support(session, {line.id for line in lines})


# ---- The views ----------------------------------------------------------------------------------------


def command_view(
    session: Session,
    person_id: int,
    *,
    act_limit: int = 20,
    subordinate_limit: int | None = None,
    offset: int = 0,
) -> CommandView:
    """The person's posts, who stood above each (the heads in office during the tenure, up to the top),
    and who stood below it with their acts in the period; each post lists its subordinates with most acts
    first, ``subordinate_limit`` of them from ``offset`` (all when ``None``). Raises :class:`LookupError`
    for an unknown person."""
    if session.get(Person, person_id) is None:
        raise LookupError(person_id)
    tree = OrganizationTree.load(session)
    held = session.execute(
        select(Occupancy, Position)
        .join(Position, Position.id == Occupancy.position_id)
        .where(Occupancy.person_id == person_id)
        .order_by(Occupancy.start_lo, Occupancy.id)
    ).all()
    posts: list[Post] = []
    every_act: set[int] = set()
    for occupancy, position in held:
        organization = tree.by_id[position.organization_id]
        commanded = tree.below(organization.id) + ([organization.id] if position.is_head else [])
        scope = Scope(
            tuple(commanded),
            lo=occupancy.start_lo,
            hi=occupancy.end_hi,
            start=occupancy.start,
            end=occupancy.end,
            exclude_person_id=person_id,
            exclude_position_id=position.id if position.is_head else None,
        )
        upward = ([] if position.is_head else [organization]) + tree.above(organization.id)
        above = levels(
            session,
            upward,
            during=(occupancy.start_lo, occupancy.end_hi),
            exclude_person_id=person_id,
        )
        subordinates, total, acts, rows, acts_of = subordinates_in(
            session, scope, tree, act_limit=act_limit, limit=subordinate_limit, offset=offset
        )
        every_act |= acts
        posts.append(
            Post(
                occupancy=occupancy,
                position=position,
                organization=organization,
                above=above,
                subordinates=subordinates,
                subordinate_count=total,
                act_count=len(acts),
                scope=CommandScope(
                    organization.id,
                    bool(position.is_head),
                    (occupancy.start_lo, occupancy.end_hi),
                    rows,
                    acts_of,
                ),
            )
        )
    lines = [line for post in posts for s in post.subordinates for line in s.acts]
    return CommandView(
        person_id=person_id,
        name=person_captions(session, [person_id])[person_id],
        posts=posts,
        act_count=len(every_act),
        support=_support(session, lines),
    )


def organization_view(
    session: Session,
    organization_id: int,
    *,
    act_limit: int = 20,
    subordinate_limit: int | None = None,
    offset: int = 0,
) -> OrganizationView:
    """The organizations above with every head they had, and every post held in the organization and
    below it with the acts of its holder while in post (most acts first, paged as in
    :func:`command_view`). Raises :class:`LookupError` for an unknown organization."""
    tree = OrganizationTree.load(session)
    if organization_id not in tree.by_id:
        raise LookupError(organization_id)
    return _organization_side(
        session, tree, organization_id, act_limit=act_limit, limit=subordinate_limit, offset=offset
    )


def facility_view(
    session: Session,
    facility_id: int,
    *,
    act_limit: int = 20,
    subordinate_limit: int | None = None,
    offset: int = 0,
) -> OrganizationView:
    """:func:`organization_view` of the facility's operating organization (empty when it has none), plus
    the first ``act_limit`` acts recorded at the facility. Raises :class:`LookupError` for an unknown
    facility."""
    facility = session.get(Facility, facility_id)
    if facility is None:
        raise LookupError(facility_id)
    tree = OrganizationTree.load(session)
    if facility.organization_id is not None and facility.organization_id in tree.by_id:
        view = _organization_side(
            session,
            tree,
            facility.organization_id,
            act_limit=act_limit,
            limit=subordinate_limit,
            offset=offset,
        )
    else:
        view = OrganizationView(None, [], [], 0, 0, {})
    view.facility = facility
    here = Act.facility_id == facility_id
    view.facility_acts = [
        ActLine(*row)
        for row in session.execute(select(*act_columns()).where(here).order_by(*act_order()).limit(act_limit))
    ]
    view.facility_act_count = int(session.scalar(select(func.count(Act.id)).where(here)) or 0)
    view.support.update(_support(session, view.facility_acts))
    return view


def _organization_side(
    session: Session,
    tree: OrganizationTree,
    organization_id: int,
    *,
    act_limit: int,
    limit: int | None,
    offset: int,
) -> OrganizationView:
    organization = tree.by_id[organization_id]
    scope = Scope((organization_id, *tree.below(organization_id)))
    subordinates, total, acts, rows, acts_of = subordinates_in(
        session, scope, tree, act_limit=act_limit, limit=limit, offset=offset
    )
    return OrganizationView(
        organization=organization,
        above=levels(session, tree.above(organization_id)),
        subordinates=subordinates,
        subordinate_count=total,
        act_count=len(acts),
        support=_support(session, (line for s in subordinates for line in s.acts)),
        scope=CommandScope(organization_id, True, (EARLIEST, LATEST), rows, acts_of),
    )


# ---- One act: the persons involved, their posts at the time and the heads above --------------------------


@dataclass
class ActPost:
    """A person involved in an act, in a post they held when it may have happened (``occupancy`` ``None``:
    no post recorded at the time), with the heads above that post in office during the act."""

    person_id: int
    name: str
    degree: str
    involvement_id: int
    occupancy: Occupancy | None
    position: Position | None
    organization: Organization | None
    above: list[Level]


@dataclass
class ActView:
    act: ActLine
    involved: list[ActPost]


def act_view(session: Session, act_id: int) -> ActView:
    """Who took part in the act, in which post at the time, and who stood above them then, by the rules
    above (a head's superiors are the heads of the organizations above; anyone else's start with the heads
    of their own organization). Raises :class:`LookupError` for an unknown act."""
    row = session.execute(select(*act_columns()).where(Act.id == act_id)).first()
    if row is None:
        raise LookupError(act_id)
    act = ActLine(*row)
    tree = OrganizationTree.load(session)
    involvements = session.execute(
        select(Involvement.id, Involvement.person_id, Involvement.degree)
        .where(Involvement.act_id == act_id)
        .order_by(Involvement.id)
    ).all()
    names = person_captions(session, {person_id for _id, person_id, _degree in involvements})
    involved: list[ActPost] = []
    for involvement_id, person_id, degree in involvements:
        held = session.execute(
            select(Occupancy, Position)
            .join(Position, Position.id == Occupancy.position_id)
            .where(
                Occupancy.person_id == person_id,
                Occupancy.start_lo <= act.date_hi,
                Occupancy.end_hi >= act.date_lo,
            )
            .order_by(Occupancy.start_lo, Occupancy.id)
        ).all()
        if not held:
            involved.append(
                ActPost(person_id, names[person_id], degree, involvement_id, None, None, None, [])
            )
        for occupancy, position in held:
            organization = tree.by_id[position.organization_id]
            upward = ([] if position.is_head else [organization]) + tree.above(organization.id)
            during = (max(act.date_lo, occupancy.start_lo), min(act.date_hi, occupancy.end_hi))
            above = levels(session, upward, during=during, exclude_person_id=person_id)
            involved.append(
                ActPost(
                    person_id,
                    names[person_id],
                    degree,
                    involvement_id,
                    occupancy,
                    position,
                    organization,
                    above,
                )
            )
    return ActView(act, involved)
