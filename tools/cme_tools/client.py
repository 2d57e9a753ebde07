"""A small HTTP client of the cme-credits API, on the standard library (`urllib.request`).

JSON goes out and comes back through `cme.jsonio`, so credit amounts stay exact decimals
both ways. An answer of 400 or more becomes an `ApiError` carrying the status and the
contract's `code` from the problem+json body; a network failure becomes `ApiUnreachable`.
429 and 503 (`throttled`) are retried, honouring `Retry-After`.
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.client import HTTPException, HTTPResponse
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from cme.jsonio import dumps, loads

JSON = "application/json"
CSV = "text/csv"
HTML = "text/html"
RETRYABLE = frozenset({429, 503})
USER_AGENT = "cme-credits-cli/0.1 (+urllib)"
_LINK_NEXT = re.compile(r'<([^>]*)>\s*;[^,]*?\brel="?next"?', re.IGNORECASE)


class ApiUnreachable(Exception):
    """No HTTP answer at all: refused connection, unknown host, timeout, broken TLS."""


class UnexpectedAnswer(Exception):
    """An answer that is not what the API gives: not JSON, a link elsewhere or in a loop."""


class InvalidApiUrl(ValueError):
    """The API's base URL is not an absolute http(s) URL."""


class ApiError(Exception):
    """An HTTP answer of 400 or more, as the contract's problem+json describes it."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        problem: Mapping[str, Any] | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.problem: Mapping[str, Any] = problem or {}
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Reply:
    """A successful answer: status, headers (names in lower case) and the raw body."""

    status: int
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        try:
            return loads(self.body) if self.body else None
        except ValueError as error:
            raise UnexpectedAnswer(f"not JSON from {self.url}: {error}") from None

    def text(self) -> str:
        return self.body.decode("utf-8")

    def next_link(self) -> str | None:
        """The absolute URL of `Link: <...>; rel="next"`, if any."""
        match = _LINK_NEXT.search(self.headers.get("link", ""))
        return urljoin(self.url, match.group(1)) if match else None


def resource(*segments: str) -> str:
    """A path from segments, each percent-encoded whole (an id can never add a `/`)."""
    return "/".join(quote(segment, safe="") for segment in segments)


def check_base_url(url: str) -> str:
    """The API's base URL without its trailing slash, e.g. `https://.../v1`."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query:
        raise InvalidApiUrl(
            f"not an API URL: {url!r} (expected http(s)://HOST[:PORT]/v1, as `cme serve` "
            "or the deployment prints)"
        )
    return url.strip().rstrip("/")


