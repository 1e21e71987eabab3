"""Sources and consent: references W-0001, W-0002 … given in order and shared by a source's submissions,
consent scopes recorded and audited, a withdrawn submission granting nothing, and exports' consent filter."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask

from core import db
from reviewer.models import User
from reviewer.records import sources
from reviewer.records.models import SubmissionSource
from tests.records.event_helpers import RECORDS, audit_actions, post, reviewer, set_state, submission


def _record(client, submission_id: str, **form: str):
    return post(client, f"/submissions/{submission_id}/source", form, follow=True)


def _ref(app: Flask, submission_id: str) -> str | None:
    with app.app_context():
        found = sources.source_of(db.session(), submission_id)
        return found[1].ref if found else None


def test_new_sources_get_references_in_order_and_a_typed_reference_is_shared(app: Flask) -> None:
    client = reviewer(app)
    first, second, third = submission(app), submission(app), submission(app)
    _record(client, first, source="new")
    _record(client, second, source="new")
    page = _record(client, third, source="existing", ref="w-1").get_data(as_text=True)
    assert (_ref(app, first), _ref(app, second), _ref(app, third)) == ("W-0001", "W-0002", "W-0001")
    assert "Source W-0001 and its consent were recorded." in page
    assert first in client.get(f"{RECORDS}/submissions/{third}").get_data(as_text=True)


def test_references_keep_counting_past_four_digits(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        session.add(sources.Source(ref="W-9999"))
        session.flush()
        assert sources.new_source(session).ref == "W-10000"
        assert sources.new_source(session).ref == "W-10001"


@pytest.mark.parametrize(
    ("ref", "message"), [("W-0042", "No source has this reference"), ("Kim", "looks like W-0042")]
)
def test_a_reference_that_is_unknown_or_malformed_is_refused(app: Flask, ref: str, message: str) -> None:
    client = reviewer(app)
    target = submission(app)
    page = _record(client, target, source="existing", ref=ref).get_data(as_text=True)
    assert message in page
    assert _ref(app, target) is None


def test_consent_is_recorded_scope_by_scope_and_audited(app: Flask) -> None:
    client = reviewer(app)
    target = submission(app)
    _record(client, target, source="new", consent_documentation="yes", consent_sanctions="yes")
    with app.app_context():
        row = db.session().get(SubmissionSource, target)
        given = (row.consent_documentation, row.consent_sanctions, row.consent_public, row.consent_contact)
        assert given == (True, True, False, False)
    page = client.get(f"{RECORDS}/submissions/{target}").get_data(as_text=True)
    assert 'name="consent_sanctions" value="yes" checked' in page
    assert 'name="consent_public" value="yes">' in page

    _record(
        client, target, source="existing", ref="W-0001", consent_documentation="yes", consent_public="yes"
    )
    entries = audit_actions(app, f"submission:{target}")
    assert [action for action, _s, _d in entries] == ["source.record", "source.record"]
    first, second = (json.loads(details) for _a, _s, details in entries)
    assert first["source"] == "W-0001" and first["created"] is True
    assert second["changed"] == ["consent_public", "consent_sanctions"]
    assert second["consent"] == ["consent_documentation", "consent_public"]


def test_a_withdrawn_submission_is_attributed_but_grants_no_consent(app: Flask) -> None:
    client = reviewer(app)
    target = submission(app, "withdrawn")
    refused = _record(client, target, source="new", consent_sanctions="yes").get_data(as_text=True)
    assert "no consent can be recorded" in refused
    assert _ref(app, target) is None
    _record(client, target, source="new")
    assert _ref(app, target) == "W-0001"


def test_exports_take_only_submissions_whose_consent_covers_the_purpose(app: Flask) -> None:
    client = reviewer(app)
    sanctions_only, public_only, later = submission(app), submission(app), submission(app)
    _record(client, sanctions_only, source="new", consent_sanctions="yes")
    _record(client, public_only, source="new", consent_public="yes")
    _record(client, later, source="existing", ref="W-0001", consent_sanctions="yes")
    everything = [sanctions_only, public_only, later]
    with app.app_context():
        session = db.session()
        assert sources.consent_covers(session, everything, "sanctions") == {sanctions_only, later}
        assert sources.consent_covers(session, everything, "public") == {public_only}
    # Withdrawing one submission blocks every submission of that source.
    set_state(app, later, "withdrawn")
    with app.app_context():
        assert sources.consent_covers(db.session(), everything, "sanctions") == set()


def test_the_service_refuses_a_withdrawn_submissions_consent_without_writing(app: Flask) -> None:
    target = submission(app, "withdrawn")
    reviewer(app)
    with app.app_context():
        session = db.session()
        actor = session.query(User).one()
        row = session.get(sources.Submission, target)
        with pytest.raises(sources.SourceError) as refused:
            sources.record_source(session, actor, row, ref=None, consents={"consent_public": True})
        assert refused.value.code == "withdrawn"
        assert session.query(sources.Source).count() == 0


def _consent_boxes(page: str) -> dict[str, bool]:
    return {scope: bool(re.search(rf'name="{scope}" value="yes" checked', page)) for scope in sources.SCOPES}


def test_the_consent_answers_just_read_fill_in_the_boxes_until_consent_is_recorded(app: Flask) -> None:
    client = reviewer(app)
    target = submission(app)
    query = "consent_documentation=yes&consent_sanctions=yes&consent_public=no&consent_contact=nonsense"
    page = client.get(f"{RECORDS}/submissions/{target}?{query}").get_data(as_text=True)
    assert 'id="consent-prefilled"' in page
    assert _consent_boxes(page) == {
        "consent_documentation": True,
        "consent_sanctions": True,
        "consent_public": False,
        "consent_contact": False,
    }
    # Nothing is recorded by looking: the reviewer still has to record it.
    assert _ref(app, target) is None


def test_answers_that_differ_from_the_recorded_consent_are_flagged(app: Flask) -> None:
    client = reviewer(app)
    target = submission(app)
    _record(client, target, source="new", consent_documentation="yes")
    same = client.get(f"{RECORDS}/submissions/{target}?consent_documentation=yes").get_data(as_text=True)
    assert 'id="consent-differs"' not in same
    page = client.get(
        f"{RECORDS}/submissions/{target}?consent_documentation=yes&consent_sanctions=yes"
    ).get_data(as_text=True)
    assert 'id="consent-differs"' in page
    # The boxes show what is recorded, not what the link says.
    assert _consent_boxes(page)["consent_sanctions"] is False
