"""HTTP for every function: the resolver factory, the runtime (store, clock, settings) and the
one map from domain errors to status codes and problem+json.

Handlers stay thin: a route parses (pydantic, via the resolver's validation), calls one
domain function with the store and the clock, and shapes the answer with `json_response`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from importlib import resources
from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from simplejson import JSONDecodeError

from cme import errors
from cme.jsonio import dumps, loads
from cme.observability import flush_metrics, logger
from cme.records import Store
from cme.settings import Settings, settings
from cme.store.repository import DynamoStore
from cme.store.tasks import launch_task
from cme.timestamps import Clock, system_clock

PROBLEM_JSON = "application/problem+json"
JSON = "application/json"

STATUS: dict[type[errors.CmeError], int] = {
    errors.MalformedBody: 400,
    errors.BodyTooLarge: 413,
    errors.InvalidRequest: 422,
    errors.Unauthorized: 403,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.MethodNotAllowed: 405,
    errors.UnknownEvent: 404,
    errors.UnknownDelegate: 404,
    errors.UnknownSession: 404,
    errors.UnknownCertificate: 404,
    errors.UnknownTest: 404,
    errors.NoCertificate: 404,
    errors.InvalidProgramme: 422,
    errors.NotAConferenceDay: 422,
    errors.ScannedInFuture: 422,
    errors.ViewBeforeSession: 422,
    errors.ViewAfterSession: 422,
    errors.OutsideOnDemandWindow: 422,
    errors.NotRecorded: 422,
    errors.SessionNotAccredited: 422,
    errors.InvalidClaim: 422,
    errors.EvaluationNotOpen: 409,
    errors.ClaimDeadlinePassed: 409,
    errors.AlreadyEvaluated: 409,
    errors.IdReused: 409,
    errors.EvaluationsIncomplete: 409,
    errors.NoCredits: 409,
    errors.Revoked: 409,
    errors.UnprintableName: 422,
    errors.UnknownProfession: 422,
    errors.TestNotOpen: 409,
    errors.AlreadyPassed: 409,
    errors.NoAttemptsLeft: 409,
    errors.Throttled: 503,
}
"""The one place where a domain error becomes an HTTP status."""


ORGANISER = "organiser"
PLATFORM = "platform"
PUBLIC_ROLE = "public"

PLATFORM_KEY: list[dict[str, list[str]]] = [{"apiKey": []}, {"platformKey": []}]
"""A route's `security=` for what the platform may call (CONTRACT.md, "Roles"): either key.
A route that says nothing needs the organiser key (`apiKey`, the document's default), so a
route added without thought is closed to the platform rather than open to it."""
PUBLIC: list[dict[str, list[str]]] = []
"""A route's `security=` for what needs no key at all (verification, the OpenAPI document)."""


def route_role(security: list[dict[str, list[str]]] | None) -> str:
    """The role a route needs, from its declared OpenAPI security."""
    if security is None:
        return ORGANISER
    if not security:
        return PUBLIC_ROLE
    if {"platformKey": []} in security:
        return PLATFORM
    return ORGANISER


def caller_key_id(event: dict[str, Any]) -> str | None:
    """The id of the API key the request came with: API Gateway sets it after checking the
    key against the usage plan (`cme serve` does the same), so it is never the secret."""
    identity = (event.get("requestContext") or {}).get("identity") or {}
    key_id = identity.get("apiKeyId")
    return key_id if isinstance(key_id, str) and key_id else None


def caller_is_organiser(event: dict[str, Any]) -> bool:
    key_id = caller_key_id(event)
    return key_id is not None and key_id == settings().organiser_key_id


def _role_refusal(app: APIGatewayRestResolver, event: dict[str, Any]) -> errors.CmeError | None:
    """403 `forbidden` for a valid key of the wrong role: the one place that decides it,
    before the body is read. A path or method no route serves is left to the resolver
    (404 / 405)."""
    method = str(event.get("httpMethod") or "").upper()
    path = event.get("path") or "/"
    for route in app._static_routes + app._dynamic_routes:
        if route.method == method and route.rule.match(path):
            if route_role(route.security) != ORGANISER or caller_is_organiser(event):
                return None
            return errors.Forbidden("this operation needs the organiser's key")
    return None


def actor(app: APIGatewayRestResolver) -> str:
    """Who made a decision: the id of the API key the request came with."""
    return caller_key_id(app.current_event.raw_event) or "unknown"


def status_of(error: errors.CmeError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 422


@dataclass
class Runtime:
    """What a function's routes need besides the request: replaced by tests (a frozen
    clock, a store on moto) and created lazily in Lambda."""

    clock: Clock = system_clock
    store_factory: Callable[[], Store] = field(default=DynamoStore.default)
    launch: Callable[[dict[str, Any]], None] = field(default=launch_task)
    """Hands a long task to the function that runs it (`cme.tasks`); the local stack runs
    it on a thread instead."""

    def now(self) -> datetime:
        return self.clock()

    def store(self) -> Store:
        return self.store_factory()

    @property
    def settings(self) -> Settings:
        return settings()


runtime = Runtime()


@functools.cache
def openapi_document() -> str:
    """The API's OpenAPI document, generated from the functions' routes by the tools
    (`make openapi`) and shipped in the layer, so that serving it costs nothing."""
    return resources.files("cme").joinpath("openapi.json").read_text(encoding="utf-8")


DOCUMENTING = False
"""Set by `cme_tools.openapi` while it generates the document: only then do routes' answers
name their response models (building them costs cold-start time and serves nothing)."""

Answer = tuple[str, str | None] | tuple[str, str | None, dict[str, Any]]


def answers(
    spec: dict[int, Answer],
    *,
    refusals: Sequence[type[errors.CmeError]] = (),
    headers: dict[int, dict[str, Any]] | None = None,
) -> dict[int, OpenAPIResponse]:
    """A route's documented answers: status -> (description, model in `cme.answers` or
    None, other content types), the headers of some, and the domain refusals the route
    can answer (each as a problem with its status and code; the answers every route can
    give, such as 403 or a malformed body, are added by the document's generator)."""
    documented: dict[int, OpenAPIResponse] = {}
    for status, (description, model, *more) in spec.items():
        entry: OpenAPIResponse = {"description": description}
        content: dict[str, Any] = {}
        if model is not None and DOCUMENTING:
            from cme import answers as shapes

            content["application/json"] = {"model": getattr(shapes, model)}
        for extra in more:
            content.update(extra)
        if content:
            entry["content"] = content
        if headers and status in headers:
            entry["headers"] = headers[status]
        documented[status] = entry
    codes: dict[int, list[str]] = {}
    for refusal in refusals:
        codes.setdefault(STATUS[refusal], []).append(refusal.code)
    for status, listed in codes.items():
        documented[status] = problem_answer(listed)
    return documented


def problem_answer(codes: Sequence[str], description: str = "") -> OpenAPIResponse:
    """A documented problem answer: the Problem schema with `code` one of `codes`."""
    ordered = sorted(set(codes))
    return {
        "description": description or "Refused: " + ", ".join(ordered),
        "content": {
            PROBLEM_JSON: {
                "schema": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Problem"},
                        {"type": "object", "properties": {"code": {"enum": ordered}}},
                    ]
                }
            }
        },
    }


