"""Nothing from a spec runs as code: adversarial names are refused, strings stay data."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from support import EXAMPLES, ROOT, specc

import specc as compiler
from specc import resources


def test_code_like_strings_are_printed_exactly_as_written(executions: dict) -> None:
    for target in compiler.TARGETS:
        run = executions[("adversarial_strings", target)]
        assert run.returncode == 0, run.stderr
        assert run.stdout.splitlines()[0] == """{ step } {% if %} "quoted" '0' 1.284 \\n"""


def test_a_missing_data_file_is_a_one_line_error(tmp_path: Path) -> None:
    spec = 'data x = csv("absent.csv", "a")\ndata y = csv("absent.csv", "b")\nlayer Dense 1->1\n'
    script = tmp_path / "model_torch.py"
    script.write_text(compiler.compile(spec, "torch", "model.spec"))
    run = subprocess.run(
        [sys.executable, script.name], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 1
    assert run.stderr.startswith("error: cannot read the data file 'absent.csv': ")
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    "spec",
    [
        "data __import__ = randn(10, 1)\nlayer Dense 1->1\n",
        "data np = randn(10, 1)\nlayer Dense 1->1\n",
        "data print = randn(10, 1)\nlayer Dense 1->1\n",
        "data fc1_kernel = randn(10, 1)\nlayer Dense 1->1\n",
        "model os\nlayer Dense 1->1\n",
        "param lambda[1]\nforward y = lambda * x\n",
        'data x = csv("a\\nb.csv", "c")\nlayer Dense 1->1\n',
        'layer Dense 1->1\nlog format="{loss.__class__.__init__.__globals__}"\n',
        'layer Dense 1->1\nlog format="{0}"\n',
        'layer Dense 1->1\nlog format="{}"\n',
        'layer Dense 1->1\nlog format="{loss!a}"\n',
        'layer Dense 1->1\nlog format="{loss:{epoch}}"\n',
        "layer Dense 1->1\ndata x = [[1, 2], [3, 4]] @ __class__\n",
    ],
)
def test_adversarial_specs_get_a_located_error(spec: str) -> None:
    result = specc("build", "-", "--target", "torch", stdin=spec)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("<stdin>:")
    assert ": error: " in result.stderr.splitlines()[0]
    assert result.stdout == ""


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX users")
def test_the_build_cache_is_a_directory_only_its_user_may_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a build compiles once (the parse tables, which lark loads with pickle, and the
    templates) is kept in a directory of the user's own, never in a file of a predictable
    name in the shared temp dir, which another user could make first."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    folder = resources.cache_dir()
    assert folder == tmp_path / f"specc-cache-{os.getuid()}"
    assert stat.S_IMODE(folder.stat().st_mode) == stat.S_IRWXU
    folder.chmod(0o777)  # as a directory someone else made for us would be
    assert resources.cache_dir() is None
    folder.rmdir()
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    folder.symlink_to(tmp_path / "elsewhere")
    assert resources.cache_dir() is None
    folder.unlink()
    environment = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    for _ in range(2):  # the second run loads what the first cached
        built = subprocess.run(
            [sys.executable, "-m", "specc", "build", str(EXAMPLES / "simplenet.spec")],
            capture_output=True,
            text=True,
            env=environment,
        )
        assert built.returncode == 0, built.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", folder.name]
    cached = [p.name for p in folder.iterdir()]
    assert any(name.startswith("grammar-lark") for name in cached), cached
    assert any(name.startswith("__jinja2_") for name in cached), cached
