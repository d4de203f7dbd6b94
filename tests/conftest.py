"""Shared fixtures; tests/ helpers (support) import as plain modules.

Every case's scripts run once per session, all at once (`executions`). They start in the
background as soon as the tests are collected, and the tests that read them run last: the
others run meanwhile, on the core the scripts leave free between them. A float32 case's band
is read from tests/bands/ instead where its file holds the band's current key (`bands`).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import posixpath
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from mutants import MUTANTS
from support import (
    BAND_CHECK,
    BANDS,
    FORK_CHECK,
    FRESH,
    FRESH_RUNS,
    REGEN,
    RUNS,
    TARGETS,
    build_cases,
    case_targets,
)

import specc
from specc import ir
from specc.agreement import MEMBERS
from specc.diagnostics import Source
from specc.runner import (
    NATIVE_MEMBERS,
    Execution,
    Job,
    band_scripts,
    data_files,
    job,
    native_scripts,
    run_all,
    slowest_first,
    write_scripts,
)
from specc.spell import datasets

SHARED = ("scripts", "executions", "bands")  # the fixtures the background makes


# Each case's IR, for how its scripts are launched (`specc.runner.job`): torchrun for a
# distributed torch script.
SPECS: dict[str, ir.Spec] = {}


@dataclass(frozen=True)
class StoredBand:
    """A float32 case's band in tests/bands/: its file, the key its runs have now
    (`band_key`), its runs' names, and each one's stdout as stored under that key (None: no
    file, or one made under another key)."""

    file: Path
    key: str
    runs: tuple[str, ...]
    stdout: dict[str, str] | None


# Each float32 case's band, by case; cases that share a band (`write_all`) share its file,
# named after the first of them.
STORED: dict[str, StoredBand] = {}


def band_key(experiment: str, band: dict[str, Path], spec: ir.Spec) -> str:
    """All that a band's runs print depends on: the NumPy script less its stamp line, the
    band's own scripts (their text holds specc/_mca.py and the call that runs it), MEMBERS,
    the data files the script reads, and the versions of NumPy and, for a bundled data set,
    of scikit-learn."""
    folder = next(iter(band.values())).parent  # the data files' copies are beside the scripts
    files = {name: folder / posixpath.normpath(name) for name in data_files(spec)}
    data = {n: hashlib.sha256(f.read_bytes()).hexdigest() for n, f in files.items() if f.is_file()}
    versions = {"numpy": numpy.__version__}
    if datasets(spec):
        versions["scikit-learn"] = importlib.metadata.version("scikit-learn")
    scripts = {run: path.read_text(encoding="utf-8") for run, path in band.items()}
    parts = [experiment, scripts, MEMBERS, data, versions]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def stored_band(case: str, key: str, runs: list[str]) -> StoredBand:
    """A case's band, with what its file stores if that is under `key` and has every run."""
    file = BANDS / f"{case.replace('/', '_')}.json"
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing or broken: computed again, and reported
        document = {}
    lines = document.get("stdout") if document.get("key") == key else None
    if not isinstance(lines, dict) or sorted(lines) != sorted(runs):
        return StoredBand(file, key, tuple(runs), None)
    return StoredBand(file, key, tuple(runs), {run: "\n".join(lines[run]) for run in runs})


def stored_runs(scripts: dict[tuple[str, str], Path]) -> dict[tuple[str, str], Execution]:
    """The band runs that their files give instead of running (exit 0, the stored stdout,
    no stderr): those of bands stored under their current key, but BAND_CHECK's, which runs
    to prove the others, and a band shared with a case whose file is stale."""
    given = {
        key: band.stdout[key[1]]
        for key in scripts
        if (band := STORED.get(key[0])) and band.stdout and key[1] in band.runs
        if key[0] != BAND_CHECK
    }
    run = {path for key, path in scripts.items() if key not in given}
    return {
        key: Execution(0, out, "", 0.0) for key, out in given.items() if scripts[key] not in run
    }


