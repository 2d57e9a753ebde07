"""Issuing, finding, verifying and revoking certificates (RULES.md, "Certificate").

A delegate may obtain a certificate when the cart is not empty, every session in it is
evaluated and the total is above zero. Asking again with nothing changed returns the same
certificate; once anything it states changes, a new one is issued and the old one is
marked superseded, never deleted. The PDF is written to S3 before its record, so a failure
never leaves a record without its PDF, and a retry simply issues again.

No PDF stays without its record either (issue 14, item 7): a PDF is written pending
(`CertificatePdfs`: S3 expires it a day later) and kept once its record is stored. When the
store refuses the record for good (another request recorded a certificate first), the PDF
is discarded at once, unless the record is stored after all (a lost answer retried). When
the store cannot be reached, the record may or may not have landed: the PDF stays pending;
a retry that finds the record keeps it. When keeping fails, the certificate is answered
all the same (it is stored) and every answer about it in `KEEP_AGAIN_FOR` keeps its PDF
again: a delegate who downloads within a day saves it, and it is logged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from cme.errors import (
    EvaluationsIncomplete,
    NoCertificate,
    NoCredits,
    Throttled,
    UnknownCertificate,
    UnprintableName,
)
from cme.jsonio import dumps
from cme.observability import logger
from cme.programme import Programme
from cme.readiness import Readiness, readiness
from cme.recording import load_delegate, load_programme
from cme.records import (
    Certificate,
    CertificatePdfs,
    CertificateStatus,
    DelegateRecord,
    IssuedCertificate,
    Store,
    WriteRefused,
)
from cme.rules.credits import CreditStatement, compute_statement
from cme.serials import canonical, display, new_serial
from cme.store.files import pdf_key

KEEP_AGAIN_FOR = timedelta(days=7)
"""How long after issuing an answer about a certificate keeps its PDF again (one S3 call):
longer than the lifecycle rule's day plus the time S3 takes to act on it."""

if TYPE_CHECKING:
    from cme.certificate import CertificateFacts
    from cme.verify_page import Verification


@dataclass(frozen=True, slots=True)
class CertificateAnswer:
    """What the API answers about a delegate's certificate."""

    serial: str
    url: str
    url_expires_at: datetime
    total: Decimal
    days: tuple[tuple[date, Decimal], ...]
    status: CertificateStatus
    issued_at: datetime
    created: bool
    superseded: str | None = None
    """The serial this newly issued certificate superseded, if it did."""
    kind: str = "credits"
    """`credits`, or `attendance` (RULES.md, "Professions")."""


# --------------------------------------------------------------------------- facts


def certificate_facts(
    programme: Programme,
    statement: CreditStatement,
    *,
    delegate_name: str,
    serial: str,
    issued_at: datetime,
    verify_url: str,
    profession: str | None = None,
) -> CertificateFacts:
    """Everything the certificate states (RULES.md, "What a certificate states")."""
    from cme.certificate import CertificateConversion, CertificateDay, CertificateFacts

    event = programme.event
    statements_by_name = {c.name: c.statement for c in event.conversions}
    listed = event.profession(profession)
    stated = partial(
        CertificateFacts,
        serial=display(serial),
        verify_url=verify_url,
        event_name=event.name,
        event_city=event.city,
        event_country=event.country,
        first_day=programme.days[0].date,
        last_day=programme.days[-1].date,
        accreditation_body=event.accreditation.body,
        unit=event.accreditation.unit,
        event_total=event.accreditation.total,
        delegate_name=delegate_name,
        issued_at=issued_at,
        profession=listed.name if listed else "",
    )
    attended = statement.attended
    if attended is not None:
        # A certificate of attendance: the days attended, no credits, no conversions.
        return stated(
            total=Decimal(0),
            live=Decimal(0),
            capped_by_event_total=False,
            days=tuple(CertificateDay(day, Decimal(0)) for day in attended),
            accreditation_statement="",
            conversions=(),
            statements=(),
            kind="attendance",
        )
    return stated(
        total=statement.total,
        live=statement.live,
        capped_by_event_total=statement.capped_by_event_total,
        days=tuple(CertificateDay(d.date, d.credits) for d in statement.days),
        accreditation_statement=event.accreditation.statement,
        conversions=tuple(
            CertificateConversion(c.name, c.credits, statements_by_name.get(c.name, ""))
            for c in statement.conversions
        ),
        statements=event.statements,
    )


