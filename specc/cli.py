"""The command line: `specc build`, `specc check`, `specc compare` and `specc article`.

Exit status: 0 success, 1 a bad spec or a stale file (for `compare`: a run that differs or
crashes), 2 misuse of the command line.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, ir
from .backends import TARGETS
from .compiler import analyze, generate
from .diagnostics import Diagnostic, Source, SpecError, render_all
from .write import stale, write_all

if TYPE_CHECKING:
    from .compare import Plan
    from .runner import Execution

STDIN = "-"
FORMATS = ("html", "mkdocs")  # an article's flavours (specc.article.FORMATS)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    args = _parser(argv[0] if argv and argv[0] in _COMMANDS else None).parse_args(argv)
    try:
        return args.run(args)
    except SpecError as error:
        sys.stderr.write(render_all(error.source, error.diagnostics))
        return 1
    except _InputError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    except OSError as error:
        sys.stderr.write(f"specc: error: {error.strerror or error}: {error.filename or ''}\n")
        return 1
    except Exception as error:  # a bug in specc: say so plainly, without a traceback
        sys.stderr.write(
            f"specc: internal error: {type(error).__name__}: {error}\n"
            "This is a bug in specc, not in your spec; please report it with the spec.\n"
        )
        return 3


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line; `only`: the one command to define (a run parses one, and each
    command's parser costs a few milliseconds: argparse looks up its translations)."""
    parser = argparse.ArgumentParser(
        prog="specc",
        description="Compile a model spec to PyTorch, TensorFlow-graph, Keras and NumPy training "
        "scripts that agree; run them side by side (compare) and write them up (article).",
    )
    parser.add_argument("--version", action="version", version=f"specc {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    for name, define in _COMMANDS.items():
        if only in (None, name):
            define(commands)
    return parser


def _define_build(commands: Any) -> None:
    build = commands.add_parser(
        "build",
        help="write the training script(s) for specs",
        description="Write the training scripts for the specs given, or, with no FILE, for "
        "every spec of the project config ([tool.specc] in pyproject.toml, or specc.toml, "
        "found in the working directory or a folder above it). Every spec is built before "
        "anything is written: a spec with errors is reported with its file name, writes "
        "nothing and fails the run, and the others are still written. Exit 0, 1 for a bad "
        "spec or a stale file (--check), 2 for misuse.",
    )
    build.add_argument(
        "file",
        metavar="FILE",
        nargs="*",
        help="the specs (- reads standard input); none: every spec of the project config",
    )
    build.add_argument(
        "-t",
        "--target",
        type=_target_list,
        metavar="TARGET",
        help=f"what to generate for: {', '.join(TARGETS)}; several, comma-separated "
        "(torch,keras), or `all`, write one file per target into a directory; without it, "
        "the project config says",
    )
    build.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="file to write (default: standard output), or a directory to write it into; "
        "with several targets or specs, a directory (default: the current one)",
    )
    build.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff for each file on disk that is not what specc "
        "writes, naming them all",
    )
    build.add_argument(
        "--config",
        metavar="PATH",
        help="the project config to use (pyproject.toml or specc.toml) instead of looking for "
        "one",
    )
    build.set_defaults(run=_build, misuse=build.error)


def _define_fmt(commands: Any) -> None:
    fmt = commands.add_parser(
        "fmt",
        help="lay specs out in the canonical layout, comments and meaning kept",
        description="Rewrite each spec in its canonical layout: one statement per line, "
        "spacing and option order as the README writes them, comments kept. Exit 0, 1 for a "
        "spec that does not parse or, with --check, one that would change, 2 for misuse.",
    )
    fmt.add_argument(
        "file",
        metavar="FILE",
        nargs="*",
        help="specs, or folders to look for *.spec files in (- reads standard input and "
        "writes the result to standard output); none: every spec of the project config",
    )
    fmt.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a spec would change, naming it",
    )
    fmt.add_argument(
        "--diff",
        action="store_true",
        help="write nothing; print a diff for each spec that would change",
    )
    fmt.add_argument("--config", metavar="PATH", help="the project config to use, as for build")
    fmt.set_defaults(run=_fmt, misuse=fmt.error)