def refresh_bands(
    executions: dict[tuple[str, str], Execution], stored: dict[tuple[str, str], Execution]
) -> None:
    """SPECC_REGEN=1: write the file of each band that ran here and printed other than its
    file holds (or has no file), if every run of it exited 0 and wrote nothing to stderr;
    remove the files that are no case's band."""
    for band in {band.file: band for band in STORED.values()}.values():
        cases = [case for case, shared in STORED.items() if shared.file == band.file]
        runs = {run: executions[(cases[0], run)] for run in band.runs}
        stdout = {run: execution.stdout for run, execution in runs.items()}
        ran = (cases[0], band.runs[0]) not in stored
        if (
            ran
            and stdout != band.stdout
            and not any(e.returncode or e.stderr for e in runs.values())
        ):
            lines = {run: text.split("\n") for run, text in stdout.items()}  # readable diffs
            document = {"cases": cases, "key": band.key, "stdout": lines}
            BANDS.mkdir(exist_ok=True)
            band.file.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
            STORED.update(dict.fromkeys(cases, StoredBand(band.file, band.key, band.runs, stdout)))
    for file in set(BANDS.glob("*.json")) - {band.file for band in STORED.values()}:
        file.unlink()


def write_all(root: Path) -> dict[tuple[str, str], Path]:
    """Every case built for every target that computes it, written with its data files;
    keyed by (case, target). A float32 case's NumPy script has the band's runs beside it,
    keyed by (case, run): `exact` and the ensemble's (`specc.runner.band_scripts`); a case
    whose frameworks draw for themselves, the draws' (`specc.runner.native_scripts`). Cases
    whose NumPy scripts are one experiment (a distributed example and its one-process
    original: the reference trains in one process) share one band's scripts."""
    paths: dict[tuple[str, str], Path] = {}
    bands: dict[str, dict[str, Path]] = {}  # a NumPy script, less its stamp -> its band
    stored: dict[str, StoredBand] = {}  # the same -> its band's file
    for case in build_cases():
        source = Source(case.spec.name, case.spec.read_text(encoding="utf-8"))
        result = specc.build(source, case_targets(case))  # NumPy has no `native` weights
        SPECS[case.name] = result.spec
        directory = root / case.name.replace("/", "_")
        written = write_scripts(
            result.scripts, directory, case.spec.stem, result.spec, case.spec.parent
        )
        paths |= {(case.name, target): path for target, path in written.items()}
        if result.spec.statistical:
            draws = native_scripts(result.spec, written, directory, case.spec.stem, NATIVE_MEMBERS)
            paths |= {(case.name, run): path for run, path in draws.items()}
        elif result.spec.dtype == "float32" and "numpy" in written:
            experiment = result.scripts["numpy"].split("\n", 1)[1]
            if experiment not in bands:
                bands[experiment] = band_scripts(written["numpy"], MEMBERS)
                key = band_key(experiment, bands[experiment], result.spec)
                stored[experiment] = stored_band(case.name, key, list(bands[experiment]))
            paths |= {(case.name, run): path for run, path in bands[experiment].items()}
            STORED[case.name] = stored[experiment]
    for mutant in MUTANTS:  # tests/test_mutations.py says when one's `old` is not there
        script = paths[(mutant.case, RUNS[mutant.run][0])]
        text = script.read_text(encoding="utf-8")
        if text.count(mutant.old) == 1:
            path = script.with_name(f"{script.stem}_mutant_{mutant.name}.py")
            path.write_text(text.replace(mutant.old, mutant.new), encoding="utf-8")
            paths[(mutant.case, f"mutant {mutant.name}")] = path
    return paths


