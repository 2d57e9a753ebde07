"""The organiser's picture of the congress while it runs (CONTRACT.md, `GET
/v1/events/{e}/dashboard`): registrations, presence per day, scans per hour, the most
attended sessions, the distribution of totals, readiness for a certificate and refused
scans by reason.

`congress_picture` is pure (delegates' report rows and refusals in, counts out: the rows
are kept current on write by `cme.projection`, so drawing the page reads one item per
delegate, not their facts); `render_dashboard` turns
a picture into one self-contained HTML page: inline CSS and inline SVG charts drawn here,
no script, font or other request, so it works behind a congress firewall and opens from a
file. Every chart has a text alternative and a table of its numbers under it. Nothing
personal is on the page: counts only, never a name or an email.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_FLOOR, Decimal
from html import escape
from typing import Final

from cme.facts import Attendance
from cme.programme import Programme
from cme.projection import DelegateRow, current_rows
from cme.readiness import Readiness
from cme.records import CertificateStatus, RefusedScan, Store
from cme.timestamps import format_utc

TOP_SESSIONS: Final = 20
PAGE: Final = 1000
"""Delegates read per store page while the picture is drawn."""


@dataclass(frozen=True, slots=True)
class DayPresence:
    date: date
    present: int
    """Delegates with an accepted scan or a live view that day."""
    earning: int
    """Delegates with credits above 0 that day."""


@dataclass(frozen=True, slots=True)
class SessionAttendance:
    session_id: str
    title: str
    date: date
    credited: int
    """Delegates for whom the session is credited (or parallel: it would be on its own)."""


@dataclass(frozen=True, slots=True)
class TotalBand:
    label: str
    tick: str
    """The band's short name under its bar."""
    delegates: int


@dataclass(frozen=True, slots=True)
class CongressPicture:
    event_id: str
    event_name: str
    unit: str
    timezone: str
    drawn_at: datetime
    registered: int
    by_attendance: tuple[tuple[str, int], ...]
    days: tuple[DayPresence, ...]
    scans_per_hour: tuple[tuple[datetime, int], ...]
    """Local hour (in the event's zone) -> accepted scans, every hour from the first
    scan's to the last's, so quiet hours show as 0."""
    top_sessions: tuple[SessionAttendance, ...]
    totals: tuple[TotalBand, ...]
    readiness: tuple[tuple[Readiness, int], ...]
    certificates: tuple[tuple[CertificateStatus, int], ...]
    refused: tuple[tuple[str, int], ...]
    """Refused scans by their code, most frequent first."""


