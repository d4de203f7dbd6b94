"""What every backend provides: its spellings, and the constructs it cannot compute.

A backend is one class per target (betterproto's strategy classes): tables for the words
that map one to one (activations, functions, losses, dtypes) and one method per optimizer,
`optim_<kind>`. `tests/test_backends.py` holds every backend to the whole vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from .. import ir
from .. import vocabulary as v
from ..layers import KINDS, spelling
from ..spell import py


class Unsupported(NamedTuple):
    """A construct one target cannot compute as the spec means it.

    The checker reports it as a located error naming the target, at the statement whose
    keyword is `statement` ("loss", "optim", "layer", ...), or at the layer's own.
    """

    statement: str
    message: str  # what is not supported, as a noun phrase: "`reduction=sum` with 3 outputs"
    help: str | None = None
    layer: str | None = None  # the layer it is about (`fc2`): reported at its own statement


class Optimizer(NamedTuple):
    """An optimizer as one target spells it.

    `construct` is the code that makes the optimizer object, or for an update written out in
    the loop (`written_out`), the learning rate it steps with. `definition` names a template
    with code the optimizer needs before it is made (a class of its own), `before` lines that
    name values for it. `train` are the
    lines that make a graph's train op from it, `start` the lines a session runs before
    training, and `step` the lines before each update; each is empty unless a target needs it
    to compute what the spec means. `weight_decay`, for a class of the script's own, is the
    coupled decay it adds to each gradient (torch's `weight_decay`).
    """

    construct: str
    written_out: bool = False
    definition: str | None = None
    before: tuple[str, ...] = ()
    train: tuple[str, ...] = ()
    start: tuple[str, ...] = ()
    step: tuple[str, ...] = ()
    weight_decay: str = ""  # an optimizer class of the script's own adds this times each weight


class Backend:
    """A target. Subclasses spell each construct; see specc/backends/torch.py."""

    name: str = ""  # what `--target` takes, and the generated file's suffix
    title: str = ""  # how the docstring names the framework
    label: str = ""  # the framework in a word or two, as a tab or a column heading
    extra: str = ""  # the pip extra that installs the framework: `specc[<extra>]`
    imports: tuple[str, ...] = ()  # the lines importing NumPy and the framework
    quiet_tensorflow: bool = False  # TensorFlow is imported: quiet its start-up chatter
    modules: tuple[str, ...] = ()  # the top-level modules its scripts may import
    # ... and those a script imports only where it runs on them (Keras's backends)
    engines: tuple[str, ...] = ()
    activations: Mapping[str, str | None] = {}  # IR activation -> function (None: no call)
    functions: Mapping[str, str] = {}  # formula function -> the framework's
    dtypes: Mapping[str, str] = {}  # IR dtype -> the framework's spelling
    losses: Mapping[str, str] = {}  # IR loss -> the framework's (a class, or an error term)
    # (category, kind) -> why this target cannot compute it; the checker reports it
    refused: Mapping[tuple[str, str], str] = {}

    def unsupported(self, spec: ir.Spec) -> Iterator[Unsupported]:
        """The spec's constructs this target cannot compute."""
        for category, kind, statement in _words(spec):
            if (category, kind) in self.refused:
                yield Unsupported(statement, f"the {category} `{kind}`",
                                  self.refused[(category, kind)])  # fmt: skip
        if isinstance(spec.network, ir.Sequential):
            for layer in spec.network.layers:
                found = KINDS[layer.kind].spellings.get(self.name)  # tests/test_layers.py: all
                if found is not None and (refusal := found.refused(layer)):
                    yield refusal

    def caveats(self, spec: ir.Spec) -> Iterator[Unsupported]:
        """Where this target computes the spec, but not quite as the others do (warnings)."""
        if gap := self.band_gap(spec):
            yield Unsupported("optim", f"{gap}: its runs are held to a wider band")
        if isinstance(spec.network, ir.Sequential):
            for layer in spec.network.layers:
                found = KINDS[layer.kind].spellings.get(self.name)
                if found is not None and (caveat := found.caveat(layer)):
                    yield caveat

    def definitions(self, spec: ir.Spec) -> tuple[str, ...]:
        """The classes and functions the script defines for its layers, each once, in the
        order the layers first need them (torch's BiasedBatchNorm2d, TF's lstm_step)."""
        if not isinstance(spec.network, ir.Sequential):
            return ()
        found = {
            definition: None
            for layer in spec.network.layers
            for definition in spelling(layer, self.name).definitions(layer)  # type: ignore[attr-defined]
        }
        return tuple(found)

    def adapts(self, spec: ir.Spec) -> tuple[str, ...]:
        """The lines fixing, once before training, what the layers compute from the
        training inputs (Normalize's statistics)."""
        if not isinstance(spec.network, ir.Sequential):
            return ()
        return tuple(
            line
            for layer in spec.network.layers
            for line in spelling(layer, self.name).adapt(layer, spec.inputs)
        )

    def native_init(self, layer: ir.LayerNode, role: str) -> ir.Init:
        """The distribution this framework draws a layer's `native` weight from, as specc
        would draw it (its layer kind's spelling says)."""
        return spelling(layer, self.name).native_init(layer, role)

    # The log of a float32 sum near 1 in binary cross-entropy (torch's BCEWithLogitsLoss), not
    # log1p: a confidently classified sample's loss is off by up to half an ulp of 1.
    BCE_WITHOUT_LOG1P = (
        "BCEWithLogitsLoss takes the log of a float32 number near 1 where TensorFlow takes "
        "log1p, so a confidently classified sample's loss is off by up to 6e-8 (its gradient "
        "is exact): its losses are held to that floor"
    )

    # Adam's bias corrections 1 - beta**t computed in the model's float32 (Keras, TF1), not in
    # float64 as torch and the NumPy reference compute them.
    float32_corrections = False

    def band_gap(self, spec: ir.Spec) -> str | None:
        """Why this target's float32 runs are held to a wider band around the exact answer
        (README, "The verdict"), or None."""
        adam = spec.optimizer.kind in ("adam", "adamw")
        if self.float32_corrections and adam and spec.dtype == "float32":
            return (
                f"{self.label} computes Adam's bias corrections in float32 (torch and NumPy "
                "in float64), which moves step t by up to 3e-5 / t relative"
            )
        return None

    def optimizer(self, spec: ir.Spec, params: str = "") -> Optimizer:
        """The spec's optimizer; `params` is the code naming the weights, where needed."""
        method = getattr(self, f"optim_{spec.optimizer.kind}")
        return method(spec, params)  # type: ignore[no-any-return]

    @staticmethod
    def clip(spec: ir.Spec) -> float | None:
        """The norm the gradients' global norm is clipped to, or None."""
        return spec.optimizer.options.get("clip")  # type: ignore[return-value]

    @staticmethod
    def coupled_decay(spec: ir.Spec) -> float:
        """The weight decay added to the gradients (torch's `weight_decay`), or 0."""
        if spec.optimizer.kind not in v.COUPLED_DECAY:
            return 0
        return spec.optimizer["weight_decay"]  # type: ignore[return-value]

    def hyper(self, spec: ir.Spec, name: str) -> str:
        """An optimizer option as this target must be given it (a literal by default)."""
        return py(spec.optimizer[name])

    def float32_betas(self, spec: ir.Spec) -> tuple[str, ...]:
        """Lines naming a float32 model's Adam betas as the float32 numbers they are.

        TensorFlow computes Adam with float32 betas throughout (0.999 is 0.99900001...), and
        Keras raises float32 betas to the power t; fed these, every target computes alike.
        """
        beta1, beta2 = (py(spec.optimizer[name]) for name in ("beta1", "beta2"))
        return (
            "# A float32 model's betas are float32 numbers, in the bias corrections too, as",
            "# TensorFlow computes them.",
            f"beta1, beta2 = float(np.float32({beta1})), float(np.float32({beta2}))",
        )

    def imported(self, spec: ir.Spec) -> tuple[str, ...]:
        """The lines importing what the spec's script uses of the framework."""
        return self.imports

    def refuses_run(self, spec: ir.Spec, env: Mapping[str, str]) -> str | None:
        """Why the script, run with `env` added to its environment (a Keras backend),
        refuses to train the spec, or None."""
        return None

    def launcher(self, spec: ir.Spec) -> tuple[str, ...]:
        """The arguments to `python` before the script's name that run it as the spec
        means (none: `python script.py`)."""
        return ()

    def environment(self, spec: ir.Spec) -> tuple[str, ...]:
        """Lines setting environment variables the framework reads on import (none)."""
        return ()

    def keywords(self, spec: ir.Spec, **names: str) -> str:
        """`learning_rate=0.01, rho=0.9`: the framework's argument names for spec options."""
        return ", ".join(f"{arg}={self.hyper(spec, option)}" for arg, option in names.items())

    def read(self, weight: ir.Weight) -> str:
        """Code for a weight's current value as a NumPy array, kernels as (in, out)."""
        raise NotImplementedError

    def value(self, spec: ir.Spec, weight: ir.Weight) -> str:
        """Code for a weight's current value as a NumPy array, where the spec trains it."""
        return self.read(weight)

    def save(self, spec: ir.Spec, name: str) -> tuple[str, ...]:
        """The lines writing the trained model in this framework's own format, to a file
        named from `name` that no other target's is, and printing `saved <file>`."""
        raise NotImplementedError

    def lower(self, spec: ir.Spec) -> Any:
        """The target's own part of the plan: its model, loss, optimizer and loop."""
        raise NotImplementedError


def _words(spec: ir.Spec) -> Iterator[tuple[str, str, str]]:
    """(category, word, statement keyword) for every vocabulary word the spec uses."""
    yield "dtype", spec.dtype, "dtype"
    yield "loss", spec.loss.kind, "loss"
    yield "optimizer", spec.optimizer.kind, "optim"
    network = spec.network
    if isinstance(network, ir.Sequential):
        for layer in network.layers:
            yield "activation", layer.activation, "layer"
    else:
        yield from (("function", fn, "forward") for fn in sorted(_functions(network.expr)))


def _functions(expr: ir.Expr) -> set[str]:
    if isinstance(expr, ir.Call):
        return {expr.fn} | _functions(expr.arg)
    if isinstance(expr, ir.BinOp):
        return _functions(expr.left) | _functions(expr.right)
    if isinstance(expr, ir.Neg):
        return _functions(expr.operand)
    return set()
