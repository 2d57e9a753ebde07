"""ACPM 2025, the second event of `make demo`, replayed through the API on the in-process
stack: every call answers as planned (the one refusal with its code), every delegate's
statement ends as their story says, and the certificates follow (none without credits)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cme.jsonio import dumps, loads
from cme.programme import Programme, load_programme_file, programme_document
from cme_tools.local import demo_variants
from cme_tools.local.demo import read_delegates
from cme_tools.local.demo_variants import STORIES, plan_calls, unexpected_in
from cme_tools.local.functions import Functions
from tests.integration.conftest import ROOT

pytestmark = pytest.mark.usefixtures("parsed_once")

AFTER_ON_DEMAND_VIEWS = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
"""After the last fact of the stories (November), before ACPM's claim deadline."""


@pytest.fixture
def acpm(client: Functions, clock: list[datetime]) -> tuple[Functions, Programme]:
    clock[0] = AFTER_ON_DEMAND_VIEWS
    programme = load_programme_file(ROOT / demo_variants.PROGRAMME).programme
    answer = client.put("/events/acpm2025", raw=dumps(programme_document(programme)))
    assert answer.status == 201, answer.body
    for delegate in read_delegates(ROOT / demo_variants.DELEGATES):
        body = {k: v for k, v in delegate.items() if k != "delegate_id"}
        path = f"/events/acpm2025/delegates/{delegate['delegate_id']}"
        assert client.put(path, body).status == 201
    return client, programme


def test_the_stories_replay_to_their_statements(acpm: tuple[Functions, Programme]) -> None:
    client, programme = acpm

    answers = [
        (c.expect, c.code, client.call(c.method, "/" + c.path, raw=dumps(c.body)))
        for c in plan_calls(programme)
    ]

    assert [(a.status, a.code) for _, _, a in answers] == [(s, c) for s, c, _ in answers]
    for story in STORIES:
        answer = client.get(f"/events/acpm2025/delegates/{story.delegate_id}/credits")
        assert unexpected_in(story, loads(answer.text)) == []


def test_every_delegate_with_credits_gets_a_certificate(
    acpm: tuple[Functions, Programme],
) -> None:
    client, programme = acpm
    for call in plan_calls(programme):
        client.call(call.method, "/" + call.path, raw=dumps(call.body))

    issued = {
        story.delegate_id: client.post(
            f"/events/acpm2025/delegates/{story.delegate_id}/certificate"
        )
        for story in STORIES
    }

    assert {d: (a.status, a.code) for d, a in issued.items()} == {
        s.delegate_id: (201, None) if s.total > 0 else (409, "no_credits") for s in STORIES
    }
    assert loads(issued["A004"].text)["total"] == 4
