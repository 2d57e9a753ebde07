"""The organiser's dashboard: the picture's numbers from a small congress whose every
count is worked out by hand, and a page that stands alone, says everything in text as
well as in charts, and shows nobody's name or email."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from cme.dashboard import CongressPicture, congress_picture, render_dashboard
from cme.facts import (
    Attendance,
    Delegate,
    DelegateFacts,
    Evaluation,
    Scan,
    View,
    ViewKind,
)
from cme.programme import Programme
from cme.projection import DelegateRow, delegate_row
from cme.readiness import Readiness
from cme.records import DelegateRecord, RefusedScan
from cme.timestamps import parse_aware

DAY = date(2025, 5, 24)
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


def at(local: str) -> datetime:
    """A Milan wall-clock time of 24 May 2025 (UTC+2) as an instant."""
    return parse_aware(f"2025-05-24T{local}:00+02:00").astimezone(UTC)


def scan(scan_id: str, local: str) -> Scan:
    return Scan(scan_id, at(local), DAY, "cme-desk-1")


def evaluated(*sessions: str) -> dict[str, Evaluation]:
    return {s: Evaluation(s, at("15:00"), {"q1": 5}) for s in sessions}


def record(
    delegate_id: str,
    attendance: Attendance,
    *,
    scans: tuple[Scan, ...] = (),
    views: tuple[View, ...] = (),
    cart: frozenset[str] = frozenset(),
    evaluations: dict[str, Evaluation] | None = None,
) -> DelegateRecord:
    return DelegateRecord(
        Delegate(delegate_id, f"Name of {delegate_id}", attendance, f"{delegate_id}@example.org"),
        DelegateFacts(delegate_id, scans, views, cart, evaluations or {}),
    )


def refusal(scan_id: str, code: str) -> RefusedScan:
    return RefusedScan(scan_id, "A", "cme-desk-1", at("08:00"), at("08:00"), code, "refused")


@pytest.fixture
def small(make_programme: Callable[..., Programme]) -> tuple[Programme, list[DelegateRecord]]:
    """One day: slot am 08:30-10:00 (parallel AM1, AM2, 1.5 each), slot pm 13:00-14:30
    (PM1, 1.5); day cap 3, event total 25.5."""
    programme = make_programme()
    records = [
        # Scanned at 08:01, both slots' sessions evaluated: 1.5 + 1.5 = 3.0, ready.
        record(
            "A",
            Attendance.IN_PERSON,
            scans=(scan("a1", "08:01"),),
            cart=frozenset({"AM1", "PM1"}),
            evaluations=evaluated("AM1", "PM1"),
        ),
        # Scanned at 08:05 and 13:10; AM1 and AM2 run in parallel: AM1 credited, AM2
        # parallel, 1.5 in all, ready.
        record(
            "B",
            Attendance.IN_PERSON,
            scans=(scan("b1", "08:05"), scan("b2", "13:10")),
            cart=frozenset({"AM1", "AM2"}),
            evaluations=evaluated("AM1", "AM2"),
        ),
        # Watched AM2 live (present that day), not yet evaluated.
        record(
            "C",
            Attendance.ONLINE,
            views=(View("c1", "AM2", ViewKind.LIVE, at("08:40")),),
            cart=frozenset({"AM2"}),
        ),
        # Registered, nothing else.
        record("D", Attendance.ONLINE),
    ]
    return programme, records


@pytest.fixture
def picture(small: tuple[Programme, list[DelegateRecord]]) -> CongressPicture:
    programme, records = small
    refused = [
        refusal("r1", "not_a_conference_day"),
        refusal("r2", "scanned_in_future"),
        refusal("r3", "not_a_conference_day"),
    ]
    return congress_picture(programme, rows(programme, records), refused, now=NOW)


def rows(programme: Programme, records: list[DelegateRecord]) -> list[DelegateRow]:
    """The delegates' report rows, as `cme.projection` keeps them."""
    return [delegate_row(programme, r) for r in records]


def test_registrations_count_every_delegate_by_attendance(picture: CongressPicture) -> None:
    assert picture.registered == 4
    assert dict(picture.by_attendance) == {"in_person": 2, "online": 2}


def test_a_delegate_is_present_on_a_day_of_a_scan_or_a_live_view(picture: CongressPicture) -> None:
    assert [(d.date, d.present, d.earning) for d in picture.days] == [(DAY, 3, 2)]


