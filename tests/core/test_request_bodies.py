"""core/request_bodies.py: a body that falls behind the minimum average rate is cut, uploads at once are
capped with a translated "busy" answer, and an ordinary body passes untouched."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core import form_nonces, request_bodies
from core.request_bodies import BodyTooSlow, RateGuardedInput
from tests.intake.source_helpers import SOURCE_KEY
from tests.reviewer.helpers import csrf_token


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TricklingStream:
    """A client that sends ``piece`` bytes each read, ``seconds`` apart on the fake clock."""

    def __init__(self, clock: FakeClock, piece: bytes, seconds: float) -> None:
        self.clock, self.piece, self.seconds = clock, piece, seconds

    def read(self, size: int = -1) -> bytes:
        self.clock.now += self.seconds
        return self.piece


def test_a_trickle_is_cut_once_the_grace_is_spent() -> None:
    clock = FakeClock()
    guarded = RateGuardedInput(TricklingStream(clock, b"x", 10), None, 1024, 60, clock)
    reads = 0
    with pytest.raises(BodyTooSlow):
        while True:
            guarded.read(65536)
            reads += 1
    assert reads == 6  # the seventh byte came 70 s after the start: past the grace, at 0.1 byte/s
    assert BodyTooSlow.code == 408


def test_a_slow_tor_upload_passes_and_a_stall_is_forgiven_in_proportion() -> None:
    clock = FakeClock()
    # 100 MiB at 1 Mbit/s over 15 minutes: 128 KiB a second.
    guarded = RateGuardedInput(TricklingStream(clock, b"x" * 131072, 1), None, 2048, 60, clock)
    for _ in range(800):
        guarded.read(131072)
    # 100 MiB in: the next byte may come up to 100 MiB / 2 KiB/s = 14 hours after the start.
    assert guarded.deadline - clock.now > 10 * 3600


def test_an_ordinary_request_body_reads_as_usual(client: FlaskClient) -> None:
    response = client.post("/reviewer/login", data={"login": "nobody", "password": "x"})
    assert response.status_code in (400, 401)  # CSRF or refused: the body was read


def test_uploads_beyond_the_slots_are_told_to_try_again_in_a_minute(app: Flask, client: FlaskClient) -> None:
    app.extensions["sori.upload_slots"] = request_bodies.UploadSlots(0)
    page = client.post("/submit?lang=ko", data=b"--b--", content_type="multipart/form-data; boundary=b")
    assert page.status_code == 503 and page.headers["Retry-After"] == "60"
    assert page.headers["Cache-Control"] == "no-store"
    with app.test_request_context("/?lang=ko"):
        assert request_bodies.busy_message() in page.get_data(as_text=True)
    token = csrf_token(client, "/submit")
    api = client.post(
        "/api/submissions?lang=en",
        data=b"x" * 10,
        content_type="application/octet-stream",
        headers={"X-CSRFToken": token},
    )
    assert api.status_code == 503 and api.get_json()["error"] == "busy"
    assert "try again in a minute" in api.get_json()["message"]
    piece = client.put(
        "/api/uploads/" + "0" * 32, data=b"x", headers={"X-Upload-Offset": "0", "X-CSRFToken": token}
    )
    assert piece.status_code == 503


def test_slots_are_given_back(app: Flask) -> None:
    slots = request_bodies.UploadSlots(1)
    assert slots.take() and not slots.take()
    slots.give_back()
    assert slots.take()


def test_a_body_too_slow_gets_a_translated_408_and_keeps_nothing(app: Flask, client: FlaskClient) -> None:
    class Slow(io.BytesIO):
        """A body whose first read finds the client too slow (the rate itself is tested above)."""

        def read(self, size: int | None = -1) -> bytes:
            raise BodyTooSlow()

        def readinto(self, buffer: object) -> int:  # type: ignore[override]
            raise BodyTooSlow()

    token = csrf_token(client, "/submit")
    response = client.post(
        "/api/submissions?lang=ko",
        input_stream=Slow(b"x" * 100),
        content_type="application/octet-stream",
        content_length=100,
        headers={
            "X-Receipt-Key": "A" * 43,
            "X-Source-Key": SOURCE_KEY,
            "X-Form-Nonce": form_nonces.new(),
            "X-CSRFToken": token,
        },
    )
    assert response.status_code == 408, response.get_data(as_text=True)
    assert response.get_json()["error"] == "too_slow" and response.headers["Cache-Control"] == "no-store"
