"""Whether a delegate may have a certificate now, and if not, the first reason why
(RULES.md, "Certificate"): one decision for issuing, the report and the dashboard."""

from __future__ import annotations

from enum import StrEnum

from cme.facts import DelegateFacts
from cme.rules.credits import CreditStatement


class Readiness(StrEnum):
    """In the contract's order of refusals: the first that applies."""

    EMPTY_CART = "empty_cart"
    EVALUATIONS_MISSING = "evaluations_missing"
    NOT_ELIGIBLE = "not_eligible"
    """The accreditation does not cover the delegate's profession (and no certificate of
    attendance is due)."""
    TEST_NOT_PASSED = "test_not_passed"
    """The event's learning test is not passed (yet)."""
    NO_CREDITS = "no_credits"
    READY = "ready"
    """For a certificate of credits, or of attendance when that is what is due."""


def readiness(facts: DelegateFacts, statement: CreditStatement) -> Readiness:
    """The first of these that applies, else ready. A certificate of attendance (when one
    is due) needs only the cart evaluated."""
    reasons = (
        (not facts.cart and not facts.evaluations, Readiness.EMPTY_CART),
        (bool(statement.missing_evaluations), Readiness.EVALUATIONS_MISSING),
        (statement.attended is not None, Readiness.READY),
        (not statement.eligible, Readiness.NOT_ELIGIBLE),
        (statement.test_passed is False, Readiness.TEST_NOT_PASSED),
        (statement.total <= 0, Readiness.NO_CREDITS),
    )
    return next((reason for applies, reason in reasons if applies), Readiness.READY)
