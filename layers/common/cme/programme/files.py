"""A programme file by name, for the command line: every problem names the file or the
place in it, in words."""

from __future__ import annotations

from pathlib import Path

from cme.errors import InvalidProgramme, Problem
from cme.programme.document import read_document
from cme.programme.domain import LoadedProgramme, build_programme


def load_programme_file(path: str | Path) -> LoadedProgramme:
    """Read, validate and build the programme in a YAML (or `.json`) file. A file that
    cannot be read, or is not UTF-8 YAML or JSON, is one problem whose path is the file's
    name; the document's own problems have their paths in the document."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        code = "not_json" if path.suffix.lower() == ".json" else "not_yaml"
        problem = Problem(name, code, f"not UTF-8 text (byte {exc.start}); save it as UTF-8")
        raise InvalidProgramme([problem]) from exc
    except OSError as exc:
        raise InvalidProgramme([Problem(name, "unreadable_file", _why(exc))]) from exc
    return build_programme(read_document(text, suffix=path.suffix, source=name))


def _why(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, IsADirectoryError):
        return "a directory, not a file"
    if isinstance(error, PermissionError):
        return "not allowed to read this file"
    return f"cannot be read ({error.strerror or type(error).__name__})"
