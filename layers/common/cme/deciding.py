"""Organiser decisions (RULES.md and CONTRACT.md, "Organiser decisions"): a delegate's own
claim deadline, evidence granted for a session, and the event's audit trail.

Each decision is stored with who made it (the API key's id), when and why, together with
its entry of the audit trail in one transaction: there is never a change without its
entry. Repeating the decision that stands changes nothing and writes no entry; withdrawing
one is a decision too. Statements follow at once: they are computed from the stored facts,
and a certificate whose statement changes is reissued on its next request.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta

from cme.errors import InvalidRequest, Throttled, UnknownDelegate
from cme.recording import _session, load_delegate, load_programme
from cme.records import AuditEntry, Decision, DelegateRecord, Extension, Store, WriteRefused
from cme.rules.decisions import extension_closes_at


class Action:
    """What an audit entry records (`action`)."""

    EXTENDED = "extension_granted"
    EXTENSION_WITHDRAWN = "extension_withdrawn"
    GRANTED = "evidence_granted"
    GRANT_WITHDRAWN = "grant_withdrawn"
    CORRECTED = "delegate_corrected"
    REVOKED = "certificate_revoked"
    REVOCATION_LIFTED = "revocation_lifted"
    PROGRAMME_REPLACED = "programme_replaced"
    ERASED = "delegate_erased"


def delegate_target(delegate_id: str, *more: str) -> str:
    return "/".join(("delegates", delegate_id, *more))


@dataclass(frozen=True, slots=True)
class Decided:
    changed: bool
    """False when the same decision stood already (nothing written)."""


def _refused(error: WriteRefused, event_id: str, delegate_id: str) -> Exception:
    if "delegate" in error.failed:
        return UnknownDelegate(f"no delegate {delegate_id} at {event_id}")
    return error


def extend(
    store: Store,
    event_id: str,
    delegate_id: str,
    *,
    until: str,
    reason: str,
    actor: str,
    now: datetime,
) -> Decided:
    """The delegate's claim deadline becomes `until` (local time, after the event's)."""
    programme = load_programme(store, event_id, latest=True)
    record = load_delegate(store, event_id, delegate_id, consistent=True)
    try:
        closes = extension_closes_at(programme, until)
    except ValueError:
        raise InvalidRequest(
            "until is a local time in the event's zone, such as 2026-01-15T23:59:59",
            [{"path": "until", "code": "local_time"}],
        ) from None
    if closes <= programme.event.claim_closes_at:
        raise InvalidRequest(
            f"an extension runs past the event's deadline, {programme.event.describe_deadline()}",
            [{"path": "until", "code": "not_after_deadline"}],
        )
    return _set_extension(store, event_id, record, until, actor=actor, now=now, reason=reason)


def withdraw_extension(
    store: Store, event_id: str, delegate_id: str, *, reason: str, actor: str, now: datetime
) -> Decided:
    load_programme(store, event_id)
    record = load_delegate(store, event_id, delegate_id, consistent=True)
    return _set_extension(store, event_id, record, None, actor=actor, now=now, reason=reason)


EXTENSION_ATTEMPTS = 5
"""How often an extension is decided again when another decision about the same delegate's
extension was stored in between (each attempt reads the one standing afresh)."""


def _set_extension(
    store: Store,
    event_id: str,
    record: DelegateRecord,
    until: str | None,
    *,
    actor: str,
    now: datetime,
    reason: str,
) -> Decided:
    """Store `until` (None: withdraw) as the extension, conditioned on the one it replaces
    (`record`'s, read strongly). Two decisions at once: one is stored, the other is made
    again on top of it (or found to change nothing), and its entry comes after the first's
    in the trail even when its clock read earlier, so the trail's newest entry is always
    the decision that stands."""
    delegate_id = record.delegate.delegate_id
    for _ in range(EXTENSION_ATTEMPTS):
        standing = record.extension
        if (standing.until if standing else None) == until:
            return Decided(changed=False)
        at = now if standing is None else max(now, standing.decision.at + TICK)
        action = Action.EXTENDED if until is not None else Action.EXTENSION_WITHDRAWN
        entry = AuditEntry(at, actor, action, delegate_target(delegate_id, "extension"), reason)
        extension = None if until is None else Extension(until, Decision(actor, at, reason))
        try:
            store.set_extension(event_id, delegate_id, extension, audit=entry, replaces=standing)
        except WriteRefused as refused:
            if refused.failed != {"extension"}:
                raise _refused(refused, event_id, delegate_id) from None
            record = load_delegate(store, event_id, delegate_id, consistent=True)
            continue
        return Decided(changed=True)
    raise Throttled("other decisions about this extension keep coming first; retry", 1)


TICK = timedelta(microseconds=1)


def grant(
    store: Store,
    event_id: str,
    delegate_id: str,
    session_id: str,
    *,
    reason: str,
    actor: str,
    now: datetime,
    withdraw: bool = False,
) -> Decided:
    """Grant (or withdraw) evidence for a session: worth the session's full amount."""
    programme = load_programme(store, event_id)
    session = _session(store, programme, delegate_id, session_id)
    record = load_delegate(store, event_id, delegate_id)
    if (session.id in record.grants) != withdraw:
        return Decided(changed=False)
    action = Action.GRANT_WITHDRAWN if withdraw else Action.GRANTED
    target = delegate_target(delegate_id, "grants", session.id)
    entry = AuditEntry(now, actor, action, target, reason)
    decision = None if withdraw else Decision(actor, now, reason)
    try:
        store.set_grant(event_id, delegate_id, session.id, decision, audit=entry)
    except WriteRefused as refused:
        raise _refused(refused, event_id, delegate_id) from None
    from cme.projection import after_write

    after_write(store, event_id, delegate_id)  # evidence: the delegate's row changes
    return Decided(changed=True)


def corrected(before: DelegateRecord | None, name: str, profession: str | None) -> bool:
    """A registration update that changes what a certificate states about the person."""
    if before is None:
        return False
    return before.delegate.name != name or before.delegate.profession != profession


# --------------------------------------------------------------------------- the trail


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    next_cursor: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "entries": [entry.as_dict() for entry in self.entries],
            "next_cursor": self.next_cursor,
        }


def audit_page(store: Store, event_id: str, *, cursor: str | None, limit: int) -> AuditPage:
    """The event's trail, newest first, a page at a time."""
    load_programme(store, event_id)
    before = _decode(cursor) if cursor else None
    entries, last = store.audit_entries(event_id, before=before, limit=limit)
    return AuditPage(entries, _encode(last) if last else None)


def _encode(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith("AUDIT#") or len(text) > 100:
        raise InvalidRequest("cursor is not one this service gave", [{"path": "cursor"}])
    return text
