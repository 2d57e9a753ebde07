"""The organiser's routes: the programme (`PUT`/`GET /events/{event_id}`, with the replacement
rules of RULES.md "When the programme changes"), delegate registration, and the report in
JSON and CSV pages; plus the public OpenAPI document the organiser function serves."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from cme.jsonio import dumps
from tests.integration.conftest import ROOT
from tests.integration.conftest import scan_body as scan

pytestmark = pytest.mark.usefixtures("parsed_once")

EVENT = "/events/eshg2025"
ACPM = ROOT / "programmes" / "acpm2025.yaml"


def errors_of(problem: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((error["code"], error["path"]) for error in problem["errors"])


def named(problem: dict[str, Any], code: str) -> list[set[str]]:
    """The ids that the errors of one code name (each error names one reference)."""
    found = []
    for error in problem["errors"]:
        if error["code"] == code:
            words = set(re.findall(r"[A-Za-z0-9][A-Za-z0-9._:-]*", error["detail"]))
            found.append(words)
    return found


def without(document: dict[str, Any], *, day: str | None = None, sessions=()) -> dict:
    """The document without a day (with its slots and sessions) or some sessions."""
    changed = copy.deepcopy(document)
    if day is not None:
        slots = {s["id"] for s in changed["slots"] if s["date"] == day}
        changed["days"] = [d for d in changed["days"] if d["date"] != day]
        changed["slots"] = [s for s in changed["slots"] if s["id"] not in slots]
        changed["sessions"] = [s for s in changed["sessions"] if s["slot"] not in slots]
    changed["sessions"] = [s for s in changed["sessions"] if s["id"] not in sessions]
    return changed


# --------------------------------------------------------------------------- programme


def test_a_programme_is_created_then_replaced(client, programme_document):
    created = client.put(EVENT, programme_document)
    replaced = client.put(EVENT, programme_document)

    assert created.status == 201
    assert created.body == {"event_id": "eshg2025", "version": 1, "warnings": []}
    assert replaced.status == 200
    assert replaced.body == {"event_id": "eshg2025", "version": 2, "warnings": []}


def test_the_second_sample_is_stored_with_its_variants(client):
    """ACPM 2025 as `cme load-programme` sends it: taken without warnings, and read back
    with every policy setting (time in the room, presence, viewing, self-claimed)."""
    from cme.programme import load_programme_file, programme_document

    sent = json.loads(dumps(programme_document(load_programme_file(ACPM).programme)))

    created = client.put("/events/acpm2025", sent)
    stored = client.get("/events/acpm2025")

    assert created.status == 201
    assert created.body == {"event_id": "acpm2025", "version": 1, "warnings": []}
    assert stored.body == sent
    assert stored.body["event"]["policy"] == {
        "evidence": "time_in_room",
        "scan_grace_minutes": 15,
        "presence": {"minimum": 0.9, "credit": "proportional", "step": 0.25},
        "viewing": {"minimum": 0.5},
        "claims": "self_claimed",
        "claim_step": 0.25,
    }


def test_the_programme_comes_back_as_stored_and_replaced(eshg, programme_document):
    answer = eshg.get(EVENT)

    assert answer.status == 200
    assert answer.body == programme_document

    programme_document["event"]["name"] = "ESHG 2025, Milan"
    programme_document["sessions"][0]["credits"] = 1.0
    assert eshg.put(EVENT, programme_document).status == 200
    assert eshg.get(EVENT).body == programme_document


def test_an_unknown_event_is_404_on_every_organiser_route(client, expect_problem, subtests):
    for method, path, body in [
        ("GET", "/events/nope", None),
        ("PUT", "/events/nope/delegates/D0001", {"name": "A", "attendance": "online"}),
        ("GET", "/events/nope/report", None),
    ]:
        with subtests.test(method=method, path=path):
            expect_problem(client.call(method, path, body), 404, "unknown_event")


def test_warnings_come_with_201_and_200(client, programme_document):
    programme_document["event"]["claim_deadline"] = "2025-11-30T23:59:59+02:00"  # CEST in Nov
    created = client.put(EVENT, programme_document)
    programme_document["event"]["claim_deadline"] = "2025-11-30T23:59:59"
    programme_document["event"]["on_demand"]["start"] = "2025-10-26T02:30:00"  # DST fold
    replaced = client.put(EVENT, programme_document)

    assert created.status == 201
    assert [(w["path"], w["code"]) for w in created.body["warnings"]] == [
        ("event.claim_deadline", "offset_mismatch")
    ]
    assert replaced.status == 200
    assert [(w["path"], w["code"]) for w in replaced.body["warnings"]] == [
        ("event.on_demand.start", "ambiguous_local_time")
    ]


@pytest.mark.parametrize("timezone", ["Europe/Rome", "Europe/Milan"])
def test_every_problem_of_a_programme_is_named_at_once(
    client, expect_problem, programme_document, timezone
):
    """CONTRACT.md: unknown timezone, overlapping slots, a slot on an unlisted day, a
    session outside its slot, credits above the slot maximum, a duplicate id; the checks
    that need no timezone run without one (Europe/Milan is no zone: Italy is Europe/Rome)."""
    document = programme_document
    document["event"]["timezone"] = timezone
    document["sessions"][3]["end"] = "10:30"  # ES04 runs past its slot
    document["sessions"][0]["credits"] = 2  # above sat-1's 1.5
    document["slots"][1]["start"] = "09:30"  # sat-2 overlaps sat-1
    document["slots"].append(
        {"id": "wed-1", "date": "2025-05-28", "start": "08:30", "end": "10:00", "max": 1.5}
    )
    document["sessions"].append(dict(document["sessions"][5]))  # S01 twice

    answer = client.put(EVENT, document)

    problem = expect_problem(answer, 422, "invalid_programme")
    unknown_zone = [("unknown_timezone", "event.timezone")] if timezone == "Europe/Milan" else []
    assert errors_of(problem) == [
        ("credits_above_slot_max", "sessions[0].credits"),
        ("duplicate_id", f"sessions[{len(document['sessions']) - 1}].id"),
        ("overlapping_slots", "slots[1].start"),
        ("session_outside_slot", "sessions[3].end"),
        ("slot_on_unlisted_day", f"slots[{len(document['slots']) - 1}].date"),
        *unknown_zone,
    ]
    expect_problem(client.get(EVENT), 404, "unknown_event")


def test_a_programme_that_does_not_fit_its_schema_is_invalid_programme_not_invalid_request(
    client, expect_problem, programme_document
):
    """A JSON object that does not fit the document's schema names every problem as a
    programme problem (422 `invalid_programme`), a repeated key included; a body that is
    not a JSON object stays a 400 `invalid_request`."""
    programme_document["days"] = "24 May"
    programme_document["sessions"][2]["credits"] = "lots"
    raw = json.dumps(programme_document).replace('"city":', '"city": "Rome", "city":', 1)

    problem = expect_problem(client.put(EVENT, raw=raw), 422, "invalid_programme")

    assert errors_of(problem) == [
        ("duplicate_key", "event.city"),
        ("invalid_number", "sessions[2].credits"),
        ("invalid_type", "days"),
    ]
    expect_problem(client.put(EVENT, raw="[1, 2]"), 400, "invalid_request")
    expect_problem(client.put(EVENT, raw="{"), 400, "invalid_request")


def test_a_wrong_event_id_an_unknown_timezone_or_no_programme_at_all_is_invalid(
    client, expect_problem, programme_document
):
    elsewhere = expect_problem(
        client.put("/events/other", programme_document), 422, "invalid_programme"
    )
    programme_document["event"]["timezone"] = "Europe/Milan"
    zone = expect_problem(client.put(EVENT, programme_document), 422, "invalid_programme")
    other = expect_problem(client.put(EVENT, {"event": 1}), 422, "invalid_programme")

    assert [e["path"] for e in elsewhere["errors"]] == ["event.id"]
    assert ("unknown_timezone", "event.timezone") in errors_of(zone)
    assert {code for code, _ in errors_of(other)} >= {"invalid_type", "missing"}
    expect_problem(client.get("/events/other"), 404, "unknown_event")
    expect_problem(client.get(EVENT), 404, "unknown_event")


def test_a_large_programme_under_1_mb_is_stored(client, programme_document):
    # A big congress: 900 more parallel sessions with long titles, about 700 KB of JSON.
    first = programme_document["sessions"][0]
    for n in range(900):
        extra = {"id": f"X{n:04d}", "title": "T" * 480, "room": "R" * 150}
        programme_document["sessions"].append({**first, **extra})
    raw = json.dumps(programme_document)
    assert 400_000 < len(raw.encode()) < 1024 * 1024

    answer = client.put(EVENT, raw=raw)

    assert answer.status == 201, answer.text
    assert len(client.get(EVENT).body["sessions"]) == len(programme_document["sessions"])


# --------------------------------------------------------------------------- replacements


@pytest.fixture
def facts(delegate, eshg):
    """D0001 scanned on 27 May, viewed S12 on demand, has C23 in the cart and evaluated S03."""
    assert eshg.post(f"{EVENT}/scans", scan("s-27", "2025-05-27T08:10:00+02:00")).status == 201
    view = {
        "view_id": "v-1",
        "session_id": "S12",
        "kind": "on_demand",
        "watched_at": "2025-06-10T19:30:00+02:00",
    }
    assert eshg.post(f"{EVENT}/delegates/D0001/views", view).status == 201
    assert eshg.put(f"{EVENT}/delegates/D0001/cart/C23").status == 201
    evaluation = {"submitted_at": "2025-05-24T14:35:00+02:00", "answers": {"q": 1}}
    assert eshg.put(f"{EVENT}/delegates/D0001/evaluations/S03", evaluation).status == 201
    return eshg


def test_removing_a_session_that_facts_refer_to_is_invalid(
    facts, expect_problem, programme_document, subtests
):
    for session_id in ["S12", "C23", "S03"]:  # viewed, in the cart, evaluated
        with subtests.test(session_id=session_id):
            answer = facts.put(EVENT, without(programme_document, sessions=[session_id]))
            problem = expect_problem(answer, 422, "invalid_programme")
            assert [code for code, _ in errors_of(problem)] == ["referenced_session_removed"]
            assert session_id in named(problem, "referenced_session_removed")[0]
    assert facts.get(EVENT).body == programme_document  # nothing replaced


def test_removing_what_nothing_refers_to_is_allowed(facts, programme_document):
    smaller = without(programme_document, day="2025-05-25", sessions=["S13", "C30", "ES02"])

    answer = facts.put(EVENT, smaller)

    assert (answer.status, answer.body["version"]) == (200, 2)
    assert [d["date"] for d in facts.get(EVENT).body["days"]] == [
        "2025-05-24",
        "2025-05-26",
        "2025-05-27",
    ]


def test_removing_a_day_names_the_day_its_slots_and_sessions_that_facts_refer_to(
    facts, expect_problem, programme_document
):
    facts.put(f"{EVENT}/delegates/D0001/cart/PL04")
    facts.put(f"{EVENT}/delegates/D0001/cart/S15")

    answer = facts.put(EVENT, without(programme_document, day="2025-05-27"))

    problem = expect_problem(answer, 422, "invalid_programme")
    assert sorted(code for code, _ in errors_of(problem)) == [
        "referenced_day_removed",
        "referenced_session_removed",
        "referenced_session_removed",
        "referenced_slot_removed",
        "referenced_slot_removed",
    ]
    sessions = named(problem, "referenced_session_removed")
    assert sorted(next(iter({"PL04", "S15"} & words)) for words in sessions) == ["PL04", "S15"]
    slots = named(problem, "referenced_slot_removed")
    assert sorted(next(iter({"tue-2", "tue-3"} & words)) for words in slots) == ["tue-2", "tue-3"]
    assert "2025-05-27" in named(problem, "referenced_day_removed")[0]


def test_removing_a_day_that_only_a_scan_refers_to_is_invalid(
    facts, expect_problem, programme_document
):
    answer = facts.put(EVENT, without(programme_document, day="2025-05-27"))

    problem = expect_problem(answer, 422, "invalid_programme")
    assert [code for code, _ in errors_of(problem)] == ["referenced_day_removed"]


def test_the_timezone_may_change_before_any_fact(delegate, eshg, programme_document):
    programme_document["event"]["timezone"] = "Europe/Paris"

    answer = eshg.put(EVENT, programme_document)

    assert answer.status == 200
    assert eshg.get(EVENT).body["event"]["timezone"] == "Europe/Paris"


def test_the_timezone_is_locked_once_facts_exist_and_every_reference_is_named_at_once(
    facts, expect_problem, programme_document
):
    programme_document["event"]["timezone"] = "Europe/Paris"
    zone_only = expect_problem(facts.put(EVENT, programme_document), 422, "invalid_programme")
    document = without(programme_document, sessions=["S12", "C23"])
    everything = expect_problem(facts.put(EVENT, document), 422, "invalid_programme")

    assert errors_of(zone_only) == [("timezone_locked", "event.timezone")]
    assert sorted(code for code, _ in errors_of(everything)) == [
        "referenced_session_removed",
        "referenced_session_removed",
        "timezone_locked",
    ]
    assert facts.get(EVENT).body["event"]["timezone"] == "Europe/Rome"


def test_a_corrected_time_or_credit_of_a_referenced_session_is_allowed(facts, programme_document):
    for session in programme_document["sessions"]:
        if session["id"] == "S03":
            session["credits"] = 1.0

    assert facts.put(EVENT, programme_document).status == 200
    statement = facts.get(f"{EVENT}/delegates/D0001/credits").body
    assert statement["days"][0]["credits"] == 0.0  # S03 has no evidence: no scan on 24 May


# --------------------------------------------------------------------------- delegates


def test_a_delegate_is_registered_then_updated(eshg):
    body = {
        "name": "Łukasz Żółć",
        "email": "lukasz@example.org",
        "attendance": "in_person",
        "profession": "physician",
    }
    created = eshg.put(f"{EVENT}/delegates/D0001", body)
    updated = eshg.put(f"{EVENT}/delegates/D0001", {"name": "Łukasz Żółć", "attendance": "online"})

    assert created.status == 201
    assert created.body == {
        "event_id": "eshg2025",
        "delegate_id": "D0001",
        "name": "Łukasz Żółć",
        "attendance": "in_person",
        "profession": "physician",
        "warnings": [],
    }
    assert updated.status == 200
    assert updated.body["attendance"] == "online"
    longest = eshg.put(f"{EVENT}/delegates/D0002", {"name": "é" * 200, "attendance": "online"})
    assert longest.status == 201
    report = eshg.get(f"{EVENT}/report").body["delegates"]
    assert [(r["delegate_id"], r["name"], r["attendance"]) for r in report] == [
        ("D0001", "Łukasz Żółć", "online"),
        ("D0002", "é" * 200, "online"),
    ]


def test_a_registration_that_does_not_fit_is_422(eshg, expect_problem, subtests):
    for body, field in [
        ({"name": "A", "attendance": "remote"}, "attendance"),
        ({"name": "", "attendance": "online"}, "name"),
        ({"name": "x" * 201, "attendance": "online"}, "name"),
        ({"attendance": "online"}, "name"),
        ({"name": "A", "attendance": "online", "email": "not-an-address"}, "email"),
        ({"name": "A", "attendance": "online", "badge": "B-1"}, "badge"),
    ]:
        with subtests.test(body=str(body)[:60]):
            answer = eshg.put(f"{EVENT}/delegates/D0001", body)
            problem = expect_problem(answer, 422, "invalid_request")
            assert [error["path"] for error in problem["errors"]] == [f"body.{field}"]
    expect_problem(eshg.get(f"{EVENT}/delegates/D0001/credits"), 404, "unknown_delegate")


# --------------------------------------------------------------------------- report


IDS = ["d1", "D2", "D10", "D1.a", "D1"]  # sorted: D1, D1.a, D10, D2, d1


@pytest.fixture
def registered(eshg):
    for delegate_id in IDS:
        body = {"name": f"Delegate {delegate_id}", "attendance": "in_person"}
        assert eshg.put(f"{EVENT}/delegates/{delegate_id}", body).status == 201
    # D10 earns 1.5 on 24 May; a refused scan and the guards share the event's partition.
    assert (
        eshg.post(f"{EVENT}/scans", scan("s-1", "2025-05-24T08:01:00+02:00", "D10")).status == 201
    )
    eshg.post(f"{EVENT}/scans", scan("s-2", "2025-05-23T08:01:00+02:00", "D2"))
    evaluation = {"submitted_at": "2025-05-24T10:05:00+02:00", "answers": {}}
    assert eshg.put(f"{EVENT}/delegates/D10/evaluations/ES01", evaluation).status == 201
    return eshg


def test_the_report_lists_every_delegate_by_id_with_credits(registered):
    answer = registered.get(f"{EVENT}/report")

    assert answer.status == 200
    assert answer.body["event_id"] == "eshg2025"
    assert answer.body["next_cursor"] is None
    rows = answer.body["delegates"]
    assert [r["delegate_id"] for r in rows] == ["D1", "D1.a", "D10", "D2", "d1"]
    d10 = rows[2]
    assert (d10["name"], d10["attendance"], d10["total"]) == ("Delegate D10", "in_person", 1.5)
    assert d10["days"] == {
        "2025-05-24": 1.5,
        "2025-05-25": 0.0,
        "2025-05-26": 0.0,
        "2025-05-27": 0.0,
    }
    assert {"certificate_serial", "certificate_status"} <= d10.keys()
    assert {r["total"] for r in rows if r["delegate_id"] != "D10"} == {0.0}


def test_the_json_report_pages_with_next_cursor(registered, subtests):
    for limit in (1, 2, 4, 5):
        with subtests.test(limit=limit):
            seen: list[str] = []
            query = f"limit={limit}"
            for _ in range(10):
                page = registered.get(f"{EVENT}/report", query=query).body
                assert len(page["delegates"]) <= limit
                seen.extend(r["delegate_id"] for r in page["delegates"])
                if page["next_cursor"] is None:
                    break
                query = f"limit={limit}&cursor={page['next_cursor']}"
            assert seen == ["D1", "D1.a", "D10", "D2", "d1"]


def test_the_csv_report(registered):
    answer = registered.get(f"{EVENT}/report", headers={"Accept": "text/csv"})

    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "link" not in answer.headers
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == [
        "delegate_id",
        "name",
        "attendance",
        "total",
        "2025-05-24",
        "2025-05-25",
        "2025-05-26",
        "2025-05-27",
        "certificate_serial",
        "certificate_status",
        "live",
        "profession",  # professions and learning tests (issue 12), after what was there
        "eligible",
        "test_passed",
    ]
    assert [row[0] for row in rows[1:]] == ["D1", "D1.a", "D10", "D2", "d1"]
    assert rows[3][:8] == ["D10", "Delegate D10", "in_person", "1.5", "1.5", "0.0", "0.0", "0.0"]
    assert rows[3][-4] == "1.5"  # scanned in person: all of it live
    assert rows[3][-2:] == ["true", ""]  # covered (no professions named), no event test


def test_the_csv_report_pages_with_a_link_header(registered):
    seen: list[str] = []
    query = "limit=2"
    for _ in range(10):
        answer = registered.get(f"{EVENT}/report", query=query, headers={"Accept": "text/csv"})
        rows = list(csv.reader(io.StringIO(answer.text)))
        assert rows[0][0] == "delegate_id"  # every page has its header
        seen.extend(row[0] for row in rows[1:])
        link = answer.headers.get("link")
        if link is None:
            break
        target = re.fullmatch(r'<([^>]+)>; rel="next"', link)
        assert target is not None, link
        url = urlsplit(target.group(1))
        assert url.path == "/v1/events/eshg2025/report"
        assert parse_qs(url.query)["limit"] == ["2"]
        query = url.query
    assert seen == ["D1", "D1.a", "D10", "D2", "d1"]


def test_a_bad_cursor_or_limit_is_422(registered, expect_problem, subtests):
    for cursor in ["!!!", "%FF%FE", "Zm9vIGJhcg", "-", "x" * 201]:  # "Zm9vIGJhcg": "foo bar"
        with subtests.test(cursor=cursor):
            answer = registered.get(f"{EVENT}/report", query=f"cursor={cursor}")
            expect_problem(answer, 422, "invalid_request")
    for limit in ["0", "5001", "ten", "-1", "1.5"]:
        with subtests.test(limit=limit):
            answer = registered.get(f"{EVENT}/report", query=f"limit={limit}")
            problem = expect_problem(answer, 422, "invalid_request")
            assert [error["path"] for error in problem["errors"]] == ["query.limit"]
    assert registered.get(f"{EVENT}/report", query="limit=5000").status == 200


def test_the_report_of_an_event_without_delegates_is_empty(eshg):
    answer = eshg.get(f"{EVENT}/report")

    assert answer.body == {"event_id": "eshg2025", "delegates": [], "next_cursor": None}


# --------------------------------------------------------------------------- OpenAPI


def test_the_openapi_document_lists_the_contract_routes(client):
    answer = client.get("/openapi.json")

    assert answer.status == 200
    paths = answer.body["paths"]
    for path, method in [
        ("/events/{event_id}", "put"),
        ("/events/{event_id}", "get"),
        ("/events/{event_id}/delegates/{delegate_id}", "put"),
        ("/events/{event_id}/report", "get"),
        ("/events/{event_id}/scans", "post"),
        ("/events/{event_id}/scans/batch", "post"),
        ("/events/{event_id}/delegates/{delegate_id}/views", "post"),
        ("/events/{event_id}/delegates/{delegate_id}/cart/{session_id}", "put"),
        ("/events/{event_id}/delegates/{delegate_id}/cart/{session_id}", "delete"),
        ("/events/{event_id}/delegates/{delegate_id}/cart", "get"),
        ("/events/{event_id}/delegates/{delegate_id}/evaluations/{session_id}", "put"),
        ("/events/{event_id}/delegates/{delegate_id}/credits", "get"),
    ]:
        assert method in paths.get(path, {}), (method, path)


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name",
    [
        " ",
        "\u00a0\u00a0",  # no-break spaces
        "\u3000",  # ideographic space
        "\u200b",  # zero-width space
        "\u00ad",  # soft hyphen
        "\u0301\u0308",  # combining marks without a base
        "\u200d\u200c",  # joiners
        "\ufe0f",  # variation selector
        "\u3164",  # Hangul filler
        "\u2800",  # Braille blank
    ],
)
def test_a_name_that_leaves_no_ink_is_refused(eshg, expect_problem, name):
    answer = eshg.put(f"{EVENT}/delegates/D0001", {"name": name, "attendance": "online"})

    problem = expect_problem(answer, 422, "invalid_request")
    assert [e["path"] for e in problem["errors"]] == ["body.name"]
    assert eshg.get(f"{EVENT}/report").body["delegates"] == []


def test_a_name_no_font_prints_is_stored_with_a_warning(eshg):
    answer = eshg.put(f"{EVENT}/delegates/D0001", {"name": "Pema བཀྲ་ཤིས་", "attendance": "online"})

    assert answer.status == 201
    assert [(w["path"], w["code"]) for w in answer.body["warnings"]] == [
        ("name", "unprintable_name")
    ]
    assert "U+0F40" in answer.body["warnings"][0]["detail"]  # TIBETAN LETTER KA
    report = eshg.get(f"{EVENT}/report").body["delegates"]
    assert [r["name"] for r in report] == ["Pema བཀྲ་ཤིས་"]


@pytest.mark.parametrize("name", ["שרה לוי", "ශ්‍රියානි පෙරේරා", "Anna\u200bMaria", "\u0301Ana"])
def test_a_printable_name_has_no_warning(eshg, name):
    answer = eshg.put(f"{EVENT}/delegates/D0001", {"name": name, "attendance": "online"})

    assert (answer.status, answer.body["warnings"]) == (201, [])
