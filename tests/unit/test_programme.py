"""The programme document: validation names every problem at once (path + code), amounts
are read from text, an offset that disagrees with the zone is a warning, and a programme
reads back from its own canonical document.

CONTRACT.md, "The programme document": 'Validation names every problem at once: unknown
timezone, overlapping slots of a day, a session outside its slot, credits above the slot
maximum, a slot on an unlisted day, duplicate ids.'
"""

from __future__ import annotations

import ast
import copy
import inspect
import pkgutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cme.programme
from cme.errors import InvalidProgramme
from cme.jsonio import dumps
from cme.programme import (
    Policy,
    Programme,
    build_programme,
    load_programme_file,
    parse_json_document,
    programme_document,
    read_document,
)

DocumentFactory = Callable[..., dict[str, Any]]
Found = set[tuple[str, str]]


def problems(document: Any) -> Found:
    with pytest.raises(InvalidProgramme) as raised:
        build_programme(document)
    return {(p.path, p.code) for p in raised.value.problems}


def _set_top(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda document: document.__setitem__(key, value)


def warnings(document: Any) -> Found:
    return {(w.path, w.code) for w in build_programme(document).warnings}


def validator_codes() -> set[str]:
    """Every code the programme package can report, read from its source: the second
    argument of `found.error(...)`, `found.warn(...)` and `Problem(...)`, the first of
    `PydanticCustomError(...)` and `_coded(...)`."""
    codes = set()
    for module in pkgutil.iter_modules(cme.programme.__path__):
        source = inspect.getsource(__import__(f"cme.programme.{module.name}", fromlist=["_"]))
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            position = {"error": 1, "warn": 1, "Problem": 1, "PydanticCustomError": 0}.get(
                str(name), 0 if name == "_coded" else None
            )
            if position is None or len(node.args) <= position:
                continue
            code = node.args[position]
            if isinstance(code, ast.Constant):
                codes.add(str(code.value))
    return codes


# ------------------------------------------------------------------- every problem at once


def test_a_document_with_many_problems_reports_every_one(make_document: DocumentFactory) -> None:
    document = make_document(
        days=[
            {"date": "2025-05-24", "cap": "3"},
            {"date": "2025-05-24", "cap": "3"},
            {"date": "2025-05-25", "cap": "0"},
            {"date": "2025-02-30", "cap": "1"},
        ],
        slots=[
            {"id": "long", "date": "2025-05-24", "start": "08:00", "end": "12:00", "max": "1.5"},
            {"id": "inner", "date": "2025-05-24", "start": "09:00", "end": "10:00", "max": "1"},
            {"id": "late", "date": "2025-05-24", "start": "11:00", "end": "11:30", "max": "1"},
            {"id": "june", "date": "2025-06-01", "start": "08:00", "end": "09:00", "max": "1"},
            {"id": "back", "date": "2025-05-24", "start": "15:00", "end": "14:00", "max": "1"},
            {"id": "sloppy", "date": "2025-05-24", "start": "8h", "end": "09:00", "max": "1"},
            {"id": "pm", "date": "2025-05-24", "start": "13:00", "end": "14:00", "max": "1.5"},
        ],
        sessions=[
            {"id": "OK", "slot": "long", "title": "Fine"},
            {"id": "LOST", "slot": "nowhere", "title": "No such slot"},
            {"id": "EARLY", "slot": "pm", "title": "Starts too early", "start": "12:45"},
            {"id": "RICH", "slot": "pm", "title": "Too many credits", "credits": "2"},
            {"id": "OK", "slot": "pm", "title": "Same id again"},
            {"id": "UNTITLED", "slot": "pm"},
            {"id": "COMMA", "slot": "pm", "title": "Decimal comma", "credits": "1,5"},
            {"id": "bad id!", "slot": "pm", "title": "Not an id"},
            {"id": "SLOPPY", "slot": "sloppy", "title": "In a faulty slot"},
        ],
        on_demand={"start": "2025-11-30T00:00:00", "end": "2025-06-01T00:00:00"},
    )
    document["event"]["accreditation"]["total"] = "-1"
    document["event"]["conversions"][0]["ratio"] = "0"
    document["event"]["policy"]["evidence"] = "hall_scans"
    document["event"]["colour"] = "red"
    document["event"]["id"] = "not valid!"
    assert problems(document) == {
        ("event.colour", "unknown_field"),
        ("event.id", "invalid_id"),
        ("event.accreditation.total", "invalid_number"),
        ("event.conversions[0].ratio", "not_positive"),
        ("event.on_demand.end", "on_demand_window_inverted"),
        ("event.policy.evidence", "unknown_policy"),
        ("days[1].date", "duplicate_id"),
        ("days[2].cap", "not_positive"),
        ("days[3].date", "invalid_date"),
        ("slots[1].start", "overlapping_slots"),
        ("slots[2].start", "overlapping_slots"),
        ("slots[3].date", "slot_on_unlisted_day"),
        ("slots[4].end", "end_not_after_start"),
        ("slots[5].start", "invalid_time"),
        ("sessions[1].slot", "unknown_slot"),
        ("sessions[2].start", "session_outside_slot"),
        ("sessions[3].credits", "credits_above_slot_max"),
        ("sessions[4].id", "duplicate_id"),
        ("sessions[5].title", "missing"),
        ("sessions[6].credits", "invalid_number"),
        ("sessions[7].id", "invalid_id"),
    }


def test_the_problem_document_carries_every_error_and_every_warning(
    make_document: DocumentFactory,
) -> None:
    document = make_document(claim_deadline="2025-11-30T23:59:59+02:00")
    document["slots"][0]["max"] = "x"
    document["sessions"][2]["credits"] = "9"
    with pytest.raises(InvalidProgramme) as raised:
        build_programme(document)
    assert raised.value.code == "invalid_programme"
    extra = raised.value.extra()
    assert [(e["path"], e["code"]) for e in extra["errors"]] == [
        ("slots[0].max", "invalid_number"),
        ("sessions[2].credits", "credits_above_slot_max"),
    ]
    assert [(w["path"], w["code"]) for w in extra["warnings"]] == [
        ("event.claim_deadline", "offset_mismatch")
    ]
    assert all(e["detail"] for e in extra["errors"])


def test_a_slot_overlapping_an_earlier_slot_that_is_not_its_neighbour_is_named(
    make_document: DocumentFactory,
) -> None:
    """08:00-12:00 contains 09:00-10:00 and 11:00-11:30: both overlap the long slot, even
    though they do not overlap each other."""
    document = make_document(
        slots=[
            {"id": "late", "date": "2025-05-24", "start": "11:00", "end": "11:30", "max": "1"},
            {"id": "long", "date": "2025-05-24", "start": "08:00", "end": "12:00", "max": "1"},
            {"id": "inner", "date": "2025-05-24", "start": "09:00", "end": "10:00", "max": "1"},
        ],
        sessions=[],
    )
    assert problems(document) == {
        ("slots[0].start", "overlapping_slots"),
        ("slots[2].start", "overlapping_slots"),
    }


def test_a_day_with_a_faulty_cap_is_still_a_listed_day(make_document: DocumentFactory) -> None:
    """The slots of a day whose cap is wrong are not blamed for being on an unlisted day."""
    document = make_document(
        days=[{"date": "2025-05-24", "cap": "three"}, {"date": "2025-05-25", "cap": "3"}]
    )
    assert problems(document) == {("days[0].cap", "invalid_number")}


def test_an_id_defined_twice_is_named_even_when_its_first_definition_is_faulty(
    make_document: DocumentFactory,
) -> None:
    document = make_document(
        days=[
            {"date": "2025-05-24", "cap": "0"},
            {"date": "2025-05-24", "cap": "3"},
        ],
        slots=[
            {"id": "am", "date": "2025-05-24", "start": "8h", "end": "10:00", "max": "1.5"},
            {"id": "am", "date": "2025-05-24", "start": "13:00", "end": "14:30", "max": "1.5"},
        ],
        sessions=[{"id": "S", "slot": "am", "title": "t", "credits": "x"}],
    )
    assert problems(document) == {
        ("days[0].cap", "not_positive"),
        ("days[1].date", "duplicate_id"),
        ("slots[0].start", "invalid_time"),
        ("slots[1].id", "duplicate_id"),
        ("sessions[0].credits", "invalid_number"),
    }


def test_a_faulty_event_field_does_not_hide_the_problems_of_slots_and_sessions(
    make_document: DocumentFactory,
) -> None:
    """The zone is known even when the accreditation is wrong: slots and sessions are still
    checked against it."""
    document = make_document()
    document["event"]["accreditation"]["total"] = "lots"
    document["slots"][1]["start"] = "09:00"
    document["sessions"][0]["credits"] = "2"
    assert problems(document) == {
        ("event.accreditation.total", "invalid_number"),
        ("slots[1].start", "overlapping_slots"),
        ("sessions[0].credits", "credits_above_slot_max"),
    }


def test_with_an_unknown_timezone_every_other_problem_is_still_named(
    make_document: DocumentFactory,
) -> None:
    """The six problems the contract lists, planted at once: the ones that need no timezone
    (overlaps, a session outside its slot, credits above the maximum, an unlisted day,
    duplicate ids) are compared on the local clock all the same."""
    document = make_document(
        timezone="Europe/Milan",
        slots=[
            {"id": "am", "date": "2025-05-24", "start": "08:30", "end": "10:00", "max": "1.5"},
            {"id": "mid", "date": "2025-05-24", "start": "09:30", "end": "11:00", "max": "1"},
            {"id": "sun", "date": "2025-05-25", "start": "08:30", "end": "10:00", "max": "1"},
        ],
        sessions=[
            {"id": "A", "slot": "am", "title": "Runs late", "end": "10:15"},
            {"id": "B", "slot": "am", "title": "Rich", "credits": "2"},
            {"id": "A", "slot": "sun", "title": "Same id"},
        ],
    )
    assert problems(document) == {
        ("event.timezone", "unknown_timezone"),
        ("slots[1].start", "overlapping_slots"),
        ("slots[2].date", "slot_on_unlisted_day"),
        ("sessions[0].end", "session_outside_slot"),
        ("sessions[1].credits", "credits_above_slot_max"),
        ("sessions[2].id", "duplicate_id"),
    }


def test_a_faulty_field_of_a_session_does_not_hide_its_times(
    make_document: DocumentFactory,
) -> None:
    document = make_document()
    document["sessions"][2].update({"accredited": "yes", "room": None, "end": "15:00"})
    document["sessions"][1].update({"title": "\u202e", "credits": "1.6"})
    assert problems(document) == {
        ("sessions[2].accredited", "invalid_type"),
        ("sessions[2].end", "session_outside_slot"),
        ("sessions[1].title", "unprintable_text"),
        ("sessions[1].credits", "credits_above_slot_max"),
    }


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_set_top("event", "Milan"), {("event", "invalid_type")}),
        (_set_top("slots", {"am": 1}), {("slots", "invalid_type")}),
        (
            _set_top("sessions", ["AM1", 7]),
            {("sessions[0]", "invalid_type"), ("sessions[1]", "invalid_type")},
        ),
        (
            _set_top("days", []),
            {("days", "missing")},  # and no slot is blamed for an unlisted day
        ),
        (
            _set_top("event", {}),
            {
                (f"event.{k}", "missing")
                for k in ("id", "name", "city", "timezone", "accreditation", "claim_deadline")
            },
        ),
    ],
    ids=["event-text", "slots-mapping", "sessions-of-text", "no-days", "empty-event"],
)
def test_a_document_of_the_wrong_shape_is_named_part_by_part(
    make_document: DocumentFactory, change: Callable[[dict[str, Any]], None], expected: Found
) -> None:
    document = make_document()
    change(document)
    assert problems(document) == expected


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a document: each key of each mapping, each item of each list."""
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    return [p for key, child in items for p in [(*path, key), *_places(child, (*path, key))]]


def _replace(document: Any, place: tuple[Any, ...], value: Any) -> None:
    """Put a value at a place, unless an earlier change took the place away."""
    node = document
    for key in place[:-1]:
        node = _child(node, key)
    last = place[-1]
    if isinstance(node, dict) or (isinstance(node, list) and _child(node, last) is not None):
        node[last] = value


def _child(node: Any, key: Any) -> Any:
    if isinstance(node, dict):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and key < len(node):
        return node[key]
    return None


ODD_VALUES = st.sampled_from(
    [
        None,
        "",
        "x",
        "~",
        0,
        2,
        -1,
        1.5,
        True,
        [],
        {},
        ["x"],
        {"id": "x"},
        "08:30",
        "2025-05-24",
        "2025-05-24T08:30",
        "Europe/Rome",
        "Mars/Base",
        "1/0",
        "\u202e",
    ]
)


@given(data=st.data())
@settings(max_examples=150, deadline=timedelta(seconds=2))
def test_any_value_anywhere_is_a_programme_or_named_problems(
    make_document: DocumentFactory, data: st.DataObject
) -> None:
    """Whatever a document holds wherever, reading it builds a programme or names its
    problems (each with a path and a code): the rules read only what the model accepted."""
    document = make_document()
    for place in data.draw(st.lists(st.sampled_from(_places(document)), min_size=1, max_size=3)):
        # a copy: sampled_from hands out the same dict each time, and one placed inside
        # itself would be a document no parser can produce
        _replace(document, place, copy.deepcopy(data.draw(ODD_VALUES)))
    try:
        build_programme(document)
    except InvalidProgramme as refused:
        assert refused.problems
        assert all(p.code and p.detail for p in refused.problems)


# ---------------------------------------------------------------------------- every code


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to the document at a dotted path (`sessions.0.credits`)."""

    def change(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = document
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = document
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        del node[last]

    return change


def _append(path: str, item: Any) -> Callable[[dict[str, Any]], None]:
    return lambda document: document[path].append(item)


ERRORS: list[tuple[str, Callable[[dict[str, Any]], None], Found]] = [
    # (the code, a change to the small programme, every problem it causes)
    (
        "invalid_type",
        _set("sessions.0.accredited", "yes"),
        {("sessions[0].accredited", "invalid_type")},
    ),
    (
        "invalid_type",
        _set("event.statements", "Claim the hours."),
        {("event.statements", "invalid_type")},
    ),
    ("unknown_field", _set("event.venue", "MiCo"), {("event.venue", "unknown_field")}),
    ("missing", _drop("event.name"), {("event.name", "missing")}),
    ("missing", _set("event.city", "  "), {("event.city", "missing")}),
    ("missing", _set("event.country", ""), {("event.country", "missing")}),  # no text
    ("too_long", _set("event.name", "x" * 201), {("event.name", "too_long")}),
    ("invalid_id", _set("sessions.0.id", "has space"), {("sessions[0].id", "invalid_id")}),
    ("invalid_number", _set("slots.0.max", "1,5"), {("slots[0].max", "invalid_number")}),
    ("invalid_number", _set("slots.0.max", " 1.5"), {("slots[0].max", "invalid_number")}),
    ("invalid_type", _set("sessions.0.recorded", ""), {("sessions[0].recorded", "invalid_type")}),
    ("invalid_id", _set("sessions.0.id", "AM1\n"), {("sessions[0].id", "invalid_id")}),
    ("invalid_number", _set("days.0.cap", "1e1"), {("days[0].cap", "invalid_number")}),
    (
        "invalid_number",
        _set("event.accreditation.total", "-25.5"),
        {("event.accreditation.total", "invalid_number")},
    ),
    (
        "invalid_number",
        _set("sessions.2.credits", 1.5),
        {("sessions[2].credits", "invalid_number")},
    ),
    (
        "invalid_number",
        _set("event.conversions.0.ratio", "1/0"),
        {("event.conversions[0].ratio", "invalid_number")},
    ),
    ("not_positive", _set("days.0.cap", "0"), {("days[0].cap", "not_positive")}),
    (
        "unprintable_text",
        _set("event.name", "ESHG\u202e 2025"),
        {("event.name", "unprintable_text")},
    ),
    # A session worth nothing would be "credited" with 0 or lose every tie: not a session.
    ("not_positive", _set("sessions.0.credits", "0"), {("sessions[0].credits", "not_positive")}),
    (
        "not_positive",
        _set("event.conversions.0.ratio", "0/3"),
        {("event.conversions[0].ratio", "not_positive")},
    ),
    ("invalid_date", _set("days.0.date", "24/05/2025"), {("days[0].date", "invalid_date")}),
    ("invalid_time", _set("slots.1.start", "25:00"), {("slots[1].start", "invalid_time")}),
    ("invalid_time", _set("slots.1.start", 780), {("slots[1].start", "invalid_time")}),
    (
        "invalid_datetime",
        _set("event.claim_deadline", "30/11/2025"),
        {("event.claim_deadline", "invalid_datetime")},
    ),
    (
        "nonexistent_local_time",
        _set("event.claim_deadline", "2025-03-30T02:30:00"),  # Rome: 02:00 becomes 03:00
        {("event.claim_deadline", "nonexistent_local_time")},
    ),
    (
        "unknown_timezone",
        _set("event.timezone", "Mars/Olympus_Mons"),
        {("event.timezone", "unknown_timezone")},
    ),
    (
        "unknown_timezone",
        _set("event.timezone", "../etc/passwd"),
        {("event.timezone", "unknown_timezone")},
    ),
    (  # an empty window: it ends when it starts
        "on_demand_window_inverted",
        _set("event.on_demand", {"start": "2025-06-01T00:00", "end": "2025-06-01T00:00"}),
        {("event.on_demand.end", "on_demand_window_inverted")},
    ),
    (
        "on_demand_window_inverted",
        _set("event.on_demand", {"start": "2025-06-01T00:00", "end": "2025-05-31T23:59:59"}),
        {("event.on_demand.end", "on_demand_window_inverted")},
    ),
    (
        "unknown_policy",
        _set("event.policy.evidence", "entry_exit"),
        {("event.policy.evidence", "unknown_policy")},
    ),
    (  # every policy value out of its range, all named at once
        "out_of_range",
        _set(
            "event.policy",
            {
                "evidence": "time_in_room",
                "scan_grace_minutes": "0",
                "presence": {"minimum": "1.5", "credit": "half", "step": "0"},
                "viewing": {"minimum": "2"},
                "claims": "maybe",
                "claim_step": "-0.25",
            },
        ),
        {
            ("event.policy.scan_grace_minutes", "not_positive"),
            ("event.policy.presence.minimum", "out_of_range"),
            ("event.policy.presence.credit", "unknown_policy"),
            ("event.policy.presence.step", "not_positive"),
            ("event.policy.viewing.minimum", "out_of_range"),
            ("event.policy.claims", "unknown_policy"),
            ("event.policy.claim_step", "invalid_number"),
        },
    ),
    (
        "duplicate_id",
        _append("days", {"date": "2025-05-24", "cap": "1"}),
        {("days[1].date", "duplicate_id")},
    ),
    (
        "duplicate_id",
        _set("slots.1.id", "am"),  # slot pm is gone, so its session is in an unknown slot
        {("slots[1].id", "duplicate_id"), ("sessions[2].slot", "unknown_slot")},
    ),
    ("duplicate_id", _set("sessions.1.id", "AM1"), {("sessions[1].id", "duplicate_id")}),
    (
        "slot_on_unlisted_day",
        _set("slots.1.date", "2025-05-25"),
        {("slots[1].date", "slot_on_unlisted_day")},
    ),
    (
        "end_not_after_start",
        _set("slots.1.end", "13:00"),
        {("slots[1].end", "end_not_after_start")},
    ),
    (
        "end_not_after_start",
        _set(
            "sessions.2",
            {"id": "PM1", "slot": "pm", "title": "t", "start": "14:00", "end": "13:30"},
        ),
        {("sessions[2].end", "end_not_after_start")},
    ),
    (
        "overlapping_slots",
        _set("slots.1.start", "09:00"),
        {("slots[1].start", "overlapping_slots")},
    ),
    ("unknown_slot", _set("sessions.0.slot", "plenary"), {("sessions[0].slot", "unknown_slot")}),
    (
        "session_outside_slot",
        _set("sessions.2.end", "15:00"),
        {("sessions[2].end", "session_outside_slot")},
    ),
    (
        "credits_above_slot_max",
        _set("sessions.0.credits", "1.6"),
        {("sessions[0].credits", "credits_above_slot_max")},
    ),
    (
        "deadline_before_last_session",
        _set("event.claim_deadline", "2025-05-24T14:00:00"),
        {("event.claim_deadline", "deadline_before_last_session")},
    ),
    # RULES.md, "Professions" and "Learning tests" (more in test_programme_ecm.py)
    (
        "unknown_profession",
        _set("event.accreditation.professions", ["physician"]),
        {("event.accreditation.professions[0]", "unknown_profession")},
    ),
    (
        "no_questions",
        _set("event.post_test", {"id": "t", "pass": "0.75", "attempts": "1", "questions": []}),
        {("event.post_test.questions", "no_questions")},
    ),
    (
        "too_few_options",
        _set(
            "event.post_test",
            {
                "id": "t",
                "pass": "1",
                "attempts": "1",
                "questions": [{"id": "q", "text": "?", "options": ["yes"], "answer": "0"}],
            },
        ),
        {("event.post_test.questions[0].options", "too_few_options")},
    ),
    (
        "answer_outside_options",
        _set(
            "event.post_test",
            {
                "id": "t",
                "pass": "1",
                "attempts": "1",
                "questions": [{"id": "q", "text": "?", "options": ["yes", "no"], "answer": "2"}],
            },
        ),
        {("event.post_test.questions[0].answer", "answer_outside_options")},
    ),
]
WARNINGS: list[tuple[str, Callable[[dict[str, Any]], None], Found]] = [
    (
        "offset_mismatch",
        _set("event.claim_deadline", "2025-11-30T23:59:59Z"),
        {("event.claim_deadline", "offset_mismatch")},
    ),
    (
        "ambiguous_local_time",
        _set("event.on_demand.start", "2025-10-26T02:30:00"),  # Rome: 03:00 becomes 02:00
        {("event.on_demand.start", "ambiguous_local_time")},
    ),
]


@pytest.mark.parametrize(
    ("code", "change", "expected"), ERRORS, ids=[f"{c[0]}-{i}" for i, c in enumerate(ERRORS)]
)
def test_each_error_code(
    make_document: DocumentFactory,
    code: str,
    change: Callable[[dict[str, Any]], None],
    expected: Found,
) -> None:
    document = make_document()
    change(document)
    assert problems(document) == expected
    assert code in {c for _, c in expected}


@pytest.mark.parametrize(("code", "change", "expected"), WARNINGS, ids=[w[0] for w in WARNINGS])
def test_each_warning_code_is_a_warning_not_an_error(
    make_document: DocumentFactory,
    code: str,
    change: Callable[[dict[str, Any]], None],
    expected: Found,
) -> None:
    document = make_document()
    change(document)
    assert warnings(document) == expected
    assert code in {c for _, c in expected}


def test_a_document_that_is_not_a_mapping_is_one_problem() -> None:
    assert problems(["event"]) == {("", "invalid_type")}
    assert problems(None) == {("", "invalid_type")}


@pytest.mark.parametrize(
    ("text", "suffix", "code"),
    [
        ("event: [unclosed", ".yaml", "not_yaml"),
        ("event:\n  id: x\n bad indent: y", ".yml", "not_yaml"),
        ('{"event": ', ".json", "not_json"),
        ('{"event": NaN}', ".json", "not_json"),
    ],
)
def test_text_that_is_not_a_document(text: str, suffix: str, code: str) -> None:
    with pytest.raises(InvalidProgramme) as raised:
        read_document(text, suffix=suffix)
    assert [(p.path, p.code) for p in raised.value.problems] == [("", code)]


@pytest.mark.parametrize(("suffix", "code"), [(".yaml", "not_yaml"), (".json", "not_json")])
def test_a_file_that_is_not_utf8_is_not_a_document(
    tmp_path: Path, eshg_path: Path, suffix: str, code: str
) -> None:
    path = tmp_path / f"latin1{suffix}"
    path.write_bytes(eshg_path.read_text(encoding="utf-8").encode("utf-16"))
    with pytest.raises(InvalidProgramme) as raised:
        load_programme_file(path)
    assert [(p.path, p.code) for p in raised.value.problems] == [(str(path), code)]


@pytest.mark.parametrize(
    ("text", "suffix", "code", "line"),
    [
        ("event:\n  id: x\n bad indent: y\n", ".yaml", "not_yaml", 3),
        ('{\n  "event": \n}', ".json", "not_json", 3),
    ],
)
def test_a_file_that_is_not_a_document_is_named_with_the_line_at_fault(
    tmp_path: Path, text: str, suffix: str, code: str, line: int
) -> None:
    """Whole-file problems name the file (never an empty path or `<unicode string>`) and
    the line where reading failed."""
    path = tmp_path / f"broken{suffix}"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidProgramme) as raised:
        load_programme_file(path)
    [problem] = raised.value.problems
    assert (problem.path, problem.code) == (str(path), code)
    assert f"line {line}," in problem.detail
    assert "<unicode string>" not in problem.detail


