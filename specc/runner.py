"""Run generated scripts: every way a script is run, which of them this machine can run,
writing a build where its scripts can run, and running them at once in fresh interpreters.

The one runner the tests (`tests/conftest.py`) and `specc compare` share. It imports no
framework: whether one is installed is asked of `importlib.util.find_spec`, which finds a
module without importing it.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import posixpath
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Literal, TypeVar

from . import ir
from .backends import TARGETS, backend
from .layers import kind_of
from .layers.base import fans
from .spell import datasets, walk

# Every way a script is run: each target, and the Keras script again, unchanged, on other
# Keras backends. Run name -> (target, environment added to the run's).
RUNS: dict[str, tuple[str, dict[str, str]]] = {
    **{t: (t, {}) for t in TARGETS},
    "keras[torch]": ("keras", {"KERAS_BACKEND": "torch"}),
    "keras[jax]": ("keras", {"KERAS_BACKEND": "jax"}),
}

# Every run is held against this one: the NumPy reference once that target exists, torch
# until then.
REFERENCE = "numpy" if "numpy" in TARGETS else "torch"

# A Keras backend's framework: the module it imports and the extra that installs it. A
# script importing keras with no KERAS_BACKEND runs on Keras's default, TensorFlow.
KERAS_BACKENDS = {
    "tensorflow": ("tensorflow", "tensorflow"),
    "torch": ("torch", "torch"),
    "jax": ("jax", "jax"),
}
DEFAULT_KERAS_BACKEND = "tensorflow"

# For tests only: top-level modules to treat as not installed (comma-separated), so a test
# can see a run skipped on a machine that has every framework.
PRETEND_MISSING = "SPECC_PRETEND_MISSING"

# A script running longer than this is killed and reported as failed.
TIMEOUT = 900.0

# What a framework imports on its first use rather than when it is imported, which a warm
# interpreter imports too: torch's first optimizer imports torch._dynamo (1.3 s here).
FIRST_USE_IMPORTS = {"torch": ("torch._dynamo",)}


def refusal(run: str, spec: ir.Spec) -> str | None:
    """Why a run's script refuses to train the spec (Keras on torch under `distribute`)."""
    target, env = RUNS[run]
    return backend(target).refuses_run(spec, env)


def job(script: Path, run: str, spec: ir.Spec) -> Job:
    """How a run of `spec`'s script is started: its environment, and its launcher (torchrun
    for a distributed torch script)."""
    target, env = RUNS[run]
    return Job(script, env, launcher=backend(target).launcher(spec))


def requirements(run: str, spec: ir.Spec | None = None) -> dict[str, str]:
    """The top-level modules a run imports, each with the pip extra that installs it."""
    target, env = RUNS[run]
    script = backend(target)
    needed = {module: script.extra for module in script.modules}
    if "keras" in needed:
        module, extra = KERAS_BACKENDS[env.get("KERAS_BACKEND", DEFAULT_KERAS_BACKEND)]
        needed[module] = extra
    if spec is not None and datasets(spec):
        needed["sklearn"] = "data"  # scikit-learn's bundled data sets
    return needed


def installed(module: str) -> bool:
    """Whether a top-level module can be imported here (found, not imported)."""
    pretend = os.environ.get(PRETEND_MISSING, "")
    if module in {name.strip() for name in pretend.split(",")}:
        return False
    return importlib.util.find_spec(module) is not None


def missing_extras(run: str, spec: ir.Spec | None = None) -> list[str]:
    """What to install for a run to work here: `specc[<extra>]` (or a module), [] if none."""
    found = [
        f"specc[{extra}]" if extra else module
        for module, extra in requirements(run, spec).items()
        if not installed(module)
    ]
    return list(dict.fromkeys(found))


def data_files(spec: ir.Spec) -> list[str]:
    """The CSV files a spec's scripts read, as the spec names them."""
    found = (n.path for d in spec.data for n in walk(d.expr) if isinstance(n, ir.Csv))
    return list(dict.fromkeys(found))


