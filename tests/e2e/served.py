"""`cme serve` as a subprocess on a free port, and a small HTTP client to drive it."""

from __future__ import annotations

import functools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cme.jsonio import dumps, loads
from cme.programme import load_programme_file, programme_document

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "e2e-key"
PLATFORM_KEY = "e2e-platform-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    data: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.data) if self.data else None

    @property
    def code(self) -> str | None:
        body = self.body
        return body.get("code") if isinstance(body, dict) else None


class Http:
    """A tiny HTTP client (standard library) for the served API."""

    def __init__(self, base_url: str, api_key: str | None = API_KEY) -> None:
        self.base_url = base_url
        self.api_key = api_key

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        key: str | None = "default",
    ) -> Reply:
        url = path if path.startswith("http") else self.base_url + path
        data = raw if raw is not None else (None if body is None else dumps(body).encode())
        sent = {"content-type": "application/json", **(headers or {})}
        api_key = self.api_key if key == "default" else key
        if api_key is not None and not path.startswith("http"):
            sent["x-api-key"] = api_key
        request = urllib.request.Request(url, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Reply(response.status, dict(response.headers.items()), response.read())
        except urllib.error.HTTPError as error:
            return Reply(error.code, dict(error.headers.items()), error.read())

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("PUT", path, body, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("POST", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.request("DELETE", path, **kw)


@dataclass
class Served:
    base_url: str
    process: subprocess.Popen[str]
    http: Http


def start_server(workers: int = 4) -> Served:
    port = free_port()
    env = {**os.environ, "CME_API_KEY": API_KEY, "CME_PLATFORM_KEY": PLATFORM_KEY}
    env.pop("AWS_ENDPOINT_URL", None)
    cme = Path(sys.executable).with_name("cme")
    process = subprocess.Popen(
        [str(cme), "serve", "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 90
    line = ""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("cme serve: ") or not line:
            break
    if not line.startswith("cme serve: "):
        process.kill()
        raise RuntimeError(f"cme serve did not start: {line!r}")
    base_url = line.split()[2]
    # Keep reading what the server prints (its workers log to stdout), or a full pipe
    # would freeze them.
    threading.Thread(target=process.stdout.read, daemon=True).start()
    return Served(base_url, process, Http(base_url))


def stop_server(served: Served) -> int:
    served.process.send_signal(signal.SIGTERM)
    try:
        return served.process.wait(timeout=30)
    finally:
        if served.process.poll() is None:
            served.process.kill()


def eshg_document(event_id: str = "eshg2025") -> dict[str, Any]:
    """The ESHG 2025 programme under another event id (each test module its own event)."""
    document: dict[str, Any] = loads(_eshg_json())  # a copy of its own to change
    document["event"]["id"] = event_id
    return document


@functools.cache
def _eshg_json() -> str:
    """The programme parsed once per process (YAML, the slow part), as the API keeps it."""
    path = ROOT / "programmes" / "eshg2025.yaml"
    return dumps(programme_document(load_programme_file(path).programme))
