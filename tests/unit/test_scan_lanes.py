"""How a batch's scans are grouped to be recorded side by side: scans that share a scan id
or a delegate (directly or through others) are one group, in request order."""

from __future__ import annotations

from datetime import UTC, datetime

from cme.recording import ScanToRecord, scan_lanes

AT = datetime(2025, 5, 24, 8, 0, tzinfo=UTC)


def scans(*pairs: tuple[str, str]) -> list[ScanToRecord]:
    return [ScanToRecord(scan_id, delegate_id, "desk-1", AT) for scan_id, delegate_id in pairs]


def test_each_delegate_is_a_lane_in_request_order() -> None:
    batch = scans(("a", "D1"), ("b", "D2"), ("c", "D1"), ("d", "D3"), ("e", "D2"))
    assert scan_lanes(batch) == [[0, 2], [1, 4], [3]]


def test_a_scan_id_shared_by_two_delegates_joins_their_lanes() -> None:
    batch = scans(("a", "D1"), ("b", "D2"), ("x", "D3"), ("b", "D1"), ("c", "D2"))
    assert scan_lanes(batch) == [[0, 1, 3, 4], [2]]


def test_links_through_others_join_too() -> None:
    batch = scans(("a", "D1"), ("b", "D2"), ("c", "D3"), ("a", "D3"), ("c", "D2"))
    assert scan_lanes(batch) == [[0, 1, 2, 3, 4]]


def test_an_empty_batch_has_no_lane() -> None:
    assert scan_lanes([]) == []