def script_folder(folder: Path, spec: ir.Spec) -> Path:
    """Where `write_scripts` puts a spec's scripts in `folder`: as many levels down as its
    CSV paths climb out of the spec's own folder (`../data/f.csv`: one), so that each data
    file's copy lands inside `folder` where the script looks for it."""
    depth = 0
    for name in data_files(spec):
        if PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute():
            continue
        parts = PurePosixPath(posixpath.normpath(name)).parts
        depth = max(depth, next((n for n, part in enumerate(parts) if part != ".."), 0))
    return folder.joinpath(*["run"] * depth)


def write_scripts(
    scripts: Mapping[str, str], folder: Path, stem: str, spec: ir.Spec, origin: Path
) -> dict[str, Path]:
    """Write each target's script as `--target all` names it, with the data files it reads,
    into `folder` (the caller's own, empty) or below it (`script_folder`).

    A script reads its CSV files relative to its working directory, so those the spec names
    relative to its own folder (`origin`), climbing out of it or not, are copied to the same
    place relative to the scripts. A file that is not there is left out: the scripts then
    fail as they would for a user, with a one-line error. Absolute paths are read where they
    are.
    """
    directory = script_folder(folder, spec)
    directory.mkdir(parents=True, exist_ok=True)
    for name in data_files(spec):
        if PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute():
            continue
        relative = posixpath.normpath(name)
        source = origin / relative
        if source.is_file():
            (directory / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, directory / relative)
    paths = {target: directory / f"{stem}_{target}.py" for target in scripts}
    for target, text in scripts.items():
        paths[target].write_text(text, encoding="utf-8")
    return paths


# The runs that make the band every float32 run is held to (`specc/_mca.py`, written beside
# the NumPy script with a call at its end): the exact answer, and the ensemble of float32
# runs whose roundings differ, a few members to a run so that they share the cores.
EXACT = "exact"
ENSEMBLE = "ensemble"
MEMBERS_PER_RUN = 4


def band_runs(members: int) -> list[str]:
    """The band's runs, by name: the exact answer, then the ensemble's, a few members each."""
    firsts = range(1, members + 1, MEMBERS_PER_RUN)
    return [EXACT, *(f"{ENSEMBLE} {first}" for first in firsts)]


def band_scripts(numpy_script: Path, members: int) -> dict[str, Path]:
    """Write the band's runs beside the NumPy script: run name -> its script. Each starts
    with the NumPy script's own imports, so a warm interpreter imports what it imports."""
    harness = Path(__file__).with_name("_mca.py").read_text(encoding="utf-8")
    head = prologue(numpy_script.read_text(encoding="utf-8"))
    calls = {}
    for run in band_runs(members):
        if run == EXACT:
            calls[run] = f"main({numpy_script.name!r}, 'exact')\n"
        else:
            first = int(run.split()[1])
            count = min(MEMBERS_PER_RUN, members + 1 - first)
            calls[run] = f"main({numpy_script.name!r}, 'random', {count}, {first})\n"
    paths = {}
    for run, call in calls.items():
        path = numpy_script.with_name(f"{numpy_script.stem}_{run.replace(' ', '')}.py")
        path.write_text(f"{head}\n{harness}\n\n{call}", encoding="utf-8")
        paths[run] = path
    return paths


def ensemble_reports(outputs: Iterable[str]) -> list[str]:
    """Each member's report, from the outputs of the ensemble's runs."""
    reports: list[str] = []
    for output in outputs:
        for part in output.split("### member ")[1:]:
            reports.append(part.partition("\n")[2])
    return reports


# With `native` weights each framework draws its own, and with Dropout its own masks: no run
# can be held to another value by value. The band is then one over draws: for each distinct
# native distribution among the targets, NATIVE_MEMBERS NumPy scripts that start from their
# own draws of it (fixed seeds), written as array literals so that the data and the batches'
# order stay the spec's, and that draw their own Dropout masks.
NATIVE_MEMBERS = 16


