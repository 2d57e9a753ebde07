"""API Gateway REST proxy events, as API Gateway builds them for a Lambda proxy integration
(the stage is not part of `path`)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

ORGANISER_KEY_ID = "local-organiser"
"""The organiser key's id locally (`CME_ORGANISER_KEY_ID`'s default in the layer)."""
PLATFORM_KEY_ID = "local-platform"
"""The platform key's id locally."""


def rest_event(
    method: str,
    path: str,
    *,
    body: bytes | str | None = None,
    headers: Mapping[str, str] | None = None,
    query: str = "",
    stage: str = "v1",
    source_ip: str = "127.0.0.1",
    domain_name: str = "localhost",
    api_key_id: str | None = ORGANISER_KEY_ID,
) -> dict[str, Any]:
    """`api_key_id`: the id of the key the gateway accepted (the organiser's by default, as
    `cme serve` and the tests run; None for a public route called without a key)."""
    headers = dict(headers or {})
    params = parse_qs(query, keep_blank_values=True) if query else {}
    encoded = False
    text: str | None
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode("ascii"), True
    else:
        text = body
    now = datetime.now(UTC)
    return {
        "resource": path,
        "path": path,
        "httpMethod": method.upper(),
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in params.items()} or None,
        "multiValueQueryStringParameters": params or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method.upper(),
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "identity": {
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
                "apiKeyId": api_key_id,
            },
            "protocol": "HTTP/1.1",
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": domain_name,
        },
        "body": text,
        "isBase64Encoded": encoded,
    }
