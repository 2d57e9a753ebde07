"""The organiser's long tasks handed to the tasks function (`cme.tasks`) by an asynchronous
Lambda invocation: the only Lambda API the service calls."""

from __future__ import annotations

import functools
import json
from typing import Any

from cme.errors import Throttled
from cme.settings import settings


@functools.cache
def _lambda_client(region: str, endpoint_url: str | None) -> Any:
    import boto3

    return boto3.client("lambda", region_name=region, endpoint_url=endpoint_url)


def launch_task(task: dict[str, Any]) -> None:
    """Hands `task` to the tasks function (`CME_TASKS_FUNCTION`) as an asynchronous
    invocation: Lambda queues it, answers at once, and retries a run that crashed."""
    from botocore.exceptions import BotoCoreError, ClientError

    config = settings()
    try:
        _lambda_client(config.region, config.endpoint_url).invoke(
            FunctionName=config.tasks_function,
            InvocationType="Event",
            Payload=json.dumps(task).encode(),
        )
    except (BotoCoreError, ClientError) as error:
        raise Throttled("the task could not be started; retry shortly", retry_after=2) from error
