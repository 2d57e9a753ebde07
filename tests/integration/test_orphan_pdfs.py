"""No orphan PDFs (issue 14, item 7): a certificate PDF is written with the pending tag the
bucket's lifecycle rule expires, loses it once its record is stored, and is discarded at
once when the store refuses the record for good; through the real handlers on moto, with
the S3 and DynamoDB faults of `test_faults`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from cme.issuing import KEEP_AGAIN_FOR
from cme.store.files import PENDING_TAG
from tests.integration.test_faults import (
    BASE,
    DYNAMODB_FAULTS,
    S3_INTERNAL,
    AwsFaults,
    Fault,
    Stored,
    _evaluate_pl01,
    assert_throttled,
    cancelled,
    faults,
    fresh_aws_clients,
    ready,
    stored,
)

pytestmark = pytest.mark.usefixtures("parsed_once")

__all__ = ["faults", "fresh_aws_clients", "ready", "stored"]  # fixtures used here
UNTAG = frozenset({"DeleteObjectTagging"})


def tags(aws: dict[str, Any], key: str) -> dict[str, str]:
    found = aws["s3"].get_object_tagging(Bucket=aws["CME_BUCKET_NAME"], Key=key)["TagSet"]
    return {tag["Key"]: tag["Value"] for tag in found}


def pdf_key(serial: str) -> str:
    return f"certificates/eshg2025/{serial.replace('-', '')}.pdf"


def test_a_recorded_certificate_keeps_its_pdf(
    ready: Any, aws: dict[str, Any], stored: Stored
) -> None:
    # Given a delegate ready for a certificate
    # When it is issued
    answer = ready.post(f"{BASE}/certificate")
    # Then its PDF carries no pending tag: the lifecycle rule never takes it
    assert answer.status == 201
    assert stored.pdfs() == {pdf_key(answer.body["serial"])}
    assert tags(aws, pdf_key(answer.body["serial"])) == {}
    stored.assert_whole()


@pytest.mark.parametrize("fault", DYNAMODB_FAULTS, ids=lambda f: f.name)
def test_a_record_the_store_could_not_take_leaves_its_pdf_pending(
    ready: Any, aws: dict[str, Any], faults: AwsFaults, stored: Stored, fault: Fault
) -> None:
    # Given a delegate ready for a certificate
    # When the store fails while the certificate's record is written
    faults.fail(fault, operations=frozenset({"TransactWriteItems"}))
    assert_throttled(ready.post(f"{BASE}/certificate"))
    faults.clear()
    # Then the PDF written first is pending (the record may have landed: it is not
    # deleted), and the lifecycle rule expires it
    (orphan,) = stored.pdfs()
    assert tags(aws, orphan) == {PENDING_TAG: "true"}
    # And the retry's certificate is kept, the orphan left to the rule
    retried = ready.post(f"{BASE}/certificate")
    assert retried.status == 201
    kept = pdf_key(retried.body["serial"])
    assert stored.pdfs() == {orphan, kept}
    assert tags(aws, kept) == {}
    assert tags(aws, orphan) == {PENDING_TAG: "true"}
    stored.assert_whole()


def test_a_record_refused_for_good_discards_its_pdf_at_once(
    ready: Any, aws: dict[str, Any], faults: AwsFaults, stored: Stored
) -> None:
    # Given a delegate ready for a certificate
    # When the store refuses the first record (another request recorded one first, as
    # DynamoDB says it: a condition of the transaction failed)
    faults.fail(
        cancelled("ConditionalCheckFailed"), operations=frozenset({"TransactWriteItems"}), times=1
    )
    answer = ready.post(f"{BASE}/certificate")
    # Then the request judged again and issued one certificate: only its PDF is left
    assert answer.status == 201
    assert faults.failed["TransactWriteItems"] == 1
    assert faults.sent["DeleteObject"] == 1
    assert stored.pdfs() == {pdf_key(answer.body["serial"])}
    assert tags(aws, pdf_key(answer.body["serial"])) == {}
    stored.assert_whole()


@pytest.mark.usefixtures("fresh_aws_clients")
@pytest.mark.parametrize("again", ["GET", "POST"])
def test_a_pdf_that_could_not_lose_its_tag_loses_it_at_the_next_answer(
    ready: Any, aws: dict[str, Any], faults: AwsFaults, stored: Stored, again: str
) -> None:
    # Given S3 failing to clear tags while a certificate is issued
    faults.fail(S3_INTERNAL, service="s3", operations=UNTAG)
    answer = ready.post(f"{BASE}/certificate")
    faults.clear()
    # Then the certificate is answered all the same (it is recorded), its PDF still pending
    assert answer.status == 201
    assert faults.failed["DeleteObjectTagging"] >= 2  # botocore retried before giving up
    key = pdf_key(answer.body["serial"])
    assert tags(aws, key) == {PENDING_TAG: "true"}
    stored.assert_whole()
    # When the delegate asks for it again (a download, or issuing with nothing changed)
    later = ready.call(again, f"{BASE}/certificate")
    # Then the same certificate is answered and its PDF is kept
    assert (later.status, later.body["serial"]) == (200, answer.body["serial"])
    assert tags(aws, key) == {}


def test_an_old_certificates_answer_asks_s3_nothing(
    ready: Any, clock: list[Any], faults: AwsFaults
) -> None:
    # Given a certificate issued (and kept) longer ago than the lifecycle rule could act
    issued = ready.post(f"{BASE}/certificate")
    assert issued.status == 201
    untagged = faults.sent["DeleteObjectTagging"]
    clock[0] += KEEP_AGAIN_FOR + timedelta(seconds=1)
    # When it is asked for, then S3 is not called to keep it again
    assert ready.get(f"{BASE}/certificate").status == 200
    assert faults.sent["DeleteObjectTagging"] == untagged
    # But within the week it is
    clock[0] -= timedelta(seconds=2)
    assert ready.get(f"{BASE}/certificate").status == 200
    assert faults.sent["DeleteObjectTagging"] == untagged + 1


def test_a_superseding_certificate_is_kept_like_the_first(
    ready: Any, aws: dict[str, Any], stored: Stored
) -> None:
    first = ready.post(f"{BASE}/certificate").body["serial"]
    _evaluate_pl01(ready)
    second = ready.post(f"{BASE}/certificate")
    assert second.status == 201
    assert tags(aws, pdf_key(first)) == {}
    assert tags(aws, pdf_key(second.body["serial"])) == {}
    stored.assert_whole()
