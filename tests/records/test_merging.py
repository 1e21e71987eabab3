"""Merging two records of one person or facility, and undoing it (reviewer/records/merging.py, pages)."""

from __future__ import annotations

import json

from flask import Flask
from sqlalchemy import select

from core import db
from core.models import AuditEntry
from reviewer.records import dates, merging, name_index, search
from reviewer.records.models import (
    Act,
    Facility,
    FacilityName,
    Incident,
    Involvement,
    Merge,
    Occupancy,
    Organization,
    Person,
    PersonIdentifier,
    PersonName,
    Position,
)
from tests.records.builders import hold, person
from tests.records.event_helpers import RECORDS, post, reviewer


def _snapshot(session) -> dict:
    """Who every linked row points at."""
    return {
        "names": sorted(session.execute(select(PersonName.id, PersonName.person_id)).all()),
        "identifiers": sorted(session.execute(select(PersonIdentifier.id, PersonIdentifier.person_id)).all()),
        "occupancies": sorted(session.execute(select(Occupancy.id, Occupancy.person_id)).all()),
        "involvements": sorted(session.execute(select(Involvement.id, Involvement.person_id)).all()),
        "persons": sorted(
            session.execute(
                select(Person.id, Person.merged_into_id, Person.birth_date, Person.photo_part)
            ).all()
        ),
    }


def _two_records_of_one_official(app: Flask) -> tuple[int, int, dict[str, int]]:
    with app.app_context():
        session = db.session()
        kept = person(session, ("리창대", "hangul"))
        other = person(
            session,
            ("Lee Chang-dae", "rr"),
            ("Yi Ch'ang-dae", "lc"),
            birth_date="1961",
            photo_part="face.jpg",
        )
        session.add(PersonIdentifier(person_id=other, kind="passport", value="745123456"))
        organization = Organization(name_ko="회령시 보위부")
        session.add(organization)
        session.flush()
        position = Position(organization_id=organization.id, title_ko="부장", is_head=True)
        session.add(position)
        session.flush()
        hold(session, other, position.id, "2010", None)
        incident = Incident(title="Interrogation")
        session.add(incident)
        session.flush()
        acts = []
        for _ in range(2):
            act = Act(
                incident_id=incident.id, violation="torture", date_lo=dates.EARLIEST, date_hi=dates.LATEST
            )
            session.add(act)
            session.flush()
            acts.append(act.id)
        # Both records ordered the first act: the same involvement, which cannot be moved.
        session.add(Involvement(act_id=acts[0], person_id=kept, degree="ordered", confidence="high"))
        clash = Involvement(act_id=acts[0], person_id=other, degree="ordered", confidence="low")
        moving = Involvement(act_id=acts[1], person_id=other, degree="ordered", confidence="medium")
        session.add_all([clash, moving])
        session.commit()
        return kept, other, {"clash": clash.id, "moving": moving.id}


def test_a_merge_keeps_every_link_and_both_names_and_undo_restores_exactly(app: Flask) -> None:
    kept, other, involvements = _two_records_of_one_official(app)
    client = reviewer(app)
    with app.app_context():
        before = _snapshot(db.session())
    page = client.get(f"{RECORDS}/persons/{kept}/merge?q=Ri+Chang+Dae").get_data(as_text=True)
    assert f"other={other}" in page  # found by another spelling
    compare = client.get(f"{RECORDS}/persons/{kept}/merge?other={other}").get_data(as_text=True)
    assert "Lee Chang-dae" in compare and "리창대" in compare and "745123456" in compare
    response = post(client, f"/persons/{kept}/merge", {"other": str(other)})
    assert response.status_code == 303
    with app.app_context():
        session = db.session()
        names = set(session.scalars(select(PersonName.name).where(PersonName.person_id == kept)))
        assert names == {"리창대", "Lee Chang-dae", "Yi Ch'ang-dae"}
        assert session.scalar(select(PersonIdentifier.person_id)) == kept
        assert session.scalar(select(Occupancy.person_id)) == kept
        assert session.get(Involvement, involvements["moving"]).person_id == kept
        # The clashing involvement stays with the merged record and is named in the merge.
        assert session.get(Involvement, involvements["clash"]).person_id == other
        merge = session.scalars(select(Merge)).one()
        moved = json.loads(merge.moved)
        assert moved["involvements_kept_aside"] == [involvements["clash"]]
        assert moved["filled"] == ["birth_date"]
        assert session.get(Person, kept).birth_date == "1961"
        assert session.get(Person, other).merged_into_id == kept
        hits = search.find(session, "Yi Ch'ang-dae", ("person",))
        assert [hit.owner_id for hit in hits] == [kept]
        merge_id = merge.id
    person_page = client.get(f"{RECORDS}/persons/{kept}").get_data(as_text=True)
    assert f"{RECORDS}/merges/{merge_id}/undo" in person_page
    undo_page = client.get(f"{RECORDS}/merges/{merge_id}/undo").get_data(as_text=True)
    assert "Undo the merge" in undo_page
    response = post(client, f"/merges/{merge_id}/undo")
    assert response.status_code == 303
    with app.app_context():
        session = db.session()
        assert _snapshot(session) == before
        assert session.get(Merge, merge_id).undone_at is not None
        # Both records stand apart again, each found under the spellings it holds.
        assert [h.owner_id for h in search.find(session, "Yi Ch'ang-dae", ("person",))] == [kept, other]
        actions = list(
            session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("record.merge%")))
        )
        assert actions == ["record.merge", "record.merge_undo"]
        details = json.loads(
            session.scalars(select(AuditEntry.details).where(AuditEntry.action == "record.merge")).one()
        )
        assert details["moved"]["person_names"] == 2 and "Lee" not in json.dumps(details)


