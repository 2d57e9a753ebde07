"""pynamodb models of the single table: one model per item kind, told apart by `kind`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pynamodb.attributes import (
    Attribute,
    BinaryAttribute,
    BooleanAttribute,
    DiscriminatorAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import TableConnection
from pynamodb.constants import NUMBER
from pynamodb.models import Model

from cme.settings import Settings


class DecimalAttribute(Attribute[Decimal]):
    """A number kept exact: DynamoDB stores numbers as decimal text, and so do we.
    (pynamodb's NumberAttribute goes through float.)"""

    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        return format(value, "f")

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


class Item(Model):
    class Meta:
        table_name = "cme-credits"
        region = "eu-west-1"
        connect_timeout_seconds = 2
        read_timeout_seconds = 5
        max_retry_attempts = 3

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()
    expires_at = NumberAttribute(null=True)
    """Epoch seconds when DynamoDB's TTL deletes the item: the event's last day plus the
    retention period. Stamped on every write by `DynamoStore.transact`, never by hand."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        """Every item kind shares the table's one connection (one botocore client):
        pynamodb would otherwise keep one per model class."""
        return super(Item, Item)._get_connection()


def reset_connection() -> None:
    """Forget the table's connection (and its botocore client): the next call makes a new
    one, for new settings or, in tests, a fresh retry quota."""
    meta: Any = Item
    meta._connection = None


def bind(settings: Settings) -> None:
    """Point the models at the configured table, region and endpoint (lazily, once per
    settings): nothing is read from the environment at import time."""
    meta: Any = Item.Meta
    wanted = (settings.table_name, settings.region, settings.endpoint_url)
    if getattr(meta, "_bound", None) == wanted:
        return
    meta.table_name, meta.region, meta.host = wanted
    # A stand-in (moto) on a busy laptop answers slower than DynamoDB: let it.
    meta.read_timeout_seconds = 30 if settings.endpoint_url else 5
    meta._bound = wanted
    reset_connection()


class ProgrammeItem(Item, discriminator="programme"):
    document = BinaryAttribute(legacy_encoding=False)
    """The canonical programme document as zlib-compressed JSON (amounts exact): a
    programme may be up to 1 MB as JSON, an item at most 400 KB."""
    version = NumberAttribute()
    updated_at = UTCDateTimeAttribute()


class ProgrammeVersionItem(Item, discriminator="programme_version"):
    """The programme's version alone, in an item of its own: DynamoDB bills a read by the
    size of the item (a projection does not make it cheaper), so a strongly consistent
    read of this one costs one read unit where the document may cost dozens."""

    version = NumberAttribute()


class ProfileItem(Item, discriminator="delegate"):
    delegate_id = UnicodeAttribute()
    name = UnicodeAttribute()
    attendance = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    profession = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    erased_at = UTCDateTimeAttribute(null=True)
    """When the email and answers were erased: answers arriving later are not kept."""


class ScanGuardItem(Item, discriminator="scan_id"):
    scan_id = UnicodeAttribute()
    delegate_id = UnicodeAttribute()
    station_id = UnicodeAttribute()
    scanned_at = UTCDateTimeAttribute()
    day = UnicodeAttribute()
    room = UnicodeAttribute(null=True)
    direction = UnicodeAttribute(null=True)
    """`in` or `out`; absent on items written before scans had a direction: `in`."""


class ScanItem(Item, discriminator="scan"):
    scan_id = UnicodeAttribute()
    station_id = UnicodeAttribute()
    scanned_at = UTCDateTimeAttribute()
    """The device's time."""
    received_at = UTCDateTimeAttribute()
    """The server's time when the scan arrived (a late offline sync shows here)."""
    day = UnicodeAttribute()
    room = UnicodeAttribute(null=True)
    direction = UnicodeAttribute(null=True)
    """`in` or `out`; absent on items written before scans had a direction: `in`."""


class ViewGuardItem(Item, discriminator="view_id"):
    view_id = UnicodeAttribute()
    delegate_id = UnicodeAttribute()
    session_id = UnicodeAttribute()
    view_kind = UnicodeAttribute()
    watched_at = UTCDateTimeAttribute()
    seconds = NumberAttribute(null=True)


class ViewItem(Item, discriminator="view"):
    view_id = UnicodeAttribute()
    session_id = UnicodeAttribute()
    view_kind = UnicodeAttribute()
    watched_at = UTCDateTimeAttribute()
    seconds = NumberAttribute(null=True)
    received_at = UTCDateTimeAttribute()


class CartEntryItem(Item, discriminator="cart"):
    session_id = UnicodeAttribute()
    added_at = UTCDateTimeAttribute()


class EvaluationItem(Item, discriminator="evaluation"):
    session_id = UnicodeAttribute()
    submitted_at = UTCDateTimeAttribute()
    answers = UnicodeAttribute(null=True)
    """Canonical JSON of the answers (compared on retries; never logged); absent once
    erased."""
    claimed_credits = DecimalAttribute(null=True)
    """What the delegate claimed with the evaluation, if anything (`self_claimed`)."""
    received_at = UTCDateTimeAttribute()


class AttemptItem(Item, discriminator="test_attempt"):
    """An attempt at a learning test (`DEL#<d>#ATTEMPT#<attempt_id>`)."""

    attempt_id = UnicodeAttribute()
    test_id = UnicodeAttribute()
    submitted_at = UTCDateTimeAttribute()
    answers = UnicodeAttribute(null=True)
    """Canonical JSON of the options chosen (compared on retries; never logged); absent
    once erased."""
    correct = NumberAttribute(null=True)
    """How many answers were correct when graded: the standing once the answers are gone."""
    received_at = UTCDateTimeAttribute()


class TestStandingItem(Item, discriminator="test_standing"):
    """The delegate's standing with one test (`DEL#<d>#TESTS#<test_id>`): written in the
    same transaction as each attempt, on the condition that the test is not passed and
    fewer attempts than allowed are used, so that concurrent attempts cannot exceed the
    limit or follow a pass."""

    __test__ = False  # not a pytest class
    test_id = UnicodeAttribute()
    used = NumberAttribute()
    passed = BooleanAttribute()


class RefusedScanItem(Item, discriminator="refused_scan"):
    scan_id = UnicodeAttribute()
    delegate_id = UnicodeAttribute()
    station_id = UnicodeAttribute()
    scanned_at = UTCDateTimeAttribute()
    received_at = UTCDateTimeAttribute()
    code = UnicodeAttribute()
    detail = UnicodeAttribute()
    room = UnicodeAttribute(null=True)
    direction = UnicodeAttribute(null=True)


class CertificateItem(Item, discriminator="certificate"):
    """A certificate by serial (`CERT#<serial>`): what public verification reads."""

    serial = UnicodeAttribute()
    event_id = UnicodeAttribute()
    delegate_id = UnicodeAttribute()
    status = UnicodeAttribute()
    fingerprint = UnicodeAttribute()
    facts = UnicodeAttribute()
    """JSON snapshot of everything the certificate states, as issued."""
    pdf_key = UnicodeAttribute()
    issued_at = UTCDateTimeAttribute()
    changed_at = UTCDateTimeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    """Why it was revoked (the organiser's words)."""


class CertificateCopyItem(Item, discriminator="delegate_certificate"):
    """The same certificate under its delegate (`DEL#<d>#CERT#<serial>`), so that the
    statement and report Query sees it."""

    serial = UnicodeAttribute()
    status = UnicodeAttribute()
    total = DecimalAttribute()
    days = UnicodeAttribute()
    """JSON [[date, credits], ...] as the certificate states them."""
    issued_at = UTCDateTimeAttribute()
    pdf_key = UnicodeAttribute()
    certificate_kind = UnicodeAttribute(null=True)
    """`attendance` for a certificate of attendance; absent: of credits."""


class CertificateHeadItem(Item, discriminator="certificate_head"):
    """The delegate's latest certificate and the fingerprint of its facts: concurrent
    requests for the same delegate race on it (each conditions its write on the serial it
    read), and one serial wins."""

    serial = UnicodeAttribute()
    fingerprint = UnicodeAttribute()


class ProjectionItem(Item, discriminator="projection"):
    """A delegate's report row kept current (`PROJ#<d>`). Every write that changes what the
    row depends on adds 1 to `pending` in its own transaction; `row` was computed when
    `pending` was `projected`, against programme `programme_version`. The row is current
    when both still hold."""

    pending = NumberAttribute(default=0)
    projected = NumberAttribute(null=True)
    programme_version = NumberAttribute(null=True)
    row = UnicodeAttribute(null=True)
    """JSON of the row (`cme.projection`)."""


class ExtensionItem(Item, discriminator="extension"):
    """The organiser's extension of one delegate's claim deadline (a decision)."""

    until = UnicodeAttribute()
    """Local time in the event's zone, as stated."""
    actor = UnicodeAttribute()
    decided_at = UTCDateTimeAttribute()
    reason = UnicodeAttribute()


class GrantItem(Item, discriminator="grant"):
    """Evidence the organiser granted for one session of one delegate (a decision)."""

    session_id = UnicodeAttribute()
    actor = UnicodeAttribute()
    decided_at = UTCDateTimeAttribute()
    reason = UnicodeAttribute()


class AuditItem(Item, discriminator="audit"):
    """An entry of the event's audit trail: never an email or an answer."""

    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    target = UnicodeAttribute()
    reason = UnicodeAttribute()


class RevocationItem(Item, discriminator="revocation"):
    """A revocation that holds: no new certificate for the delegate until it is lifted."""

    serial = UnicodeAttribute()
    actor = UnicodeAttribute()
    decided_at = UTCDateTimeAttribute()
    reason = UnicodeAttribute()
