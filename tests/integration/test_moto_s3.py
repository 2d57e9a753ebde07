"""The local stack's moto answers NoSuchKey, as S3 does, when the tags of an object that
does not exist are removed (`cme_tools.local.moto_s3`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cme_tools.local import moto_s3


@pytest.fixture
def patched() -> Iterator[None]:
    installed_before = "delete_object_tagging" in moto_s3._state
    assert moto_s3.install()
    yield
    if not installed_before:
        moto_s3.uninstall()


def test_removing_a_missing_objects_tags_is_no_such_key(aws: dict[str, Any], patched: None) -> None:
    # Given the template's bucket, empty
    s3, bucket = aws["s3"], aws["CME_BUCKET_NAME"]
    # When the tags of a key that was never written are removed
    with pytest.raises(ClientError) as refused:
        s3.delete_object_tagging(Bucket=bucket, Key="certificates/eshg2025/missing.pdf")
    # Then S3's answer: 404 NoSuchKey
    assert refused.value.response["Error"]["Code"] == "NoSuchKey"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_an_existing_objects_tags_are_still_removed(aws: dict[str, Any], patched: None) -> None:
    # Given an object with a tag
    s3, bucket, key = aws["s3"], aws["CME_BUCKET_NAME"], "certificates/eshg2025/kept.pdf"
    s3.put_object(Bucket=bucket, Key=key, Body=b"%PDF", Tagging="cme-pending=true")
    # When its tags are removed, then it has none
    s3.delete_object_tagging(Bucket=bucket, Key=key)
    assert s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"] == []
