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
    NO_CREDITS = "no_credits"
    READY = "ready"


def readiness(facts: DelegateFacts, statement: CreditStatement) -> Readiness:
    if not facts.cart and not facts.evaluations:
        return Readiness.EMPTY_CART
    if statement.missing_evaluations:
        return Readiness.EVALUATIONS_MISSING
    if statement.total <= 0:
        return Readiness.NO_CREDITS
    return Readiness.READY
