"""Schemathesis against a running `cme serve`, from the service's own /v1/openapi.json.

Both keys speak (CONTRACT.md, "Roles"): a share of the requests of each operation carries
the platform's key instead of the organiser's (`fuzz_support.KeysByRole`); on an organiser
operation it must be refused 403 `forbidden`, on a platform one it must be answered as the
organiser's would be, and never `forbidden`.

A loaded ESHG-shaped programme, registered delegates with facts and an issued certificate
are in place first, and a share of the generated requests use their real ids (schemathesis
dictionaries bound to the path and body parameters), so requests get past the 404s and
reach the rules. Every response must: not be a 5xx; have a documented status, media type
and body schema; and, when it is an error, be a problem+json with a contract code.

`FUZZ_EXAMPLES` (default 800, which keeps `make test` within its time) is the fuzzing
budget, spread over the operations that take input; the run must send at least that many
requests (the coverage phase adds its own, about 1,600).
The seed is fixed (`FUZZ_SEED` changes it) and generation never depends on the answers, so
every run sends the same requests; `FUZZ_WORKERS` (default 4) run operations side by side.
`make fuzz` runs it with FUZZ_EXAMPLES=20000 (about 13 minutes on 2 cores).
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events

from cme_tools.client import resource
from tests.e2e.fuzz_support import (
    LoggedServer,
    header,
    key_faults,
    keys_by_role,
    problem_faults,
    roles,
    start_logged_server,
    stop_logged_server,
)
from tests.e2e.served import API_KEY, PLATFORM_KEY, Http, eshg_document

pytestmark = pytest.mark.e2e
log = logging.getLogger(__name__)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "800"))
SEED = int(os.environ.get("FUZZ_SEED", "20250524"))
WORKERS = int(os.environ.get("FUZZ_WORKERS", "4"))
EVENT = "eshg-fuzz"
DELEGATES = ("F-READY", "F-ONLINE", "F-NEW")

# Instants around the congress (Europe/Rome), so that generated facts meet the rules:
# conference days, slot times, the on-demand window, the claim deadline, the far future.
INSTANTS = (
    "2025-05-23T23:59:59+02:00",
    "2025-05-24T00:30:00+02:00",
    "2025-05-24T08:01:00+02:00",
    "2025-05-24T09:00:00+02:00",
    "2025-05-24T12:05:00+02:00",
    "2025-05-25T14:40:00+02:00",
    "2025-05-26T09:00:00Z",
    "2025-05-27T23:30:00+02:00",
    "2025-06-10T19:30:00+02:00",
    "2025-11-30T23:59:59+01:00",
    "2025-12-01T00:00:00+01:00",
    "2099-01-01T00:00:00Z",
)


# --------------------------------------------------------------------------- the service


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[LoggedServer]:
    """A server of this module's own: the fuzzer's load and whatever it makes the service
    log stay away from the shared one."""
    server = start_logged_server(env={"CME_PLATFORM_KEY": PLATFORM_KEY})
    try:
        yield server
    finally:
        stop_logged_server(server)


@dataclass(frozen=True)
class Targets:
    event_id: str
    delegates: tuple[str, ...]
    sessions: tuple[str, ...]
    serial: str


def _ok(reply: Any, *statuses: int) -> Any:
    assert reply.status in statuses, (reply.status, reply.data[:300])
    return reply.body


@pytest.fixture(scope="module")
def targets(fuzz_server: LoggedServer) -> Targets:
    """The programme, three delegates (one with a certificate) and their facts."""
    http = fuzz_server.http
    document = eshg_document(EVENT)
    _ok(http.put(f"/events/{EVENT}", document), 201)
    base = f"/events/{EVENT}/delegates"
    _ok(http.put(f"{base}/F-READY", {"name": "Ана Јовановић", "attendance": "in_person"}), 201)
    _ok(http.put(f"{base}/F-ONLINE", {"name": "Kim Ngọc", "attendance": "online"}), 201)
    _ok(http.put(f"{base}/F-NEW", {"name": "Nobody Yet", "attendance": "online"}), 201)
    scan = {
        "scan_id": "fz-seed-scan",
        "delegate_id": "F-READY",
        "station_id": "cme-desk-1",
        "scanned_at": "2025-05-24T08:01:00+02:00",
    }
    _ok(http.post(f"/events/{EVENT}/scans", scan), 201)
    for session, at in [("S01", "2025-05-24T12:05:00+02:00"), ("S03", "2025-05-24T14:40:00+02:00")]:
        evaluation = {"submitted_at": at, "answers": {"relevance": 5}}
        _ok(http.put(f"{base}/F-READY/evaluations/{session}", evaluation), 201)
    view = {
        "view_id": "fz-seed-view",
        "session_id": "PL03",
        "kind": "on_demand",
        "watched_at": "2025-06-10T19:30:00+02:00",
    }
    _ok(http.post(f"{base}/F-ONLINE/views", view), 201)
    _ok(http.put(f"{base}/F-ONLINE/cart/PL03"), 201)
    serial = _ok(http.post(f"{base}/F-READY/certificate"), 201)["serial"]
    return Targets(EVENT, DELEGATES, tuple(s["id"] for s in document["sessions"]), serial)


# --------------------------------------------------------------------------- schemathesis


@schemathesis.check
def problem_with_contract_code(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every error is application/problem+json with a code from the contract's table."""
    if response.status_code < 400:
        return None
    headers = {k: ", ".join(v) for k, v in response.headers.items()}
    faults = problem_faults(response.status_code, headers, response.content or b"")
    if faults:
        raise AssertionError("not the contract's problem document: " + "; ".join(faults))
    return None


