"""What a certificate states: the facts `render_certificate` draws, as of issue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class CertificateDay:
    date: date
    credits: Decimal


@dataclass(frozen=True, slots=True)
class CertificateConversion:
    name: str
    """As the programme names it: "AMA PRA Category 1 Credits"."""
    credits: Decimal
    statement: str
    """May be empty."""


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """Everything a certificate states, as of the moment it is issued."""

    serial: str
    """Display form: Crockford base32 in groups, "7K3M-9QXD-2HRP-4WZA-6TBN"."""
    verify_url: str
    event_name: str
    event_city: str
    event_country: str
    first_day: date
    last_day: date
    accreditation_body: str
    unit: str
    event_total: Decimal
    delegate_name: str
    total: Decimal
    live: Decimal
    """The part of `total` earned live (scans and live views): printed beside the total when
    it differs, since RCPSC Section 1 covers live participation only."""
    capped_by_event_total: bool
    """The event total capped the sum of the days: the certificate says so by the total."""
    days: tuple[CertificateDay, ...]
    """Every conference day, those with 0 included."""
    accreditation_statement: str
    conversions: tuple[CertificateConversion, ...]
    statements: tuple[str, ...]
    issued_at: datetime
    kind: str = "credits"
    """`credits`, or `attendance`: a certificate of attendance for a delegate whose
    profession the accreditation does not cover (RULES.md, "Professions"): the days
    attended (`days`, each with 0), no credits, no conversions."""
    profession: str = ""
    """The delegate's profession as the programme names it; empty when the programme lists
    no professions."""

    @property
    def of_attendance(self) -> bool:
        return self.kind == "attendance"
