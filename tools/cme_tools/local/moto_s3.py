"""moto answers NoSuchKey, as S3 does, when a missing object's tags are removed.

moto's `S3Backend.delete_object_tagging` reads the object and uses it without checking it
was found, so removing the tags of a key that does not exist fails inside moto (an
AttributeError: HTTP 500 from `cme serve`, a crash in-process) where S3 answers 404
`NoSuchKey`. The certificate function clears its PDF's `cme-pending` tag when it answers
about a certificate; for a PDF that is gone (a lifecycle rule expired it) it treats
NoSuchKey as nothing to clear. Installed by the local stack with `moto_journal` and
`moto_query`; `uninstall` restores moto. Tested in `tests/integration/test_moto_s3.py`.
"""

from __future__ import annotations

import functools
from typing import Any

_state: dict[str, Any] = {}


def install() -> bool:
    """Patch moto's delete_object_tagging (idempotent); False when moto's shape changed."""
    from moto.s3.exceptions import MissingKey
    from moto.s3.models import S3Backend

    if "delete_object_tagging" in _state:
        return True
    original = getattr(S3Backend, "delete_object_tagging", None)
    if original is None or not hasattr(S3Backend, "get_object"):
        return False
    _state["delete_object_tagging"] = original

    @functools.wraps(original)
    def delete_object_tagging(
        self: Any, bucket_name: str, key_name: str, version_id: str | None = None
    ) -> None:
        if self.get_object(bucket_name, key_name, version_id=version_id) is None:
            raise MissingKey(key=key_name)
        original(self, bucket_name, key_name, version_id=version_id)

    S3Backend.delete_object_tagging = delete_object_tagging  # type: ignore[method-assign]
    return True


def uninstall() -> None:
    from moto.s3.models import S3Backend

    if "delete_object_tagging" in _state:
        S3Backend.delete_object_tagging = _state.pop("delete_object_tagging")  # type: ignore[method-assign]