def test_a_file_that_cannot_be_read_is_one_problem_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    for path in (missing, tmp_path):
        with pytest.raises(InvalidProgramme) as raised:
            load_programme_file(path)
        assert [(p.path, p.code) for p in raised.value.problems] == [(str(path), "unreadable_file")]
        assert "Errno" not in raised.value.problems[0].detail


REPEATED_KEYS = """
event:
  id: repeated
  name: First name
  name: Second name
  city: Milan
  timezone: Europe/Rome
  accreditation: {body: UEMS-EACCME, unit: ECMEC, total: 3, statement: Accredited.}
  claim_deadline: 2025-11-30T23:59:59
days:
  - {date: 2025-05-24, cap: 3, cap: 6}
slots:
  - {id: am, date: 2025-05-24, start: 08:30, end: 10:00, max: 1.5}
sessions:
  - {id: A, slot: am, title: First, credits: 1, credits: 2}
"""


def test_a_key_given_twice_is_a_problem_with_its_path_in_yaml_and_json(
    tmp_path: Path, make_document: DocumentFactory
) -> None:
    """A repeated key never silently keeps its last value: each is named, with every other
    problem of the document (here the second `credits` is above the slot's maximum)."""
    expected = {
        ("event.name", "duplicate_key"),
        ("days[0].cap", "duplicate_key"),
        ("sessions[0].credits", "duplicate_key"),
        ("sessions[0].credits", "credits_above_slot_max"),
    }
    yaml_file = tmp_path / "repeated.yaml"
    yaml_file.write_text(REPEATED_KEYS, encoding="utf-8")
    with pytest.raises(InvalidProgramme) as raised:
        load_programme_file(yaml_file)
    assert {(p.path, p.code) for p in raised.value.problems} == expected

    text = dumps(make_document()).replace('"city":', '"city":"Rome","city":', 1)
    json_file = tmp_path / "repeated.json"
    json_file.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidProgramme) as raised:
        load_programme_file(json_file)
    assert {(p.path, p.code) for p in raised.value.problems} == {("event.city", "duplicate_key")}


