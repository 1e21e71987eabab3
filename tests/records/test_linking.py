"""The linking page of a submission, end to end through the web pages as a reviewer without JavaScript
would use them: source and consent, a new incident, an act at a facility recorded on the way, the
perpetrator created by name, and this submission linked as a source of the involvement."""

from __future__ import annotations

import re

from flask import Flask

from core import db
from reviewer.records.models import Act, Facility, Incident, Information, Involvement
from tests.records.event_helpers import RECORDS, audit_actions, post, reviewer, submission
from tests.reviewer.helpers import PASSWORD, log_in, make_user
from tests.reviewer.reading_helpers import give_vetted_key

REMINDER = "Do not copy the survivor's name or anything that could identify them into records"


def test_a_reviewer_links_a_submission_to_records_step_by_step(app: Flask) -> None:
    client = reviewer(app)
    source = submission(app, "verified")
    page_url = f"{RECORDS}/submissions/{source}"
    page = client.get(page_url).get_data(as_text=True)
    assert REMINDER in page and "No source is recorded" in page

    # 1. Source and consent.
    post(client, f"/submissions/{source}/source", {"source": "new", "consent_sanctions": "yes"})
    assert 'id="source-ref">W-0001<' in client.get(page_url).get_data(as_text=True)

    # 2. A new incident: back on the page with it chosen.
    made = post(client, "/incidents/new", {"title": "Onsong detention", "for_submission": source})
    with app.app_context():
        incident_id = db.session().query(Incident).one().id
    assert made.headers["Location"].endswith(f"/submissions/{source}?incident={incident_id}")
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert 'id="chosen-incident"' in page and "Add an act to the incident" in page

    # 3. The facility is new: recorded on the way, then preselected in the act form.
    made = post(
        client,
        "/facilities/quick",
        {
            "for_submission": source,
            "incident": str(incident_id),
            "hangul": "온성 구류장",
            "romanized": "Onsong",
            "kind": "kuryujang",
            "agency": "mss",
        },
    )
    with app.app_context():
        facility_id = db.session().query(Facility).one().id
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert f'<option value="{facility_id}" selected>' in page
    made = post(
        client,
        f"/incidents/{incident_id}/acts/new",
        {
            "for_submission": source,
            "violation": "torture_interrogation",
            "date_start": "2017-11",
            "facility_id": str(facility_id),
            "victims": "V-1",
        },
    )
    with app.app_context():
        act_id = db.session().query(Act).one().id
    assert f"act={act_id}" in made.headers["Location"]

    # 4. The perpetrator: searched (not found), then created by name and linked.
    searched = client.get(f"{page_url}?incident={incident_id}&act={act_id}&person_q=Pak").get_data(
        as_text=True
    )
    assert "No person matches this name." in searched
    made = post(
        client,
        f"/acts/{act_id}/involvements",
        {
            "for_submission": source,
            "person_id": "new",
            "hangul": "박명철",
            "romanized": "Pak Myong Chol",
            "degree": "carried_out",
            "confidence": "high",
        },
    )
    with app.app_context():
        involvement_id = db.session().query(Involvement).one().id
    assert f"involvement={involvement_id}" in made.headers["Location"]
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert f'name="target" value="involvement:{involvement_id}" checked' in page

    # 5. This submission as a source of the involvement, with connection and reliability.
    linked = post(
        client,
        "/information",
        {
            "submission_id": source,
            "target": f"involvement:{involvement_id}",
            "connection": "victim",
            "reliability": "highly_reliable",
            "return_to": made.headers["Location"],
        },
    )
    assert linked.headers["Location"] == made.headers["Location"]
    with app.app_context():
        information = db.session().query(Information).one()
        assert (information.submission_id, information.involvement_id) == (source, involvement_id)
    page = client.get(page_url).get_data(as_text=True)
    assert "Evidence (verified submission)" in page and f"Involvement #{involvement_id}" in page
    act_page = client.get(f"{RECORDS}/acts/{act_id}").get_data(as_text=True)
    assert "박명철" in act_page and "1 independent source, 0 leads" in act_page and "온성 구류장" in act_page
    subjects = {subject.split(":")[0] for _action, subject, _details in audit_actions(app)}
    assert {"submission", "incident", "facility", "act", "person", "involvement", "information"} <= subjects


def test_the_steps_shown_are_numbered_one_after_another(app: Flask) -> None:
    client = reviewer(app)
    source = submission(app, "verified")
    first = f"{RECORDS}/submissions/{source}"
    with_incident = post(client, "/incidents/new", {"title": "Onsong detention", "for_submission": source})
    with app.app_context():
        incident_id = db.session().query(Incident).one().id
    with_act = post(
        client,
        f"/incidents/{incident_id}/acts/new",
        {"for_submission": source, "violation": "torture_interrogation"},
    )
    steps = {
        first: ["Source and consent", "Incident", "This submission as a source"],
        with_incident.headers["Location"]: [
            "Source and consent",
            "Incident",
            "Act",
            "This submission as a source",
        ],
        with_act.headers["Location"]: [
            "Source and consent",
            "Incident",
            "Act",
            "Perpetrators and officials",
            "This submission as a source",
        ],
    }
    for url, titles in steps.items():
        page = client.get(url).get_data(as_text=True)
        numbered = [f"{number}. {title}" for number, title in enumerate(titles, start=1)]
        assert re.findall(r"<h2>(\d\. [^<]*)</h2>", page) == numbered, url


def test_the_submission_page_leads_to_the_linking_page_which_shows_no_testimony(app: Flask) -> None:
    user_id, secret = make_user(app, "lee", "reviewer")
    give_vetted_key(app, user_id)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in(client, "lee", PASSWORD, secret)
    source = submission(app)
    reading = client.get(f"/reviewer/submissions/{source}").get_data(as_text=True)
    assert f'href="{RECORDS}/submissions/{source}"' in reading
    assert "Link to records / source and consent" in reading
    page = client.get(f"{RECORDS}/submissions/{source}").get_data(as_text=True)
    assert "does not show the testimony" in page and "envelope" not in page.lower()


def test_a_withdrawn_submission_offers_no_link_form(app: Flask) -> None:
    client = reviewer(app)
    source = submission(app, "withdrawn")
    made = post(client, "/incidents/new", {"title": "Anything", "for_submission": source})
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "this submission cannot be linked to records" in page
    assert 'name="target"' not in page


def test_a_link_to_an_unknown_submission_is_not_found(app: Flask) -> None:
    client = reviewer(app)
    assert client.get(f"{RECORDS}/submissions/nope").status_code == 404
    assert post(client, "/incidents/new", {"title": "x", "for_submission": "nope"}).status_code == 404
