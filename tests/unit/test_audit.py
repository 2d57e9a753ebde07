"""`audit_facts`: a delegate's FACTS document judged exactly as the API judges it.

CONTRACT.md: facts the API would refuse are reported with their code and left out; when
several errors apply the first wins: request shape (422 invalid_request), then 404
unknown_session, then the idempotent repeat, then already_evaluated / id_reused, then the
rules (properties of the session before times; scanned_in_future before
not_a_conference_day). A refused scan stores no fact, so resending its id is judged afresh.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cme.errors import InvalidRequest
from cme.facts import Attendance, Direction, ViewKind
from cme.programme import Programme, build_programme
from cme_tools.audit import AuditedFacts, audit_facts

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
DELEGATE = {"delegate_id": "D0001", "name": "Łukasz Żółć", "attendance": "in_person"}


def audit(programme: Programme, now: datetime = NOW, **facts: Any) -> AuditedFacts:
    return audit_facts(programme, {"delegate": DELEGATE, **facts}, now=now)


def refused(audited: AuditedFacts) -> list[tuple[str, str, str]]:
    return [(r.kind, r.fact_id, r.code) for r in audited.refusals]


def scan(scan_id: str, at: Any, **more: Any) -> dict[str, Any]:
    return {"scan_id": scan_id, "scanned_at": at, **more}


def view(view_id: str, session_id: str, kind: str, at: str, **more: Any) -> dict[str, Any]:
    return {"view_id": view_id, "session_id": session_id, "kind": kind, "watched_at": at, **more}


def evaluation(session_id: str, at: str, **more: Any) -> dict[str, Any]:
    return {"session_id": session_id, "submitted_at": at, **more}


# ------------------------------------------------------------------------- accepted facts


def test_accepted_facts_become_the_delegates_facts(eshg: Programme) -> None:
    audited = audit(
        eshg,
        scans=[scan("s1", "2025-05-25T00:30:00+02:00", station_id="cme-desk-1")],
        views=[view("v1", "PL03", "on_demand", "2025-06-10T19:30:00+02:00", seconds=3600)],
        cart=["S05", "PL03"],
        evaluations=[evaluation("S05", "2025-05-25T10:05:00+02:00", answers={"q": 5})],
    )
    assert audited.refusals == ()
    assert audited.delegate.attendance is Attendance.IN_PERSON
    [accepted_scan] = audited.facts.scans
    assert (accepted_scan.scan_id, accepted_scan.day, accepted_scan.station_id) == (
        "s1",
        date(2025, 5, 25),
        "cme-desk-1",
    )
    [accepted_view] = audited.facts.views
    assert (accepted_view.kind, accepted_view.seconds) == (ViewKind.ON_DEMAND, 3600)
    assert audited.facts.cart == {"S05", "PL03"}
    assert audited.facts.evaluations["S05"].answers == {"q": 5}
    assert audited.facts.delegate_id == "D0001"


def test_scans_keep_their_room_and_direction_and_evaluations_their_claim(
    eshg: Programme,
) -> None:
    audited = audit(
        eshg,
        scans=[
            scan("in", "2025-05-24T08:25:00+02:00", station_id="gold-1", room="Gold"),
            scan("out", "2025-05-24T10:00:00+02:00", room="Gold", direction="out"),
            scan("desk", "2025-05-24T08:01:00+02:00", room=None, direction="in"),
        ],
        evaluations=[
            evaluation("ES01", "2025-05-24T10:05:00+02:00", claimed_credits=Decimal("1.25")),
            evaluation("S01", "2025-05-24T12:05:00+02:00", claimed_credits=1),
            evaluation("S03", "2025-05-24T15:05:00+02:00", claimed_credits=None),
        ],
    )
    assert audited.refusals == ()
    assert {s.scan_id: (s.room, s.direction) for s in audited.facts.scans} == {
        "in": ("Gold", Direction.IN),
        "out": ("Gold", Direction.OUT),
        "desk": (None, Direction.IN),
    }
    claims = {sid: e.claimed_credits for sid, e in audited.facts.evaluations.items()}
    assert claims == {"ES01": Decimal("1.25"), "S01": Decimal(1), "S03": None}
    assert isinstance(claims["S01"], Decimal)


# --------------------------------------------------------------------- each refusal's code


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        pytest.param({"scans": [scan("s", "2025-05-28T09:00:00+02:00")]}, "not_a_conference_day"),
        pytest.param({"scans": [scan("s", "2026-01-15T12:06:00Z")]}, "scanned_in_future"),
        pytest.param({"scans": [scan("s", "2025-05-24T09:00:00")]}, "invalid_request"),
        pytest.param({"scans": [scan("bad id", "2025-05-24T09:00:00Z")]}, "invalid_request"),
        pytest.param({"scans": [{"scan_id": "s"}]}, "invalid_request"),
        pytest.param({"scans": [scan("s", 1748070000)]}, "invalid_request"),
        pytest.param({"scans": [scan("s", None)]}, "invalid_request"),
        pytest.param({"scans": ["s"]}, "invalid_request"),
        pytest.param(
            {"views": [view("v", "NOPE", "live", "2025-05-24T09:00:00Z")]}, "unknown_session"
        ),
        pytest.param(
            {"views": [view("v", "S01", "live", "2025-05-24T10:29:59+02:00")]},
            "view_before_session",
        ),
        pytest.param(
            {"views": [view("v", "S01", "live", "2025-05-24T12:00:00+02:00")]},
            "view_after_session",
        ),
        pytest.param(
            {"views": [view("v", "C05", "on_demand", "2025-06-01T09:00:00+02:00")]},
            "not_recorded",
        ),
        pytest.param(
            {"views": [view("v", "S01", "on_demand", "2025-05-25T09:00:00+02:00")]},
            "outside_on_demand_window",
        ),
        pytest.param(
            {"views": [view("v", "S01", "replay", "2025-06-01T09:00:00+02:00")]}, "invalid_request"
        ),
        pytest.param(
            {"views": [view("v", "S01", "live", "2025-05-24T10:40:00+02:00", seconds=-1)]},
            "invalid_request",
        ),
        pytest.param(
            {"views": [view("v", "S01", "live", "2025-05-24T10:40:00+02:00", seconds=86401)]},
            "invalid_request",
        ),
        pytest.param(
            {"views": [view("v", "S01", "on_demand", "2026-01-15T12:06:00Z")]}, "invalid_request"
        ),
        pytest.param({"scans": [scan("s", "2025-05-24T09:00:00Z", room="")]}, "invalid_request"),
        pytest.param(
            {"scans": [scan("s", "2025-05-24T09:00:00Z", room="x" * 201)]}, "invalid_request"
        ),
        pytest.param(
            {"scans": [scan("s", "2025-05-24T09:00:00Z", room="Gold\n")]}, "invalid_request"
        ),
        pytest.param({"scans": [scan("s", "2025-05-24T09:00:00Z", room=5)]}, "invalid_request"),
        pytest.param(
            {"scans": [scan("s", "2025-05-24T09:00:00Z", direction="sideways")]},
            "invalid_request",
        ),
        pytest.param(
            {"scans": [scan("s", "2025-05-24T09:00:00Z", direction=None)]}, "invalid_request"
        ),
        pytest.param(
            {"scans": [scan("s", "2025-05-24T09:00:00Z", direction=["in"])]}, "invalid_request"
        ),
        pytest.param(
            {"scans": [scan("s", "2025-05-24T09:00:00Z", rooms="Gold")]}, "invalid_request"
        ),
        pytest.param({"cart": ["NOPE"]}, "unknown_session"),
        pytest.param({"cart": ["CS01"]}, "session_not_accredited"),
        pytest.param({"cart": [{"session_id": "S01"}]}, "invalid_request"),
        pytest.param(
            {"evaluations": [evaluation("NOPE", "2025-06-01T00:00:00Z")]}, "unknown_session"
        ),
        pytest.param(
            {"evaluations": [evaluation("CS01", "2025-06-01T00:00:00Z")]}, "session_not_accredited"
        ),
        pytest.param(
            {"evaluations": [evaluation("S01", "2025-05-24T11:59:59+02:00")]},
            "evaluation_not_open",
        ),
        pytest.param(
            {"evaluations": [evaluation("S01", "2025-11-30T23:00:00Z")]}, "claim_deadline_passed"
        ),
        pytest.param(
            {"evaluations": [evaluation("S01", "2025-06-01T00:00:00Z", answers=["x"])]},
            "invalid_request",
        ),
        pytest.param(
            {"evaluations": [evaluation("S01", "2026-01-15T12:06:00Z")]}, "invalid_request"
        ),
        *(
            pytest.param(
                {"evaluations": [evaluation("S01", "2025-06-01T00:00:00Z", claimed_credits=c)]},
                "invalid_request",
                id=f"claimed_credits={c!r}",
            )
            for c in ["1.25", "abc", True, Decimal("-0.25"), -1, Decimal("1000.25"), [1]]
        ),
        pytest.param(
            {"evaluations": [evaluation("S01", "2025-06-01T00:00:00Z", claimed=Decimal(1))]},
            "invalid_request",
        ),
    ],
)
def test_a_refused_fact_carries_the_code_the_api_would_answer(
    eshg: Programme, facts: dict[str, Any], expected: str
) -> None:
    audited = audit(eshg, **facts)
    assert [r.code for r in audited.refusals] == [expected]
    assert (audited.facts.scans, audited.facts.views) == ((), ())
    assert audited.facts.cart == frozenset()
    assert dict(audited.facts.evaluations) == {}


def test_a_refusal_names_the_fact(eshg: Programme) -> None:
    audited = audit(
        eshg,
        scans=[scan("s-28", "2025-05-28T09:00:00+02:00")],
        views=[view("v-9", "NOPE", "live", "2025-05-24T09:00:00Z")],
        cart=["CS02"],
        evaluations=[evaluation("CS03", "2025-06-01T00:00:00Z")],
    )
    assert refused(audited) == [
        ("scan", "s-28", "not_a_conference_day"),
        ("view", "v-9", "unknown_session"),
        ("cart", "CS02", "session_not_accredited"),
        ("evaluation", "CS03", "session_not_accredited"),
    ]


def test_the_clock_skew_is_allowed(eshg: Programme) -> None:
    """Up to five minutes ahead of the server clock is tolerated (a setting)."""
    almost = (NOW + timedelta(minutes=5)).isoformat()
    audited = audit(
        eshg,
        views=[view("v", "S01", "on_demand", "2025-11-30T22:00:00Z")],
        evaluations=[evaluation("S01", "2025-11-30T22:10:00Z")],
        now=datetime(2025, 11, 30, 22, 5, tzinfo=UTC),
    )
    assert audited.refusals == ()
    assert refused(audit(eshg, scans=[scan("s", almost)])) == [
        ("scan", "s", "not_a_conference_day")
    ]


def test_one_refusal_never_stops_the_good_facts(eshg: Programme) -> None:
    audited = audit(
        eshg,
        scans=[scan("bad", "2025-05-28T09:00:00+02:00"), scan("good", "2025-05-24T09:00:00+02:00")],
        evaluations=[
            evaluation("S01", "2025-05-24T11:00:00+02:00"),
            evaluation("S02", "2025-05-24T12:00:00+02:00"),
        ],
    )
    assert refused(audited) == [
        ("scan", "bad", "not_a_conference_day"),
        ("evaluation", "S01", "evaluation_not_open"),
    ]
    assert [s.scan_id for s in audited.facts.scans] == ["good"]
    assert list(audited.facts.evaluations) == ["S02"]


# ------------------------------------------------------------------------------- repeats


def test_an_identical_repeat_is_harmless_and_stored_once(eshg: Programme) -> None:
    audited = audit(
        eshg,
        scans=[scan("s", "2025-05-24T09:00:00+02:00")] * 2,
        views=[view("v", "S01", "live", "2025-05-24T10:40:00+02:00")] * 2,
        cart=["S01", "S01"],
        evaluations=[
            evaluation("S01", "2025-05-24T12:00:00+02:00", answers={"a": 1, "b": "x"}),
            evaluation("S01", "2025-05-24T10:00:00Z", answers={"b": "x", "a": 1}),
        ],
    )
    assert audited.refusals == ()
    assert (len(audited.facts.scans), len(audited.facts.views)) == (1, 1)
    assert len(audited.facts.evaluations) == 1


def test_an_id_reused_with_other_content_is_refused_and_the_first_stays(
    eshg: Programme,
) -> None:
    audited = audit(
        eshg,
        scans=[scan("s", "2025-05-24T09:00:00+02:00"), scan("s", "2025-05-25T09:00:00+02:00")],
        views=[
            view("v", "S01", "live", "2025-05-24T10:40:00+02:00"),
            view("v", "S02", "live", "2025-05-24T10:40:00+02:00"),
            view("v", "S01", "live", "2025-05-24T10:40:00+02:00", seconds=60),
        ],
    )
    assert refused(audited) == [
        ("scan", "s", "id_reused"),
        ("view", "v", "id_reused"),
        ("view", "v", "id_reused"),
    ]
    assert [s.day for s in audited.facts.scans] == [date(2025, 5, 24)]
    assert [v.session_id for v in audited.facts.views] == ["S01"]


def test_a_scan_id_reused_with_another_room_or_direction_is_refused(eshg: Programme) -> None:
    at = "2025-05-24T08:25:00+02:00"
    audited = audit(
        eshg,
        scans=[
            scan("s", at, room="Gold"),
            scan("s", at, room="Gold", direction="in"),  # the same scan: in is the default
            scan("s", at, room="Silver"),
            scan("s", at),
            scan("s", at, room="Gold", direction="out"),
        ],
    )
    assert refused(audited) == [("scan", "s", "id_reused")] * 3
    assert [(s.room, s.direction) for s in audited.facts.scans] == [("Gold", Direction.IN)]


def test_a_claim_is_final_with_its_evaluation(eshg: Programme) -> None:
    audited = audit(
        eshg,
        evaluations=[
            evaluation("ES01", "2025-05-24T10:05:00+02:00", claimed_credits=Decimal("1.25")),
            evaluation("ES01", "2025-05-24T08:05:00Z", claimed_credits=Decimal("1.250")),
            evaluation("ES01", "2025-05-24T10:05:00+02:00", claimed_credits=Decimal("1.5")),
            evaluation("ES01", "2025-05-24T10:05:00+02:00"),
        ],
    )
    assert refused(audited) == [("evaluation", "ES01", "already_evaluated")] * 2
    assert audited.facts.evaluations["ES01"].claimed_credits == Decimal("1.25")


def test_a_refused_scan_stores_nothing_so_its_id_is_judged_afresh(eshg: Programme) -> None:
    audited = audit(
        eshg,
        scans=[scan("s", "2025-05-28T09:00:00+02:00"), scan("s", "2025-05-27T09:00:00+02:00")],
    )
    assert refused(audited) == [("scan", "s", "not_a_conference_day")]
    assert [s.day for s in audited.facts.scans] == [date(2025, 5, 27)]


# ------------------------------------------------------------------- order of precedence


def test_id_reused_comes_before_the_rules(eshg: Programme) -> None:
    """A scan id reused for a scan the rules would also refuse: 409 id_reused wins."""
    audited = audit(
        eshg,
        scans=[scan("s", "2025-05-24T09:00:00+02:00"), scan("s", "2025-05-28T09:00:00+02:00")],
        views=[
            view("v", "S01", "live", "2025-05-24T10:40:00+02:00"),
            view("v", "S01", "live", "2025-05-24T12:40:00+02:00"),
        ],
    )
    assert refused(audited) == [("scan", "s", "id_reused"), ("view", "v", "id_reused")]


def test_already_evaluated_comes_before_the_rules(eshg: Programme) -> None:
    """A second evaluation of S01 after the deadline: 409 already_evaluated, not
    claim_deadline_passed; one before the end: already_evaluated, not evaluation_not_open."""
    audited = audit(
        eshg,
        evaluations=[
            evaluation("S01", "2025-05-24T12:05:00+02:00"),
            evaluation("S01", "2025-12-05T10:00:00+01:00"),
            evaluation("S01", "2025-05-24T11:00:00+02:00"),
        ],
    )
    assert refused(audited) == [
        ("evaluation", "S01", "already_evaluated"),
        ("evaluation", "S01", "already_evaluated"),
    ]


def test_the_shape_of_a_fact_comes_before_an_unknown_session(eshg: Programme) -> None:
    audited = audit(
        eshg,
        views=[
            view("v1", "NOPE", "replay", "2025-05-24T10:40:00+02:00"),
            view("v2", "NOPE", "live", "2025-05-24T10:40:00"),
            view("v3", "NOPE", "live", "2025-05-24T10:40:00Z", seconds="ten"),
        ],
        evaluations=[evaluation("NOPE", "2025-05-24T12:05:00")],
    )
    assert [r.code for r in audited.refusals] == ["invalid_request"] * 4


def test_an_unknown_session_comes_before_a_reused_id(eshg: Programme) -> None:
    audited = audit(
        eshg,
        views=[
            view("v", "S01", "live", "2025-05-24T10:40:00+02:00"),
            view("v", "NOPE", "live", "2025-05-24T10:40:00+02:00"),
        ],
    )
    assert refused(audited) == [("view", "v", "unknown_session")]


def test_properties_of_the_session_come_before_times(eshg: Programme) -> None:
    audited = audit(
        eshg,
        views=[view("v", "C05", "on_demand", "2025-05-24T08:00:00Z")],
        evaluations=[evaluation("CS01", "2025-05-24T08:00:00Z")],
    )
    assert refused(audited) == [
        ("view", "v", "not_recorded"),
        ("evaluation", "CS01", "session_not_accredited"),
    ]


def test_scanned_in_future_comes_before_not_a_conference_day(eshg: Programme) -> None:
    assert refused(audit(eshg, scans=[scan("s", "2026-03-01T09:00:00+01:00")])) == [
        ("scan", "s", "scanned_in_future")
    ]


# ------------------------------------------------------------------------- claimed credits


@pytest.fixture
def self_claimed(eshg_document: Any) -> Programme:
    """ESHG 2025 under self-claimed credit in quarters: ES01 is worth 1.5, ES05 0.75."""
    eshg_document["event"]["policy"] = {"claims": "self_claimed", "claim_step": "0.25"}
    return build_programme(eshg_document).programme


def test_under_self_claimed_an_invalid_claim_is_refused_and_left_out(
    self_claimed: Programme,
) -> None:
    audited = audit(
        self_claimed,
        evaluations=[
            evaluation("ES01", "2025-05-24T10:05:00+02:00", claimed_credits=Decimal("0.3")),
            evaluation("ES02", "2025-05-24T10:05:00+02:00", claimed_credits=0),
            evaluation("ES03", "2025-05-24T10:05:00+02:00", claimed_credits=Decimal("1.75")),
            evaluation("ES05", "2025-05-24T13:50:00+02:00", claimed_credits=1),
            evaluation("S01", "2025-05-24T11:00:00+02:00", claimed_credits=Decimal("0.1")),
            evaluation("ES01", "2025-05-24T10:05:00+02:00", claimed_credits=Decimal("1.25")),
            evaluation("ES02", "2025-05-24T10:05:00+02:00"),
        ],
    )
    assert refused(audited) == [
        ("evaluation", "ES01", "invalid_claim"),
        ("evaluation", "ES02", "invalid_claim"),
        ("evaluation", "ES03", "invalid_claim"),
        ("evaluation", "ES05", "invalid_claim"),
        ("evaluation", "S01", "invalid_claim"),  # a property of the claim before times
    ]
    claims = {sid: e.claimed_credits for sid, e in audited.facts.evaluations.items()}
    assert claims == {"ES01": Decimal("1.25"), "ES02": None}


def test_under_earned_any_claim_in_shape_is_kept(eshg: Programme) -> None:
    audited = audit(
        eshg,
        evaluations=[
            evaluation("ES01", "2025-05-24T10:05:00+02:00", claimed_credits=Decimal("0.3")),
            evaluation("ES02", "2025-05-24T10:05:00+02:00", claimed_credits=7),
        ],
    )
    assert audited.refusals == ()
    claims = {sid: e.claimed_credits for sid, e in audited.facts.evaluations.items()}
    assert claims == {"ES01": Decimal("0.3"), "ES02": Decimal(7)}


# ----------------------------------------------------------------- the document as a whole


@pytest.mark.parametrize(
    "document",
    [
        [],
        "facts",
        {"scans": []},
        {"delegate": {"delegate_id": "D1", "name": ""}},
        {"delegate": {"delegate_id": "D1", "name": "x" * 201}},
        {"delegate": {"delegate_id": "not an id", "name": "Ada"}},
        {"delegate": {"delegate_id": "D1", "name": "Ada", "attendance": "remote"}},
        {"delegate": {"delegate_id": "D1", "name": "Ada"}, "scans": {"s": "2025-05-24"}},
    ],
)
def test_a_document_that_is_not_a_facts_document_is_an_invalid_request(
    eshg: Programme, document: Any
) -> None:
    with pytest.raises(InvalidRequest) as raised:
        audit_facts(eshg, document, now=NOW)
    assert raised.value.code == "invalid_request"


def test_attendance_defaults_to_in_person_and_online_is_accepted(eshg: Programme) -> None:
    default = audit_facts(eshg, {"delegate": {"delegate_id": "D1", "name": "Ada"}}, now=NOW)
    online = audit_facts(
        eshg, {"delegate": {"delegate_id": "D1", "name": "Ada", "attendance": "online"}}, now=NOW
    )
    assert (default.delegate.attendance, online.delegate.attendance) == (
        Attendance.IN_PERSON,
        Attendance.ONLINE,
    )