def _define_check(commands: Any) -> None:
    check = commands.add_parser("check", help="parse and check a spec, and report its errors")
    check.add_argument("file", metavar="FILE", help="the spec (- reads standard input)")
    check.add_argument(
        "-t",
        "--target",
        type=_target_list,
        metavar="TARGET",
        default=TARGETS,
        help="check that the spec builds for these targets (default: all of them)",
    )
    check.set_defaults(run=_check)


def _define_compare(commands: Any) -> None:
    compare = commands.add_parser(
        "compare",
        help="build every target, run them in parallel, and hold each to the exact answer",
        description="Build every target into a temporary folder, run the scripts in parallel, "
        "each in a fresh interpreter, and report how far each run is from the exact answer "
        "(the NumPy reference computed in float64), against the band float32 rounding allows "
        "(for a float64 spec: from the NumPy reference, within tolerance). Exit 0 when every "
        "run agrees, 1 when one differs or crashes, 2 for misuse.",
    )
    compare.add_argument("file", metavar="FILE", help="the spec (- reads standard input)")
    compare.add_argument(
        "--targets",
        metavar="LIST",
        help="comma-separated runs: targets, and Keras on another backend as keras[torch] or "
        "keras[jax] (default: all of them that this machine can run)",
    )
    compare.add_argument(
        "--json", action="store_true", help="print one JSON document instead of the table"
    )
    compare.add_argument(
        "--plot",
        metavar="FILE.png",
        help="also draw the loss curves and, per step, each run's distance to the exact answer "
        "against the band (needs specc[plot])",
    )
    compare.add_argument(
        "--script",
        action="append",
        default=[],
        metavar="TARGET=FILE",
        help="run FILE in place of specc's script for TARGET (torch=my_torch.py; keras=FILE "
        "runs on every Keras backend), from the build folder under specc's name for it, so it "
        "reads the spec's data files as specc's does; the report names it. Repeatable",
    )
    compare.set_defaults(run=_compare, misuse=compare.error)


def _define_article(commands: Any) -> None:
    article = commands.add_parser(
        "article",
        help="write a page with every target's script side by side, and their results",
        description="Write one page showing the spec, every target's script side by side "
        "concept by concept and whole in tabs, and the results of running them all (as "
        "`specc compare` runs them): a self-contained HTML file, or Markdown for "
        "MkDocs-Material.",
    )
    article.add_argument("file", metavar="FILE", help="the spec (- reads standard input)")
    article.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="PAGE",
        help="the page to write: PAGE.html, or PAGE.md (its plot is written beside it as "
        "PAGE.png)",
    )
    article.add_argument(
        "--format",
        choices=list(FORMATS),
        help="the page's flavour, where PAGE's suffix does not say: html, or mkdocs "
        "(Markdown with MkDocs-Material content tabs)",
    )
    article.add_argument(
        "--targets",
        metavar="LIST",
        help="comma-separated runs, as for `specc compare` (default: all of them); the page "
        "shows the code of each run's target",
    )
    article.add_argument(
        "--no-run",
        action="store_true",
        help="run nothing: a page with the code alone",
    )
    article.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff if the page on disk is not what specc writes "
        "(the plot's image bytes aside)",
    )
    article.set_defaults(run=_article, misuse=article.error)


_COMMANDS = {
    "build": _define_build,
    "fmt": _define_fmt,
    "check": _define_check,
    "compare": _define_compare,
    "article": _define_article,
}


class _InputError(Exception):
    """The spec file cannot be read as text."""


