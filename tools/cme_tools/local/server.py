"""`cme serve`: the real Lambda handlers behind a local HTTP server, as API Gateway runs them.

- Each request becomes an API Gateway REST proxy event (stage `v1` stripped from the
  path) and is answered by the function that owns the route, as in the template.
- Handlers run as Lambda runs them: one request at a time per worker, in several worker
  processes. powertools' resolver keeps the current event in module state, so threads
  would mix requests.
- `x-api-key` is enforced like API Gateway (403 `unauthorized`), except on the public
  verification and OpenAPI routes; an unknown path is 404 whatever the key.
- AWS is an embedded `moto.server` on a free port (or `AWS_ENDPOINT_URL`), with the table
  and bucket created from infra/template.yaml. moto is not atomic under concurrent
  requests (two winners of one conditional put, now and then), so the embedded one
  handles one request at a time: DynamoDB serialises writes per item, and the race tests
  stay honest. Its transactions are rolled back by a journal of the items they touched
  (`moto_journal`), not a copy of the table each: a fact costs milliseconds at any size.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cme_tools.local.checkout import Checkout
from cme_tools.local.events import ORGANISER_KEY_ID, PLATFORM_KEY_ID
from cme_tools.local.functions import Functions, problem_body

STAGE = "/v1"
PUBLIC = (re.compile(r"^/certificates/[^/]+$"), re.compile(r"^/openapi\.json$"))
"""Paths that need no key, whatever the method: GET is the public route, another method
is answered 405 by the function (as the template's ANY events without a key)."""
MAX_GATEWAY_BODY = 10 * 1024 * 1024
"""API Gateway's own payload limit; the functions refuse more than 1 MB themselves."""
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
}


@dataclass(frozen=True, slots=True)
class ServeConfig:
    host: str = "127.0.0.1"
    port: int = 3000
    api_key: str = "local-dev-key"
    """The organiser's key (CME_API_KEY)."""
    platform_key: str | None = None
    """The platform's key (CME_PLATFORM_KEY); None: only the organiser's key is accepted."""
    workers: int = 4
    endpoint_url: str | None = None
    region: str = "eu-west-1"
    table_name: str = "cme-credits"
    bucket_name: str = "cme-certificates"


# --------------------------------------------------------------------------- moto


class SerialisedApp:
    """A WSGI app that handles one request at a time (and reads the whole answer inside
    the lock, so a streamed body cannot interleave with another request)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
                _forget_dynamodb_instances()


def _forget_dynamodb_instances() -> None:
    """moto records every model instance it creates (for its dashboard), and its
    TransactWriteItems deep-copies the whole table each time: without this, a local stack
    keeps every copy and grows by a table per write. Only the records go; data stays."""
    from moto.core.model_instances import model_data

    for model in model_data.get("dynamodb", {}).values():
        model.instances_tracked = []  # type: ignore[attr-defined]


class EmbeddedMoto:
    """moto.server in a thread of this process, on a free port of 127.0.0.1."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        from cme_tools.local import moto_journal, moto_query, moto_s3

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per AWS call
        # A transaction costs what it touches, not a copy of the table (moto_journal); a
        # Query what it reads, not a sort of the table (moto_query); a missing object's
        # tags answer NoSuchKey (moto_s3).
        moto_journal.install()
        moto_query.install()
        moto_s3.install()
        app = SerialisedApp(DomainDispatcherApplication(create_backend_app))
        self.server = make_server(host, 0, app, threaded=True, request_handler=MotoRequestHandler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="moto", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> EmbeddedMoto:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


def prepare_resources(config: ServeConfig, endpoint_url: str, checkout: Checkout) -> None:
    """Create the template's table and bucket at the endpoint (if missing)."""
    from cme_tools.local.resources import create_resources_at

    create_resources_at(
        checkout.template,
        table_name=config.table_name,
        bucket_name=config.bucket_name,
        region=config.region,
        endpoint_url=endpoint_url,
        credentials=_credentials(),
    )


def _credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": os.environ.get(
            "AWS_ACCESS_KEY_ID", FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]
        ),
        "aws_secret_access_key": os.environ.get(
            "AWS_SECRET_ACCESS_KEY", FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
        ),
    }


# --------------------------------------------------------------------------- workers

_worker: dict[str, Functions] = {}
"""In a worker process: its functions."""


def _worker_init(environment: dict[str, str], root: str) -> None:
    """Each worker is one "Lambda container": the environment of the template's functions,
    every function module imported once."""
    os.environ.update(environment)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    _worker["functions"] = Functions(Checkout(Path(root)))
    _worker["functions"].run_tasks_in_background()


def _worker_functions() -> Functions:
    return _worker["functions"]


def invoke(
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes | None,
    *,
    api_key_id: str | None = ORGANISER_KEY_ID,
) -> dict[str, Any]:
    """Run one request through its function, in a worker."""
    return _worker_functions().handle(
        method, path, body=body, headers=headers, query=query, api_key_id=api_key_id
    )


def _known_path_in_worker(path: str) -> bool:
    return _worker_functions().known(path)


# --------------------------------------------------------------------------- HTTP


class Gateway(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, config: ServeConfig, pool: ProcessPoolExecutor) -> None:
        self.config = config
        self.pool = pool
        # As API Gateway: a valid key's id reaches the function, never the key itself.
        self.key_ids = {config.api_key: ORGANISER_KEY_ID}
        if config.platform_key and config.platform_key != config.api_key:
            self.key_ids[config.platform_key] = PLATFORM_KEY_ID
        super().__init__((config.host, config.port), GatewayHandler)