def test_the_sample_file_loads_without_warnings(eshg_path: Path) -> None:
    loaded = load_programme_file(eshg_path)
    assert loaded.warnings == ()
    programme = loaded.programme
    assert (len(programme.days), len(programme.slots), len(programme.sessions)) == (4, 17, 71)
    assert [d.cap for d in programme.days] == [Decimal(x) for x in ("7.5", "7.5", "6", "4.5")]


def test_the_second_sample_loads_without_warnings_and_sets_the_variants(acpm_path: Path) -> None:
    """ACPM 2025, the fictional congress of the variants: time in the room (every session
    in a hall), 90 % presence with proportional credit, a viewing minimum, self-claimed
    credit."""
    loaded = load_programme_file(acpm_path)
    assert loaded.warnings == ()
    programme = loaded.programme
    assert (len(programme.days), len(programme.slots), len(programme.sessions)) == (3, 5, 19)
    assert [d.cap for d in programme.days] == [Decimal(6), Decimal(7), Decimal(3)]
    assert programme.event.policy == Policy(
        evidence="time_in_room",
        presence_minimum=Decimal("0.9"),
        presence_credit="proportional",
        viewing_minimum=Decimal("0.5"),
        claims="self_claimed",
    )
    assert all(s.room for s in programme.sessions)
    assert len({s.room for s in programme.sessions}) == 4
    assert any(not s.accredited for s in programme.sessions)


