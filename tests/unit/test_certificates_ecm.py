"""Certificates under RULES.md's "Professions" and "Learning tests" (the worked variant,
`tests.ecm`, with certificates of attendance given), through the domain on the in-memory
store: the delegate's profession printed, conversions only those that apply, a
certificate of attendance for a profession the accreditation does not cover (the days
attended, no credits, worded as such), none while the event's test is not passed, and the
verification saying which kind it is."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pypdf
import pytest

from cme import issuing, organising, post_tests, recording
from cme.errors import CmeError
from cme.facts import Attendance, Delegate, Direction
from cme.verify_page import render_verify_page, verification_as_json
from cme_tools.memory_store import MemoryPdfs, MemoryStore
from tests import ecm

EVENT = ecm.EVENT
NOW = ecm.at("23:00") + timedelta(days=3)
SKEW = timedelta(minutes=5)


def took_part(
    store: MemoryStore,
    delegate_id: str,
    profession: str,
    scans: tuple[tuple[str, str], ...],
    answers: dict[str, int] | None,
) -> None:
    name = {"nurse": "Giulia Bianchi", "physician": "Luca Romano", "pharmacist": "Marco Rossi"}
    organising.put_delegate(
        store,
        EVENT,
        Delegate(delegate_id, name[profession], Attendance.IN_PERSON, None, profession),
        now=NOW,
    )
    for i, (clock, direction) in enumerate(scans):
        recording.record_scan(
            store,
            EVENT,
            scan_id=f"{delegate_id}-{i}",
            delegate_id=delegate_id,
            station_id="aula-1",
            scanned_at=ecm.at(clock),
            room="Aula 1",
            direction=Direction(direction),
            now=NOW,
            skew=SKEW,
        )
    for session_id in ("A", "B"):
        recording.record_evaluation(
            store,
            EVENT,
            delegate_id,
            session_id,
            submitted_at=ecm.EVALUATED,
            answers={"utile": 5},
            now=NOW,
            skew=SKEW,
        )
    if answers is not None:
        post_tests.record_attempt(
            store,
            EVENT,
            delegate_id,
            "final",
            attempt_id=f"{delegate_id}-t",
            submitted_at=ecm.TESTED,
            answers=answers,
            now=NOW,
            skew=SKEW,
        )


@pytest.fixture
def congress() -> tuple[MemoryStore, MemoryPdfs]:
    store = MemoryStore()
    document = ecm.document()
    document["event"]["attendance_certificates"] = "true"
    organising.put_programme(store, EVENT, document, now=NOW)
    took_part(store, "N1", "nurse", ecm.NURSE_SCANS, ecm.PASSING)
    took_part(store, "P1", "physician", ecm.PHYSICIAN_SCANS, ecm.PASSING)
    took_part(store, "P2", "physician", ecm.PHYSICIAN_SCANS, ecm.FAILING)
    took_part(store, "F1", "pharmacist", ecm.NURSE_SCANS, None)
    return store, MemoryPdfs()


def issue(congress: tuple[MemoryStore, MemoryPdfs], delegate_id: str) -> Any:
    store, pdfs = congress
    return issuing.issue_certificate(
        store,
        pdfs,
        EVENT,
        delegate_id,
        now=NOW,
        base_url="https://cme.example.org/v1",
        lifetime=timedelta(minutes=15),
    )


def stated(congress: tuple[MemoryStore, MemoryPdfs], serial: str) -> dict[str, Any]:
    return dict(issuing.find_certificate(congress[0], serial).stated)


def pdf_text(congress: tuple[MemoryStore, MemoryPdfs], serial: str) -> str:
    store, pdfs = congress
    issued = store.delegate_record(EVENT, issuing.find_certificate(store, serial).delegate_id)
    assert issued is not None and issued.latest_certificate is not None
    pdf = pdfs.files[issued.latest_certificate.pdf_key]
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_the_nurse_certificate_prints_her_profession_and_no_conversion(
    congress: tuple[MemoryStore, MemoryPdfs],
) -> None:
    answer = issue(congress, "N1")
    assert (answer.kind, answer.total) == ("credits", Decimal("4.0"))
    facts = stated(congress, answer.serial)
    assert (facts["profession"], facts["conversions"]) == ("Infermiere", [])
    text = pdf_text(congress, answer.serial)
    assert "Giulia Bianchi" in text and "Infermiere" in text
    assert "AMA" not in text


def test_the_physician_certificate_carries_the_ama_conversion(
    congress: tuple[MemoryStore, MemoryPdfs],
) -> None:
    answer = issue(congress, "P1")
    facts = stated(congress, answer.serial)
    assert facts["profession"] == "Medico chirurgo"
    assert [(c["name"], c["credits"]) for c in facts["conversions"]] == [
        ("AMA PRA Category 1 Credits", Decimal("2.0"))
    ]
    assert "AMA PRA Category 1 Credits" in pdf_text(congress, answer.serial)


def test_no_certificate_while_the_event_test_is_failed(
    congress: tuple[MemoryStore, MemoryPdfs],
) -> None:
    with pytest.raises(CmeError) as refused:
        issue(congress, "P2")
    assert refused.value.code == "no_credits"


def test_a_profession_not_covered_gets_a_certificate_of_attendance(
    congress: tuple[MemoryStore, MemoryPdfs],
) -> None:
    answer = issue(congress, "F1")
    assert (answer.kind, answer.total, answer.days) == (
        "attendance",
        0,
        ((ecm.at("12:00").date(), 0),),
    )
    facts = stated(congress, answer.serial)
    assert (facts["kind"], facts["profession"], facts["conversions"]) == (
        "attendance",
        "Farmacista",
        [],
    )
    text = pdf_text(congress, answer.serial)
    assert "Marco Rossi" in text and "NO CME CREDITS" in text
    assert "Days attended" in text and "Thursday, 12 June 2025" in text
    assert " ECM " not in text.replace("ECM 2025", "")  # no amount in the unit
    verification = issuing.verification(issuing.find_certificate(congress[0], answer.serial))
    assert verification_as_json(verification)["kind"] == "attendance"
    assert "Certificate of attendance" in render_verify_page(verification)
    assert issue(congress, "F1").created is False  # the same certificate while nothing changes


def test_a_programme_without_professions_states_what_it_stated_before() -> None:
    """No kind and no profession in what is stated: a certificate of a programme without
    the settings keeps its fingerprint."""
    store = MemoryStore()
    document = ecm.document()
    event = document["event"]
    for name in ("professions", "post_test"):
        del event[name]
    del event["accreditation"]["professions"]
    del event["conversions"][0]["professions"]
    organising.put_programme(store, EVENT, document, now=NOW)
    took_part(store, "N1", "nurse", ecm.NURSE_SCANS, None)
    answer = issue((store, MemoryPdfs()), "N1")
    facts = dict(issuing.find_certificate(store, answer.serial).stated)
    assert "kind" not in facts and "profession" not in facts
    assert answer.kind == "credits"
