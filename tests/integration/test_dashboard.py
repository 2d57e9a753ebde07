"""The dashboard route on the in-process stack: the organiser's page of an event as stored
(its counts follow the facts), never cached, with nothing personal on it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from cme_tools.local.functions import Functions
from tests.integration.conftest import scan_body

pytestmark = pytest.mark.usefixtures("parsed_once")

PAGE = "/events/eshg2025/dashboard"


def cards(html: str) -> dict[str, int]:
    """The headline numbers: `<li><strong>N</strong>label</li>`."""
    return {
        label: int(number.replace(",", ""))
        for number, label in re.findall(r"<li><strong>([\d,]+)</strong>([^<]+)</li>", html)
    }


def test_the_dashboard_is_a_page_of_counts_that_follow_the_facts(
    eshg: Functions, delegate: str, expect_problem: Any
) -> None:
    first = eshg.get(PAGE)
    assert first.status == 200
    assert first.headers["content-type"] == "text/html; charset=utf-8"
    assert first.headers["cache-control"] == "no-store"
    assert cards(first.text)["Delegates registered"] == 1
    assert cards(first.text)["Most present on one day"] == 0

    assert (
        eshg.post("/events/eshg2025/scans", scan_body("s1", "2025-05-24T08:01:00+02:00")).status
        == 201
    )
    refused = eshg.post("/events/eshg2025/scans", scan_body("s2", "2025-05-23T08:01:00+02:00"))
    expect_problem(refused, 422, "not_a_conference_day")

    after = eshg.get(PAGE).text
    assert cards(after)["Most present on one day"] == 1
    assert cards(after)["Refused scans"] == 1
    assert "not_a_conference_day" in after
    assert "Łukasz" not in after and "lukasz@example.org" not in after


def test_the_page_reloads_itself_when_asked(eshg: Functions, expect_problem: Any) -> None:
    page = eshg.get(PAGE, query="refresh=30").text
    assert '<meta http-equiv="refresh" content="30">' in page
    expect_problem(eshg.get(PAGE, query="refresh=5"), 422, "invalid_request")


def test_an_unknown_event_has_no_dashboard(client: Functions, expect_problem: Any) -> None:
    expect_problem(client.get("/events/nowhere/dashboard"), 404, "unknown_event")