def facts_document(facts: CertificateFacts) -> dict[str, Any]:
    return {
        "serial": facts.serial,
        "verify_url": facts.verify_url,
        "event_name": facts.event_name,
        "event_city": facts.event_city,
        "event_country": facts.event_country,
        "first_day": facts.first_day,
        "last_day": facts.last_day,
        "accreditation_body": facts.accreditation_body,
        "unit": facts.unit,
        "event_total": facts.event_total,
        "delegate_name": facts.delegate_name,
        "total": facts.total,
        # Only when it is printed: a certificate whose live part equals its total states
        # what it stated before the live part existed, and keeps its fingerprint.
        **({"live": facts.live} if facts.live != facts.total else {}),
        "capped_by_event_total": facts.capped_by_event_total,
        "days": [{"date": d.date, "credits": d.credits} for d in facts.days],
        "accreditation_statement": facts.accreditation_statement,
        "conversions": [
            {"name": c.name, "credits": c.credits, "statement": c.statement}
            for c in facts.conversions
        ],
        "statements": list(facts.statements),
        "issued_at": facts.issued_at,
        # Only when set: the certificates of programmes without professions state what
        # they stated before professions existed, and keep their fingerprints.
        **({"kind": facts.kind} if facts.of_attendance else {}),
        **({"profession": facts.profession} if facts.profession else {}),
    }


def fingerprint(facts: CertificateFacts) -> str:
    """A digest of what the certificate states, without what every issue changes (serial,
    link, issue time): equal digests mean the same certificate."""
    stated = facts_document(facts)
    for volatile in ("serial", "verify_url", "issued_at"):
        stated.pop(volatile)
    return hashlib.sha256(dumps(stated).encode()).hexdigest()


# --------------------------------------------------------------------------- issuing


def issue_certificate(
    store: Store,
    files: CertificatePdfs,
    event_id: str,
    delegate_id: str,
    *,
    now: datetime,
    base_url: str,
    lifetime: timedelta,
) -> CertificateAnswer:
    for _attempt in range(4):
        # The programme as stored now, at every attempt: a container that kept an older
        # one would state it, supersede the certificate issued from the newer one, and
        # alternate with the containers that read the newer one.
        programme = load_programme(store, event_id, latest=True)
        record = load_delegate(store, event_id, delegate_id)
        _check_not_revoked(record)
        statement = compute_statement(programme, record.facts)
        _check_ready(record, statement)
        serial = new_serial()
        facts = certificate_facts(
            programme,
            statement,
            delegate_name=record.delegate.name,
            serial=serial,
            issued_at=now.replace(microsecond=0),
            verify_url=verify_url(base_url, serial),
            profession=record.delegate.profession,
        )
        digest = fingerprint(facts)
        latest = record.latest_certificate
        if latest is not None and latest.fingerprint == digest:
            return _answer(files, latest, now=now, lifetime=lifetime, created=False)

        _check_printable(facts)
        from cme.certificate import render_certificate

        key = pdf_key(event_id, serial)
        files.put(key, render_certificate(facts), title=f"{programme.event.name} certificate")
        certificate = Certificate(
            serial=serial,
            event_id=event_id,
            delegate_id=delegate_id,
            status=CertificateStatus.VALID,
            total=statement.total,
            days=tuple((d.date, d.credits) for d in statement.days),
            issued_at=facts.issued_at,
            pdf_key=key,
            fingerprint=digest,
            kind=facts.kind,
        )
        supersede = latest is not None and latest.status is CertificateStatus.VALID
        try:
            store.add_certificate(
                certificate, facts_document(facts), latest=latest, supersede=supersede, now=now
            )
        except WriteRefused:
            # Another request for the same delegate recorded a certificate (or revoked
            # the previous one) in between: judge again against what is stored now. The
            # PDF written above is nobody's, unless this record landed after all.
            _discard_unless_recorded(store, files, certificate)
            continue
        _keep(files, certificate)
        from cme.projection import after_write

        after_write(store, event_id, delegate_id)
        answer = _answer(files, certificate, now=now, lifetime=lifetime, created=True)
        if supersede and latest is not None:
            answer = replace(answer, superseded=latest.serial)
        return answer
    raise Throttled(
        "certificates for this delegate are being issued right now; retry", retry_after=1
    )


