"""Public verification (cme.verify_page): the contract's JSON and the HTML page."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from cme.certificate import CertificateDay
from cme.records import CertificateStatus
from cme.verify_page import (
    PAGE_HEADERS,
    Verification,
    render_verify_page,
    verification_as_json,
)

STATUSES = ("valid", "superseded", "revoked")


def verification(**changes: object) -> Verification:
    v = Verification(
        serial="7K3M-9QXD-2HRP-4WZA-6TBN",
        event_id="eshg2025",
        event_name="European Human Genetics Conference 2025 (ESHG 2025)",
        delegate_name="Łukasz Żółć",
        total=Decimal("15.0"),
        unit="ECMEC",
        issued_at=datetime(2025, 6, 2, 16, 3, 27, tzinfo=timezone(timedelta(hours=2))),
        status=CertificateStatus.VALID,
        days=(
            CertificateDay(date(2025, 5, 24), Decimal("7.5")),
            CertificateDay(date(2025, 5, 25), Decimal("4.5")),
            CertificateDay(date(2025, 5, 26), Decimal("3.0")),
            CertificateDay(date(2025, 5, 27), Decimal("0")),
        ),
    )
    return replace(v, **changes)  # type: ignore[arg-type]


class _Page(HTMLParser):
    """What a browser would see: text, tags, and attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.facts: list[str] = []
        """The text of each <dd>."""
        self._in: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in.append(tag)
        if tag == "dd":
            self.facts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._in:
            while self._in.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not {"style", "title"} & set(self._in):
            self.text.append(data)
        if "dd" in self._in:
            self.facts[-1] += data

    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


# --- JSON -----------------------------------------------------------------------------------


def test_json_has_exactly_the_contract_fields() -> None:
    body = verification_as_json(verification())

    assert body == {
        "serial": "7K3M-9QXD-2HRP-4WZA-6TBN",
        "event_id": "eshg2025",
        "event_name": "European Human Genetics Conference 2025 (ESHG 2025)",
        "delegate_name": "Łukasz Żółć",
        "total": Decimal("15.0"),
        "unit": "ECMEC",
        "issued_at": "2025-06-02T14:03:27Z",
        "status": "valid",
        "kind": "credits",
    }
    assert isinstance(body["total"], Decimal)


@pytest.mark.parametrize(
    ("total", "printed"),
    [(Decimal("15"), "15.0"), (Decimal("4.250"), "4.25"), (Decimal("0"), "0.0")],
)
def test_json_total_is_the_exact_amount(total: Decimal, printed: str) -> None:
    assert str(verification_as_json(verification(total=total))["total"]) == printed


# --- the page -------------------------------------------------------------------------------


def test_the_page_is_a_standalone_document_a_phone_can_read() -> None:
    html = render_verify_page(verification())
    page = _Page(html)

    assert html.lower().startswith("<!doctype html>")
    assert page.named("html") == [{"lang": "en"}]
    assert {"charset": "utf-8"} in page.named("meta")
    viewports = [m for m in page.named("meta") if m.get("name") == "viewport"]
    assert viewports and "width=device-width" in (viewports[0]["content"] or "")
    assert len(page.named("title")) == 1
    assert len(page.named("h1")) == 1


def test_the_page_makes_no_request_and_runs_no_script() -> None:
    html = render_verify_page(verification()).lower()
    page = _Page(html)

    assert not page.named("script")
    assert not page.named("link")
    assert not page.named("img")
    assert not page.named("iframe")
    assert "src=" not in html
    assert "url(" not in html
    assert "@import" not in html
    assert "http" not in html


def test_the_page_states_the_facts() -> None:
    text = _Page(render_verify_page(verification())).visible()

    assert "Łukasz Żółć" in text
    assert "European Human Genetics Conference 2025 (ESHG 2025)" in text
    assert "15.0 ECMEC®s" in text
    assert "7K3M-9QXD-2HRP-4WZA-6TBN" in text
    assert "2 June 2025, 14:03 UTC" in text
    for credits in ("7.5", "4.5", "3.0", "0.0"):
        assert re.search(rf"\b{re.escape(credits)}\b", text)


def test_the_issue_time_is_machine_readable_in_utc() -> None:
    page = _Page(render_verify_page(verification()))

    assert {"datetime": "2025-06-02T14:03:27Z"} in page.named("time")


@pytest.mark.parametrize(
    ("status", "word"),
    [("valid", "Valid"), ("superseded", "Superseded"), ("revoked", "Revoked")],
)
def test_the_status_is_said_in_words(status: str, word: str) -> None:
    page = _Page(render_verify_page(verification(status=status)))

    # the heading says it, and no other status word appears anywhere
    assert page.visible().startswith("CME certificate verification")
    assert word in page.visible()
    others = {"Valid", "Superseded", "Revoked"} - {word}
    assert not any(re.search(rf"\b{other}\b", page.visible()) for other in others)


