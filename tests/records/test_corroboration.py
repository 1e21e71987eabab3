"""Corroboration counting (reviewer/records/corroboration.py): independent sources that are evidence, and
leads, for acts, involvements and facility practices."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select

from core import db
from reviewer.records import corroboration, dates
from reviewer.records.corroboration import Support
from reviewer.records.models import (
    Act,
    Facility,
    Incident,
    Information,
    Involvement,
    Person,
    Source,
    SubmissionSource,
)
from tests.records.event_helpers import submission
from tests.reviewer.helpers import make_user


@dataclass
class Scene:
    app: Flask
    user_id: int
    incident: int
    acts: list[int]
    involvement: int
    facility: int

    def source(self, submission_id: str, ref: str) -> None:
        """Record ``submission_id`` as an account of the pseudonymous source ``ref``."""
        with self.app.app_context():
            session = db.session()
            source = session.scalar(select(Source).where(Source.ref == ref))
            if source is None:
                source = Source(ref=ref)
                session.add(source)
                session.flush()
            session.add(
                SubmissionSource(
                    submission_id=submission_id, source_id=source.id, recorded_by_id=self.user_id
                )
            )
            session.commit()

    def link(self, submission_id: str, **target: int) -> None:
        with self.app.app_context():
            session = db.session()
            session.add(
                Information(
                    submission_id=submission_id,
                    connection="witness",
                    reliability="likely_reliable",
                    created_by_id=self.user_id,
                    **target,
                )
            )
            session.commit()

    def act_support(self) -> dict[int, Support]:
        with self.app.app_context():
            return corroboration.act_support(db.session(), self.acts)


@pytest.fixture
def scene(app: Flask) -> Scene:
    user_id, _secret = make_user(app, "lee", "reviewer")
    with app.app_context():
        session = db.session()
        facility = Facility(kind="kyohwaso", agency="mps")
        incident = Incident(title="Chongori")
        person = Person()
        session.add_all([facility, incident, person])
        session.flush()
        acts = []
        for violation in ("torture", "torture", "forced_labour"):
            act = Act(
                incident_id=incident.id,
                violation=violation,
                date_lo=dates.EARLIEST,
                date_hi=dates.LATEST,
                facility_id=facility.id,
            )
            session.add(act)
            session.flush()
            acts.append(act.id)
        involvement = Involvement(act_id=acts[0], person_id=person.id, degree="ordered", confidence="high")
        session.add(involvement)
        session.commit()
        return Scene(app, user_id, incident.id, acts, involvement.id, facility.id)


def test_verified_submissions_are_evidence_and_others_are_leads(scene: Scene) -> None:
    scene.link(submission(scene.app, "verified"), act_id=scene.acts[0])
    scene.link(submission(scene.app, "in_review"), act_id=scene.acts[0])
    scene.link(submission(scene.app, "new"), act_id=scene.acts[0])
    assert scene.act_support()[scene.acts[0]] == Support(sources=1, leads=2)


def test_withdrawn_submissions_count_for_nothing(scene: Scene) -> None:
    scene.link(submission(scene.app, "withdrawn"), act_id=scene.acts[0])
    assert scene.act_support() == {}


def test_a_duplicate_counts_once_as_its_original(scene: Scene) -> None:
    original = submission(scene.app, "verified")
    scene.link(original, act_id=scene.acts[0])
    scene.link(submission(scene.app, "duplicate", duplicate_of=original), act_id=scene.acts[0])
    assert scene.act_support()[scene.acts[0]] == Support(sources=1, leads=0)
    # A duplicate of an original not yet verified is only a lead.
    pending = submission(scene.app, "in_review")
    scene.link(submission(scene.app, "duplicate", duplicate_of=pending), act_id=scene.acts[1])
    assert scene.act_support()[scene.acts[1]] == Support(sources=0, leads=1)


def test_one_sources_several_submissions_count_once(scene: Scene) -> None:
    first, second, third = (submission(scene.app, "verified") for _ in range(3))
    scene.source(first, "W-0042")
    scene.source(second, "W-0042")
    scene.source(third, "W-0043")
    for submission_id in (first, second, third):
        scene.link(submission_id, act_id=scene.acts[0])
    assert scene.act_support()[scene.acts[0]] == Support(sources=2, leads=0)


def test_incident_level_information_supports_each_of_its_acts(scene: Scene) -> None:
    scene.link(submission(scene.app, "verified"), incident_id=scene.incident)
    support = scene.act_support()
    assert all(support[act] == Support(sources=1) for act in scene.acts)


def test_involvement_level_information_supports_the_act_and_the_involvement(scene: Scene) -> None:
    scene.link(submission(scene.app, "verified"), involvement_id=scene.involvement)
    assert scene.act_support() == {scene.acts[0]: Support(sources=1)}
    with scene.app.app_context():
        found = corroboration.involvement_support(db.session(), [scene.involvement])
    assert found == {scene.involvement: Support(sources=1)}
    # Information on the act alone does not support a person's involvement in it.
    scene.link(submission(scene.app, "verified"), act_id=scene.acts[0])
    with scene.app.app_context():
        assert (
            corroboration.involvement_support(db.session(), [scene.involvement])[scene.involvement].sources
            == 1
        )


def test_facility_practices_count_sources_per_violation_type(scene: Scene) -> None:
    shared = submission(scene.app, "verified")
    scene.link(shared, act_id=scene.acts[0])
    scene.link(shared, act_id=scene.acts[1])
    scene.link(submission(scene.app, "verified"), act_id=scene.acts[1])
    scene.link(submission(scene.app, "in_review"), act_id=scene.acts[2])
    with scene.app.app_context():
        practices = corroboration.facility_practices(db.session(), scene.facility)
    assert practices == {"torture": Support(sources=2), "forced_labour": Support(sources=0, leads=1)}


def test_acts_with_at_least_n_sources_filters_on_evidence_only(scene: Scene) -> None:
    for _ in range(2):
        scene.link(submission(scene.app, "verified"), act_id=scene.acts[0])
    scene.link(submission(scene.app, "verified"), act_id=scene.acts[1])
    scene.link(submission(scene.app, "in_review"), act_id=scene.acts[1])
    with scene.app.app_context():
        session = db.session()
        assert set(session.scalars(corroboration.acts_with_at_least(2))) == {scene.acts[0]}
        assert set(session.scalars(corroboration.acts_with_at_least(1))) == {scene.acts[0], scene.acts[1]}
