"""`sori demo` adds fictional records once: a chain of command with a succession of ministers, persons found
under any spelling, the demo accounts as pseudonymous sources whose consent and triage make corroboration
counts show, and a fictional sanctions list that names the demo minister."""

from __future__ import annotations

from datetime import date

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from core import db
from core.models import Submission
from reviewer.exports import sanctions
from reviewer.records import corroboration, search
from reviewer.records.demo_data import DEMO_MARK
from reviewer.records.models import (
    Act,
    Facility,
    FacilityName,
    Incident,
    Information,
    Involvement,
    NameKey,
    Occupancy,
    Organization,
    Person,
    PersonIdentifier,
    PersonName,
    Position,
    SanctionedEntity,
    Source,
    SubmissionSource,
)
from tests.reviewer.helpers import cheap_hashing

#: Every records table but ``merges``, which only a reviewer's merge fills.
TABLES = (
    Source,
    SubmissionSource,
    Person,
    PersonName,
    PersonIdentifier,
    Organization,
    Position,
    Occupancy,
    Facility,
    FacilityName,
    NameKey,
    Incident,
    Act,
    Involvement,
    Information,
    SanctionedEntity,
)


def _run_demo(app: Flask, runner: FlaskCliRunner) -> None:
    cheap_hashing(app)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output


def _counts() -> dict[str, int]:
    session = db.session()
    return {model.__tablename__: session.scalar(select(func.count()).select_from(model)) for model in TABLES}


def _person_named(name: str) -> Person:
    return db.session().scalars(select(Person).join(PersonName).where(PersonName.name == name)).one()


def test_demo_fills_every_records_table_with_marked_fictional_records(
    app: Flask, runner: FlaskCliRunner
) -> None:
    _run_demo(app, runner)
    with app.app_context():
        session = db.session()
        assert all(_counts().values()), _counts()
        for model in (Person, Organization, Facility, Act):
            descriptions = session.scalars(select(model.description)).all()
            assert descriptions and all(text.startswith(DEMO_MARK) for text in descriptions)
        ministry = session.scalars(select(Organization).where(Organization.name_ko == "국가보위성")).one()
        county = session.scalars(select(Organization).where(Organization.name_ko == "온성군 보위부")).one()
        province = session.get(Organization, county.parent_id)
        assert province is not None and province.parent_id == ministry.id and ministry.kind == "ministry"
        # The fictional sanctions list names the minister from 2018 and his ministry, not the one before.
        assert [m.caption for m in sanctions.matches_for(session, "person", _person_named("염길후").id)] == [
            "YOM Kil Hu"
        ]
        assert not sanctions.matches_for(session, "person", _person_named("도경삼").id)
        assert sanctions.matches_for(session, "organization", ministry.id)


def test_the_ministers_of_state_security_succeed_each_other_without_overlap(
    app: Flask, runner: FlaskCliRunner
) -> None:
    _run_demo(app, runner)
    with app.app_context():
        session = db.session()
        minister = session.scalars(
            select(Position).join(Organization).where(Organization.name_ko == "국가보위성", Position.is_head)
        ).one()

        def in_office(day: date) -> list[int]:
            return list(
                session.scalars(
                    select(Occupancy.person_id)
                    .where(Occupancy.position_id == minister.id)
                    .where(Occupancy.start_lo <= day, Occupancy.end_hi >= day)
                )
            )

        assert in_office(date(2016, 6, 1)) == in_office(date(2017, 12, 31)) == [_person_named("도경삼").id]
        assert in_office(date(2018, 1, 1)) == in_office(date(2020, 1, 1)) == [_person_named("염길후").id]


def test_demo_persons_are_found_by_hangul_and_by_romanized_spellings(
    app: Flask, runner: FlaskCliRunner
) -> None:
    _run_demo(app, runner)
    with app.app_context():
        session = db.session()
        head = _person_named("리평갑").id
        for query in ("리평갑", "이평갑", "Ri Phyong Gap", "Lee Pyeong-gap"):
            assert search.find(session, query, ("person",))[0].owner_id == head, query
        chief = _person_named("라춘식").id
        assert search.find(session, "Na Chun-sik", ("person",))[0].owner_id == chief
        assert search.find(session, "온성군 보위부 구류장", ("facility",))


def test_demo_accounts_are_sources_with_their_consent_and_corroborate_acts(
    app: Flask, runner: FlaskCliRunner
) -> None:
    _run_demo(app, runner)
    with app.app_context():
        session = db.session()
        assert sorted(session.scalars(select(Submission.state))) == ["in_review", "verified", "verified"]
        consent = {
            ref: (row.consent_documentation, row.consent_sanctions, row.consent_public, row.consent_contact)
            for ref, row in session.execute(select(Source.ref, SubmissionSource).join(SubmissionSource))
        }
        # As the fictional accounts answered them (core/demo.py).
        assert consent == {
            "W-0001": (True, True, False, True),
            "W-0002": (True, True, True, False),
            "W-0003": (True, False, False, False),
        }
        acts = {act.violation: act.id for act in session.scalars(select(Act))}
        support = corroboration.act_support(session, acts.values())
        assert support[acts["torture_interrogation"]] == corroboration.Support(sources=1, leads=0)
        assert support[acts["forced_nudity_search"]] == corroboration.Support(sources=0, leads=1)
        assert acts["food_deprivation"] not in support  # no account tells of it
        assert acts["torture_interrogation"] in session.scalars(corroboration.acts_with_at_least(1)).all()


def test_running_the_demo_again_adds_no_records(app: Flask, runner: FlaskCliRunner) -> None:
    _run_demo(app, runner)
    with app.app_context():
        before = _counts()
    _run_demo(app, runner)
    with app.app_context():
        assert _counts() == before
        assert sorted(db.session().scalars(select(Submission.state))) == ["in_review", "verified", "verified"]