def problem_codes(answer: dict[str, Any]) -> list[str]:
    """The codes a documented problem answer (`problem_answer`) lists."""
    schema = answer.get("content", {}).get(PROBLEM_JSON, {}).get("schema", {})
    for part in schema.get("allOf", []):
        enum = part.get("properties", {}).get("code", {}).get("enum")
        if enum:
            return list(enum)
    return []


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response[Any]:
    """A JSON answer serialised here, so amounts leave as exact numbers (`cme.jsonio`)."""
    return Response(status_code=status, content_type=JSON, body=dumps(payload), headers=headers)


def problem(error: errors.CmeError) -> Response[Any]:
    status = status_of(error)
    logger.info("refused", extra={"code": error.code, "status": status})
    body = {
        "status": status,
        "title": HTTPStatus(status).phrase,
        "detail": error.detail,
        "code": error.code,
        **error.extra(),
    }
    headers = {}
    if isinstance(error, errors.Throttled):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, errors.MethodNotAllowed) and error.allowed:
        headers["Allow"] = ", ".join(error.allowed)
    return Response(
        status_code=status, content_type=PROBLEM_JSON, body=dumps(body), headers=headers
    )


def create_app() -> APIGatewayRestResolver:
    """A REST proxy resolver with validation, exact JSON and the contract's errors."""
    app = APIGatewayRestResolver(
        enable_validation=True,
        serializer=dumps,
        json_body_deserializer=_json_body,
    )

    def domain_error(error: errors.CmeError) -> Response[Any]:
        if status_of(error) >= 500:
            logger.warning("store unavailable", extra={"code": error.code})
        return problem(error)

    def invalid_request(error: RequestValidationError) -> Response[Any]:
        return problem(_request_problem(error.errors()))

    def not_found(_: NotFoundError) -> Response[Any]:
        method = app.current_event.http_method.upper()
        path = app.current_event.path
        allowed = sorted(
            {r.method for r in app._static_routes + app._dynamic_routes if r.rule.match(path)}
        )
        if allowed:
            return problem(errors.MethodNotAllowed(f"{method} is not allowed here", allowed))
        return problem(errors.NotFound(f"no such resource: {path}"))

    def unexpected(error: Exception) -> Response[Any]:
        logger.exception("unexpected error")
        body = {
            "status": 500,
            "title": "Internal Server Error",
            "detail": "something went wrong on our side; it is logged",
            "code": "internal_error",
        }
        return Response(status_code=500, content_type=PROBLEM_JSON, body=dumps(body))

    # Registered by call, not as decorators: powertools' decorators are untyped.
    app.exception_handler(errors.CmeError)(domain_error)
    app.exception_handler(RequestValidationError)(invalid_request)
    app.not_found(not_found)
    app.exception_handler(Exception)(unexpected)
    return app


