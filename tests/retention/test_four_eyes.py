"""Four-eyes deletion from the web, as verification works: one reviewer proposes, a second, different one
confirms, and the deletion runs; a deletion proposed twice, confirmed by its proposer, held, or attempted by
a case-team or admin account is refused. The retention page: admins set the policies (bad values refused
in the page's language), reviewers read them and what waits for a decision."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from reviewer import access
from tests.retention.helpers import Story, audit_details, exists, set_policies
from tests.reviewer.helpers import PASSWORD, csrf_token, log_in, make_user, reauthenticate
from tests.reviewer.reading_helpers import give_vetted_key


def post(client: FlaskClient, path: str, **data: str):
    return client.post(f"/reviewer{path}", data={"csrf_token": csrf_token(client, "/reviewer/"), **data})


def deletion(submission_id: str, step: str) -> str:
    return f"/submissions/{submission_id}/deletion/{step}"


def test_a_deletion_proposed_by_one_reviewer_and_confirmed_by_another_runs(app: Flask, story: Story) -> None:
    stored = story.submit(in_blob=True)
    kim, lee = story.client("kim"), story.client("lee")

    assert post(kim, deletion(stored.submission_id, "propose")).status_code == 303
    page = kim.get(f"/reviewer/submissions/{stored.submission_id}").get_data(as_text=True)
    assert "Kim Reviewer proposed on" in page and 'id="deletion-confirm"' not in page
    refused = post(kim, deletion(stored.submission_id, "confirm"))
    assert refused.status_code == 409
    assert "a second, different reviewer must confirm it" in refused.get_data(as_text=True)
    assert exists(app, stored.submission_id)

    assert 'id="deletion-confirm"' in lee.get(f"/reviewer/submissions/{stored.submission_id}").get_data(
        as_text=True
    )
    done = post(lee, deletion(stored.submission_id, "confirm"))
    assert done.status_code == 303 and done.headers["Location"] == "/reviewer/retention"
    assert "The submission was deleted: 1 envelope(s)" in lee.get("/reviewer/retention").get_data(
        as_text=True
    )
    assert not exists(app, stored.submission_id)
    assert kim.get(f"/reviewer/submissions/{stored.submission_id}").status_code == 404
    [(actor, subject, details)] = audit_details(app, "submission.delete")
    assert (actor, subject) == ("lee", f"submission:{stored.submission_id}")
    assert (details["proposed_by"], details["confirmed_by"], details["envelopes"]) == ("kim", "lee", 1)
    [(_actor, _subject, proposed)] = audit_details(app, "submission.delete_proposed")
    assert proposed == {"reason": "reviewer"}


def test_a_deletion_proposed_twice_is_refused(app: Flask, story: Story) -> None:
    stored = story.submit()
    kim, lee = story.client("kim"), story.client("lee")
    assert post(kim, deletion(stored.submission_id, "propose")).status_code == 303
    again = post(lee, deletion(stored.submission_id, "propose"))
    assert again.status_code == 409 and "already proposed" in again.get_data(as_text=True)
    assert len(audit_details(app, "submission.delete_proposed")) == 1


def test_a_proposal_can_be_dropped_and_confirming_then_is_refused(app: Flask, story: Story) -> None:
    stored = story.submit()
    kim, lee = story.client("kim"), story.client("lee")
    post(kim, deletion(stored.submission_id, "propose"))
    assert post(lee, deletion(stored.submission_id, "cancel")).status_code == 303
    refused = post(lee, deletion(stored.submission_id, "confirm"))
    assert refused.status_code == 409 and "No deletion is proposed" in refused.get_data(as_text=True)
    assert exists(app, stored.submission_id)


@pytest.mark.parametrize("roles", [("case_team",), ("admin",), ("admin", "case_team")])
def test_case_team_and_admin_accounts_cannot_delete(
    app: Flask, client: FlaskClient, story: Story, roles: tuple[str, ...]
) -> None:
    stored = story.submit()
    post(story.client("kim"), deletion(stored.submission_id, "propose"))
    user_id, secret = make_user(app, "other", *roles)
    give_vetted_key(app, user_id)  # even with a key: deciding about testimony is for reviewers
    log_in(client, "other", PASSWORD, secret)
    for step in ("propose", "confirm", "cancel"):
        assert post(client, deletion(stored.submission_id, step)).status_code == 403
    assert post(client, f"/submissions/{stored.submission_id}/hold", reason="x").status_code == 403
    assert exists(app, stored.submission_id)


def test_a_legal_hold_stops_a_deletion_until_it_is_lifted(app: Flask, story: Story) -> None:
    stored = story.submit()
    kim, lee = story.client("kim"), story.client("lee")
    post(kim, deletion(stored.submission_id, "propose"))
    assert post(lee, f"/submissions/{stored.submission_id}/hold", reason="  ").status_code == 409
    assert (
        post(lee, f"/submissions/{stored.submission_id}/hold", reason="Court order 2026/17").status_code
        == 303
    )
    page = lee.get(f"/reviewer/submissions/{stored.submission_id}").get_data(as_text=True)
    assert "Under a legal hold since" in page and "Court order 2026/17" in page
    refused = post(kim, deletion(stored.submission_id, "propose"))
    assert refused.status_code == 409 and "under a legal hold" in refused.get_data(as_text=True)
    assert post(lee, deletion(stored.submission_id, "confirm")).status_code == 409  # the hold dropped it

    assert post(kim, f"/submissions/{stored.submission_id}/hold/lift").status_code == 303
    post(kim, deletion(stored.submission_id, "propose"))
    assert post(lee, deletion(stored.submission_id, "confirm")).status_code == 303
    assert not exists(app, stored.submission_id)
    actions = [
        action for action in ("submission.hold", "submission.hold_lifted") if audit_details(app, action)
    ]
    assert actions == ["submission.hold", "submission.hold_lifted"]


def test_confirming_a_deletion_needs_a_fresh_login(
    app: Flask, story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = story.submit()
    kim, lee = story.client("kim"), story.client("lee")
    post(kim, deletion(stored.submission_id, "propose"))
    monkeypatch.setattr(access, "REAUTH_WINDOW", timedelta(0))
    answer = post(lee, deletion(stored.submission_id, "confirm"))
    assert answer.status_code == 302 and "/reviewer/reauth" in answer.headers["Location"]
    assert exists(app, stored.submission_id)
    monkeypatch.setattr(access, "REAUTH_WINDOW", timedelta(minutes=5))
    reauthenticate(lee)
    assert post(lee, deletion(stored.submission_id, "confirm")).status_code == 303


def test_admins_set_the_policies_and_reviewers_read_them(
    app: Flask, client: FlaskClient, story: Story
) -> None:
    _, secret = make_user(app, "admin", "admin")
    log_in(client, "admin", PASSWORD, secret)
    form = client.get("/reviewer/retention").get_data(as_text=True)
    assert 'name="rejected_days" value="90"' in form and 'name="withdrawn_days" value="30"' in form
    saved = post(
        client, "/admin/retention", rejected_days="60", withdrawn_days="14", review_days="0", notice_days="30"
    )
    assert saved.status_code == 303
    [(actor, _subject, details)] = audit_details(app, "retention.policies")
    assert actor == "admin" and details["changed"] == [
        "rejected_days",
        "withdrawn_days",
        "review_days",
        "notice_days",
    ]

    page = story.client("kim").get("/reviewer/retention").get_data(as_text=True)
    assert 'name="rejected_days"' not in page and "Only an administrator can change these." in page
    assert "60 days" in page and "14 days" in page and "never" in page
    assert post(story.client("kim"), "/admin/retention", rejected_days="1").status_code == 403


@pytest.mark.parametrize("days", ["-1", "3651", "99999", "ninety", "1.5", "", "٣"])
@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "Give a whole number of days from 0 (never) to 3650 (ten years)."),
        ("ko", "0(삭제하지 않음)부터 3650(10년)까지의 일수를 정수로 입력하십시오."),
    ],
)
def test_negative_or_absurd_days_are_refused_in_the_page_language(
    app: Flask, client: FlaskClient, days: str, lang: str, message: str
) -> None:
    _, secret = make_user(app, "admin", "admin")
    log_in(client, "admin", PASSWORD, secret)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    answer = post(
        client,
        "/admin/retention",
        rejected_days="90",
        withdrawn_days=days,
        review_days="365",
        notice_days="90",
    )
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert message in page and 'id="policy-withdrawn_days-error"' in page
    assert audit_details(app, "retention.policies") == []


def test_a_case_team_member_does_not_see_the_retention_page(app: Flask, client: FlaskClient) -> None:
    _, secret = make_user(app, "case", "case_team")
    log_in(client, "case", PASSWORD, secret)
    assert client.get("/reviewer/retention").status_code == 403


def test_the_page_shows_what_waits_and_what_the_next_run_deletes(
    app: Flask, story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_policies(app, rejected_days=10)
    rejected, requested, proposed = story.submit(), story.submit(), story.submit()
    story.move(rejected.submission_id, "in_review", "rejected")
    story.read(rejected.submission_id)
    story.source_chooses(requested.submission_id, "delete")
    story.decide(proposed.submission_id, "propose_deletion", by="lee")
    story.later(monkeypatch, 10)
    page = story.client("kim").get("/reviewer/retention").get_data(as_text=True)
    due = page[page.index('id="retention-due"') :]
    assert rejected.submission_id in due[: due.index("</table>")]
    flags = page[page.index('id="retention-flags"') :]
    assert requested.submission_id in flags[: flags.index("</table>")]
    proposals = page[page.index('id="retention-proposals"') :]
    assert proposed.submission_id in proposals[: proposals.index("</table>")] and "Lee Reviewer" in proposals
