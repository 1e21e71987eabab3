"""The tree of organizations (each with its parent): the chain upward from an organization and everything
below it, as the organization pages, the chain-of-command views and dossiers walk it.

Organizations are few (hundreds), so the whole tree is loaded once per use and walked in Python. A cycle
is refused when an organization is saved; should one be in the data anyway, a walk stops instead of
looping.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.records.models import Organization


class OrganizationTree:
    """Organizations by id, with the ids of each one's children."""

    def __init__(self, organizations: Iterable[Organization]) -> None:
        self.by_id: dict[int, Organization] = {
            organization.id: organization for organization in organizations
        }
        self.children: dict[int, list[int]] = {}
        for organization in self.by_id.values():
            if organization.parent_id is not None:
                self.children.setdefault(organization.parent_id, []).append(organization.id)

    @classmethod
    def load(cls, session: Session) -> OrganizationTree:
        """Every organization in the database."""
        return cls(session.scalars(select(Organization)))

    def above(self, organization_id: int) -> list[Organization]:
        """The organizations above ``organization_id``, nearest first, up to the top (empty when unknown)."""
        found: list[Organization] = []
        seen = {organization_id}
        current = self.by_id.get(organization_id)
        parent_id = current.parent_id if current is not None else None
        while parent_id is not None and parent_id not in seen and parent_id in self.by_id:
            seen.add(parent_id)
            found.append(self.by_id[parent_id])
            parent_id = self.by_id[parent_id].parent_id
        return found

    def below(self, organization_id: int) -> list[int]:
        """The ids of every organization strictly below ``organization_id``, at any depth."""
        found: list[int] = []
        seen = {organization_id}
        stack = list(self.children.get(organization_id, ()))
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            found.append(current)
            stack.extend(self.children.get(current, ()))
        return found
