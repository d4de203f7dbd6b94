"""`specc article`: one page showing every target's script side by side, concept by concept,
with the results of running them all.

`page` decides everything the page shows, as plain strings: the spec and the scripts
highlighted with Pygments, the scripts cut into their concepts (`specc.compiler.sections`,
so the cuts come from the plan, never from reading the code back), and the results of
`specc compare`'s runs rounded so that a page rebuilt on another machine reads the same.
The templates in `templates/article/` only lay it out: a self-contained HTML page, or
Markdown for MkDocs-Material's content tabs.
"""

from __future__ import annotations

import base64
import math
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from markupsafe import Markup

from . import ir
from .agreement import MULTIPLE, TRAINED_MODEL, WIDER
from .backends import backend
from .compare import (
    EXACT,
    Comparison,
    Outcome,
    Plan,
    band_description,
    banded,
    can_plot,
    evaluate,
    generated_targets,
    plot,
    where,
    wider_bands,
)
from .compare import plan as compare_plan
from .compiler import analyze, generate, sections, supported
from .diagnostics import Diagnostic, Source
from .lower import SECTIONS
from .render import environment
from .runner import RUNS, Execution, installed
from .spell import architecture

# Flavour -> the file suffix that implies it.
FORMATS = {"html": (".html", ".htm"), "mkdocs": (".md", ".markdown")}
DIGITS = 4  # significant digits of the losses and predictions a page shows
STYLE = "friendly"  # the Pygments style of the HTML page
# What `--check` leaves out of the comparison: the plot's bytes, which depend on the
# versions of matplotlib and its fonts, not on the model; and the figures each run measured
# (its losses, predictions, distances), which float32 rounding moves from machine to machine
# within the band: the verdicts stay in.
_IMAGE = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]*")
_MEASURED_HTML = re.compile(r'(<td class="(?:number|predictions)">)[^<]*(</td>)')
_MEASURED_MD = re.compile(r"^(\| `[^`|]+` \| [^|]+ \|)((?: [^|]* \|)+?)( [^|]* \|)$", re.M)


def _measured_cells(match: re.Match[str]) -> str:
    """A Markdown results row with its measured cells masked: the run, framework, verdict kept."""
    cells = match.group(2).count("|")
    return match.group(1) + " (measured) |" * cells + match.group(3)


def flavour(path: Path, given: str | None) -> str | None:
    """The page's flavour: `given`, or the one the file's suffix implies (None: unknown)."""
    if given is not None:
        return given
    suffix = path.suffix.lower()
    return next((name for name, suffixes in FORMATS.items() if suffix in suffixes), None)


def masked(page: str) -> str:
    """The page as `--check` compares it: everything but the plot's bytes and the figures the
    runs measured."""
    page = _IMAGE.sub("data:image/png;base64,(the plot)", page)
    page = _MEASURED_HTML.sub(r"\1(measured)\2", page)
    return _MEASURED_MD.sub(_measured_cells, page)


@dataclass(frozen=True)
class Column:
    """One target: its script whole and cut into its concepts, plain and highlighted."""

    target: str
    label: str  # "PyTorch"
    filename: str  # "simplenet_torch.py"
    script: str
    html: Markup
    parts: dict[str, str]  # concept -> code
    parts_html: dict[str, Markup]


@dataclass(frozen=True)
class Row:
    """One run in the results table, every cell a rounded string."""

    run: str
    framework: str  # "Keras 3 on JAX"
    cells: list[str]  # one per `Results.columns`: final loss, predictions, distance, ...
    verdict: str
    agrees: bool | None  # None: the reference, or not compared


@dataclass(frozen=True)
class Heading:
    """A column of the results table between the framework and the verdict."""

    heading: str
    kind: str  # its cells' class on the HTML page: "number", "predictions" or ""


@dataclass(frozen=True)
class Results:
    """What running every target showed, as the page words it."""

    columns: list[Heading]
    rows: list[Row]
    notes: list[str]  # what the numbers mean: the band or the tolerance, wider bands, gaps
    verdict: str  # one sentence: do they agree?
    agree: bool
    plot: str | None  # the plot as a `data:` URL (HTML) or a file name (Markdown)
    caption: str  # what the plot shows


@dataclass(frozen=True)
class Page:
    """Everything an article shows, decided; the templates only lay it out."""

    title: str
    lead: str
    stamp: str  # the spec's file name
    command: str  # the command that rebuilt the page
    spec: str
    spec_html: Markup
    concepts: dict[str, str]  # concept -> its heading, in the scripts' order
    # The concepts whose code is the same in every column, shown once across them all, so
    # that the eye goes to what differs (today the data and the initial weights).
    shared: frozenset[str]
    columns: list[Column]
    results: Results | None
    css: Markup  # Pygments' style for the HTML page