def test_the_three_statuses_look_different() -> None:
    pages = {status: render_verify_page(verification(status=status)) for status in STATUSES}

    assert len(set(pages.values())) == 3


def test_a_naive_issue_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        render_verify_page(verification(issued_at=datetime(2025, 6, 2, 14, 3)))


def test_an_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="status"):
        render_verify_page(verification(status="pending"))


def test_everything_is_escaped() -> None:
    # Given names and an event that carry markup characters
    hostile = verification(
        delegate_name='Zoë <script>alert("x")</script> & O\'Brien',
        event_name='ESHG "2025" <b>Milan</b> & co',
        serial="<i>7K3M</i>",
        unit="<u>ECMEC</u>",
    )

    html = render_verify_page(hostile)
    page = _Page(html)

    # Then no markup of theirs reaches the page; their text reads back as written
    assert "<script" not in html
    assert "<b>" not in html
    assert "<i>" not in html
    assert "<u>" not in html
    assert not page.named("script")
    assert 'Zoë <script>alert("x")</script> & O\'Brien' in page.visible()
    assert 'ESHG "2025" <b>Milan</b> & co' in page.visible()
    assert "&amp;" in html
    assert "&lt;script&gt;" in html


def test_the_title_is_escaped_too() -> None:
    html = render_verify_page(verification(serial='"><script>x</script>'))

    title = html[html.index("<title>") : html.index("</title>")]
    assert "<script>" not in title


def test_the_page_states_only_what_the_certificate_states() -> None:
    page = _Page(render_verify_page(verification()))

    # the facts listed are exactly those of the certificate, and its status
    assert page.facts == [
        "Łukasz Żółć",
        "European Human Genetics Conference 2025 (ESHG 2025)",
        "Certificate of credits",
        "15.0 ECMEC®s",
        "2 June 2025, 14:03 UTC",
        "7K3M-9QXD-2HRP-4WZA-6TBN",
        "Valid",
    ]


def test_a_right_to_left_name_is_isolated() -> None:
    page = _Page(render_verify_page(verification(delegate_name="محمد عبد الله")))

    assert "محمد عبد الله" in page.visible()
    assert page.named("dd")[0].get("dir") == "rtl"


@pytest.mark.parametrize(
    ("name", "direction", "language"),
    [
        ("שרה לוי", "rtl", None),
        ("پریسا رضایی", "rtl", None),
        ("Łukasz Żółć", "ltr", None),
        ("Sarah לוי-Cohen", "ltr", None),  # starts left to right, as on the certificate
        ("山田 はなこ", "ltr", "ja"),
        ("김민준", "ltr", "ko"),
        ("李小龍", "ltr", "zh-Hant"),  # the glyph forms the certificate prints
    ],
)
def test_the_name_carries_its_direction_and_the_language_its_glyphs_need(
    name: str, direction: str, language: str | None
) -> None:
    page = _Page(render_verify_page(verification(delegate_name=name)))

    attributes = page.named("dd")[0]
    assert page.facts[0] == name
    assert (attributes.get("dir"), attributes.get("lang")) == (direction, language)


def test_the_page_is_served_with_a_policy_that_allows_only_its_own_stylesheet() -> None:
    html = render_verify_page(verification())
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in PAGE_HEADERS["Content-Security-Policy"].split(";")
    )
    style = html[html.index("<style>") + len("<style>") : html.index("</style>")]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()

    assert policy["default-src"] == "'none'"
    assert policy["style-src"] == f"'sha256-{digest}'"  # the page's one stylesheet
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["form-action"] == "'none'"
    assert PAGE_HEADERS["X-Frame-Options"] == "DENY"
    # a style attribute would be blocked by that policy: the page has none
    assert " style=" not in html
    assert html.count("<style>") == 1


def test_a_verification_without_days_has_no_table() -> None:
    page = _Page(render_verify_page(verification(days=())))

    assert not page.named("table")
    assert "15.0 ECMEC®s" in page.visible()


def test_times_print_in_utc_whatever_the_offset() -> None:
    late = verification(issued_at=datetime(2025, 6, 3, 0, 30, tzinfo=timezone(timedelta(hours=2))))

    text = _Page(render_verify_page(late)).visible()

    assert "2 June 2025, 22:30 UTC" in text
    assert verification_as_json(late)["issued_at"] == "2025-06-02T22:30:00Z"


def test_a_certificate_of_attendance_says_so_and_lists_the_days_attended() -> None:
    attendance = replace(
        verification(),
        total=Decimal(0),
        kind="attendance",
        days=(CertificateDay(date(2025, 5, 24), Decimal(0)),),
    )
    assert verification_as_json(attendance)["kind"] == "attendance"
    page = _Page(render_verify_page(attendance))
    assert page.facts[2] == "Certificate of attendance"
    assert "ECMEC" not in page.facts[3]
    assert "Days attended" in page.visible()
    assert "Credits by day" not in page.visible()