ROLES: dict[str, str] = {}
"""Each operation's role, from the served document (set by `run_fuzz`)."""


@schemathesis.check
def answered_for_its_key(ctx: Any, response: Any, case: Any) -> bool | None:
    """The platform's key: 403 forbidden on an organiser operation, never on another."""
    sent = header(dict(response.request.headers), "x-api-key")  # a PreparedRequest's: str
    if case.method.upper() != case.operation.method.upper():
        return None  # another method on the path (coverage): the route is not this one
    code = _code(response.content) if response.status_code >= 400 else None
    faults = key_faults(ROLES.get(case.operation.label, ""), sent, response.status_code, code)
    if faults:
        raise AssertionError("; ".join(faults))
    return None


def fuzz_config(base_url: str, targets: Targets, operations: int) -> SchemathesisConfig:
    def bound(dictionary: str, probability: float) -> dict[str, Any]:
        return {"dictionary": dictionary, "probability": probability}

    serial = targets.serial
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "base-url": base_url,
            "auth": {"openapi": {"apiKey": {"api_key": API_KEY}}},
            "workers": WORKERS,
            "continue-on-failure": True,
            "dictionaries": {
                "events": {"values": [targets.event_id]},
                "delegates": {"values": list(targets.delegates)},
                "sessions": {"values": list(targets.sessions)},
                "serials": {"values": [serial, serial.lower(), serial.replace("-", "")]},
                "instants": {"values": list(INSTANTS)},
                "fact_ids": {"values": ["fz-1", "fz-2", "fz-3"]},
            },
            "parameters": {
                "path.event_id": bound("events", 0.9),
                "path.delegate_id": bound("delegates", 0.7),
                "path.session_id": bound("sessions", 0.7),
                "path.serial": bound("serials", 0.5),
                "body.delegate_id": bound("delegates", 0.7),
                "body.session_id": bound("sessions", 0.7),
                "body.scanned_at": bound("instants", 0.7),
                "body.watched_at": bound("instants", 0.7),
                "body.submitted_at": bound("instants", 0.7),
                "body.scan_id": bound("fact_ids", 0.5),
                "body.view_id": bound("fact_ids", 0.5),
            },
            "generation": {
                "max-examples": max(1, math.ceil(EXAMPLES / operations)),
                "database": "none",
                "no-shrink": True,
                "deterministic": True,
            },
            "phases": {
                "stateful": {"enabled": False},
                # Generation must not depend on the answers (nor on their order across
                # workers): the same requests on every run.
                "fuzzing": {
                    "extra-data-sources": {"responses": False},
                    "error-feedback": {"enabled": False},
                },
                # TRACE is left out: cme serve answers it 501 (test_hostile.py, a known bug).
                "coverage": {
                    "unexpected-methods": ["GET", "PUT", "POST", "DELETE", "OPTIONS", "PATCH"],
                    "extra-data-sources": {"responses": False},
                },
            },
            "checks": {
                # A schema-valid request may still break a rule (422 not_a_conference_day,
                # invalid_programme, ...): refusals are judged by problem_with_contract_code.
                "positive_data_acceptance": {"enabled": False},
                "response_schema_conformance": {"validate-formats": True},
            },
        }
    )


