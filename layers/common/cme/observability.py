"""The one Logger and Metrics of every function.

- Logs: structured JSON with the request's ids; never an email or an evaluation answer.
- Metrics: the service's business counts as CloudWatch embedded metric format (EMF), lines
  of the function's own log that CloudWatch turns into metrics: no API call, no latency.
  Counts of a request are flushed once at its end (`flush_metrics`); a count split by a
  dimension (a refusal's code) is its own line.
- Traces: Lambda's active tracing, switched on with the API's by the template's
  ApiTracing parameter. The X-Ray SDK costs more cold-start time than boto3 itself, so no
  subsegments are added in code.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

SERVICE = "cme-credits"
NAMESPACE = "CmeCredits"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


class Metric(StrEnum):
    """Every business metric, by its CloudWatch name."""

    SCANS_RECORDED = "ScansRecorded"
    SCANS_REPEATED = "ScansRepeated"
    """A scan id already stored with the same content: the 200 duplicate."""
    SCANS_REFUSED = "ScansRefused"
    """By `code`: the contract's error code."""
    VIEWS_RECORDED = "ViewsRecorded"
    CART_ITEMS_ADDED = "CartItemsAdded"
    EVALUATIONS_RECORDED = "EvaluationsRecorded"
    CERTIFICATES_ISSUED = "CertificatesIssued"
    CERTIFICATES_SUPERSEDED = "CertificatesSuperseded"
    CERTIFICATES_REVOKED = "CertificatesRevoked"
    REPORT_PAGES = "ReportPages"


def count(metric: Metric, value: int = 1) -> None:
    """Add to a count of this request (flushed at its end)."""
    if value:
        metrics.add_metric(name=metric.value, unit=MetricUnit.Count, value=value)


def count_by(metric: Metric, dimension: str, counts: Mapping[str, int]) -> None:
    """Counts split by one dimension, one EMF line per value, written now."""
    for value, number in sorted(counts.items()):
        if not number:
            continue
        with single_metric(
            name=metric.value,
            unit=MetricUnit.Count,
            value=number,
            namespace=NAMESPACE,
            default_dimensions={"service": SERVICE},
        ) as split:
            split.add_dimension(name=dimension, value=value)


def flush_metrics() -> None:
    """Write this request's counts, if it made any (no empty EMF line, no warning)."""
    if metrics.metric_set:
        metrics.flush_metrics()
