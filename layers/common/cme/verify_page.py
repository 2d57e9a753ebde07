"""Public verification of a certificate: the contract's JSON, and the small HTML page a
licensing board sees after scanning the certificate's QR code with a phone.

Pure: facts in, text out. The page holds exactly the fields of `Verification` (no email,
nothing the certificate does not state), escapes every one of them, and stands alone:
inline CSS, no script, no font, image or other request.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from html import escape
from typing import Any, Final

from cme.amounts import for_json, for_print
from cme.certificate import CertificateDay
from cme.certificate.fonts import right_to_left, shaping_language
from cme.records import CertificateStatus
from cme.timestamps import format_utc
from cme.wording import UNIT_PLURALS, long_date

__all__ = ["PAGE_HEADERS", "Verification", "render_verify_page", "verification_as_json"]


@dataclass(frozen=True, slots=True)
class Verification:
    serial: str
    event_id: str
    event_name: str
    delegate_name: str
    total: Decimal
    unit: str
    issued_at: datetime
    status: CertificateStatus
    days: tuple[CertificateDay, ...] = ()
    kind: str = "credits"
    """`credits`, or `attendance`: a certificate of attendance, without credits."""

    @property
    def of_attendance(self) -> bool:
        return self.kind == "attendance"


def verification_as_json(v: Verification) -> dict[str, Any]:
    """The body of `GET /v1/certificates/{serial}` (CONTRACT.md, public verification)."""
    return {
        "serial": v.serial,
        "event_id": v.event_id,
        "event_name": v.event_name,
        "delegate_name": v.delegate_name,
        "total": for_json(v.total),
        "unit": v.unit,
        "issued_at": format_utc(v.issued_at),
        "status": v.status,
        "kind": v.kind,
    }


@dataclass(frozen=True, slots=True)
class _Status:
    word: str
    """Said in words, never by colour alone."""
    explanation: str
    symbol: str
    ink: str
    paper: str


_STATUSES: Final = {
    CertificateStatus.VALID: _Status(
        "Valid",
        "This certificate is genuine and is the current one for this delegate.",
        "\u2713",
        "#0b5d2a",
        "#e7f4ec",
    ),
    CertificateStatus.SUPERSEDED: _Status(
        "Superseded",
        "This certificate was genuine, but a newer certificate has replaced it for this"
        " delegate. Ask the delegate for the current one.",
        "\u21bb",
        "#7a4100",
        "#fdf1df",
    ),
    CertificateStatus.REVOKED: _Status(
        "Revoked",
        "This certificate was revoked by the organiser and is no longer valid.",
        "\u2715",
        "#8f1a1a",
        "#fbe9e9",
    ),
}

_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_STYLE: Final = (
    "".join(
        f".status-{key}{{--status-ink:{s.ink};--status-paper:{s.paper}}}"
        for key, s in _STATUSES.items()
    )
    + """
