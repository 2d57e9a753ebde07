"""The single-table key design (see README, "Data model").

Everything of one event shares the partition key `EVENT#<event_id>`:

    PROGRAMME                          the programme document (canonical JSON)
    PROGRAMME#VERSION                  its version alone (read strongly, cheaply)
    DEL#<delegate>#PROFILE             registration: name, email, attendance, profession
    DEL#<delegate>#SCAN#<scan_id>      an accepted badge scan (device time, server time, day)
    DEL#<delegate>#VIEW#<view_id>      an accepted live or on-demand view
    DEL#<delegate>#CART#<session>      a session in the delegate's CME cart
    DEL#<delegate>#EVAL#<session>      the delegate's evaluation of a session (final)
    DEL#<delegate>#CERT#<serial>       a certificate issued to the delegate (snapshot)
    DEL#<delegate>#CERTHEAD            the latest certificate's serial and fingerprint
    DEL#<delegate>#ATTEMPT#<attempt>   an attempt at a learning test (its answers: never logged)
    DEL#<delegate>#TESTS#<test_id>     the delegate's standing with a test: attempts, passed
    DEL#<delegate>#REVOKED             a revocation blocks new certificates until lifted
    DEL#<delegate>#EXTENSION           the organiser's extension of the claim deadline
    DEL#<delegate>#GRANT#<session>     evidence the organiser granted for a session
    AUDIT#<at>#<nonce>                 an entry of the audit trail (newest last in key order)
    SCANID#<scan_id>                   a scan id is unique per event (the retry guard)
    VIEWID#<view_id>                   a view id is unique per event
    REFUSED#<received_at>#<scan_id>    a refused scan with its reason, for the organiser
    PROJ#<delegate>                    the delegate's report row, kept current on write

and each certificate also has `CERT#<serial>` / `CERT` for public verification by serial.

Every item of an event, `CERT#<serial>` included, carries `expires_at` (epoch seconds): the
end of the event's last day in its zone plus the retention period, when DynamoDB's TTL
deletes it (`cme.privacy`; stamped on every write by `DynamoStore.transact`).

Ids never contain `#` (the contract's id pattern), and `#` sorts before every character an
id may contain, so one delegate's items are contiguous and delegates sort by id: a
statement is one Query of `DEL#<delegate>#`, and the report pages through `DEL#`.
"""

from __future__ import annotations

PROGRAMME = "PROGRAMME"
PROGRAMME_VERSION = "PROGRAMME#VERSION"
REFUSED_SCANS = "REFUSED#"
DELEGATES_FROM = "DEL#"
DELEGATES_UNTIL = "DEL$"  # the first key after every DEL# key ('$' follows '#')
PROJECTIONS_FROM = "PROJ#"
PROJECTIONS_UNTIL = "PROJ$"


EVENT = "EVENT#"


def event_key(event_id: str) -> str:
    return f"{EVENT}{event_id}"


def event_of(partition_key: str) -> str | None:
    """The event id of an event's partition key (None for a `CERT#<serial>` item, which
    names its event in an attribute)."""
    return partition_key.removeprefix(EVENT) if partition_key.startswith(EVENT) else None


def delegate_prefix(delegate_id: str) -> str:
    return f"DEL#{delegate_id}#"


def delegate_of(sort_key: str) -> str:
    """The delegate id of a DEL# sort key."""
    return sort_key.split("#", 2)[1]


def profile(delegate_id: str) -> str:
    return f"DEL#{delegate_id}#PROFILE"


def scan(delegate_id: str, scan_id: str) -> str:
    return f"DEL#{delegate_id}#SCAN#{scan_id}"


def view(delegate_id: str, view_id: str) -> str:
    return f"DEL#{delegate_id}#VIEW#{view_id}"


def cart(delegate_id: str, session_id: str) -> str:
    return f"DEL#{delegate_id}#CART#{session_id}"


def evaluation(delegate_id: str, session_id: str) -> str:
    return f"DEL#{delegate_id}#EVAL#{session_id}"


def certificate(delegate_id: str, serial: str) -> str:
    return f"DEL#{delegate_id}#CERT#{serial}"


def certificate_head(delegate_id: str) -> str:
    return f"DEL#{delegate_id}#CERTHEAD"


def attempt(delegate_id: str, attempt_id: str) -> str:
    return f"DEL#{delegate_id}#ATTEMPT#{attempt_id}"


def test_standing(delegate_id: str, test_id: str) -> str:
    return f"DEL#{delegate_id}#TESTS#{test_id}"


def scan_guard(scan_id: str) -> str:
    return f"SCANID#{scan_id}"


def view_guard(view_id: str) -> str:
    return f"VIEWID#{view_id}"


def refused_scan(received_at: str, scan_id: str) -> str:
    return f"{REFUSED_SCANS}{received_at}#{scan_id}"


def revocation(delegate_id: str) -> str:
    return f"DEL#{delegate_id}#REVOKED"


def extension(delegate_id: str) -> str:
    return f"DEL#{delegate_id}#EXTENSION"


def grant(delegate_id: str, session_id: str) -> str:
    return f"DEL#{delegate_id}#GRANT#{session_id}"


AUDIT = "AUDIT#"


def audit(at: str, nonce: str) -> str:
    return f"{AUDIT}{at}#{nonce}"


def serial_key(serial: str) -> str:
    return f"CERT#{serial}"


SERIAL_SORT = "CERT"


def projection(delegate_id: str) -> str:
    return f"PROJ#{delegate_id}"


def projected_delegate(sort_key: str) -> str:
    """The delegate id of a PROJ# sort key."""
    return sort_key.removeprefix(PROJECTIONS_FROM)
