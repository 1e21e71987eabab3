"""The list of North Korean administrative divisions: the data file and the lookups the form uses."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from core import divisions

HANGUL = re.compile(r"^[가-힣]+( [가-힣]+)*$")
PROVINCE_CODE = re.compile(r"^[a-z]+(-[a-z]+)*$")
DIVISION_CODE = re.compile(r"^[a-z]+(-[a-z]+)*/[a-z]+(-[a-z]+)*$")

EXPECTED_FIRST_LEVEL = {
    # nine provinces
    "south-pyongan": "평안남도",
    "north-pyongan": "평안북도",
    "chagang": "자강도",
    "south-hwanghae": "황해남도",
    "north-hwanghae": "황해북도",
    "kangwon": "강원도",
    "south-hamgyong": "함경남도",
    "north-hamgyong": "함경북도",
    "ryanggang": "량강도",
    # the directly governed city
    "pyongyang": "평양직할시",
    # special cities
    "rason": "라선특별시",
    "nampho": "남포특별시",
    "kaesong": "개성특별시",
}


def raw_file() -> dict:
    text = resources.files("core").joinpath("data", "nk_divisions.json").read_text(encoding="utf-8")
    return json.loads(text)


def test_file_loads_with_its_provenance() -> None:
    raw = raw_file()
    assert set(raw) == {"source", "as_of", "note", "label_at", "provinces"}
    assert raw["source"].strip() and raw["as_of"].strip()
    # The note must say which status the special cities have, and that it changed over time.
    for word in ("라선", "남포", "개성", "특별시", "특급시"):
        assert word in raw["note"]
    assert len(raw["provinces"]) == len(divisions.provinces())


def test_all_first_level_units_present() -> None:
    found = {p.code: p.ko for p in divisions.provinces()}
    assert found == EXPECTED_FIRST_LEVEL
    kinds = {p.code: p.kind for p in divisions.provinces()}
    assert sum(1 for k in kinds.values() if k == "province") == 9
    assert kinds["pyongyang"] == "directly-governed-city"
    assert {kinds["rason"], kinds["nampho"], kinds["kaesong"]} == {"special-city"}


def test_enough_second_level_units() -> None:
    total = sum(len(p.divisions) for p in divisions.provinces())
    assert total >= 200
    for p in divisions.provinces():
        assert p.divisions, p.code


def test_codes_unique_and_well_formed() -> None:
    codes: list[str] = []
    for p in divisions.provinces():
        assert PROVINCE_CODE.match(p.code), p.code
        codes.append(p.code)
        for d in p.divisions:
            assert DIVISION_CODE.match(d.code), d.code
            assert d.code.split("/")[0] == p.code == d.province_code
            codes.append(d.code)
    assert len(codes) == len(set(codes))


def test_names_present_and_hangul_only() -> None:
    for p in divisions.provinces():
        units = [p, *p.divisions]
        for u in units:
            assert HANGUL.match(u.ko), (u.code, u.ko)
            assert u.en.strip() == u.en and u.en, u.code
            if u.ko_south is not None:
                assert HANGUL.match(u.ko_south) and u.ko_south != u.ko, u.code
            assert all(alt.strip() for alt in u.en_alt), u.code
        for d in p.divisions:
            assert d.kind in {"city", "county", "district"}, d.code
            # The Korean name ends in what the unit is.
            suffix = {"city": ("시",), "county": ("군",), "district": ("구역", "구", "지구")}[d.kind]
            assert d.ko.endswith(suffix), d.code
            for old in d.former:
                assert HANGUL.match(old.ko) and old.en, d.code


def test_no_duplicate_name_within_a_province() -> None:
    for p in divisions.provinces():
        kos = [d.ko for d in p.divisions]
        assert len(kos) == len(set(kos)), p.code


@pytest.mark.parametrize(
    ("code", "province_ko", "ko", "en", "kind"),
    [
        ("north-hamgyong/hoeryong", "함경북도", "회령시", "Hoeryong", "city"),
        ("north-hamgyong/chongjin", "함경북도", "청진시", "Chongjin", "city"),
        ("north-hamgyong/onsong", "함경북도", "온성군", "Onsong", "county"),
        ("north-hamgyong/musan", "함경북도", "무산군", "Musan", "county"),
        ("north-hamgyong/myonggan", "함경북도", "명간군", "Myonggan", "county"),
        ("ryanggang/hyesan", "량강도", "혜산시", "Hyesan", "city"),
        ("south-hamgyong/yodok", "함경남도", "요덕군", "Yodok", "county"),
        ("south-hamgyong/hamhung", "함경남도", "함흥시", "Hamhung", "city"),
        ("south-pyongan/kaechon", "평안남도", "개천시", "Kaechon", "city"),
        ("south-pyongan/pukchang", "평안남도", "북창군", "Pukchang", "county"),
        ("south-pyongan/chungsan", "평안남도", "증산군", "Chungsan", "county"),
        ("north-pyongan/sinuiju", "평안북도", "신의주시", "Sinuiju", "city"),
    ],
)
def test_known_places(code: str, province_ko: str, ko: str, en: str, kind: str) -> None:
    d = divisions.find(code)
    assert d is not None
    assert (d.ko, d.en, d.kind) == (ko, en, kind)
    parent = divisions.province(d.province_code)
    assert parent is not None and parent.ko == province_ko
    assert d in parent.divisions


def test_renamed_and_south_korean_spellings() -> None:
    myonggan = divisions.find("north-hamgyong/myonggan")
    assert myonggan is not None and "화성군" in {f.ko for f in myonggan.former}
    ryanggang = divisions.province("ryanggang")
    assert ryanggang is not None and ryanggang.ko_south == "양강도"
    rason = divisions.province("rason")
    assert rason is not None and rason.ko_south == "나선특별시"


def test_find_unknown() -> None:
    assert divisions.find("north-hamgyong/atlantis") is None
    assert divisions.find("north-hamgyong") is None  # a province is not a division
    assert divisions.province("north-hamgyong/hoeryong") is None


def test_label_both_languages() -> None:
    assert divisions.label("north-hamgyong/hoeryong", "ko") == "함경북도 회령시"
    assert divisions.label("north-hamgyong/hoeryong", "en") == "Hoeryong, North Hamgyong"
    assert divisions.label("ryanggang/hyesan", "ko_KR") == "량강도 혜산시"
    assert divisions.label("ryanggang/hyesan", "fr") == "Hyesan, Ryanggang"
    assert divisions.label("north-hamgyong", "ko") == "함경북도"
    assert divisions.label("north-hamgyong", "en") == "North Hamgyong"
    with pytest.raises(KeyError):
        divisions.label("nowhere", "ko")


def test_choices_shape() -> None:
    for locale in ("ko", "en"):
        groups = divisions.choices(locale)
        assert [g for g, _ in groups] == [p.name(locale) for p in divisions.provinces()]
        all_codes = [code for _, options in groups for code, _ in options]
        assert len(all_codes) == len(set(all_codes)) == sum(len(p.divisions) for p in divisions.provinces())
        for group, options in groups:
            assert isinstance(group, str) and options
            for code, text in options:
                assert divisions.find(code) is not None and text
            names = [text for _, text in options]
            assert names == sorted(names, key=str.casefold)
    ko_groups = dict(divisions.choices("ko"))
    assert ("north-hamgyong/hoeryong", "회령시") in ko_groups["함경북도"]
    en_groups = dict(divisions.choices("en"))
    assert ("north-hamgyong/hoeryong", "Hoeryong") in en_groups["North Hamgyong"]


def test_loaded_once_and_immutable() -> None:
    assert divisions.provinces()[0] is divisions.provinces()[0]
    first = divisions.provinces()
    first.clear()
    assert divisions.provinces(), "callers get a copy of the list"
    d = divisions.find("north-hamgyong/hoeryong")
    assert d is not None
    with pytest.raises(AttributeError):
        d.ko = "x"  # type: ignore[misc]
