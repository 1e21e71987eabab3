"""The recipients service: who new testimony is sealed to, and the rules that keep that list sound."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from core import db, recipients
from crypto.keys import Identity


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session()


def new_key() -> str:
    return Identity.generate().public_key.text


def test_add_stores_key_id_and_fingerprint(session: Session) -> None:
    identity = Identity.generate()
    text = identity.public_key.text
    added = recipients.add(session, "  Kim Eun-ju ", "\n" + text + " \n")
    session.commit()
    assert added.name == "Kim Eun-ju"
    assert added.public_key == text
    assert added.key_id == identity.public_key.key_id.hex() and len(added.key_id) == 16
    assert added.fingerprint == identity.public_key.fingerprint
    assert added.added_at is not None and added.revoked_at is None
    assert [r.name for r in recipients.list_all(session)] == ["Kim Eun-ju"]


def test_duplicate_name_is_refused(session: Session) -> None:
    recipients.add(session, "박서연", new_key())
    with pytest.raises(recipients.DuplicateName):
        recipients.add(session, "박서연", new_key())


def test_names_are_compared_in_nfc(session: Session) -> None:
    recipients.add(session, "박서연", new_key())
    with pytest.raises(recipients.DuplicateName):
        recipients.add(session, unicodedata.normalize("NFD", "박서연"), new_key())


def test_duplicate_key_is_refused_and_names_its_holder(session: Session) -> None:
    key = new_key()
    recipients.add(session, "first", key)
    with pytest.raises(recipients.DuplicateKey) as caught:
        recipients.add(session, "second", key)
    assert caught.value.name == "first"


@pytest.mark.parametrize("text", ["", "sori-pk1-", "hello", "sori-pk2-" + "A" * 48])
def test_bad_key_is_refused(session: Session, text: str) -> None:
    with pytest.raises(recipients.BadKey):
        recipients.add(session, "someone", text)
    assert recipients.list_all(session) == []


def test_key_with_a_typo_is_refused(session: Session) -> None:
    text = new_key()
    typo = text[:20] + ("A" if text[20] != "A" else "B") + text[21:]
    with pytest.raises(recipients.BadKey):
        recipients.add(session, "someone", typo)


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_bad_name_is_refused(session: Session, name: str) -> None:
    with pytest.raises(recipients.BadName):
        recipients.add(session, name, new_key())


def test_revoke_removes_from_active_but_keeps_in_list(session: Session) -> None:
    for name in ("a", "b", "c"):
        recipients.add(session, name, new_key())
    revoked = recipients.revoke(session, "b")
    session.commit()
    assert revoked.revoked_at is not None and not revoked.is_active
    assert [r.name for r in recipients.active(session)] == ["a", "c"]
    assert [r.name for r in recipients.list_all(session)] == ["a", "b", "c"]


def test_revoke_unknown_or_twice(session: Session) -> None:
    with pytest.raises(recipients.UnknownRecipient):
        recipients.revoke(session, "nobody")
    recipients.add(session, "a", new_key())
    first = recipients.revoke(session, "a").revoked_at
    with pytest.raises(recipients.AlreadyRevoked):
        recipients.revoke(session, "a")
    assert recipients.list_all(session)[0].revoked_at == first


def test_revoked_names_and_keys_stay_taken(session: Session) -> None:
    key = new_key()
    recipients.add(session, "a", key)
    recipients.revoke(session, "a")
    with pytest.raises(recipients.DuplicateName):
        recipients.add(session, "a", new_key())
    with pytest.raises(recipients.DuplicateKey):
        recipients.add(session, "b", key)


def test_errors_have_stable_codes() -> None:
    assert {cls.code for cls in recipients.RecipientError.__subclasses__()} == {
        "bad_name",
        "bad_key",
        "duplicate_name",
        "duplicate_key",
        "unknown_recipient",
        "already_revoked",
    }
