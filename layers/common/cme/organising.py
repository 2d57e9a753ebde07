"""The organiser's side: loading the programme, registering delegates, the report."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cme.errors import InvalidProgramme, InvalidRequest, Problem, UnknownEvent, UnknownProfession
from cme.facts import Delegate
from cme.programme import Programme, build_programme, programme_document, public_document
from cme.recording import load_programme, versioned_programme
from cme.records import (
    DocumentTooLarge,
    References,
    Store,
    StoredProgramme,
    WriteRefused,
)
from cme.tasks import Launch
from cme.text import ID_PATTERN

if TYPE_CHECKING:
    from cme.projection import DelegateRow


@dataclass(frozen=True, slots=True)
class ProgrammeSaved:
    created: bool
    version: int
    warnings: tuple[Problem, ...]


def put_programme(
    store: Store,
    event_id: str,
    document: Any,
    *,
    now: datetime,
    actor: str = "unknown",
    launch: Launch | None = None,
) -> ProgrammeSaved:
    """Validate and store the programme (`event.id` must equal the path). A replacement may
    not drop a day, slot or session that stored facts refer to, nor change the timezone
    once facts exist (RULES.md, "When the programme changes"). A replacement that moves
    the event's last day hands the new expiry of its items to `launch` (`cme.tasks`)."""
    loaded = build_programme(document)
    programme = loaded.programme
    warnings = (*loaded.warnings, *_unprintable_texts(programme))
    if programme.event.id != event_id:
        raise InvalidProgramme(
            [Problem("event.id", "id_mismatch", f"event.id must be {event_id}, as in the path")],
            warnings,
        )
    for _attempt in range(3):
        current = store.latest_programme(event_id)
        if current is not None:
            problems = _replacement_problems(store, current, programme)
            if problems:
                raise InvalidProgramme(problems, warnings)
        audit = None
        if current is not None:
            from cme.deciding import Action
            from cme.records import AuditEntry

            version = f"version {current.version + 1}"
            audit = AuditEntry(now, actor, Action.PROGRAMME_REPLACED, "programme", version)
        try:
            saved = store.save_programme(
                event_id,
                programme_document(programme),
                replaces=None if current is None else current.version,
                now=now,
                audit=audit,
            )
        except WriteRefused:
            continue  # another replacement landed in between: judge against it
        except DocumentTooLarge as exc:
            raise InvalidProgramme(
                [Problem("", "too_large", f"the programme is too large to store ({exc})")],
                warnings,
            ) from exc
        if current is not None and launch is not None and _ends_otherwise(current, saved):
            from cme import tasks

            launch(tasks.restamp(event_id))
        return ProgrammeSaved(current is None, saved.version, warnings)
    raise InvalidProgramme(
        [Problem("", "concurrent_update", "the programme changed meanwhile; send it again")]
    )


def _ends_otherwise(before: StoredProgramme, after: StoredProgramme) -> bool:
    """Whether the event's last moment (its last day's end in its zone), from which its
    items' expiry counts, moved."""
    from cme.privacy import document_expiry

    return document_expiry(before.document, 1) != document_expiry(after.document, 1)


def _unprintable_texts(programme: Programme) -> tuple[Problem, ...]:
    """Warnings for the event's words a certificate would print but no bundled font can:
    every certificate of the event would be refused (unprintable_name) until corrected."""
    from cme.certificate.fonts import event_texts, unprintable_problems

    event = programme.event
    return unprintable_problems(
        event_texts(
            name=event.name,
            city=event.city,
            country=event.country,
            body=event.accreditation.body,
            unit=event.accreditation.unit,
            statement=event.accreditation.statement,
            conversions=((c.name, c.statement) for c in event.conversions),
            statements=event.statements,
        )
    )


def _replacement_problems(store: Store, current: StoredProgramme, new: Programme) -> list[Problem]:
    old = build_programme(current.document).programme
    removed_days = {d.date for d in old.days} - {d.date for d in new.days}
    removed_sessions = {s.id for s in old.sessions} - {s.id for s in new.sessions}
    zone_changed = old.event.timezone != new.event.timezone
    listed = {p.id for p in new.event.professions}
    # Delegates registered under professions the new list lacks: possible only when the
    # new programme lists professions, and the old one listed none or some it drops.
    narrowed = bool(listed) and not (
        old.event.professions and {p.id for p in old.event.professions} <= listed
    )
    if not (removed_days or removed_sessions or zone_changed or narrowed):
        return []
    refs: References = store.references(current.event_id)
    problems: list[Problem] = [
        Problem(
            "event.professions",
            "referenced_profession_removed",
            f"delegates are registered as {profession}",
        )
        for profession in sorted(refs.professions - listed)
        if narrowed
    ]
    if zone_changed and refs.any_facts:
        problems.append(
            Problem(
                "event.timezone",
                "timezone_locked",
                f"facts are stored in {old.event.timezone}; the timezone cannot change now",
            )
        )
    lost_sessions = sorted(removed_sessions & refs.sessions)
    for session_id in lost_sessions:
        problems.append(
            Problem(
                "sessions",
                "referenced_session_removed",
                f"stored facts refer to session {session_id}",
            )
        )
    lost_slots = sorted(
        {s.slot_id for sid in lost_sessions if (s := old.session(sid))} - {s.id for s in new.slots}
    )
    for slot_id in lost_slots:
        problems.append(
            Problem("slots", "referenced_slot_removed", f"stored facts refer to slot {slot_id}")
        )
    session_days = {s.date for sid in lost_sessions if (s := old.session(sid))}
    for day in sorted(removed_days & (refs.days | session_days)):
        problems.append(
            Problem("days", "referenced_day_removed", f"stored facts refer to {day.isoformat()}")
        )
    return problems


