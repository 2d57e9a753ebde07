"""Support for the fuzz, hostile-input, race and security suites.

- `start_logged_server`: a `cme serve` of the suite's own whose output is drained into
  memory. The shared `server` fixture reads its stdout only up to the start line, and the
  workers log to stdout: a suite that makes the service log (errors, a fuzzer shrinking a
  500) must not fill that pipe, and wants the lines for its report or its assertions.
- `StoreStandIn`: the AWS stand-in (the embedded, serialised moto of `cme serve`) run in the
  test process, so that a race can be judged from the table itself as well as over HTTP.
- The contract's error shape: every refusal is an `application/problem+json` document with
  a `code` from the contract's table and never a stack trace.
- `KeysByRole`: which of the two keys (CONTRACT.md, "Roles") each generated request
  carries, so that one fuzz run speaks as the organiser and as the platform.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.contract import CONTRACT_CODES
from tests.e2e.served import API_KEY, PLATFORM_KEY, ROOT, Http, Reply, Served, free_port

PROBLEM_JSON = "application/problem+json"

"""The error codes of the contract's table (CONTRACT.md, "Error codes")."""

STACK_TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/', "site-packages", ".py, line")


def header(headers: Mapping[str, str], name: str) -> str:
    """A header's value whatever the case of its name ('' when absent)."""
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), "")


def problem_faults(status: int, headers: Mapping[str, str], data: bytes) -> list[str]:
    """What is wrong with an error answer by the contract's conventions (empty: nothing)."""
    faults: list[str] = []
    text = data.decode("utf-8", "replace")
    if any(marker in text for marker in STACK_TRACE_MARKERS):
        faults.append("the body shows a stack trace")
    media_type = header(headers, "content-type").split(";")[0].strip().lower()
    if media_type != PROBLEM_JSON:
        faults.append(f"Content-Type is {media_type!r}, not {PROBLEM_JSON}")
    try:
        body = json.loads(data)
    except ValueError:
        return [*faults, "the body is not JSON"]
    if not isinstance(body, dict):
        return [*faults, "the body is not a JSON object"]
    if body.get("status") != status:
        faults.append(f"body status {body.get('status')!r} is not the HTTP status {status}")
    if not isinstance(body.get("title"), str) or not isinstance(body.get("detail"), str):
        faults.append("title or detail is missing")
    if body.get("code") not in CONTRACT_CODES:
        faults.append(f"code {body.get('code')!r} is not one of the contract's codes")
    return faults


def assert_problem(reply: Reply, status: int, code: str) -> None:
    """The reply is the contract's problem document with this status and code."""
    assert reply.status == status, (reply.status, reply.data[:300])
    assert problem_faults(reply.status, reply.headers, reply.data) == [], reply.data[:300]
    assert reply.code == code, reply.data[:300]


# --------------------------------------------------------------------------- servers


@dataclass
class LoggedServer:
    """A `cme serve` whose stdout and stderr (the workers' JSON logs) are kept in `lines`."""

    served: Served
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    @property
    def http(self) -> Http:
        return self.served.http

    @property
    def base_url(self) -> str:
        return self.served.base_url

    def output(self) -> str:
        return "".join(list(self.lines))

    def log_records(self) -> Iterator[dict[str, Any]]:
        """The JSON log records among the output lines."""
        for line in list(self.lines):
            if line.startswith("{"):
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    yield record

    def alive(self) -> bool:
        return self.served.process.poll() is None