def native_groups(spec: ir.Spec, targets: Iterable[str]) -> dict[str, list[str]]:
    """The targets by the distribution they draw `native` weights from, each group named by
    its targets: {"torch": ["torch"], "tfgraph+keras": ["tfgraph", "keras"]}. NumPy draws
    none (it refuses `native`); with Dropout alone, every target is one group."""
    network = spec.network
    assert isinstance(network, ir.Sequential)
    by_draw: dict[str, list[str]] = {}
    for target in dict.fromkeys(targets):
        if target == "numpy" and spec.native:
            continue
        draws = repr([
            backend(target).native_init(layer, weight.role)
            for layer in network.layers
            for weight in kind_of(layer).weights(layer)
            if weight.init.kind == "native"
        ])  # fmt: skip
        by_draw.setdefault(draws, []).append(target)
    return {"+".join(group): group for group in by_draw.values()}


def native_scripts(
    spec: ir.Spec, targets: Iterable[str], directory: Path, stem: str, members: int
) -> dict[str, Path]:
    """Write each native group's member scripts: run name (`draw torch 3`) -> script."""
    import numpy as np

    from .compiler import generate

    network = spec.network
    assert isinstance(network, ir.Sequential)
    paths: dict[str, Path] = {}
    for label, group in native_groups(spec, targets).items():
        for member in range(1, members + 1):
            rng = np.random.default_rng(member)
            layers = []
            for layer in network.layers:
                kind, update = kind_of(layer), {}
                fields = {role: field for field, role in kind.inits.values()}
                for weight in kind.weights(layer):
                    if weight.init.kind == "native":
                        drawn = backend(group[0]).native_init(layer, weight.role)
                        update[fields[weight.role]] = _drawn(drawn, weight.shape, rng)
                layers.append(layer.model_copy(update=update))
            fields = {name: getattr(spec, name) for name in type(spec).model_fields}
            fields["network"] = network.model_copy(update={"layers": tuple(layers)})
            fields["mask_seed"] = spec.seed + member  # masks no target run draws
            fields["save"] = None  # the draws run side by side: none writes the model
            script = generate(ir.Spec.model_construct(**fields), "numpy")
            path = directory / f"{stem}_draw_{label.replace('+', '_')}_{member}.py"
            path.write_text(script, encoding="utf-8")
            paths[f"draw {label} {member}"] = path
    return paths


def _drawn(init: ir.Init, shape: tuple[int, ...], rng: object) -> ir.Init:
    """One draw of a native distribution, as the array literal a script spells."""
    import numpy as np

    generator: np.random.Generator = rng  # type: ignore[assignment]
    if init.kind == "glorot_uniform":
        limit = (6 / sum(fans(shape))) ** 0.5
        values = generator.uniform(-limit, limit, size=shape)
    elif init.kind == "orthogonal":  # as Keras draws it
        rows, columns = shape
        q, r = np.linalg.qr(generator.normal(size=(max(rows, columns), min(rows, columns))))
        values = q * np.sign(np.diag(r))
        values = values if rows >= columns else values.T
    elif init.kind == "uniform":
        values = generator.uniform(*init.args, size=shape)  # type: ignore[arg-type]
    else:
        values = np.zeros(shape) if init.kind == "zeros" else np.ones(shape)
    rows = np.atleast_2d(values.astype(np.float32)).tolist()
    literal = ir.ArrayLiteral.model_construct(rows=tuple(tuple(row) for row in rows))
    return ir.Init.model_construct(kind="array", args=(), values=literal)


def slowest_first(runs: Iterable[str]) -> list[str]:
    """Runs in the order to start them: Keras's first, since importing it takes longest, so
    a pool does not end waiting on one straggler."""
    return sorted(runs, key=lambda run: "keras" not in backend(RUNS[run][0]).modules)


