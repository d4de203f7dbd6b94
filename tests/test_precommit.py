"""The pre-commit hooks of `.pre-commit-hooks.yaml`, run by the real pre-commit.

`pre-commit try-repo` installs specc from this repository into an environment of its own, as
a project's `.pre-commit-config.yaml` would, and runs each hook in a throwaway git
repository: `specc-check` fails on a stale generated file and passes once `specc build` has
written it; `specc-fmt` rewrites a spec out of layout (which fails the commit, as formatters'
hooks do) and passes on the result.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import EXAMPLES, ROOT, specc

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit's own store, shared by the module's runs: specc is installed into it once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _project(root: Path) -> Path:
    _git(root, "init", "-q")
    (root / "specs").mkdir()
    shutil.copy(EXAMPLES / "simplenet.spec", root / "specs")
    (root / "pyproject.toml").write_text(
        '[tool.specc]\nspecs = ["specs/*.spec"]\ntargets = ["torch"]\n', encoding="utf-8"
    )
    assert specc("build", cwd=root).returncode == 0
    _git(root, "add", "-A")
    return root / "specs" / "simplenet_torch.py"


def _hook(repo: Path, home: Path, hook: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*PRE_COMMIT, "try-repo", str(ROOT), hook, "--all-files", "--color", "never"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "PRE_COMMIT_HOME": str(home)},
        timeout=600,
    )


def test_specc_check_fails_on_a_stale_file_until_it_is_built(tmp_path: Path, home: Path) -> None:
    generated = _project(tmp_path)
    assert _hook(tmp_path, home, "specc-check").returncode == 0
    spec = tmp_path / "specs" / "simplenet.spec"
    spec.write_text(spec.read_text().replace("lr=0.01", "lr=0.02"), encoding="utf-8")
    stale = _hook(tmp_path, home, "specc-check")
    assert stale.returncode == 1, stale.stdout
    assert "specc build --check" in stale.stdout and "Failed" in stale.stdout
    assert "specc: 1 stale: specs/simplenet_torch.py" in stale.stdout
    assert specc("build", cwd=tmp_path).returncode == 0
    assert "lr=0.02" in generated.read_text(encoding="utf-8")
    fresh = _hook(tmp_path, home, "specc-check")
    assert fresh.returncode == 0, fresh.stdout
    assert "Passed" in fresh.stdout


def test_specc_fmt_lays_out_a_spec_and_then_passes(tmp_path: Path, home: Path) -> None:
    _project(tmp_path)
    spec = tmp_path / "specs" / "simplenet.spec"
    spec.write_text(spec.read_text().replace("optim sgd lr=0.01", "optim  sgd  lr=0.01"))
    changed = _hook(tmp_path, home, "specc-fmt")
    assert changed.returncode == 1, changed.stdout
    assert "files were modified by this hook" in changed.stdout
    assert "optim sgd lr=0.01\n" in spec.read_text(encoding="utf-8")
    assert spec.read_text(encoding="utf-8") == (EXAMPLES / "simplenet.spec").read_text()
    again = _hook(tmp_path, home, "specc-fmt")
    assert again.returncode == 0, again.stdout
