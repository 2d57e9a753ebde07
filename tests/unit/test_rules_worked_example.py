"""RULES.md, "Worked example": the ESHG-shaped programme and tests/data/worked-example-facts.json.

24 May 7.5 (a parallel session in slot 2 adds nothing), 25 May 4.5, 26 May 3.0 (one
session evaluated without evidence, two recordings watched on demand in June), 27 May 0:
15.0 ECMEC, that is 15.0 AMA PRA Category 1 Credits, and the certificate is ready.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from cme.jsonio import loads
from cme.programme import Programme
from cme.rules.credits import CartStatus, CreditStatement, compute_statement
from cme_tools.audit import audit_facts


@pytest.fixture(scope="module")
def statement(
    eshg: Programme, worked_example_facts: Path, audit_clock: datetime
) -> CreditStatement:
    document = loads(worked_example_facts.read_text(encoding="utf-8"))
    audited = audit_facts(eshg, document, now=audit_clock)
    assert audited.refusals == ()
    return compute_statement(eshg, audited.facts)


def test_days_earn_7_5_then_4_5_then_3_0_then_0(statement: CreditStatement) -> None:
    assert [(d.date, d.credits) for d in statement.days] == [
        (date(2025, 5, 24), Decimal("7.5")),
        (date(2025, 5, 25), Decimal("4.5")),
        (date(2025, 5, 26), Decimal("3.0")),
        (date(2025, 5, 27), Decimal(0)),
    ]


def test_total_is_15_0_ecmec_and_15_0_ama_pra_category_1(statement: CreditStatement) -> None:
    assert statement.total == Decimal("15.0")
    assert statement.unit == "ECMEC"
    assert [(c.name, c.credits) for c in statement.conversions] == [
        ("AMA PRA Category 1 Credits", Decimal("15.0"))
    ]
    assert statement.capped_by_event_total is False


def test_each_cart_item_has_its_status(statement: CreditStatement) -> None:
    """S02 ran in parallel with S01 in slot 2 of 24 May; C23 was evaluated but never
    watched (no scan on 26 May, no view); PL03 and S12 were watched on demand."""
    credited = CartStatus.CREDITED
    assert {i.session_id: i.status for i in statement.cart} == {
        "ES01": credited,
        "S01": credited,
        "S02": CartStatus.PARALLEL,
        "S03": credited,
        "PL01": credited,
        "S04": credited,
        "S05": credited,
        "PL02": credited,
        "S07": credited,
        "C23": CartStatus.NO_EVIDENCE,
        "PL03": credited,
        "S12": credited,
    }


def test_the_certificate_is_ready(statement: CreditStatement) -> None:
    assert statement.certificate_ready is True
    assert statement.missing_evaluations == ()


def test_the_slots_that_gave_the_credit(statement: CreditStatement) -> None:
    by_slot = {s.slot_id: (s.credits, s.sessions) for d in statement.days for s in d.slots}
    assert by_slot["sat-2"] == (Decimal("1.5"), ("S01",))
    assert by_slot["mon-1"] == (Decimal(0), ())
    assert by_slot["mon-2"] == (Decimal("1.5"), ("PL03",))
    assert by_slot["mon-3"] == (Decimal("1.5"), ("S12",))
    assert sum(len(d.slots) for d in statement.days) == 17


def test_the_statement_json_has_the_contract_numbers(statement: CreditStatement) -> None:
    document = statement.as_dict()
    assert document["total"] == Decimal("15.0")
    assert str(document["total"]) == "15.0"
    assert [str(d["credits"]) for d in document["days"]] == ["7.5", "4.5", "3.0", "0.0"]
    assert [d["date"] for d in document["days"]] == [
        "2025-05-24",
        "2025-05-25",
        "2025-05-26",
        "2025-05-27",
    ]
    assert document["cap"] == Decimal("25.5")
    assert document["certificate_ready"] is True
    assert [c["credits"] for c in document["conversions"]] == [Decimal("15.0")]