def page(
    spec: ir.Spec,
    text: str,
    stem: str,
    scripts: Mapping[str, str],
    command: str,
    results: Results | None,
) -> Page:
    """Decide the page for `spec`, whose source is `text`, and its targets' `scripts`."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    from .lexer import SpecLexer

    html = HtmlFormatter(nowrap=True)
    python = PythonLexer()

    def code(source: str) -> Markup:
        return Markup(highlight(source, python, html))  # Pygments escapes what it prints

    columns = []
    for target, script in scripts.items():
        parts = sections(spec, target)
        columns.append(
            Column(
                target=target,
                label=backend(target).label,
                filename=f"{stem}_{target}.py",
                script=script,
                html=code(script),
                parts=parts,
                parts_html={key: _hanging(code(part)) for key, part in parts.items()},
            )
        )
    shared = frozenset(
        key
        for key in SECTIONS
        if len(columns) > 1 and len({column.parts[key] for column in columns}) == 1
    )
    labels = [c.label for c in columns]
    named = ", ".join(labels[:-1]) + f" and {labels[-1]}" if len(labels) > 1 else labels[0]
    return Page(
        title=f"{spec.name} in {named}",
        lead=_lead(spec, len(columns), results is not None),
        stamp=spec.source_name,
        command=command,
        spec=text if text.endswith("\n") else text + "\n",
        spec_html=Markup(highlight(text, SpecLexer(), html)),
        concepts=dict(SECTIONS),
        shared=shared,
        columns=columns,
        results=results,
        css=Markup(HtmlFormatter(style=STYLE).get_style_defs(".highlight")),
    )


def _hanging(html: str) -> Markup:
    """Highlighted code as one block per line, its indentation moved into the block's
    padding, so that a line the side-by-side view wraps continues four columns further in,
    as black would indent it. (Left as spaces, the indentation would be where the browser
    breaks a long line first, leaving an empty-looking line above it.)

    Pygments closes every span at a line's end, so the lines split cleanly."""
    lines = []
    for line in html.removesuffix("\n").split("\n"):
        text = re.sub(r"<[^>]*>", "", line)
        indent = len(text) - len(text.lstrip(" "))
        pieces, left = [], indent
        for piece in re.split(r"(<[^>]*>)", line):
            if left and not piece.startswith("<"):
                taken = min(left, len(piece) - len(piece.lstrip(" ")))
                piece, left = piece[taken:], left - taken
            pieces.append(piece)
        lines.append(f'<span class="line" style="--indent: {indent}">{"".join(pieces)}</span>')
    return Markup("".join(lines))


def _lead(spec: ir.Spec, count: int, ran: bool) -> str:
    what = f"{architecture(spec)}, trained with {spec.optimizer.kind} on {spec.loss.kind}"
    held = "the exact answer" if banded(spec) else "the reference"
    if spec.native:
        held = "NumPy runs from draws of its framework's own initializer"
    elif spec.draws:
        held = "NumPy runs that drew other Dropout masks"
    proof = (
        f"Each script was run, and the results below hold every run to {held}."
        if ran
        else "The scripts were not run for this page (built with --no-run)."
    )
    return f"One model, {what}, written once as a spec and generated for {count} targets. {proof}"


# Results --------------------------------------------------------------------------------


def _rounded(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.{DIGITS}g}" if math.isfinite(value) else str(value)


def _decade(gap: float) -> str:
    """A gap as the power of ten it stays under: a page reads the same on another machine."""
    if gap == 0:
        return "0"
    if not math.isfinite(gap):
        return str(gap)
    return f"< 1e{math.floor(math.log10(gap)) + 1}"


def _predictions(outcome: Outcome, classifies: bool) -> str:
    if not outcome.predictions:
        return "-"
    if classifies:
        return "class " + " ".join(str(int(p[0])) for p in outcome.predictions)
    shown = [" ".join(_rounded(v) for v in p) for p in outcome.predictions]
    return " ".join(v if " " not in v else f"({v})" for v in shown)


def framework(run: str) -> str:
    """A run as a reader names it: `Keras 3 on JAX` for keras[jax]."""
    if run == EXACT:
        return f"{backend('numpy').label}, in float64"
    target, env = RUNS[run]
    label = backend(target).label
    names = {"torch": "PyTorch", "jax": "JAX", "tensorflow": "TensorFlow"}
    return f"{label} on {names[env['KERAS_BACKEND']]}" if "KERAS_BACKEND" in env else label


