"""The dossier as a PDF for governments: Korean, English or both, every font embedded.

:func:`render` lays out a :class:`~reviewer.exports.model.Dossier` in the sections a sanctions submission
needs (DESIGN.md section 5). All text, Latin included, is set in Nanum Gothic embedded as TrueType subsets,
so the file shows the same Hangul on every reader; none of the standard 14 fonts and none of reportlab's
CID fonts (which are never embedded) is used, not even for page numbers. Korean wraps at spaces, as Korean
is written (keep-all); a run too long for a line is split between characters rather than overflowing.

Labels are translated with flask-babel, so :func:`render` needs an application context. With ``both``,
every label reads "Korean / English" and every paragraph of prose comes in Korean, then in English.
The evidence matrix lists each act's sources instead of drawing a sources × acts grid, so a target with a
thousand acts and thousands of sources still renders in seconds.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from core import divisions
from reviewer.exports import legal
from reviewer.exports.model import Conduct, Dossier, OrganizationRef, PostHeld, Target
from reviewer.exports.settings import SUBMITTER_FIELDS
from reviewer.records import dates, vocab

LANGUAGES = ("ko", "en", "both")

FONT_DIR = Path("/usr/share/fonts/truetype/nanum")
FONT = "SoriNanumGothic"
FONT_BOLD = "SoriNanumGothic-Bold"

#: Rows per table of the list of documents: small tables split across pages cheaply.
_ROWS_PER_TABLE = 40
_MARGIN = 18 * mm
#: Measured widths kept per font before starting afresh (a few MB at most).
_WIDTH_CACHE = 50_000

#: Every fixed text of the dossier. Messages with ``%(name)s`` are formatted after translation.
TEXT = {
    "title": _l("Dossier"),
    "target_person": _l("Person"),
    "target_organization": _l("Organization"),
    "target_facility": _l("Facility"),
    "purpose": _l("Purpose"),
    "date": _l("Date"),
    "prepared_by": _l("Prepared by"),
    "not_set": _l("not given"),
    "none": _l("none recorded"),
    "page": _l("Page %(n)s"),
    "classification_sanctions": _l(
        "Confidential. Prepared for the sanctions authorities it is submitted to; not for publication. "
        "Sources appear only under pseudonymous references; do not try to identify them."
    ),
    "classification_public": _l(
        "For public reporting. Every source consented to anonymised public use; sources appear only "
        "under pseudonymous references."
    ),
    "classification_internal": _l(
        "Internal working document of the submitting organization. Not for distribution."
    ),
    "submitter": _l("Submitter and point of contact"),
    "legal": _l("Legal basis"),
    "legal_intro": _l(
        "By the types of violation recorded, the conduct set out below falls under these categories of "
        "each sanctions regime. The categories are proposed for assessment, not a legal finding."
    ),
    "identification": _l("Identification of the target"),
    "kind": _l("Kind"),
    "organization_kind": _l("Kind of organization"),
    "names": _l("Names"),
    "name": _l("Name"),
    "style": _l("Spelling"),
    "language": _l("Language"),
    "gender": _l("Gender"),
    "birth_date": _l("Date of birth"),
    "birth_place": _l("Place of birth"),
    "nationality": _l("Nationality"),
    "identifiers": _l("Identifiers"),
    "number": _l("Number"),
    "country": _l("Country"),
    "posts": _l("Positions held"),
    "position": _l("Position"),
    "organization": _l("Organization"),
    "period": _l("Period"),
    "head": _l("head of the organization"),
    "facility_kind": _l("Kind of facility"),
    "agency": _l("Managing agency"),
    "operator": _l("Operated by"),
    "location": _l("Location"),
    "coordinates": _l("Coordinates"),
    "description": _l("Description"),
    "precision_year": _l("year known"),
    "precision_month": _l("month known"),
    "precision_day": _l("exact day"),
    "conduct": _l("Conduct"),
    "conduct_intro": _l("%(n)s acts are attributed to the target, one by one below."),
    "act": _l("Act %(id)s"),
    "act_column": _l("Act"),
    "incident": _l("Incident"),
    "violation": _l("Violation"),
    "place": _l("Place"),
    "victims": _l("Victims"),
    "victim_count": _l("%(n)s victims"),
    "involvement": _l("Involvement"),
    "under_command": _l(
        "Done by persons under the target's command while the target held the post above them (command "
        "responsibility)"
    ),
    "perpetrators": _l("Persons involved"),
    "confidence": _l("Reviewer's confidence"),
    "corroboration": _l("Corroboration"),
    "sources_count": _l("%(n)s independent sources"),
    "evidence": _l("Evidence and corroboration matrix"),
    "evidence_intro": _l(
        "For each act, the sources that support it: pseudonymous reference, the source's connection to "
        "the events and the reviewers' assessment of its reliability. %(n)s sources are included."
    ),
    "sources": _l("Sources"),
    "no_sources": _l("no source included"),
    "chain": _l("Chain of command"),
    "chain_up": _l("Organizations above, nearest first"),
    "superiors": _l("Superiors in office"),
    "subordinates": _l("Persons in command below"),
    "person": _l("Person"),
    "exculpatory": _l("Exculpatory information"),
    "no_exculpatory": _l("No exculpatory information was recorded."),
    "methodology": _l("Methodology and chain of custody"),
    "methodology_text": _l(
        "Testimony was given through Sori, an intake service reachable over Tor. Each account was encrypted "
        "in the source's browser (or on arrival) to the public keys of vetted reviewers before it was "
        "stored; the server never holds it in readable form. Reviewers read accounts on their own devices, "
        "and every reading, change and export is written to a hash-chained audit trail."
    ),
    "verification_text": _l(
        "An account counts as evidence only after two different reviewers have verified it. Records are "
        "derived from accounts without editing them; the facts below come from those records."
    ),
    "digests_text": _l(
        "The encrypted envelopes relied on are listed with their SHA-256 digests, so that the organization "
        "can show later that the evidence has not changed since it was received."
    ),
    "source": _l("Source"),
    "digest": _l("SHA-256 of the envelope"),
    "size": _l("Size (bytes)"),
    "received": _l("Received on"),
    "consent": _l("Consent and protection measures"),
    "consent_text": _l(
        "Only sources whose consent covers this purpose are included: %(n)s sources. Sources are named "
        "only by pseudonymous references, and no detail that could identify a source is part of this "
        "dossier."
    ),
    "excluded": _l("%(n)s sources were left out for lack of consent."),
    "sanctions": _l("Existing sanctions"),
    "sanctions_intro": _l(
        "Possible matches in the imported sanctions lists, for confirmation: a match by name is not proof "
        "that the listed person or entity is the target."
    ),
    "no_sanctions": _l("No possible match in the imported sanctions lists."),
    "dataset": _l("List"),
    "authorities": _l("Authorities"),
    "programs": _l("Programmes"),
    "matched_name": _l("Matched name"),
    "birth_dates": _l("Dates of birth"),
}

#: The vocabularies whose codes the dossier shows, as code -> label.
_VOCABULARIES: dict[str, Mapping[str, Any]] = {
    "genders": vocab.GENDERS,
    "styles": vocab.NAME_STYLES,
    "name_kinds": vocab.NAME_KINDS,
    "qualities": vocab.NAME_QUALITIES,
    "identifiers": vocab.IDENTIFIER_KINDS,
    "organizations": vocab.ORGANIZATION_KINDS,
    "facilities": vocab.FACILITY_KINDS,
    "agencies": vocab.AGENCIES,
    "degrees": vocab.DEGREES,
    "confidences": vocab.CONFIDENCES,
    "connections": vocab.CONNECTIONS,
    "reliabilities": vocab.RELIABILITIES,
    "violations": vocab.VIOLATIONS,
    "purposes": {code: label for code, (label, _scope) in vocab.PURPOSES.items()},
    "regimes": legal.REGIMES,
    "involvement": legal.INVOLVEMENT,
    "categories": legal.CATEGORIES,
}


class UnknownLanguage(ValueError):
    """The language is not one of :data:`LANGUAGES`."""


class _MeasuredFont(TTFont):
    """A TrueType font that remembers the widths it measured: line breaking measures every word, and a
    dossier repeats the same labels and references thousands of times (reportlab measures in Python)."""

    def __init__(self, name: str, filename: str) -> None:
        super().__init__(name, filename)
        self._widths: dict[tuple[str, float, str], float] = {}

    def stringWidth(self, text: str, size: float, encoding: str = "utf8") -> float:  # noqa: N802 (reportlab's)
        key = (text, size, encoding)
        width = self._widths.get(key)
        if width is None:
            if len(self._widths) > _WIDTH_CACHE:
                self._widths.clear()
            width = self._widths[key] = super().stringWidth(text, size, encoding)
        return width


@cache
def _register_fonts() -> None:
    """Register Nanum Gothic (regular and bold) once per process, as the whole family so that ``<b>`` and
    ``<i>`` markup never falls back to a standard font."""
    pdfmetrics.registerFont(_MeasuredFont(FONT, str(FONT_DIR / "NanumGothic.ttf")))
    pdfmetrics.registerFont(_MeasuredFont(FONT_BOLD, str(FONT_DIR / "NanumGothicBold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


class _Words:
    """The dossier's texts in its language(s): labels joined as "Korean / English" for ``both``."""

    def __init__(self, lang: str) -> None:
        self.locales = ("ko", "en") if lang == "both" else (lang,)
        self._text: list[dict[str, str]] = []
        self._vocab: list[dict[str, dict[str, str]]] = []
        # Translated once per locale: switching locales per string would dominate the time of a big dossier.
        for locale in self.locales:
            with force_locale(locale):
                self._text.append({key: str(message) for key, message in TEXT.items()})
                self._vocab.append(
                    {
                        name: {code: str(label) for code, label in labels.items()}
                        for name, labels in _VOCABULARIES.items()
                    }
                )
        self._places: dict[str, str] = {}

    def __call__(self, key: str, **values: Any) -> str:
        """A fixed label, formatted with ``values``."""
        return _join(text[key] % values if values else text[key] for text in self._text)

    def each(self, key: str, **values: Any) -> list[str]:
        """A fixed text once per language, for prose that reads better whole than joined."""
        return _unique(text[key] % values if values else text[key] for text in self._text)

    def code(self, vocabulary: str, code: str | None) -> str:
        """The label of a vocabulary code (the code itself if the vocabulary does not know it)."""
        if not code:
            return ""
        return _join(labels[vocabulary].get(code, code) for labels in self._vocab)

    def code_each(self, vocabulary: str, code: str) -> list[str]:
        """The label of a vocabulary code once per language, for labels that are whole sentences."""
        return _unique(labels[vocabulary].get(code, code) for labels in self._vocab)

    def place(self, code: str | None) -> str:
        """A province or county code as its name ("함경북도 회령시 / Hoeryong, North Hamgyong")."""
        if not code:
            return ""
        if code not in self._places:
            try:
                self._places[code] = _join(divisions.label(code, locale) for locale in self.locales)
            except KeyError:
                self._places[code] = code
        return self._places[code]

    def name_of(self, organization: OrganizationRef) -> str:
        """An organization's name in the dossier's language(s)."""
        return _localized(self.locales, organization.name_ko, organization.name_en)

    def title_of(self, post: PostHeld) -> str:
        """A post's title in the dossier's language(s)."""
        return _localized(self.locales, post.title_ko, post.title_en)

    def period(self, start: str | None, end: str | None) -> str:
        """A period of partial dates with the precision they were known to: "2019-03 – 2020 (…)"."""
        if not start and not end:
            return ""
        if start and (not end or end == start):
            shown, precise = start, [start]
        else:
            shown = f"{start or '…'} – {end or '…'}"
            precise = [d for d in (start, end) if d]
        levels = _unique(self(f"precision_{dates.precision(d)}") for d in precise)
        return f"{shown} ({', '.join(levels)})"