def _read(name: str) -> Source:
    if name == STDIN:
        data = sys.stdin.buffer.read()
        filename = "<stdin>"
    else:
        path = Path(name)
        if path.is_dir():
            raise _InputError(f"{name}: error: is a directory, not a spec file")
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise _InputError(f"{name}: error: no such file") from None
        filename = name
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _InputError(
            f"{filename}: error: not UTF-8 text (byte 0x{data[error.start]:02x} at offset "
            f"{error.start}); specs are UTF-8 text files"
        ) from None
    if "\x00" in text:
        raise _InputError(f"{filename}: error: this is a binary file, not a spec")
    return Source(filename, text.removeprefix("\ufeff"))


def _warn(source: Source, warnings: list[Diagnostic]) -> None:
    if warnings:
        sys.stderr.write(render_all(source, warnings))


def _check(args: argparse.Namespace) -> int:
    source = _read(args.file)
    _, warnings = analyze(source, _targets(args))
    _warn(source, warnings)
    return 0


def _target_list(text: str) -> tuple[str, ...]:
    """`all`, or target names separated by commas, in the order given."""
    if text == "all":
        return TARGETS
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",")))
    if unknown := [name for name in names if name not in TARGETS]:
        raise argparse.ArgumentTypeError(
            f"unknown target {', '.join(map(repr, unknown))} (choose from {', '.join(TARGETS)}, "
            "or all)"
        )
    return names


def _targets(args: argparse.Namespace) -> tuple[str, ...]:
    return tuple(args.target)


def _outputs(args: argparse.Namespace, file: str) -> dict[str, Path | None]:
    """Target -> where its script goes (None: standard output)."""
    targets = _targets(args)
    into = args.output is not None and (
        Path(args.output).is_dir() or args.output.endswith(("/", os.sep))
    )  # one script written into a folder, as `cp` would: `-o .`, `-o build/`
    if len(targets) == 1 and not into and len(args.file) == 1:
        return {targets[0]: Path(args.output) if args.output else None}
    directory = Path(args.output or ".")
    if directory.exists() and not directory.is_dir():
        raise _InputError(f"{directory}: error: several scripts are written into a directory")
    stem = "model" if file == STDIN else Path(file).stem
    return {target: directory / f"{stem}_{target}.py" for target in targets}


def _build(args: argparse.Namespace) -> int:
    if args.target is None:
        return _build_project(args)
    if args.config:
        args.misuse("--config names the targets and outputs: leave out --target, or --config")
    if not args.file:
        args.misuse("give the specs to build, or leave out --target to build the project's")
    if args.check and len(args.target) == 1 and not args.output and len(args.file) == 1:
        args.misuse("build --check compares with a file: give it with -o PATH")
    if STDIN in args.file and len(args.file) > 1:
        args.misuse("- (standard input) is a spec of its own: give no other FILE with it")
    if len(args.file) == 1:
        return _build_one(args, args.file[0])
    outputs = {file: _outputs(args, file) for file in args.file}
    seen: dict[Path | None, str] = {}
    for file, paths in outputs.items():
        for path in paths.values():
            if path in seen and seen[path] != file:
                args.misuse(f"{seen[path]} and {file} would both write {path}")
            seen[path] = file
    return _build_all(
        {file: {t: p for t, p in paths.items() if p} for file, paths in outputs.items()}, args.check
    )


def _build_one(args: argparse.Namespace, file: str) -> int:
    """One spec, as `specc build` has always built it: standard output, a file or a folder."""
    source = _read(file)
    outputs = _outputs(args, file)
    spec, warnings = analyze(source, list(outputs))
    _warn(source, warnings)
    scripts = {target: generate(spec, target) for target in outputs}  # all before any write

    if args.check:
        diffs = [stale(path, scripts[t]) for t, path in outputs.items() if path is not None]
        for diff in filter(None, diffs):
            sys.stdout.write(diff)
        return 1 if any(diffs) else 0
    files = {path: scripts[t] for t, path in outputs.items() if path is not None}
    if files:
        write_all(files)
    else:
        sys.stdout.write(scripts[args.target[0]])
    return 0


