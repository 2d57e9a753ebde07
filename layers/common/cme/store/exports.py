"""Report exports in S3: the CSV of a whole event and a small JSON record of the export's
state beside it, both under `exports/<event_id>/`, the only prefix the organiser's
functions may touch in the bucket (a lifecycle rule removes them after a week: they hold
personal data). S3 reads its own writes, so the record needs no table of its own."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import IO, Any

from cme.errors import Throttled
from cme.settings import Settings, settings
from cme.store.files import CertificateFiles, calling_s3

CSV = "text/csv; charset=utf-8"
RECORD = "application/json"
STORING = "the export could not be stored; retry shortly"


def export_prefix(event_id: str) -> str:
    return f"exports/{event_id}/"


def csv_key(event_id: str, export_id: str) -> str:
    return f"{export_id_prefix(event_id, export_id)}.csv"


def record_key(event_id: str, export_id: str) -> str:
    return f"{export_id_prefix(event_id, export_id)}.json"


def export_id_prefix(event_id: str, export_id: str) -> str:
    return f"{export_prefix(event_id)}{export_id}"


class ReportExports:
    """Writes an export's record and CSV and signs its download link. The S3 client is the
    certificate files' one (the same bucket, region, SigV4 and retries), created on first
    use."""

    def __init__(self, config: Settings | None = None) -> None:
        self.config = config or settings()
        self._files = CertificateFiles(self.config)

    def client(self) -> Any:
        return self._files.client()

    def put_record(self, event_id: str, export_id: str, record: dict[str, Any]) -> None:
        calling_s3(
            lambda: self.client().put_object(
                Bucket=self.config.bucket_name,
                Key=record_key(event_id, export_id),
                Body=json.dumps(record).encode(),
                ContentType=RECORD,
            ),
            STORING,
        )

    def record(self, event_id: str, export_id: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            answer = self.client().get_object(
                Bucket=self.config.bucket_name, Key=record_key(event_id, export_id)
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise Throttled("the export could not be read; retry shortly", retry_after=2) from error
        found: dict[str, Any] = json.loads(answer["Body"].read())
        return found

    def put_csv(self, event_id: str, export_id: str, data: IO[bytes]) -> None:
        """The CSV from a file positioned at its start, in one PutObject (up to 5 GB: some
        fifty million delegates; the client rewinds the file to send it again on a retry)."""
        calling_s3(
            lambda: self.client().put_object(
                Bucket=self.config.bucket_name,
                Key=csv_key(event_id, export_id),
                Body=data,
                ContentType=CSV,
            ),
            STORING,
        )

    def download_url(self, event_id: str, export_id: str, *, lifetime: timedelta) -> str:
        url: str = self.client().generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.config.bucket_name,
                "Key": csv_key(event_id, export_id),
                "ResponseContentType": CSV,
                "ResponseContentDisposition": f'attachment; filename="{event_id}-report.csv"',
            },
            ExpiresIn=int(lifetime.total_seconds()),
        )
        return url
