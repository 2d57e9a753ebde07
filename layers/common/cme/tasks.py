"""The organiser's work that outlasts a request (API Gateway gives up after 29 s), handed
by a route to the tasks function (`OrganiserTasksFunction`: the organiser's code with 15
minutes) through `Runtime.launch`, which returns at once. A task is a small JSON object
named by `cme_task`; Lambda delivers it at least once, so each is safe to run twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Launch = Callable[[dict[str, Any]], None]

REPORT_EXPORT = "report_export"
"""Write the event's whole report to one CSV in S3 (`cme.exports.run_export`)."""
RESTAMP = "restamp"
"""Give every item of the event its new expiry (`Store.restamp`): a programme replacement
moved the event's last day."""


def report_export(event_id: str, export_id: str) -> dict[str, Any]:
    return {"cme_task": REPORT_EXPORT, "event_id": event_id, "export_id": export_id}


def restamp(event_id: str) -> dict[str, Any]:
    return {"cme_task": RESTAMP, "event_id": event_id}