def _build_project(args: argparse.Namespace) -> int:
    """The specs of the project config (those of them given as FILE), where it says."""
    from . import project

    if args.output:
        args.misuse("-o goes with --target: the project config says where each output goes")
    found = _config(args, "give --target")
    loaded = project.load(found, _shown(found))
    if not args.file:
        chosen = list(loaded.outputs)
    else:
        chosen = []
        for file in args.file:
            outputs = loaded.of(Path(file)) if file != STDIN else []
            if not outputs:
                args.misuse(f"{file} is not one of the specs of {_shown(found)}: give --target")
            chosen += outputs
    jobs: dict[str, dict[str, Path]] = {}
    for output in chosen:
        jobs.setdefault(_shown(output.spec), {})[output.target] = Path(_shown(output.path))
    return _build_all(jobs, args.check, summary=True)


def _config(args: argparse.Namespace, otherwise: str) -> Path:
    """The project config: --config, or the nearest one at or above the working directory."""
    from . import project

    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise _InputError(f"{args.config}: error: no such file")
        return path
    found = project.find(Path.cwd())
    if found is None:
        args.misuse(
            f"no project config here or above ([tool.specc] in pyproject.toml, or specc.toml): "
            f"{otherwise}, or set one up (README: Pinning generated code)"
        )
    return found


def _build_all(jobs: dict[str, dict[str, Path]], check: bool, summary: bool = False) -> int:
    """Build each spec for its targets, then write (or, with `check`, compare) every file
    at once: a spec with errors is reported and writes nothing; the others are written."""
    scripts: dict[Path, str] = {}
    failed = []
    for file, (said, built) in zip(jobs, _each_built(list(jobs.items())), strict=True):
        sys.stderr.write(said)
        if built is None:
            failed.append(file)
        else:
            scripts |= built
    changed = {path: text for path, text in scripts.items() if _current(path) != text}
    if check:
        for path, text in changed.items():
            sys.stdout.write(stale(path, text) or "")
    elif changed:
        write_all(changed)
    if summary or failed or (check and changed):
        sys.stderr.write(_summary(len(jobs), failed, scripts, changed, check))
    return 1 if failed or (check and changed) else 0


PARALLEL_FROM = 8  # specs: fewer are built faster than worker processes start


