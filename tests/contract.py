"""What the contract fixes, written down once for the tests (CONTRACT.md, "Error codes")."""

from __future__ import annotations

CONTRACT_CODES = frozenset(
    {
        "invalid_request",
        "unauthorized",
        "not_found",
        "unknown_event",
        "unknown_delegate",
        "unknown_session",
        "unknown_certificate",
        "no_certificate",
        "method_not_allowed",
        "invalid_programme",
        "not_a_conference_day",
        "scanned_in_future",
        "view_before_session",
        "view_after_session",
        "outside_on_demand_window",
        "not_recorded",
        "session_not_accredited",
        "evaluation_not_open",
        "claim_deadline_passed",
        "already_evaluated",
        "id_reused",
        "evaluations_incomplete",
        "no_credits",
        "throttled",
        # Added with the variants (issue 12: professions and learning tests)
        "unknown_test",
        "unknown_profession",
        "test_not_open",
        "already_passed",
        "no_attempts_left",
        # Added with the variants (roles, organiser decisions):
        "forbidden",
        "revoked",
    }
)
"""Every `code` a problem document may carry."""
