"""CNMI 2025, the third event of `make demo` (professions and learning tests), replayed
through the API on the in-process stack: every call answers as planned (the refusals with
their codes), every statement ends as its story says, and the certificates follow: a
nurse's and a physician's of credits, a certificate of attendance, none for the physician
who failed the test."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cme.jsonio import dumps, loads
from cme.programme import Programme, load_programme_file, programme_document
from cme_tools.local import demo_ecm
from cme_tools.local.demo import read_delegates
from cme_tools.local.demo_ecm import STORIES, plan_calls, unexpected_in
from cme_tools.local.functions import Functions
from tests.integration.conftest import ROOT

pytestmark = pytest.mark.usefixtures("parsed_once")

AFTER_THE_CONGRESS = datetime(2025, 10, 17, 12, 0, tzinfo=UTC)
"""The day after, before CNMI's claim deadline."""


@pytest.fixture
def cnmi(client: Functions, clock: list[datetime]) -> tuple[Functions, Programme]:
    clock[0] = AFTER_THE_CONGRESS
    programme = load_programme_file(ROOT / demo_ecm.PROGRAMME).programme
    answer = client.put(f"/events/{demo_ecm.EVENT}", raw=dumps(programme_document(programme)))
    assert answer.status == 201, answer.body
    for delegate in read_delegates(ROOT / demo_ecm.DELEGATES):
        body = {k: v for k, v in delegate.items() if k != "delegate_id"}
        path = f"/events/{demo_ecm.EVENT}/delegates/{delegate['delegate_id']}"
        assert client.put(path, body).status == 201
    for call in plan_calls(programme):
        answer = client.call(call.method, "/" + call.path, raw=dumps(call.body))
        assert (answer.status, answer.code) == (call.expect, call.code), call.path
    return client, programme


def test_the_stories_replay_to_their_statements(cnmi: tuple[Functions, Programme]) -> None:
    client, _ = cnmi
    for story in STORIES:
        answer = client.get(f"/events/{demo_ecm.EVENT}/delegates/{story.delegate_id}/credits")
        assert unexpected_in(story, loads(answer.text)) == []


def test_a_nurse_a_physician_and_an_attendance_certificate(
    cnmi: tuple[Functions, Programme],
) -> None:
    client, _ = cnmi
    issued = {
        s.delegate_id: client.post(
            f"/events/{demo_ecm.EVENT}/delegates/{s.delegate_id}/certificate"
        )
        for s in STORIES
    }
    assert {d: (a.status, a.body.get("kind")) for d, a in issued.items()} == {
        "E001": (201, "credits"),
        "E002": (201, "credits"),
        "E003": (409, None),
        "E004": (201, "attendance"),
    }
    assert issued["E003"].code == "no_credits"
    assert (issued["E004"].body["total"], issued["E004"].body["days"]) == (
        0,
        [{"date": "2025-10-16", "credits": 0}],
    )
    serial = issued["E004"].body["serial"]
    assert client.get(f"/certificates/{serial}").body["kind"] == "attendance"
