"""The programme document as text: YAML or JSON read into plain data, and the canonical
document of a programme written back.

Reading keeps every YAML scalar as text (PyYAML's BaseLoader semantics: `0.1` is not a
float, `08:30` is not the sexagesimal 510), but for YAML's null, and every JSON number
exact (`Decimal`); the
model (`cme.programme.model`) converts each value on purpose. A mapping that repeats a key
comes as `cme.jsonio.RepeatedKeys` (the last value kept), and `repeated_keys` names each
repeated key as a problem, like any other.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from cme.errors import InvalidProgramme, Problem
from cme.jsonio import loads, object_from
from cme.programme.localtime import MINUTE, SECOND

if TYPE_CHECKING:
    import yaml

    from cme.programme.domain import Conversion, LearningTest, Policy, Programme


def read_document(text: str, *, suffix: str = ".yaml", source: str = "") -> Any:
    """A programme's text as plain data: JSON for a `.json` suffix, YAML otherwise.
    `InvalidProgramme` when it is neither; its problem's path is `source` (the file's name,
    or the document itself when empty) and its detail says where and what, in words."""
    if suffix.lower() == ".json":
        return parse_json_document(text, source=source)
    return parse_yaml_document(text, source=source)


def parse_json_document(text: str | bytes, *, source: str = "") -> Any:
    """JSON with numbers kept exact (`Decimal`), as the API receives programmes."""
    try:
        return loads(text, note_repeats=True)
    except ValueError as exc:
        where = _where(getattr(exc, "lineno", None), getattr(exc, "colno", None))
        reason = getattr(exc, "msg", str(exc))
        raise InvalidProgramme([Problem(source, "not_json", f"{where}{reason}")]) from exc
    except RecursionError as exc:
        raise InvalidProgramme([Problem(source, "not_json", "nested too deeply")]) from exc


def parse_yaml_document(text: str, *, source: str = "") -> Any:
    """YAML with every scalar kept as text (BaseLoader: tags are ignored)."""
    import yaml  # only the command line reads YAML; Lambda functions receive JSON

    try:
        node = yaml.compose(text, Loader=yaml.BaseLoader)  # composes nodes: builds no object
        return None if node is None else _plain(node, set())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _where(mark.line + 1, mark.column + 1) if mark else ""
        reason = ": ".join(filter(None, (exc.context, exc.problem)))
        raise InvalidProgramme([Problem(source, "not_yaml", f"{where}{reason}")]) from exc
    except yaml.YAMLError as exc:
        raise InvalidProgramme([Problem(source, "not_yaml", str(exc))]) from exc
    except RecursionError as exc:
        raise InvalidProgramme([Problem(source, "not_yaml", "nested too deeply")]) from exc


def _plain(node: yaml.Node, open_nodes: set[int]) -> Any:
    """A composed YAML node as plain data: text, lists and mappings, the way BaseLoader
    builds them, but noting repeated keys instead of silently keeping the last."""
    import yaml

    if isinstance(node, yaml.ScalarNode):
        # YAML's null (`~`, `null`, or nothing at all) is null; every other scalar is text.
        return None if node.style is None and node.value in _YAML_NULLS else node.value
    if id(node) in open_nodes:
        raise yaml.MarkedYAMLError(
            problem="an alias refers to itself", problem_mark=node.start_mark
        )
    open_nodes.add(id(node))
    try:
        if isinstance(node, yaml.SequenceNode):
            return [_plain(item, open_nodes) for item in node.value]
        pairs: list[tuple[str, Any]] = []
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise yaml.MarkedYAMLError(
                    problem="a key must be plain text", problem_mark=key.start_mark
                )
            pairs.append((key.value, _plain(value, open_nodes)))
    finally:
        open_nodes.discard(id(node))
    return object_from(pairs)


_YAML_NULLS = frozenset(("", "~", "null", "Null", "NULL"))


def _where(line: int | None, column: int | None) -> str:
    return f"line {line}, column {column}: " if line is not None and column is not None else ""


def repeated_keys(data: Any, path: str = "") -> list[Problem]:
    """Every key the document names twice in one mapping, with its path."""
    found: list[Problem] = []
    if isinstance(data, dict):
        for key in getattr(data, "repeated", ()):
            where = f"{path}.{key}" if path else key
            found.append(Problem(where, "duplicate_key", f"{key} is given more than once"))
        for key, value in data.items():
            if isinstance(value, dict | list):
                found += repeated_keys(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            if isinstance(item, dict | list):
                found += repeated_keys(item, f"{path}[{i}]")
    return found


# --------------------------------------------------------------------------- writing


def programme_document(programme: Programme) -> dict[str, Any]:
    """The canonical document of a programme (defaults filled in, optional texts left out
    when empty, lists in programme order): what the API stores and returns, and what
    `build_programme` reads back unchanged."""
    event = programme.event
    zone = event.zone

    def local(instant: datetime, unit: timedelta = SECOND) -> str:
        return instant.astimezone(zone).strftime(
            "%Y-%m-%dT%H:%M" if unit == MINUTE else "%Y-%m-%dT%H:%M:%S"
        )

    def clock(instant: datetime) -> str:
        wall = instant.astimezone(zone)
        return wall.strftime("%H:%M:%S" if wall.second else "%H:%M")

    def closing(window_end: datetime) -> str:
        # A window ends just after its last stated second (or minute), which counts whole:
        # stating that last second again reads back as the same window.
        return local(window_end - SECOND)

    document: dict[str, Any] = {
        "event": {
            "id": event.id,
            "name": event.name,
            "city": event.city,
            **({"country": event.country} if event.country else {}),
            "timezone": event.timezone,
            "accreditation": {
                "body": event.accreditation.body,
                "unit": event.accreditation.unit,
                "total": event.accreditation.total,
                "statement": event.accreditation.statement,
                **_professions_named(event.accredited_professions),
            },
            "conversions": [_conversion_document(c) for c in event.conversions],
            "statements": list(event.statements),
            # The deadline is kept as stated (with its unit), so it is written the same way.
            "claim_deadline": local(event.claim_deadline, event.claim_deadline_unit),
            "policy": _policy_document(event.policy),
        },
        "days": [{"date": d.date.isoformat(), "cap": d.cap} for d in programme.days],
        "slots": [
            {
                "id": s.id,
                "date": s.date.isoformat(),
                "start": clock(s.start),
                "end": clock(s.end),
                "max": s.max,
            }
            for s in programme.slots
        ],
        "sessions": [
            {
                "id": s.id,
                "slot": s.slot_id,
                "title": s.title,
                "start": clock(s.start),
                "end": clock(s.end),
                "credits": s.credits,
                "accredited": s.accredited,
                "recorded": s.recorded,
                **({"room": s.room} if s.room else {}),
                **({"post_test": _test_document(s.post_test)} if s.post_test else {}),
            }
            for s in programme.sessions
        ],
    }
    # The settings of RULES.md's "Professions" and "Learning tests", when set (a programme
    # without them reads back as it did before they existed).
    if event.professions:
        document["event"]["professions"] = [{"id": p.id, "name": p.name} for p in event.professions]
    if event.attendance_certificates:
        document["event"]["attendance_certificates"] = True
    if event.post_test is not None:
        document["event"]["post_test"] = _test_document(event.post_test)
    if event.on_demand is not None:
        document["event"]["on_demand"] = {
            "start": local(event.on_demand.start),
            "end": closing(event.on_demand.end),
        }
    return document


def _professions_named(professions: frozenset[str] | None) -> dict[str, Any]:
    return {} if professions is None else {"professions": sorted(professions)}


def _conversion_document(conversion: Conversion) -> dict[str, Any]:
    return {
        "name": conversion.name,
        "ratio": _ratio_text(conversion.ratio),
        **({"statement": conversion.statement} if conversion.statement else {}),
        **_professions_named(conversion.professions),
    }


def _test_document(test: LearningTest) -> dict[str, Any]:
    return {
        "id": test.id,
        "pass": test.pass_mark,
        "attempts": test.attempts,
        "questions": [
            {"id": q.id, "text": q.text, "options": list(q.options), "answer": q.answer}
            for q in test.questions
        ],
    }


def public_document(document: dict[str, Any]) -> dict[str, Any]:
    """A canonical document as it may leave the service: every test's answer key removed
    (RULES.md, "Learning tests": the key never leaves the service). The document is not
    changed; one without tests is returned as it is."""
    event = document.get("event", {})
    sessions = document.get("sessions", [])
    if "post_test" not in event and not any("post_test" in s for s in sessions):
        return document
    public = {
        **document,
        "event": _without_key(event),
        "sessions": [_without_key(s) for s in sessions],
    }
    return public


def _without_key(part: dict[str, Any]) -> dict[str, Any]:
    test = part.get("post_test")
    if test is None:
        return part
    questions = [{k: v for k, v in q.items() if k != "answer"} for q in test["questions"]]
    return {**part, "post_test": {**test, "questions": questions}}


def _ratio_text(ratio: Fraction) -> str:
    if ratio.denominator == 1:
        return str(ratio.numerator)
    decimal = Decimal(ratio.numerator) / Decimal(ratio.denominator)
    return str(decimal) if Fraction(decimal) == ratio else f"{ratio.numerator}/{ratio.denominator}"


def _policy_document(policy: Policy) -> dict[str, Any]:
    """Every setting of the policy, defaults included: what the programme computes by."""
    return {
        "evidence": policy.evidence,
        "scan_grace_minutes": policy.scan_grace // timedelta(minutes=1),
        "presence": {
            "minimum": policy.presence_minimum,
            "credit": policy.presence_credit,
            "step": policy.presence_step,
        },
        "viewing": {"minimum": policy.viewing_minimum},
        "claims": policy.claims,
        "claim_step": policy.claim_step,
    }
