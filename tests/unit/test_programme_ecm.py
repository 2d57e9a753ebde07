"""The programme's settings of RULES.md, "Professions" and "Learning tests" (CONTRACT.md,
"Programme additions"): each read, validated with every problem at once and its path, kept
by the canonical document, and the answer key left out of what leaves the service."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from cme.errors import InvalidProgramme
from cme.programme import build_programme, programme_document, public_document
from tests import ecm


def problems(document: dict[str, Any]) -> set[tuple[str, str]]:
    with pytest.raises(InvalidProgramme) as refused:
        build_programme(document)
    return {(p.path, p.code) for p in refused.value.problems}


def test_the_worked_variant_reads_every_setting() -> None:
    programme = build_programme(ecm.document()).programme
    event = programme.event
    assert [p.id for p in event.professions] == ["physician", "nurse", "pharmacist"]
    assert event.accredited_professions == {"physician", "nurse"}
    assert event.covers("nurse") and not event.covers("pharmacist") and not event.covers(None)
    (ama,) = event.conversions
    assert ama.applies_to("physician") and not ama.applies_to("nurse")
    test = programme.test("final")
    assert test is not None and test is event.post_test
    assert (test.session_id, test.pass_mark, test.attempts) == (None, Decimal("0.75"), 1)
    assert [q.answer for q in test.questions] == [1, 0, 2]
    assert test.opens_at == ecm.at("13:00")  # the end of the last session


def test_without_the_settings_everyone_is_covered_and_nothing_is_tested() -> None:
    document = ecm.document()
    event = document["event"]
    for name in ("professions", "post_test"):
        del event[name]
    del event["accreditation"]["professions"]
    del event["conversions"][0]["professions"]
    programme = build_programme(document).programme
    assert programme.event.covers(None) and programme.event.covers("anyone")
    assert programme.event.conversions[0].applies_to(None)
    assert programme.tests == () and programme.event.attendance_certificates is False
    written = programme_document(programme)["event"]
    assert not {"professions", "post_test", "attendance_certificates"} & written.keys()
    assert "professions" not in written["accreditation"]


def test_a_session_test_opens_at_its_session_end() -> None:
    document = ecm.document()
    document["sessions"][0]["post_test"] = {
        "id": "test-a",
        "pass": "0.5",
        "attempts": "3",
        "questions": [{"id": "q1", "text": "?", "options": ["x", "y"], "answer": "0"}],
    }
    programme = build_programme(document).programme
    test = programme.test("test-a")
    assert test is not None and test.session_id == "A" and test.opens_at == ecm.at("11:00")
    session = programme.session("A")
    assert session is not None and session.post_test is test
    assert [t.id for t in programme.tests] == ["final", "test-a"]


def test_the_canonical_document_keeps_every_setting_and_reads_back_the_same() -> None:
    document = ecm.document()
    document["event"]["attendance_certificates"] = "true"
    document["sessions"][1]["post_test"] = {
        "id": "test-b",
        "pass": "1",
        "attempts": "2",
        "questions": [{"id": "q", "text": "?", "options": ["x", "y", "z"], "answer": "2"}],
    }
    written = programme_document(build_programme(document).programme)
    assert programme_document(build_programme(written).programme) == written
    event = written["event"]
    assert event["attendance_certificates"] is True
    assert event["accreditation"]["professions"] == ["nurse", "physician"]
    assert event["conversions"][0]["professions"] == ["physician"]
    assert [q["answer"] for q in event["post_test"]["questions"]] == [1, 0, 2]
    assert event["post_test"]["pass"] == Decimal("0.75")
    assert written["sessions"][1]["post_test"]["questions"][0]["answer"] == 2


def test_the_public_document_has_no_answer_and_leaves_the_stored_one_alone() -> None:
    document = ecm.document()
    document["sessions"][0]["post_test"] = {
        "id": "test-a",
        "pass": "0.5",
        "attempts": "1",
        "questions": [{"id": "q", "text": "?", "options": ["x", "y"], "answer": "1"}],
    }
    stored = programme_document(build_programme(document).programme)
    public = public_document(stored)
    assert "answer" not in repr(public)
    assert public["event"]["post_test"]["questions"][0] == {
        "id": "q1",
        "text": "Prima?",
        "options": ["a", "b", "c"],
    }
    assert stored["sessions"][0]["post_test"]["questions"][0]["answer"] == 1  # untouched
    plain = ecm.document()
    del plain["event"]["post_test"]
    canonical = programme_document(build_programme(plain).programme)
    assert public_document(canonical) == canonical


def test_every_problem_at_once_with_its_path() -> None:
    document = ecm.document()
    event = document["event"]
    event["professions"].append({"id": "nurse", "name": "Infermiera"})
    event["accreditation"]["professions"] = ["physician", "dentist"]
    event["conversions"][0]["professions"] = ["vet"]
    test = event["post_test"]
    test["pass"] = "0"
    test["attempts"] = "0"
    test["questions"][0]["answer"] = "3"
    test["questions"][1]["id"] = "q1"
    test["questions"][2]["options"] = ["only"]
    document["sessions"][0]["post_test"] = {
        "id": "final",
        "pass": "1.5",
        "attempts": 1,
        "questions": [],
    }
    assert problems(document) == {
        ("event.professions[3].id", "duplicate_id"),
        ("event.accreditation.professions[1]", "unknown_profession"),
        ("event.conversions[0].professions[0]", "unknown_profession"),
        ("event.post_test.pass", "out_of_range"),
        ("event.post_test.attempts", "not_positive"),
        ("event.post_test.questions[0].answer", "answer_outside_options"),
        ("event.post_test.questions[1].id", "duplicate_id"),
        ("event.post_test.questions[2].options", "too_few_options"),
        ("event.post_test.questions[2].answer", "answer_outside_options"),
        ("sessions[0].post_test.id", "duplicate_id"),
        ("sessions[0].post_test.pass", "out_of_range"),
        ("sessions[0].post_test.questions", "no_questions"),
    }


def test_professions_named_without_a_list_are_unknown() -> None:
    document = ecm.document()
    del document["event"]["professions"]
    assert problems(document) == {
        ("event.accreditation.professions[0]", "unknown_profession"),
        ("event.accreditation.professions[1]", "unknown_profession"),
        ("event.conversions[0].professions[0]", "unknown_profession"),
    }


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("pass", "1.01", "out_of_range"),
        ("pass", "-0.5", "invalid_number"),
        ("pass", "three quarters", "invalid_number"),
        ("attempts", "-1", "invalid_number"),
        ("attempts", "1.5", "invalid_number"),
        ("attempts", "101", "out_of_range"),
    ],
)
def test_a_pass_mark_and_attempts_are_checked_on_their_own(
    field: str, value: str, code: str
) -> None:
    document = ecm.document()
    document["event"]["post_test"][field] = value
    assert problems(document) == {(f"event.post_test.{field}", code)}


def test_a_question_answer_and_a_missing_key_are_named() -> None:
    document = ecm.document()
    questions = document["event"]["post_test"]["questions"]
    questions[0]["answer"] = "-1"
    del questions[1]["answer"]
    questions[2]["surprise"] = "1"
    assert problems(document) == {
        ("event.post_test.questions[0].answer", "invalid_number"),
        ("event.post_test.questions[1].answer", "missing"),
        ("event.post_test.questions[2].surprise", "unknown_field"),
    }


def test_the_pass_mark_of_one_and_a_single_attempt_are_valid() -> None:
    document = ecm.document()
    document["event"]["post_test"]["pass"] = "1"
    test = build_programme(document).programme.test("final")
    assert test is not None and test.pass_mark == 1


def test_the_openapi_schema_marks_the_answer_write_only() -> None:
    from cme.programme import ProgrammeDocument

    schema = ProgrammeDocument.model_json_schema()
    question = schema["$defs"]["QuestionDoc"]["properties"]["answer"]
    assert question["writeOnly"] is True
    assert "pass" in schema["$defs"]["PostTestDoc"]["properties"]
