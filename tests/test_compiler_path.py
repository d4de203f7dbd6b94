"""The compiler path never imports a framework, and its output never imports specc."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest
from support import ROOT, build_cases, case_targets

import specc
from specc.backends import backend
from specc.diagnostics import Source
from specc.ir import RESERVED_NAMES, _generated
from specc.lower import STANDARD_LIBRARY

FRAMEWORKS = ("torch", "tensorflow", "keras", "jax")


def test_building_every_target_imports_no_framework() -> None:
    spec = ROOT / "examples" / "simplenet.spec"
    # -X importtime logs every module the process imports, including the CLI's own.
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "specc", "build", str(spec), "-t", "all",
         "-o", str(ROOT / "build" / "import-check")],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines()}
    assert {"specc", "lark", "jinja2"} <= imported
    assert not imported & set(FRAMEWORKS), sorted(imported & set(FRAMEWORKS))


@pytest.mark.parametrize(
    ("spec", "target"),
    [("examples/simplenet.spec", "torch"), ("tests/cases/formula_calculus/model.spec", "numpy")],
)
def test_a_build_builds_no_validator_and_needs_no_black(spec: str, target: str) -> None:
    """What keeps a cold build near its import floor: the checker's IR is not validated again
    (pydantic builds a validator, and loads its plugins, on a node's first validation), and a
    script whose lines fit is not given to black."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "specc", "build", spec, "-t", target],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    assert "pydantic._internal._model_construction" in imported  # the IR was made
    assert not imported & {"pydantic.plugin._loader", "black"}


@pytest.mark.parametrize("case", build_cases(), ids=lambda c: c.name)
def test_scripts_import_only_numpy_and_their_framework(case) -> None:
    result = specc.build(Source(case.spec.name, case.spec.read_text()), case_targets(case))
    for target, text in result.scripts.items():
        tree = ast.parse(text)
        modules = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            node.module.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }
        # the standard library's csv, os, sys, scikit-learn where it loads a `dataset`, and a
        # backend of the framework where it runs on it (Keras on TensorFlow, JAX or torch)
        allowed = {"sklearn", *STANDARD_LIBRARY, *backend(target).modules, *backend(target).engines}
        assert modules <= allowed, f"{target} imports {sorted(modules - allowed)}"


def _module_names(body: list[ast.stmt]) -> set[str]:
    """Names bound at module level (not inside functions or classes)."""
    names: set[str] = set()
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
            continue
        for child in ast.walk(node):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                names.add(child.id)
            elif isinstance(child, ast.alias):
                names.add((child.asname or child.name).split(".")[0])
    return names


@pytest.mark.parametrize("case", build_cases(), ids=lambda c: c.name)
def test_scripts_define_only_reserved_or_spec_names(case) -> None:
    """A spec name can never shadow one of the script's own: the IR's list is complete."""
    result = specc.build(Source(case.spec.name, case.spec.read_text()), case_targets(case))
    spec = result.spec
    spec_names = {d.name for d in spec.data} | {spec.name} | {w.var for w in spec.weights}
    for target, text in result.scripts.items():
        names = _module_names(ast.parse(text).body) - spec_names
        unknown = {n for n in names if n not in RESERVED_NAMES and not _generated().fullmatch(n)}
        assert not unknown, f"{target} defines names missing from RESERVED_NAMES: {sorted(unknown)}"
