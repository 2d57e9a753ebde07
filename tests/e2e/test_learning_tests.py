"""Professions and learning tests over real HTTP against `cme serve`: CNMI 2025's journey
(the programme, the delegates, the test, attempts, statements, certificates and their
verification), with every response body searched for the answer key: it never leaves
the service (RULES.md, "Learning tests")."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest

from cme.programme import load_programme_file, programme_document
from tests.e2e.served import Http, Reply
from tests.integration.conftest import ROOT

pytestmark = pytest.mark.e2e

EVENT = "e2e-cnmi"
ANSWER_FIELD = re.compile(rb'"answer"\s*:')


class Recording(Http):
    """Every answer the journey receives, to search afterwards."""

    def __init__(self, http: Http) -> None:
        super().__init__(http.base_url, http.api_key)
        self.replies: list[tuple[str, str, Reply]] = []

    def request(self, method: str, path: str, body: Any = None, **kw: Any) -> Reply:
        reply = super().request(method, path, body, **kw)
        self.replies.append((method, path, reply))
        return reply


def local(clock: str) -> str:
    return datetime.fromisoformat(f"2025-10-16T{clock}+02:00").isoformat()


def test_the_answer_key_never_leaves_the_service(http: Http) -> None:
    api = Recording(http)
    document = programme_document(load_programme_file(ROOT / "programmes/ecm2025.yaml").programme)
    document["event"]["id"] = EVENT
    assert api.put(f"/events/{EVENT}", document).status == 201
    delegates = f"/events/{EVENT}/delegates"
    for delegate_id, profession in (("N", "nurse"), ("F", "physiotherapist")):
        body = {"name": f"Delegate {delegate_id}", "attendance": "in_person"}
        assert (
            api.put(f"{delegates}/{delegate_id}", body | {"profession": profession}).status == 201
        )
    assert api.put(
        f"{delegates}/X", {"name": "X", "attendance": "online", "profession": "vet"}
    ).code == ("unknown_profession")
    for delegate_id in ("N", "F"):
        for i, (clock, direction) in enumerate((("08:50", "in"), ("16:01", "out"))):
            scan = {
                "scan_id": f"{EVENT}-{delegate_id}-{i}",
                "delegate_id": delegate_id,
                "station_id": "doors",
                "scanned_at": local(clock),
                "room": "Aula Magna",
                "direction": direction,
            }
            assert api.post(f"/events/{EVENT}/scans", scan).status == 201
        for session_id, clock in (("M1", "11:05"), ("M2", "13:05"), ("P1", "16:05")):
            evaluation = {"submitted_at": local(clock), "answers": {"q": 5}}
            path = f"{delegates}/{delegate_id}/evaluations/{session_id}"
            assert api.put(path, evaluation).status == 201
    test = api.get(f"/events/{EVENT}/tests/cnmi-final")
    assert test.status == 200 and len(test.body["questions"]) == 4
    attempts = f"{delegates}/N/tests/cnmi-final/attempts"
    wrong = {"attempt_id": "n-1", "submitted_at": local("16:10"), "answers": {
        "q1": 1, "q2": 1, "q3": 2, "q4": 0}}  # fmt: skip
    right = wrong | {"attempt_id": "n-2", "answers": {"q1": 0, "q2": 1, "q3": 2, "q4": 0}}
    assert (api.post(attempts, wrong).body or {}).get("score") == 0.75
    assert api.post(attempts, wrong).status == 200
    assert api.post(attempts, right).code == "already_passed"  # 3 of 4 passed already
    assert api.post(f"{delegates}/N/tests/nope/attempts", right).code == "unknown_test"
    assert api.get(f"{delegates}/N/credits").body["total"] == 6
    assert api.get(f"{delegates}/F/credits").body["eligible"] is False
    for delegate_id, kind in (("N", "credits"), ("F", "attendance")):
        issued = api.post(f"{delegates}/{delegate_id}/certificate")
        assert (issued.status, issued.body["kind"]) == (201, kind)
        assert api.get(f"/certificates/{issued.body['serial']}").body["kind"] == kind
        page = api.get(f"/certificates/{issued.body['serial']}", headers={"accept": "text/html"})
        assert page.status == 200
    assert api.get(f"/events/{EVENT}").status == 200
    assert api.get(f"/events/{EVENT}/report").status == 200
    assert api.get("/openapi.json").status == 200

    # The OpenAPI document describes the programme an organiser sends: there, and only
    # there, `answer` is a property, marked writeOnly (never in a response).
    documents = [r for m, p, r in api.replies if p == "/openapi.json"]
    leaking = [
        f"{method} {path}"
        for method, path, reply in api.replies
        if path != "/openapi.json" and ANSWER_FIELD.search(reply.data)
    ]
    assert leaking == []
    assert len(api.replies) > 20
    schemas = documents[0].body["components"]["schemas"]
    with_answer = {name for name, s in schemas.items() if "answer" in s.get("properties", {})}
    assert with_answer == {"QuestionDoc"}
    assert schemas["QuestionDoc"]["properties"]["answer"]["writeOnly"] is True
