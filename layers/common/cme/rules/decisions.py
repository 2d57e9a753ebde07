"""Organiser decisions as the rules read them (RULES.md, "Organiser decisions"): a
delegate's own claim deadline. Pure: the programme and the stated extension in, instants
out.

An extension is a local time in the event's zone, read like the deadline itself (its last
stated unit counts whole). It replaces the deadline for that delegate's evaluations, tests
and on-demand views, and so extends the on-demand window's end as far, never shortens it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from cme.programme import Programme
from cme.programme.domain import Window
from cme.programme.localtime import closing, parse_stated


def extension_closes_at(programme: Programme, until: str) -> datetime:
    """The first instant after a stated extension (`2026-01-15T23:59:59`, local).
    ValueError when it is not a local time of that form."""
    stated = parse_stated(until)
    if stated.offset is not None:
        raise ValueError("an extension is a local time, without an offset")
    return closing(stated, programme.event.zone)


def claim_closes_at(programme: Programme, extension: str | None = None) -> datetime:
    """When claims close for a delegate with `extension` (None: the event's deadline)."""
    if extension is None:
        return programme.event.claim_closes_at
    return max(programme.event.claim_closes_at, extension_closes_at(programme, extension))


def programme_for(programme: Programme, extension: str | None) -> Programme:
    """The programme as one delegate's facts are judged: with the extension as the claim
    deadline and the on-demand window's end moved as far."""
    if extension is None:
        return programme
    closes = claim_closes_at(programme, extension)
    event = programme.event
    window = event.on_demand
    if window is not None and window.end < closes:
        window = Window(window.start, closes)
    return replace(programme, event=replace(event, claim_closes_at=closes, on_demand=window))
