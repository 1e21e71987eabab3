"""Spelling-insensitive name keys (reviewer/names.py): every spelling of one person or place shares a key
with every other, clearly different names do not, and the keys do not care about case, spaces or hyphens.

Pure functions, no application or database: these tests are fast.
"""

from __future__ import annotations

import doctest
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reviewer import names
from reviewer.names import MAX_KEYS, normalise, same_name, search_keys

# Each group: spellings of one name that must all meet each other (Hangul, North and South Korean spelling,
# DPRK official, Revised and McCune–Reischauer romanization, common personal spellings).
SAME = {
    "Ri Chang Dae": ["리창대", "이창대", "Ri Chang Dae", "Lee Chang-dae", "Yi Ch'ang-dae", "Yi Ch’ang-dae",
                     "ri chang-dae", "RICHANGDAE", "Rhee Changdae", "I Chang-dae", "리 창대"],
    "Kim Jong Un": ["김정은", "Kim Jong Un", "Kim Jong-un", "Gim Jeong-eun", "Kim Chŏng-ŭn", "KIM JONG UN"],
    "Kim Il Sung": ["김일성", "Kim Il Sung", "Kim Il-sung", "Gim Il-seong", "Kim Ilsung"],
    "Kim Ryon Hui": ["김련희", "김연희", "Kim Ryon Hui", "Kim Yeon-hee", "Gim Yeon-hui", "Kim Yŏn-hŭi"],
    "Thae Yong Ho": ["태영호", "Thae Yong Ho", "Tae Young-ho", "T'ae Yŏng-ho", "Tae Yeong-ho"],
    "Pak": ["박", "Park", "Pak", "Bak"],
    "Choe": ["최", "Choe", "Choi", "Chwe", "Ch'oe"],
    "Ryu": ["류", "유", "Ryu", "Yu", "Yoo", "Rhyu", "Lyu"],
    "Ro": ["로", "노", "Ro", "Noh", "No", "Roh"],
    "Ri": ["리", "이", "Ri", "Lee", "Rhee", "Yi", "I", "Li"],
    "Rim": ["림", "임", "Rim", "Lim", "Im", "Yim", "Rhim"],
    "Ra": ["라", "나", "Ra", "Na"],
    "Ryang": ["량", "양", "Ryang", "Yang"],
    "Kim": ["김", "Kim", "Gim"],
    "Jong": ["정", "Jung", "Jeong", "Chong", "Chung", "Ch'ŏng"],
    "Kang": ["강", "Kang", "Gang"],
    "Jo": ["조", "Cho", "Jo"],
    "Yun": ["윤", "Yoon", "Yun", "Youn"],
    "Jang": ["장", "Jang", "Chang"],
    "Sin": ["신", "Shin", "Sin"],
    "O": ["오", "Oh", "O"],
    "So": ["서", "Seo", "So", "Suh", "Sŏ"],
    "Kwon": ["권", "Kwon", "Gwon", "Kwŏn"],
    "An": ["안", "Ahn", "An"],
    "Song": ["성", "Sung", "Song", "Seong"],
    "Jon": ["전", "Jeon", "Jon", "Chun", "Chon", "Chŏn"],
    "Ko": ["고", "Ko", "Go", "Koh"],
    "Mun": ["문", "Moon", "Mun"],
    "Pae": ["배", "Bae", "Pae"],
    "Paek": ["백", "Baek", "Paek"],
    "Ho": ["허", "Heo", "Ho", "Hur", "Huh", "Hŏ"],
    "Ju": ["주", "Joo", "Ju", "Chu"],
    "U": ["우", "Woo", "U"],
    "Hwang": ["황", "Hwang", "Whang"],
    "Hoeryong": ["회령", "Hoeryong", "Hoeryŏng", "Hweryong", "Hoeryeong", "HOERYONG"],
    "Chongjin": ["청진", "Chongjin", "Chŏngjin", "Cheongjin", "Ch'ŏngjin", "Chong-jin"],
    "Hamhung": ["함흥", "Hamhung", "Hamheung", "Hamhŭng"],
    "Hyesan": ["혜산", "Hyesan", "Hye-san", "HYESAN"],
    "Chongori": ["전거리", "Chongori", "Jeongeori", "Chŏn'gŏri", "Chŏn-gŏ-ri"],
    "Yodok": ["요덕", "Yodok", "Yodeok", "Yodŏk"],
    "Kaechon": ["개천", "Kaechon", "Gaecheon", "Kaech'ŏn"],
    "Onsong": ["온성", "Onsong", "Onseong", "Onsŏng"],
    "MSS": ["국가보위성", "Kukka Bowisong", "Gukga Bowiseong", "Kukka Powisŏng", "kukka-bowisong"],
    "Pyongyang": ["평양", "Pyongyang", "Phyongyang", "P'yŏngyang", "Pyeongyang"],
    "Kaesong": ["개성", "Kaesong", "Gaeseong", "Kaesŏng"],
    "Sinuiju": ["신의주", "Sinuiju", "Sinŭiju"],
    "Chongo-ri kyohwaso": ["전거리교화소", "전거리 교화소", "Chongori Kyohwaso", "Jeongeori gyohwaso"],
    "Camp 15": ["15호 관리소", "15-ho Kwanriso", "15ho kwalliso", "15호 Kwanliso"],
    "Jeolla": ["전라", "Jeolla", "Chŏlla"],
    "Kyonkha": ["견카", "Kyon Kha", "Kyonkha", "Gyeonka", "Kyŏnk'a"],  # kh is not ng + h
}  # fmt: skip

