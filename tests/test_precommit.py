"""The pre-commit hooks of `.pre-commit-hooks.yaml`, run by the real pre-commit.

A throwaway git repository is configured with the README's own `.pre-commit-config.yaml`
snippet, its `repo` and `rev` naming a snapshot of this repository (its working tree, as
`pre-commit try-repo` would take it), and `pre-commit run` installs specc from it into an
environment of its own, as in a user's project. The environment lives in one pre-commit
store for the module: installed once, where `try-repo` installs it again on every call.
`specc-check` fails on a stale generated file and passes once `specc build` has written it;
`specc-fmt` rewrites a spec out of layout (which fails the commit, as formatters' hooks do)
and passes on the result.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import EXAMPLES, ROOT, specc

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A clone of this repository with its uncommitted changes committed, and that commit:
    what the hooks run is the working tree's specc."""
    clone = tmp_path_factory.mktemp("specc-repo") / "specc"
    _git(ROOT, "clone", "-q", "--no-hardlinks", str(ROOT), str(clone))
    changes = subprocess.run(
        ["git", "diff", "HEAD", "--binary"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    if changes:
        subprocess.run(["git", "apply"], cwd=clone, input=changes, check=True)
        _git(clone, "add", "-A")
        identity = ("-c", "user.name=specc tests", "-c", "user.email=tests@specc.invalid")
        _git(clone, *identity, "commit", "-q", "-m", "working tree")
    return clone, _git(clone, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit's own store, shared by the module's runs: specc is installed into it once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def readme_config(repo: Path, rev: str) -> str:
    """The README's `.pre-commit-config.yaml` snippet, naming `repo` at `rev`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"```yaml\n(repos:\n.*?)```", readme, re.DOTALL)
    assert snippet, "README.md has no .pre-commit-config.yaml snippet"
    config = re.sub(r"(?m)^(\s+- repo:) \S+", rf"\1 {repo.as_posix()}", snippet[1])
    return re.sub(r"(?m)^(\s+rev:) \S+", rf"\1 {rev}", config)


def _project(root: Path, snapshot: tuple[Path, str]) -> Path:
    _git(root, "init", "-q")
    (root / "specs").mkdir()
    shutil.copy(EXAMPLES / "simplenet.spec", root / "specs")
    (root / "pyproject.toml").write_text(
        '[tool.specc]\nspecs = ["specs/*.spec"]\ntargets = ["torch"]\n', encoding="utf-8"
    )
    (root / ".pre-commit-config.yaml").write_text(readme_config(*snapshot), encoding="utf-8")
    assert specc("build", cwd=root).returncode == 0
    _git(root, "add", "-A")
    return root / "specs" / "simplenet_torch.py"


def _hook(repo: Path, home: Path, hook: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*PRE_COMMIT, "run", hook, "--all-files", "--color", "never"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "PRE_COMMIT_HOME": str(home)},
        timeout=600,
    )


def test_the_readme_config_names_both_hooks(snapshot: tuple[Path, str]) -> None:
    config = readme_config(*snapshot)
    assert f"repo: {snapshot[0].as_posix()}" in config and f"rev: {snapshot[1]}" in config
    assert re.findall(r"- id: (\S+)", config) == ["specc-check", "specc-fmt"]


def test_specc_check_fails_on_a_stale_file_until_it_is_built(
    tmp_path: Path, home: Path, snapshot: tuple[Path, str]
) -> None:
    generated = _project(tmp_path, snapshot)
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


def test_specc_fmt_lays_out_a_spec_and_then_passes(
    tmp_path: Path, home: Path, snapshot: tuple[Path, str]
) -> None:
    _project(tmp_path, snapshot)
    spec = tmp_path / "specs" / "simplenet.spec"
    spec.write_text(spec.read_text().replace("optim sgd lr=0.01", "optim  sgd  lr=0.01"))
    changed = _hook(tmp_path, home, "specc-fmt")
    assert changed.returncode == 1, changed.stdout
    assert "files were modified by this hook" in changed.stdout
    assert "optim sgd lr=0.01\n" in spec.read_text(encoding="utf-8")
    assert spec.read_text(encoding="utf-8") == (EXAMPLES / "simplenet.spec").read_text()
    again = _hook(tmp_path, home, "specc-fmt")
    assert again.returncode == 0, again.stdout