def test_every_code_of_the_validator_is_triggered_by_a_test() -> None:
    """A code added to the programme package without a test here fails this test."""
    tested = {code for code, _, _ in ERRORS + WARNINGS}
    tested |= {"not_yaml", "not_json", "unreadable_file", "duplicate_key"}
    assert validator_codes() == tested


# ---------------------------------------------------------------- amounts and times as text


YAML_PROGRAMME = """
event:
  id: tenths
  name: Tenths
  city: Milan
  timezone: Europe/Rome
  accreditation: {body: UEMS-EACCME, unit: ECMEC, total: 25.5, statement: Accredited.}
  conversions: [{name: AMA PRA Category 1 Credits, ratio: 1}]
  claim_deadline: 2025-11-30T23:59:59
days:
  - {date: 2025-05-24, cap: 6}
slots:
  - {id: am, date: 2025-05-24, start: 08:30, end: 10:00, max: 0.3}
sessions:
  - {id: A, slot: am, title: First, start: 08:30, end: 09:00, credits: 0.1}
  - {id: B, slot: am, title: Second, start: 09:00, end: 09:30, credits: 0.2}
  - {id: C, slot: am, title: Third, start: 09:30, end: 10:00, accredited: false}
"""


def test_yaml_scalars_stay_text_until_the_builder_converts_them() -> None:
    """Unquoted `08:30` is not the sexagesimal integer 510 and `0.1` is not a float."""
    document = read_document(YAML_PROGRAMME)
    slot, first = document["slots"][0], document["sessions"][0]
    assert (slot["start"], slot["max"], first["credits"]) == ("08:30", "0.3", "0.1")
    assert document["sessions"][2]["accredited"] == "false"


