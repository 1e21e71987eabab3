"""Who stands under a post, and when, as queries: the rules of reviewer/records/chain.py turned into SQL.

A :class:`Scope` is the posts that count as under someone in a period; :func:`subordinates_in` pages the
persons in it (most acts first) with their acts in the common period, and :func:`levels` lists the heads of
organizations in office at a time. What they return (:class:`Subordinate`, :class:`Level`,
:class:`CommandScope`, ...) is what the views, diagrams and dossiers read.

Occupancies, involvements and acts are many, so they are counted and paged in SQL: a minister with
thousands of subordinates costs a few queries, not one per subordinate.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from reviewer.records.dates import EARLIEST, LATEST
from reviewer.records.models import Act, Involvement, Occupancy, Organization, Position
from reviewer.records.record_names import person_captions
from reviewer.records.tree import OrganizationTree

# ---- What a scope yields ------------------------------------------------------------------------------


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


# ---- Subordinates and their acts ----------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
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


def subordinates_in(
    session: Session, scope: Scope, tree: OrganizationTree, *, act_limit: int, limit: int | None, offset: int
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


def _acts_of(session: Session, scope: Scope, in_scope: list[tuple[int, date]]) -> dict[int, set[int]]:
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


def act_columns() -> tuple:
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


def act_order() -> tuple:
    """Dated acts first, oldest first; undated ones after them."""
    return (Act.date_start.is_(None), Act.date_lo, Act.id)


def _attach_acts(session: Session, scope: Scope, subordinates: list[Subordinate], act_limit: int) -> None:
    """Fill each subordinate's first ``act_limit`` acts in the common period: one windowed query."""
    if not subordinates or act_limit <= 0:
        return
    by_occupancy = {s.occupancy.id: s for s in subordinates}
    pairs = (
        select(Occupancy.id.label("occupancy_id"), *act_columns())
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


def levels(
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
