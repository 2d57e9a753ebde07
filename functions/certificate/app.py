"""Certificate function: issuing certificates as PDFs in S3 with short-lived download links,
and their public verification (no API key) and revocation."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from cme import api, errors, issuing
from cme.amounts import for_json
from cme.observability import Metric, count
from cme.schemas import DecisionIn, DelegateId, EventId, RevokeIn
from cme.serials import display
from cme.store.files import CertificateFiles

app = api.create_app()
runtime = api.runtime
Serial = Annotated[str, Path(max_length=64)]
CERTIFICATE = "/events/<event_id>/delegates/<delegate_id>/certificate"
VERIFY_PAGE = {
    "type": "string",
    "description": "For a browser (Accept: text/html first): a small accessible HTML page, "
    "self-contained (no script, font or image), stating the same facts as the JSON and the "
    "status in words; sent with a Content-Security-Policy and X-Frame-Options: DENY.",
}


def _public_base_url() -> str:
    """The setting, else the stage URL this request came through (the template cannot pass
    the API's own URL to its functions without a circular dependency)."""
    if runtime.settings.public_base_url:
        return runtime.settings.public_base_url
    context = app.current_event.request_context
    return f"https://{context.domain_name}/{context.stage}"


def _payload(answer: issuing.CertificateAnswer) -> dict[str, Any]:
    return {
        "serial": display(answer.serial),
        "url": answer.url,
        "url_expires_at": answer.url_expires_at,
        "total": for_json(answer.total),
        "days": [{"date": day, "credits": for_json(credits)} for day, credits in answer.days],
        "status": answer.status,
        "issued_at": answer.issued_at,
        "kind": answer.kind,
    }


@app.post(
    CERTIFICATE,
    summary="Issue the delegate's certificate (the same one again when nothing changed)",
    security=api.PLATFORM_KEY,
    responses=api.answers(
        {
            201: ("Issued", "CertificateOut"),
            200: ("Unchanged: the latest certificate, with a fresh link", "CertificateOut"),
        },
        refusals=(
            errors.UnknownEvent,
            errors.UnknownDelegate,
            errors.Revoked,
            errors.NoCredits,
            errors.EvaluationsIncomplete,
            errors.UnprintableName,
        ),
    ),
)
def post_certificate(event_id: EventId, delegate_id: DelegateId) -> Response[Any]:
    answer = issuing.issue_certificate(
        runtime.store(),
        CertificateFiles.default(),
        event_id,
        delegate_id,
        now=runtime.now(),
        base_url=_public_base_url(),
        lifetime=runtime.settings.url_lifetime,
    )
    if answer.created:
        count(Metric.CERTIFICATES_ISSUED)
    if answer.superseded:
        count(Metric.CERTIFICATES_SUPERSEDED)
    return api.json_response(_payload(answer), 201 if answer.created else 200)


@app.get(
    CERTIFICATE,
    summary="The delegate's latest certificate, with a fresh download link",
    security=api.PLATFORM_KEY,
    responses=api.answers(
        {200: ("The latest certificate", "CertificateOut")},
        refusals=(errors.UnknownEvent, errors.UnknownDelegate, errors.NoCertificate),
    ),
)
def get_certificate(event_id: EventId, delegate_id: DelegateId) -> Response[Any]:
    answer = issuing.latest_certificate(
        runtime.store(),
        CertificateFiles.default(),
        event_id,
        delegate_id,
        now=runtime.now(),
        lifetime=runtime.settings.url_lifetime,
    )
    return api.json_response(_payload(answer))


@app.get(
    "/certificates/<serial>",
    summary="Verify a certificate (public): JSON, or a page for a browser",
    security=api.PUBLIC,
    responses=api.answers(
        {
            200: (
                "What the certificate states and its status",
                "VerificationOut",
                {"text/html": {"schema": VERIFY_PAGE}},
            )
        },
        refusals=(errors.UnknownCertificate,),
    ),
)
def verify_certificate(serial: Serial) -> Response[Any]:
    from cme.verify_page import PAGE_HEADERS, render_verify_page, verification_as_json

    verification = issuing.verification(issuing.find_certificate(runtime.store(), serial))
    if _wants_html(app.current_event.headers.get("accept") or ""):
        return Response(
            status_code=200,
            content_type="text/html; charset=utf-8",
            body=render_verify_page(verification),
            headers=dict(PAGE_HEADERS),
        )
    return api.json_response(
        verification_as_json(verification), headers={"Cache-Control": "no-store"}
    )


def _wants_html(accept: str) -> bool:
    """A browser asks for text/html before JSON; an API client asks for JSON or anything."""
    html, json_ = accept.find("text/html"), accept.find("application/json")
    return html != -1 and (json_ == -1 or html < json_)


@app.post(
    "/certificates/<serial>/revoke",
    summary="Revoke a certificate for good (organisers)",
    responses=api.answers(
        {200: ("Revoked", "VerificationOut")}, refusals=(errors.UnknownCertificate,)
    ),
)
def revoke_certificate(serial: Serial, revocation: Annotated[RevokeIn, Body()]) -> Response[Any]:
    from cme.verify_page import verification_as_json

    revoked = issuing.revoke_certificate(
        runtime.store(),
        serial,
        reason=revocation.reason,
        now=runtime.now(),
        actor=api.actor(app),
    )
    if revoked.revoked_now:
        count(Metric.CERTIFICATES_REVOKED)
    return api.json_response(verification_as_json(issuing.verification(revoked.certificate)))


@app.delete(
    "/events/<event_id>/delegates/<delegate_id>/revocation",
    summary="Lift a revocation: new certificates again for the delegate (organisers)",
    description="The revoked certificate stays revoked. Audited with the reason.",
    responses=api.answers(
        {204: ("Lifted (also when there was nothing to lift)", None)},
        refusals=(errors.UnknownEvent, errors.UnknownDelegate),
    ),
)
def delete_revocation(
    event_id: EventId, delegate_id: DelegateId, decision: Annotated[DecisionIn, Body()]
) -> Response[Any]:
    issuing.lift_revocation(
        runtime.store(),
        event_id,
        delegate_id,
        reason=decision.reason,
        actor=api.actor(app),
        now=runtime.now(),
    )
    return Response(status_code=204, body="")


def _warm() -> None:
    """Before a SnapStart snapshot: the S3 client, one certificate drawn in memory, and the
    verification page's module (`cme.snapstart`)."""
    from cme.certificate.layout import rehearse
    from cme.verify_page import render_verify_page  # noqa: F401

    CertificateFiles.default().client()
    rehearse()


lambda_handler = api.lambda_entry(app, warm=_warm)
