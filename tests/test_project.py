"""A project that pins generated code: its config, every spec built in one run, `--check`.

The config is found walking up from the working directory, or named with --config; a
project's specs are built together, a bad spec reported with its file while the others are
written, only files that change are rewritten, and `--check` names every stale file. Several
FILE arguments work with --target too. A config that says something wrong is a located
error, as a spec's is.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import EXAMPLES, ROOT, TARGETS, specc, specc_main

SIMPLENET = EXAMPLES / "simplenet.spec"
IRIS = EXAMPLES / "iris.spec"

CONFIG = """\
[project]
name = "demo"

[tool.specc]
specs = ["specs/*.spec"]
targets = ["torch", "numpy"]
output = "generated/{name}_{target}.py"
"""


# What CONFIG writes for the two specs.
ALL_WRITTEN = ["iris_numpy.py", "iris_torch.py", "simplenet_numpy.py", "simplenet_torch.py"]


def _project(root: Path, config: str = CONFIG) -> Path:
    (root / "specs").mkdir()
    shutil.copy(SIMPLENET, root / "specs")
    shutil.copy(IRIS, root / "specs")
    (root / "pyproject.toml").write_text(config, encoding="utf-8")
    return root / "generated"


def _golden(name: str, target: str) -> str:
    return (EXAMPLES / name / f"{name}_{target}.py").read_text(encoding="utf-8")


def test_build_writes_every_spec_of_the_project(tmp_path: Path) -> None:
    generated = _project(tmp_path)
    (tmp_path / "specs" / "deeper").mkdir()
    result = specc("build", cwd=tmp_path / "specs" / "deeper")  # the config is found above
    assert result.returncode == 0, result.stderr
    assert result.stderr.endswith("specc: 2 specs, 4 files: 4 written, 0 unchanged\n")
    assert sorted(p.name for p in generated.iterdir()) == ALL_WRITTEN
    assert (generated / "iris_torch.py").read_text(encoding="utf-8") == _golden("iris", "torch")
    again = specc_main("build", cwd=tmp_path)
    assert again.stderr.endswith("specc: 2 specs, 4 files: 0 written, 4 unchanged\n")


def test_check_names_every_stale_file_with_a_diff(tmp_path: Path) -> None:
    generated = _project(tmp_path)
    assert specc_main("build", cwd=tmp_path).returncode == 0
    fresh = specc_main("build", "--check", cwd=tmp_path)
    assert (fresh.returncode, fresh.stdout) == (0, "")
    assert fresh.stderr.endswith("specc: 2 specs, 4 files: 4 up to date\n")

    (generated / "iris_torch.py").write_text("# edited by hand\n", encoding="utf-8")
    (generated / "simplenet_numpy.py").unlink()
    stale = specc_main("build", "--check", cwd=tmp_path)
    assert stale.returncode == 1
    assert "--- generated/iris_torch.py (on disk)\n" in stale.stdout
    assert "-# edited by hand\n" in stale.stdout
    assert "--- generated/simplenet_numpy.py (on disk)\n" in stale.stdout
    assert (
        "specc: 2 stale: generated/iris_torch.py, generated/simplenet_numpy.py "
        "(`specc build` writes them)\n"
    ) in stale.stderr
    assert (generated / "iris_torch.py").read_text(encoding="utf-8") == "# edited by hand\n"


def test_a_bad_spec_is_reported_and_the_others_are_written(tmp_path: Path) -> None:
    generated = _project(tmp_path)
    bad = tmp_path / "specs" / "bad.spec"
    bad.write_text("layer Dense 1->2\nloss mse\noptim sgd lr=-1\n", encoding="utf-8")
    result = specc_main("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "specs/bad.spec:3:" in result.stderr and ": error: " in result.stderr
    assert result.stderr.endswith("specc: 2 of 3 specs built; errors in specs/bad.spec\n")
    assert sorted(p.name for p in generated.iterdir()) == ALL_WRITTEN
    assert specc_main("build", "--check", cwd=tmp_path).returncode == 1  # still bad


def test_files_given_build_only_those_where_the_config_says(tmp_path: Path) -> None:
    generated = _project(tmp_path)
    result = specc_main("build", "specs/iris.spec", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in generated.iterdir()) == ["iris_numpy.py", "iris_torch.py"]
    other = tmp_path / "other.spec"
    shutil.copy(SIMPLENET, other)
    outside = specc("build", str(other), cwd=tmp_path)
    assert outside.returncode == 2
    assert "other.spec is not one of the specs of pyproject.toml: give --target" in outside.stderr


def test_several_files_with_a_target_go_into_a_directory(tmp_path: Path) -> None:
    result = specc("build", str(SIMPLENET), str(IRIS), "-t", "keras", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "simplenet_keras.py").read_text() == _golden("simplenet", "keras")
    assert (tmp_path / "iris_keras.py").read_text() == _golden("iris", "keras")
    check = specc_main(
        "build", str(SIMPLENET), str(IRIS), "-t", "keras", "-o", str(tmp_path), "--check",
        cwd=tmp_path,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout
    (tmp_path / "same").mkdir()
    shutil.copy(SIMPLENET, tmp_path / "same")
    clash = specc("build", str(SIMPLENET), str(tmp_path / "same" / "simplenet.spec"), "-t", "all")
    assert clash.returncode == 2
    assert "would both write simplenet_torch.py" in clash.stderr


def test_groups_and_a_named_specc_toml(tmp_path: Path) -> None:
    """`[[build]]` groups take the top level's keys as defaults; --config names a config
    anywhere."""
    _project(tmp_path, "")
    config = tmp_path / "config" / "specc.toml"
    config.parent.mkdir()
    config.write_text(
        'output = "out/{folder}/{target}/{name}.py"\n'
        "\n[[build]]\n"
        'specs = ["../specs/simplenet.spec"]\n'
        'targets = ["tfgraph"]\n',
        encoding="utf-8",
    )
    leaves = specc_main("build", "--config", str(config), cwd=tmp_path)
    assert leaves.returncode == 1
    assert "`../specs/simplenet.spec` leaves the project's folder" in leaves.stderr
    config.write_text(
        'output = "out/{folder}/{target}/{name}.py"\n'
        "\n[[build]]\n"
        'specs = ["specs/simplenet.spec"]\n'
        'targets = ["tfgraph"]\n'
        "\n[[build]]\n"
        'specs = ["specs/*.spec"]\n'
        'exclude = ["specs/simplenet.spec"]\n',
        encoding="utf-8",
    )
    config.rename(tmp_path / "specc.toml")
    result = specc_main("build", "--config", "specc.toml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*"))
    assert [w for w in written if w.endswith(".py")] == [
        "specs/keras/iris.py",
        "specs/numpy/iris.py",
        "specs/tfgraph/iris.py",
        "specs/tfgraph/simplenet.py",
        "specs/torch/iris.py",
    ]


def test_a_group_takes_the_top_level_exclude(tmp_path: Path) -> None:
    generated = _project(
        tmp_path,
        '[tool.specc]\ntargets = ["torch"]\noutput = "generated/{name}_{target}.py"\n'
        'exclude = ["specs/iris.spec"]\n\n[[tool.specc.build]]\nspecs = ["specs/*.spec"]\n',
    )
    result = specc_main("build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.endswith("specc: 1 spec, 1 file: 1 written, 0 unchanged\n")
    assert [p.name for p in generated.iterdir()] == ["simplenet_torch.py"]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            '[tool.specc]\nspecs = ["specs/*.spec"]\ntarget = ["torch"]\n',
            "pyproject.toml:3:1: error: unknown key `target`\n"
            "  |\n"
            '3 | target = ["torch"]\n'
            "  | ^^^^^^\n"
            "  = help: did you mean `targets`?\n",
        ),
        (
            '[tool.specc]\nspecs = ["specs/*.spec"]\ntargets = ["torch", "jax"]\n',
            "pyproject.toml:3:1: error: unknown target `jax`\n"
            "  |\n"
            '3 | targets = ["torch", "jax"]\n'
            "  | ^^^^^^^\n"
            "  = help: targets are `torch`, `tfgraph`, `keras` and `numpy`\n",
        ),
        (
            '[tool.specc]\nspecs = ["specs/*.spec"]\noutput = "gen/{stem}.py"\n',
            "pyproject.toml:3:1: error: `output` has an unknown placeholder `{stem}`\n"
            "  |\n"
            '3 | output = "gen/{stem}.py"\n'
            "  | ^^^^^^\n"
            "  = help: the placeholders are `{name}`, `{folder}` and `{target}`\n",
        ),
        (
            '[tool.specc]\nspecs = ["models/*.spec"]\n',
            "pyproject.toml:2:1: error: `models/*.spec` matches no file\n"
            "  |\n"
            '2 | specs = ["models/*.spec"]\n'
            "  | ^^^^^\n"
            "  = help: globs are relative to the config's folder, {root}\n",
        ),
        (
            '[tool.specc]\nspecs = ["specs/*.spec"]\noutput = "gen/{target}.py"\n',
            "pyproject.toml:3:1: error: two outputs at gen/torch.py: iris.spec (torch) and "
            "simplenet.spec (torch)\n"
            "  |\n"
            '3 | output = "gen/{target}.py"\n'
            "  | ^^^^^^\n"
            "  = help: put `{name}` and `{target}` in `output`\n",
        ),
        (
            '[tool.specc]\nspecs = ["specs/*.spec"\n',
            "pyproject.toml:2:24: error: this is not TOML: unclosed array\n"
            "  |\n"
            '2 | specs = ["specs/*.spec"\n'
            "  | " + " " * 23 + "^\n",
        ),
    ],
    ids=["unknown_key", "unknown_target", "placeholder", "no_match", "clash", "toml"],
)
def test_a_wrong_config_is_a_located_error(tmp_path: Path, config: str, expected: str) -> None:
    generated = _project(tmp_path, config)
    result = specc_main("build", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == expected.replace("{root}", str(tmp_path))
    assert not generated.exists()  # nothing written


def test_a_config_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    generated = _project(tmp_path)
    (tmp_path / "pyproject.toml").write_bytes(b'[tool.specc]\nspecs = ["\xff"]\n')
    result = specc_main("build", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == "pyproject.toml: error: not UTF-8 text (byte 0xff at offset 23)\n"
    assert not generated.exists()


def test_without_a_target_or_a_config_it_is_misuse(tmp_path: Path) -> None:
    result = specc("build", str(SIMPLENET), cwd=tmp_path)
    assert result.returncode == 2
    assert "give --target" in result.stderr and "no project config here or above" in (result.stderr)


def test_this_repository_pins_its_examples() -> None:
    """specc's own pyproject.toml pins the examples' scripts, as a project would."""
    result = specc_main("build", "--check", cwd=ROOT / "examples")
    assert result.returncode == 0, result.stdout[-2000:]
    specs = len(list(EXAMPLES.glob("*.spec")))
    files = specs * len(TARGETS)
    assert result.stderr.endswith(f"specc: {specs} specs, {files} files: {files} up to date\n")
