"""The local stack holds a congress: a batch of 500 scans (125 delegates over the four
days) into an event that already holds 140,000 items, as `cme serve` runs it.

The stand is `cme serve`'s own: the embedded moto.server in a thread of this process
(`server.EmbeddedMoto`, with its transaction journal), the functions in a worker process
(`server._worker_init`, as each of serve's workers), the request handed to it as serve's
gateway hands it. Only the HTTP hop between a client and the gateway is left out (a
millisecond a request, not a scan). The 140,000 items (3,415 delegates, each a profile
and 20 scans with their scan-id guards, the items the store writes) go straight into
moto's backend: through the API they would take longer than the measurement.

"before" is moto's own TransactWriteItems (a deep copy of the table for each action of
a transaction) on the same table: a batch of `BEFORE_SCANS` scans, per scan times 500.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from bench.harness import Row
from bench.support import CHECKOUT, EVENT, NOW, programme_document

BATCH = 500
ITEMS = 140_000
SCANS_EACH = 20
"""Each seeded delegate: a profile, 20 scans and their guards (41 items)."""
TARGET_SECONDS = 30.0
BEFORE_SCANS = 1
TABLE = "cme-bench-local"
BUCKET = "cme-bench-local"
REGION = "eu-west-1"


def _seed(table: Any, delegates: int) -> int:
    """`delegates` delegates with their scans put straight into moto's table object: the
    items the store writes (each kind serialised once by the store's own pynamodb model,
    then copied with its ids), without moto's per-item validation."""
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    from cme.store import keys
    from cme.store.models import ProfileItem, ScanGuardItem, ScanItem

    pk = keys.event_key(EVENT)
    common: dict[str, Any] = {"station_id": "cme-desk-1", "scanned_at": NOW, "day": "2025-05-24"}
    profile = ProfileItem(
        pk=pk,
        sk="",
        delegate_id="",
        name="Ana Pérez",
        attendance="in_person",
        created_at=NOW,
        updated_at=NOW,
    ).serialize()
    guard = ScanGuardItem(pk=pk, sk="", scan_id="", delegate_id="", direction="in", **common)
    fact = ScanItem(pk=pk, sk="", scan_id="", received_at=NOW, direction="in", **common)
    shapes = (guard.serialize(), fact.serialize())
    partition = table.items[DynamoType({"S": pk})]
    written = 0

    def put(shape: dict[str, Any], sort_key: str, **ids: str) -> None:
        attrs = {**shape, "sk": {"S": sort_key}, **{k: {"S": v} for k, v in ids.items()}}
        sort = DynamoType(attrs["sk"])
        partition[sort] = Item(DynamoType(attrs["pk"]), sort, attrs)

    for number in range(delegates):
        delegate_id = f"SEED-{number:05d}"
        put(profile, keys.profile(delegate_id), delegate_id=delegate_id)
        for scan in range(SCANS_EACH):
            scan_id = f"seed-{number:05d}-{scan:02d}"
            put(shapes[0], keys.scan_guard(scan_id), scan_id=scan_id, delegate_id=delegate_id)
            put(shapes[1], keys.scan(delegate_id, scan_id), scan_id=scan_id)
        written += 1 + 2 * SCANS_EACH
    return written


def _scans(delegates: list[str], tag: str) -> list[dict[str, Any]]:
    return [
        {
            "scan_id": f"{tag}-{day}-{n}",
            "delegate_id": delegate_id,
            "station_id": "cme-desk-3",
            "scanned_at": f"2025-05-{day}T08:01:00+02:00",
        }
        for day in ("24", "25", "26", "27")
        for n, delegate_id in enumerate(delegates)
    ]


def _post(pool: ProcessPoolExecutor, path: str, body: Any, key: str) -> tuple[int, Any]:
    import json

    from cme_tools.local import server

    headers = {"x-api-key": key, "content-type": "application/json"}
    result = pool.submit(
        server.invoke, "POST", path, "", headers, json.dumps(body).encode()
    ).result()
    return int(result["statusCode"]), json.loads(result["body"])