@dataclass(frozen=True)
class Execution:
    """What one run of a script gave."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float


K = TypeVar("K", bound=Hashable)
Event = Literal["started", "finished"]


@dataclass(frozen=True)
class Job:
    """One script to run, and the environment its run adds; `fresh`: in a fresh interpreter
    even where `run_all` runs the others warm."""

    script: Path
    env: Mapping[str, str]
    fresh: bool = False
    # what runs the script instead of plain `python`: `-m torch.distributed.run ...`
    # (torchrun) for a distributed torch script; such a run is always fresh
    launcher: tuple[str, ...] = ()


class Stopped(Exception):
    """`run_all` was asked to stop: its scripts were ended, and no more started."""


def environment(extra: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment less its TF_ and KERAS_ settings, which would change what a
    script computes or prints, with the run's own added."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "KERAS_"))}
    return clean | dict(extra)


def thread_limits(workers: int) -> dict[str, str]:
    """Settings that give each of `workers` runs at once its share of the cores.

    Each framework sizes its thread pools to the whole machine, and its threads spin while
    they wait for each other: two scripts at once on two cores, each with two threads per
    pool, ran a Keras-on-torch script ten times slower than alone. A setting the caller made
    (OMP_NUM_THREADS, XLA_FLAGS) is kept; TF_ settings are the runner's own (`environment`).
    """
    cores = os.cpu_count() or 1
    share = max(1, cores // max(1, workers))
    if share >= cores:
        return {}
    limits = {
        "OMP_NUM_THREADS": str(share),  # torch, and NumPy's BLAS
        "TF_NUM_INTRAOP_THREADS": str(share),
        "TF_NUM_INTEROP_THREADS": str(share),
    }
    if share == 1:  # XLA on the CPU (JAX) has a switch for one thread, not a count
        limits["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    return {k: v for k, v in limits.items() if k.startswith("TF_") or k not in os.environ}


class _Processes:
    """The scripts running now, so that an interrupted caller can stop them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: set[subprocess.Popen[str]] = set()
        self.stopped = False

    def start(self, job: Job) -> subprocess.Popen[str] | None:
        with self._lock:
            if self.stopped:
                return None
            process = subprocess.Popen(
                [sys.executable, *job.launcher, job.script.name],
                # a launcher's own processes are ended with it, as one process group
                start_new_session=bool(job.launcher),
                cwd=job.script.parent,  # a user's directory: nothing of specc's beside it
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=environment(job.env),
            )
            self._live.add(process)
            return process

    def done(self, process: subprocess.Popen[str]) -> None:
        with self._lock:
            self._live.discard(process)

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            for process in self._live:
                kill(process)


def kill(process: subprocess.Popen[str]) -> None:
    """End a script, and the processes a launcher started for it (its process group)."""
    try:
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, signal.SIGKILL)
            return
    except OSError:  # it has ended already
        pass
    process.kill()


def prologue(script: str) -> str:
    """A script's leading imports (and the environment it sets before them): what a warm
    interpreter runs once for every script that shares it."""
    tree = ast.parse(script)
    statements = []
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if not (isinstance(node, ast.Import | ast.ImportFrom) or _sets_environment(node)):
            break
        statements.append(ast.get_source_segment(script, node) or "")
    return "\n".join(statements) + "\n"