def _join(parts: Iterable[str]) -> str:
    return " / ".join(_unique(parts))


def _unique(parts: Iterable[str]) -> list[str]:
    """The parts without repeats (an untranslated label is the same in both languages)."""
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    return seen


def _localized(locales: tuple[str, ...], korean: str, english: str | None) -> str:
    return _join((korean if locale == "ko" else english or korean) for locale in locales)


class _Styles:
    """Paragraph styles, all in the embedded font."""

    def __init__(self) -> None:
        base = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13.5, splitLongWords=1)
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=8, leading=10.5)
        self.h1 = ParagraphStyle("h1", parent=base, fontName=FONT_BOLD, fontSize=15, leading=20, spaceAfter=8)
        self.h2 = ParagraphStyle(
            "h2", parent=base, fontName=FONT_BOLD, fontSize=11, leading=15, spaceBefore=8, spaceAfter=4
        )
        self.title = ParagraphStyle(
            "title", parent=base, fontName=FONT_BOLD, fontSize=22, leading=30, alignment=TA_CENTER
        )
        self.subtitle = ParagraphStyle("subtitle", parent=base, fontSize=13, leading=19, alignment=TA_CENTER)
        self.centered = ParagraphStyle("centered", parent=base, alignment=TA_CENTER)
        self.act = ParagraphStyle("act", parent=base, fontSize=9, leading=12.5, spaceAfter=6)