def get_programme(store: Store, event_id: str) -> dict[str, Any]:
    """The programme as stored, without the tests' answer keys (they never leave the
    service)."""
    stored = store.programme(event_id)
    if stored is None:
        raise UnknownEvent(f"no event {event_id}")
    return public_document(stored.document)


@dataclass(frozen=True, slots=True)
class DelegateSaved:
    created: bool
    warnings: tuple[Problem, ...]
    """What the organiser should correct before the congress: a name with characters no
    bundled font prints is stored, but its certificate would be refused."""


def put_delegate(
    store: Store,
    event_id: str,
    delegate: Delegate,
    *,
    now: datetime,
    actor: str = "unknown",
    reason: str | None = None,
) -> DelegateSaved:
    """Register or update a delegate. Attendance is registration data: it never rewrites
    credits. When the programme lists professions, the delegate's is one of them (422
    `unknown_profession`; RULES.md, "Professions"). A changed name or profession is a
    correction: an entry of the audit trail, written with it (RULES.md, "Organiser
    decisions")."""
    from cme.certificate.fonts import unprintable_problem
    from cme.deciding import Action, corrected, delegate_target
    from cme.projection import after_write
    from cme.records import AuditEntry

    programme = load_programme(store, event_id)
    professions = programme.event.professions
    unknown = (
        delegate.profession is not None and programme.event.profession(delegate.profession) is None
    )
    if professions and unknown:
        known = ", ".join(p.id for p in professions)
        raise UnknownProfession(
            f"{delegate.profession} is not one of this event's professions ({known})"
        )
    audit = None
    if corrected(
        store.delegate_record(event_id, delegate.delegate_id), delegate.name, delegate.profession
    ):
        target = delegate_target(delegate.delegate_id)
        audit = AuditEntry(now, actor, Action.CORRECTED, target, reason or "")
    created = store.save_delegate(event_id, delegate, now=now, audit=audit)
    after_write(store, event_id, delegate.delegate_id)
    warning = unprintable_problem("name", delegate.name)
    return DelegateSaved(created, () if warning is None else (warning,))


# --------------------------------------------------------------------------- report


@dataclass(frozen=True, slots=True)
class ReportPage:
    event_id: str
    days: tuple[date, ...]
    rows: list[DelegateRow]
    """Each delegate's report row (`cme.projection`), in delegate order."""
    next_cursor: str | None


def report_page(
    store: Store,
    event_id: str,
    *,
    limit: int,
    cursor: str | None,
    budget: timedelta | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> ReportPage:
    """A page of delegates with their credits: each delegate's row as kept current on
    write (`cme.projection`), computed from the facts now when it is not current, so the
    report always says what the facts say. A page may hold fewer than `limit` delegates
    when computing rows would outlast `budget` (API Gateway gives up after 29 s):
    `next_cursor` then continues where it stopped."""
    from cme.projection import current_rows

    programme, version = versioned_programme(store, event_id, latest=True)
    after = decode_cursor(cursor) if cursor else None
    ends = monotonic() + budget.total_seconds() if budget is not None else float("inf")
    rows, last = current_rows(
        store,
        event_id,
        programme,
        version,
        after=after,
        limit=limit,
        enough=lambda: monotonic() >= ends,
    )
    return ReportPage(
        event_id=event_id,
        days=tuple(d.date for d in programme.days),
        rows=rows,
        next_cursor=encode_cursor(last) if last else None,
    )


def encode_cursor(delegate_id: str) -> str:
    return base64.urlsafe_b64encode(delegate_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest("cursor is not one this service gave", [{"path": "cursor"}]) from exc
    if not ID_PATTERN.match(text):
        raise InvalidRequest("cursor is not one this service gave", [{"path": "cursor"}])
    return text
