"""The chain of command: who stood above a person, an organization or a facility, and whose acts fall under
whom (DESIGN.md section 4: occupancies → positions → organization → parent organizations → the top).

Longer than most modules on purpose: it is one algorithm (a post's scope, the subordinates in it, their
acts in the common period, the heads above), whose views, queries and counting read best side by side.

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
Python.
Occupancies, involvements and acts are many: they are counted and paged in SQL, so that a minister with
thousands of subordinates costs a few queries, not one per subordinate.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from reviewer.records.corroboration import Support, act_support
from reviewer.records.dates import EARLIEST, LATEST
from reviewer.records.models import (
    Act,
    Facility,
    Involvement,
    Occupancy,
    Organization,
    Person,
    Position,
)
from reviewer.records.record_names import person_captions
from reviewer.records.tree import OrganizationTree

__all__ = [
    "ActLine",
    "ActPost",
    "ActView",
    "CommandScope",
    "CommandView",
    "Head",
    "Level",
    "OrganizationView",
    "Post",
    "ScopeRow",
    "Subordinate",
    "act_view",
    "command_view",
    "facility_view",
    "levels",
    "organization_view",
]


class ActLine(NamedTuple):
    """An act as chain views list it (what a line needs, without loading the whole row)."""

    id: int
    incident_id: int
    violation: str
    date_start: str | None
    date_end: str | None
    date_lo: date
    date_hi: date
    facility_id: int | None

    @property
    def undated(self) -> bool:
        return self.date_start is None


class Head(NamedTuple):
    """The holder of an organization's head post, and the occupancy that made them so."""

    person_id: int
    name: str
    occupancy: Occupancy


class Level(NamedTuple):
    """One organization above, with the heads in office at the time that matters."""

    organization: Organization
    heads: list[Head]


@dataclass
class Subordinate:
    """A person in a post under the superior, the period both held their posts, and their acts in it."""

    person_id: int
    name: str
    position: Position
    organization: Organization
    occupancy: Occupancy
    #: The common period as partial dates (``None``: open or not known), and as days.
    since: str | None
    until: str | None
    period: tuple[date, date]
    acts: list[ActLine] = field(default_factory=list)
    act_count: int = 0


class ScopeRow(NamedTuple):
    """A post held in a scope: the occupancy, its holder, the post and its organization."""

    occupancy_id: int
    person_id: int
    position_id: int
    organization_id: int
    is_head: bool
    start: str | None
    end: str | None


@dataclass
class CommandScope:
    """Every post held under a superior (or in an organization and below it) in a period, and the acts of
    each holder in the common period: what the chain-of-command diagram (reviewer/records/pictures/) draws
    without asking again who commands whom."""

    #: The organization the scope hangs from, and whether its own posts are in it (a head's scope, or an
    #: organization's) or only the organizations below it.
    organization_id: int
    includes_top: bool
    period: tuple[date, date]
    rows: list[ScopeRow]
    #: Act ids by occupancy id (occupancies without acts are absent).
    acts_of: dict[int, set[int]]


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