def test_null_is_an_absent_value_in_json_and_in_yaml(make_document: DocumentFactory) -> None:
    """What the schema says: a field that may be left out may be null. YAML's null forms
    (`~`, `null`, nothing) are null; any other YAML scalar stays text."""
    document = make_document()
    for key in ("country", "conversions", "statements", "on_demand", "policy"):
        document["event"][key] = None
    document["sessions"][0].update({"start": None, "credits": None, "accredited": None})
    programme = build_programme(document).programme
    session = programme.session("AM1")
    assert programme.event.on_demand is None and programme.event.policy.evidence == "daily_scan"
    assert session is not None and (session.accredited, session.credits) == (True, Decimal("1.5"))

    read = read_document(YAML_PROGRAMME.replace("city: Milan", "city: Milan\n  country:"))
    assert read["event"]["country"] is None
    assert read_document("a: ~\nb: null\nc: '~'\nd: ''\n") == {
        "a": None,
        "b": None,
        "c": "~",
        "d": "",
    }


def test_amounts_are_exact_decimals_and_times_are_local_times() -> None:
    programme = build_programme(read_document(YAML_PROGRAMME)).programme
    slot, a, b, c = (programme.slot("am"), *(programme.session(i) for i in "ABC"))
    assert slot is not None and a is not None and b is not None and c is not None
    assert (type(slot.max), slot.max) == (Decimal, Decimal("0.3"))
    assert (type(a.credits), a.credits, b.credits) == (Decimal, Decimal("0.1"), Decimal("0.2"))
    assert a.credits + b.credits == slot.max  # 0.1 + 0.2 == 0.3, unlike binary floats
    assert c.credits == Decimal("0.3") and c.accredited is False
    assert slot.start == datetime(2025, 5, 24, 6, 30, tzinfo=UTC)
    assert programme.event.accreditation.total == Decimal("25.5")
    assert programme.days[0].cap == Decimal(6)
    assert programme.event.conversions[0].ratio == Fraction(1)


