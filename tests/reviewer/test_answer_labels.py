"""The reading page labels coded answers in the reviewer's language, places included."""

from __future__ import annotations

from flask import Flask

from reviewer.inbox.labels import answer_labels


def test_coded_answers_get_labels_in_both_languages(app: Flask) -> None:
    with app.test_request_context("/?lang=ko"):
        korean = answer_labels()["values"]
    with app.test_request_context("/?lang=en"):
        english = answer_labels()["values"]
    assert korean["where_division"]["north-hamgyong/hoeryong"] == "함경북도 회령시"
    assert english["where_division"]["north-hamgyong/hoeryong"] == "Hoeryong, North Hamgyong"
    assert set(korean["violations"]) == set(english["violations"]) and "forced_labour" in korean["violations"]
