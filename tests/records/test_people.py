"""Person records over HTTP (reviewer/records/person_views.py, persons.py): create and edit with several
names and identifiers, validation that keeps what was typed, the audit trail, findability under another
spelling, who may read and who may edit, posts held and their dates, merged records, involvements with
their corroboration."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core import db
from core.models import AuditEntry
from reviewer.models import User
from reviewer.records import search
from reviewer.records.lists import PAGE_SIZE
from reviewer.records.models import (
    Act,
    Incident,
    Involvement,
    Occupancy,
    Organization,
    Person,
    PersonIdentifier,
    PersonName,
    Position,
)
from reviewer.records.persons import NameInput, PersonInput, save_person
from tests.records.event_helpers import case_team, link_sources, merge, refused, submission
from tests.reviewer.helpers import csrf_token
from tests.reviewer.reading_helpers import add_submission

NEW = "/reviewer/records/persons/new"


def person_form(**overrides: str) -> dict[str, str]:
    form = {
        "name-0-name": "리창대",
        "name-0-style": "hangul",
        "name-0-kind": "primary",
        "name-0-quality": "",
        "name-0-lang": "ko",
        "name-1-name": "Ri Chang Dae",
        "name-1-style": "dprk",
        "name-1-kind": "primary",
        "name-1-quality": "",
        "name-1-lang": "en",
        "name-2-name": "Big Ri",
        "name-2-style": "other",
        "name-2-kind": "alias",
        "name-2-quality": "weak",
        "name-2-lang": "en",
        "name-3-name": "",
        "name-3-style": "hangul",
        "name-3-kind": "primary",
        "name-3-quality": "",
        "name-3-lang": "",
        "gender": "male",
        "birth_date": "1961-04",
        "birth_place": "Hoeryong",
        "nationality": "KP",
        "identifier-0-kind": "passport",
        "identifier-0-value": "836410025",
        "identifier-0-country": "kp",
        "identifier-1-kind": "passport",
        "identifier-1-value": "",
        "identifier-1-country": "",
        "photo_envelope_id": "",
        "photo_part": "",
        "description": "Head of the county bureau's interrogation section.",
        "exculpatory": "",
    }
    form.update(overrides)
    return form


def create_person(client: FlaskClient, **overrides: str):
    data = person_form(**overrides)
    data["csrf_token"] = csrf_token(client, NEW)
    return client.post(NEW, data=data)


def person_id_of(response) -> int:
    found = re.search(r"/persons/(\d+)$", response.headers["Location"])
    assert found is not None, response.headers["Location"]
    return int(found.group(1))


def audit_entries(app: Flask, action_prefix: str = "record.") -> list[AuditEntry]:
    with app.app_context():
        query = select(AuditEntry).where(AuditEntry.action.startswith(action_prefix)).order_by(AuditEntry.seq)
        entries = list(db.session().scalars(query))
        for entry in entries:
            db.session().expunge(entry)
        return entries


def test_a_reviewer_creates_a_person_with_every_name_form_and_it_is_audited(
    app: Flask, kim: FlaskClient
) -> None:
    response = create_person(kim)
    assert response.status_code == 303
    person_id = person_id_of(response)
    with app.app_context():
        session = db.session()
        person = session.get(Person, person_id)
        assert (person.gender, person.birth_date, person.nationality) == ("male", "1961-04", "kp")
        names = session.execute(
            select(PersonName.name, PersonName.style, PersonName.kind, PersonName.quality)
            .where(PersonName.person_id == person_id)
            .order_by(PersonName.id)
        ).all()
        assert [tuple(n) for n in names] == [
            ("리창대", "hangul", "primary", None),
            ("Ri Chang Dae", "dprk", "primary", None),
            ("Big Ri", "other", "alias", "weak"),
        ]
        identifiers = session.scalars(select(PersonIdentifier).where(PersonIdentifier.person_id == person_id))
        assert [(i.kind, i.value, i.country) for i in identifiers] == [("passport", "836410025", "kp")]
    [entry] = audit_entries(app)
    assert (entry.action, entry.subject, entry.actor) == ("record.create", f"person:{person_id}", "kim")
    details = json.loads(entry.details)
    assert "names" in details["fields"] and "birth_date" in details["fields"]
    # Field names, never the values (a description may quote testimony).
    assert "interrogation" not in entry.details and "리창대" not in entry.details

    page = kim.get(f"/reviewer/records/persons/{person_id}").get_data(as_text=True)
    assert "리창대" in page and "Ri Chang Dae" in page and "Weak alias" in page and "836410025" in page


def test_a_person_is_found_by_a_spelling_nobody_typed(app: Flask, kim: FlaskClient) -> None:
    person_id = person_id_of(create_person(kim))
    with app.app_context():
        hits = search.find(db.session(), "Lee Chang-dae", ("person",))
    assert [hit.owner_id for hit in hits] == [person_id]
    listed = kim.get("/reviewer/records/persons?q=Yi+Chang-dae").get_data(as_text=True)
    assert f'data-person-id="{person_id}"' in listed


def test_editing_replaces_the_names_and_reindexes_them(app: Flask, kim: FlaskClient) -> None:
    person_id = person_id_of(create_person(kim))
    edit = f"/reviewer/records/persons/{person_id}/edit"
    form = person_form(**{"name-0-name": "김영철", "name-1-name": "Kim Yong Chol", "name-2-name": ""})
    form["csrf_token"] = csrf_token(kim, edit)
    assert kim.post(edit, data=form).status_code == 303
    with app.app_context():
        session = db.session()
        assert [h.owner_id for h in search.find(session, "Kim Yong-chol", ("person",))] == [person_id]
        assert search.find(session, "Ri Chang Dae", ("person",)) == []
    update = audit_entries(app)[-1]
    assert update.action == "record.update"
    assert json.loads(update.details)["fields"] == ["names"]


def test_saving_without_a_change_writes_no_update_entry(app: Flask, kim: FlaskClient) -> None:
    person_id = person_id_of(create_person(kim))
    edit = f"/reviewer/records/persons/{person_id}/edit"
    form = person_form()
    form["csrf_token"] = csrf_token(kim, edit)
    assert kim.post(edit, data=form).status_code == 303
    assert [e.action for e in audit_entries(app)] == ["record.create"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"birth_date": "1961-13"}, "Write a date as a year"),
        ({"birth_date": "April 1961"}, "Write a date as a year"),
        (
            {
                "name-0-kind": "alias",
                "name-1-kind": "alias",
                "name-1-quality": "strong",
                "name-0-quality": "weak",
            },
            "Give at least one name that is not an alias",
        ),
        ({"name-2-quality": ""}, "Check this name"),
        ({"nationality": "North Korea"}, "two-letter country codes"),
        ({"identifier-0-country": "prk"}, "Check this identifier"),
        ({"photo_envelope_id": "999", "photo_part": "photo.jpg"}, "There is no envelope with this number"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_what_was_typed_kept(
    app: Flask, kim: FlaskClient, overrides: dict, message: str
) -> None:
    page = refused(create_person(kim, **overrides))
    assert message in page
    # What was typed is still in the form.
    assert 'value="Big Ri"' in page and "Head of the county bureau" in page
    with app.app_context():
        assert db.session().scalar(select(Person.id)) is None
    assert audit_entries(app) == []


def test_the_photo_is_a_reference_to_an_envelope_that_exists(app: Flask, kim: FlaskClient) -> None:
    submission_id, envelope_id = add_submission(
        app, attachments=[("face.jpg", "image/jpeg", b"\xff\xd8jpeg")]
    )
    missing_part = create_person(kim, photo_envelope_id=str(envelope_id))
    assert missing_part.status_code == 400
    assert "Name the attachment" in missing_part.get_data(as_text=True)
    person_id = person_id_of(create_person(kim, photo_envelope_id=str(envelope_id), photo_part="face.jpg"))
    with app.app_context():
        person = db.session().get(Person, person_id)
        assert (person.photo_envelope_id, person.photo_part) == (envelope_id, "face.jpg")
    page = kim.get(f"/reviewer/records/persons/{person_id}").get_data(as_text=True)
    assert "face.jpg" in page and f"/reviewer/submissions/{submission_id}" in page


def test_the_case_team_reads_persons_but_cannot_edit(app: Flask, kim: FlaskClient) -> None:
    person_id = person_id_of(create_person(kim))
    case = case_team(app)
    assert case.get("/reviewer/records/").status_code == 200
    assert case.get("/reviewer/records/persons").status_code == 200
    page = case.get(f"/reviewer/records/persons/{person_id}")
    assert page.status_code == 200 and "리창대" in page.get_data(as_text=True)
    assert f"/persons/{person_id}/edit" not in page.get_data(as_text=True)
    token = csrf_token(case, "/reviewer/")
    assert case.get(NEW).status_code == 403
    assert case.post(NEW, data={**person_form(), "csrf_token": token}).status_code == 403
    edit = case.post(
        f"/reviewer/records/persons/{person_id}/edit", data={**person_form(), "csrf_token": token}
    )
    assert edit.status_code == 403
    with app.app_context():
        assert db.session().scalar(select(PersonName.name).where(PersonName.name == "Big Ri")) == "Big Ri"


def test_records_start_page_counts_and_links(app: Flask, kim: FlaskClient) -> None:
    create_person(kim)
    page = kim.get("/reviewer/records/").get_data(as_text=True)
    assert 'id="count-persons">1<' in page
    assert "/reviewer/records/persons" in page and "/reviewer/records/organizations" in page
    assert "/reviewer/records/facilities" in page


def test_the_persons_list_pages(app: Flask, kim: FlaskClient) -> None:
    with app.app_context():
        session = db.session()
        user = session.scalar(select(User).where(User.login == "kim"))
        for n in range(PAGE_SIZE + 3):
            save_person(session, user, PersonInput(names=[NameInput(f"Person {n:03d}", "other")]))
        session.commit()
    first = kim.get("/reviewer/records/persons").get_data(as_text=True)
    assert first.count('class="person-row"') == PAGE_SIZE and "page=2" in first
    second = kim.get("/reviewer/records/persons?page=2").get_data(as_text=True)
    assert second.count('class="person-row"') == 3 and "page=3" not in second


# ---- Posts held ------------------------------------------------------------------------------------------


@pytest.fixture
def post(app: Flask) -> int:
    """A post ("bureau chief", heading a county bureau)."""
    with app.app_context():
        session = db.session()
        bureau = Organization(name_ko="회령시 보위부", name_en="Hoeryong city MSS bureau", kind="bureau")
        session.add(bureau)
        session.flush()
        position = Position(organization_id=bureau.id, title_ko="부장", title_en="Bureau chief", is_head=True)
        session.add(position)
        session.commit()
        return position.id


def add_post(client: FlaskClient, person_id: int, **form: str):
    path = f"/reviewer/records/persons/{person_id}/occupancies/new"
    return client.post(path, data={**form, "csrf_token": csrf_token(client, path)})


def test_a_post_held_is_recorded_with_its_widest_period(app: Flask, kim: FlaskClient, post: int) -> None:
    from reviewer.records import dates

    person_id = person_id_of(create_person(kim))
    assert add_post(kim, person_id, position_id=str(post), start="2009", end="2014-06").status_code == 303
    assert add_post(kim, person_id, position_id=str(post), start="2016-03-01", end="").status_code == 303
    with app.app_context():
        rows = db.session().scalars(select(Occupancy).order_by(Occupancy.id)).all()
        assert [(o.start, o.end, o.start_lo.isoformat(), o.end_hi.isoformat()) for o in rows] == [
            ("2009", "2014-06", "2009-01-01", "2014-06-30"),
            ("2016-03-01", None, "2016-03-01", dates.LATEST.isoformat()),
        ]
    assert [e.action for e in audit_entries(app)][-2:] == ["record.create", "record.create"]
    page = kim.get(f"/reviewer/records/persons/{person_id}").get_data(as_text=True)
    assert "Bureau chief" in page and "2014-06" in page


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2014", "2013-12", "The end is before the start"),
        ("2014-02-30", "", "Write a date as a year"),
        ("", "20150", "Write a date as a year"),
    ],
)
def test_bad_dates_of_a_post_held_are_refused(
    app: Flask, kim: FlaskClient, post: int, start: str, end: str, message: str
) -> None:
    person_id = person_id_of(create_person(kim))
    response = add_post(kim, person_id, position_id=str(post), start=start, end=end)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and f'value="{start}"' in page
    with app.app_context():
        assert db.session().scalar(select(Occupancy.id)) is None


def test_the_same_year_as_start_and_end_is_accepted(app: Flask, kim: FlaskClient, post: int) -> None:
    person_id = person_id_of(create_person(kim))
    assert add_post(kim, person_id, position_id=str(post), start="2014-05", end="2014").status_code == 303


def test_a_post_held_is_edited_and_removed(app: Flask, kim: FlaskClient, post: int) -> None:
    person_id = person_id_of(create_person(kim))
    add_post(kim, person_id, position_id=str(post), start="2009", end="")
    with app.app_context():
        occupancy_id = db.session().scalar(select(Occupancy.id))
    edit = f"/reviewer/records/occupancies/{occupancy_id}/edit"
    response = kim.post(
        edit,
        data={"position_id": str(post), "start": "2009", "end": "2012", "csrf_token": csrf_token(kim, edit)},
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session().get(Occupancy, occupancy_id).end == "2012"
    remove = f"/reviewer/records/occupancies/{occupancy_id}/remove"
    token = csrf_token(kim, f"/reviewer/records/persons/{person_id}")
    assert kim.post(remove, data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert db.session().get(Occupancy, occupancy_id) is None
    assert [e.action for e in audit_entries(app)][-2:] == ["record.update", "record.delete"]


# ---- Merged persons and involvements ---------------------------------------------------------------------


def test_a_merged_person_is_hidden_from_the_list_and_points_to_the_kept_one(
    app: Flask, kim: FlaskClient
) -> None:
    kept = person_id_of(create_person(kim))
    merged = person_id_of(create_person(kim, **{"name-0-name": "리창데", "name-1-name": "Ri Chang De"}))
    merge(app, Person, merged, kept)
    listed = kim.get("/reviewer/records/persons").get_data(as_text=True)
    assert f'data-person-id="{kept}"' in listed and f'data-person-id="{merged}"' not in listed
    filtered = kim.get("/reviewer/records/persons?q=Ri+Chang").get_data(as_text=True)
    assert f'data-person-id="{kept}"' in filtered and f'data-person-id="{merged}"' not in filtered
    page = kim.get(f"/reviewer/records/persons/{merged}").get_data(as_text=True)
    assert "merged into" in page and f'href="/reviewer/records/persons/{kept}"' in page
    assert kim.get(f"/reviewer/records/persons/{merged}/edit").status_code == 303


def test_the_person_page_shows_involvements_with_their_corroboration(app: Flask, kim: FlaskClient) -> None:
    person_id = person_id_of(create_person(kim))
    verified = [submission(app, "verified") for _ in range(2)]
    lead = submission(app)
    with app.app_context():
        session = db.session()
        incident = Incident(title="Interrogations at the Hoeryong bureau, spring 2014")
        session.add(incident)
        session.flush()
        act = Act(
            incident_id=incident.id,
            violation="torture_interrogation",
            date_start="2014-04",
            date_lo=date(2014, 4, 1),
            date_hi=date(2014, 4, 30),
        )
        session.add(act)
        session.flush()
        involvement = Involvement(act_id=act.id, person_id=person_id, degree="ordered", confidence="medium")
        session.add(involvement)
        session.flush()
        link_sources(session, "kim", [*verified, lead], "likely_reliable", involvement_id=involvement.id)
        session.commit()
    page = kim.get(f"/reviewer/records/persons/{person_id}").get_data(as_text=True)
    assert "Interrogations at the Hoeryong bureau" in page
    assert "Ordered it" in page and "Medium confidence" in page
    assert "2 independent sources" in page and "1 lead" in page
