"""RULES.md's worked variant (Italian ECM-style, one day in Europe/Rome), shared by the unit
and integration tests: the programme document and each delegate's facts.

Slot 09:00-13:00, max 4; sessions A 09:00-11:00 and B 11:00-13:00, 2 credits each, room
"Aula 1"; `time_in_room`, presence minimum 0.9, credit full; professions physician,
nurse and pharmacist, the accreditation covering physicians and nurses; AMA conversion for
physicians only; an event test with 3 questions, pass 0.75, 1 attempt.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

EVENT = "ecmwv"
KEY = {"q1": 1, "q2": 0, "q3": 2}
"""The event test's answer key."""

_DOCUMENT: dict[str, Any] = {
    "event": {
        "id": EVENT,
        "name": "Congresso ECM, variante",
        "city": "Roma",
        "country": "Italy",
        "timezone": "Europe/Rome",
        "professions": [
            {"id": "physician", "name": "Medico chirurgo"},
            {"id": "nurse", "name": "Infermiere"},
            {"id": "pharmacist", "name": "Farmacista"},
        ],
        "accreditation": {
            "body": "Age.na.s ECM",
            "unit": "ECM",
            "total": "4",
            "statement": "Evento accreditato per medici chirurghi e infermieri.",
            "professions": ["physician", "nurse"],
        },
        "conversions": [
            {"name": "AMA PRA Category 1 Credits", "ratio": "1", "professions": ["physician"]}
        ],
        "claim_deadline": "2025-06-30T23:59:59",
        "policy": {"evidence": "time_in_room", "presence": {"minimum": "0.9", "credit": "full"}},
        "post_test": {
            "id": "final",
            "pass": "0.75",
            "attempts": "1",
            "questions": [
                {"id": "q1", "text": "Prima?", "options": ["a", "b", "c"], "answer": "1"},
                {"id": "q2", "text": "Seconda?", "options": ["a", "b"], "answer": "0"},
                {"id": "q3", "text": "Terza?", "options": ["a", "b", "c"], "answer": "2"},
            ],
        },
    },
    "days": [{"date": "2025-06-12", "cap": "4"}],
    "slots": [{"id": "am", "date": "2025-06-12", "start": "09:00", "end": "13:00", "max": "4"}],
    "sessions": [
        {"id": "A", "slot": "am", "title": "Sessione A", "start": "09:00", "end": "11:00",
         "credits": "2", "room": "Aula 1"},
        {"id": "B", "slot": "am", "title": "Sessione B", "start": "11:00", "end": "13:00",
         "credits": "2", "room": "Aula 1"},
    ],
}  # fmt: skip


def document() -> dict[str, Any]:
    """A fresh copy of the worked variant's programme document."""
    return copy.deepcopy(_DOCUMENT)


def at(clock: str) -> datetime:
    """12 June 2025, local time in Rome (UTC+2), as a UTC instant."""
    hours, minutes = (int(part) for part in clock.split(":"))
    return datetime(2025, 6, 12, hours, minutes, tzinfo=UTC) - timedelta(hours=2)


EVALUATED = at("13:30")
"""When every delegate of the worked variant evaluates A and B (after they end)."""
TESTED = at("13:40")
"""When they take the event test."""

NURSE_SCANS = (("08:50", "in"), ("12:58", "out"))
PHYSICIAN_SCANS = (("09:20", "in"), ("13:00", "out"))
PASSING = dict(KEY)
"""3 of 3."""
FAILING = {"q1": 1, "q2": 0, "q3": 0}
"""2 of 3: 67 %, below the 75 % pass mark."""
