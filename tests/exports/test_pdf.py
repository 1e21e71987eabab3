"""The dossier PDF: Korean, English and both, every font embedded, Korean wrapped inside the margins, fast
for a big target. Read back with poppler's pdftotext, pdffonts and pdfinfo, as a recipient would."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from reviewer.exports import pdf
from reviewer.exports.model import (
    Conduct,
    Dossier,
    EvidenceDocument,
    Identifier,
    NameForm,
    OrganizationRef,
    PostHeld,
    SanctionMatch,
    SourceUse,
    Target,
)
from reviewer.records.pictures.chain_cards import ChainNode, ChainTree, OrganizationCard, PersonCard
from reviewer.records.pictures.facility_map import MapFacility
from sori import create_app

MINISTRY = OrganizationRef(1, "국가보위성", "Ministry of State Security", "ministry", None)
BUREAU = OrganizationRef(2, "회령시 보위부", "Hoeryong City Security Department", "bureau", 1)
POST = PostHeld(1, 7, "리창대", 3, "부장", "Head of department", BUREAU, "1998-03", "2004", is_head=True)
#: The page's width minus its right margin (A4, 18 mm), in points.
RIGHT_EDGE = 595.28 - 18 * 72 / 25.4


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An application context for translations; rendering a dossier reads no database."""
    folder = tmp_path_factory.mktemp("pdf")
    app = create_app(
        {
            "TESTING": True,
            "SORI_DATA_DIR": folder / "data",
            "SORI_DATABASE_URL": f"sqlite:///{folder}/unused.db",
        }
    )
    with app.app_context():
        yield app


def act(act_id: int, **changes: object) -> Conduct:
    fields: dict[str, object] = {
        "act_id": act_id,
        "incident_id": 1,
        "incident_title": "회령 구류장 구타",
        "violation": "torture_interrogation",
        "date_start": "2019-03",
        "date_end": "2019-05",
        "facility_id": 4,
        "facility_name": "회령시 보위부 구류장",
        "place": None,
        "province": "north-hamgyong",
        "county": "north-hamgyong/hoeryong",
        "victims": "V-1",
        "victim_count": 2,
        "description": "심문 중 구타",
        "degrees": ("ordered",),
        "perpetrators": (),
        "confidence": "high",
        "corroboration": 2,
    }
    fields.update(changes)
    return Conduct(**fields)  # type: ignore[arg-type]


def dossier(**changes: object) -> Dossier:
    target = Target(
        "person",
        7,
        "리창대",
        names=(
            NameForm("리창대", "hangul"),
            NameForm("Ri Chang Dae", "dprk"),
            NameForm("Yi Ch'ang-dae", "lc", "alias", "strong", "en"),
        ),
        gender="male",
        birth_date="1961-05",
        nationality=("KP",),
        identifiers=(Identifier("passport", "745123456", "KP"),),
        posts=(POST,),
    )
    fields: dict[str, object] = {
        "target": target,
        "purpose": "sanctions",
        "created_at": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        "created_by": "reviewer-login",
        "submitter": {"organization": "Example NGO", "contact_name": "Desk", "email": "desk@example.org"},
        "legal_basis": {"eu": ("eu_torture",), "us": ("us_serious_abuse",)},
        "conduct": (act(11), act(12, violation="arbitrary_detention")),
        "evidence": (
            SourceUse("W-0042", 11, "victim", "highly_reliable"),
            SourceUse("W-0043", 11, "witness", "likely_reliable"),
            SourceUse("W-0043", 12, "witness", "likely_reliable"),
        ),
        "documents": (EvidenceDocument("W-0042", "a" * 64, 2048, "2024-06-01"),),
        "chain_up": (BUREAU, MINISTRY),
        "superiors": (replace(POST, person_id=8, person_name="김정호", is_head=True),),
        "sources_included": 2,
        "sources_excluded": 3,
        "existing_sanctions": (SanctionMatch("RI Chang Dae", "un_sc", ("UN",), ("DPRK",), "Ri Chang Dae"),),
    }
    fields.update(changes)
    return Dossier(**fields)  # type: ignore[arg-type]


