"""Lambda SnapStart (the template's `SnapStart` parameter): what a snapshot should already
hold, and what a restored environment must not share with the one the snapshot was taken in.

Before the snapshot (`before_snapshot`, run once when Lambda publishes a version): what a
delegate's first request would otherwise pay that holds no secret, no connection and
nothing random, so that a restored environment starts close to where a warm one is:

- the store's botocore client (pynamodb's connection), and the reads every request starts
  with run once against empty answers, without sending anything (`DynamoStore.rehearse`);
- the modules a request imports on first use (`FIRST_USE`), and the programme document's
  validator (built on first use otherwise: `defer_build`);
- what the function names in `warm`: the certificate function's S3 client and one
  certificate drawn in memory (fpdf2, fontTools and HarfBuzz loaded, Noto Sans opened), the
  organiser function's modules its routes import on first use.

Nothing is sent over the network before the snapshot, so no connection is frozen into it.
What stays for the first request is its own work and what no snapshot may hold: the
event's programme, read and built once per environment.

After a restore (`after_restore`): anything random seeded at import is seeded again:
`random`'s generator (botocore draws its retry jitter from it), so that restored environments
do not draw the same sequence. Certificate serials come from `secrets` (the operating
system's CSPRNG, `cme.serials`) and ids from `uuid.uuid4` (`os.urandom`): neither keeps a
seed in the process.

The clients are kept across a restore. A SnapStart function receives its role's credentials
from Lambda's container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI`, not the
access-key variables), which botocore holds as refreshable credentials, fetched again when
they near their expiry however old the snapshot is (and pynamodb makes a new client should
one ever hold none); the clients have opened no connection to go stale. Making them again
after each restore, as this module first did, cost every restored environment what SnapStart
is there to save: about 130 ms for the DynamoDB client alone (`python -m bench cold`).

The hooks are registered with the runtime's `snapshot_restore_py` (present in Lambda's
Python runtime only; its hooks run only for a function with SnapStart on); elsewhere there
is nothing to register and `register()` says so.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable

from cme.observability import logger

FIRST_USE = (
    "cme.projection",
    "cme.readiness",
    "cme.rules.credits",
    "cme.rules.evidence",
    "cme.rules.learning",
    "cme.serials",
)
"""The layer's modules that the functions' requests import on first use (a delegate's
statement, a fact's projection) rather than at the function's import."""

_registered: list[Callable[..., None]] = []
"""The hooks registered in this process (Lambda keeps one process per environment)."""


def before_snapshot(warm: Callable[[], object] | None = None) -> None:
    """Run by the runtime once, after the function's import and before the snapshot."""
    from cme.programme.model import ProgrammeDocument
    from cme.store.repository import DynamoStore

    for module in FIRST_USE:
        importlib.import_module(module)
    ProgrammeDocument.model_rebuild()
    try:
        DynamoStore.default().rehearse()
    except Exception:  # noqa: BLE001 - a warm-up that fails must not stop the snapshot
        logger.warning("the store's rehearsal failed: first requests pay for it", exc_info=True)
    if warm is not None:
        warm()


def after_restore() -> None:
    """Run by the runtime in each environment restored from a snapshot, before its first
    request."""
    random.seed()


def register(warm: Callable[[], object] | None = None) -> bool:
    """Register the hooks once per process; False where the runtime has no SnapStart."""
    if _registered:
        return True
    try:
        from snapshot_restore_py import (  # type: ignore[import-not-found,unused-ignore]
            register_after_restore,
            register_before_snapshot,
        )
    except ImportError:
        return False
    register_before_snapshot(before_snapshot, warm)
    register_after_restore(after_restore)
    _registered.extend((before_snapshot, after_restore))
    return True
