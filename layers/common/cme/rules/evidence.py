"""Evidence that a delegate took part in a session, as a policy the programme chooses.

The cap logic (`cme.rules.credits`) only asks a policy which sessions have evidence, so a
congress that scans at each hall entrance, counts time in room from entry and exit scans
or demands a minimum viewing time adds a policy here and changes nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from cme.facts import DelegateFacts
from cme.programme import Session


class EvidencePolicy(Protocol):
    name: str

    def sessions_with_evidence(
        self, facts: DelegateFacts, sessions: Iterable[Session]
    ) -> frozenset[str]:
        """The ids, among `sessions`, that the delegate's facts show they took part in."""
        ...


class DailyScan:
    """ESHG's rule (RULES.md, Evidence 1-3): a badge scan on the session's local day, or an
    accepted live or on-demand view of the session.

    Views were judged when they were accepted (a live view inside the session, an
    on-demand view of a recording inside the window), and accepted facts stay accepted
    when the programme changes."""

    name = "daily_scan"

    def sessions_with_evidence(
        self, facts: DelegateFacts, sessions: Iterable[Session]
    ) -> frozenset[str]:
        scan_days = {scan.day for scan in facts.scans}
        viewed = {view.session_id for view in facts.views}
        return frozenset(s.id for s in sessions if s.date in scan_days or s.id in viewed)


POLICIES: Mapping[str, EvidencePolicy] = {policy.name: policy for policy in (DailyScan(),)}


def evidence_policy(name: str) -> EvidencePolicy:
    return POLICIES[name]