def _sets_environment(node: ast.stmt) -> bool:
    """`os.environ.setdefault(...)` or `os.environ[...] = ...`."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        node = node.value.func  # type: ignore[assignment]
        return ast.unparse(node) == "os.environ.setdefault"
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return isinstance(target, ast.Subscript) and ast.unparse(target.value) == "os.environ"
    return False


class _Zygote:
    """A warm interpreter (`specc/_zygote.py`) that has run the prologue shared by a group
    of scripts, and runs each of them in a fork of itself: each script still runs whole,
    once, in its own process; only the import of its framework is shared."""

    def __init__(self, env: Mapping[str, str], prologue: str, scratch: Path) -> None:
        self._scratch = scratch
        self._lock = threading.Lock()
        self._answers: dict[int, threading.Event] = {}
        self._status: dict[int, int] = {}
        self._next = 0
        self._process = subprocess.Popen(
            [sys.executable, "-c", Path(__file__).with_name("_zygote.py").read_text()],
            cwd=scratch,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=environment(env),
            start_new_session=True,  # one process group: stopping it stops every script
        )
        self._send({"prologue": prologue})
        self.ready = self._read().get("ready") is True
        if self.ready:
            threading.Thread(target=self._listen, daemon=True).start()

    def _send(self, message: dict[str, object]) -> None:
        assert self._process.stdin is not None
        with self._lock:
            self._process.stdin.write((json.dumps(message) + "\n").encode())
            self._process.stdin.flush()

    def _read(self) -> dict[str, object]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        return json.loads(line) if line else {}

    def _listen(self) -> None:
        while answer := self._read():
            number = int(answer["id"])  # type: ignore[call-overload]
            self._status[number] = int(answer["status"])  # type: ignore[call-overload]
            self._answers[number].set()
        for event in list(self._answers.values()):
            event.set()  # the zygote ended: whoever still waits gets an error

    def run(self, job: Job, timeout: float) -> Execution:
        start = time.perf_counter()
        with self._lock:
            number, self._next = self._next, self._next + 1
            self._answers[number] = threading.Event()
        out, err = self._scratch / f"{number}.out", self._scratch / f"{number}.err"
        self._send(
            {"id": number, "script": str(job.script.resolve()), "stdout": str(out),
             "stderr": str(err), "timeout": max(1, round(timeout))}
        )  # fmt: skip
        self._answers[number].wait()
        code = self._status.get(number, -1)
        stderr = _text(err)
        if code == -signal.SIGALRM:
            stderr += f"specc: killed after {timeout:g} s\n"
        elif number not in self._status:
            stderr += "specc: the warm interpreter running this script ended\n"
        return Execution(code, _text(out), stderr, time.perf_counter() - start)

    def stop(self) -> None:
        try:
            os.killpg(self._process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._process.wait()


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def _execute(job: Job, processes: _Processes, timeout: float) -> Execution:
    start = time.perf_counter()
    process = processes.start(job)
    if process is None:
        return Execution(-1, "", "not run: interrupted\n", 0.0)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill(process)
        stdout, stderr = process.communicate()
        stderr += f"specc: killed after {timeout:g} s\n"
    finally:
        processes.done(process)
    return Execution(process.returncode, stdout, stderr, time.perf_counter() - start)


def run_all(
    jobs: Sequence[tuple[K, Job]],
    on_event: Callable[[K, Event, Execution | None], None] | None = None,
    workers: int | None = None,
    timeout: float = TIMEOUT,
    warm: bool = False,
    stop: threading.Event | None = None,
) -> dict[K, Execution]:
    """Run every job in a fresh interpreter, `workers` at a time (default: one per core), in
    the order given, each with its share of the cores (`thread_limits`);
    `on_event(key, "started" | "finished", execution)` follows them.

    `warm`: jobs with the same environment share one warm interpreter that imports their
    frameworks once, and each runs in a fork of it (for many scripts per framework, as the
    tests run them), but for `fresh` jobs. A group whose imports fail there runs cold, as
    without `warm`. `stop`, once set, ends every script and raises Stopped (from another
    thread: the tests run theirs beside other tests)."""
    workers = workers or os.cpu_count() or 2
    if limits := thread_limits(min(workers, len(jobs))):
        jobs = [(key, replace(job, env=limits | dict(job.env))) for key, job in jobs]
    processes = _Processes()
    report = on_event or (lambda key, event, execution: None)
    warmth = _Warmth(jobs) if warm else None

    def one(key: K, job: Job) -> Execution:
        report(key, "started", None)
        cold = job.fresh or job.launcher or processes.stopped
        zygote = warmth.zygote(job) if warmth and not cold else None
        if zygote is not None:
            execution = zygote.run(job, timeout)
        else:
            execution = _execute(job, processes, timeout)
        report(key, "finished", execution)
        return execution

    ordered = _interleaved(jobs) if warm else list(jobs)
    pool = ThreadPoolExecutor(max_workers=workers)
    futures: dict[Future[Execution], K] = {}
    try:
        futures = {pool.submit(one, key, job): key for key, job in ordered}
        pending = set(futures)
        while pending:  # waits in short slices, so Ctrl-C reaches this thread
            _, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            if stop is not None and stop.is_set():
                raise Stopped
    except BaseException:
        processes.stop()  # interrupted: end every script this call started, and start no more
        if warmth:
            warmth.stop()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    if warmth:
        warmth.stop()
    results = {key: future.result() for future, key in futures.items()}
    return {key: results[key] for key, _ in jobs}


def _first_use_imports(imports: str) -> list[str]:
    """The modules that the frameworks `imports` names import on their first use."""
    top = set()
    for node in ast.walk(ast.parse(imports)):
        if isinstance(node, ast.Import):
            top |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            top.add(node.module.split(".")[0])
    return [module for name in sorted(top) for module in FIRST_USE_IMPORTS.get(name, ())]


def _group(job: Job) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(job.env.items()))


def _interleaved(jobs: Sequence[tuple[K, Job]]) -> list[tuple[K, Job]]:
    """Jobs taking turns between groups, so that the workers warm different interpreters
    at first instead of waiting on the same one."""
    groups: dict[tuple[tuple[str, str], ...], list[tuple[K, Job]]] = {}
    for key, job in jobs:
        groups.setdefault(_group(job), []).append((key, job))
    queues = list(groups.values())
    ordered = []
    while any(queues):
        for queue in queues:
            if queue:
                ordered.append(queue.pop(0))
    return ordered


Group = tuple[tuple[tuple[str, str], ...], tuple[str, ...]]


class _Warmth:
    """The warm interpreters of one `run_all`, started on first use. Scripts share one when
    their run's environment and the settings they make before importing (JAX's 64-bit mode,
    say) are the same; it imports every module any of them imports."""

    def __init__(self, jobs: Sequence[tuple[K, Job]]) -> None:
        self._scratch = Path(tempfile.mkdtemp(prefix="specc-warm-"))
        # Keyed by script and environment: one Keras script runs on several backends.
        self._groups: dict[tuple[Path, tuple[tuple[str, str], ...]], Group] = {}
        self._imports: dict[Group, dict[str, None]] = {}
        for _, job in jobs:
            if job.fresh or job.launcher:
                continue
            lines = prologue(job.script.read_text(encoding="utf-8")).splitlines()
            settings = max((n + 1 for n, line in enumerate(lines) if "environ" in line), default=0)
            group = (_group(job), tuple(lines[:settings]))
            self._groups[job.script, _group(job)] = group
            self._imports.setdefault(group, {}).update(dict.fromkeys(lines[settings:]))
        self._zygotes: dict[Group, _Zygote | None] = {}
        self._locks = {group: threading.Lock() for group in self._imports}

    def zygote(self, job: Job) -> _Zygote | None:
        group = self._groups[job.script, _group(job)]
        with self._locks[group]:
            if group not in self._zygotes:
                directory = self._scratch / str(list(self._imports).index(group))
                directory.mkdir()
                imports = list(self._imports[group])
                imports += [f"import {m}" for m in _first_use_imports("\n".join(imports))]
                code = "\n".join((*group[1], *imports)) + "\n"
                zygote = _Zygote(job.env, code, directory)
                self._zygotes[group] = zygote if zygote.ready else None
                if not zygote.ready:
                    zygote.stop()
            return self._zygotes[group]

    def stop(self) -> None:
        for zygote in self._zygotes.values():
            if zygote is not None:
                zygote.stop()
        shutil.rmtree(self._scratch, ignore_errors=True)
