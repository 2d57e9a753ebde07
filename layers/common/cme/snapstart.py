"""Lambda SnapStart (the template's `SnapStart` parameter): what a restored snapshot must not
share with the environment it was taken in.

A snapshot freezes the initialised process; every environment restored from it resumes with
the same memory. So after a restore:

- the AWS clients are made again: the DynamoDB store's connection (pynamodb and its botocore
  client) and the certificate function's S3 client. A client made before the snapshot would
  carry the snapshot's credentials and connections into every restored environment;
- anything random seeded at import is seeded again: `random`'s generator (botocore draws its
  retry jitter from it), so that restored environments do not draw the same sequence.
  Certificate serials come from `secrets` (the operating system's CSPRNG, `cme.serials`) and
  ids from `uuid.uuid4` (`os.urandom`): neither keeps a seed in the process.

The hooks are registered with the runtime's `snapshot_restore_py` (present in Lambda's
Python runtime only); elsewhere there is nothing to register and `register()` says so.
"""

from __future__ import annotations

import random
from typing import Any

_registered: list[Any] = []
"""The hooks registered in this process (Lambda keeps one process per environment)."""


def after_restore() -> None:
    """Run by the runtime in each environment restored from a snapshot, before its first
    request."""
    from cme.store.files import CertificateFiles
    from cme.store.repository import DynamoStore

    DynamoStore.reset_connections()
    CertificateFiles.reset_clients()
    random.seed()


def register() -> bool:
    """Register the hooks once per process; False where the runtime has no SnapStart."""
    if _registered:
        return True
    try:
        from snapshot_restore_py import register_after_restore  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return False
    register_after_restore(after_restore)
    _registered.append(after_restore)
    return True
