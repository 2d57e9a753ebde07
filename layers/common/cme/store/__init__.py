"""Persistence: pynamodb models of one DynamoDB table and the repository over them."""

from cme.store.repository import (
    DelegateRecord,
    References,
    Store,
    StoredProgramme,
    WriteRefused,
    canonical_answers,
)

__all__ = [
    "DelegateRecord",
    "References",
    "Store",
    "StoredProgramme",
    "WriteRefused",
    "canonical_answers",
]
