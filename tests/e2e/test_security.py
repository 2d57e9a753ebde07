"""Security over real HTTP: the API key on every operation the OpenAPI document does not
declare public, events kept apart, public verification that says no more than the
certificate, unguessable serials, presigned links that expire, and logs with ids but
never emails or evaluation answers."""

from __future__ import annotations

import json
import math
import random
import re
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cme import serials
from tests.e2e.fuzz_support import (
    LoggedServer,
    StoreStandIn,
    assert_problem,
    header,
    start_logged_server,
    stop_logged_server,
)
from tests.e2e.served import API_KEY, Http, eshg_document

pytestmark = pytest.mark.e2e

CONTRACT_PUBLIC = {("GET", "/certificates/{serial}"), ("GET", "/openapi.json")}
VERIFICATION_KEYS = {
    "serial",
    "event_id",
    "event_name",
    "delegate_name",
    "total",
    "unit",
    "issued_at",
    "status",
    "kind",  # credits, or attendance (issue 12)
}


def path_of(delegate_id: str, event: str) -> str:
    return f"/events/{event}/delegates/{delegate_id}"


def make_ready(
    http: Http,
    event: str,
    delegate_id: str,
    name: str,
    *,
    day: str = "2025-05-24",
    sessions: dict[str, str] | None = None,
    answers: dict[str, Any] | None = None,
    email: str | None = None,
) -> None:
    """Registered, scanned on `day`, the `sessions` evaluated at their times."""
    registration: dict[str, Any] = {"name": name, "attendance": "in_person"}
    if email is not None:
        registration["email"] = email
    assert http.put(path_of(delegate_id, event), registration).status in {200, 201}
    scan = {
        "scan_id": f"scan-{delegate_id}-{day}",
        "delegate_id": delegate_id,
        "station_id": "cme-desk-1",
        "scanned_at": f"{day}T08:01:00+02:00",
    }
    assert http.post(f"/events/{event}/scans", scan).status in {200, 201}
    for session, at in (sessions or {"S01": "2025-05-24T12:05:00+02:00"}).items():
        body = {"submitted_at": at, "answers": answers or {"relevance": 5}}
        reply = http.put(f"{path_of(delegate_id, event)}/evaluations/{session}", body)
        assert reply.status in {200, 201}, reply.data


# --------------------------------------------------------------------------- the API key


@pytest.fixture(scope="module")
def document(http: Http) -> dict[str, Any]:
    reply = http.get("/openapi.json", key=None)
    assert reply.status == 200
    return json.loads(reply.data)


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def is_public(document: dict[str, Any], operation: dict[str, Any]) -> bool:
    """OpenAPI: an operation's `security` replaces the document's; `[]` means none."""
    return not operation.get("security", document.get("security", []))


def test_the_document_declares_exactly_the_contracts_public_operations(
    document: dict[str, Any],
) -> None:
    assert document["components"]["securitySchemes"]["apiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
    }
    public = {(m, p) for m, p, op in operations(document) if is_public(document, op)}
    assert public == CONTRACT_PUBLIC
    keyed = [op for _, _, op in operations(document) if not is_public(document, op)]
    assert len(keyed) >= 15
    assert all("403" in op["responses"] for op in keyed)


@pytest.fixture(scope="module")
def guarded(http: Http, event: str) -> dict[str, str]:
    """Real ids for every path parameter, so that with the key each request would act."""
    make_ready(http, event, "KEY-1", "Keyed Delegate")
    serial = http.post(f"{path_of('KEY-1', event)}/certificate").body["serial"]
    return {
        "event_id": event,
        "delegate_id": "KEY-1",
        "session_id": "S03",
        "serial": serial,
        "test_id": "final",  # the route reads the key before the test (none in ESHG)
        "export_id": http.post(f"/events/{event}/report/exports").body["export_id"],
    }