class GatewayHandler(BaseHTTPRequestHandler):
    server: Gateway
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if os.environ.get("CME_SERVE_ACCESS_LOG"):
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def do_GET(self) -> None:
        self.forward()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, PROPFIND, ...) reaches the functions too, which answer
        # 405 method_not_allowed (or 404 for an unknown path), as API Gateway's ANY does.
        if name.startswith("do_") and name[3:].isalpha():
            return self.forward
        raise AttributeError(name)

    def read_body(self) -> bytes | None:
        """The request body: by Content-Length, or chunked; ValueError when malformed,
        OverflowError when over the gateway's limit."""
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            chunks, size = [], 0
            while True:
                line = self.rfile.readline(1024).split(b";", 1)[0].strip()
                length = int(line, 16)  # ValueError for a malformed chunk size
                if length == 0:
                    self.rfile.readline(1024)  # the blank line after the last chunk
                    break
                size += length
                if size > MAX_GATEWAY_BODY:
                    raise OverflowError
                chunks.append(self.rfile.read(length))
                self.rfile.readline(1024)
            return b"".join(chunks) or None
        declared = self.headers.get("content-length")
        if declared is None:
            return None
        if not declared.strip().isdigit():
            raise ValueError(declared)
        length = int(declared)
        if length > MAX_GATEWAY_BODY:
            raise OverflowError
        return self.rfile.read(length) if length else None

    def forward(self) -> None:
        url = urlsplit(self.path)
        try:
            body = self.read_body()
        except OverflowError:
            self.close_connection = True
            self.reply(413, _problem(413, "invalid_request", "the body is too large"))
            return
        except ValueError:
            self.close_connection = True
            self.reply(400, _problem(400, "invalid_request", "the body's length is unreadable"))
            return
        if url.path != STAGE and not url.path.startswith(STAGE + "/"):
            self.reply(404, _problem(404, "not_found", f"no such resource: {url.path}"))
            return
        path = url.path[len(STAGE) :] or "/"
        method = self.command.upper()
        public = any(pattern.match(path) for pattern in PUBLIC)
        key_id = self.server.key_ids.get(self.headers.get("x-api-key") or "")
        if not public and key_id is None:
            known = self.server.pool.submit(_known_path_in_worker, path).result()
            if not known:
                self.reply(404, _problem(404, "not_found", f"no such resource: {url.path}"))
            else:
                self.reply(403, _problem(403, "unauthorized", "missing or wrong x-api-key"))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        result = self.server.pool.submit(
            invoke, method, path, url.query, headers, body, api_key_id=key_id
        ).result()
        payload = result.get("body") or ""
        data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
        out_headers: dict[str, str] = dict(result.get("headers") or {})
        for key, values in (result.get("multiValueHeaders") or {}).items():
            out_headers[key] = ", ".join(values)
        self.reply(int(result["statusCode"]), data, out_headers)

    def reply(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        headers = dict({"Content-Type": "application/problem+json"} if headers is None else headers)
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() not in {"content-length", "connection"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def _problem(status: int, code: str, detail: str) -> bytes:
    return problem_body(status, code, detail).encode()


# --------------------------------------------------------------------------- main


def serve(config: ServeConfig, *, ready: Callable[[str], None] | None = None) -> int:
    """Run until SIGINT/SIGTERM; returns the exit status."""
    import multiprocessing

    checkout = Checkout.find()
    moto: EmbeddedMoto | None = None
    endpoint = config.endpoint_url
    if endpoint is None:
        moto = EmbeddedMoto().start()
        endpoint = moto.url
    os.environ.update({k: os.environ.get(k, v) for k, v in FAKE_CREDENTIALS.items()})
    prepare_resources(config, endpoint, checkout)
    base_url = f"http://{config.host}:{config.port}{STAGE}"
    environment = {
        **{k: os.environ.get(k, v) for k, v in FAKE_CREDENTIALS.items()},
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": config.region,
        "AWS_DEFAULT_REGION": config.region,
        "CME_TABLE_NAME": config.table_name,
        "CME_BUCKET_NAME": config.bucket_name,
        "CME_ORGANISER_KEY_ID": ORGANISER_KEY_ID,
        "CME_PUBLIC_BASE_URL": os.environ.get("CME_PUBLIC_BASE_URL", base_url),
        "POWERTOOLS_SERVICE_NAME": "cme-credits",
        "POWERTOOLS_METRICS_NAMESPACE": "CmeCredits",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }
    pool = ProcessPoolExecutor(
        max_workers=config.workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_init,
        initargs=(environment, str(checkout.root)),
    )
    # Start every worker now (not on the first request), so the first answers are fast.
    list(pool.map(_known_path_in_worker, ["/"] * config.workers))
    gateway = Gateway(config, pool)
    stopping = threading.Event()

    def stop(signum: int, _frame: Any) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=gateway.shutdown, daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    keys = f"x-api-key: {config.api_key}"
    if config.platform_key:
        keys += f"; platform key: {config.platform_key}"
    (ready or _announce)(f"{base_url}  ({keys})")
    try:
        gateway.serve_forever(poll_interval=0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        gateway.server_close()
        pool.shutdown(wait=True, cancel_futures=True)
        if moto is not None:
            moto.stop()
    return 0


def _announce(where: str) -> None:
    sys.stdout.write(f"cme serve: {where}\nstop with Ctrl-C\n")
    sys.stdout.flush()