# ---- Subordinates and their acts ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """Whose posts count as under someone, and when: posts in ``organization_ids`` (less the excluded
    position), held by someone else, overlapping ``[lo, hi]``, the period the partial dates ``start`` and
    ``end`` stand for."""

    organization_ids: tuple[int, ...]
    lo: date = EARLIEST
    hi: date = LATEST
    start: str | None = None
    end: str | None = None
    exclude_person_id: int | None = None
    exclude_position_id: int | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found = [
            Position.organization_id.in_(self.organization_ids),
            Occupancy.start_lo <= self.hi,
            Occupancy.end_hi >= self.lo,
        ]
        if self.exclude_person_id is not None:
            found.append(Occupancy.person_id != self.exclude_person_id)
        if self.exclude_position_id is not None:
            found.append(Position.id != self.exclude_position_id)
        return found

    def act_overlap(self) -> ColumnElement[bool]:
        """The act overlaps both the subordinate's occupancy and the scope's period."""
        return and_(
            Act.date_lo <= Occupancy.end_hi,
            Act.date_lo <= self.hi,
            Act.date_hi >= Occupancy.start_lo,
            Act.date_hi >= self.lo,
        )

    def act_pairs(self, *, wide: bool = False) -> Select:
        """(occupancy id, act id) of everyone in scope and their acts in the common period; ``wide``: of
        every occupancy in the period, whatever its post (the caller keeps those in scope), joined from the
        involvements so that the database reads them in index order."""
        if wide:
            return (
                select(Occupancy.id, Act.id)
                .select_from(Involvement)
                .join(Act, Act.id == Involvement.act_id)
                .join(Occupancy, Occupancy.person_id == Involvement.person_id)
                .where(Occupancy.start_lo <= self.hi, Occupancy.end_hi >= self.lo, self.act_overlap())
            )
        return (
            select(Occupancy.id, Act.id)
            .select_from(Occupancy)
            .join(Position, Position.id == Occupancy.position_id)
            .join(Involvement, Involvement.person_id == Occupancy.person_id)
            .join(Act, Act.id == Involvement.act_id)
            .where(*self.conditions(), self.act_overlap())
        )

    def common(self, occupancy: Occupancy) -> tuple[str | None, str | None, tuple[date, date]]:
        """The period both ``occupancy`` and the scope cover, as partial dates and as days."""
        since = occupancy.start if occupancy.start_lo >= self.lo else self.start
        until = occupancy.end if occupancy.end_hi <= self.hi else self.end
        return since, until, (max(occupancy.start_lo, self.lo), min(occupancy.end_hi, self.hi))


def _subordinates(
    session: Session, scope: _Scope, tree: OrganizationTree, *, act_limit: int, limit: int | None, offset: int
) -> tuple[list[Subordinate], int, set[int], list[ScopeRow], dict[int, set[int]]]:
    """A page of the occupancies in scope, those with most acts first; how many there are in all; the ids
    of all their acts in the period; and every occupancy in scope with its acts (for diagrams).

    The acts are counted here, not in SQL: ordering by a correlated count made SQLite count twice, and
    the total needs the distinct acts anyway."""
    if not scope.organization_ids:
        return [], 0, set(), [], {}
    # Plain tuples: a minister has thousands, and a Row's attributes cost more than the query.
    rows: list[ScopeRow] = []
    in_scope: list[tuple[int, date]] = []
    for *columns, start_lo in session.connection().execute(
        select(
            Occupancy.id,
            Occupancy.person_id,
            Occupancy.position_id,
            Position.organization_id,
            Position.is_head,
            Occupancy.start,
            Occupancy.end,
            Occupancy.start_lo,
        )
        .join(Position, Position.id == Occupancy.position_id)
        .where(*scope.conditions())
    ):
        rows.append(ScopeRow(*columns))
        in_scope.append((columns[0], start_lo))
    acts_of = _acts_of(session, scope, in_scope)
    ranked = sorted(in_scope, key=lambda row: (-len(acts_of.get(row[0], ())), row[1], row[0]))
    page = [
        occupancy_id for occupancy_id, _start in ranked[offset : None if limit is None else offset + limit]
    ]
    loaded = (
        {
            occupancy.id: (occupancy, position)
            for occupancy, position in session.execute(
                select(Occupancy, Position)
                .join(Position, Position.id == Occupancy.position_id)
                .where(Occupancy.id.in_(page))
            )
        }
        if page
        else {}
    )
    names = person_captions(session, (occupancy.person_id for occupancy, _position in loaded.values()))
    found = []
    for occupancy_id in page:
        occupancy, position = loaded[occupancy_id]
        since, until, period = scope.common(occupancy)
        found.append(
            Subordinate(
                person_id=occupancy.person_id,
                name=names[occupancy.person_id],
                position=position,
                organization=tree.by_id[position.organization_id],
                occupancy=occupancy,
                since=since,
                until=until,
                period=period,
                act_count=len(acts_of.get(occupancy_id, ())),
            )
        )
    _attach_acts(session, scope, [s for s in found if s.act_count], act_limit)
    return found, len(in_scope), set().union(*acts_of.values()), rows, acts_of


#: A scope of more occupancies than this that is also half or more of all those in the period (a minister's)
#: has its acts read from the involvements' index for the whole period, kept here to those in scope: about
#: three times faster than looking involvements up person by person, which stays best for narrow scopes.
WIDE_SCOPE = 500


def _acts_of(session: Session, scope: _Scope, in_scope: list[tuple[int, date]]) -> dict[int, set[int]]:
    """The acts of each occupancy in scope within the common period, by occupancy id."""
    pairs = scope.act_pairs()
    if len(in_scope) > WIDE_SCOPE:
        in_period = select(func.count(Occupancy.id)).where(
            Occupancy.start_lo <= scope.hi, Occupancy.end_hi >= scope.lo
        )
        if len(in_scope) * 2 >= (session.scalar(in_period) or 0):
            pairs = scope.act_pairs(wide=True)
    wanted = {occupancy_id for occupancy_id, _start in in_scope}
    acts_of: dict[int, set[int]] = {}
    # Plain rows of two integers, without the ORM's per-row work: a minister has thousands.
    for occupancy_id, act_id in session.connection().execute(pairs):
        if occupancy_id in wanted:
            acts_of.setdefault(occupancy_id, set()).add(act_id)
    return acts_of


def _act_columns() -> tuple:
    return (
        Act.id,
        Act.incident_id,
        Act.violation,
        Act.date_start,
        Act.date_end,
        Act.date_lo,
        Act.date_hi,
        Act.facility_id,
    )


def _act_order() -> tuple:
    """Dated acts first, oldest first; undated ones after them."""
    return (Act.date_start.is_(None), Act.date_lo, Act.id)


def _attach_acts(session: Session, scope: _Scope, subordinates: list[Subordinate], act_limit: int) -> None:
    """Fill each subordinate's first ``act_limit`` acts in the common period: one windowed query."""
    if not subordinates or act_limit <= 0:
        return
    by_occupancy = {s.occupancy.id: s for s in subordinates}
    pairs = (
        select(Occupancy.id.label("occupancy_id"), *_act_columns())
        .select_from(Occupancy)
        .join(Involvement, Involvement.person_id == Occupancy.person_id)
        .join(Act, Act.id == Involvement.act_id)
        .where(Occupancy.id.in_(list(by_occupancy)), scope.act_overlap())
        .distinct()
        .subquery()
    )
    undated = pairs.c.date_start.is_(None)
    rank = func.row_number().over(
        partition_by=pairs.c.occupancy_id, order_by=(undated, pairs.c.date_lo, pairs.c.id)
    )
    ranked = select(pairs, rank.label("rank")).subquery()
    rows = session.execute(
        select(ranked).where(ranked.c.rank <= act_limit).order_by(ranked.c.occupancy_id, ranked.c.rank)
    )
    for row in rows:
        by_occupancy[row.occupancy_id].acts.append(
            ActLine(
                row.id,
                row.incident_id,
                row.violation,
                row.date_start,
                row.date_end,
                row.date_lo,
                row.date_hi,
                row.facility_id,
            )
        )


