"""The checkout of cme-credits that the local tools run: its Lambda functions, its SAM
template and its sample programmes. The local stack (`cme serve`, the demo), the OpenAPI
generation, the tests and the bench all run the code of a checkout, never an installed
copy of it, because a function is a folder of the repository (`functions/<name>/app.py`),
as SAM packages it.

Found like git finds its repository: `CME_CHECKOUT` when set, else the nearest folder at or
above the working directory that holds `infra/template.yaml` and `functions/`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TEMPLATE = Path("infra", "template.yaml")
FUNCTIONS = Path("functions")


class NotACheckout(Exception):
    """No checkout of cme-credits where the tools looked."""


@dataclass(frozen=True, slots=True)
class Checkout:
    root: Path

    @property
    def template(self) -> Path:
        return self.root / TEMPLATE

    @property
    def functions(self) -> Path:
        return self.root / FUNCTIONS

    @property
    def programmes(self) -> Path:
        return self.root / "programmes"

    @property
    def layer(self) -> Path:
        """The common layer's package (`cme`), where the served OpenAPI document lives."""
        return self.root / "layers" / "common" / "cme"

    def function_source(self, name: str) -> Path:
        return self.functions / name / "app.py"

    @staticmethod
    def holds_one(folder: Path) -> bool:
        return (folder / TEMPLATE).is_file() and (folder / FUNCTIONS).is_dir()

    @classmethod
    def find(cls, start: Path | None = None) -> Checkout:
        """The checkout named by CME_CHECKOUT, else the nearest at or above `start` (the
        working directory by default). Raises NotACheckout naming where it looked."""
        named = os.environ.get("CME_CHECKOUT")
        if named:
            folder = Path(named).resolve()
            if not cls.holds_one(folder):
                raise NotACheckout(f"CME_CHECKOUT={named} is not a checkout of cme-credits")
            return cls(folder)
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if cls.holds_one(folder):
                return cls(folder)
        raise NotACheckout(
            f"{here} is not inside a checkout of cme-credits (no {TEMPLATE} and {FUNCTIONS}/"
            " above it); run from the repository or set CME_CHECKOUT"
        )