def start_logged_server(
    *, env: Mapping[str, str] | None = None, workers: int = 4, endpoint_url: str | None = None
) -> LoggedServer:
    """Start `cme serve` on a free port with `env` added (and AWS at `endpoint_url`, else
    its embedded stand-in), draining its output into memory from the first line on."""
    port = free_port()
    environment = {**os.environ, "CME_API_KEY": API_KEY, **(env or {})}
    environment.pop("AWS_ENDPOINT_URL", None)
    if endpoint_url is not None:
        environment["AWS_ENDPOINT_URL"] = endpoint_url
    cme = Path(sys.executable).with_name("cme")
    process = subprocess.Popen(
        [str(cme), "serve", "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=environment,
        cwd=ROOT,
    )
    lines: list[str] = []
    started = threading.Event()

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("cme serve: "):
                started.set()
        started.set()

    reader = threading.Thread(target=drain, name=f"cme-serve-{port}", daemon=True)
    reader.start()
    if not started.wait(timeout=90) or not any(x.startswith("cme serve: ") for x in lines):
        process.kill()
        raise RuntimeError("cme serve did not start:\n" + "".join(lines[-40:]))
    base_url = next(x for x in lines if x.startswith("cme serve: ")).split()[2]
    served = Served(base_url, process, Http(base_url))
    return LoggedServer(served, lines, reader)


def stop_logged_server(server: LoggedServer) -> int:
    process = server.served.process
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        if server.reader is not None:
            server.reader.join(timeout=5)


class StoreStandIn:
    """The embedded, serialised moto of `cme serve`, run in the test process, with a
    reader of the table; `cme serve` uses it through `AWS_ENDPOINT_URL`."""

    def __init__(self, table_name: str = "cme-credits", region: str = "eu-west-1") -> None:
        from cme_tools.local.server import EmbeddedMoto

        self.moto = EmbeddedMoto().start()
        self.table_name = table_name
        self.region = region

    @property
    def url(self) -> str:
        return self.moto.url

    def stop(self) -> None:
        self.moto.stop()

    def items(self, event_id: str, prefix: str = "") -> list[dict[str, Any]]:
        """Every item of the event's partition whose sort key starts with `prefix`."""
        import boto3
        from boto3.dynamodb.conditions import Key

        table = boto3.resource(
            "dynamodb",
            region_name=self.region,
            endpoint_url=self.url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        ).Table(self.table_name)
        condition = Key("pk").eq(f"EVENT#{event_id}")
        if prefix:
            condition = condition & Key("sk").begins_with(prefix)
        found: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"KeyConditionExpression": condition, "ConsistentRead": True}
        while True:
            page = table.query(**kwargs)
            found.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def wait_until(condition: Any, timeout: float = 10.0, every: float = 0.1) -> bool:
    """Poll `condition()` until it is true or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return bool(condition())


# --------------------------------------------------------------------------- two keys


def roles(document: Mapping[str, Any]) -> dict[str, str]:
    """Each operation's role as the OpenAPI document states it (`x-cme-role`: organiser,
    platform or public), by schemathesis's label (`GET /events/{event_id}/report`)."""
    return {
        f"{method.upper()} {path}": str(operation.get("x-cme-role", "organiser"))
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


class KeysByRole:
    """A schemathesis auth provider: the key each generated request carries.

    One request in `ORGANISER_SHARE` of an organiser operation goes with the platform's
    key (it must be refused 403 `forbidden`, before its body is read); one in
    `PLATFORM_SHARE` of a platform operation goes with the platform's key (it must be
    answered as the organiser's would be: the same checks judge it). The rest carry the
    organiser's key. No request is added: the fuzz run keeps its wall time. The choice
    hangs on the request's content only (a digest, not Python's salted hash), so every
    run sends the same requests with the same keys. Schemathesis makes the provider
    itself: `keys_by_role` gives it the document's roles."""

    ORGANISER_SHARE = 4
    PLATFORM_SHARE = 2
    roles: Mapping[str, str] = {}

    def get(self, case: Any, context: Any) -> str:
        share = {"organiser": self.ORGANISER_SHARE, "platform": self.PLATFORM_SHARE}
        every = share.get(self.roles.get(case.operation.label, ""), 0)
        return PLATFORM_KEY if every and _digest(case) % every == 0 else API_KEY

    def set(self, case: Any, key: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "x-api-key": key}


def keys_by_role(document: Mapping[str, Any]) -> type[KeysByRole]:
    return type("KeysOfTheseRoles", (KeysByRole,), {"roles": roles(document)})


def _digest(case: Any) -> int:
    content = repr(
        (case.method, case.path_parameters, case.query, getattr(case, "body", None))
    ).encode()
    return int.from_bytes(hashlib.sha256(content).digest()[:8], "big")


def key_faults(role: str, key: str, status: int, code: str | None) -> list[str]:
    """What is wrong with an answer for the key it was sent with (empty: nothing): the
    platform's key on an organiser operation is 403 forbidden whatever else is wrong with
    the request, once a route is found; on any other operation it is never forbidden."""
    if key != PLATFORM_KEY or (status, code) == (404, "not_found"):
        return []  # the gateway's: no route for the path (a segment it cannot route)
    if role == "organiser" and (status, code) != (403, "forbidden"):
        return [f"the platform's key on an organiser operation got {status} {code}"]
    if role != "organiser" and code == "forbidden":
        return ["the platform's key was refused on an operation the platform may call"]
    return []