def test_json_numbers_are_read_as_exact_decimals() -> None:
    document = parse_json_document(
        dumps(read_document(YAML_PROGRAMME)).replace('"0.1"', "0.1").replace('"0.3"', "0.3")
    )
    assert document["sessions"][0]["credits"] == Decimal("0.1")
    assert type(document["slots"][0]["max"]) is Decimal
    programme = build_programme(document).programme
    session = programme.session("A")
    assert session is not None and session.credits == Decimal("0.1")


def test_an_integer_amount_is_exact_and_a_float_one_is_refused(
    make_document: DocumentFactory,
) -> None:
    document = make_document()
    document["days"][0]["cap"] = 3
    document["event"]["accreditation"]["total"] = Decimal("25.5")
    programme = build_programme(document).programme
    assert programme.days[0].cap == Decimal(3)
    document["slots"][0]["max"] = 1.5
    document["slots"][1]["max"] = True
    assert problems(document) == {
        ("slots[0].max", "invalid_number"),
        ("slots[1].max", "invalid_number"),
    }


# ----------------------------------------------------------------------------- round trip


def _round_trip(programme: Programme) -> None:
    document = programme_document(programme)
    assert build_programme(document).programme == programme
    assert build_programme(parse_json_document(dumps(document))).programme == programme
    assert programme_document(build_programme(document).programme) == document