def example_body(operation: dict[str, Any], ids: dict[str, str]) -> Any:
    """A body the operation would accept, by the name of its request schema."""
    if "requestBody" not in operation:
        return None
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    name = schema.get("$ref", "").rsplit("/", 1)[-1] or schema.get("title", "")
    scan = {
        "scan_id": "key-scan",
        "delegate_id": ids["delegate_id"],
        "station_id": "cme-desk-1",
        "scanned_at": "2025-05-25T08:01:00+02:00",
    }
    bodies: dict[str, Any] = {
        "ScanIn": scan,
        "ScanBatchIn": {"scans": [scan]},
        "ViewIn": {
            "view_id": "key-view",
            "session_id": "S03",
            "kind": "live",
            "watched_at": "2025-05-24T14:00:00+02:00",
        },
        "EvaluationIn": {"submitted_at": "2025-05-24T14:40:00+02:00", "answers": {"q": 1}},
        "DelegateIn": {"name": "Renamed Without Key", "attendance": "online"},
        "RevokeIn": {"reason": "revoked without a key"},
        "AttemptIn": {
            "attempt_id": "key-attempt",
            "submitted_at": "2025-05-27T18:00:00+02:00",
            "answers": {"q1": 0},
        },
        "Document": eshg_document(ids["event_id"]),
    }
    return bodies.get(name, {})


def observable_state(http: Http, event: str, ids: dict[str, str]) -> tuple[Any, ...]:
    delegate = path_of(ids["delegate_id"], event)
    return (
        http.get(f"/events/{event}").body,
        http.get(f"{delegate}/credits").body,
        http.get(f"{delegate}/cart").body,
        http.get(f"/events/{event}/report").body,
        http.get(f"{delegate}/certificate").body["serial"],
        http.get(f"/certificates/{ids['serial']}", key=None).body,
    )


WRONG_KEYS = [
    pytest.param(None, id="missing"),
    pytest.param("wrong", id="wrong"),
    pytest.param(API_KEY.upper(), id="other-case"),
    pytest.param(API_KEY[:-1], id="prefix"),
    pytest.param(API_KEY + "x", id="longer"),
    pytest.param("\u00e9" + API_KEY, id="non-ascii"),
]


@pytest.mark.parametrize("key", WRONG_KEYS)
def test_every_keyed_operation_refuses_a_missing_or_wrong_key(
    http: Http, event: str, document: dict[str, Any], guarded: dict[str, str], key: str | None
) -> None:
    before = observable_state(http, event, guarded)
    tried = []
    for method, template, operation in operations(document):
        if is_public(document, operation):
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: urllib.parse.quote(guarded[m[1]]), template)
        headers = {"x-api-key": key} if key is not None else {}
        reply = http.request(
            method, path, example_body(operation, guarded), headers=headers, key=None
        )
        assert_problem(reply, 403, "unauthorized")
        tried.append((method, template))
    assert len(tried) == len(list(operations(document))) - len(CONTRACT_PUBLIC)
    assert observable_state(http, event, guarded) == before


def test_the_key_in_another_place_is_no_key(
    http: Http, event: str, guarded: dict[str, str]
) -> None:
    credits = f"{path_of(guarded['delegate_id'], event)}/credits"
    for headers in (
        {"authorization": f"Bearer {API_KEY}"},
        {"x-api-key-2": API_KEY},
        {"api-key": API_KEY},
    ):
        assert_problem(http.get(credits, headers=headers, key=None), 403, "unauthorized")
    assert_problem(http.get(f"{credits}?x-api-key={API_KEY}", key=None), 403, "unauthorized")


def test_public_operations_need_no_key(http: Http, guarded: dict[str, str]) -> None:
    assert http.get("/openapi.json", key=None).status == 200
    assert http.get(f"/certificates/{guarded['serial']}", key=None).status == 200
    # ...and a key, right or wrong, changes nothing there
    assert http.get(f"/certificates/{guarded['serial']}", key="wrong").status == 200
    revoke = http.post(f"/certificates/{guarded['serial']}/revoke", {"reason": "x"}, key=None)
    assert_problem(revoke, 403, "unauthorized")


# --------------------------------------------------------------------------- events apart