def test_scans_per_hour_run_in_local_time_with_quiet_hours_as_zero(
    picture: CongressPicture,
) -> None:
    hours = [(h.strftime("%H:%M"), n) for h, n in picture.scans_per_hour]
    assert hours == [("08:00", 2), ("09:00", 0), ("10:00", 0), ("11:00", 0), ("12:00", 0),
                     ("13:00", 1)]  # fmt: skip
    assert all(h.utcoffset() is not None for h, _ in picture.scans_per_hour)


def test_sessions_rank_by_delegates_credited_then_programme_order(
    picture: CongressPicture,
) -> None:
    assert [(s.session_id, s.credited) for s in picture.top_sessions] == [
        ("AM1", 2),
        ("AM2", 1),  # B's parallel session counts: it would be credited on its own
        ("PM1", 1),
    ]


def test_totals_fall_in_whole_credit_bands_after_a_band_of_nothing(
    picture: CongressPicture,
) -> None:
    bands = {b.label: b.delegates for b in picture.totals}
    assert bands["0"] == 2
    assert bands["1 to under 2"] == 1
    assert bands["3 to under 4"] == 1
    assert sum(bands.values()) == 4
    assert picture.totals[-1].label == "3 to under 4"  # bands end at the highest total


def test_readiness_gives_the_first_reason_that_applies(picture: CongressPicture) -> None:
    assert dict(picture.readiness) == {
        Readiness.READY: 2,
        Readiness.EMPTY_CART: 1,
        Readiness.EVALUATIONS_MISSING: 1,
        Readiness.NOT_ELIGIBLE: 0,
        Readiness.TEST_NOT_PASSED: 0,
        Readiness.NO_CREDITS: 0,
    }


def test_refused_scans_are_counted_by_code_most_frequent_first(picture: CongressPicture) -> None:
    assert picture.refused == (("not_a_conference_day", 2), ("scanned_in_future", 1))


def test_an_event_with_nobody_yet_draws_an_empty_picture(
    small: tuple[Programme, list[DelegateRecord]],
) -> None:
    programme, _ = small
    empty = congress_picture(programme, [], [], now=NOW)
    assert (empty.registered, empty.scans_per_hour, empty.top_sessions, empty.totals) == (
        0,
        (),
        (),
        (),
    )
    page = render_dashboard(empty)
    assert "nothing recorded yet" in page


# --------------------------------------------------------------------------- the page


class Page(HTMLParser):
    """What a check of the page needs: tags with attributes, table cells, visible text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def test_the_page_makes_no_request_of_its_own(picture: CongressPicture) -> None:
    html = render_dashboard(picture)
    page = Page(html)
    assert not page.all("script") and not page.all("link") and not page.all("img")
    assert not any("src" in attrs or "href" in attrs for _, attrs in page.tags)
    assert re.findall(r"https?://[^\"' )]+", html) == ["http://www.w3.org/2000/svg"] * len(
        page.all("svg")
    )


def test_every_chart_has_a_text_alternative_and_a_table(picture: CongressPicture) -> None:
    page = Page(render_dashboard(picture))
    charts = page.all("svg")
    assert len(charts) == 6  # presence, scans, sessions, totals, readiness, refusals
    for chart in charts:
        assert chart["role"] == "img"
        labels = (chart["aria-labelledby"] or "").split()
        assert len(labels) == 2
        ids = {attrs.get("id") for _, attrs in page.tags}
        assert set(labels) <= ids
    assert len(page.all("table")) >= len(charts)
    assert all(attrs.get("scope") in {"col", "row"} for attrs in page.all("th"))


def test_the_page_shows_counts_never_a_name_or_an_email(
    picture: CongressPicture, small: tuple[Programme, list[DelegateRecord]]
) -> None:
    html = render_dashboard(picture)
    for r in small[1]:
        assert r.delegate.name not in html
        assert str(r.delegate.email) not in html


def test_programme_text_is_escaped(make_programme: Callable[..., Programme]) -> None:
    programme = make_programme(
        sessions=(
            {"id": "AM1", "slot": "am", "title": "<script>alert(1)</script> & more"},
            {"id": "PM1", "slot": "pm", "title": "Afternoon"},
        )
    )
    one = record(
        "A",
        Attendance.IN_PERSON,
        scans=(scan("a1", "08:01"),),
        cart=frozenset({"AM1"}),
        evaluations=evaluated("AM1"),
    )
    html = render_dashboard(congress_picture(programme, rows(programme, [one]), [], now=NOW))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_the_page_reloads_itself_only_when_asked(picture: CongressPicture) -> None:
    def refresh(html: str) -> list[Any]:
        return [a for a in Page(html).all("meta") if a.get("http-equiv") == "refresh"]

    assert refresh(render_dashboard(picture)) == []
    assert [a["content"] for a in refresh(render_dashboard(picture, refresh=60))] == ["60"]
