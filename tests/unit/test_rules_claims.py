"""RULES.md, "Self-claimed credit": under `self_claimed` the evaluation carries a claim, a
positive multiple of `policy.claim_step` not above the session's credits (422
`invalid_claim`); a session evaluated without one is `not_claimed`; under `earned` a
stated claim is stored and ignored. Pure: `judge_claim` and `judge_evaluation`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cme.errors import CmeError
from cme.programme import Programme, Session, build_programme
from cme.rules.judge import judge_claim, judge_evaluation

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def policy_programme(make_document: Callable[..., dict[str, Any]]) -> Callable[..., Programme]:
    """The small programme (AM1 worth 1.5, PM1 0.75, CX not accredited) under a policy."""

    def make(**policy: str) -> Programme:
        document = make_document(
            sessions=(
                {"id": "AM1", "slot": "am", "title": "Morning", "recorded": "true"},
                {"id": "PM1", "slot": "pm", "title": "Afternoon", "credits": "0.75"},
                {"id": "CX", "slot": "pm", "title": "Industry", "accredited": "false"},
            )
        )
        document["event"]["policy"] = dict(policy)
        return build_programme(document).programme

    return make


def session(programme: Programme, session_id: str) -> Session:
    found = programme.session(session_id)
    assert found is not None
    return found


def code_of(call: Callable[[], Any]) -> str | None:
    try:
        call()
    except CmeError as refused:
        return refused.code
    return None


@pytest.mark.parametrize(
    ("claimed", "code"),
    [
        (None, None),  # no claim: the session is not_claimed, not an error
        ("0.25", None),
        ("1.25", None),
        ("1.5", None),  # the session's credits exactly
        ("1.50", None),
        ("1", None),
        ("0", "invalid_claim"),
        ("-0.25", "invalid_claim"),
        ("0.3", "invalid_claim"),
        ("0.1", "invalid_claim"),
        ("1.3", "invalid_claim"),
        ("1.75", "invalid_claim"),  # above the session's credits
        ("2", "invalid_claim"),
    ],
)
def test_under_self_claimed_a_claim_is_a_positive_multiple_of_the_step_up_to_the_credits(
    policy_programme: Callable[..., Programme], claimed: str | None, code: str | None
) -> None:
    programme = policy_programme(claims="self_claimed", claim_step="0.25")
    value = None if claimed is None else Decimal(claimed)
    assert code_of(lambda: judge_claim(programme, session(programme, "AM1"), value)) == code


def test_the_step_and_the_ceiling_are_the_programmes_and_the_sessions(
    policy_programme: Callable[..., Programme],
) -> None:
    tenths = policy_programme(claims="self_claimed", claim_step="0.1")
    am1, pm1 = session(tenths, "AM1"), session(tenths, "PM1")

    assert code_of(lambda: judge_claim(tenths, am1, Decimal("0.3"))) is None
    assert code_of(lambda: judge_claim(tenths, am1, Decimal("0.25"))) == "invalid_claim"
    assert code_of(lambda: judge_claim(tenths, pm1, Decimal("0.7"))) is None
    assert code_of(lambda: judge_claim(tenths, pm1, Decimal("0.8"))) == "invalid_claim"
    default = policy_programme(claims="self_claimed")  # claim_step 0.25
    assert code_of(lambda: judge_claim(default, am1, Decimal("0.75"))) is None
    assert code_of(lambda: judge_claim(default, am1, Decimal("0.7"))) == "invalid_claim"


@pytest.mark.parametrize("policy", [{}, {"claims": "earned"}], ids=["default", "earned"])
@pytest.mark.parametrize("claimed", [None, "0", "0.3", "7", "-1"])
def test_under_earned_any_stated_claim_is_left_alone(
    policy_programme: Callable[..., Programme], policy: dict[str, str], claimed: str | None
) -> None:
    programme = policy_programme(**policy)
    value = None if claimed is None else Decimal(claimed)
    assert code_of(lambda: judge_claim(programme, session(programme, "AM1"), value)) is None


def test_a_claim_is_judged_exactly_whatever_the_step(
    policy_programme: Callable[..., Programme],
) -> None:
    """1.5 is 1.5e28 steps of 1e-28: more digits than the default decimal context holds."""
    fine = policy_programme(claims="self_claimed", claim_step="0." + "0" * 27 + "1")
    am1 = session(fine, "AM1")

    assert code_of(lambda: judge_claim(fine, am1, Decimal("1.5"))) is None
    assert code_of(lambda: judge_claim(fine, am1, Decimal("1000"))) == "invalid_claim"
    assert code_of(lambda: judge_claim(fine, am1, Decimal("1E-29"))) == "invalid_claim"


def test_the_claim_is_a_property_of_the_session_judged_before_times(
    policy_programme: Callable[..., Programme],
) -> None:
    """Contract: properties of the session before times; a time ahead of the clock is the
    request's shape (invalid_request) and comes first."""
    programme = policy_programme(claims="self_claimed")
    am1, industry = session(programme, "AM1"), session(programme, "CX")
    before_end = am1.end - timedelta(minutes=1)

    def judge(s: Session, at: datetime, claimed: str) -> str | None:
        return code_of(
            lambda: judge_evaluation(programme, s, at, now=NOW, claimed=Decimal(claimed))
        )

    assert judge(am1, before_end, "0.3") == "invalid_claim"
    assert judge(am1, before_end, "1.25") == "evaluation_not_open"
    assert judge(am1, datetime(2026, 1, 1, tzinfo=UTC), "0.3") == "invalid_request"
    assert judge(industry, am1.end, "0.3") == "session_not_accredited"
    assert judge(am1, am1.end, "1.25") is None