def test_the_sample_reads_back_from_its_own_document(eshg: Programme) -> None:
    _round_trip(eshg)


def test_the_second_sample_reads_back_from_its_own_document(acpm: Programme) -> None:
    _round_trip(acpm)


@pytest.mark.parametrize(
    "deadline",
    ["2025-11-30T23:59:59", "2025-11-30T23:59", "2025-11-30T23:59:59+02:00", "2025-12-01T00:00"],
)
def test_a_deadline_reads_back_as_stated(
    make_programme: Callable[..., Programme], deadline: str
) -> None:
    programme = make_programme(claim_deadline=deadline)
    _round_trip(programme)


def test_a_programme_with_seconds_ratios_and_optional_parts_reads_back(
    make_document: DocumentFactory,
) -> None:
    document = make_document(
        conversions=[{"name": "two thirds", "ratio": "2/3"}, {"name": "half", "ratio": "0.5"}],
        sessions=[
            {
                "id": "A",
                "slot": "am",
                "title": " Spaced ",
                "start": "08:30:30",
                "credits": "0.75",
                "room": "Hall A",
                "recorded": "true",
            },
            {"id": "B", "slot": "pm", "title": "No room", "accredited": "false"},
        ],
    )
    del document["event"]["on_demand"]
    document["event"]["statements"] = ["Claim only the hours spent.", "RCPSC Section 1."]
    document["event"]["country"] = "Italy"
    programme = build_programme(document).programme
    assert programme.event.on_demand is None
    assert programme.event.conversions[0].ratio == Fraction(2, 3)
    _round_trip(programme)