@pytest.fixture(scope="module")
def two_events(http: Http, event: str) -> tuple[str, str]:
    """The same delegate id in two events with different facts, and neighbouring ids."""
    other = event + "-b"
    assert http.put(f"/events/{other}", eshg_document(other)).status == 201
    make_ready(http, event, "SHARED-1", "Alpha Person")
    make_ready(
        http,
        other,
        "SHARED-1",
        "Beta Person",
        day="2025-05-25",
        sessions={"S05": "2025-05-25T10:10:00+02:00", "S07": "2025-05-25T14:40:00+02:00"},
    )
    # Ids that share a prefix with SHARED-1, with facts of their own
    make_ready(
        http, event, "SHARED-10", "Gamma Person", sessions={"S03": "2025-05-24T14:40:00+02:00"}
    )
    make_ready(
        http, event, "SHARED", "Delta Person", sessions={"PL01": "2025-05-24T16:40:00+02:00"}
    )
    make_ready(http, event, "ONLY-A", "Epsilon Person")
    return event, other


def test_a_delegate_id_reads_only_its_own_events_facts(
    http: Http, two_events: tuple[str, str]
) -> None:
    a, b = two_events
    in_a = http.get(f"{path_of('SHARED-1', a)}/credits").body
    in_b = http.get(f"{path_of('SHARED-1', b)}/credits").body
    assert (in_a["event_id"], in_a["total"]) == (a, 1.5)
    assert (in_b["event_id"], in_b["total"]) == (b, 3.0)
    assert [d["credits"] for d in in_a["days"]] == [1.5, 0.0, 0.0, 0.0]
    assert [d["credits"] for d in in_b["days"]] == [0.0, 3.0, 0.0, 0.0]
    assert in_a["cart"] == [{"session_id": "S01", "status": "credited", "amount": 1.5}]
    assert {i["session_id"] for i in in_b["cart"]} == {"S05", "S07"}
    cart_a = http.get(f"{path_of('SHARED-1', a)}/cart").body["items"]
    cart_b = http.get(f"{path_of('SHARED-1', b)}/cart").body["items"]
    assert [i["session_id"] for i in cart_a] == ["S01"]
    assert [i["session_id"] for i in cart_b] == ["S05", "S07"]


def test_certificates_of_one_delegate_id_in_two_events_never_mix(
    http: Http, two_events: tuple[str, str]
) -> None:
    a, b = two_events
    issued_a = http.post(f"{path_of('SHARED-1', a)}/certificate")
    assert issued_a.status == 201
    assert_problem(http.get(f"{path_of('SHARED-1', b)}/certificate"), 404, "no_certificate")
    issued_b = http.post(f"{path_of('SHARED-1', b)}/certificate")
    assert issued_b.status == 201
    serial_a, serial_b = issued_a.body["serial"], issued_b.body["serial"]
    assert serial_a != serial_b
    public_a = http.get(f"/certificates/{serial_a}", key=None).body
    public_b = http.get(f"/certificates/{serial_b}", key=None).body
    assert (public_a["event_id"], public_a["delegate_name"], public_a["total"]) == (
        a,
        "Alpha Person",
        1.5,
    )
    assert (public_b["event_id"], public_b["delegate_name"], public_b["total"]) == (
        b,
        "Beta Person",
        3.0,
    )
    # B's certificate did not supersede A's, and revoking A's leaves B's valid
    assert public_a["status"] == "valid"
    assert http.get(f"{path_of('SHARED-1', a)}/certificate").body["serial"] == serial_a
    assert http.post(f"/certificates/{serial_a}/revoke", {"reason": "test"}).status == 200
    assert http.get(f"/certificates/{serial_b}", key=None).body["status"] == "valid"
    rows_a = {r["delegate_id"]: r for r in http.get(f"/events/{a}/report").body["delegates"]}
    rows_b = {r["delegate_id"]: r for r in http.get(f"/events/{b}/report").body["delegates"]}
    assert rows_a["SHARED-1"]["certificate_serial"] == serial_a
    assert rows_b["SHARED-1"]["certificate_serial"] == serial_b
    assert set(rows_b) == {"SHARED-1"}