_GRID = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
)
_PLAIN_GRID = TableStyle([*_GRID.getCommands(), ("FONTSIZE", (0, 1), (-1, -1), 7)])
_FIELDS = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
    ]
)


def _e(text: object) -> str:
    """Text as Paragraph markup: escaped, line breaks kept."""
    return escape(str(text)).replace("\n", "<br/>")


def render(dossier: Dossier, lang: str) -> bytes:
    """The dossier as PDF bytes in ``lang`` (``ko``, ``en`` or ``both``); needs an application context.

    Raises :class:`UnknownLanguage` for any other language."""
    if lang not in LANGUAGES:
        raise UnknownLanguage(lang)
    _register_fonts()
    words = _Words(lang)
    styles = _Styles()
    caption = _caption(dossier.target, words.locales)
    purpose = words.code("purposes", dossier.purpose)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN + 6 * mm,
        title=f"{words('title')}: {caption}",
        subject=purpose,
        # The organization, never a person: the file travels to governments.
        author=dossier.submitter.get("organization", ""),
        creator="Sori",
        producer="Sori",
        # Fixed document id and dates inside the file: the same dossier gives the same bytes.
        invariant=True,
        initialFontName=FONT,
    )
    story: list[Flowable] = []
    for section in (
        _title_page,
        _submitter,
        _legal_basis,
        _identification,
        _conduct,
        _evidence,
        _chain,
        _exculpatory,
        _methodology,
        _consent,
        _existing_sanctions,
    ):
        story.extend(section(dossier, words, styles))
    footer = _footer(f"{caption} · {purpose}", words)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _caption(target: Target, locales: tuple[str, ...]) -> str:
    """The heading: the record's caption, and for English a romanized name first when there is one."""
    romanized = next((n.name for n in target.names if n.style != "hangul" and n.kind == "primary"), None)
    if "en" not in locales or romanized is None or romanized == target.caption:
        return target.caption
    if locales == ("en",):
        return f"{romanized} ({target.caption})"
    return f"{target.caption} ({romanized})"


