"""The page: where each part of the certificate goes, and `render_certificate`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from cme.certificate.facts import CertificateFacts
from cme.certificate.fonts import install_fonts, printing_problems, right_to_left
from cme.certificate.typesetting import (
    ACCENT,
    INK,
    MUTED,
    PT,
    RULE,
    TINT,
    Align,
    Colour,
    Setter,
    Type,
    shape_marks_with_their_base,
    sizes,
)
from cme.certificate.wording import Wording, wording
from cme.errors import UnprintableName

if TYPE_CHECKING:
    from fpdf import FPDF

# fpdf2 (with fontTools and Pillow) takes ~0.4 s to import: it is imported when a
# certificate is drawn, so that code which only builds or reads these facts (issuing,
# the verification page) does not pay for it.

# A4 landscape, millimetres.
_PAGE_W: Final = 297.0
_PAGE_H: Final = 210.0
_LEFT: Final = 22.0
_RIGHT: Final = _PAGE_W - 22.0
_WIDTH: Final = _RIGHT - _LEFT
_TOP: Final = 21.0
_BOTTOM: Final = _PAGE_H - 20.0
_QR_SIZE: Final = 27.0
_FOOTER_TOP: Final = _BOTTOM - _QR_SIZE
_TABLE_W: Final = 80.0
_GUTTER: Final = 12.0
_FINE_X: Final = _LEFT + _TABLE_W + _GUTTER
_FINE_W: Final = _RIGHT - _FINE_X

_LABEL: Final = Type(8.5, "B", ACCENT, spacing=2.4)
_EVENT: Final = Type(21, "B", INK, leading=1.2)
_PLACE: Final = Type(11.5)
_SMALL_MUTED: Final = Type(9.5, "", MUTED)
_LEAD_IN: Final = Type(11, "", MUTED)
_NAME: Final = Type(28, "B", INK, leading=1.2)
_TOTAL: Final = Type(26, "B", ACCENT, leading=1.1)
_TOTAL_UNIT: Final = Type(15, "B", ACCENT, leading=1.1)
_CAP_NOTE: Final = Type(9, "", MUTED)
_CONVERSION: Final = Type(10)
_TABLE_HEAD: Final = Type(9, "B", ACCENT)
_TABLE_ROW: Final = Type(9.5)
_TABLE_TOTAL: Final = Type(9.5, "B")
_FINE: Final = Type(8.5, "", INK, leading=1.32)
_FINE_SIZES: Final = sizes(8.5, 7.0, 0.5)
_FINE_GAP: Final = 1.8
_ISSUED: Final = Type(9)
_CAPTION: Final = Type(7.5, "", MUTED)
_SERIAL: Final = Type(12, "B", INK, spacing=1.2)
_URL: Final = Type(8.5, "", ACCENT)
_RUNNING_HEAD: Final = Type(8, "", MUTED)
_CONTINUED: Final = Type(8.5, "", MUTED)
_URL_SIZES: Final = sizes(8.5, 6.0, 0.5)


@dataclass(frozen=True, slots=True)
class _Continuation:
    """What page 1 could not hold: the per-day table, and the statements from this index."""

    days: bool
    statements_from: int

    def needed(self, statement_count: int) -> bool:
        return self.days or self.statements_from < statement_count


def _draw_frame(pdf: FPDF) -> None:
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.7)
    pdf.rect(9, 9, _PAGE_W - 18, _PAGE_H - 18)
    pdf.set_line_width(0.2)
    pdf.rect(11, 11, _PAGE_W - 22, _PAGE_H - 22)


def _rule(pdf: FPDF, *, x1: float, x2: float, y: float, colour: Colour, width: float) -> None:
    pdf.set_draw_color(*colour)
    pdf.set_line_width(width)
    pdf.line(x1, y, x2, y)


def _draw_heading(setter: Setter, words: Wording) -> float:
    y = setter.paragraph(words.label, _LABEL, x=_LEFT, y=_TOP, width=_WIDTH) + 3
    event = setter.fit(words.event_name, _EVENT, _WIDTH, sizes(21, 14), 2)
    y = setter.paragraph(words.event_name, event, x=_LEFT, y=y, width=_WIDTH) + 1.5
    y = setter.paragraph(words.place_and_dates, _PLACE, x=_LEFT, y=y, width=_WIDTH) + 0.3
    y = setter.paragraph(words.accreditation, _SMALL_MUTED, x=_LEFT, y=y, width=_WIDTH) + 4.5
    _rule(setter.pdf, x1=_PAGE_W / 2 - 18, x2=_PAGE_W / 2 + 18, y=y, colour=RULE, width=0.3)
    return y + 4.5


def _draw_award(setter: Setter, words: Wording, y: float) -> float:
    y = setter.paragraph(words.certify, _LEAD_IN, x=_LEFT, y=y, width=_WIDTH) + 1
    name = setter.fit(words.delegate_name, _NAME, _WIDTH, sizes(28, 18), 1)
    if len(setter.lines(words.delegate_name, name, _WIDTH)) > 1:
        name = setter.fit(words.delegate_name, _NAME, _WIDTH, sizes(22, 12), 2)
    y = setter.paragraph(words.delegate_name, name, x=_LEFT, y=y, width=_WIDTH) + 1
    if words.profession:
        y = setter.paragraph(words.profession, _CAP_NOTE, x=_LEFT, y=y, width=_WIDTH) + 1
    y = setter.paragraph(words.attended, _LEAD_IN, x=_LEFT, y=y, width=_WIDTH) + 2
    y = _draw_total(setter, words, y) + 0.8
    for note in (words.cap_note, words.live_note):
        if note:
            y = setter.paragraph(note, _CAP_NOTE, x=_LEFT, y=y, width=_WIDTH) + 0.6
    for conversion in words.conversions:
        y = setter.paragraph(conversion, _CONVERSION, x=_LEFT, y=y, width=_WIDTH) + 0.6
    return y


def _draw_total(setter: Setter, words: Wording, y: float) -> float:
    """The amount large and the unit smaller, on one baseline, centred as one line."""
    amount, unit = words.total_amount, f"\u2009{words.total_unit}"
    amount_w = setter.width(amount, _TOTAL)
    unit_w = setter.width(unit, _TOTAL_UNIT)
    if amount_w + unit_w > _WIDTH:
        together = f"{amount} {words.total_unit}"
        return setter.paragraph(together, _TOTAL_UNIT, x=_LEFT, y=y, width=_WIDTH)
    x = _LEFT + (_WIDTH - amount_w - unit_w) / 2
    # fpdf2 puts a cell's baseline 0.3 font sizes below the cell's middle.
    baseline = y + _TOTAL.line_height / 2 + 0.3 * _TOTAL.size * PT
    unit_y = baseline - _TOTAL_UNIT.line_height / 2 - 0.3 * _TOTAL_UNIT.size * PT
    setter.line(amount, _TOTAL, x=x, y=y, width=amount_w)
    setter.line(unit, _TOTAL_UNIT, x=x + amount_w, y=unit_y, width=unit_w)
    return y + _TOTAL.line_height


_ROW_MIN: Final = 4.6
_ROW_MAX: Final = 6.2


def _draw_table(
    setter: Setter,
    words: Wording,
    days: tuple[tuple[str, str], ...],
    *,
    x: float,
    y: float,
    row_h: float,
    with_total: bool,
) -> float:
    pdf = setter.pdf
    value_w = 24.0
    label_w = _TABLE_W - value_w
    pad = (row_h - _TABLE_ROW.line_height) / 2

    def row(label: str, value: str, kind: Type, y: float) -> None:
        setter.line(label, kind, x=x + 1.5, y=y + pad, width=label_w - 1.5)
        setter.line(value, kind, x=x + label_w, y=y + pad, width=value_w - 1.5, align="R")

    row(*words.table_head, _TABLE_HEAD, y)
    y += row_h
    _rule(pdf, x1=x, x2=x + _TABLE_W, y=y, colour=ACCENT, width=0.3)
    for index, (label, value) in enumerate(days):
        if index % 2:
            pdf.set_fill_color(*TINT)
            pdf.rect(x, y, _TABLE_W, row_h, style="F")
        row(label, value, _TABLE_ROW, y)
        y += row_h
    if with_total:
        _rule(pdf, x1=x, x2=x + _TABLE_W, y=y, colour=RULE, width=0.3)
        row(*words.table_total, _TABLE_TOTAL, y)
        y += row_h
    return y


def _statements_height(setter: Setter, paragraphs: tuple[str, ...], kind: Type) -> float:
    return sum(setter.height(p, kind, _FINE_W) for p in paragraphs) + _FINE_GAP * (
        len(paragraphs) - 1
    )


def _draw_middle(setter: Setter, words: Wording, top: float, bottom: float) -> _Continuation:
    """The per-day table (left) and the statements (right) between the award and the
    footer. The statements take the largest size at which they all fit; failing that,
    as many whole ones as fit at the smallest size stay, and the table or statements
    that do not fit follow on page 2, announced here."""
    room = bottom - top
    rows = len(words.days) + 2
    days_fit = rows * _ROW_MIN <= room
    if days_fit:
        row_h = max(_ROW_MIN, min(_ROW_MAX, room / rows))
        _draw_table(setter, words, words.days, x=_LEFT, y=top, row_h=row_h, with_total=True)
    else:
        setter.paragraph(
            words.days_elsewhere, _CONTINUED, x=_LEFT, y=top, width=_TABLE_W, align="L"
        )
    statements = words.fine_print
    kind = next(
        (
            _FINE.at(size)
            for size in _FINE_SIZES
            if _statements_height(setter, statements, _FINE.at(size)) <= room
        ),
        None,
    )
    shown = len(statements)
    if kind is None:
        kind = _FINE.at(_FINE_SIZES[-1])
        room -= _CONTINUED.line_height + _FINE_GAP
        while shown and _statements_height(setter, statements[:shown], kind) > room:
            shown -= 1
    y = top
    for statement in statements[:shown]:
        y = setter.paragraph(statement, kind, x=_FINE_X, y=y, width=_FINE_W, align="L")
        y += _FINE_GAP
    if shown < len(statements):
        setter.paragraph(words.continued, _CONTINUED, x=_FINE_X, y=y, width=_FINE_W, align="L")
    return _Continuation(days=not days_fit, statements_from=shown)


def _draw_footer(setter: Setter, words: Wording, url: str) -> None:
    qr_x = _RIGHT - _QR_SIZE
    text_w = qr_x - _LEFT - 10
    _rule(setter.pdf, x1=_LEFT, x2=_RIGHT, y=_FOOTER_TOP - 4, colour=RULE, width=0.3)

    def say(text: str, kind: Type, y: float, link: str | None = None) -> float:
        return setter.paragraph(text, kind, x=_LEFT, y=y, width=text_w, align="L", link=link)

    y = say(words.issued, _ISSUED, _FOOTER_TOP) + 1.2
    y = say(words.serial_label, _CAPTION, y)
    y = say(words.serial, _SERIAL, y) + 1.2
    y = say(words.verify_hint, _CAPTION, y)
    say(words.verify_url, setter.fit(words.verify_url, _URL, text_w, _URL_SIZES, 1), y, url)
    _draw_qr(setter.pdf, url, x=qr_x, y=_FOOTER_TOP, size=_QR_SIZE)


def _draw_qr(pdf: FPDF, url: str, *, x: float, y: float, size: float) -> None:
    """The QR code of `url` (segno), drawn as one filled rectangle per run of dark
    modules. The page around it stays blank for more than the four-module quiet zone."""
    import segno

    code = segno.make(url, error="m", micro=False)
    modules = code.symbol_size(border=0)[0]
    step = size / modules
    pdf.set_fill_color(0, 0, 0)
    for row, dark in enumerate(code.matrix_iter(scale=1, border=0)):
        cells = list(dark)
        column = 0
        while column < modules:
            if not cells[column]:
                column += 1
                continue
            start = column
            while column < modules and cells[column]:
                column += 1
            # A hair of overlap, so that no seam shows between rows when rasterised.
            pdf.rect(x + start * step, y + row * step, (column - start) * step, step + 0.02, "F")
    pdf.link(x, y, size, size, url)


def _draw_continuation(setter: Setter, words: Wording, what: _Continuation) -> None:
    """Pages after the first: what page 1 could not hold, in full width."""
    pdf = setter.pdf
    top = _TOP + 8

    def new_page() -> float:
        pdf.add_page()
        _draw_frame(pdf)
        head = words.running_head
        setter.paragraph(head, _RUNNING_HEAD, x=_LEFT, y=_TOP - 4, width=_WIDTH, align="R")
        return top

    y = new_page()
    if what.days:
        row_h = 5.2
        per_column = max(1, int((_BOTTOM - top) // row_h) - 2)
        days = words.days
        chunks = [days[i : i + per_column] for i in range(0, len(days), per_column)]
        x = _LEFT
        for index, chunk in enumerate(chunks):
            if x + _TABLE_W > _RIGHT:
                y, x = new_page(), _LEFT
            last = index == len(chunks) - 1
            end = _draw_table(setter, words, chunk, x=x, y=y, row_h=row_h, with_total=last)
            x += _TABLE_W + _GUTTER
        y = end + 8 if len(chunks) == 1 else new_page()
    statements = words.fine_print[what.statements_from :]
    if statements:
        y = setter.paragraph(
            words.statements_heading, _LABEL, x=_LEFT, y=y, width=_WIDTH, align="L"
        )
        y += 2
    kind = _FINE.at(9)
    for statement in statements:
        align: Align = "R" if right_to_left(statement) else "L"
        for line in setter.lines(statement, kind, _WIDTH):
            above, below = setter.room(line, kind)
            if y + above + kind.line_height + below > _BOTTOM:
                y = new_page()
            setter.line(line, kind, x=_LEFT, y=y + above, width=_WIDTH, align=align)
            y += above + kind.line_height + below
        y += _FINE_GAP


def render_certificate(facts: CertificateFacts) -> bytes:
    """The certificate as PDF bytes: A4 landscape, on one page unless the per-day table
    or the statements cannot fit on it at a legible size (they then follow on page 2).
    Raises ValueError for a naive `issued_at`, and UnprintableName rather than leave a
    character of the name (or of any other text from data) blank."""
    from fpdf import FPDF
    from fpdf.fonts import TTFFont

    if facts.issued_at.utcoffset() is None:
        raise ValueError("issued_at must be timezone-aware")
    problems = printing_problems(facts)
    if problems:
        raise UnprintableName(problems)
    shape_marks_with_their_base()
    words = wording(facts)
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_margins(_LEFT, _TOP, _PAGE_W - _RIGHT)
    pdf.set_auto_page_break(False)
    pdf.c_margin = 0
    pdf.set_creation_date(facts.issued_at)
    pdf.set_title(words.title)
    pdf.set_author(words.author)
    pdf.set_subject(words.subject)
    pdf.set_keywords([words.serial, "CME", "certificate"])
    pdf.set_creator("cme-credits")
    pdf.set_lang("en")
    written: list[Path] = []
    try:
        setter = Setter(pdf, install_fonts(pdf, words.printed(), written))
        pdf.add_page()
        _draw_frame(pdf)
        y = _draw_heading(setter, words)
        y = _draw_award(setter, words, y)
        continuation = _draw_middle(setter, words, y + 7, _FOOTER_TOP - 9)
        _draw_footer(setter, words, facts.verify_url)
        if continuation.needed(len(words.fine_print)):
            _draw_continuation(setter, words, continuation)
        return bytes(pdf.output())
    finally:
        for font in pdf.fonts.values():
            if isinstance(font, TTFFont):
                font.close()
        for path in written:
            path.unlink(missing_ok=True)


def rehearse() -> None:
    """Draw one certificate in memory and drop it: what the certificate function's first
    request would load (fpdf2, fontTools, Pillow, HarfBuzz, segno; Noto Sans opened and its
    coverage read), loaded before a SnapStart snapshot instead (`cme.snapstart`). Pure:
    nothing is stored or sent."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from cme.certificate.facts import CertificateDay

    day = date(2025, 1, 1)
    render_certificate(
        CertificateFacts(
            serial="0000-0000-0000-0000-0000",
            verify_url="https://cme.invalid/certificates/0000-0000-0000-0000-0000",
            event_name="Rehearsal",
            event_city="Rehearsal",
            event_country="Rehearsal",
            first_day=day,
            last_day=day,
            accreditation_body="Rehearsal",
            unit="credits",
            event_total=Decimal(1),
            delegate_name="Rehearsal",
            total=Decimal(1),
            live=Decimal(1),
            capped_by_event_total=False,
            days=(CertificateDay(day, Decimal(1)),),
            accreditation_statement="Rehearsal",
            conversions=(),
            statements=(),
            issued_at=datetime(2025, 1, 1, tzinfo=UTC),
        )
    )