def _verdict(outcome: Outcome, reference: str) -> tuple[str, bool | None]:
    if outcome.status == "reference":
        return ("the exact answer" if outcome.name == EXACT else "the reference"), None
    if outcome.status == "agrees":
        if outcome.wider or outcome.known_gap:
            return ("agrees (wider band)" if outcome.wider else "agrees (known gap)"), True
        return "agrees", True
    if outcome.status == "differs":
        return f"differs {where(outcome.differs_at)}".rstrip(), False
    if outcome.status == "ran":
        return "ran (own initial weights)", None
    return f"{outcome.status}: {outcome.reason}", False if outcome.status == "failed" else None


def _trained_loss(comparison: Comparison, outcome: Outcome) -> tuple[float, float] | None:
    """How far a run's trained model's loss is from the exact answer's, and the band there.

    The page shows these, one fixed value for every run, rather than the value furthest
    from the exact answer in spreads (the table of `specc compare`): which value that is can
    change between two that are about as far, on another machine, and the page with it."""
    band, key = comparison.band, ("loss", TRAINED_MODEL)
    if band is None or key not in band.exact or outcome.final_loss is None:
        return None
    if outcome.multiple is None:
        return None
    exact = float(np.asarray(band.exact[key]).ravel()[0])
    spread = max(float(np.max(band.spread[key])), outcome.loss_floor)
    distance = 0.0 if outcome.final_loss == exact else abs(outcome.final_loss - exact)
    return distance, outcome.multiple * spread


def summarize(comparison: Comparison, plot: str | None) -> Results:
    """The runs' outcomes as the page words them; `plot` is where the page finds its image."""
    spec, banded = comparison.spec, comparison.banded
    columns = [Heading("Final loss", "number")]
    if spec.logging.accuracy:
        columns.append(Heading("Accuracy", "number"))
    if spec.split is not None:
        columns.append(Heading("Test loss", "number"))
        if spec.classifies:
            columns.append(Heading("Test accuracy", "number"))
    columns.append(Heading("Predictions", "predictions"))
    if comparison.drawn:
        columns += [
            Heading("Distance to the draws' mean", "number"),
            Heading("Band there", "number"),
        ]
    elif banded:
        columns += [
            Heading("Final loss: distance to the exact answer", "number"),
            Heading("Band there", "number"),
        ]
    else:
        columns += [Heading("Largest loss gap", "number"), Heading("Largest weight gap", "number")]
    rows = []
    for o in comparison.outcomes:
        compared = o.status in ("agrees", "differs", "ran")
        verdict, agrees = _verdict(o, comparison.reference)
        ran = o.status not in ("failed", "skipped")
        cells = [_rounded(o.final_loss) if ran else "-"]
        if spec.logging.accuracy:
            cells.append(_rounded(o.accuracy) if ran else "-")
        if spec.split is not None:
            cells.append(_rounded(o.test_loss) if ran else "-")
            if spec.classifies:
                cells.append(_rounded(o.test_accuracy) if ran else "-")
        cells.append(_predictions(o, spec.classifies) if ran else "-")
        if comparison.drawn:
            held = (o.distance, o.band) if compared and o.distance is not None else None
            cells += [_decade(held[0]), _decade(held[1])] if held else ["-", "-"]
        elif banded:
            held = _trained_loss(comparison, o) if compared else None
            cells += [_decade(held[0]), _decade(held[1])] if held else ["-", "-"]
        else:
            cells += [
                _decade(o.loss_gap[1]) if compared and o.gaps else "-",
                _decade(o.weight_gap[1]) if compared else "-",
            ]
        rows.append(Row(o.name, framework(o.name), cells, verdict, agrees))
    kept = "each distance and band" if banded else "each gap"
    notes = [
        f"Losses and predictions are rounded to {DIGITS} significant digits, and {kept} to "
        "the power of ten it stays under, so that the page reads the same on another machine."
    ]
    if comparison.drawn:
        notes.append(band_description(comparison) + " The table shows each run's furthest value.")
    elif banded:
        notes.append(
            band_description(comparison) + " The table shows the distance and the band at "
            "the trained model's loss; a run agrees when everything it prints is within the "
            "band (specc compare names what is furthest)."
        )
        for why, runs in wider_bands(comparison).items():
            named = runs[0] if len(runs) == 1 else ", ".join(runs[:-1]) + f" and {runs[-1]}"
            notes.append(
                f"Wider band: {named} {'is' if len(runs) == 1 else 'are'} held to "
                f"{MULTIPLE * WIDER:g} spreads, since {why}."
            )
        for o in comparison.outcomes:
            if o.loss_floor:
                notes.append(
                    f"Loss floor: {o.name}'s losses are held to a spread of at least "
                    f"{o.loss_floor:.1e}, the error of its framework's loss."
                )
    else:
        notes.append(
            f"Gaps are to {framework(comparison.reference)}: the loss relative, at each logged "
            f"{spec.training.unit}, and the trained weights absolute. The tolerance for "
            f"{spec.dtype} and {spec.optimizer.kind} is {comparison.tolerance.describe()}."
        )
    if comparison.note:
        notes.append(comparison.note[0].upper() + comparison.note[1:] + ".")
    for o in comparison.outcomes:
        if o.known_gap and o.tolerance is not None:
            notes.append(f"Known gap: {o.name} is held to {o.tolerance.describe()}, since "
                         f"{o.tolerance.why}.")  # fmt: skip
    agree = comparison.exit_status == 0
    ran = [o for o in comparison.outcomes if o.status not in ("skipped", "reference")]
    if comparison.statistical:
        verdict = (
            "Weights start from each framework's own initializer, so the runs agree only "
            "statistically: their gaps are shown, not held."
        )
    elif agree and comparison.drawn:
        verdict = (
            f"All {len(ran)} runs agree statistically: each is within the band of NumPy runs "
            "from draws of its framework's own initializer."
        )
    elif agree and banded:
        verdict = (
            f"All {len(ran)} runs compute the same numbers: each is within the band that "
            "float32 rounding allows around the exact answer."
        )
    elif agree:
        verdict = (
            f"All {len(ran) + 1} runs compute the same numbers: each agrees with "
            f"{framework(comparison.reference)} within the tolerance."
        )
    elif first := comparison.first_divergence:
        leaves = "leaves the band" if banded else f"differs from {comparison.reference},"
        verdict = f"{first[0]} {leaves} first {where(first[1])}."
    else:
        verdict = "Not every run could be compared: see the table."
    caption = (
        "The loss of every run (top), and each run's distance to the draws' mean in "
        "deviations, per step and after training, against the band (bottom, log axis)."
        if comparison.drawn
        else (
            "The loss of every run (top), and each run's distance to the exact answer in "
            "spreads, per step and after training, against the band (bottom, log axis)."
            if banded
            else "The loss of every run (top), and each run's relative loss gap to the reference "
            "(bottom, log axis)."
        )
    )
    return Results(columns, rows, notes, verdict, agree, plot, caption)


