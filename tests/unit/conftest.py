"""Fixtures of the unit tests: the ESHG 2025 sample (and ACPM 2025, the second sample),
small programmes written as plain documents (every scalar a string, as PyYAML's BaseLoader
gives them), and a delegate's facts judged the way the API judges them."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cme.facts import Attendance, Delegate
from cme.programme import (
    Programme,
    build_programme,
    load_programme_file,
    programme_document,
    read_document,
)
from cme.rules.credits import CreditStatement, compute_statement
from cme_tools.audit import AuditedFacts, audit_facts
from cme_tools.memory_store import MemoryStore

REPOSITORY = Path(__file__).resolve().parents[2]
ESHG_PATH = REPOSITORY / "programmes" / "eshg2025.yaml"
ACPM_PATH = REPOSITORY / "programmes" / "acpm2025.yaml"
"""The second sample: a fictional congress under the variants (time in the room, ...)."""
WORKED_EXAMPLE_FACTS = REPOSITORY / "tests" / "data" / "worked-example-facts.json"
AFTER_THE_CLAIM_DEADLINE = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
"""The server clock of an audit: later than every fact, so nothing is 'in the future'."""


@pytest.fixture(scope="session")
def eshg_path() -> Path:
    return ESHG_PATH


@pytest.fixture(scope="session")
def acpm_path() -> Path:
    return ACPM_PATH


@pytest.fixture(scope="session")
def acpm() -> Programme:
    return load_programme_file(ACPM_PATH).programme


@pytest.fixture(scope="session")
def worked_example_facts() -> Path:
    return WORKED_EXAMPLE_FACTS


@pytest.fixture(scope="session")
def audit_clock() -> datetime:
    return AFTER_THE_CLAIM_DEADLINE


@pytest.fixture(scope="session")
def eshg() -> Programme:
    return load_programme_file(ESHG_PATH).programme


@pytest.fixture(scope="session")
def _eshg_text() -> str:
    return ESHG_PATH.read_text(encoding="utf-8")


@pytest.fixture
def eshg_document(_eshg_text: str) -> Any:
    """The sample as a parsed document, fresh for each test (safe to edit)."""
    return read_document(_eshg_text)


DocumentFactory = Callable[..., dict[str, Any]]


def _document(
    *,
    timezone: str = "Europe/Rome",
    total: str = "25.5",
    claim_deadline: str = "2025-11-30T23:59:59",
    on_demand: Mapping[str, str] | None = None,
    days: Sequence[Mapping[str, Any]] = ({"date": "2025-05-24", "cap": "3"},),
    slots: Sequence[Mapping[str, Any]] = (
        {"id": "am", "date": "2025-05-24", "start": "08:30", "end": "10:00", "max": "1.5"},
        {"id": "pm", "date": "2025-05-24", "start": "13:00", "end": "14:30", "max": "1.5"},
    ),
    sessions: Sequence[Mapping[str, Any]] = (
        {"id": "AM1", "slot": "am", "title": "Parallel one", "recorded": "true"},
        {"id": "AM2", "slot": "am", "title": "Parallel two", "recorded": "true"},
        {"id": "PM1", "slot": "pm", "title": "Afternoon", "recorded": "false"},
    ),
    conversions: Sequence[Mapping[str, Any]] = (
        {"name": "AMA PRA Category 1 Credits", "ratio": "1"},
    ),
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": "congress",
        "name": "A congress",
        "city": "Milan",
        "timezone": timezone,
        "accreditation": {
            "body": "UEMS-EACCME",
            "unit": "ECMEC",
            "total": total,
            "statement": "Accredited for testing.",
        },
        "conversions": [dict(c) for c in conversions],
        "claim_deadline": claim_deadline,
        "on_demand": dict(
            on_demand or {"start": "2025-05-27T00:00:00", "end": "2025-11-30T23:59:59"}
        ),
        "policy": {"evidence": "daily_scan"},
    }
    return copy.deepcopy(
        {
            "event": event,
            "days": [dict(d) for d in days],
            "slots": [dict(s) for s in slots],
            "sessions": [dict(s) for s in sessions],
        }
    )


@pytest.fixture(scope="session")
def make_document() -> DocumentFactory:
    """A small programme document (one day, a slot with two parallel sessions, a slot with
    one), with any part replaced by keyword."""
    return _document


@pytest.fixture(scope="session")
def make_programme() -> Callable[..., Programme]:
    def make(**parts: Any) -> Programme:
        return build_programme(_document(**parts)).programme

    return make


Judged = tuple[CreditStatement, AuditedFacts]


@pytest.fixture(scope="session")
def statement_of() -> Callable[..., Judged]:
    """Judge a FACTS document as the API would, then compute the statement."""

    def judge(
        programme: Programme,
        *,
        scans: Sequence[str] = (),
        views: Sequence[tuple[str, str, str]] = (),
        cart: Sequence[str] = (),
        evaluations: Sequence[tuple[str, str]] = (),
        attendance: str = "in_person",
        now: datetime = AFTER_THE_CLAIM_DEADLINE,
    ) -> Judged:
        document = {
            "delegate": {"delegate_id": "D1", "name": "Ada Delegate", "attendance": attendance},
            "scans": [{"scan_id": f"scan-{i}", "scanned_at": at} for i, at in enumerate(scans)],
            "views": [
                {"view_id": f"view-{i}", "session_id": sid, "kind": kind, "watched_at": at}
                for i, (sid, kind, at) in enumerate(views)
            ],
            "cart": list(cart),
            "evaluations": [{"session_id": sid, "submitted_at": at} for sid, at in evaluations],
        }
        audited = audit_facts(programme, document, now=now)
        return compute_statement(programme, audited.facts), audited

    return judge


# --------------------------------------------------------------------------- the domain in memory

MID_JUNE = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
"""The server's clock of the domain tests: after the congress, inside the on-demand window,
before the claim deadline."""


@pytest.fixture
def memory(eshg: Programme) -> MemoryStore:
    """The in-memory store (`cme_tools.memory_store`) holding the ESHG 2025 programme, as
    the API stores it, and one registered delegate, D0001."""
    store = MemoryStore()
    store.save_programme("eshg2025", programme_document(eshg), replaces=None, now=MID_JUNE)
    delegate = Delegate("D0001", "Łukasz Żółć", Attendance.IN_PERSON)
    store.save_delegate("eshg2025", delegate, now=MID_JUNE)
    return store