def test_undo_is_refused_while_a_later_merge_builds_on_it(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        a, b, c = (person(session, (name, "hangul")) for name in ("김철", "김철수", "김철민"))
        session.commit()
    client = reviewer(app)
    with app.app_context():
        session = db.session()
        from reviewer.accounts import find_user

        actor = find_user(session, "kim")
        first = merging.merge(session, "person", b, c, actor)
        second = merging.merge(session, "person", a, b, actor)
        session.commit()
        first_id, second_id = first.id, second.id
    page = client.get(f"{RECORDS}/merges/{first_id}/undo").get_data(as_text=True)
    assert f"merge #{second_id}" in page and "Undo the merge" not in page
    post(client, f"/merges/{first_id}/undo")
    with app.app_context():
        assert db.session().get(Merge, first_id).undone_at is None
    post(client, f"/merges/{second_id}/undo")
    post(client, f"/merges/{first_id}/undo")
    with app.app_context():
        session = db.session()
        assert all(session.get(Person, p).merged_into_id is None for p in (a, b, c))
        assert session.scalar(select(PersonName.person_id).where(PersonName.name == "김철민")) == c


def test_a_record_cannot_be_merged_into_itself_or_into_a_merged_one(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        a, b, c = (person(session, (name, "hangul")) for name in ("박명", "박명철", "박명일"))
        session.commit()
    client = reviewer(app)
    response = post(client, f"/persons/{a}/merge", {"other": str(a)}, follow=True)
    assert "cannot be merged into itself" in response.get_data(as_text=True)
    post(client, f"/persons/{a}/merge", {"other": str(b)})
    response = post(client, f"/persons/{b}/merge", {"other": str(c)}, follow=True)
    assert "already merged" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session().get(Person, c).merged_into_id is None


def test_merging_facilities_moves_their_names_and_acts(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        ids = []
        for name, style in (("요덕", "hangul"), ("Yodeok", "rr")):
            facility = Facility(kind="kwanliso", agency="mss")
            session.add(facility)
            session.flush()
            session.add(FacilityName(facility_id=facility.id, name=name, style=style))
            name_index.reindex(session, "facility", facility.id, [name])
            ids.append(facility.id)
        incident = Incident(title="Forced labour")
        session.add(incident)
        session.flush()
        act = Act(
            incident_id=incident.id,
            violation="forced_labour",
            date_lo=dates.EARLIEST,
            date_hi=dates.LATEST,
            facility_id=ids[1],
        )
        session.add(act)
        session.commit()
        act_id = act.id
    client = reviewer(app)
    page = client.get(f"{RECORDS}/facilities/{ids[0]}/merge?q=Yodok").get_data(as_text=True)
    assert f"other={ids[1]}" in page
    assert post(client, f"/facilities/{ids[0]}/merge", {"other": str(ids[1])}).status_code == 303
    with app.app_context():
        session = db.session()
        assert session.get(Act, act_id).facility_id == ids[0]
        names = set(session.scalars(select(FacilityName.name).where(FacilityName.facility_id == ids[0])))
        assert names == {"요덕", "Yodeok"}
        merge_id = session.scalars(select(Merge.id)).one()
    post(client, f"/merges/{merge_id}/undo")
    with app.app_context():
        assert db.session().get(Act, act_id).facility_id == ids[1]
        assert db.session().get(Facility, ids[1]).merged_into_id is None
