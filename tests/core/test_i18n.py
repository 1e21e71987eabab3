"""Language choice (lang parameter, Accept-Language, Korean fallback) and the completeness of the catalogs."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from core.config import REPO_ROOT
from core.i18n import TRANSLATIONS_DIR, compile_catalogs

KOREAN_TITLE = "겪은 일을 안전하게 알려 주십시오"
ENGLISH_TITLE = "Tell what happened, safely"


@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        ("", None, "ko"),
        ("", "en-US,en;q=0.9", "en"),
        ("", "ko-KR,ko;q=0.9,en-US;q=0.8", "ko"),
        ("", "en;q=0.5,ko;q=0.9", "ko"),
        ("", "fr-FR,fr;q=0.9,de;q=0.8", "ko"),
        ("", "zh-CN,en;q=0.3", "en"),
        ("?lang=en", "ko-KR", "en"),
        ("?lang=ko", "en-US", "ko"),
        ("?lang=fr", "en-US", "en"),
        ("?lang=", None, "ko"),
    ],
)
def test_language_selection(client: FlaskClient, query: str, accept: str | None, expected: str) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    body = client.get("/" + query, headers=headers).get_data(as_text=True)
    assert f'<html lang="{expected}">' in body
    assert (KOREAN_TITLE if expected == "ko" else ENGLISH_TITLE) in body


def test_language_switch_links(client: FlaskClient) -> None:
    korean = client.get("/").get_data(as_text=True)
    assert 'href="/?lang=en">English</a>' in korean
    english = client.get("/?lang=en").get_data(as_text=True)
    assert 'href="/?lang=ko">한국어</a>' in english


def test_chosen_language_is_carried_by_links_not_cookies(client: FlaskClient) -> None:
    response = client.get("/?lang=en", headers={"Accept-Language": "ko"})
    assert "Set-Cookie" not in response.headers
    body = response.get_data(as_text=True)
    assert '<a class="brand" href="/?lang=en">' in body
    assert "/static/sori.css?v=" in body and "lang=en?v=" not in body  # files stay language-free


def test_error_pages_are_translated_and_echo_nothing(client: FlaskClient) -> None:
    probe = "/%3Cscript%3Eprobe%3C/script%3E"
    korean = client.get(probe).get_data(as_text=True)
    english = client.get(probe + "?lang=en").get_data(as_text=True)
    assert '<html lang="ko">' in korean and "화면을 찾을 수 없습니다" in korean
    assert '<html lang="en">' in english and "Page not found" in english
    for body in (korean, english):
        assert "probe" not in body
    assert 'href="/?lang=ko">한국어</a>' in english


def po(lang: str) -> dict[str, str]:
    with (TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return {m.id: m.string for m in read_po(file) if m.id}


def test_every_string_in_the_code_is_translated() -> None:
    method_map = [
        ("core/**.py", "python"),
        ("intake/**.py", "python"),
        ("reviewer/**.py", "python"),
        ("templates/**.html", "jinja2"),
    ]
    in_code = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            REPO_ROOT, method_map, keywords={**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
        )
    }
    korean, english = po("ko"), po("en")
    assert in_code == set(korean) == set(english), "run pybabel extract/update (see babel.cfg)"
    assert all(korean.values()), "untranslated Korean strings"
    assert english == {msgid: msgid for msgid in english}


def test_compile_catalogs_writes_only_stale_catalogs(tmp_path: Path) -> None:
    source = TRANSLATIONS_DIR / "ko" / "LC_MESSAGES" / "messages.po"
    target = tmp_path / "ko" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "messages.po").write_bytes(source.read_bytes())

    assert compile_catalogs(tmp_path) == [target / "messages.mo"]
    assert compile_catalogs(tmp_path) == []
    catalog = read_mo(io.BytesIO((target / "messages.mo").read_bytes()))
    assert catalog.get("Quick exit").string == "바로 나가기"

    mo_time = (target / "messages.mo").stat().st_mtime_ns
    os.utime(target / "messages.po", ns=(mo_time + 10**9, mo_time + 10**9))
    assert compile_catalogs(tmp_path) == [target / "messages.mo"]
    assert sorted(p.name for p in target.iterdir()) == ["messages.mo", "messages.po"]


def _korean_strings() -> list[str]:
    with open(TRANSLATIONS_DIR / "ko" / "LC_MESSAGES" / "messages.po", "rb") as file:
        catalog = read_po(file, locale="ko")
    strings: list[str] = []
    for message in catalog:
        if message.id:
            strings += [message.string] if isinstance(message.string, str) else list(message.string)
    return strings


def test_korean_keeps_one_politeness_level() -> None:
    """-습니다/-십시오 throughout (docs/korean-glossary.md): no -세요, -나요 or -까요 beside them."""
    mixed = [s for s in _korean_strings() if any(ending in s for ending in ("세요", "나요?", "까요?"))]
    assert not mixed


def test_korean_never_falls_back_to_both_particles() -> None:
    """No 은(는), 이(가), 을(를), 와(과), (으)로: sentences are built so that a name or number is followed
    by a noun, never by a particle that depends on how it ends."""
    fallbacks = ("(는)", "(가)", "(를)", "(과)", "(으)로", "(이)")
    assert not [s for s in _korean_strings() if any(f in s for f in fallbacks)]


def test_korean_uses_the_glossary_s_terms() -> None:
    """The choices of docs/korean-glossary.md that replaced mixed or misleading words."""
    banned = ("직위", "참조 번호", "면책 정보", "검증된 키", "방지하지 않음", "넘길 수", "머리글자")
    assert not [s for s in _korean_strings() if any(word in s for word in banned)]