def _heads(session: Session, organization_ids: Collection[int]) -> list[tuple[int, Occupancy]]:
    """Every occupancy of a head post in the organizations, as (organization id, occupancy), oldest
    first."""
    if not organization_ids:
        return []
    rows = session.execute(
        select(Position.organization_id, Occupancy)
        .join(Position, Position.id == Occupancy.position_id)
        .where(Position.is_head.is_(True), Position.organization_id.in_(list(organization_ids)))
        .order_by(Occupancy.start_lo, Occupancy.id)
    )
    return [(organization_id, occupancy) for organization_id, occupancy in rows]


def _levels(
    session: Session,
    organizations: list[Organization],
    *,
    during: tuple[date, date] | None = None,
    exclude_person_id: int | None = None,
) -> list[Level]:
    """The organizations with their heads (only those in office ``during`` the period, if given)."""
    heads = _heads(session, [o.id for o in organizations])
    kept = [
        (organization_id, occupancy)
        for organization_id, occupancy in heads
        if occupancy.person_id != exclude_person_id
        and (during is None or (occupancy.start_lo <= during[1] and occupancy.end_hi >= during[0]))
    ]
    names = person_captions(session, (occupancy.person_id for _o, occupancy in kept))
    by_organization: dict[int, list[Head]] = {}
    for organization_id, occupancy in kept:
        head = Head(occupancy.person_id, names[occupancy.person_id], occupancy)
        by_organization.setdefault(organization_id, []).append(head)
    return [Level(o, by_organization.get(o.id, [])) for o in organizations]


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
        scope = _Scope(
            tuple(commanded),
            lo=occupancy.start_lo,
            hi=occupancy.end_hi,
            start=occupancy.start,
            end=occupancy.end,
            exclude_person_id=person_id,
            exclude_position_id=position.id if position.is_head else None,
        )
        upward = ([] if position.is_head else [organization]) + tree.above(organization.id)
        above = _levels(
            session,
            upward,
            during=(occupancy.start_lo, occupancy.end_hi),
            exclude_person_id=person_id,
        )
        subordinates, total, acts, rows, acts_of = _subordinates(
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
        for row in session.execute(
            select(*_act_columns()).where(here).order_by(*_act_order()).limit(act_limit)
        )
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
    scope = _Scope((organization_id, *tree.below(organization_id)))
    subordinates, total, acts, rows, acts_of = _subordinates(
        session, scope, tree, act_limit=act_limit, limit=limit, offset=offset
    )
    return OrganizationView(
        organization=organization,
        above=_levels(session, tree.above(organization_id)),
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
    row = session.execute(select(*_act_columns()).where(Act.id == act_id)).first()
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
            above = _levels(session, upward, during=during, exclude_person_id=person_id)
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


def levels(
    session: Session, organizations: list[Organization], during: tuple[date, date] | None = None
) -> list[Level]:
    """The organizations with their heads (only those in office ``during`` the period, if given)."""
    return _levels(session, organizations, during=during)
