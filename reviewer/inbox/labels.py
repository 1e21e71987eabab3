"""The translated words of the inbox and submission pages: the triage states, the buttons that change them,
the refusals, and the labels reviewer-read.js shows beside the answers of a decrypted account."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale, pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import answers, divisions

STATE_LABELS = {
    "new": _l("New"),
    "in_review": _l("In review"),
    "needs_follow_up": _l("Needs follow-up"),
    "verified": _l("Verified"),
    "rejected": _l("Rejected"),
    "duplicate": _l("Duplicate"),
    "withdrawn": _l("Consent withdrawn"),
}
#: The button that moves a submission to each state.
ACTION_LABELS = {
    "in_review": _l("Start review"),
    "needs_follow_up": _l("Needs follow-up"),
    "verified": _l("Propose as verified"),
    "rejected": _l("Reject"),
    "duplicate": _l("Mark as duplicate of"),
    "withdrawn": _l("Source withdrew consent"),
}
ERRORS = {
    "transition": _l("This change of state is not allowed."),
    "same_reviewer": _l("You proposed this as verified: a second, different reviewer must confirm it."),
    "bad_original": _l("A duplicate must name another submission that exists."),
    "bad_assignee": _l("Submissions can be assigned only to active reviewers."),
    "bad_tag": _l("A tag has 1 to 100 characters."),
}


def answer_labels() -> dict[str, Any]:
    """The translated labels reviewer-read.js shows beside the answers: field names, then the values of the
    fields that hold a code (who is telling, when, violations, consent)."""
    yes_no = {"yes": _("Yes"), "no": _("No")}
    locale = get_locale().language
    fields = {
        "submitter": _("Who is telling this account?"),
        "on_behalf_of": _(
            "If you are entering someone else's account: a pseudonym or initials for that person "
            "(never their real name)"
        ),
        "what_happened": _("What happened?"),
        "when_kind": _("When did it happen?"),
        "when_date": _("The day"),
        "when_year": _("Year"),
        "when_month": _("Month"),
        "when_season": _("Season"),
        "when_from_year": _("From (year)"),
        "when_from_month": _("month"),
        "when_to_year": _("To (year)"),
        "when_to_month": _("month"),
        "where_facility": _(
            "The place, as you knew it (for example the holding centre, detention centre or camp)"
        ),
        "where_division": _("Province and city or county"),
        "where_other": _("Anything else about the place"),
        "violations": _("What was done? Choose all that apply."),
    }
    values: dict[str, dict[str, str]] = {
        "submitter": {k: str(v) for k, v in answers.SUBMITTERS.items()},
        "when_kind": {k: str(v) for k, v in answers.WHEN_KINDS.items()},
        "when_season": {k: str(v) for k, v in answers.SEASONS.items()},
        "violations": {k: str(v) for k, v in answers.VIOLATIONS.items()},
        # The place picker sends a code; reviewers read "함경북도 회령시" / "Hoeryong, North Hamgyong".
        "where_division": {
            code: divisions.label(code, locale)
            for _province, entries in divisions.choices(locale)
            for code, _name in entries
        },
    }
    for name, (title, _text) in answers.CONSENTS.items():
        fields[name] = str(title)
        values[name] = yes_no
    fields[answers.KEEP_METADATA] = _("The source chose to keep hidden details in the files")
    values[answers.KEEP_METADATA] = yes_no
    return {
        "files": {
            "heading": _("Hidden details in the attachments"),
            "kept": _("sent as it was, hidden details kept, as the source chose"),
            "removed": _("removed before sealing:"),
            "nothing": _("no hidden details found"),
            "unsupported": _(
                "a kind of file that is not cleaned: sent as it was, check it for hidden details"
            ),
            "incomplete": _("could not be fully cleaned: check it for hidden details"),
            "categories": {
                "gps": _("place (GPS)"),
                "device": _("device"),
                "time": _("date and time taken"),
                "author": _("author or owner names"),
                "thumbnail": _("small preview picture"),
                "other": _("other hidden details"),
            },
        },
        "fields": fields,
        "values": values,
        "person": {
            "heading": _("Person %(n)s", n="{n}"),
            "name": _("Name or nickname"),
            "position": _("Position or rank"),
            "unit": _("Unit or office"),
            "description": pgettext("a person the source saw", "Description"),
        },
    }
