"""`sam build` of the real tree, without a container, into a temporary directory.

SAM pip-installs the layer's requirements as arm64 wheels for python3.13 (it needs a
python3.13 on PATH: the first one found is put in front). A build whose CodeUri is
missing still says "Build Succeeded" with an empty package, so the output is checked,
not the exit status alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.infra.infra_support import (
    FUNCTIONS,
    REPO,
    TEMPLATE,
    find_python313,
    missing,
    offline_env,
    run,
    tool,
)

pytestmark = pytest.mark.slow

MB = 1024 * 1024
LAMBDA_UNZIPPED_LIMIT_MB = 250
# Function code plus every layer must fit in 250 MB unzipped; keep a fifth of it free.
LAYER_BUDGET_MB = 200
# Import names the layer must carry: the shared code, its dependencies, the fonts.
LAYER_PACKAGES = (
    "cme",
    "fpdf",
    "aws_lambda_powertools",
    "pynamodb",
    "pydantic",
    "uharfbuzz",
    "segno",
    "simplejson",
    "yaml",
)
FONT_PACKAGES = (
    "fontpkg_noto_sans",
    "fontpkg_noto_sans_arabic",
    "cvttf_NotoSansCJK_Regular",
    "manimgx_fonts",
)
ELF_MACHINE_AARCH64 = 183


def size_mb(path: Path) -> float:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
    return total / MB


def elf_machine(path: Path) -> int | None:
    with path.open("rb") as stream:
        header = stream.read(20)
    if header[:4] != b"\x7fELF":
        return None
    return int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sam = tool("sam", "sam")
    python = find_python313()
    if python is None:
        missing("no python3.13 found (sam build needs one on PATH)")
    assert python is not None
    for name in FUNCTIONS:
        app = REPO / "functions" / name.removesuffix("Function").lower() / "app.py"
        assert app.is_file(), f"{app.relative_to(REPO)} is missing: sam build would package nothing"
    where = tmp_path_factory.mktemp("sam")
    result = run(
        [
            sam,
            "build",
            "--template-file",
            TEMPLATE,
            "--build-dir",
            where / "build",
            "--cache-dir",
            where / "cache",
            "--no-cached",
            "--parallel",
        ],
        env=offline_env(extra_path=python.parent),
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "Build Succeeded" in result.stdout + result.stderr
    return where / "build"


@pytest.fixture(scope="module")
def layer(build: Path) -> Path:
    return build / "CommonLayer" / "python"


def test_layer_holds_cme_and_its_dependencies(layer: Path) -> None:
    for package in LAYER_PACKAGES:
        assert (layer / package / "__init__.py").is_file(), f"{package} is not in the layer"
    sources = REPO / "layers" / "common" / "cme"
    expected = {
        p.relative_to(sources) for p in sources.rglob("*.py") if "__pycache__" not in p.parts
    }
    built = {p.relative_to(layer / "cme") for p in (layer / "cme").rglob("*.py")}
    assert expected <= built


def test_layer_carries_the_fonts(layer: Path) -> None:
    for package in FONT_PACKAGES:
        fonts = [p for p in (layer / package).rglob("*") if p.suffix.lower() in {".ttf", ".otf"}]
        assert fonts, f"no font file in {package}"


def test_layer_carries_every_font_a_certificate_may_use(layer: Path) -> None:
    from cme.certificate.fonts import SOURCES

    missing = [
        f"{source.package}/{source.resource}"
        for source in SOURCES
        if not (layer / source.package / source.resource).is_file()
    ]
    assert missing == []


def test_layer_holds_nothing_lambda_does_not_run(layer: Path) -> None:
    # No tools, no second copies of the wheels' data files.
    assert not (layer / "cme_tools").exists()
    assert [p.name for p in layer.iterdir() if p.suffix in {".otf", ".ttf"}] == []
    assert not (layer / "bin").exists()
    assert not (layer / "share").exists()


def test_layer_ships_bytecode_lambda_uses_as_it_is(layer: Path) -> None:
    # Lambda cannot write bytecode: without it every cold start compiles each module. Each
    # module of cme and of its dependencies has its 3.13 bytecode, valid whatever the
    # sources' timestamps (unchecked hash: flags 0b01 in the header).
    import importlib.util

    def bytecode(source: Path) -> Path:
        return source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"

    sources = [p for p in layer.rglob("*.py") if "__pycache__" not in p.parts]
    assert sources
    assert [p for p in sources if not bytecode(p).is_file()] == []
    for source in (layer / "cme").rglob("*.py"):
        header = bytecode(source).read_bytes()[:8]
        assert header[:4] == importlib.util.MAGIC_NUMBER
        assert int.from_bytes(header[4:8], "little") == 0b01


def test_layer_native_code_is_arm64(layer: Path) -> None:
    libraries = [p for p in layer.rglob("*.so*") if p.is_file()]
    assert any(p.parts[-2] == "uharfbuzz" for p in libraries), "uharfbuzz has no native module"
    wrong = [
        str(p.relative_to(layer))
        for p in libraries
        if elf_machine(p) not in {None, ELF_MACHINE_AARCH64}
    ]
    assert wrong == []
    assert not [p for p in libraries if "x86_64" in p.name]


def test_layer_stays_far_below_the_unzipped_limit(build: Path, report_size: Any) -> None:
    megabytes = size_mb(build / "CommonLayer")
    report_size("CommonLayer", megabytes)
    print(f"CommonLayer unzipped: {megabytes:.1f} MB")  # noqa: T201
    assert megabytes < LAYER_BUDGET_MB < LAMBDA_UNZIPPED_LIMIT_MB


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_package_is_its_handler_only(build: Path, report_size: Any, name: str) -> None:
    package = build / name
    assert (package / "app.py").is_file()
    megabytes = size_mb(package)
    report_size(name, megabytes)
    assert megabytes < 1, "dependencies belong in the layer"


def test_built_template_points_at_the_built_code(build: Path) -> None:
    text = (build / "template.yaml").read_text(encoding="utf-8")
    for name in (*FUNCTIONS, "CommonLayer"):
        assert f"CodeUri: {name}" in text or f"ContentUri: {name}" in text