def congress_picture(
    programme: Programme,
    rows: Iterable[DelegateRow],
    refused: Iterable[RefusedScan],
    *,
    now: datetime,
) -> CongressPicture:
    """The picture from each delegate's report row (`cme.projection`: current as kept, or
    computed from the facts) and the refused scans."""
    event = programme.event
    days = [d.date for d in programme.days]
    attendance: Counter[str] = Counter({a.value: 0 for a in Attendance})
    present: Counter[date] = Counter()
    earning: Counter[date] = Counter()
    hours: Counter[str] = Counter()
    credited: Counter[str] = Counter()
    totals: list[Decimal] = []
    ready: Counter[Readiness] = Counter({r: 0 for r in Readiness})
    certificates: Counter[CertificateStatus] = Counter()
    registered = 0
    for row in rows:
        registered += 1
        attendance[row.attendance] += 1
        present.update(row.present)
        hours.update(row.scans_by_hour)
        earning.update(d for d, credits in row.days.items() if credits > 0)
        credited.update(row.credited)
        totals.append(row.total)
        ready[row.readiness] += 1
        if row.certificate_status is not None:
            certificates[row.certificate_status] += 1
    top = sorted(credited.items(), key=lambda kv: (-kv[1], _order(programme, kv[0])))
    refusals = Counter(r.code for r in refused)
    return CongressPicture(
        event_id=event.id,
        event_name=event.name,
        unit=event.accreditation.unit,
        timezone=event.timezone,
        drawn_at=now,
        registered=registered,
        by_attendance=tuple(attendance.items()),
        days=tuple(
            DayPresence(d, present[d], earning[d])
            for d in sorted(set(days) | {d for d, n in present.items() if n})
        ),
        scans_per_hour=_every_hour(hours, event.zone),
        top_sessions=tuple(
            SessionAttendance(s.id, s.title, s.date, count)
            for session_id, count in top[:TOP_SESSIONS]
            if (s := programme.session(session_id)) is not None
        ),
        totals=_bands(totals),
        readiness=tuple(ready.items()),
        certificates=tuple(sorted(certificates.items())),
        refused=tuple(sorted(refusals.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def _order(programme: Programme, session_id: str) -> int:
    session = programme.session(session_id)
    return session.order if session is not None else len(programme.sessions)


HOUR_KEY: Final = "%Y-%m-%dT%H"


def _every_hour(hours: Counter[str], zone: tzinfo) -> tuple[tuple[datetime, int], ...]:
    """Local hours (keys `2025-05-24T08`) from the first with scans to the last, quiet
    ones as 0. Stepped in UTC: a DST change makes a local hour repeat or vanish."""
    if not hours:
        return ()
    first, last = (
        datetime.strptime(key, HOUR_KEY).replace(tzinfo=zone).astimezone(UTC)
        for key in (min(hours), max(hours))
    )
    run: list[tuple[datetime, int]] = []
    instant = first
    while instant <= last:
        local = instant.astimezone(zone)
        run.append((local, hours.get(local.strftime(HOUR_KEY), 0)))
        instant += _HOUR
    return tuple(run)


def _bands(totals: Sequence[Decimal]) -> tuple[TotalBand, ...]:
    """Delegates by total: nothing yet, then whole-credit bands up to the highest total."""
    if not totals:
        return ()
    floors = Counter(int(t.to_integral_value(rounding=ROUND_FLOOR)) for t in totals if t > 0)
    bands = [TotalBand("0", "0", sum(1 for t in totals if t <= 0))]
    for floor in range(max(floors, default=-1) + 1):
        bands.append(TotalBand(f"{floor} to under {floor + 1}", f"{floor}\u2013", floors[floor]))
    return tuple(bands)


def every_row(
    store: Store, event_id: str, programme: Programme, version: int
) -> Iterator[DelegateRow]:
    """Every delegate's report row, page by page."""
    after: str | None = None
    while True:
        rows, after = current_rows(store, event_id, programme, version, after=after, limit=PAGE)
        yield from rows
        if after is None:
            return


def draw_dashboard(store: Store, event_id: str, *, now: datetime, refresh: int | None) -> str:
    """The dashboard page of an event as stored now."""
    from cme.recording import versioned_programme

    programme, version = versioned_programme(store, event_id, latest=True)
    rows = every_row(store, event_id, programme, version)
    picture = congress_picture(programme, rows, store.refused_scans(event_id), now=now)
    return render_dashboard(picture, refresh=refresh)


# --------------------------------------------------------------------------- the page

_HOUR: Final = timedelta(hours=1)

_READINESS_WORDS: Final = {
    Readiness.READY: "Ready for a certificate",
    Readiness.EMPTY_CART: "Nothing in the CME cart",
    Readiness.EVALUATIONS_MISSING: "Evaluations missing",
    Readiness.NOT_ELIGIBLE: "Profession not accredited",
    Readiness.TEST_NOT_PASSED: "Learning test not passed",
    Readiness.NO_CREDITS: "No credits earned yet",
}

_STYLE: Final = """
:root{color-scheme:light;--ink:#1b1f24;--muted:#59636e;--bar:#1f5f99;--line:#d0d7de}
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
color:var(--ink);background:#f6f8fa}
main{max-width:72rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:0 0 .75rem}
.meta{color:var(--muted);margin:0 0 1.5rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:1rem;
margin:0 0 1.5rem;padding:0;list-style:none}
.cards li{background:#fff;border:1px solid var(--line);border-radius:.5rem;padding:1rem}
.cards strong{display:block;font-size:1.8rem}
section{background:#fff;border:1px solid var(--line);border-radius:.5rem;padding:1rem 1.25rem;
margin:0 0 1.5rem}
figure{margin:0 0 1rem}svg{max-width:100%;height:auto}
svg text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;fill:var(--ink)}
svg .bar{fill:var(--bar)}svg .axis{stroke:var(--line)}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
table+table{margin-top:1.25rem}
caption{text-align:left;color:var(--muted);padding:0 0 .25rem}
th,td{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:left}
td.n,th.n{text-align:right}
details summary{cursor:pointer;color:var(--muted)}
.empty{color:var(--muted);font-style:italic}
"""


def render_dashboard(picture: CongressPicture, *, refresh: int | None = None) -> str:
    ready = dict(picture.readiness).get(Readiness.READY, 0)
    present_any = max((d.present for d in picture.days), default=0)
    issued = sum(n for status, n in picture.certificates if status is CertificateStatus.VALID)
    refused = sum(n for _, n in picture.refused)
    head = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="robots" content="noindex">',
    ]
    if refresh:
        head.append(f'<meta http-equiv="refresh" content="{int(refresh)}">')
    head.append(f"<title>{_e(picture.event_name)}: CME dashboard</title>")
    head.append(f"<style>{_STYLE}</style></head><body><main>")
    parts = [
        *head,
        f"<h1>{_e(picture.event_name)}</h1>",
        f'<p class="meta">CME dashboard of event <code>{_e(picture.event_id)}</code>, drawn at '
        f"{_e(format_utc(picture.drawn_at))} (times below in {_e(picture.timezone)}).</p>",
        '<ul class="cards" aria-label="At a glance">',
        _card("Delegates registered", picture.registered),
        _card("Most present on one day", present_any),
        _card("Ready for a certificate", ready),
        _card("Valid certificates issued", issued),
        _card("Refused scans", refused),
        "</ul>",
        _registrations(picture),
        _presence(picture),
        _scans(picture),
        _sessions(picture),
        _totals(picture),
        _readiness(picture),
        _refusals(picture),
        "</main></body></html>",
    ]
    return "\n".join(parts)


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _card(label: str, value: int) -> str:
    return f"<li><strong>{value:,}</strong>{_e(label)}</li>"


def _section(anchor: str, title: str, body: Iterable[str]) -> str:
    return (
        f'<section aria-labelledby="{anchor}"><h2 id="{anchor}">{_e(title)}</h2>'
        + "".join(body)
        + "</section>"
    )


def _table(caption: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A data table; columns after the first that hold numbers align right."""
    cells = ["<table>", f"<caption>{_e(caption)}</caption><thead><tr>"]
    cells += [f'<th scope="col"{_num_class(i)}>{_e(h)}</th>' for i, h in enumerate(header)]
    cells.append("</tr></thead><tbody>")
    for row in rows:
        first, *rest = row
        cells.append(f'<tr><th scope="row">{_e(first)}</th>')
        cells += [f"<td{_num_class(1 if isinstance(v, int) else 0)}>{_cell(v)}</td>" for v in rest]
        cells.append("</tr>")
    cells.append("</tbody></table>")
    return "".join(cells)


def _num_class(index: int) -> str:
    return ' class="n"' if index > 0 else ""


def _cell(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else _e(value)


def _bars(
    anchor: str,
    description: str,
    bars: Sequence[tuple[str, int]],
    *,
    horizontal: bool = False,
    ticks: Sequence[str] | None = None,
) -> str:
    """A bar chart as inline SVG. Screen readers get `description` (the chart's text
    alternative) and every bar's own label and value as its `<title>`; the table under the
    chart holds the same numbers. `ticks`: shorter names under the bars of a vertical
    chart (its labels otherwise)."""
    if not bars or not any(v for _, v in bars):
        return f'<p class="empty">{_e(description)}: nothing recorded yet.</p>'
    top = max(v for _, v in bars)
    if horizontal:
        width, height, shapes = _horizontal(bars, top)
    else:
        width, height, shapes = _vertical(bars, top, ticks or [label for label, _ in bars])
    return (
        f'<figure><svg role="img" aria-labelledby="{anchor}-t {anchor}-d" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{anchor}-t">{_e(description)}</title>'
        f'<desc id="{anchor}-d">Largest value {top:,}; the table below lists every value.</desc>'
        + "".join(shapes)
        + "</svg></figure>"
    )


_CHAR: Final = 7
"""About the width of a character of the charts' 12 px labels."""


def _vertical(
    bars: Sequence[tuple[str, int]], top: int, ticks: Sequence[str]
) -> tuple[int, int, list[str]]:
    step = max(8, min(90, 900 // len(bars)))
    widest = max(len(t) for t in ticks) * _CHAR + 6
    every = -(-widest // step)  # a tick under every bar it does not overlap
    plot, left, base = 200, 40, 220
    width, height = left + step * len(bars) + 10, base + 30
    shapes = [
        f'<line class="axis" x1="{left}" y1="{base}" x2="{width - 5}" y2="{base}"/>',
        f'<text x="{left - 6}" y="{base - plot + 4}" text-anchor="end">{top:,}</text>',
        f'<text x="{left - 6}" y="{base + 4}" text-anchor="end">0</text>',
    ]
    for i, ((label, value), tick) in enumerate(zip(bars, ticks, strict=True)):
        h = round(plot * value / top) if top else 0
        x = left + i * step
        shapes.append(
            f'<rect class="bar" x="{x + 1}" y="{base - h}" width="{step - 2}" height="{h}">'
            f"<title>{_e(label)}: {value:,}</title></rect>"
        )
        if i % every == 0:
            shapes.append(
                f'<text x="{x + step / 2:.1f}" y="{base + 16}" text-anchor="middle">'
                f"{_e(tick)}</text>"
            )
    return width, height, shapes


def _horizontal(bars: Sequence[tuple[str, int]], top: int) -> tuple[int, int, list[str]]:
    longest = 40
    row, left, plot = 22, longest * _CHAR + 12, 520
    width, height = left + plot + 60, row * len(bars) + 10
    shapes = []
    for i, (label, value) in enumerate(bars):
        w = round(plot * value / top) if top else 0
        y = 5 + i * row
        short = label if len(label) <= longest else label[: longest - 1] + "\u2026"
        shapes.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{_e(short)}</text>'
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{w}" height="{row - 6}">'
            f"<title>{_e(label)}: {value:,}</title></rect>"
            f'<text x="{left + w + 6}" y="{y + 15}">{value:,}</text>'
        )
    return width, height, shapes


def _registrations(p: CongressPicture) -> str:
    words = {Attendance.IN_PERSON.value: "In person", Attendance.ONLINE.value: "Online"}
    rows = [(words.get(kind, kind), n) for kind, n in p.by_attendance]
    return _section(
        "registrations",
        "Registrations",
        [_table("Delegates by attendance", ("Attendance", "Delegates"), rows)],
    )


def _presence(p: CongressPicture) -> str:
    bars = [(d.date.strftime("%A %d %B"), d.present) for d in p.days]
    ticks = [d.date.strftime("%a %d %b") for d in p.days]
    rows = [(d.date.isoformat(), d.present, d.earning) for d in p.days]
    return _section(
        "presence",
        "Presence per day",
        [
            _bars("presence-chart", "Delegates present per conference day", bars, ticks=ticks),
            _table(
                "Present: an accepted scan or a live view that day. Credits for a day may also"
                " come from its recordings, watched later.",
                ("Day", "Present", "With credits for the day"),
                rows,
            ),
        ],
    )


def _scans(p: CongressPicture) -> str:
    bars = [(hour.strftime("%a %d %b %H:00"), n) for hour, n in p.scans_per_hour]
    ticks = [hour.strftime("%H") for hour, _ in p.scans_per_hour]
    rows = [(hour.strftime("%Y-%m-%d %H:00 %Z"), n) for hour, n in p.scans_per_hour if n]
    return _section(
        "scans",
        "Scans per hour",
        [
            _bars(
                "scans-chart",
                "Accepted scans per hour, local time",
                bars,
                ticks=ticks,
            ),
            "<details><summary>Every hour with scans</summary>",
            _table("Accepted scans per local hour", ("Hour", "Scans"), rows),
            "</details>",
        ],
    )


def _sessions(p: CongressPicture) -> str:
    bars = [(f"{s.session_id} {s.title}", s.credited) for s in p.top_sessions]
    rows = [(s.session_id, s.title, s.date.isoformat(), s.credited) for s in p.top_sessions]
    return _section(
        "sessions",
        f"The {TOP_SESSIONS} most attended sessions",
        [
            _bars("sessions-chart", "Delegates credited per session", bars, horizontal=True),
            _table(
                "Delegates for whom the session is credited (or would be, but for a parallel one).",
                ("Session", "Title", "Day", "Delegates"),
                rows,
            ),
        ],
    )


def _totals(p: CongressPicture) -> str:
    bars = [(band.label, band.delegates) for band in p.totals]
    ticks = [band.tick for band in p.totals]
    return _section(
        "totals",
        "Distribution of totals",
        [
            _bars("totals-chart", f"Delegates by total {p.unit}", bars, ticks=ticks),
            _table(f"Delegates by total {p.unit}", (f"Total {p.unit}", "Delegates"), bars),
        ],
    )


def _readiness(p: CongressPicture) -> str:
    rows = [(_READINESS_WORDS[r], n) for r, n in p.readiness]
    certificates = [(status.value.capitalize(), n) for status, n in p.certificates]
    return _section(
        "readiness",
        "Ready for a certificate, and why not",
        [
            _bars("readiness-chart", "Delegates by readiness", rows, horizontal=True),
            _table("The first reason that applies, per delegate", ("Readiness", "Delegates"), rows),
            _table("Latest certificate per delegate", ("Status", "Delegates"), certificates)
            if certificates
            else '<p class="empty">No certificate issued yet.</p>',
        ],
    )


def _refusals(p: CongressPicture) -> str:
    rows = list(p.refused)
    body: list[str] = [
        _bars("refused-chart", "Refused scans by reason", rows, horizontal=True),
        _table("Refused scans by their code", ("Reason (code)", "Scans"), rows) if rows else "",
    ]
    return _section("refused", "Refused scans by reason", body)
