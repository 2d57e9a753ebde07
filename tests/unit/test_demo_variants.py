"""The second event of `make demo` (`cme_tools.local.demo_variants`): ACPM 2025's stories
end in the statements they promise, under the rules themselves, and the platform's calls
that replay them carry each fact the variants read (room, direction, claimed credits).

Over the API, on the in-process stack: tests/integration/test_demo_variants.py."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from cme.programme import Programme
from cme.rules.credits import CartStatus, compute_statement
from cme_tools.local.demo_variants import (
    REFUSALS,
    STORIES,
    Story,
    facts_of,
    plan_calls,
    statement_lines,
    unexpected_in,
)

STATUSES = {status.value for status in CartStatus}


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.delegate_id)
def test_each_story_ends_in_its_statement(acpm: Programme, story: Story) -> None:
    statement = compute_statement(acpm, facts_of(acpm, story)).as_dict()

    assert unexpected_in(story, statement) == []
    lines = [line.split() for line in statement_lines(acpm, story, "A Name", statement)]
    printed = {(w[0], w[-2], Decimal(w[-1])) for w in lines if w[-2] in STATUSES}
    assert printed == {(sid, o.status, o.amount) for sid, o in story.expect.items()}
    assert lines[-1][0] == "total" and Decimal(lines[-1][1]) == story.total


def test_a_statement_that_differs_is_named(acpm: Programme) -> None:
    story = STORIES[0]
    statement = compute_statement(acpm, facts_of(acpm, story)).as_dict()
    statement["total"] = Decimal(5)
    statement["cart"][0]["amount"] = Decimal("1.75")

    assert len(unexpected_in(story, statement)) == 2


def test_the_stories_show_each_variant(acpm: Programme) -> None:
    """83 % of a session refused at the 90 % minimum; a proportional amount; a view too
    short to count; a claim below what was earned; an evaluation without a claim."""
    outcomes = {
        (story.delegate_id, session_id): outcome
        for story in STORIES
        for session_id, outcome in story.expect.items()
    }
    statuses = Counter(outcome.status for outcome in outcomes.values())
    assert set(statuses) == {"credited", "no_evidence", "not_claimed"}

    credits = {s.id: s.credits for s in acpm.sessions}
    claimed = {
        (story.delegate_id, c.session_id): c.credits or Decimal(0)
        for story in STORIES
        for c in story.evaluations
    }
    proportional = [
        key
        for key, o in outcomes.items()
        if o.status == "credited" and o.amount < min(credits[key[1]], claimed[key])
    ]
    below_earned = [
        key
        for key, o in outcomes.items()
        if o.status == "credited" and o.amount == claimed[key] < credits[key[1]]
    ]
    assert proportional == [("A003", "P01")]
    assert below_earned == [("A005", "P01")]
    short_views = [
        story.delegate_id
        for story in STORIES
        for view in story.views
        if story.expect[view.session_id].status == "no_evidence"
    ]
    assert short_views == ["A004"]


def test_the_calls_carry_room_direction_and_claims(acpm: Programme) -> None:
    calls = plan_calls(acpm)
    scans = [c.body for c in calls if c.kind == "scan"]
    evaluations = [c for c in calls if c.kind == "evaluation"]

    assert [c.at for c in calls] == sorted(c.at for c in calls)
    assert len(scans) == sum(len(s.scans) for s in STORIES)
    assert len({s["scan_id"] for s in scans}) == len(scans)
    rooms = {s.room for s in acpm.sessions}
    assert all(s["room"] in rooms and s["direction"] in {"in", "out"} for s in scans)
    unclaimed = [c.path for c in evaluations if "claimed_credits" not in c.body]
    assert unclaimed == ["events/acpm2025/delegates/A006/evaluations/P01"]
    refused = [(c.expect, c.code, c.body["claimed_credits"]) for c in calls if c.code]
    assert refused == [(422, "invalid_claim", Decimal("2.5"))] and len(REFUSALS) == 1


def test_every_delegate_of_the_csv_has_a_story(acpm_path) -> None:
    from cme_tools.local.demo import read_delegates

    delegates = read_delegates(acpm_path.with_name("acpm2025-delegates.csv"))
    assert [d["delegate_id"] for d in delegates] == [s.delegate_id for s in STORIES]
