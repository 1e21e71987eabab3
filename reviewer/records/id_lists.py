"""Many record ids as one SQL parameter: a chain of command's thousands of acts would otherwise travel as
thousands of bound values, which costs more to send than the query costs to run."""

from __future__ import annotations

import json
from collections.abc import Collection

from sqlalchemy import Integer, ScalarSelect, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def id_table(session: Session, ids: Collection[int], name: str = "ids") -> ScalarSelect:
    """The ids as a one-column subquery for ``column.in_(...)``: a JSON array that SQLite's ``json_each``
    reads, or an array PostgreSQL unnests."""
    values = sorted({int(value) for value in ids})
    if session.get_bind().dialect.name == "postgresql":
        return select(func.unnest(bindparam(name, values, type_=ARRAY(Integer)))).scalar_subquery()
    each = func.json_each(bindparam(name, json.dumps(values))).table_valued("value")
    return select(each.c.value).scalar_subquery()