def test_ids_that_share_a_prefix_keep_their_own_facts(
    http: Http, two_events: tuple[str, str]
) -> None:
    a, _ = two_events
    for delegate_id, session in (("SHARED-1", "S01"), ("SHARED-10", "S03"), ("SHARED", "PL01")):
        cart = http.get(f"{path_of(delegate_id, a)}/credits").body["cart"]
        assert [i["session_id"] for i in cart] == [session], delegate_id


def test_unknown_combinations_are_404(http: Http, two_events: tuple[str, str]) -> None:
    a, b = two_events
    only_a = path_of("ONLY-A", b)
    evaluation = {"submitted_at": "2025-05-24T12:05:00+02:00", "answers": {"q": 1}}
    view = {
        "view_id": "v-only-a",
        "session_id": "S01",
        "kind": "live",
        "watched_at": "2025-05-24T10:45:00+02:00",
    }
    scan = {
        "scan_id": "s-only-a",
        "delegate_id": "ONLY-A",
        "station_id": "cme-desk-1",
        "scanned_at": "2025-05-24T08:01:00+02:00",
    }
    for reply in (
        http.get(f"{only_a}/credits"),
        http.get(f"{only_a}/cart"),
        http.get(f"{only_a}/certificate"),
        http.post(f"{only_a}/certificate"),
        http.put(f"{only_a}/cart/S01"),
        http.delete(f"{only_a}/cart/S01"),
        http.put(f"{only_a}/evaluations/S01", evaluation),
        http.post(f"{only_a}/views", view),
        http.post(f"/events/{b}/scans", scan),
    ):
        assert_problem(reply, 404, "unknown_delegate")
    nowhere = path_of("SHARED-1", a + "-nowhere")
    for reply in (http.get(f"{nowhere}/credits"), http.post(f"{nowhere}/certificate")):
        assert_problem(reply, 404, "unknown_event")
    assert "ONLY-A" not in {
        r["delegate_id"] for r in http.get(f"/events/{b}/report").body["delegates"]
    }


# --------------------------------------------------------------------------- verification

SECRET_EMAIL = "verify.secret.7731@example.org"
SECRET_ANSWER = "VERIFY-SECRET-ANSWER-7731"
SECRET_PROFESSION = "verify-secret-profession-7731"
SECRET_DELEGATE = "VERIFY-SECRET-DELEGATE-7731"


@pytest.fixture(scope="module")
def verified(http: Http, event: str) -> dict[str, Any]:
    make_ready(
        http,
        event,
        SECRET_DELEGATE,
        "Zoë <img src=x onerror=alert(1)> Ångström",
        answers={"comment": SECRET_ANSWER, "score": 4},
        email=SECRET_EMAIL,
    )
    registration = {
        "name": "Zoë <img src=x onerror=alert(1)> Ångström",
        "attendance": "in_person",
        "email": SECRET_EMAIL,
        "profession": SECRET_PROFESSION,
    }
    assert http.put(path_of(SECRET_DELEGATE, event), registration).status == 200
    issued = http.post(f"{path_of(SECRET_DELEGATE, event)}/certificate")
    assert issued.status == 201
    return dict(issued.body)


def secrets_in(text: str) -> list[str]:
    return [
        s for s in (SECRET_EMAIL, SECRET_ANSWER, SECRET_PROFESSION, SECRET_DELEGATE) if s in text
    ]


def test_verification_json_states_the_certificate_and_nothing_more(
    http: Http, event: str, verified: dict[str, Any]
) -> None:
    serial = verified["serial"]
    for asked in (serial, serial.lower(), serial.replace("-", "")):
        reply = http.get(f"/certificates/{asked}", key=None)
        assert reply.status == 200
        body = reply.body
        assert set(body) == VERIFICATION_KEYS
        assert body == {
            "serial": serial,
            "event_id": event,
            "event_name": eshg_document(event)["event"]["name"],
            "delegate_name": "Zoë <img src=x onerror=alert(1)> Ångström",
            "total": verified["total"],
            "unit": "ECMEC",
            "issued_at": verified["issued_at"],
            "status": "valid",
            "kind": "credits",
        }
        assert secrets_in(reply.data.decode()) == []
        assert header(reply.headers, "cache-control") == "no-store"


