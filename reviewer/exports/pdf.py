"""The dossier as a PDF for governments: Korean, English or both, every font embedded.

:func:`render` lays out a :class:`~reviewer.exports.model.Dossier` in the sections a sanctions submission
needs (DESIGN.md section 5). All text, Latin included, is set in Nanum Gothic embedded as TrueType subsets,
so the file shows the same Hangul on every reader; none of the standard 14 fonts and none of reportlab's
CID fonts (which are never embedded) is used, not even for page numbers. Korean wraps at spaces, as Korean
is written (keep-all); a run too long for a line is split between characters rather than overflowing.

Labels are translated with flask-babel (reviewer/exports/pdf_words.py), so :func:`render` needs an
application context. With ``both``, every label reads "Korean / English" and every paragraph of prose comes
in Korean, then in English. Fonts, styles and tables are in reviewer/exports/pdf_style.py.
The evidence matrix lists each act's sources instead of drawing a sources × acts grid, so a target with a
thousand acts and thousands of sources still renders in seconds.

One module (a little over 400 lines) because it is one document's flow, section after section; fonts,
styles, words and pictures already live beside it.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer

from reviewer.exports import legal, pdf_pictures
from reviewer.exports.model import Conduct, Dossier, PostHeld, Target
from reviewer.exports.pdf_style import (
    FONT,
    MARGIN,
    Styles,
    field_table,
    grid,
    markup,
    plain_grids,
    register_fonts,
)
from reviewer.exports.pdf_words import Words, translated
from reviewer.exports.settings import SUBMITTER_FIELDS
from reviewer.records.pictures import chain_layout, facility_map, timeline
from reviewer.records.pictures.words import PictureWords

LANGUAGES = ("ko", "en", "both")


class UnknownLanguage(ValueError):
    """The language is not one of :data:`LANGUAGES`."""


def render(dossier: Dossier, lang: str) -> bytes:
    """The dossier as PDF bytes in ``lang`` (``ko``, ``en`` or ``both``); needs an application context.

    Raises :class:`UnknownLanguage` for any other language."""
    if lang not in LANGUAGES:
        raise UnknownLanguage(lang)
    register_fonts()
    words = Words(lang)
    styles = Styles()
    caption = _caption(dossier.target, words.locales)
    purpose = words.code("purposes", dossier.purpose)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 6 * mm,
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


def _footer(text: str, words: Words) -> Callable[[Canvas, Any], None]:
    def draw(canvas: Canvas, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.dimgrey)
        width = A4[0] - 2 * MARGIN
        # One line: a very long caption is cut rather than drawn over the page number.
        canvas.drawString(MARGIN, 10 * mm, _fit(text, width - 30 * mm))
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, words("page", n=document.page))
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


def _title_page(dossier: Dossier, words: Words, styles: Styles) -> list[Flowable]:
    target = dossier.target
    organization = dossier.submitter.get("organization", "") or words("not_set")
    return [
        Spacer(1, 50 * mm),
        Paragraph(markup(words("title")), styles.title),
        Spacer(1, 6 * mm),
        Paragraph(markup(_caption(target, words.locales)), styles.title),
        Spacer(1, 4 * mm),
        Paragraph(markup(words(f"target_{target.kind}")), styles.subtitle),
        Spacer(1, 20 * mm),
        field_table(
            [
                (words("purpose"), words.code("purposes", dossier.purpose)),
                (words("date"), dossier.created_at.date().isoformat()),
                (words("prepared_by"), organization),
            ],
            styles,
        ),
        Spacer(1, 12 * mm),
        *[
            Paragraph(markup(text), styles.centered)
            for text in words.each(f"classification_{dossier.purpose}")
        ],
        PageBreak(),
    ]


def _submitter(dossier: Dossier, words: Words, styles: Styles) -> list[Flowable]:
    rows = []
    for field_name, label in SUBMITTER_FIELDS.items():
        with_label = translated(words, label)
        rows.append((with_label, dossier.submitter.get(field_name, "") or words("not_set")))
    return [Paragraph(markup(words("submitter")), styles.h1), field_table(rows, styles)]


def _legal_basis(dossier: Dossier, words: Words, styles: Styles) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(markup(words("legal")), styles.h1)]
    story += [Paragraph(markup(text), styles.body) for text in words.each("legal_intro")]
    for regime in legal.REGIMES:
        story.append(Paragraph(markup(words.code("regimes", regime)), styles.h2))
        categories = dossier.legal_basis.get(regime, ())
        if not categories:
            story.append(Paragraph(markup(words("none")), styles.body))
            continue
        for category in categories:
            story.append(Paragraph("• " + markup(words.code("categories", category)), styles.body))
        story += [Paragraph(markup(text), styles.small) for text in words.code_each("involvement", regime)]
    return story


def _identification(dossier: Dossier, words: Words, styles: Styles) -> list[Flowable]:
    target = dossier.target
    story: list[Flowable] = [Paragraph(markup(words("identification")), styles.h1)]
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
        (words("nationality"), words.countries(target.nationality)),
        (words("location"), ", ".join(p for p in (words.place(target.county or target.province),) if p)),
        (
            words("coordinates"),
            f"{target.latitude:.5f}, {target.longitude:.5f}"
            if target.latitude is not None and target.longitude is not None
            else "",
        ),
        (words("description"), target.description or ""),
    ]
    story.append(field_table([(label, value) for label, value in rows if value], styles))
    story.append(Paragraph(markup(words("names")), styles.h2))
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
        grid((words("name"), words("style"), words("kind"), words("language")), names, (0.35, 0.35, 0.2, 0.1))
        if names
        else Paragraph(markup(words("none")), styles.body)
    )
    if target.identifiers:
        story.append(Paragraph(markup(words("identifiers")), styles.h2))
        story.append(
            grid(
                (words("kind"), words("number"), words("country")),
                [
                    (
                        words.code("identifiers", i.kind),
                        i.value,
                        words.countries([i.country] if i.country else []),
                    )
                    for i in target.identifiers
                ],
                (0.35, 0.45, 0.2),
            )
        )
    if target.posts:
        story.append(Paragraph(markup(words("posts")), styles.h2))
        story.append(_posts_table(target.posts, words, with_person=False))
    if dossier.facilities:
        say = PictureWords(words.locales)
        scene = facility_map.draw(
            dossier.facilities,
            say,
            say("map_title", name=_caption(target, words.locales)),
            style=facility_map.PRINT,
        )
        story.append(pdf_pictures.figure(scene, styles, words("facility_map")))
    return story


def _posts_table(posts: Iterable[PostHeld], words: Words, *, with_person: bool) -> Flowable:
    rows = []
    for post in posts:
        title = words.title_of(post) + (f" ({words('head')})" if post.is_head else "")
        row = (words.name_of(post.organization), title, words.period(post.start, post.end))
        rows.append(((post.person_name, *row) if with_person else row))
    header = (words("organization"), words("position"), words("period"))
    if with_person:
        return grid((words("person"), *header), rows, (0.22, 0.3, 0.26, 0.22))
    return grid(header, rows, (0.4, 0.35, 0.25))


def _conduct(dossier: Dossier, words: Words, styles: Styles) -> list[Flowable]:
    story: list[Flowable] = [PageBreak(), Paragraph(markup(words("conduct")), styles.h1)]
    story += [
        Paragraph(markup(text), styles.body)
        for text in words.count_each("conduct_intro", len(dossier.conduct))
    ]
    if dossier.conduct:
        say = PictureWords(words.locales)
        acts = [
            timeline.TimelineAct(a.violation, a.date_start, a.date_end, a.under_command)
            for a in dossier.conduct
        ]
        title = say("timeline_title", name=_caption(dossier.target, words.locales))
        story.append(Spacer(1, 2 * mm))
        story.append(pdf_pictures.figure(timeline.draw(acts, say, title, style=timeline.PRINT), styles))
    story.append(Spacer(1, 3 * mm))
    for act in dossier.conduct:
        story.append(Paragraph(_act_markup(act, words), styles.act))
    return story


def _act_markup(act: Conduct, words: Words) -> str:
    """One act as one paragraph (one paragraph per act keeps a thousand acts fast to lay out)."""
    place = ", ".join(p for p in (act.facility_name, act.place, words.place(act.county or act.province)) if p)
    victims = ", ".join(
        p
        for p in (act.victims, words.count("victim_count", act.victim_count) if act.victim_count else "")
        if p
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
        (words("corroboration"), words.count("sources_count", act.corroboration)),
        (words("description"), act.description or ""),
    ]
    heading = (
        f"<b>{markup(words('act', id=act.act_id))}: {markup(words.code('violations', act.violation))}</b>"
    )
    body = "<br/>".join(f"<b>{markup(label)}</b>: {markup(value)}" for label, value in lines if value)
    return f"{heading}<br/>{body}"


def _evidence(dossier: Dossier, words: Words, styles: Styles) -> list[Flowable]:
    story: list[Flowable] = [PageBreak(), Paragraph(markup(words("evidence")), styles.h1)]
    story += [
        Paragraph(markup(text), styles.body)
        for text in words.count_each("evidence_intro", dossier.sources_included)
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
            markup(f"{words.code('connections', connection)}, {words.code('reliabilities', reliability)}: ")
            + markup(", ".join(sorted(set(refs))))
            for (connection, reliability), refs in sorted(groups.items())
        )
        heading = f"{words('act', id=act.act_id)}: {words.code('violations', act.violation)}"
        story.append(
            Paragraph(f"<b>{markup(heading)}</b><br/>{listed or markup(words('no_sources'))}", styles.act)
        )
    return story


def _chain(dossier: Dossier, words: Words, styles: Styles) -> list[Flowable]:
    story: list[Flowable] = [PageBreak(), Paragraph(markup(words("chain")), styles.h1)]
    if dossier.chain_diagram is not None and dossier.chain_diagram.roots:
        say = PictureWords(words.locales)
        title = say("chain_title", name=_caption(dossier.target, words.locales))
        scene = chain_layout.draw(dossier.chain_diagram, say, title, style=chain_layout.PRINT)
        story.append(pdf_pictures.figure(scene, styles))
    story.append(Paragraph(markup(words("chain_up")), styles.h2))
    if dossier.chain_up:
        rows = [(words.name_of(o), words.code("organizations", o.kind)) for o in dossier.chain_up]
        story.append(grid((words("organization"), words("kind")), rows, (0.7, 0.3)))
    else:
        story.append(Paragraph(markup(words("none")), styles.body))
    for key, posts in (("superiors", dossier.superiors), ("subordinates", dossier.subordinates)):
        story.append(Paragraph(markup(words(key)), styles.h2))
        if posts:
            story.append(_posts_table(posts, words, with_person=True))
        else:
            story.append(Paragraph(markup(words("none")), styles.body))
    return story


def _exculpatory(dossier: Dossier, words: Words, styles: Styles) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(markup(words("exculpatory")), styles.h1)]
    if not dossier.exculpatory:
        story += [Paragraph(markup(text), styles.body) for text in words.each("no_exculpatory")]
    story += [Paragraph("• " + markup(text), styles.body) for text in dossier.exculpatory]
    return story


def _methodology(dossier: Dossier, words: Words, styles: Styles) -> list[Flowable]:
    story: list[Flowable] = [PageBreak(), Paragraph(markup(words("methodology")), styles.h1)]
    for key in ("methodology_text", "verification_text", "digests_text"):
        story += [Paragraph(markup(text), styles.body) for text in words.each(key)]
        story.append(Spacer(1, 2 * mm))
    rows = [(d.source_ref, d.sha256, str(d.size), d.received_on) for d in dossier.documents]
    if rows:
        header = (words("source"), words("digest"), words("size"), words("received"))
        story += plain_grids(header, rows, (0.12, 0.6, 0.12, 0.16))
    return story


def _consent(dossier: Dossier, words: Words, styles: Styles) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(markup(words("consent")), styles.h1)]
    story += [
        Paragraph(markup(t), styles.body) for t in words.count_each("consent_text", dossier.sources_included)
    ]
    story += [
        Paragraph(markup(t), styles.body) for t in words.count_each("excluded", dossier.sources_excluded)
    ]
    return story


def _existing_sanctions(dossier: Dossier, words: Words, styles: Styles) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(markup(words("sanctions")), styles.h1)]
    if not dossier.existing_sanctions:
        return story + [Paragraph(markup(text), styles.body) for text in words.each("no_sanctions")]
    story += [Paragraph(markup(text), styles.body) for text in words.each("sanctions_intro")]
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
                    Paragraph(markup(match.caption), styles.h2),
                    field_table([(label, value) for label, value in rows if value], styles),
                ]
            )
        )
    return story