def _put(pool: ProcessPoolExecutor, path: str, body: Any, key: str) -> int:
    import json

    from cme_tools.local import server

    headers = {"x-api-key": key, "content-type": "application/json"}
    result = pool.submit(
        server.invoke, "PUT", path, "", headers, json.dumps(body).encode()
    ).result()
    return int(result["statusCode"])


def _unpatched_scan_seconds(backend: Any) -> float:
    """One scan's transaction (the delegate checked, the scan id claimed, the fact put)
    handed straight to moto's own TransactWriteItems on the same table, `BEFORE_SCANS`
    times: seconds a scan. (Through the API it outlasts the store's read timeout.)"""
    from cme.store import keys
    from cme_tools.local import moto_journal

    pk = {"S": keys.event_key(EVENT)}
    moto_journal.uninstall()
    try:
        began = time.perf_counter()
        for number in range(BEFORE_SCANS):
            scan_id = f"before-{number}"
            backend.transact_write_items(
                [
                    {
                        "ConditionCheck": {
                            "TableName": TABLE,
                            "Key": {"pk": pk, "sk": {"S": keys.profile("ESHG25-00000")}},
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": TABLE,
                            "Item": {"pk": pk, "sk": {"S": keys.scan_guard(scan_id)}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": TABLE,
                            "Item": {"pk": pk, "sk": {"S": keys.scan("ESHG25-00000", scan_id)}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        return (time.perf_counter() - began) / BEFORE_SCANS
    finally:
        moto_journal.install()


def measure() -> dict[str, float]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from cme_tools.local import moto_journal, server
    from cme_tools.local.resources import create_resources_at

    moto = server.EmbeddedMoto().start()
    found: dict[str, float] = {"patched": float(moto_journal.installed())}
    try:
        credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
        create_resources_at(
            CHECKOUT.template,
            table_name=TABLE,
            bucket_name=BUCKET,
            region=REGION,
            endpoint_url=moto.url,
            credentials=credentials,
        )
        environment = {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "AWS_ENDPOINT_URL": moto.url,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "CME_TABLE_NAME": TABLE,
            "CME_BUCKET_NAME": BUCKET,
            "CME_PUBLIC_BASE_URL": "http://127.0.0.1:3000/v1",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
        key = "bench"
        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=server._worker_init,
            initargs=(environment, str(CHECKOUT.root)),
        )
        with pool:
            assert _put(pool, f"/events/{EVENT}", programme_document(), key) == 201
            delegates = [f"ESHG25-{n:05d}" for n in range(BATCH // 4)]
            for delegate_id in delegates:
                body = {"name": "Ana Pérez", "attendance": "in_person"}
                assert _put(pool, f"/events/{EVENT}/delegates/{delegate_id}", body, key) == 201
            table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables[TABLE]
            began = time.perf_counter()
            seeded = _seed(table, -(-(ITEMS - len(table)) // (1 + 2 * SCANS_EACH)))
            found["seed_seconds"] = time.perf_counter() - began
            found["items"] = float(len(table))
            found["seeded"] = float(seeded)

            began = time.perf_counter()
            status, answer = _post(
                pool, f"/events/{EVENT}/scans/batch", {"scans": _scans(delegates, "b")}, key
            )
            found["batch_seconds"] = time.perf_counter() - began
            assert status == 200, answer
            assert {r["status"] for r in answer["results"]} == {201}, answer["results"][:3]

            found["before_scan_seconds"] = _unpatched_scan_seconds(
                dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
            )
    finally:
        moto.stop()
    return found


def run() -> list[Row]:
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    found = measure()
    seconds = found["batch_seconds"]
    before = found["before_scan_seconds"] * BATCH
    return [
        Row(
            "local stack",
            f"batch of {BATCH} scans into an event of {found['items']:,.0f} items (cme serve)",
            seconds,
            "s",
            f"<= {TARGET_SECONDS:.0f}",
            seconds <= TARGET_SECONDS,
            f"{seconds / BATCH * 1000:.0f} ms a scan; before (moto's own transactions):"
            f" {found['before_scan_seconds']:.1f} s a scan, {before / 60:.0f} min for the batch;"
            f" {found['seeded']:,.0f} items seeded into moto in {found['seed_seconds']:.0f} s",
        )
    ]
