"""The CSV report as a spreadsheet meets it: its next link follows the path the client
called (any stage or base path), and no name is ever a formula."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("parsed_once")


def test_the_next_link_keeps_the_stage_the_client_called(eshg: Any) -> None:
    for number in range(3):
        body = {"name": f"Delegate {number}", "attendance": "online"}
        assert eshg.put(f"/events/eshg2025/delegates/P{number}", body).status == 201
    answer = eshg.get(
        "/events/eshg2025/report", query="limit=2", headers={"accept": "text/csv"}, stage="prod"
    )
    link = answer.headers["link"]
    assert link.startswith("</prod/events/eshg2025/report?limit=2&cursor=")
    assert link.endswith('>; rel="next"')


def test_a_name_is_never_a_spreadsheet_formula(eshg: Any) -> None:
    names = ['=HYPERLINK("http://x","y")', "+1+1", "-2", "@SUM(A1)", "Anna-Lena"]
    for number, name in enumerate(names):
        body = {"name": name, "attendance": "in_person"}
        assert eshg.put(f"/events/eshg2025/delegates/F{number}", body).status == 201
    answer = eshg.get("/events/eshg2025/report", headers={"accept": "text/csv"})
    cells = [row[1] for row in csv.reader(io.StringIO(answer.text))][1:]
    assert cells == ["'" + n for n in names[:4]] + ["Anna-Lena"]
    # JSON keeps the names exactly as registered
    assert [d["name"] for d in eshg.get("/events/eshg2025/report").body["delegates"]] == names


def test_a_page_ends_early_when_its_time_budget_is_spent(eshg: Any, store: Any) -> None:
    from datetime import timedelta

    from cme import organising

    for number in range(5):
        body = {"name": f"Delegate {number}", "attendance": "online"}
        assert eshg.put(f"/events/eshg2025/delegates/T{number}", body).status == 201
    ticks = iter(range(100))  # every look at the clock is one second later
    page = organising.report_page(
        store,
        "eshg2025",
        limit=5000,
        cursor=None,
        budget=timedelta(seconds=2.5),
        monotonic=lambda: float(next(ticks)),
    )
    # the budget ends at 2.5; the clock reads 1, 2, 3 after each delegate
    assert [row.delegate_id for row in page.rows] == ["T0", "T1", "T2"]
    assert page.next_cursor is not None
    rest = organising.report_page(store, "eshg2025", limit=5000, cursor=page.next_cursor)
    assert [row.delegate_id for row in rest.rows] == ["T3", "T4"]
    assert rest.next_cursor is None
