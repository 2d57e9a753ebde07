"""The programme document: YAML or JSON in, an immutable `Programme` out, every problem named.

- `model`: the document as a pydantic model (what the OpenAPI document describes); each
  value checked on its own, each refusal with the contract's path and code.
- `checks`: the cross-field rules, a pure function of the model.
- `domain`: the `Programme` the rules read (UTC instants, exact amounts) and
  `build_programme`, which runs the model and the checks and names every problem at once.
- `document`: text in (YAML and JSON, amounts exact, repeated keys noted) and the
  canonical document out; `files`: a programme file by name.
- `localtime`: wall-clock times in the event's zone.

Every time in a programme is local to the event's IANA zone. Each local time is resolved on
its own date (a DST day has two offsets) and kept as a UTC instant, so that comparisons and
durations never depend on wall-clock arithmetic. Amounts are read from the document's text,
never through float.
"""

from cme.programme.document import (
    parse_json_document,
    programme_document,
    public_document,
    read_document,
)
from cme.programme.domain import (
    Accreditation,
    Conversion,
    Day,
    Event,
    LearningTest,
    LoadedProgramme,
    Policy,
    Profession,
    Programme,
    Question,
    Session,
    Slot,
    Window,
    build_programme,
)
from cme.programme.files import load_programme_file
from cme.programme.model import EVIDENCE_POLICIES, ProgrammeDocument

__all__ = [
    "EVIDENCE_POLICIES",
    "Accreditation",
    "Conversion",
    "Day",
    "Event",
    "LearningTest",
    "LoadedProgramme",
    "Policy",
    "Profession",
    "Programme",
    "ProgrammeDocument",
    "Question",
    "Session",
    "Slot",
    "Window",
    "build_programme",
    "load_programme_file",
    "parse_json_document",
    "programme_document",
    "public_document",
    "read_document",
]