:root{color-scheme:light;--ink:#1b1f24;--muted:#4d5560;--line:#d5dae1;--accent:#173763}
*{box-sizing:border-box}
body{margin:0;background:#f3f5f8;color:var(--ink);
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif}
main{max-width:36rem;margin:0 auto;padding:1.25rem 1rem 2rem}
.kicker{margin:0 0 .75rem;color:var(--accent);font-size:.8rem;font-weight:700;
letter-spacing:.12em;text-transform:uppercase}
.status{display:flex;gap:.85rem;align-items:flex-start;padding:1rem;border-radius:.6rem;
border:2px solid var(--status-ink);background:var(--status-paper);color:var(--status-ink)}
.symbol{flex:none;width:2.25rem;height:2.25rem;border-radius:50%;display:grid;
place-items:center;background:var(--status-ink);color:#fff;font-size:1.25rem;
font-weight:700;line-height:1}
h1{margin:0;font-size:1.5rem;line-height:1.2}
.status p{margin:.25rem 0 0;color:var(--ink)}
.card{margin-top:1rem;padding:1rem;background:#fff;border:1px solid var(--line);
border-radius:.6rem}
dl{margin:0}
dt{color:var(--muted);font-size:.85rem}
dt:not(:first-child){margin-top:.7rem}
dd{margin:0;font-size:1.05rem;font-weight:600;overflow-wrap:anywhere}
.serial{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;
letter-spacing:.04em}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:700;padding-bottom:.4rem}
th,td{padding:.4rem 0;border-bottom:1px solid var(--line);text-align:left}
th:last-child,td:last-child{text-align:right}
thead th{color:var(--muted);font-weight:600;font-size:.9rem}
.note{margin:1rem 0 0;color:var(--muted);font-size:.9rem}
h2{margin:0 0 .4rem;font-size:1rem}
ul{margin:0;padding-left:1.2rem}
@media (min-width:34rem){dl{display:grid;grid-template-columns:9rem 1fr;gap:.6rem 1rem}
dt:not(:first-child){margin-top:0}dt{font-size:1rem}}
""".strip()
)

_STYLE_HASH: Final = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()

PAGE_HEADERS: Final = {
    # Defence in depth (every field is escaped): the page loads nothing, runs nothing,
    # posts nothing and is framed by no one; its one stylesheet is allowed by its hash.
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
"""The headers the page is served with."""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _long_date(instant: datetime) -> str:
    utc = instant.astimezone(UTC)
    return f"{long_date(utc.date())}, {utc:%H:%M} UTC"


def _unit_label(unit: str) -> str:
    return UNIT_PLURALS.get(unit, unit)


def _days_table(v: Verification, unit: str) -> str:
    if not v.days:
        return ""
    if v.of_attendance:
        attended = "".join(
            f'<li><time datetime="{d.date.isoformat()}">'
            f"{_WEEKDAYS[d.date.weekday()]} {long_date(d.date)}</time></li>"
            for d in v.days
        )
        return f'<section class="card"><h2>Days attended</h2><ul>{attended}</ul></section>'
    rows = "".join(
        f'<tr><td><time datetime="{d.date.isoformat()}">'
        f"{_WEEKDAYS[d.date.weekday()]} {long_date(d.date)}"
        f"</time></td><td>{_e(for_print(d.credits))}</td></tr>"
        for d in v.days
    )
    return (
        '<section class="card"><table><caption>Credits by day</caption>'
        f'<thead><tr><th scope="col">Day</th><th scope="col">{_e(unit)}</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def _name_attributes(name: str) -> str:
    """`dir` as the certificate sets the name (by its first strong character), and the
    language where the script decides the glyph forms, as on the certificate (kana:
    Japanese, Hangul: Korean, Han alone: Traditional Chinese). Otherwise the language
    of a name is unknown: it is not claimed."""
    direction = "rtl" if right_to_left(name) else "ltr"
    language = shaping_language(name)
    lang = "" if language == "und" else f' lang="{language}"'
    return f' dir="{direction}"{lang}'


def render_verify_page(v: Verification) -> str:
    """The verification page, a complete HTML document. Raises ValueError for a status
    the contract does not have or a naive `issued_at`."""
    status = _STATUSES.get(v.status)
    if status is None:
        raise ValueError(f"unknown certificate status: {v.status!r}")
    if v.issued_at.utcoffset() is None:
        raise ValueError("issued_at must be timezone-aware")
    unit = _unit_label(v.unit)
    total = f"{for_print(v.total)} {unit}"
    kind, credits = "Certificate of credits", "Credits"
    if v.of_attendance:
        kind, total = (
            "Certificate of attendance",
            "none: a certificate of attendance carries no credits",
        )
    issued = format_utc(v.issued_at)
    title = f"{status.word} certificate {v.serial} \u2013 CME certificate verification"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>{_e(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<p class="kicker">CME certificate verification</p>
<section class="status status-{_e(v.status)}" aria-labelledby="status">
<span class="symbol" aria-hidden="true">{status.symbol}</span>
<div><h1 id="status">{_e(status.word)}</h1><p>{_e(status.explanation)}</p></div>
</section>
<section class="card" aria-label="What the certificate states">
<dl>
<dt>Delegate</dt><dd{_name_attributes(v.delegate_name)}>{_e(v.delegate_name)}</dd>
<dt>Event</dt><dd dir="auto">{_e(v.event_name)}</dd>
<dt>Kind</dt><dd>{_e(kind)}</dd>
<dt>{credits}</dt><dd>{_e(total)}</dd>
<dt>Issued</dt><dd><time datetime="{_e(issued)}">{_e(_long_date(v.issued_at))}</time></dd>
<dt>Certificate</dt><dd class="serial">{_e(v.serial)}</dd>
<dt>Status</dt><dd>{_e(status.word)}</dd>
</dl>
</section>
{_days_table(v, unit)}
<p class="note">Compare these facts with the certificate you were shown: the name, the \
{"kind" if v.of_attendance else "credits"} and the certificate number must match.</p>
</main>
</body>
</html>
"""
