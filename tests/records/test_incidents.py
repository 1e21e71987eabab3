"""Incidents, acts, involvement and information through the records pages: validation of acts (violation
type, partial dates, facility or place, victims as pseudonyms), involvement and information kept, edited
and removed with an audit entry each, corroboration labelled evidence or lead, and the case team reading
without editing or seeing which submission backs what."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from core import db
from reviewer.models import User
from reviewer.records import events, quick
from reviewer.records.models import Act, Incident, Information, Involvement
from tests.records.event_helpers import (
    RECORDS,
    audit_actions,
    case_team,
    created_id,
    post,
    reviewer,
    set_state,
    submission,
)

ACT = {"violation": "arbitrary_detention", "date_start": "2019-03", "victims": "V-1, v-2"}


def _incident(client, title: str = "Hoeryong holding centre, spring 2019") -> int:
    return created_id(
        post(client, "/incidents/new", {"title": title, "summary": "Beatings in interrogation."})
    )


def _act(client, incident_id: int, **fields: str) -> int:
    return created_id(post(client, f"/incidents/{incident_id}/acts/new", {**ACT, **fields}))


def _facility(app: Flask) -> int:
    with app.app_context():
        session = db.session()
        actor = session.query(User).first()
        facility = quick.quick_facility(
            session, actor, hangul="전거리 교화소", romanized="Chongori", kind="kyohwaso", agency="mps"
        )
        session.commit()
        return facility.id


def test_a_reviewer_records_edits_and_lists_an_incident(app: Flask) -> None:
    client = reviewer(app)
    incident_id = _incident(client)
    page = client.get(f"{RECORDS}/incidents/{incident_id}").get_data(as_text=True)
    assert "Hoeryong holding centre, spring 2019" in page and "Beatings in interrogation." in page

    edited = post(client, f"/incidents/{incident_id}/edit", {"title": "Hoeryong, 2019", "summary": ""})
    assert edited.status_code == 303
    with app.app_context():
        incident = db.session().get(Incident, incident_id)
        assert (incident.title, incident.summary) == ("Hoeryong, 2019", None)
    assert [(a, s) for a, s, _d in audit_actions(app, "incident:")] == [
        ("record.create", f"incident:{incident_id}"),
        ("record.update", f"incident:{incident_id}"),
    ]
    assert (
        '"summary"' in audit_actions(app, "incident:")[1][2] and "Beatings" not in audit_actions(app)[-1][2]
    )
    assert "Hoeryong, 2019" in client.get(f"{RECORDS}/incidents").get_data(as_text=True)


def test_an_incident_needs_a_title(app: Flask) -> None:
    client = reviewer(app)
    response = post(client, "/incidents/new", {"title": "  "})
    assert response.status_code == 400
    assert "An incident needs a title" in response.get_data(as_text=True)


def test_an_act_keeps_its_partial_dates_and_their_span(app: Flask) -> None:
    client = reviewer(app)
    incident_id = _incident(client)
    month = _act(client, incident_id)
    period = _act(client, incident_id, date_start="2018", date_end="2019-02-14")
    unknown = _act(client, incident_id, date_start="", victims="")
    with app.app_context():
        session = db.session()
        act = session.get(Act, month)
        assert (act.date_start, act.date_end, act.date_lo, act.date_hi) == (
            "2019-03",
            None,
            date(2019, 3, 1),
            date(2019, 3, 31),
        )
        assert act.victims == "V-1 V-2"
        act = session.get(Act, period)
        assert (act.date_lo, act.date_hi) == (date(2018, 1, 1), date(2019, 2, 14))
        act = session.get(Act, unknown)
        assert (act.date_start, act.date_lo, act.date_hi) == (None, date(1900, 1, 1), date(9999, 12, 31))
    page = client.get(f"{RECORDS}/acts/{period}").get_data(as_text=True)
    assert "2018 to 2019-02-14" in page
    assert "Date unknown" in client.get(f"{RECORDS}/acts/{unknown}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"violation": "sightseeing"}, "Choose a violation type"),
        ({"date_start": "March 2019"}, "A date is a year, a month or a day"),
        ({"date_start": "2019-02-30"}, "A date is a year, a month or a day"),
        ({"date_start": "2019-05", "date_end": "2019-04"}, "comes before its start"),
        ({"date_start": "", "date_end": "2019"}, "A period needs its start"),
        ({"victims": "Kim Young-ho"}, "pseudonyms only"),
        ({"victim_count": "0"}, "whole number of at least 1"),
        ({"facility_id": "999"}, "Choose a facility that exists"),
        ({"province": "atlantis"}, "Choose a province"),
        ({"province": "pyongyang", "county": "north-hamgyong/hoeryong"}, "not in the province"),
    ],
)
def test_an_act_that_breaks_a_rule_is_refused_and_not_kept(app: Flask, fields: dict, message: str) -> None:
    client = reviewer(app)
    incident_id = _incident(client)
    response = post(client, f"/incidents/{incident_id}/acts/new", {**ACT, **fields})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session().query(Act).count() == 0


def test_an_act_happens_at_a_facility_or_a_place(app: Flask) -> None:
    client = reviewer(app)
    incident_id = _incident(client)
    facility_id = _facility(app)
    at_facility = _act(client, incident_id, facility_id=str(facility_id))
    at_place = _act(
        client, incident_id, county="north-hamgyong/hoeryong", place="the market", victim_count="3"
    )
    with app.app_context():
        session = db.session()
        assert session.get(Act, at_facility).facility_id == facility_id
        act = session.get(Act, at_place)
        assert (act.province, act.county, act.place, act.victim_count) == (
            "north-hamgyong",
            "north-hamgyong/hoeryong",
            "the market",
            3,
        )
    assert "전거리 교화소" in client.get(f"{RECORDS}/acts/{at_facility}").get_data(as_text=True)
    assert "Hoeryong, North Hamgyong" in client.get(f"{RECORDS}/acts/{at_place}").get_data(as_text=True)
    # The act form finds facilities by any spelling.
    form = client.get(f"{RECORDS}/incidents/{incident_id}/acts/new?facility_q=chongori").get_data(
        as_text=True
    )
    assert f'<option value="{facility_id}"' in form


def test_editing_an_act_audits_the_fields_changed_and_deleting_it_removes_its_links(app: Flask) -> None:
    client = reviewer(app)
    incident_id = _incident(client)
    act_id = _act(client, incident_id)
    assert post(client, f"/acts/{act_id}/edit", {**ACT, "violation": "forced_labour"}).status_code == 303
    action, _subject, details = audit_actions(app, f"act:{act_id}")[-1]
    assert action == "record.update" and '"violation"' in details and "forced_labour" not in details
    involvement = post(client, f"/acts/{act_id}/involvements", _new_person())
    assert involvement.status_code == 303
    source = submission(app)
    post(client, "/information", _link(source, f"act:{act_id}"))
    assert post(client, f"/acts/{act_id}/delete").status_code == 303
    with app.app_context():
        session = db.session()
        assert session.get(Act, act_id) is None
        assert session.query(Involvement).count() == 0 and session.query(Information).count() == 0
    assert post(client, f"/incidents/{incident_id}/delete").status_code == 303
    assert audit_actions(app, f"incident:{incident_id}")[-1][0] == "record.delete"


def test_an_incident_with_acts_is_not_deleted(app: Flask) -> None:
    client = reviewer(app)
    incident_id = _incident(client)
    _act(client, incident_id)
    response = post(client, f"/incidents/{incident_id}/delete", follow=True)
    assert "Remove the incident&#39;s acts first" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session().get(Incident, incident_id) is not None


def _new_person(**fields: str) -> dict:
    return {
        "person_id": "new",
        "hangul": "리창대",
        "romanized": "Ri Chang Dae",
        "degree": "ordered",
        "confidence": "medium",
        **fields,
    }


def _link(submission_id: str, target: str, **fields: str) -> dict:
    return {
        "submission_id": submission_id,
        "target": target,
        "connection": "victim",
        "reliability": "likely_reliable",
        **fields,
    }


def test_involvement_is_added_found_by_spelling_edited_and_removed(app: Flask) -> None:
    client = reviewer(app)
    act_id = _act(client, _incident(client))
    assert post(client, f"/acts/{act_id}/involvements", _new_person()).status_code == 303
    page = client.get(f"{RECORDS}/acts/{act_id}?person_q=Lee+Chang-dae").get_data(as_text=True)
    assert "리창대" in page and "Ordered it" in page
    with app.app_context():
        involvement = db.session().query(Involvement).one()
        person_id, involvement_id = involvement.person_id, involvement.id
    assert f'name="person_id" value="{person_id}"' in page
    # The same person again, found by search, with another part in the act.
    again = {"person_id": str(person_id), "degree": "present", "confidence": "low"}
    assert post(client, f"/acts/{act_id}/involvements", again).status_code == 303
    duplicate = post(client, f"/acts/{act_id}/involvements", {**again}, follow=True)
    assert "already linked to this act with this part" in duplicate.get_data(as_text=True)

    edit = {"degree": "carried_out", "confidence": "high", "exculpatory": "Was on leave in April."}
    assert post(client, f"/involvements/{involvement_id}/edit", edit).status_code == 303
    with app.app_context():
        row = db.session().get(Involvement, involvement_id)
        assert (row.degree, row.confidence, row.exculpatory) == (
            "carried_out",
            "high",
            "Was on leave in April.",
        )
    assert post(client, f"/involvements/{involvement_id}/remove").status_code == 303
    with app.app_context():
        assert db.session().get(Involvement, involvement_id) is None
    actions = [action for action, _s, _d in audit_actions(app, f"involvement:{involvement_id}")]
    assert actions == ["record.create", "record.update", "record.delete"]
    assert audit_actions(app, f"person:{person_id}")[0][0] == "record.create"


def test_involvement_refuses_an_unknown_degree_or_a_person_without_names(app: Flask) -> None:
    client = reviewer(app)
    act_id = _act(client, _incident(client))
    bad_degree = post(client, f"/acts/{act_id}/involvements", _new_person(degree="blamed"), follow=True)
    assert "Choose the person&#39;s part" in bad_degree.get_data(as_text=True)
    no_names = post(client, f"/acts/{act_id}/involvements", _new_person(hangul=""), follow=True)
    assert "A new person needs a name in Hangul" in no_names.get_data(as_text=True)
    with app.app_context():
        assert db.session().query(Involvement).count() == 0


def test_information_is_linked_edited_and_removed_with_an_audit_entry_each(app: Flask) -> None:
    client = reviewer(app)
    act_id = _act(client, _incident(client))
    source = submission(app)
    assert post(client, "/information", _link(source, f"act:{act_id}")).status_code == 303
    again = post(client, "/information", _link(source, f"act:{act_id}"), follow=True)
    assert "already linked to this record" in again.get_data(as_text=True)
    with app.app_context():
        information_id = db.session().query(Information).one().id
    edit = {"connection": "witness", "reliability": "unsure"}
    assert post(client, f"/information/{information_id}/edit", edit).status_code == 303
    with app.app_context():
        row = db.session().get(Information, information_id)
        assert (row.connection, row.reliability) == ("witness", "unsure")
    assert post(client, f"/information/{information_id}/remove").status_code == 303
    actions = [action for action, _s, _d in audit_actions(app, f"information:{information_id}")]
    assert actions == ["record.create", "record.update", "record.delete"]


def test_a_withdrawn_submission_cannot_be_linked(app: Flask) -> None:
    client = reviewer(app)
    act_id = _act(client, _incident(client))
    withdrawn = submission(app, "withdrawn")
    response = post(client, "/information", _link(withdrawn, f"act:{act_id}"), follow=True)
    assert "The source withdrew consent" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session().query(Information).count() == 0


def test_information_needs_an_existing_target_and_known_vocabulary(app: Flask) -> None:
    client = reviewer(app)
    source = submission(app)
    act_id = _act(client, _incident(client))
    for data in (
        _link(source, "act:999"),
        _link(source, "facility:1"),
        _link(source, f"act:{act_id}", connection="cousin"),
        _link(source, f"act:{act_id}", reliability="certain"),
        _link("no-such-submission", f"act:{act_id}"),
    ):
        assert post(client, "/information", data).status_code == 303
    with app.app_context():
        assert db.session().query(Information).count() == 0


def test_verified_submissions_are_evidence_and_others_are_leads(app: Flask) -> None:
    client = reviewer(app)
    incident_id = _incident(client)
    act_id = _act(client, incident_id)
    verified, pending = submission(app, "verified"), submission(app, "in_review")
    post(client, "/information", _link(verified, f"act:{act_id}"))
    post(client, "/information", _link(pending, f"incident:{incident_id}"))
    act_page = client.get(f"{RECORDS}/acts/{act_id}").get_data(as_text=True)
    assert "1 independent source, 1 lead" in act_page
    assert "Evidence (verified submission)" in act_page
    incident_page = client.get(f"{RECORDS}/incidents/{incident_id}").get_data(as_text=True)
    assert "Lead (submission not verified)" in incident_page
    assert "1 independent source, 1 lead" in incident_page

    filtered = client.get(f"{RECORDS}/incidents?min_sources=1").get_data(as_text=True)
    assert f'data-incident-id="{incident_id}"' in filtered
    set_state(app, verified, "in_review")
    filtered = client.get(f"{RECORDS}/incidents?min_sources=1").get_data(as_text=True)
    assert f'data-incident-id="{incident_id}"' not in filtered


def test_the_incident_list_filters_by_violation_and_pages(app: Flask) -> None:
    client = reviewer(app)
    detention = _incident(client, "Detention")
    labour = _incident(client, "Labour")
    _act(client, detention)
    _act(client, labour, violation="forced_labour")
    page = client.get(f"{RECORDS}/incidents?violation=forced_labour").get_data(as_text=True)
    assert f'data-incident-id="{labour}"' in page and f'data-incident-id="{detention}"' not in page
    with app.app_context():
        rows, before = events.incident_page(db.session(), limit=1)
        assert [row.incident.id for row in rows] == [labour] and before == labour
        rows, before = events.incident_page(db.session(), limit=1, before=before)
        assert [row.incident.id for row in rows] == [detention] and before is None


def test_the_case_team_reads_records_but_edits_nothing_and_sees_no_submission(app: Flask) -> None:
    editor = reviewer(app)
    incident_id = _incident(editor)
    act_id = _act(editor, incident_id)
    source = submission(app, "verified")
    post(editor, f"/submissions/{source}/source", {"source": "new", "consent_documentation": "yes"})
    post(editor, "/information", _link(source, f"act:{act_id}"))

    reader = case_team(app)
    for path in ("/incidents", f"/incidents/{incident_id}", f"/acts/{act_id}"):
        page = reader.get(RECORDS + path)
        assert page.status_code == 200
        assert source not in page.get_data(as_text=True)
    act_page = reader.get(f"{RECORDS}/acts/{act_id}").get_data(as_text=True)
    assert "W-0001" in act_page and "Evidence (verified submission)" in act_page
    assert "/edit" not in act_page
    assert reader.get(f"{RECORDS}/submissions/{source}").status_code == 403
    for path, data in (
        ("/incidents/new", {"title": "x"}),
        (f"/incidents/{incident_id}/edit", {"title": "x"}),
        (f"/incidents/{incident_id}/acts/new", ACT),
        (f"/acts/{act_id}/edit", ACT),
        (f"/acts/{act_id}/involvements", _new_person()),
        ("/information", _link(source, f"act:{act_id}")),
        (f"/submissions/{source}/source", {"source": "new"}),
    ):
        assert post(reader, path, data).status_code == 403, path


def test_ids_that_are_not_small_ascii_numbers_are_refused_not_crashed_on(app: Flask) -> None:
    client = reviewer(app)
    incident_id = _incident(client)
    for value in ("²", "99999999999999999999", "-1"):
        response = post(client, f"/incidents/{incident_id}/acts/new", {**ACT, "facility_id": value})
        assert response.status_code == 400
        response = post(client, f"/incidents/{incident_id}/acts/new", {**ACT, "victim_count": value})
        assert response.status_code == 400
        assert client.get(f"{RECORDS}/incidents?min_sources={value}&before={value}").status_code == 200
    with app.app_context():
        assert db.session().query(Act).count() == 0


def test_markup_typed_into_records_comes_back_as_text(app: Flask) -> None:
    client = reviewer(app)
    payload = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    incident_id = _incident(client, title=payload)
    act_id = _act(client, incident_id, place=payload, description=payload)
    for path in ("/incidents", f"/incidents/{incident_id}", f"/acts/{act_id}"):
        page = client.get(RECORDS + path).get_data(as_text=True)
        assert payload not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path
