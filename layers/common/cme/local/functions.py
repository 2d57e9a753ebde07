"""The repository's Lambda functions, loaded from `functions/<name>/app.py` by path (each is
a module named `app` in its own Lambda package, so they cannot share one import name)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

FUNCTIONS = ("scan", "evaluate", "certificate", "organiser")


def repository_root() -> Path:
    """The checkout this package was installed from (editable install)."""
    root = Path(__file__).resolve().parents[4]
    if not (root / "functions").is_dir() or not (root / "infra" / "template.yaml").is_file():
        raise RuntimeError(f"cme.local runs from a checkout of cme-credits; {root} is not one")
    return root


def load_function(name: str, *, fresh: bool = False) -> ModuleType:
    """Import `functions/<name>/app.py` once, as module `cme_function_<name>` (or, `fresh`,
    a new copy that is not kept)."""
    module_name = f"cme_function_{name}" + ("_fresh" if fresh else "")
    if module_name in sys.modules and not fresh:
        return sys.modules[module_name]
    path = repository_root() / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        if fresh:
            del sys.modules[module_name]
    return module


def available_functions() -> tuple[str, ...]:
    root = repository_root()
    return tuple(n for n in FUNCTIONS if (root / "functions" / n / "app.py").is_file())
