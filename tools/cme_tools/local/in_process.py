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