@dataclass
class Finding:
    operation: str
    check: str
    message: str
    request: str
    status: int | None
    content_type: str
    body: str
    with_key: bool

    def __str__(self) -> str:
        return (
            f"{self.operation} [{self.check}] {' / '.join(self.message.splitlines()[:4])}\n"
            f"  {self.request}\n  -> {self.status} {self.content_type} {self.body}"
        )


@dataclass
class FuzzRun:
    requests: int = 0
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    operations: Counter[str] = field(default_factory=Counter)
    keys: Counter[str] = field(default_factory=Counter)
    """Requests by the key they carried: organiser, platform, or none."""
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    gaps: dict[tuple[str, str, str], str] = field(default_factory=dict)
    """Schema-valid requests refused as not fitting the schema: (operation, field, error
    code) -> one request. The document admits what the service does not: a gap to report,
    not a failure (a rule may refuse a schema-valid request too, but never this way)."""


def _finding(label: str, check: str, message: str, interaction: Any) -> Finding:
    request, response = interaction.request, interaction.response
    sent = f"{request.method} {request.uri} {(request.body or b'')[:200]!r}"
    with_key = bool(header({k: ", ".join(v) for k, v in request.headers.items()}, "x-api-key"))
    if response is None:
        return Finding(label, check, message, sent, None, "", "", with_key)
    headers = {k: ", ".join(v) for k, v in response.headers.items()}
    return Finding(
        label,
        check,
        message,
        sent,
        response.status_code,
        header(headers, "content-type"),
        (response.content or b"")[:300].decode("utf-8", "replace"),
        with_key,
    )


def run_fuzz(base_url: str, targets: Targets) -> FuzzRun:
    document = json.loads(Http(base_url).get("/openapi.json", key=None).data)
    # Hypothesis runs out of inputs at once for an operation that takes none (GET
    # /openapi.json): the budget goes to the operations with parameters or a body.
    operations = sum(
        1
        for methods in document["paths"].values()
        for operation in methods.values()
        if operation.get("parameters") or operation.get("requestBody")
    )
    schema = schemathesis.openapi.from_dict(
        document, config=fuzz_config(base_url, targets, operations)
    )
    ROLES.update(roles(document))
    schema.auth(refresh_interval=None)(keys_by_role(document))
    run = FuzzRun()
    started = time.monotonic()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            take(run, event.recorder)
        elif isinstance(event, events.NonFatalError):
            run.errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            run.errors.append(f"fatal: {event.exception!r}")
    run.seconds = time.monotonic() - started
    return run


def take(run: FuzzRun, recorder: Any) -> None:
    """Count one scenario's requests and answers, and keep its findings and gaps."""
    label = recorder.label
    for case_id, interaction in recorder.interactions.items():
        run.requests += 1
        run.operations[label] += 1
        sent = {k: ", ".join(v) for k, v in interaction.request.headers.items()}
        run.keys[_key_name(header(sent, "x-api-key"))] += 1
        response = interaction.response
        if response is None:
            continue
        run.statuses[response.status_code] += 1
        if response.status_code >= 400:
            run.codes[_code(response.content)] += 1
        node = recorder.cases.get(case_id)
        if node is not None and _all_positive(node.value):
            _note_gaps(run, label, interaction)
    for case_id, checks in recorder.checks.items():
        interaction = recorder.interactions.get(case_id)
        for check in checks:
            if check.failure_info is not None and interaction is not None:
                if _judged_scan_by_scan(label, check.name, interaction):
                    continue
                message = str(check.failure_info.failure)
                run.findings.append(_finding(label, check.name, message, interaction))


def _key_name(key: str) -> str:
    return {API_KEY: "organiser", PLATFORM_KEY: "platform", "": "none"}.get(key, "other")


BATCH = "POST /events/{event_id}/scans/batch"


def _judged_scan_by_scan(label: str, check: str, interaction: Any) -> bool:
    """A batch whose scans break the schema is not refused whole: the document types its
    items as scans, yet the contract judges each on its own and answers a malformed one
    422 in its result. That is the contract, not a failure of negative_data_rejection."""
    if label != BATCH or check != "negative_data_rejection":
        return False
    response = interaction.response
    try:
        results = json.loads(response.content or b"")["results"]
    except (ValueError, KeyError, TypeError):
        return False
    return response.status_code == 200 and any(r.get("status") == 422 for r in results)