def _check_not_revoked(record: DelegateRecord) -> None:
    """A revocation holds (CONTRACT.md, "Organiser decisions"): no new certificate, not even
    one with a corrected name, until an organiser lifts it."""
    from cme.errors import Revoked

    if record.revocation is not None:
        raise Revoked(
            f"a certificate of {record.delegate.delegate_id} was revoked; an organiser must "
            "lift the revocation before a new one is issued"
        )


def lift_revocation(
    store: Store, event_id: str, delegate_id: str, *, reason: str, actor: str, now: datetime
) -> bool:
    """Lift the delegate's revocation block (the revoked certificate stays revoked); False
    when there was none. Audited with the change."""
    from cme.deciding import Action, delegate_target
    from cme.errors import UnknownDelegate
    from cme.records import AuditEntry

    load_programme(store, event_id)
    record = load_delegate(store, event_id, delegate_id)
    if record.revocation is None:
        return False
    target = delegate_target(delegate_id, "revocation")
    entry = AuditEntry(now, actor, Action.REVOCATION_LIFTED, target, reason)
    try:
        store.lift_revocation(event_id, delegate_id, audit=entry)
    except WriteRefused:
        raise UnknownDelegate(f"no delegate {delegate_id} at {event_id}") from None
    return True


def _check_ready(record: DelegateRecord, statement: CreditStatement) -> None:
    """409s, in the contract's order: an empty cart, missing evaluations, a zero total."""
    match readiness(record.facts, statement):
        case Readiness.EMPTY_CART:
            raise NoCredits("the CME cart is empty")
        case Readiness.EVALUATIONS_MISSING:
            raise EvaluationsIncomplete(
                "every session in the cart must be evaluated first", statement.missing_evaluations
            )
        case Readiness.NOT_ELIGIBLE | Readiness.TEST_NOT_PASSED | Readiness.NO_CREDITS:
            raise NoCredits("no credits are earned yet")


def _check_printable(facts: CertificateFacts) -> None:
    """422 `unprintable_name` before anything is stored, rather than a certificate with
    a blank or partial name (or event text): each text and its characters are named."""
    from cme.certificate.fonts import printing_problems

    problems = printing_problems(facts)
    if problems:
        logger.warning(
            "certificate not issued: text without a font",
            extra={"code": UnprintableName.code, "problems": [p.as_dict() for p in problems]},
        )
        raise UnprintableName(problems)


def latest_certificate(
    store: Store,
    files: CertificatePdfs,
    event_id: str,
    delegate_id: str,
    *,
    now: datetime,
    lifetime: timedelta,
) -> CertificateAnswer:
    load_programme(store, event_id)
    record = load_delegate(store, event_id, delegate_id)
    latest = record.latest_certificate
    if latest is None:
        raise NoCertificate(f"no certificate has been issued to {delegate_id}")
    return _answer(files, latest, now=now, lifetime=lifetime, created=False)


def _keep(files: CertificatePdfs, certificate: Certificate) -> None:
    """The PDF of a stored certificate is kept: when S3 cannot say so now, the answer
    stands and a later answer about it tries again (`KEEP_AGAIN_FOR`)."""
    try:
        files.keep(certificate.pdf_key)
    except Throttled:
        logger.warning("certificate PDF still pending", extra={"serial": certificate.serial})


