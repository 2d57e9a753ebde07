"""The checkout's Lambda functions in this process, invoked the way API Gateway invokes
them: one helper for `cme serve`'s workers, the integration tests and the bench.

A request goes to the function whose resolver has a route for its path (with its method,
else with any method: the template routes every method of a path to its owner, which
answers 405 itself), as a REST proxy event; what comes back is the proxy result, or an
`Answer` with the body parsed.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from types import ModuleType
from typing import Any

from cme_tools.local.checkout import Checkout
from cme_tools.local.events import ORGANISER_KEY_ID, rest_event
from cme_tools.local.in_process import requests_side_by_side

FUNCTIONS = ("scan", "evaluate", "certificate", "organiser")


_LOADING = threading.Lock()


def load_function(
    checkout: Checkout, name: str, *, fresh: bool = False, copy: str = ""
) -> ModuleType:
    """`functions/<name>/app.py` imported once as module `cme_function_<name>` (each is a
    module named `app` in its own Lambda package, so they cannot share one import name);
    `fresh`: a new copy that is not kept; `copy`: another copy kept under its own name
    (`cme_function_<name>_<copy>`), for a container of its own."""
    module_name = (
        f"cme_function_{name}" + ("_fresh" if fresh else "") + (f"_{copy}" if copy else "")
    )
    with _LOADING:
        if module_name in sys.modules and not fresh:
            return sys.modules[module_name]
        path = checkout.function_source(name)
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        finally:
            if fresh:
                del sys.modules[module_name]
        return module


def problem_body(status: int, code: str, detail: str) -> str:
    """A problem+json body as the gateway gives it (its own answers, before any function)."""
    phrase = HTTPStatus(status).phrase
    return json.dumps({"status": status, "title": phrase, "detail": detail, "code": code})


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]
    """Lower-case names; a multi-value header joined with ", "."""
    body: Any
    """Parsed when JSON, else the text."""
    text: str

    @property
    def code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None

    @classmethod
    def of(cls, result: Mapping[str, Any]) -> Answer:
        text = result.get("body") or ""
        headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
        for key, values in (result.get("multiValueHeaders") or {}).items():
            headers[key.lower()] = ", ".join(values)
        parsed = json.loads(text) if text and "json" in headers.get("content-type", "") else text
        return cls(int(result["statusCode"]), headers, parsed, text)


class LocalContext:
    """The Lambda context a function gets (the fields powertools reads)."""

    def __init__(self, name: str) -> None:
        self.function_name = f"cme-{name}"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:eu-west-1:000000000000:function:cme-{name}"
        self.aws_request_id = f"local-{name}"


class Functions:
    """The functions of a checkout, imported once in this process."""

    def __init__(self, checkout: Checkout | None = None, names: Iterable[str] = FUNCTIONS) -> None:
        self.checkout = checkout or Checkout.find()
        self._containers = threading.local()
        requests_side_by_side()
        self.modules = {
            name: load_function(self.checkout, name)
            for name in names
            if self.checkout.function_source(name).is_file()
        }

    def container(self, name: str) -> ModuleType:
        """The function's module that serves this thread. A Lambda container answers one
        request at a time, and the resolver keeps the request it serves on itself
        (`app.current_event`), so requests made side by side (the race tests, a task on a
        thread) each get a container of their own: the main thread the shared module,
        every other thread a fresh copy of it, kept for that thread."""
        if threading.current_thread() is threading.main_thread():
            return self.modules[name]
        containers: dict[str, ModuleType] = self._containers.__dict__.setdefault("modules", {})
        if name not in containers:
            copy = f"thread{threading.get_ident()}"
            containers[name] = load_function(self.checkout, name, copy=copy)
        return containers[name]

    def run_task(self, task: dict[str, Any]) -> None:
        """A task one function hands on without waiting (a report export), run by the
        organiser's code as the template's tasks function runs it."""
        self.container("organiser").lambda_handler(task, LocalContext("organiser-tasks"))

    def run_tasks_in_background(self) -> None:
        """Tasks run on a thread of this process, as Lambda runs an asynchronous
        invocation: the request that hands one on is answered at once."""
        from cme import api

        def launch(task: dict[str, Any]) -> None:
            threading.Thread(target=self.run_task, args=(task,), daemon=True).start()

        api.runtime.launch = launch

    def _routes(self, name: str) -> list[Any]:
        app = self.modules[name].app
        return list(app._static_routes + app._dynamic_routes)

    def owner(self, method: str, path: str) -> str | None:
        """The function with a route for `path` and `method`, else for `path` with any
        method; None when no function knows the path."""
        fallback = None
        for name in self.modules:
            for route in self._routes(name):
                if route.rule.match(path):
                    if route.method == method.upper():
                        return name
                    fallback = fallback or name
        return fallback

    def operation(self, method: str, path: str) -> str | None:
        """The OpenAPI path of the route that serves `method` on `path`
        (`/events/{event_id}/scans`), or None when none does."""
        for name in self.modules:
            for route in self._routes(name):
                if route.method == method.upper() and route.rule.match(path):
                    return str(re.sub(r"<(\w+)>", r"{\1}", route.path))
        return None

    def known(self, path: str) -> bool:
        return self.owner("GET", path) is not None

    def handle(
        self,
        method: str,
        path: str,
        *,
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        query: str = "",
        stage: str = "v1",
        api_key_id: str | None = ORGANISER_KEY_ID,
    ) -> dict[str, Any]:
        """The proxy result of one request (`path` without the stage); a path no function
        knows gets the gateway's 404. `api_key_id`: the key the gateway accepted (the
        organiser's unless told)."""
        owner = self.owner(method, path)
        if owner is None:
            return {
                "statusCode": 404,
                "headers": {"Content-Type": "application/problem+json"},
                "body": problem_body(404, "not_found", f"no such resource: {path}"),
            }
        event = rest_event(
            method,
            path,
            body=body,
            headers=headers,
            query=query,
            stage=stage,
            api_key_id=api_key_id,
        )
        return dict(self.container(owner).lambda_handler(event, LocalContext(owner)))

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        query: str = "",
        stage: str = "v1",
        api_key_id: str | None = ORGANISER_KEY_ID,
    ) -> Answer:
        """`handle` with `body` sent as JSON (or `raw` as it is), the answer parsed."""
        payload = raw if raw is not None else (None if body is None else json.dumps(body))
        result = self.handle(
            method,
            path,
            body=payload,
            headers=headers,
            query=query,
            stage=stage,
            api_key_id=api_key_id,
        )
        return Answer.of(result)

    def get(self, path: str, **kw: Any) -> Answer:
        return self.call("GET", path, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("PUT", path, body, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("POST", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Answer:
        return self.call("DELETE", path, **kw)