def _each_built(jobs: list[tuple[str, dict[str, Path]]]) -> Iterator[_Built]:
    """`_built` of each job, in order: on every core the machine gives this process, in
    forks of it (which have imported the compiler already), where there are enough."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if len(jobs) < PARALLEL_FROM or cores < 2 or not hasattr(os, "fork"):
        yield from map(_built, jobs)
        return
    import multiprocessing  # only here: a one-spec build never starts a process

    with multiprocessing.get_context("fork").Pool(min(cores, len(jobs))) as pool:
        yield from pool.imap(_built, jobs, chunksize=max(1, len(jobs) // (4 * cores)))


_Built = tuple[str, dict[Path, str] | None]


def _built(job: tuple[str, dict[str, Path]]) -> _Built:
    """One spec's scripts by output path, and what it says on stderr (its warnings, or its
    errors, and then None for the scripts)."""
    file, outputs = job
    try:
        source = _read(file)
        spec, warnings = analyze(source, list(outputs))
        said = render_all(source, warnings) if warnings else ""
        return said, {path: generate(spec, target) for target, path in outputs.items()}
    except SpecError as error:
        return render_all(error.source, error.diagnostics), None
    except _InputError as error:
        return f"{error}\n", None


def _current(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _summary(
    specs: int, failed: list[str], scripts: dict[Path, str], changed: dict[Path, str], check: bool
) -> str:
    """One line on what the run did, and every stale file by name."""
    lines = []
    if check and changed:
        names = ", ".join(_shown(path) for path in changed)
        lines.append(f"specc: {len(changed)} stale: {names} (`specc build` writes them)")
    built = (
        f"{specs - len(failed)} of {_count(specs, 'spec')} built"
        if failed
        else _count(specs, "spec")
    )
    files = _count(len(scripts), "file")
    if failed:
        lines.append(f"specc: {built}; errors in {', '.join(failed)}")
    elif check:
        lines.append(f"specc: {built}, {files}: {len(scripts) - len(changed)} up to date")
    else:
        kept = len(scripts) - len(changed)
        lines.append(f"specc: {built}, {files}: {len(changed)} written, {kept} unchanged")
    return "".join(line + "\n" for line in lines)


def _count(number: int, noun: str) -> str:
    """`1 spec`, `2 specs`."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _shown(path: Path) -> str:
    """A path as the user would write it: relative to the working directory where it can be."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive
        return str(path)


def _fmt(args: argparse.Namespace) -> int:
    from .fmt import format_spec

    if STDIN in args.file:
        if len(args.file) > 1:
            args.misuse("- (standard input) is a spec of its own: give no other FILE with it")
        source = _read(STDIN)
        formatted = format_spec(source)
        if args.check or args.diff:
            return _fmt_report(STDIN, source.text, formatted, args)
        sys.stdout.write(formatted)
        return 0
    files = _spec_files(args)
    changed = failed = 0
    for file in files:
        try:
            source = _read(file)
            formatted = format_spec(source)
        except SpecError as error:
            sys.stderr.write(render_all(error.source, error.diagnostics))
            failed += 1
            continue
        except _InputError as error:
            sys.stderr.write(f"{error}\n")
            failed += 1
            continue
        if formatted.encode("utf-8") == Path(file).read_bytes():
            continue
        changed += 1
        if args.check or args.diff:
            _fmt_report(file, source.text, formatted, args)
        else:
            write_all({Path(file): formatted})
            sys.stderr.write(f"reformatted {file}\n")
    verb = "would be reformatted" if args.check or args.diff else "reformatted"
    sys.stderr.write(
        f"specc: {_count(len(files), 'spec')}: {changed} {verb}, "
        f"{len(files) - changed - failed} unchanged"
        + (f", {failed} with errors" if failed else "")
        + "\n"
    )
    return 1 if failed or (args.check and changed) else 0


def _fmt_report(file: str, text: str, formatted: str, args: argparse.Namespace) -> int:
    """--diff's diff and --check's name for one spec; 1 where it would change under --check."""
    if text == formatted:
        return 0
    if args.diff:
        name = "<stdin>" if file == STDIN else file
        sys.stdout.writelines(
            difflib.unified_diff(
                text.splitlines(keepends=True),
                formatted.splitlines(keepends=True),
                fromfile=f"{name} (on disk)",
                tofile=f"{name} (specc fmt)",
            )
        )
    if args.check:
        sys.stderr.write(f"would reformat {file}\n")
    return 1 if args.check else 0


def _spec_files(args: argparse.Namespace) -> list[str]:
    """FILE arguments, with folders searched for *.spec; none: the project config's specs."""
    if not args.file:
        from . import project

        found = _config(args, "give the specs to format")
        loaded = project.load(found, _shown(found))
        return [_shown(spec) for spec in loaded.specs]
    files: list[str] = []
    for name in args.file:
        path = Path(name)
        if path.is_dir():
            files += sorted(str(found) for found in path.rglob("*.spec") if found.is_file())
        else:
            files.append(name)
    return list(dict.fromkeys(files))