def data_url(png: bytes) -> str:
    """An image inside the page itself: no request leaves it."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def plot_png(comparison: Comparison) -> bytes | None:
    """`specc compare --plot`'s figure as PNG bytes; None without matplotlib."""
    if not can_plot():
        return None
    with tempfile.TemporaryDirectory(prefix="specc-article-") as folder:
        path = Path(folder) / "plot.png"
        plot(comparison, path)
        return path.read_bytes()


# Rendering -------------------------------------------------------------------------------


Runner = Callable[[Plan, ir.Spec, dict[str, str]], Mapping[str, Execution]]


@dataclass(frozen=True)
class Made:
    """A page's text, its plot as PNG bytes (None: not run or no matplotlib), its results."""

    text: str
    png: bytes | None
    results: Results | None


def make(
    source: Source,
    stem: str,
    flavour: str,
    requested: Sequence[str],
    explicit: bool,
    run: Runner | None,
    command: str,
    image: str,
    warn: Callable[[list[Diagnostic]], None] = lambda warnings: None,
) -> Made:
    """The whole article for a spec: check it, build its targets, run them (unless `run` is
    None) and render the page. `requested` are runs as `specc compare` takes them; a target
    the user named (`explicit`) is built even where it refuses the spec, so the refusal is
    reported; `image` is the plot's file name beside a Markdown page."""
    spec, _ = analyze(source, ())  # a bad spec: reported as `specc build` reports it
    wanted = list(dict.fromkeys(RUNS[name][0] for name in requested))
    targets = wanted if explicit else supported(spec, wanted)
    spec, warnings = analyze(source, targets)
    warn(warnings)
    scripts = {target: generate(spec, target) for target in targets}
    results, png = None, None
    if run is not None:
        plan = compare_plan(spec, [r for r in requested if RUNS[r][0] in targets], explicit=True)
        # The band's NumPy reference runs even where the page shows no NumPy column.
        needed = {t: scripts.get(t) or generate(spec, t) for t in generated_targets(plan)}
        comparison = evaluate(spec, plan, run(plan, spec, needed))
        png = plot_png(comparison)
        where = None if png is None else data_url(png) if flavour == "html" else image
        results = summarize(comparison, where)
    made = page(spec, source.text, stem, scripts, command, results)
    return Made(render_page(made, flavour), png, results)


def can_render() -> bool:
    """Whether Pygments, which highlights the page, is installed (found, not imported)."""
    return installed("pygments")


def render_page(page: Page, flavour: str) -> str:
    """The page's text in one flavour: `html` or `mkdocs`."""
    template = {"html": "article/page.html.j2", "mkdocs": "article/page.md.j2"}[flavour]
    return environment().get_template(template).render(page=page)