def jobs(
    scripts: dict[tuple[str, str], Path], stored: dict[tuple[str, str], Execution]
) -> list[tuple[tuple[str, str], Job]]:
    """Every run of every case: each target, and Keras scripts again on other backends
    (RUNS), the longest first; the band's runs and the mutants, but the band runs `stored`
    gives; and one float64 case's runs on each engine again in fresh interpreters
    (FRESH_RUNS), for tests/test_execute.py to hold the forked ones to."""
    cases = build_cases()
    listed = [
        ((case.name, run), job(scripts[(case.name, RUNS[run][0])], run, SPECS[case.name]))
        for run in slowest_first(RUNS)
        for case in cases
        if (case.name, RUNS[run][0]) in scripts
    ]
    listed[:0] = [
        ((FORK_CHECK, FRESH + run), Job(scripts[(FORK_CHECK, RUNS[run][0])], RUNS[run][1], True))
        for run in slowest_first(FRESH_RUNS)
    ]
    mutants = {f"mutant {m.name}": RUNS[m.run][1] for m in MUTANTS}
    shared = set()  # a band's runs that cases share run once (`shared_runs`)
    for key, path in scripts.items():
        if key[1] not in TARGETS and path not in shared and key not in stored:
            shared.add(path)
            listed.append((key, Job(path, mutants.get(key[1], {}))))
    return listed


def shared_runs(
    scripts: dict[tuple[str, str], Path], executions: dict[tuple[str, str], Execution]
) -> dict[tuple[str, str], Execution]:
    """The executions of every run, the band's that cases share given to each of them."""
    ran = {scripts[key]: execution for key, execution in executions.items() if key in scripts}
    shared = {
        key: ran[path] for key, path in scripts.items() if key not in executions and path in ran
    }
    return executions | shared


class Background:
    """The shared runs, made in a thread of their own once the scripts are written (here, in
    the main thread, whose imports another thread must not race). Each script runs whole in
    a fork of a warm interpreter that has imported its framework (`run_all(..., warm=True)`),
    which prints what a fresh interpreter prints (tests/test_runner_warm.py, and
    tests/test_execute.py for one case on every run)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="specc-tests-"))
        self.scripts: dict[tuple[str, str], Path] = {}
        self.executions: dict[tuple[str, str], Execution] = {}
        self.stored: dict[tuple[str, str], Execution] = {}
        self._stop = threading.Event()
        self._error: BaseException | None = None
        try:
            self.scripts = write_all(self.root)
            self.stored = stored_runs(self.scripts)
        except Exception as error:  # raised again in every test that reads the scripts
            self._error = error
        self._thread = threading.Thread(target=self._run, name="shared runs", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if self._error is not None:
            return
        try:
            ran = run_all(jobs(self.scripts, self.stored), warm=True, stop=self._stop)
            self.executions = shared_runs(self.scripts, ran | self.stored)
            if REGEN:
                refresh_bands(self.executions, self.stored)
        except BaseException as error:  # raised again in every test that reads the runs
            self._error = error

    def written(self) -> dict[tuple[str, str], Path]:
        if not self.scripts and self._error is not None:
            raise self._error
        return self.scripts

    def finished(self) -> dict[tuple[str, str], Execution]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.executions

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        shutil.rmtree(self.root, ignore_errors=True)


_BACKGROUND = pytest.StashKey[Background]()


@pytest.hookimpl(trylast=True)  # after -k, -m and --deselect have chosen the tests
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start the shared runs if a test to run reads them, and run such tests last."""
    shared = [item for item in items if set(SHARED) & set(getattr(item, "fixturenames", ()))]
    if shared:
        ids = {id(item) for item in shared}
        items[:] = [item for item in items if id(item) not in ids] + shared
        config.stash[_BACKGROUND] = Background()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _BACKGROUND in config.stash:
        config.stash[_BACKGROUND].stop()


@pytest.fixture(scope="session")
def scripts(pytestconfig: pytest.Config) -> dict[tuple[str, str], Path]:
    """Every case's scripts, keyed by (case, target) and (case, band or mutant run)."""
    return pytestconfig.stash[_BACKGROUND].written()


@pytest.fixture(scope="session")
def executions(pytestconfig: pytest.Config) -> dict[tuple[str, str], Execution]:
    """Every script run once (`jobs`), keyed by (case, run)."""
    return pytestconfig.stash[_BACKGROUND].finished()


@pytest.fixture(scope="session")
def bands(executions: dict[tuple[str, str], Execution]) -> dict[str, StoredBand]:
    """Every float32 case's band, as tests/bands/ stores it once the runs are done (with
    SPECC_REGEN=1, the files of those that ran written again)."""
    return STORED