def _footer(text: str, words: _Words) -> Callable[[Canvas, Any], None]:
    def draw(canvas: Canvas, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.dimgrey)
        width = A4[0] - 2 * _MARGIN
        # One line: a very long caption is cut rather than drawn over the page number.
        canvas.drawString(_MARGIN, 10 * mm, _fit(text, width - 30 * mm))
        canvas.drawRightString(A4[0] - _MARGIN, 10 * mm, words("page", n=document.page))
        canvas.restoreState()

    return draw


def _fit(text: str, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` points in the footer's size."""
    if pdfmetrics.stringWidth(text, FONT, 7.5) <= width:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if pdfmetrics.stringWidth(text[:middle] + "…", FONT, 7.5) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low] + "…"


# ---- Sections -------------------------------------------------------------------------------------------


def _title_page(dossier: Dossier, words: _Words, styles: _Styles) -> list[Flowable]:
    target = dossier.target
    organization = dossier.submitter.get("organization", "") or words("not_set")
    return [
        Spacer(1, 50 * mm),
        Paragraph(_e(words("title")), styles.title),
        Spacer(1, 6 * mm),
        Paragraph(_e(_caption(target, words.locales)), styles.title),
        Spacer(1, 4 * mm),
        Paragraph(_e(words(f"target_{target.kind}")), styles.subtitle),
        Spacer(1, 20 * mm),
        _field_table(
            [
                (words("purpose"), words.code("purposes", dossier.purpose)),
                (words("date"), dossier.created_at.date().isoformat()),
                (words("prepared_by"), organization),
            ],
            styles,
        ),
        Spacer(1, 12 * mm),
        *[Paragraph(_e(text), styles.centered) for text in words.each(f"classification_{dossier.purpose}")],
        PageBreak(),
    ]


def _submitter(dossier: Dossier, words: _Words, styles: _Styles) -> list[Flowable]:
    rows = []
    for field_name, label in SUBMITTER_FIELDS.items():
        with_label = _join_labels(words, label)
        rows.append((with_label, dossier.submitter.get(field_name, "") or words("not_set")))
    return [Paragraph(_e(words("submitter")), styles.h1), _field_table(rows, styles)]


def _join_labels(words: _Words, label: Any) -> str:
    """A lazily translated label from another module, in the dossier's language(s)."""
    parts = []
    for locale in words.locales:
        with force_locale(locale):
            parts.append(str(label))
    return _join(parts)


def _legal_basis(dossier: Dossier, words: _Words, styles: _Styles) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(_e(words("legal")), styles.h1)]
    story += [Paragraph(_e(text), styles.body) for text in words.each("legal_intro")]
    for regime in legal.REGIMES:
        story.append(Paragraph(_e(words.code("regimes", regime)), styles.h2))
        categories = dossier.legal_basis.get(regime, ())
        if not categories:
            story.append(Paragraph(_e(words("none")), styles.body))
            continue
        for category in categories:
            story.append(Paragraph("• " + _e(words.code("categories", category)), styles.body))
        story += [Paragraph(_e(text), styles.small) for text in words.code_each("involvement", regime)]
    return story


def _identification(dossier: Dossier, words: _Words, styles: _Styles) -> list[Flowable]:
    target = dossier.target
    story: list[Flowable] = [Paragraph(_e(words("identification")), styles.h1)]
    rows = [(words("kind"), words(f"target_{target.kind}"))]
    if target.kind == "organization" and target.organization is not None:
        rows.append((words("organization_kind"), words.code("organizations", target.organization.kind)))
    if target.kind == "facility":
        rows.append((words("facility_kind"), words.code("facilities", target.facility_kind)))
        rows.append((words("agency"), words.code("agencies", target.agency)))
        if target.organization is not None:
            rows.append((words("operator"), words.name_of(target.organization)))
    rows += [
        (words("gender"), words.code("genders", target.gender)),
        (words("birth_date"), words.period(target.birth_date, None)),
        (words("birth_place"), target.birth_place or ""),
        (words("nationality"), ", ".join(target.nationality)),
        (words("location"), ", ".join(p for p in (words.place(target.county or target.province),) if p)),
        (
            words("coordinates"),
            f"{target.latitude:.5f}, {target.longitude:.5f}"
            if target.latitude is not None and target.longitude is not None
            else "",
        ),
        (words("description"), target.description or ""),
    ]
    story.append(_field_table([(label, value) for label, value in rows if value], styles))
    story.append(Paragraph(_e(words("names")), styles.h2))
    names = [
        (
            name.name,
            words.code("styles", name.style),
            words.code("name_kinds", name.kind)
            + (f" ({words.code('qualities', name.quality)})" if name.quality else ""),
            name.lang or "",
        )
        for name in target.names
    ]
    story.append(
        _grid(
            (words("name"), words("style"), words("kind"), words("language")), names, (0.35, 0.35, 0.2, 0.1)
        )
        if names
        else Paragraph(_e(words("none")), styles.body)
    )
    if target.identifiers:
        story.append(Paragraph(_e(words("identifiers")), styles.h2))
        story.append(
            _grid(
                (words("kind"), words("number"), words("country")),
                [(words.code("identifiers", i.kind), i.value, i.country or "") for i in target.identifiers],
                (0.35, 0.45, 0.2),
            )
        )
    if target.posts:
        story.append(Paragraph(_e(words("posts")), styles.h2))
        story.append(_posts_table(target.posts, words, with_person=False))
    return story


def _posts_table(posts: Iterable[PostHeld], words: _Words, *, with_person: bool) -> Flowable:
    rows = []
    for post in posts:
        title = words.title_of(post) + (f" ({words('head')})" if post.is_head else "")
        row = (words.name_of(post.organization), title, words.period(post.start, post.end))
        rows.append(((post.person_name, *row) if with_person else row))
    header = (words("organization"), words("position"), words("period"))
    if with_person:
        return _grid((words("person"), *header), rows, (0.22, 0.3, 0.26, 0.22))
    return _grid(header, rows, (0.4, 0.35, 0.25))


def _conduct(dossier: Dossier, words: _Words, styles: _Styles) -> list[Flowable]:
    story: list[Flowable] = [PageBreak(), Paragraph(_e(words("conduct")), styles.h1)]
    story += [
        Paragraph(_e(text), styles.body) for text in words.each("conduct_intro", n=len(dossier.conduct))
    ]
    story.append(Spacer(1, 3 * mm))
    for act in dossier.conduct:
        story.append(Paragraph(_act_markup(act, words), styles.act))
    return story


def _act_markup(act: Conduct, words: _Words) -> str:
    """One act as one paragraph (one paragraph per act keeps a thousand acts fast to lay out)."""
    place = ", ".join(p for p in (act.facility_name, act.place, words.place(act.county or act.province)) if p)
    victims = ", ".join(
        p for p in (act.victims, words("victim_count", n=act.victim_count) if act.victim_count else "") if p
    )
    lines = [
        (words("incident"), act.incident_title),
        (words("date"), words.period(act.date_start, act.date_end)),
        (words("place"), place),
        (words("victims"), victims),
        (
            words("involvement"),
            words("under_command")
            if act.under_command
            else ", ".join(words.code("degrees", d) for d in act.degrees),
        ),
        (
            words("perpetrators"),
            "; ".join(f"{name} ({words.code('degrees', degree)})" for name, degree in act.perpetrators),
        ),
        (words("confidence"), words.code("confidences", act.confidence)),
        (words("corroboration"), words("sources_count", n=act.corroboration)),
        (words("description"), act.description or ""),
    ]
    heading = f"<b>{_e(words('act', id=act.act_id))}: {_e(words.code('violations', act.violation))}</b>"
    body = "<br/>".join(f"<b>{_e(label)}</b>: {_e(value)}" for label, value in lines if value)
    return f"{heading}<br/>{body}"


def _evidence(dossier: Dossier, words: _Words, styles: _Styles) -> list[Flowable]:
    story: list[Flowable] = [PageBreak(), Paragraph(_e(words("evidence")), styles.h1)]
    story += [
        Paragraph(_e(text), styles.body) for text in words.each("evidence_intro", n=dossier.sources_included)
    ]
    story.append(Spacer(1, 3 * mm))
    # Per act, the sources grouped by connection and reliability: one label for many references.
    by_act: dict[int, dict[tuple[str, str], list[str]]] = defaultdict(lambda: defaultdict(list))
    for use in dossier.evidence:
        by_act[use.act_id][(use.connection, use.reliability)].append(use.source_ref)
    # One paragraph per act, not a table: laying out cells costs several times more than lines of text.
    for act in dossier.conduct:
        groups = by_act.get(act.act_id, {})
        listed = "<br/>".join(
            f"{_e(words.code('connections', connection))}, {_e(words.code('reliabilities', reliability))}: "
            + _e(", ".join(sorted(set(refs))))
            for (connection, reliability), refs in sorted(groups.items())
        )
        heading = f"{words('act', id=act.act_id)}: {words.code('violations', act.violation)}"
        story.append(Paragraph(f"<b>{_e(heading)}</b><br/>{listed or _e(words('no_sources'))}", styles.act))
    return story


def _chain(dossier: Dossier, words: _Words, styles: _Styles) -> list[Flowable]:
    story: list[Flowable] = [PageBreak(), Paragraph(_e(words("chain")), styles.h1)]
    story.append(Paragraph(_e(words("chain_up")), styles.h2))
    if dossier.chain_up:
        rows = [(words.name_of(o), words.code("organizations", o.kind)) for o in dossier.chain_up]
        story.append(_grid((words("organization"), words("kind")), rows, (0.7, 0.3)))
    else:
        story.append(Paragraph(_e(words("none")), styles.body))
    for key, posts in (("superiors", dossier.superiors), ("subordinates", dossier.subordinates)):
        story.append(Paragraph(_e(words(key)), styles.h2))
        if posts:
            story.append(_posts_table(posts, words, with_person=True))
        else:
            story.append(Paragraph(_e(words("none")), styles.body))
    return story


def _exculpatory(dossier: Dossier, words: _Words, styles: _Styles) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(_e(words("exculpatory")), styles.h1)]
    if not dossier.exculpatory:
        story += [Paragraph(_e(text), styles.body) for text in words.each("no_exculpatory")]
    story += [Paragraph("• " + _e(text), styles.body) for text in dossier.exculpatory]
    return story


def _methodology(dossier: Dossier, words: _Words, styles: _Styles) -> list[Flowable]:
    story: list[Flowable] = [PageBreak(), Paragraph(_e(words("methodology")), styles.h1)]
    for key in ("methodology_text", "verification_text", "digests_text"):
        story += [Paragraph(_e(text), styles.body) for text in words.each(key)]
        story.append(Spacer(1, 2 * mm))
    rows = [(d.source_ref, d.sha256, str(d.size), d.received_on) for d in dossier.documents]
    if rows:
        header = (words("source"), words("digest"), words("size"), words("received"))
        story += _plain_grids(header, rows, (0.12, 0.6, 0.12, 0.16))
    return story


def _consent(dossier: Dossier, words: _Words, styles: _Styles) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(_e(words("consent")), styles.h1)]
    story += [Paragraph(_e(t), styles.body) for t in words.each("consent_text", n=dossier.sources_included)]
    story += [Paragraph(_e(t), styles.body) for t in words.each("excluded", n=dossier.sources_excluded)]
    return story


def _existing_sanctions(dossier: Dossier, words: _Words, styles: _Styles) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(_e(words("sanctions")), styles.h1)]
    if not dossier.existing_sanctions:
        return story + [Paragraph(_e(text), styles.body) for text in words.each("no_sanctions")]
    story += [Paragraph(_e(text), styles.body) for text in words.each("sanctions_intro")]
    for match in dossier.existing_sanctions:
        rows = [
            (words("matched_name"), match.matched_name),
            (words("dataset"), match.dataset),
            (words("authorities"), ", ".join(match.authorities)),
            (words("programs"), ", ".join(match.programs)),
            (words("birth_dates"), ", ".join(match.birth_dates)),
        ]
        story.append(
            KeepTogether(
                [
                    Paragraph(_e(match.caption), styles.h2),
                    _field_table([(label, value) for label, value in rows if value], styles),
                ]
            )
        )
    return story


# ---- Tables ---------------------------------------------------------------------------------------------

_CONTENT_WIDTH = A4[0] - 2 * _MARGIN
_CELL = ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=10, splitLongWords=1)
_CELL_HEAD = ParagraphStyle("cell_head", parent=_CELL, fontName=FONT_BOLD)


def _field_table(rows: list[tuple[str, str]], styles: _Styles) -> Flowable:
    """Label and value, one per row."""
    data = [[Paragraph(_e(label), _CELL_HEAD), Paragraph(_e(value), styles.body)] for label, value in rows]
    return Table(data, colWidths=[_CONTENT_WIDTH * 0.3, _CONTENT_WIDTH * 0.7], style=_FIELDS, hAlign="LEFT")


def _grid(header: Iterable[str], rows: list[tuple[str, ...]], widths: tuple[float, ...]) -> Flowable:
    """A table with a header row repeated on every page it spans."""
    data = [[Paragraph(_e(cell), _CELL_HEAD) for cell in header]]
    data += [[Paragraph(_e(cell), _CELL) for cell in row] for row in rows]
    return Table(
        data,
        colWidths=[_CONTENT_WIDTH * w for w in widths],
        style=_GRID,
        repeatRows=1,
        hAlign="LEFT",
    )


def _plain_grids(
    header: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[float, ...]
) -> list[Flowable]:
    """Rows of short, unbreakable values (references, digests, numbers) as plain cells, a run of short
    tables: plain cells need no line breaking, and splitting one table of thousands of rows across pages
    costs time quadratic in its length."""
    head = [Paragraph(_e(cell), _CELL_HEAD) for cell in header]
    return [
        Table(
            [head, *rows[start : start + _ROWS_PER_TABLE]],
            colWidths=[_CONTENT_WIDTH * w for w in widths],
            style=_PLAIN_GRID,
            repeatRows=1,
            hAlign="LEFT",
        )
        for start in range(0, len(rows), _ROWS_PER_TABLE)
    ]