def _compare(args: argparse.Namespace) -> int:
    # numpy (and, with --plot, matplotlib) load only here: `specc build` never imports them.
    from . import compare

    try:
        requested = compare.select(args.targets)
    except ValueError as error:
        args.misuse(str(error))
    if args.plot:
        if not compare.can_plot():
            sys.stderr.write("specc: error: --plot needs matplotlib: pip install specc[plot]\n")
            return 2
        if not Path(args.plot).resolve().parent.is_dir():
            args.misuse(f"--plot {args.plot}: no such directory")
    try:
        given = compare.given_scripts(args.script, requested)
    except ValueError as error:  # one line, as for --plot: the option names what is wrong
        sys.stderr.write(f"specc: error: {error}\n")
        return 2
    source = _read(args.file)
    spec, _ = analyze(source, ())  # a bad spec: reported as `specc build` reports it
    plan = compare.plan(spec, requested, explicit=args.targets is not None, given=given)
    ours = dict.fromkeys(compare.RUNS[run][0] for run in plan.runs)
    spec, warnings = analyze(source, [target for target in ours if target not in given])
    _warn(source, warnings)
    # The NumPy reference for the band is built even where no NumPy run was asked for.
    scripts = {target: generate(spec, target) for target in compare.generated_targets(plan)}

    origin = Path(args.file).parent if args.file != STDIN else Path.cwd()
    stem = "model" if args.file == STDIN else Path(args.file).stem
    progress = compare.Progress(plan.jobs, plan.skipped)
    try:
        executions = compare.execute(plan, spec, scripts, stem, origin, progress)
    except KeyboardInterrupt:
        progress.close()
        sys.stderr.write("specc: interrupted; every script it started is stopped\n")
        return 130
    progress.close()
    comparison = compare.evaluate(spec, plan, executions)
    if args.json:
        # NaN and infinity reach the document as strings: it stays JSON for every reader.
        document = json.dumps(compare.to_json(comparison), indent=2, allow_nan=False)
        sys.stdout.write(document + "\n")
    else:
        sys.stdout.write(compare.table(comparison))
    if args.plot:
        compare.plot(comparison, Path(args.plot))
    return comparison.exit_status


def _article(args: argparse.Namespace) -> int:
    # Pygments and matplotlib load only here, as numpy does for `compare`.
    from . import article, compare

    output = Path(args.output)
    flavour = article.flavour(output, args.format)
    if flavour is None:
        args.misuse(f"-o {args.output}: say which page with --format html or --format mkdocs")
    if not article.can_render():
        sys.stderr.write(
            "specc: error: `specc article` needs Pygments: pip install specc[article]\n"
        )
        return 2
    if not output.resolve().parent.is_dir():
        args.misuse(f"-o {args.output}: no such directory")
    try:
        requested = compare.select(args.targets)
    except ValueError as error:
        args.misuse(str(error))
    source = _read(args.file)
    origin = Path(args.file).parent if args.file != STDIN else Path.cwd()
    stem = "model" if args.file == STDIN else Path(args.file).stem
    command = " ".join(
        [
            "specc article",
            "-" if args.file == STDIN else Path(args.file).name,
            f"-o {output.name}",
            *([f"--format {args.format}"] if args.format else []),
            *([f"--targets {args.targets}"] if args.targets else []),
            *(["--no-run"] if args.no_run else []),
        ]
    )

    def run(plan: Plan, spec: ir.Spec, scripts: dict[str, str]) -> dict[str, Execution]:
        progress = compare.Progress(plan.jobs, plan.skipped)
        try:
            return compare.execute(plan, spec, scripts, stem, origin, progress)
        finally:
            progress.close()

    try:
        made = article.make(
            source,
            stem,
            flavour,
            requested,
            explicit=args.targets is not None,
            run=None if args.no_run else run,
            command=command,
            image=output.with_suffix(".png").name,
            warn=lambda warnings: _warn(source, warnings),
        )
    except KeyboardInterrupt:
        sys.stderr.write("specc: interrupted; every script it started is stopped\n")
        return 130

    if args.check:
        diff = stale(output, made.text, article.masked)
        if diff:
            sys.stdout.write(diff)
        return 1 if diff else 0
    files = {output: made.text}
    if made.png is not None and flavour != "html":
        files[output.with_suffix(".png")] = made.png
    write_all(files)
    if made.results is not None and not made.results.agree:
        sys.stderr.write(f"specc: {made.results.verdict} The page shows where.\n")
        return 1
    return 0
