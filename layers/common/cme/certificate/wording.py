"""Every string a certificate prints, worded from its facts (NFC, with the registered
marks where the certificate names them itself)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

from cme.amounts import for_print
from cme.certificate.facts import CertificateFacts
from cme.certificate.fonts import printed_form
from cme.wording import MONTHS, UNIT_PLURALS, long_date

_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Registered names get their mark where the certificate names them itself; the
# organiser's statements are printed as written.
_MARKS: Final = (
    (re.compile(r"\bEACCME\b(?!®)"), "EACCME®"),
    (re.compile(r"\bECMEC\b(?!®)"), "ECMEC®"),
    (re.compile(r"\b(AMA PRA Category 1 Credits?)\b(?!™)"), r"\1™"),
)


def _marked(text: str) -> str:
    for pattern, replacement in _MARKS:
        text = pattern.sub(replacement, text)
    return text


def _unit_label(unit: str) -> str:
    return UNIT_PLURALS.get(unit, _marked(unit))


def _date_span(first: date, last: date) -> str:
    if first == last:
        return long_date(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}\u2013{last.day} {MONTHS[last.month - 1]} {last.year}"
    if first.year == last.year:
        return f"{first.day} {MONTHS[first.month - 1]} \u2013 {long_date(last)}"
    return f"{long_date(first)} \u2013 {long_date(last)}"


def _day_label(day: date) -> str:
    return f"{_WEEKDAYS[day.weekday()]}, {long_date(day)}"


def _issued(instant: datetime) -> str:
    utc = instant.astimezone(UTC)
    return f"{long_date(utc.date())}, {utc:%H:%M} UTC"


def _place(city: str, country: str) -> str:
    return ", ".join(part for part in (city, country) if part)


@dataclass(frozen=True, slots=True)
class Wording:
    """Every string the certificate prints (NFC), and its metadata."""

    label: str
    event_name: str
    place_and_dates: str
    accreditation: str
    certify: str
    delegate_name: str
    profession: str
    """The delegate's profession, under the name; empty when the programme lists none."""
    attended: str
    total_amount: str
    total_unit: str
    cap_note: str
    live_note: str
    """Empty unless part of the total came from recordings."""
    conversions: tuple[str, ...]
    table_head: tuple[str, str]
    days: tuple[tuple[str, str], ...]
    table_total: tuple[str, str]
    fine_print: tuple[str, ...]
    issued: str
    serial_label: str
    serial: str
    verify_hint: str
    verify_url: str
    days_elsewhere: str
    continued: str
    statements_heading: str
    running_head: str
    title: str
    author: str
    subject: str

    def printed(self) -> str:
        """All the text, for choosing and cutting the fonts."""
        return "".join(
            [
                self.label,
                self.event_name,
                self.place_and_dates,
                self.accreditation,
                self.certify,
                self.delegate_name,
                self.profession,
                self.attended,
                self.total_amount,
                self.total_unit,
                "\u2009",
                self.cap_note,
                self.live_note,
                *self.conversions,
                *self.table_head,
                *(cell for row in self.days for cell in row),
                *self.table_total,
                *self.fine_print,
                self.issued,
                self.serial_label,
                self.serial,
                self.verify_hint,
                self.verify_url,
                self.days_elsewhere,
                self.continued,
                self.statements_heading,
                self.running_head,
            ]
        )


def _nfc(text: str) -> str:
    """`text` as printed: NFC, trimmed, without what prints nothing and would get in the
    way of shaping (`printed_form`)."""
    return printed_form(unicodedata.normalize("NFC", text.strip()))