def test_every_policy_setting_reads_back(make_document: DocumentFactory) -> None:
    """What the API stores is the canonical document: a variant's settings must survive it."""
    document = make_document()
    document["event"]["policy"] = {
        "evidence": "time_in_room",
        "scan_grace_minutes": "10",
        "presence": {"minimum": "0.9", "credit": "proportional", "step": "0.5"},
        "viewing": {"minimum": "0.5"},
        "claims": "self_claimed",
        "claim_step": "0.1",
    }
    programme = build_programme(document).programme
    assert programme.event.policy == Policy(
        evidence="time_in_room",
        scan_grace=timedelta(minutes=10),
        presence_minimum=Decimal("0.9"),
        presence_credit="proportional",
        presence_step=Decimal("0.5"),
        viewing_minimum=Decimal("0.5"),
        claims="self_claimed",
        claim_step=Decimal("0.1"),
    )
    _round_trip(programme)


def test_a_programme_with_clock_changes_reads_back(make_document: DocumentFactory) -> None:
    document = make_document(
        timezone="America/New_York",
        days=[{"date": "2025-11-02", "cap": "3"}],
        slots=[{"id": "s", "date": "2025-11-02", "start": "00:30", "end": "03:00", "max": "3"}],
        sessions=[
            {"id": "A", "slot": "s", "title": "t", "end": "01:30", "credits": "1"},
            {"id": "B", "slot": "s", "title": "t", "start": "01:30", "credits": "1"},
        ],
    )
    programme = build_programme(document).programme
    _round_trip(programme)
    session = programme.session("B")
    assert session is not None and session.end - session.start == timedelta(hours=2, minutes=30)