class CmeClient:
    """The API at `base_url` with the key sent as `x-api-key` (never to another origin)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float = 30.0,
        attempts: int = 6,
        max_wait: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.api_key = api_key
        self.timeout = timeout
        self.attempts = attempts
        self.max_wait = max_wait
        self._sleep = sleep
        self._origin = _origin(self.base_url)
        # No redirects are followed: a redirect to another host must not carry the key.
        self._opener = urllib.request.build_opener(_NoRedirect)

    # ------------------------------------------------------------------ verbs

    def get(
        self, path: str, *, query: Mapping[str, Any] | None = None, accept: str = JSON
    ) -> Reply:
        return self.request("GET", path, query=query, accept=accept)

    def put(self, path: str, body: Any) -> Reply:
        return self.request("PUT", path, body=body)

    def post(self, path: str, body: Any = None) -> Reply:
        return self.request("POST", path, body=body)

    def delete(self, path: str) -> Reply:
        return self.request("DELETE", path)

    def url_for(self, path: str, query: Mapping[str, Any] | None = None) -> str:
        url = f"{self.base_url}/{path.lstrip('/')}"
        if query:
            url += "?" + urlencode({k: v for k, v in query.items() if v is not None})
        return url

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        accept: str = JSON,
    ) -> Reply:
        """`path` is relative to the base URL, or an absolute URL of the same origin."""
        url = path if "://" in path else self.url_for(path, query)
        if _origin(url) != self._origin:
            raise UnexpectedAnswer(f"refusing to send the API key to another origin: {url}")
        headers = {"Accept": accept, "User-Agent": USER_AGENT}
        if self.api_key is not None:
            headers["x-api-key"] = self.api_key
        data = None
        if body is not None:
            data = dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        return self._with_retries(lambda: self._send(method, url, data, headers))

    def pages(
        self, path: str, *, query: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every page of a JSON listing that names the next one in `next_cursor`."""
        cursor: str | None = None
        while True:
            page = self.get(path, query={**(query or {}), "cursor": cursor}).json()
            yield page
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def linked_pages(
        self, path: str, *, query: Mapping[str, Any] | None = None, accept: str = CSV
    ) -> Iterator[Reply]:
        """Every page of a listing that names the next one in a `Link: rel="next"` header."""
        reply = self.get(path, query=query, accept=accept)
        yield reply
        seen = {reply.url}
        while (link := reply.next_link()) is not None:
            if link in seen:
                raise UnexpectedAnswer(f"the API's next link goes round in a circle: {link}")
            seen.add(link)
            reply = self.request("GET", link, accept=accept)
            yield reply

    def fetch_public(self, url: str) -> Reply:
        """GET a public link (a presigned S3 URL) with none of our headers: it is signed for
        exactly what it names, and the API key must never leave for another host."""
        if urlsplit(url).scheme not in {"http", "https"}:
            raise UnexpectedAnswer(f"not a download link: {url[:80]!r}")
        headers = {"User-Agent": USER_AGENT}
        return self._with_retries(lambda: self._send("GET", url, None, headers))

    # ------------------------------------------------------------------ plumbing

    def _with_retries(self, send: Callable[[], Reply]) -> Reply:
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            retry=retry_if_exception(
                lambda error: isinstance(error, ApiError) and error.status in RETRYABLE
            ),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        return retrying(send)

    def _wait(self, state: RetryCallState) -> float:
        """Retry-After when the API gives it, else 0.5 s doubling, never above `max_wait`."""
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, ApiError) and error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_wait)
        return min(0.5 * 2.0 ** (state.attempt_number - 1), self.max_wait)

    def _send(self, method: str, url: str, data: bytes | None, headers: dict[str, str]) -> Reply:
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - http(s) checked
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return _reply(response, url)
        except urllib.error.HTTPError as error:
            with error:
                raise _api_error(error.code, error.headers, error.read()) from None
        except urllib.error.URLError as error:
            raise ApiUnreachable(f"cannot reach {_origin(url)}: {error.reason}") from None
        except (TimeoutError, ConnectionError, HTTPException) as error:
            reason = str(error) or type(error).__name__
            raise ApiUnreachable(f"no answer from {_origin(url)}: {reason}") from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _reply(response: HTTPResponse, url: str) -> Reply:
    headers = {name.lower(): value for name, value in response.headers.items()}
    return Reply(status=response.status, url=url, headers=headers, body=response.read())


def _api_error(status: int, raw_headers: Any, body: bytes) -> ApiError:
    headers = {name.lower(): value for name, value in (raw_headers or {}).items()}
    retry_after = _retry_after(headers.get("retry-after"))
    problem: Any = None
    if "json" in headers.get("content-type", ""):
        try:
            problem = loads(body)
        except ValueError:
            problem = None
    if isinstance(problem, dict) and isinstance(problem.get("code"), str):
        detail = str(problem.get("detail") or problem.get("title") or "")
        return ApiError(status, problem["code"], detail, problem, retry_after=retry_after)
    # Not the contract's problem+json (a proxy, S3, a gateway before the functions).
    snippet = body[:200].decode("utf-8", "replace").strip().replace("\n", " ")
    return ApiError(status, f"http_{status}", snippet or "no details", retry_after=retry_after)


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: delta-seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