def wording(facts: CertificateFacts) -> Wording:
    if facts.of_attendance:
        return _attendance_wording(facts)
    unit = _unit_label(facts.unit)
    name = _nfc(facts.delegate_name)
    event = _nfc(facts.event_name)
    serial = _nfc(facts.serial)
    total = for_print(facts.total)
    place = _place(_nfc(facts.event_city), _nfc(facts.event_country))
    dates = _date_span(facts.first_day, facts.last_day)
    statements = [
        facts.accreditation_statement,
        *(c.statement for c in facts.conversions),
        *facts.statements,
    ]
    return Wording(
        label="CERTIFICATE OF ATTENDANCE",
        event_name=event,
        place_and_dates=" \u00b7 ".join(part for part in (place, dates) if part),
        accreditation=_nfc(
            f"Accredited by the {_marked(facts.accreditation_body)} "
            f"with {for_print(facts.event_total)} {unit}"
        ),
        certify="This is to certify that",
        delegate_name=name,
        profession=_nfc(facts.profession),
        attended="attended this event and is awarded",
        total_amount=total,
        total_unit=unit,
        cap_note=(
            f"capped at the event\u2019s accredited total of {for_print(facts.event_total)} {unit}"
            if facts.capped_by_event_total
            else ""
        ),
        live_note=(
            f"of which {for_print(facts.live)} {unit} in live participation"
            if facts.live != facts.total
            else ""
        ),
        conversions=tuple(
            _nfc(f"equivalent to {for_print(c.credits)} {_marked(c.name)}")
            for c in facts.conversions
        ),
        table_head=("Credits by day", unit),
        days=tuple((_day_label(d.date), for_print(d.credits)) for d in facts.days),
        table_total=("Total (capped)" if facts.capped_by_event_total else "Total", total),
        fine_print=tuple(_nfc(s) for s in statements if s.strip()),
        issued=f"Issued {_issued(facts.issued_at)}",
        serial_label="Certificate number",
        serial=serial,
        verify_hint="To check that this certificate is valid, scan the code or open",
        verify_url=_nfc(facts.verify_url),
        days_elsewhere="Credits by day: on page 2.",
        continued="Continued on page 2.",
        statements_heading="STATEMENTS",
        running_head=f"Certificate {serial} (continued)",
        title=f"Certificate of attendance: {name}, {event}",
        author=event,
        subject=f"CME certificate {serial}: {total} {unit}",
    )


ATTENDANCE_NOTE: Final = (
    "This is a certificate of attendance. It carries no CME credits: the event\u2019s "
    "accreditation does not cover the delegate\u2019s profession."
)


def _attendance_wording(facts: CertificateFacts) -> Wording:
    """A certificate of attendance (RULES.md, "Professions"): the days attended, no
    credits and no conversions, worded as such on its label, under the name, in its
    table and in its note."""
    name = _nfc(facts.delegate_name)
    event = _nfc(facts.event_name)
    serial = _nfc(facts.serial)
    place = _place(_nfc(facts.event_city), _nfc(facts.event_country))
    count = len(facts.days)
    days_text = f"{count} day{'s' if count != 1 else ''}"
    return Wording(
        label="CERTIFICATE OF ATTENDANCE \u00b7 NO CME CREDITS",
        event_name=event,
        place_and_dates=" \u00b7 ".join(
            part for part in (place, _date_span(facts.first_day, facts.last_day)) if part
        ),
        accreditation=_nfc(f"Accredited by the {_marked(facts.accreditation_body)}"),
        certify="This is to certify that",
        delegate_name=name,
        profession=_nfc(facts.profession),
        attended="attended this event for",
        total_amount=str(count),
        total_unit=f"day{'s' if count != 1 else ''} of attendance",
        cap_note="No CME credits are awarded with this certificate.",
        live_note="",
        conversions=(),
        table_head=("Days attended", ""),
        days=tuple((_day_label(d), "attended") for d in (day.date for day in facts.days)),
        table_total=("Days attended", days_text),
        fine_print=(ATTENDANCE_NOTE,),
        issued=f"Issued {_issued(facts.issued_at)}",
        serial_label="Certificate number",
        serial=serial,
        verify_hint="To check that this certificate is valid, scan the code or open",
        verify_url=_nfc(facts.verify_url),
        days_elsewhere="Days attended: on page 2.",
        continued="Continued on page 2.",
        statements_heading="STATEMENTS",
        running_head=f"Certificate {serial} (continued)",
        title=f"Certificate of attendance (no credits): {name}, {event}",
        author=event,
        subject=f"Certificate of attendance {serial}: {days_text}, no CME credits",
    )