def test_verification_page_states_the_certificate_and_nothing_more(
    http: Http, verified: dict[str, Any]
) -> None:
    serial = verified["serial"]
    reply = http.get(
        f"/certificates/{serial}",
        key=None,
        headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    assert reply.status == 200
    assert header(reply.headers, "content-type").startswith("text/html")
    assert header(reply.headers, "x-content-type-options") == "nosniff"
    page = reply.data.decode()
    assert secrets_in(page) == []
    labels = re.findall(r"<dt>(.*?)</dt>", page)
    assert labels == ["Delegate", "Event", "Kind", "Credits", "Issued", "Certificate", "Status"]
    # The name is shown, escaped: no markup of the delegate's reaches the page
    assert "<img" not in page
    assert "Zoë &lt;img src=x onerror=alert(1)&gt; Ångström" in page
    assert serial in page
    assert "<script" not in page


# --------------------------------------------------------------------------- serials


def test_serials_carry_at_least_96_random_bits() -> None:
    assert len(set(serials.ALPHABET)) == len(serials.ALPHABET) == 32
    assert serials.LENGTH * math.log2(len(serials.ALPHABET)) >= 96
    assert 96 <= serials.BITS <= serials.LENGTH * math.log2(len(serials.ALPHABET))
    sample = [serials.new_serial() for _ in range(2000)]
    assert len(set(sample)) == len(sample)
    assert {len(s) for s in sample} == {serials.LENGTH}
    used = Counter("".join(sample))
    assert set(used) == set(serials.ALPHABET)
    # 40,000 symbols: each of the 32 is expected 1,250 times; a skewed source shows
    assert min(used.values()) > 1000
    assert max(used.values()) < 1500


def test_serials_do_not_come_from_a_seedable_generator() -> None:
    random.seed(1234)
    first = serials.new_serial()
    random.seed(1234)
    assert serials.new_serial() != first


def test_issued_serials_are_in_the_documented_form(verified: dict[str, Any]) -> None:
    serial = verified["serial"]
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]{4}", serial)
    assert serials.canonical(serial.lower()) == serial.replace("-", "")


# --------------------------------------------------------------------------- links

LINK_LIFETIME = 600
LINK_EVENT = "eshg-links"


@pytest.fixture(scope="module")
def short_links() -> Iterator[Http]:
    """A server whose link lifetime is not the default one."""
    server = start_logged_server(env={"CME_URL_TTL_SECONDS": str(LINK_LIFETIME)}, workers=2)
    try:
        assert server.http.put(f"/events/{LINK_EVENT}", eshg_document(LINK_EVENT)).status == 201
        yield server.http
    finally:
        stop_logged_server(server)


def amz(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).items()}


def utc(text: str, form: str = "%Y-%m-%dT%H:%M:%SZ") -> datetime:
    return datetime.strptime(text, form).replace(tzinfo=UTC)


