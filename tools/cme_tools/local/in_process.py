"""moto in-process (`mock_aws`), as the integration tests and the bench run it, answers one
AWS call at a time.

DynamoDB serialises what touches an item; moto's in-process backend is plain dicts that
a transaction iterates (and upstream's copies whole), so two threads of one process (a
batch of scans recorded side by side) would change a table while another call reads it.
moto's request handler, the `before-send` hook `mock_aws` puts on every botocore client,
is wrapped in one lock for the process: calls queue for moto as they would for the
network, and the service's own work still runs side by side. (`cme serve`'s moto.server
does the same with its `SerialisedApp`.)
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.RLock()
_state: dict[str, Any] = {}


def serialise_moto_calls() -> None:
    """From now on, in this process, moto answers one call at a time (idempotent)."""
    from moto.core.botocore_stubber import BotocoreStubber

    with _lock:
        if "original" in _state:
            return
        original = BotocoreStubber.__call__
        _state["original"] = original

        def one_at_a_time(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
            with _lock:
                return original(self, event_name, request, **kwargs)

        stubber: Any = BotocoreStubber
        stubber.__call__ = one_at_a_time


def requests_side_by_side() -> None:
    """From now on, in this process, each thread's request has a resolver state of its own.

    powertools keeps the request being answered on a class, `BaseRouter.current_event`
    (and `lambda_context`), shared by every resolver of the process: right in Lambda,
    where a container answers one request at a time, wrong for requests made side by side
    in one process (the race tests), which then read each other's path and body. Each
    thread gets its own: a descriptor on the class for reads through a resolver, and the
    same on its metaclass for powertools' own assignments to the class. (Each thread also
    needs its own resolver, for the route it matched: `Functions.container`.) Idempotent.
    """
    from abc import ABCMeta

    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    with _lock:
        if "router" in _state:
            return
        _state["router"] = True
        per_thread = threading.local()

        class PerThread:
            def __init__(self, name: str) -> None:
                self.name = name

            def __get__(self, owner: Any, kind: Any = None) -> Any:
                return getattr(per_thread, self.name, None)

            def __set__(self, owner: Any, value: Any) -> None:
                setattr(per_thread, self.name, value)

        class PerThreadRouterState(ABCMeta):
            current_event = PerThread("current_event")
            lambda_context = PerThread("lambda_context")

        router: Any = BaseRouter
        for name in ("current_event", "lambda_context"):
            setattr(per_thread, name, router.__dict__.get(name))
            type.__setattr__(router, name, PerThread(name))
        router.__class__ = PerThreadRouterState
