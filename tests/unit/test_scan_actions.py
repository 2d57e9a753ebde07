"""The batch's hot path builds its TransactWriteItems actions directly
(`repository._scan_actions`), without a pynamodb item per scan: they must be the very
requests pynamodb's models make, so that what is stored reads back through the models."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cme.facts import Direction, Scan
from cme.records import NewScan
from cme.store import keys
from cme.store.models import Item, ProjectionItem, ScanGuardItem, ScanItem
from cme.store.repository import SCAN_LABELS, _scan_actions

TABLE = "cme-credits-test"
PK = keys.event_key("eshg2025")
ROME = ZoneInfo("Europe/Rome")


def by_pynamodb(new: NewScan, expires_at: int | None = None) -> list[dict[str, Any]]:
    """The four actions as `transact` would send them through the models (stamped with
    the event's expiry as the store's transaction stamps them)."""
    scan, delegate_id = new.scan, new.delegate_id
    shared: dict[str, Any] = {
        "expires_at": expires_at,
        "scan_id": scan.scan_id,
        "station_id": scan.station_id,
        "scanned_at": scan.scanned_at,
        "day": scan.day.isoformat(),
        "room": scan.room,
        "direction": scan.direction.value,
    }
    guard = ScanGuardItem(
        pk=PK, sk=keys.scan_guard(scan.scan_id), delegate_id=delegate_id, **shared
    )
    fact = ScanItem(
        pk=PK, sk=keys.scan(delegate_id, scan.scan_id), received_at=new.received_at, **shared
    )
    count = ProjectionItem(pk=PK, sk=keys.projection(delegate_id))
    stamp = [] if expires_at is None else [Item.expires_at.set(expires_at)]
    check = Item.get_operation_kwargs_from_class(
        PK, range_key=keys.profile(delegate_id), condition=Item.pk.exists()
    )
    actions = [
        {"ConditionCheck": check},
        {"Put": guard.get_save_kwargs_from_instance(condition=Item.pk.does_not_exist())},
        {"Put": fact.get_save_kwargs_from_instance(condition=Item.pk.does_not_exist())},
        {
            "Update": count.get_update_kwargs_from_instance(
                actions=[
                    ProjectionItem.kind.set(ProjectionItem),
                    ProjectionItem.pending.add(1),
                    *stamp,
                ]
            )
        },
    ]
    for action in actions:
        ((_, body),) = action.items()
        body["TableName"] = TABLE
    return actions


@pytest.mark.parametrize(
    "scan",
    [
        Scan("s-1", datetime(2025, 5, 24, 8, 1, tzinfo=ROME), date(2025, 5, 24), "desk-1"),
        Scan(
            "hall-é",
            datetime(2025, 5, 25, 0, 30, 15, 250_000, tzinfo=ROME),
            date(2025, 5, 25),
            "gate 3",
            room="Gold",
            direction=Direction.OUT,
        ),
    ],
    ids=["desk", "hall"],
)
@pytest.mark.parametrize("expires_at", [None, 1_938_981_600], ids=["no expiry", "expiry"])
def test_a_scans_actions_are_the_requests_the_models_make(
    scan: Scan, expires_at: int | None
) -> None:
    # Given a scan as the batch stores it
    new = NewScan("D0001", scan, datetime(2025, 6, 15, 12, 0, 0, 1, tzinfo=UTC))

    # When its actions are built directly
    built = _scan_actions(TABLE, PK, new, expires_at)

    # Then they are pynamodb's, action for action, in the order of their labels
    assert built == by_pynamodb(new, expires_at)
    assert len(built) == len(SCAN_LABELS)