def _json_body(text: str) -> Any:
    """The body as JSON with exact numbers (`cme.jsonio.loads`). powertools' validation turns
    only the standard library's JSONDecodeError into a request error; simplejson's is not
    one, and nesting too deep for the parser, or an integer of more digits than Python
    converts (4,300), is no JSON we can take either: each leaves as the standard library's
    error, so that they answer 400 rather than 500."""
    try:
        return loads(text, note_repeats=True)  # a programme refuses a repeated key
    except JSONDecodeError as error:
        raise json.JSONDecodeError(error.msg, error.doc, error.pos) from None
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None
    except ValueError as error:  # int_max_str_digits
        raise json.JSONDecodeError(f"a number is too long ({error})", text, 0) from None


def _request_problem(details: Sequence[Any]) -> errors.InvalidRequest:
    """400 when the body is not JSON or not an object; otherwise 422 naming the fields."""
    for detail in details:
        location = tuple(detail.get("loc", ()))
        if detail.get("type") == "json_invalid" or (
            location == ("body",)
            and detail.get("type")
            in {"model_attributes_type", "dict_type", "missing", "model_type"}
        ):
            return errors.MalformedBody("the body is not a JSON object")
    fields = [
        {
            "path": ".".join(str(part) for part in detail.get("loc", ())),
            "code": str(detail.get("type", "invalid")),
            "detail": str(detail.get("msg", "")),
        }
        for detail in details
    ]
    names = ", ".join(f["path"] for f in fields[:5]) or "the request"
    return errors.InvalidRequest(f"invalid: {names}", fields)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_IDS = re.compile(r"/(events|delegates|certificates)/([^/]+)")
