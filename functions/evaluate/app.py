"""Evaluate function: the delegate's CME cart, session evaluations and credit statement."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from cme import api, errors, post_tests, recording
from cme.observability import Metric, count
from cme.schemas import AttemptIn, DelegateId, EvaluationIn, EventId, SessionId, TestId

app = api.create_app()
runtime = api.runtime
CART = "/events/<event_id>/delegates/<delegate_id>/cart"
DELEGATE = (errors.UnknownEvent, errors.UnknownDelegate)
DELEGATE_SESSION = (*DELEGATE, errors.UnknownSession)


@app.put(
    CART + "/<session_id>",
    summary="Add a session to the delegate's CME cart",
    security=api.PLATFORM_KEY,
    responses=api.answers(
        {201: ("Added", "CartChangeOut"), 200: ("Already in the cart", "CartChangeOut")},
        refusals=(*DELEGATE_SESSION, errors.SessionNotAccredited),
    ),
)
def put_cart_item(
    event_id: EventId, delegate_id: DelegateId, session_id: SessionId
) -> Response[Any]:
    added = recording.add_to_cart(
        runtime.store(), event_id, delegate_id, session_id, now=runtime.now()
    )
    if added:
        count(Metric.CART_ITEMS_ADDED)
    return api.json_response({"session_id": session_id, "in_cart": True}, 201 if added else 200)


@app.delete(
    CART + "/<session_id>",
    summary="Remove a session from the cart (an evaluated one stays)",
    security=api.PLATFORM_KEY,
    responses=api.answers(
        {204: ("Not in the cart (any more)", None)},
        refusals=(*DELEGATE_SESSION, errors.AlreadyEvaluated),
    ),
)
def delete_cart_item(
    event_id: EventId, delegate_id: DelegateId, session_id: SessionId
) -> Response[Any]:
    recording.remove_from_cart(runtime.store(), event_id, delegate_id, session_id)
    return Response(status_code=204, body="")


@app.get(
    CART,
    summary="The delegate's cart with where each evaluation stands",
    security=api.PLATFORM_KEY,
    responses=api.answers({200: ("The cart", "CartOut")}, refusals=DELEGATE),
)
def get_cart(event_id: EventId, delegate_id: DelegateId) -> Response[Any]:
    lines = recording.cart(runtime.store(), event_id, delegate_id, now=runtime.now())
    items = [
        {
            "session_id": line.session_id,
            "title": line.title,
            "slot_id": line.slot_id,
            "date": line.date,
            "evaluation": line.evaluation.value,
            "evaluation_opens_at": line.evaluation_opens_at,
        }
        for line in lines
    ]
    return api.json_response({"items": items})


@app.put(
    "/events/<event_id>/delegates/<delegate_id>/evaluations/<session_id>",
    summary="Submit the delegate's evaluation of a session (final; the session joins the cart)",
    security=api.PLATFORM_KEY,
    responses=api.answers(
        {
            201: ("Stored", "EvaluationOut"),
            200: ("A retry with the same instant, answers and claim", "EvaluationOut"),
        },
        refusals=(
            *DELEGATE_SESSION,
            errors.SessionNotAccredited,
            errors.InvalidClaim,
            errors.EvaluationNotOpen,
            errors.ClaimDeadlinePassed,
            errors.AlreadyEvaluated,
        ),
    ),
)
def put_evaluation(
    event_id: EventId,
    delegate_id: DelegateId,
    session_id: SessionId,
    evaluation: Annotated[EvaluationIn, Body()],
) -> Response[Any]:
    stored = recording.record_evaluation(
        runtime.store(),
        event_id,
        delegate_id,
        session_id,
        submitted_at=evaluation.submitted_at,
        answers=evaluation.answers,
        claimed_credits=evaluation.claimed_credits,
        now=runtime.now(),
        skew=runtime.settings.clock_skew,
    )
    if stored:
        count(Metric.EVALUATIONS_RECORDED)
    payload = {
        "session_id": session_id,
        "submitted_at": evaluation.submitted_at,
        "duplicate": not stored,
    }
    return api.json_response(payload, 201 if stored else 200)


@app.get(
    "/events/<event_id>/delegates/<delegate_id>/credits",
    summary="The delegate's credit statement",
    security=api.PLATFORM_KEY,
    responses=api.answers({200: ("The statement", "StatementOut")}, refusals=DELEGATE),
)
def get_credits(event_id: EventId, delegate_id: DelegateId) -> Response[Any]:
    statement = recording.statement(runtime.store(), event_id, delegate_id)
    return api.json_response(statement.as_dict(), headers={"Cache-Control": "no-store"})


@app.get(
    "/events/<event_id>/tests/<test_id>",
    summary="A learning test as the platform shows it (questions and options, no answers)",
    security=api.PLATFORM_KEY,
    responses=api.answers(
        {200: ("The test", "TestOut")}, refusals=(errors.UnknownEvent, errors.UnknownTest)
    ),
)
def get_test(event_id: EventId, test_id: TestId) -> Response[Any]:
    return api.json_response(post_tests.read_test(runtime.store(), event_id, test_id))


@app.post(
    "/events/<event_id>/delegates/<delegate_id>/tests/<test_id>/attempts",
    summary="Submit the delegate's attempt at a learning test (graded by the service)",
    security=api.PLATFORM_KEY,
    responses=api.answers(
        {
            201: ("Graded and stored", "AttemptOut"),
            200: ("A retry with the same attempt_id and content", "AttemptOut"),
        },
        refusals=(
            *DELEGATE,
            errors.UnknownTest,
            errors.IdReused,
            errors.TestNotOpen,
            errors.ClaimDeadlinePassed,
            errors.AlreadyPassed,
            errors.NoAttemptsLeft,
        ),
    ),
)
def post_attempt(
    event_id: EventId,
    delegate_id: DelegateId,
    test_id: TestId,
    attempt: Annotated[AttemptIn, Body()],
) -> Response[Any]:
    recorded = post_tests.record_attempt(
        runtime.store(),
        event_id,
        delegate_id,
        test_id,
        attempt_id=attempt.attempt_id,
        submitted_at=attempt.submitted_at,
        answers=attempt.answers,
        now=runtime.now(),
        skew=runtime.settings.clock_skew,
    )
    return api.json_response(recorded.as_dict(), 200 if recorded.duplicate else 201)


lambda_handler = api.lambda_entry(app)
