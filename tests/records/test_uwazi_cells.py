"""Cells of the Uwazi layout: a partial date is the range of full days it stands for and reads back as the
same partial date; text a spreadsheet could run is made inert and reads back exactly
(reviewer/records/uwazi/cells.py)."""

from __future__ import annotations

import pytest

from reviewer.records.uwazi import cells

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize(
    ("partial", "cell"),
    [
        ("2019-12", "2019-12-01:2019-12-31"),  # the month is kept (Uwazi alone would read 2019-01-01)
        ("1970", "1970-01-01:1970-12-31"),  # a year is not the timestamp 0
        ("2012-04", "2012-04-01:2012-04-30"),  # full days read alike under a dd/MM/yyyy instance
        ("2020-02", "2020-02-01:2020-02-29"),
        ("2019-03-14", "2019-03-14:2019-03-14"),
    ],
)
def test_a_partial_date_is_the_range_of_days_it_stands_for_and_reads_back(partial: str, cell: str) -> None:
    assert cells.date_range(partial) == cell
    assert cells.read_partial_date(cell) == partial


def test_a_single_day_may_stand_alone_when_read() -> None:
    assert cells.read_partial_date("2019-03-14") == "2019-03-14"
    assert cells.read_partial_date("") is None


@pytest.mark.parametrize(
    "cell", ["2019-12", "12/03/2019", "2019-02-30:2019-03-01", "2020-01-01:2019-01-01", "1899"]
)
def test_a_cell_that_is_no_range_of_full_days_is_refused(cell: str) -> None:
    with pytest.raises(cells.CellError) as refused:
        cells.read_range(cell)
    assert refused.value.code == "date_range"


def test_a_period_is_not_one_date() -> None:
    with pytest.raises(cells.CellError) as refused:
        cells.read_partial_date("2016-01-01:2019-12-31")
    assert refused.value.code == "one_date"


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2019-12", "2020-01"),
        ("2015", "2016"),
        ("2019-01", "2019-12"),
        ("2016", "2019-05"),
        ("2017-03-01", None),
    ],
)
def test_a_period_reads_back_from_its_range_and_the_date_as_recorded(start: str, end: str | None) -> None:
    cell, recorded = cells.date_range(start, end), cells.as_recorded(start, end)
    assert cells.read_period(cell, recorded) == (start, end)


def test_without_the_date_as_recorded_a_period_reads_as_the_widest_dates_of_its_range() -> None:
    assert cells.read_period("2015-01-01:2016-12-31", "") == ("2015", "2016")
    assert cells.read_period("2019-12-01:2020-01-31", "") == ("2019-12", "2020-01")
    assert cells.read_period("2019-01-01:2019-12-31", "") == ("2019", None)
    assert cells.read_period("2019-01-05:2019-02-28", "") == ("2019-01-05", "2019-02")
    assert cells.read_period("", "") == (None, None)


def test_wording_that_is_no_sori_date_leaves_the_range_and_a_disagreeing_date_is_refused() -> None:
    assert cells.read_period("2019-12-01:2020-02-29", "2019 winter") == ("2019-12", "2020-02")
    with pytest.raises(cells.CellError) as refused:
        cells.read_period("2019-01-01:2019-12-31", "2018")
    assert refused.value.code == "date_disagrees"


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-2", "@SUM(A1)", "\t=1", "\r=1", "'=1", "'quoted'", "''", "plain", "리창대", ""]
)
def test_inert_text_runs_in_no_spreadsheet_and_reads_back_exactly(text: str) -> None:
    cell = cells.inert(text)
    assert not cell.startswith(FORMULA_STARTS)
    assert cells.plain(cell) == text
    assert cell == text or cell == "'" + text


def test_each_title_of_a_link_cell_is_inert_as_its_title_cell_is() -> None:
    titles = ["=A", "B", "-C", "'D"]
    cell = cells.inert(cells.links(titles))
    assert cell.split("|") == [cells.inert(title) for title in titles]
    assert cells.read_links(cell) == titles


def test_identifiers_and_coordinates_read_back() -> None:
    assert cells.read_identifier(cells.identifier("745123456", "kp")) == ("745123456", "kp")
    assert cells.read_identifier(cells.identifier("DEMO 1", None)) == ("DEMO 1", "")
    assert cells.coordinates(42.957, 129.993) == "42.957|129.993"
    assert cells.read_coordinates("42.957|129.993") == ("42.957", "129.993")
    with pytest.raises(cells.CellError):
        cells.read_coordinates("42.957")