def test_presigned_links_carry_the_lifetime_setting(short_links: Http) -> None:
    http = short_links
    make_ready(http, LINK_EVENT, "LINK-1", "Link Person")
    issued = http.post(f"{path_of('LINK-1', LINK_EVENT)}/certificate")
    assert issued.status == 201
    certificate = issued.body
    query = amz(certificate["url"])
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Expires"] == str(LINK_LIFETIME)
    assert query["X-Amz-Signature"]
    signed_at = utc(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    issued_at, expires_at = utc(certificate["issued_at"]), utc(certificate["url_expires_at"])
    lifetime = timedelta(seconds=LINK_LIFETIME)
    assert expires_at == issued_at + lifetime
    # signed while answering: the link dies no earlier than stated, and within seconds of it
    assert issued_at <= signed_at <= issued_at + timedelta(seconds=10)
    assert expires_at <= signed_at + lifetime <= expires_at + timedelta(seconds=10)
    with urllib.request.urlopen(certificate["url"], timeout=30) as response:
        assert response.read(4) == b"%PDF"

    # Asked again later: a fresh link with the same lifetime from now
    again = http.get(f"{path_of('LINK-1', LINK_EVENT)}/certificate").body
    query = amz(again["url"])
    assert query["X-Amz-Expires"] == str(LINK_LIFETIME)
    signed_at = utc(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    assert abs(utc(again["url_expires_at"]) - (signed_at + lifetime)) <= timedelta(seconds=2)
    assert abs(signed_at - datetime.now(UTC)) <= timedelta(seconds=60)


# --------------------------------------------------------------------------- logs

LOG_EVENT = "eshg-observed"
LOG_DELEGATE = "LOG-DELEGATE-4242"
LOG_EMAIL = "never.log.me.4242@example.org"
LOG_ANSWERS: dict[str, str | int] = {"comment": "NEVER-LOG-THIS-ANSWER-4242", "score": 97531}


@pytest.fixture
def observed() -> Iterator[tuple[LoggedServer, StoreStandIn]]:
    """A server with DEBUG logs kept and its data in a stand-in the test can stop (so that
    the service has something to log: at DEBUG it logs nothing while all goes well)."""
    store = StoreStandIn()
    server = start_logged_server(
        env={"POWERTOOLS_LOG_LEVEL": "DEBUG", "LOG_LEVEL": "DEBUG"},
        endpoint_url=store.url,
        workers=2,
    )
    try:
        assert server.http.put(f"/events/{LOG_EVENT}", eshg_document(LOG_EVENT)).status == 201
        yield server, store
    finally:
        stop_logged_server(server)
        store.stop()


def test_logs_carry_ids_but_never_emails_or_answers(
    observed: tuple[LoggedServer, StoreStandIn],
) -> None:
    server, store = observed
    http = server.http
    delegate = path_of(LOG_DELEGATE, LOG_EVENT)
    registration = {"name": "Logged Person", "attendance": "online", "email": LOG_EMAIL}
    evaluation = {"submitted_at": "2025-05-24T14:40:00+02:00", "answers": LOG_ANSWERS}
    other_answers = {"submitted_at": "2025-05-24T14:40:00+02:00", "answers": {"comment": "x"}}
    # A delegate's whole life, with its refusals
    assert http.put(delegate, registration).status == 201
    assert http.put(delegate, {**registration, "profession": "physician"}).status == 200
    assert http.put(f"{delegate}/evaluations/S03", evaluation).status == 201
    assert http.put(f"{delegate}/evaluations/S03", evaluation).status == 200
    assert http.put(f"{delegate}/evaluations/S03", other_answers).code == "already_evaluated"
    assert http.put(f"{delegate}/evaluations/NOPE", evaluation).code == "unknown_session"
    bad_email = {**registration, "email": LOG_EMAIL + " not an email"}
    assert http.put(delegate, bad_email).code == "invalid_request"
    for path in ("/credits", "/cart", "/certificate"):
        http.get(delegate + path)
    http.post(delegate + "/certificate")
    http.get(f"/events/{LOG_EVENT}/report", headers={"accept": "text/csv"})
    # The store goes away: the service logs, with the request's ids, while refusing
    store.stop()
    assert_problem(http.put(f"{delegate}/evaluations/S01", evaluation), 503, "throttled")
    assert_problem(http.put(delegate, registration), 503, "throttled")

    output = server.output()
    assert LOG_EMAIL not in output
    assert LOG_EMAIL.split("@", maxsplit=1)[0] not in output
    assert str(LOG_ANSWERS["comment"]) not in output
    assert str(LOG_ANSWERS["score"]) not in output
    records = list(server.log_records())
    assert records, "the service logged nothing"
    assert any(
        r.get("event_id") == LOG_EVENT and r.get("delegate_id") == LOG_DELEGATE for r in records
    ), records[:3]
    assert all("email" not in r and "answers" not in r for r in records)