# Pairs that must not meet: different people and places, however close.
DIFFERENT = [
    ("김정은", "김정일"),
    ("Kim Jong Un", "Kim Jong Il"),
    ("Kim Jong-un", "김정일"),
    ("박", "백"),
    ("Park", "Baek"),
    ("회령", "회양"),
    ("Hoeryong", "Hoeyang"),
    ("청진", "정주"),
    ("Chongjin", "Jongju"),
    ("요덕", "개천"),
    ("함흥", "혜산"),
    ("김", "이"),
    ("Kim", "Lee"),
    ("최", "채"),
    ("리창대", "리창도"),
    ("Ri Chang Dae", "Ri Chang Do"),
    ("순영", "수영"),  # a final ㄴ before ㅇ is not the initial-sound rule
    ("정희", "정이"),  # ng + h keeps its h
    ("15호 관리소", "16호 관리소"),
    ("국가보위성", "인민보안성"),
    ("", ""),  # nothing to compare
]


def _cases() -> list[tuple[str, str, str]]:
    return [
        (group, a, b) for group, spellings in SAME.items() for a, b in itertools.combinations(spellings, 2)
    ]


@pytest.mark.parametrize(("group", "a", "b"), _cases())
def test_spellings_of_one_name_meet(group: str, a: str, b: str) -> None:
    assert same_name(a, b), f"{group}: {a!r} {sorted(search_keys(a))} vs {b!r} {sorted(search_keys(b))}"


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_names_do_not_meet(a: str, b: str) -> None:
    assert not same_name(a, b), f"{a!r} and {b!r} share {sorted(search_keys(a) & search_keys(b))}"


def test_the_groups_are_apart_from_each_other() -> None:
    # Beyond the listed pairs: the table's groups are all different names, and no two of them meet.
    firsts = {group: spellings[0] for group, spellings in SAME.items()}
    meeting = [(g, h) for g, h in itertools.combinations(firsts, 2) if same_name(firsts[g], firsts[h])]
    assert meeting == []


def test_normalise() -> None:
    assert normalise("  Ch'ŏngjin--SI ") == "chongjin si"
    assert normalise("Yi Ch’ang-dae") == "yi chang dae"
    assert normalise("ＫＩＭ　Jong·Un") == "kim jong un"  # full-width letters and space, a middle dot
    assert normalise("김정은 (金正恩)") == "김정은 金正恩"
    # Hangul typed as conjoining jamo (NFD) is the same as precomposed syllables.
    assert normalise("\u1100\u1175\u11b7") == "김"
    assert search_keys("\u1100\u1175\u11b7") == search_keys("김")


def test_no_letters_no_keys() -> None:
    assert search_keys("") == frozenset()
    assert search_keys(" - ' ") == frozenset()
    assert not same_name("", "Kim")