def _discard_unless_recorded(
    store: Store, files: CertificatePdfs, certificate: Certificate
) -> None:
    """Best effort: the lifecycle rule removes what this leaves."""
    try:
        if store.certificate(certificate.serial) is not None:
            _keep(files, certificate)
        else:
            files.discard(certificate.pdf_key)
    except Throttled:
        logger.warning(
            "unrecorded certificate PDF left pending", extra={"serial": certificate.serial}
        )


def _answer(
    files: CertificatePdfs,
    certificate: Certificate,
    *,
    now: datetime,
    lifetime: timedelta,
    created: bool,
) -> CertificateAnswer:
    """A certificate as it states itself, with a fresh download link (its PDF kept again
    while the lifecycle rule could still take it)."""
    if not created and now - certificate.issued_at < KEEP_AGAIN_FOR:
        _keep(files, certificate)
    filename = _filename(certificate.event_id, certificate.serial)
    return CertificateAnswer(
        serial=certificate.serial,
        url=files.download_url(certificate.pdf_key, filename=filename, lifetime=lifetime),
        url_expires_at=now + lifetime,
        total=certificate.total,
        days=certificate.days,
        status=certificate.status,
        issued_at=certificate.issued_at,
        created=created,
        kind=certificate.kind,
    )


def _filename(event_id: str, serial: str) -> str:
    return f"{event_id}-certificate-{display(serial)}.pdf"


def verify_url(base_url: str, serial: str) -> str:
    return f"{base_url.rstrip('/')}/certificates/{display(serial)}"


# --------------------------------------------------------------------------- verifying


def find_certificate(store: Store, serial_text: str) -> IssuedCertificate:
    """The certificate a serial names (case and hyphens ignored), or 404."""
    serial = canonical(serial_text)
    certificate = store.certificate(serial) if serial else None
    if certificate is None:
        raise UnknownCertificate("no certificate has this serial")
    return certificate


def verification(certificate: IssuedCertificate) -> Verification:
    """What public verification shows: what the certificate states, and its status."""
    from cme.certificate import CertificateDay
    from cme.verify_page import Verification

    stated = certificate.stated
    return Verification(
        serial=display(certificate.serial),
        event_id=certificate.event_id,
        event_name=stated["event_name"],
        delegate_name=stated["delegate_name"],
        total=Decimal(stated["total"]),
        unit=stated["unit"],
        issued_at=certificate.issued_at,
        status=certificate.status,
        days=tuple(
            CertificateDay(date.fromisoformat(d["date"]), Decimal(d["credits"]))
            for d in stated["days"]
        ),
        kind=stated.get("kind", "credits"),
    )


@dataclass(frozen=True, slots=True)
class Revocation:
    certificate: IssuedCertificate
    """As stored after the revocation: revoked."""
    revoked_now: bool
    """False when it was revoked already (by an earlier or a concurrent request)."""


def revoke_certificate(
    store: Store, serial_text: str, *, reason: str, now: datetime, actor: str = "unknown"
) -> Revocation:
    """Revoke for good (a valid or a superseded certificate); revoking again changes nothing.
    The revocation is an entry of the event's audit trail, written with it."""
    from cme.deciding import Action, delegate_target
    from cme.records import AuditEntry

    certificate = find_certificate(store, serial_text)
    revoked_now = False
    if certificate.status is not CertificateStatus.REVOKED:
        target = delegate_target(
            certificate.delegate_id, "certificates", display(certificate.serial)
        )
        entry = AuditEntry(now, actor, Action.REVOKED, target, reason)
        try:
            store.revoke_certificate(certificate, reason=reason, now=now, audit=entry)
            revoked_now = True
            from cme.projection import after_write

            after_write(store, certificate.event_id, certificate.delegate_id)
        except WriteRefused:
            pass  # revoked by a concurrent request: the outcome is the same
    return Revocation(find_certificate(store, certificate.serial), revoked_now)