_ID_NAMES = {"events": "event_id", "delegates": "delegate_id", "certificates": "serial"}


def handle(
    app: APIGatewayRestResolver, event: dict[str, Any], context: LambdaContext
) -> dict[str, Any]:
    """Run one API Gateway REST proxy event through the app: refuse bodies that are too
    large or not UTF-8 before routing, and log with the ids of the path."""
    # Route on the decoded path: `eshg%3AF-1` names the delegate `eshg:F-1`, as a client
    # that percent-encodes its path segments means (ids never hold '%', so decoding a path
    # that came decoded changes nothing).
    path = unquote(event.get("path") or "/")
    if _CONTROL.search(path):
        # No id holds a control character; and a route pattern's `$` would let a trailing
        # newline through (`/events/S01\n` read as S01), so such a path names nothing.
        return _as_proxy_result(problem(errors.NotFound(f"no such resource: {path!r}")))
    event["path"] = path
    logger.append_keys(**{_ID_NAMES[k]: v for k, v in _IDS.findall(event.get("path") or "")})
    refusal = _role_refusal(app, event) or _body_refusal(event)
    if refusal is not None:
        return _as_proxy_result(problem(refusal))
    _read_as_json(event)
    result = app.resolve(event, context)
    # One line a request: what was asked and answered, with the ids of the path (appended
    # above) but never a body: bodies hold emails and evaluation answers.
    logger.info(
        "answered",
        extra={"method": event.get("httpMethod"), "status": result.get("statusCode")},
    )
    return result


def _read_as_json(event: dict[str, Any]) -> None:
    """JSON is the only body this API reads ("JSON in and out"), whatever Content-Type a
    client states. powertools chooses a parser by Content-Type: it parses forms, fails with
    an error nothing maps (500) on any other type, and compares case-sensitively, so even
    `Application/JSON` failed. Read as JSON, a body that is not JSON is a plain 400."""
    for key, value in (("headers", JSON), ("multiValueHeaders", [JSON])):
        headers = event.get(key) or {}
        kept = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        kept["Content-Type"] = value
        event[key] = kept


def _body_refusal(event: dict[str, Any]) -> errors.CmeError | None:
    body = event.get("body")
    if body is None:
        return None
    raw: bytes
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return errors.MalformedBody("the body is not valid base64")
    else:
        raw = body.encode("utf-8", "surrogatepass")
    if len(raw) > settings().max_body_bytes:
        return errors.BodyTooLarge(f"the body is over {settings().max_body_bytes} bytes")
    if event.get("isBase64Encoded"):
        try:
            event["body"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            return errors.MalformedBody("the body is not UTF-8")
        event["isBase64Encoded"] = False
    return None


def _as_proxy_result(response: Response[Any]) -> dict[str, Any]:
    """A response given before routing, in the shape a REST proxy integration returns."""
    return {
        "statusCode": response.status_code,
        "headers": {k: v for k, v in response.headers.items() if isinstance(v, str)},
        "multiValueHeaders": {},
        "body": response.body,
        "isBase64Encoded": False,
    }


def lambda_entry(
    app: APIGatewayRestResolver, *, warm: Callable[[], object] | None = None
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The function's `lambda_handler`: logging context (request id as correlation id,
    state cleared between invocations) around `handle`, and the request's metrics written
    at its end. Made at the function's import: its SnapStart hooks are registered then
    (`cme.snapstart`; nothing outside Lambda's runtime), `warm` among them: what the
    function's first requests would otherwise load, loaded before a snapshot is taken."""
    from cme import snapstart

    snapstart.register(warm)

    @logger.inject_lambda_context(
        correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
    )
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            return handle(app, event, context)
        finally:
            flush_metrics()

    return lambda_handler