def test_keys_are_few_and_never_empty() -> None:
    # Every ㅓ-as-u spot doubles the readings; the count stays bounded.
    keys = search_keys("Jung Sung Kyung Byung Hyung Myung Chung")
    assert 1 < len(keys) <= MAX_KEYS
    assert all(keys)


def test_the_module_examples_hold() -> None:
    result = doctest.testmod(names, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


# --- Properties -----------------------------------------------------------------------------------------

_INITIALS_RR = ("g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "",
                "j", "jj", "ch", "k", "t", "p", "h")  # fmt: skip
_MEDIALS_RR = ("a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae",
               "oe", "yo", "u", "wo", "we", "wi", "yu", "eu", "ui", "i")  # fmt: skip
# DPRK official romanization (2002), written without diacritics as it is in practice: ㅓ and ㅗ are both o,
# ㅡ and ㅜ both u, aspirates kh th ph.
_INITIALS_DPRK = ("k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "",
                  "j", "jj", "ch", "kh", "th", "ph", "h")  # fmt: skip
_MEDIALS_DPRK = ("a", "ae", "ya", "yae", "o", "e", "yo", "ye", "o", "wa", "wae",
                 "oe", "yo", "u", "wo", "we", "wi", "yu", "u", "ui", "i")  # fmt: skip
_FINALS = ("", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l",
           "p", "l", "m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t")  # fmt: skip


def _jamo(syllable: str) -> tuple[int, int, int]:
    code = ord(syllable) - 0xAC00
    return code // 588, code % 588 // 28, code % 28


def _romanize(hangul: str, initials: tuple[str, ...], medials: tuple[str, ...]) -> list[str]:
    """One spelling per syllable: an independent, deliberately plain romanizer for the properties."""
    return [initials[i] + medials[m] + _FINALS[f] for i, m, f in map(_jamo, hangul)]


hangul_names = st.text(st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), min_size=1, max_size=5)
separators = st.sampled_from([" ", "-", " - ", "  ", "--", "·", ", "])


@given(hangul_names)
def test_a_hangul_name_meets_itself(name: str) -> None:
    assert search_keys(name)
    assert same_name(name, name)
    assert search_keys(name) == search_keys(" ".join(name))  # spaces between syllables change nothing


@given(hangul_names, st.sampled_from(["rr", "dprk"]))
def test_a_hangul_name_meets_its_romanization(name: str, system: str) -> None:
    initials, medials = (_INITIALS_RR, _MEDIALS_RR) if system == "rr" else (_INITIALS_DPRK, _MEDIALS_DPRK)
    syllables = _romanize(name, initials, medials)
    assert same_name(name, "-".join(syllables).capitalize())
    assert same_name(name, " ".join(s.capitalize() for s in syllables))


@given(hangul_names, st.data())
def test_romanization_keys_ignore_case_spaces_and_hyphens(name: str, data: st.DataObject) -> None:
    syllables = _romanize(name, _INITIALS_DPRK, _MEDIALS_DPRK)
    reference = search_keys("-".join(syllables))
    seps = [data.draw(separators) for _ in syllables[1:]]
    spelled = syllables[0] + "".join(sep + s for sep, s in zip(seps, syllables[1:], strict=True))
    cased = "".join(c.upper() if data.draw(st.booleans()) else c for c in spelled)
    assert search_keys(cased) == reference
    assert search_keys(f"  {cased} ") == reference


@given(st.integers(0, 20), st.integers(0, 27), hangul_names)
def test_the_initial_sound_rule_works_both_ways(medial: int, final: int, rest: str) -> None:
    # A name beginning with ㄹ (North Korean spelling) meets the same name beginning with ㅇ before i/y
    # and ㄴ before other vowels (South Korean spelling); ㄴ before i/y meets ㅇ.
    def syllable(initial: int) -> str:
        return chr(0xAC00 + (initial * 21 + medial) * 28 + final)

    i_or_y = _MEDIALS_RR[medial].startswith(("i", "y"))
    south = syllable(11 if i_or_y else 2)  # ㅇ or ㄴ
    assert same_name(syllable(5) + rest, south + rest)  # ㄹ
    if i_or_y:
        assert same_name(syllable(2) + rest, south + rest)  # ㄴ
