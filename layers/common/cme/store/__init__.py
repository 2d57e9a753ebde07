"""Persistence: pynamodb models of one DynamoDB table and the repository over them."""

from cme.store.repository import (
    DelegateRecord,
    DocumentTooLarge,
    References,
    Store,
    StoredProgramme,
    WriteRefused,
    canonical_answers,
)

__all__ = [
    "DelegateRecord",
    "DocumentTooLarge",
    "References",
    "Store",
    "StoredProgramme",
    "WriteRefused",
    "canonical_answers",
]
