"""End-to-end fixtures: one `cme serve` per test session, driven over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.served import Http, Served, eshg_document, start_server, stop_server


@pytest.fixture(scope="session")
def server() -> Iterator[Served]:
    served = start_server()
    try:
        yield served
    finally:
        stop_server(served)


@pytest.fixture(scope="session")
def http(server: Served) -> Http:
    return server.http


@pytest.fixture(scope="module")
def event(http: Http, request: pytest.FixtureRequest) -> str:
    """A fresh ESHG-shaped event for the test module."""
    event_id = "e2e-" + request.module.__name__.rsplit(".", 1)[-1].replace("_", "-")[:40]
    reply = http.put(f"/events/{event_id}", eshg_document(event_id))
    assert reply.status == 201, reply.data
    return event_id
