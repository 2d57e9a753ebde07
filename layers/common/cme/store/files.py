"""Certificate PDFs in S3: the other half of the store (the only other AWS code)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from cme.errors import Throttled
from cme.settings import Settings, settings

PDF = "application/pdf"
PENDING_TAG = "cme-pending"
"""Every PDF is written with this tag (`true`) and loses it once its certificate record is
stored; the bucket's lifecycle rule (infra/template.yaml, `expire-pending-pdfs`) expires
what still carries it a day later: a PDF whose record never landed does not stay."""


def pdf_key(event_id: str, serial: str) -> str:
    """Every PDF lives under `certificates/`: the certificate function may write and read
    exactly that prefix and nothing else."""
    return f"certificates/{event_id}/{serial}.pdf"


class CertificateFiles:
    """Writes certificate PDFs and signs short-lived download links. The boto3 client is
    created on first use, with the region explicit and SigV4 signatures."""

    def __init__(self, config: Settings | None = None) -> None:
        self.config = config or settings()
        self._client: Any = None

    _default: CertificateFiles | None = None

    @classmethod
    def default(cls) -> CertificateFiles:
        if cls._default is None or cls._default.config != settings():
            cls._default = cls()
        return cls._default

    def client(self) -> Any:
        """Made from the botocore session of the table's client: one session per container,
        so the endpoint data and service list botocore reads are read once, and boto3 is
        never imported (botocore's client signs links too)."""
        if self._client is None:
            from botocore.config import Config

            from cme.store.repository import DynamoStore

            options: dict[str, Any] = {
                "signature_version": "s3v4",
                "retries": {"mode": "standard", "max_attempts": 3},
                "connect_timeout": 2,
                "read_timeout": 10,
            }
            if self.config.endpoint_url:
                options["s3"] = {"addressing_style": "path"}
            session = DynamoStore.default().connection().session
            self._client = session.create_client(
                "s3",
                region_name=self.config.region,
                endpoint_url=self.config.endpoint_url,
                config=Config(**options),
            )
        return self._client

    def put(self, key: str, data: bytes, *, title: str) -> None:
        calling_s3(
            lambda: self.client().put_object(
                Bucket=self.config.bucket_name,
                Key=key,
                Body=data,
                ContentType=PDF,
                Metadata={"title": title.encode("ascii", "replace").decode()[:200]},
                Tagging=f"{PENDING_TAG}=true",
            ),
            "the certificate could not be stored; retry shortly",
        )

    def keep(self, key: str) -> None:
        """Its record is stored: the PDF loses the pending tag (its only tag)."""
        self._calling("delete_object_tagging", key)

    def discard(self, key: str) -> None:
        """Its record will never be stored: removed now (the version left behind is
        pending, so the lifecycle rule removes it too)."""
        self._calling("delete_object", key)

    def _calling(self, operation: str, key: str) -> None:
        calling_s3(
            lambda: getattr(self.client(), operation)(Bucket=self.config.bucket_name, Key=key),
            "the certificate files cannot be reached",
        )

    def download_url(self, key: str, *, filename: str, lifetime: timedelta | None = None) -> str:
        """A presigned GET URL (SigV4) valid for `lifetime` (the URL-lifetime setting)."""
        seconds = int((lifetime or self.config.url_lifetime).total_seconds())
        url: str = self.client().generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.config.bucket_name,
                "Key": key,
                "ResponseContentType": PDF,
                "ResponseContentDisposition": f'inline; filename="{filename}"',
            },
            ExpiresIn=seconds,
        )
        return url


def calling_s3(call: Callable[[], object], refusal: str) -> None:
    """An S3 call whose failure (after botocore's own retries) is the store's `Throttled`,
    with `refusal` as its detail: the client may send the request again shortly."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        call()
    except (BotoCoreError, ClientError) as error:
        raise Throttled(refusal, retry_after=2) from error
