"""How every `cme` command speaks to the terminal: results on stdout, diagnostics on
stderr, and the exit statuses of the contract (0 all went well, 1 some rows or delegates
failed, 2 the command could not run)."""

from __future__ import annotations

import sys

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2


def out(text: str) -> None:
    """A line of the command's output (stdout)."""
    sys.stdout.write(text + "\n")


def err(text: str) -> None:
    """A line of diagnostics (stderr)."""
    sys.stderr.write(text + "\n")


class UsageError(Exception):
    """A problem with what was asked: exit status 2, one line on stderr."""