def _code(content: bytes | None) -> str:
    try:
        problem = json.loads(content or b"")
    except ValueError:
        return "<not JSON>"
    return str(problem.get("code")) if isinstance(problem, dict) else "<not an object>"


def _all_positive(case: Any) -> bool:
    meta = case.meta
    return meta is not None and all(not c.mode.is_negative for c in meta.components.values())


def _note_gaps(run: FuzzRun, label: str, interaction: Any) -> None:
    response = interaction.response
    if response.status_code != 422 or _code(response.content) != "invalid_request":
        return
    request = interaction.request
    sent = f"{request.method} {request.uri} {(request.body or b'')[:300]!r}"
    for error in json.loads(response.content).get("errors") or [{}]:
        if error.get("code") == "in_future":
            continue  # the contract's rule: more than the skew ahead is invalid_request
        key = (label, str(error.get("path", "?")), str(error.get("code", "?")))
        run.gaps.setdefault(key, sent)


# --------------------------------------------------------------------------- known bugs


def by_contract(finding: Finding) -> bool:
    """Findings where the contract asks for what schemathesis does not expect."""
    # Another method on a public path, without a key: the key is needed for anything but
    # the public GET, and "403 first" (CONTRACT.md, Conventions) comes before 405.
    return (
        finding.check == "unsupported_method"
        and finding.status == 403
        and not finding.with_key
        and '"unauthorized"' in finding.body
    )


# --------------------------------------------------------------------------- the test


def test_generated_requests_are_answered_by_the_contract(
    fuzz_server: LoggedServer, targets: Targets, record_property: Any
) -> None:
    run = run_fuzz(fuzz_server.base_url, targets)
    unexpected = [f for f in run.findings if not by_contract(f)]

    summary = (
        f"{run.requests} requests in {run.seconds:.0f}s; keys {dict(run.keys)}; "
        f"statuses {dict(sorted(run.statuses.items()))}; "
        f"codes {dict(run.codes.most_common())}"
    )
    log.info("fuzz: %s", summary)
    for (operation, where, code), sent in sorted(run.gaps.items()):
        log.info("schema admits, service refuses: %s %s %s: %s", operation, where, code, sent)
    record_property("fuzz", summary)
    record_property("schema_gaps", sorted(run.gaps))
    assert not run.errors, "\n".join(run.errors[:20])
    assert not unexpected, f"{len(unexpected)} findings:\n" + "\n".join(
        str(f) for f in unexpected[:25]
    )
    assert fuzz_server.alive()
    assert run.requests >= EXAMPLES, summary
    assert [status for status in run.statuses if status >= 500] == [], summary
    # The real ids made requests reach the rules, not only the 404s and the schema (the
    # platform's key refused on organiser operations reaches no rule, by design).
    reached = run.statuses[200] + run.statuses[201] + run.statuses[204] + run.statuses[409]
    assert reached >= (run.requests - run.codes["forbidden"]) // 10, summary
    rules = {"not_a_conference_day", "already_evaluated", "id_reused", "evaluation_not_open"}
    assert rules & set(run.codes), summary
    # Both keys spoke, and the platform's was refused where it must be
    assert run.keys["platform"] >= run.requests // 5, summary
    assert run.codes["forbidden"] > 0, summary


def test_no_content_answer_has_no_problem_content_type(
    fuzz_server: LoggedServer, targets: Targets
) -> None:
    reply = fuzz_server.http.delete(f"/events/{EVENT}/delegates/F-NEW/cart/S02")
    assert reply.status == 204
    assert reply.data == b""
    assert not header(reply.headers, "content-type").startswith("application/problem+json")


def test_a_percent_encoded_id_names_the_same_resource(
    fuzz_server: LoggedServer, targets: Targets
) -> None:
    http = fuzz_server.http
    registration = {"name": "Colon Person", "attendance": "online"}
    assert http.put(f"/events/{EVENT}/delegates/eshg:F-1", registration).status == 201
    plain = http.get(f"/events/{EVENT}/delegates/eshg:F-1/credits")
    assert plain.status == 200
    # The organiser CLI's client encodes each segment whole: ':' becomes %3A
    encoded = http.get("/" + resource("events", EVENT, "delegates", "eshg:F-1", "credits"))
    assert (encoded.status, encoded.body) == (200, plain.body)
    letters = http.get("/events/%65shg-fuzz/delegates/eshg:F%2D1/credits")
    assert (letters.status, letters.body) == (200, plain.body)
