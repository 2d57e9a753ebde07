"""Typed settings from the environment, read lazily (never at import) and cached.

Tests and `cme serve` change the environment and call `reset_settings()`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from functools import cache


@dataclass(frozen=True, slots=True)
class Settings:
    table_name: str
    """CME_TABLE_NAME: the DynamoDB table of every event's facts."""
    bucket_name: str
    """CME_BUCKET_NAME: the private bucket that holds certificate PDFs."""
    region: str
    """AWS_REGION (set by Lambda), else AWS_DEFAULT_REGION: always explicit for clients."""
    public_base_url: str
    """CME_PUBLIC_BASE_URL: where `/certificates/{serial}` is public (a custom domain,
    e.g. https://cme.example.org/v1). Empty: the stage URL the request came through."""
    url_lifetime: timedelta
    """CME_URL_TTL_SECONDS: how long a presigned certificate URL stays valid (900)."""
    clock_skew: timedelta
    """CME_CLOCK_SKEW_SECONDS: how far ahead of the server clock a device time may be (300)."""
    programme_cache: timedelta
    """CME_PROGRAMME_CACHE_SECONDS: how long a container reuses a programme it read to judge
    facts (60). What states credits (statements, certificates, the report) reads the
    programme's version first, and the programme again only when it changed."""
    max_body_bytes: int
    """CME_MAX_BODY_BYTES: larger request bodies are refused with 413 (1 MB)."""
    report_budget: timedelta
    """CME_REPORT_BUDGET_SECONDS: how long one report page may read before it ends early
    with a cursor (20; API Gateway answers 504 after 29 s)."""
    organiser_key_id: str = "local-organiser"
    """CME_ORGANISER_KEY_ID: the id of the organiser's API key (the template passes it); a
    request with any other key is the platform's."""
    tasks_function: str = "cme-organiser-tasks"
    """CME_TASKS_FUNCTION: the function that runs the organiser's long tasks (`cme.tasks`)."""
    retention_years: int = 6
    """CME_RETENTION_YEARS: how long an event's items and certificate PDFs are kept, counted
    from the event's last day (the stack's RetentionYears; ACCME asks for six years)."""
    endpoint_url: str | None = None
    """AWS_ENDPOINT_URL: an AWS stand-in (moto.server for `cme serve`); None in AWS."""


def _seconds(name: str, default: int) -> timedelta:
    return timedelta(seconds=int(os.environ.get(name, str(default))))


@cache
def settings() -> Settings:
    return Settings(
        table_name=os.environ.get("CME_TABLE_NAME", "cme-credits"),
        bucket_name=os.environ.get("CME_BUCKET_NAME", "cme-certificates"),
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1",
        public_base_url=os.environ.get("CME_PUBLIC_BASE_URL", "http://127.0.0.1:3000/v1").rstrip(
            "/"
        ),
        url_lifetime=_seconds("CME_URL_TTL_SECONDS", 900),
        clock_skew=_seconds("CME_CLOCK_SKEW_SECONDS", 300),
        programme_cache=_seconds("CME_PROGRAMME_CACHE_SECONDS", 60),
        max_body_bytes=int(os.environ.get("CME_MAX_BODY_BYTES", str(1024 * 1024))),
        report_budget=_seconds("CME_REPORT_BUDGET_SECONDS", 20),
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
        organiser_key_id=os.environ.get("CME_ORGANISER_KEY_ID") or "local-organiser",
        tasks_function=os.environ.get("CME_TASKS_FUNCTION") or "cme-organiser-tasks",
        retention_years=max(1, int(os.environ.get("CME_RETENTION_YEARS") or "6")),
    )


def reset_settings() -> None:
    settings.cache_clear()