def poppler(tool: str, content: bytes, tmp_path: Path, *args: str) -> str:
    path = tmp_path / f"dossier-{time.monotonic_ns()}.pdf"
    path.write_bytes(content)
    return subprocess.run(
        [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def fonts(content: bytes, tmp_path: Path) -> list[dict[str, str]]:
    """pdffonts' table, one dict per font, columns cut where its dashed line says."""
    lines = poppler("pdffonts", content, tmp_path).splitlines()
    spans = [m.span() for m in re.finditer(r"-+", lines[1])]
    names = [lines[0][start:end].strip() or lines[0][start:].split()[0] for start, end in spans]
    return [
        {name: line[start:end].strip() for name, (start, end) in zip(names, spans, strict=True)}
        for line in lines[2:]
    ]


def test_the_korean_pdf_carries_the_hangul_names_and_korean_place_names(app: Flask, tmp_path: Path) -> None:
    text = poppler("pdftotext", pdf.render(dossier(), "ko"), tmp_path)
    assert "리창대" in text
    assert "김정호" in text
    assert "국가보위성" in text
    assert "함경북도 회령시" in text
    assert "Hoeryong, North Hamgyong" not in text


def test_the_english_pdf_carries_the_romanized_names_and_english_labels(app: Flask, tmp_path: Path) -> None:
    text = poppler("pdftotext", pdf.render(dossier(), "en"), tmp_path)
    assert "Ri Chang Dae" in text
    assert "Yi Ch'ang-dae" in text
    assert "Ministry of State Security" in text
    assert "Hoeryong, North Hamgyong" in text
    for heading in ("Conduct", "Evidence and corroboration matrix", "Chain of command", "Existing sanctions"):
        assert heading in text
    assert "Torture or beating during interrogation" in text
    assert "3 sources were left out for lack of consent." in text


def test_the_bilingual_pdf_carries_both_languages(app: Flask, tmp_path: Path) -> None:
    text = poppler("pdftotext", pdf.render(dossier(), "both"), tmp_path)
    assert "함경북도 회령시" in text
    assert "Hoeryong, North Hamgyong" in text
    assert "리창대 (Ri Chang Dae)" in text


def test_sections_come_in_the_order_a_sanctions_submission_needs(app: Flask, tmp_path: Path) -> None:
    text = poppler("pdftotext", pdf.render(dossier(), "en"), tmp_path)
    headings = [
        "Submitter and point of contact",
        "Legal basis",
        "Identification of the target",
        "Conduct",
        "Evidence and corroboration matrix",
        "Chain of command",
        "Exculpatory information",
        "Methodology and chain of custody",
        "Consent and protection measures",
        "Existing sanctions",
    ]
    lines = [line.strip() for line in text.splitlines()]
    positions = [lines.index(heading) for heading in headings]
    assert positions == sorted(positions)


def test_the_evidence_matrix_lists_each_acts_sources_with_connection_and_reliability(
    app: Flask, tmp_path: Path
) -> None:
    text = " ".join(poppler("pdftotext", pdf.render(dossier(), "en"), tmp_path).split())
    matrix = text[text.index("Evidence and corroboration matrix") : text.index("Chain of command")]
    assert (
        "Act 11: Torture or beating during interrogation "
        "Victim, Highly reliable: W-0042 Witness, Likely reliable: W-0043" in matrix
    )
    assert "Act 12: Arbitrary arrest or detention Witness, Likely reliable: W-0043" in matrix
    assert "a" * 64 in text


@pytest.mark.parametrize("lang", pdf.LANGUAGES)
def test_every_font_is_embedded(app: Flask, tmp_path: Path, lang: str) -> None:
    found = fonts(pdf.render(dossier(), lang), tmp_path)
    assert found, "pdffonts lists no font"
    assert all(font["emb"] == "yes" for font in found), found
    assert {font["name"].split("+")[-1] for font in found} <= {"NanumGothic", "NanumGothicBold"}


def test_long_korean_text_wraps_inside_the_margins(app: Flask, tmp_path: Path) -> None:
    spaced = "보위부 구류장에서 심문을 받으며 여러 차례 구타를 당하였다 " * 200
    unbroken = "가나다라마바사아자차카타파하" * 150
    content = pdf.render(
        dossier(
            conduct=(act(11, description=spaced), act(12, description=unbroken)), exculpatory=(unbroken,)
        ),
        "ko",
    )
    pages = int(re.search(r"Pages:\s+(\d+)", poppler("pdfinfo", content, tmp_path)).group(1))  # type: ignore[union-attr]
    assert 3 <= pages <= 30
    boxes = poppler("pdftotext", content, tmp_path, "-bbox")
    right_edges = [float(x) for x in re.findall(r'xMax="([\d.]+)"', boxes)]
    assert right_edges and max(right_edges) <= RIGHT_EDGE + 1


def test_testimony_text_is_printed_as_text_not_markup(app: Flask, tmp_path: Path) -> None:
    content = pdf.render(
        dossier(conduct=(act(11, description="<b>구타</b> & <font name='Helvetica'>"),)), "en"
    )
    text = poppler("pdftotext", content, tmp_path)
    assert "<b>구타</b> & <font name='Helvetica'>" in " ".join(text.split())
    assert all(font["emb"] == "yes" for font in fonts(content, tmp_path))


def test_metadata_names_the_target_and_organization_but_no_person_who_exported(
    app: Flask, tmp_path: Path
) -> None:
    info = poppler("pdfinfo", pdf.render(dossier(), "en"), tmp_path)
    assert re.search(r"Title:\s+Dossier: Ri Chang Dae \(리창대\)", info)
    assert re.search(r"Author:\s+Example NGO", info)
    assert "reviewer-login" not in info
    assert "reviewer-login" not in poppler("pdftotext", pdf.render(dossier(), "en"), tmp_path)


def test_the_same_dossier_renders_to_the_same_bytes(app: Flask) -> None:
    assert pdf.render(dossier(), "both") == pdf.render(dossier(), "both")


def test_an_unknown_language_is_refused(app: Flask) -> None:
    with pytest.raises(pdf.UnknownLanguage):
        pdf.render(dossier(), "fr")


def test_a_thousand_acts_and_three_thousand_sources_render_within_ten_seconds(app: Flask) -> None:
    sources = [f"W-{n:04d}" for n in range(3000)]
    acts = tuple(act(n, description="심문 중 구타 " * 10) for n in range(1000))
    # Every source supports one act and every act has three more sources: 6,000 lines of evidence.
    evidence = tuple(SourceUse(ref, n % 1000, "victim", "likely_reliable") for n, ref in enumerate(sources))
    evidence += tuple(
        SourceUse(sources[(n * 7 + k) % 3000], n, "witness", "unsure") for n in range(1000) for k in range(3)
    )
    documents = tuple(EvidenceDocument(ref, "b" * 64, 4096, "2024-06-01") for ref in sources)
    big = dossier(conduct=acts, evidence=evidence, documents=documents, sources_included=3000)
    pdf.render(dossier(), "ko")  # fonts registered and translations loaded, as in a running server
    # Processor time, not wall-clock time: the suite shares its two cores with other work.
    started = time.process_time()
    content = pdf.render(big, "ko")
    assert time.process_time() - started <= 10
    assert content.startswith(b"%PDF")


def _diagram() -> ChainTree:
    """A chain whose names appear in the drawing only (the tables of the dossier do not hold them)."""
    guard = ChainNode(
        PersonCard(9, "석만길", "Sok Man Gil", "계호원", "Guard", start="2018", acts=2), sources=2
    )
    unit = ChainNode(
        OrganizationCard(5, "온성군 보위부 구류장 계호대", "Onsong Guard Unit"), (guard,), sources=2
    )
    head = PersonCard(8, "도경삼", "To Kyong Sam", start="2012", end="2017", command=True)
    top = ChainNode(
        OrganizationCard(1, "국가보위성", "Ministry of State Security", (head,), target=True), (unit,)
    )
    return ChainTree((top,), posts=1, acts=2)


def test_the_pictures_are_vector_drawings_whose_names_are_text(app: Flask, tmp_path: Path) -> None:
    marks = (MapFacility(4, "온성군 보위부 구류장", "kuryujang", "north-hamgyong", 42.957, 129.993, True),)
    content = pdf.render(dossier(chain_diagram=_diagram(), facilities=marks), "both")
    words = re.findall(r">([^<]+)</word>", poppler("pdftotext", content, tmp_path, "-bbox"))
    for name in ("석만길", "Sok", "도경삼", "Kyong", "계호대", "온성군", "함경북도"):
        assert name in words, name
    # Drawn as paths, not pasted as pictures: poppler's SVG of the pages has paths and no image.
    drawn = tmp_path / "pages.svg"
    path = tmp_path / "pictures.pdf"
    path.write_bytes(content)
    subprocess.run(["pdftocairo", "-svg", str(path), str(drawn)], check=True, capture_output=True)
    page_svg = drawn.read_text("utf-8")
    assert page_svg.count("<path") > 50
    assert "<image" not in page_svg
    assert all(font["emb"] == "yes" for font in fonts(content, tmp_path))


def test_a_dossier_lists_its_acts_by_date_then_id_and_counts_in_words(app: Flask, tmp_path: Path) -> None:
    text = " ".join(
        poppler(
            "pdftotext", pdf.render(dossier(sources_included=1, sources_excluded=0), "en"), tmp_path
        ).split()
    )
    assert "1 source is included." in text
    assert "0 sources were left out for lack of consent." in text
    assert "1 independent sources" not in text
    assert "North Korea" in text and " KP" not in text
    assert "North Korean romanization (Ri Chang Dae)" not in text
