"""PyTorch: an `nn.Module` (or tensors autograd tracks and a `forward` function), `nn` losses,
`torch.optim` optimizers, and a loop of zero_grad, backward and step."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import NamedTuple

from .. import ir
from ..format import LINE_LENGTH
from ..layers import TorchSpelling, kind_of, spelling
from ..lower import (
    Log,
    LogSite,
    comment_lines,
    held_out,
    log,
    modes,
    schedule_said,
    scheduled,
    seeded,
    tested,
    trained_loss,
)
from ..spell import formula, pow_text, py
from .base import Backend, Optimizer, Unsupported


class TorchModel(NamedTuple):
    """The PyTorch half of a plan."""

    tensors: tuple[str, ...]  # a formula's weights: `w = torch.tensor(...)`
    forward: str  # a formula's expression over `x`
    definitions: tuple[str, ...]  # classes of the script's own that its layers are
    layers: tuple[str, ...]  # a module's layers: `self.fc1 = nn.Linear(1, 32)`
    calls: tuple[str, ...]  # its forward pass, line by line
    construct: str  # `model = SimpleNet()`
    loads: tuple[str, ...]  # copying the shared initial weights in
    loads_comment: tuple[str, ...]  # over them: how torch lays out its weights
    native: bool  # some weights keep nn.Linear's own initial values
    adapts: tuple[str, ...]  # fixing what layers compute from the training inputs
    criterion: str
    optimizer: Optimizer
    setup: str  # `optimizer = ...`, or the learning rate of an update written out
    scheduler: tuple[str, ...]  # `scheduler = StepLR(...)`, which each epoch's end steps
    schedule: tuple[str, ...]  # or, for an update written out, each epoch's learning rate
    params: str  # the weights, for an update written out
    loss: tuple[str, ...]  # the lines computing one update's loss
    correct: str  # with mini-batches and `show=accuracy`: the batch's samples classified right
    fetch: tuple[str, ...]  # with mini-batches, the shown weights read before an epoch
    log: Log
    seed: tuple[str, ...]  # seeding torch's generator, where a layer draws (Dropout)
    evaluate: tuple[str, ...]  # switching the model to inference, where a layer has modes
    trained_loss: tuple[str, ...]  # the trained model's loss on all the data, under no_grad
    test_tensors: str  # the held-out rows as tensors, with a `split`
    tested: tuple[str, ...]  # the trained model's loss on them
    watch: tuple[str, ...]  # with `patience`: their loss after every epoch
    predictions: str
    distribution: tuple[str, ...] = ()  # with `distribute`: the replicas, before the model
    replica: tuple[str, ...] = ()  # ... the model wrapped in DDP, which trains it
    shard: str = ""  # ... the rows of a batch (or of the data) this replica trains on
    backward: str = "loss.backward()"
    finish: tuple[str, ...] = ()  # ... leaving the process group, after the report
    device: tuple[str, ...] = ()  # with `device gpu`: the device, before the model
    moved: str = ""  # ... the model moved to it, once it holds its initial weights
    to_device: str = ""  # ... what moves a tensor of data there


class Torch(Backend):
    name = "torch"
    title = "PyTorch"
    label = "PyTorch"
    extra = "torch"
    imports = ("import numpy as np", "import torch", "from torch import nn")
    modules = ("numpy", "torch")
    activations = {"linear": None, "relu": "torch.relu", "sigmoid": "torch.sigmoid",
                   "tanh": "torch.tanh"}  # fmt: skip
    functions = {fn: f"torch.{fn}" for fn in ir.FORMULA_FUNCTIONS}
    dtypes = {"float32": "torch.float32", "float64": "torch.float64"}
    losses = {"mse": "nn.MSELoss", "mae": "nn.L1Loss", "crossentropy": "nn.CrossEntropyLoss",
              "bce": "nn.BCEWithLogitsLoss"}  # fmt: skip
    probabilities = {"crossentropy": "torch.softmax({}, dim=1)", "bce": "torch.sigmoid({})"}

    def caveats(self, spec: ir.Spec) -> Iterator[Unsupported]:
        yield from super().caveats(spec)
        if spec.loss.kind == "bce":
            yield Unsupported("loss", f"torch's {self.BCE_WITHOUT_LOG1P}")

    def imported(self, spec: ir.Spec) -> tuple[str, ...]:
        lines = self.imports
        if spec.distribute is not None:
            lines += ("import warnings",) if _convolves(spec) else ()
            lines += (
                "import os",
                "import sys",
                "import torch.distributed as dist",
                "from torch.nn.parallel import DistributedDataParallel",
            )
        elif spec.device == "gpu":
            lines += ("import sys",)
        return lines

    def launcher(self, spec: ir.Spec) -> tuple[str, ...]:
        """torchrun (`python -m torch.distributed.run`), one process per replica."""
        if spec.distribute is None:
            return ()
        replicas = spec.distribute.replicas
        return ("-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={replicas}")

    def unsupported(self, spec: ir.Spec) -> Iterator[Unsupported]:
        yield from super().unsupported(spec)
        if spec.distribute is not None and isinstance(spec.network, ir.Formula):
            yield Unsupported(
                "distribute",
                "data-parallel training of a `forward` formula",
                "DistributedDataParallel replicates an nn.Module: write the model as layers",
            )

    def value(self, spec: ir.Spec, weight: ir.Weight) -> str:
        read = self.read(weight)
        return read.replace(".numpy()", ".cpu().numpy()") if spec.device == "gpu" else read

    def read(self, weight: ir.Weight) -> str:
        if weight.role == "param":
            return f"{weight.var}.detach().numpy()"
        return spelling(weight, "torch", TorchSpelling).read(weight)

    def optimizer(self, spec: ir.Spec, params: str = "") -> Optimizer:
        made = super().optimizer(spec, params)
        if (clip := self.clip(spec)) is None:
            return made
        clipping = (
            f"# Clip the gradients' global norm to {py(clip)}, as TensorFlow and Keras do",
            "# (clip_grad_norm_ would divide by the norm plus 1e-6).",
            f"grads = [param.grad for param in {params}]",
            "norm = torch.nn.utils.get_total_norm(grads)",
            "for grad in grads:",
            f"    grad.mul_(torch.clamp({py(clip)} / norm, max=1.0))",
        )
        return made._replace(step=(*clipping, *made.step))

    def save(self, spec: ir.Spec, name: str) -> tuple[str, ...]:
        lines = self._saved(spec, name)
        if spec.distribute is None:
            return lines
        return ("if rank == 0:  # one replica writes the file", *(f"    {line}" for line in lines))

    def _saved(self, spec: ir.Spec, name: str) -> tuple[str, ...]:
        path = py(f"{name}_torch.pt")
        if isinstance(spec.network, ir.Formula):
            tensors = ", ".join(f'"{w.name}": {w.var}.detach()' for w in spec.weights)
            return (
                "# The trained tensors by name, in PyTorch's own format: torch.load reads them.",
                f"torch.save({{{tensors}}}, {path})",
                f"print({py(f'saved {name}_torch.pt')})",
            )
        return (
            "# The trained model's state_dict, in PyTorch's own format:",
            f"# model.load_state_dict(torch.load({path})) reads it back.",
            f"torch.save(model.state_dict(), {path})",
            f"print({py(f'saved {name}_torch.pt')})",
        )

    def optim_sgd(self, spec: ir.Spec, params: str) -> Optimizer:
        extra = ""
        if spec.optimizer["momentum"]:
            extra = f", momentum={self.hyper(spec, 'momentum')}"
        if spec.optimizer["nesterov"]:
            extra += ", nesterov=True"
        extra += self._decay(spec)
        return Optimizer(f"torch.optim.SGD({params}, lr={self.hyper(spec, 'lr')}{extra})")

    def optim_adam(self, spec: ir.Spec, params: str) -> Optimizer:
        options = self._adam_options(spec) + self._decay(spec)
        return self._adam(spec, f"torch.optim.Adam({params}, {options})")

    def _decay(self, spec: ir.Spec) -> str:
        """torch's `weight_decay=`, which adds it times each weight to its gradient."""
        if not self.coupled_decay(spec):
            return ""
        return f", weight_decay={self.hyper(spec, 'weight_decay')}"

    def optim_adamw(self, spec: ir.Spec, params: str) -> Optimizer:
        decay = self.hyper(spec, "weight_decay")
        options = f"{self._adam_options(spec)}, weight_decay={decay}"
        return self._adam(spec, f"torch.optim.AdamW({params}, {options})")

    def _adam_options(self, spec: ir.Spec) -> str:
        h = functools.partial(self.hyper, spec)
        betas = "beta1, beta2" if spec.dtype == "float32" else f"{h('beta1')}, {h('beta2')}"
        return f"lr={h('lr')}, betas=({betas}), eps={h('eps')}"

    def _adam(self, spec: ir.Spec, construct: str) -> Optimizer:
        # torch adds eps after the bias correction of v, TensorFlow and Keras before it (the
        # spec's meaning); eps / sqrt(1 - beta2**t) after it is the same number.
        t = "epoch" if spec.training.unit == "epoch" else "(step + 1)"  # this update's number
        counted: tuple[str, ...] = ()
        if spec.training.batch is not None:
            t = "step"
            counted = ("step = (epoch - 1) * len(batches) + start // batch_size + 1",)
        eps, beta2 = self.hyper(spec, "eps"), self.hyper(spec, "beta2")
        before: tuple[str, ...] = ()
        if spec.dtype == "float32":
            before, beta2 = self.float32_betas(spec), "beta2"
        return Optimizer(
            construct,
            before=before,
            step=(
                "# eps as TensorFlow and Keras add it: to sqrt(v), before the bias correction.",
                *counted,
                f'optimizer.param_groups[0]["eps"] = {eps} / (1 - {pow_text(beta2, t)}) ** 0.5',
            ),
        )

    def optim_rmsprop(self, spec: ir.Spec, params: str) -> Optimizer:
        options = self.keywords(spec, lr="lr", rho="rho", eps="eps", momentum="momentum")
        decay = self._decay(spec)
        return Optimizer(
            f"RMSprop({params}, {options}{decay})",
            definition="torch/rmsprop.py.j2",
            weight_decay=self.hyper(spec, "weight_decay") if decay else "",
        )

    def optim_gd(self, spec: ir.Spec, params: str) -> Optimizer:
        return Optimizer(self.hyper(spec, "lr"), written_out=True)

    def lower(self, spec: ir.Spec) -> TorchModel:
        network = spec.network
        formula_model = isinstance(network, ir.Formula)
        params = (
            f"[{', '.join(w.var for w in spec.weights)}]" if formula_model else "model.parameters()"
        )
        optimizer = self.optimizer(spec, params)
        batched = spec.training.batch is not None
        distributed = spec.distribute is not None
        gpu = spec.device == "gpu"
        to_device = ".to(device)" if gpu else ""
        on_device = ", device=device" if gpu else ""
        value = functools.partial(self.value, spec)
        model = "forward" if formula_model else "model"
        trained = "replica" if distributed else model  # what the updates call
        rows = "shard" if distributed else "rows"
        inputs, targets = (
            (f"inputs[{rows}]", f"targets[{rows}]")
            if batched or distributed
            else ("inputs", "targets")
        )
        correct = self._correct(spec, targets) if spec.logging.accuracy else ""
        site = (
            LogSite(f"total / len({spec.inputs})", lambda w: f"{w.var}_value", "epoch",
                    f"total_correct / len({spec.inputs})")
            if batched
            else LogSite("summed(loss.item())" if distributed else "loss.item()", value,
                         spec.training.unit, "accuracy")
        )  # fmt: skip
        # The fraction of all the data classified right: each log line's, or the trained one's.
        accuracy = (
            (f"accuracy = {self._correct(spec, 'targets')} / len(targets)",) if correct else ()
        )
        before: tuple[str, ...] = ()
        if batched and distributed:  # the epoch's figures: every replica's shards, added up
            before = ("total = summed(total)  # every replica's shards",)
            before += ("total_correct = summed(total_correct)",) if correct else ()
        elif not batched:
            before = (f"accuracy = summed({correct}) / len(targets)",) if distributed else accuracy
            before = before if correct else ()
        logging = spec.logging
        test_figures, watch = held_out(
            spec, self._tested(spec, model, logging.test_accuracy, training=True)
        )
        if batched and not watch:  # an epoch's: after its updates
            before += test_figures
        site = site._replace(test_loss="test_loss", test_accuracy="test_accuracy")
        loss = spec.loss
        reduction = f'reduction="{loss.reduction}"' if loss.reduction != "mean" else ""
        predictions = f"{model}(torch.from_numpy(x_new){to_device})"
        if loss.kind in self.probabilities:
            predictions = self.probabilities[loss.kind].format(predictions)
        return TorchModel(
            tensors=(
                tuple(
                    f'{w.var} = torch.tensor(init["{w.name}"]{on_device}, requires_grad=True)'
                    for w in spec.weights
                )
                if formula_model
                else ()
            ),
            forward=formula(network.expr, self.functions, "x") if formula_model else "",
            definitions=self.definitions(spec),
            layers=self._layers(spec),
            calls=self._calls(spec),
            construct=f"model = {spec.name}()" + (".double()" if spec.dtype == "float64" else ""),
            loads=self._loads(spec),
            loads_comment=self._loads_comment(spec),
            native=spec.native,
            adapts=self.adapts(spec),
            criterion=f"{self.losses[loss.kind]}({reduction})",
            optimizer=optimizer,
            setup=(
                f"learning_rate = {optimizer.construct}"
                if optimizer.written_out
                else f"optimizer = {optimizer.construct}"
            ),
            scheduler=() if optimizer.written_out else self._scheduler(spec),
            schedule=scheduled(spec, "learning_rate") if optimizer.written_out else (),
            params=params,
            loss=self._loss(trained, inputs, targets, bool(correct), self._share(spec)),
            correct=correct if batched else "",
            fetch=(
                tuple(f"{w.var}_value = {value(w)}.copy()" for w in spec.shown)
                if batched
                else test_figures  # a step's: at the weights its loss is of, before its forward
            ),
            watch=watch,
            log=log(spec, site, before),
            seed=self._seed(spec) if spec.draws else (),
            evaluate=self._evaluate(spec),
            trained_loss=trained_loss(
                spec,
                "loss.item()",
                "accuracy",
                (*self._loss(model, "inputs", "targets", bool(correct)), *accuracy),
            ),
            test_tensors=(
                "test_inputs, test_targets = "
                f"torch.from_numpy({spec.inputs}_test){to_device}, "
                f"torch.from_numpy({spec.targets}_test){to_device}"
                if spec.split
                else ""
            ),
            tested=tested(
                spec,
                "test_loss",
                "test_accuracy",
                self._tested(spec, model, spec.classifies, training=False),
            ),
            predictions=f"{predictions}{'.cpu()' if gpu else ''}.numpy()",
            **(self._distributed(spec) if distributed else {}),
            **(self._gpu(spec) if gpu else {}),
        )

    def _gpu(self, spec: ir.Spec) -> dict[str, object]:
        """The lines of `device gpu`: a GPU where torch sees one, else the CPU, said on
        stderr; TF32 off, so that a float32 matmul or convolution rounds as float32."""
        index = ', int(os.environ.get("LOCAL_RANK", 0))' if spec.distribute else ""
        return dict(
            device=(
                "# `device gpu`: a GPU where torch sees one. TF32 off: float32 stays float32.",
                "torch.backends.cuda.matmul.allow_tf32 = False",
                "torch.backends.cudnn.allow_tf32 = False",
                "if torch.cuda.is_available():",
                f'    device = torch.device("cuda"{index})',
                "else:",
                '    device = torch.device("cpu")',
                '    print("no GPU that torch can use: training on the CPU", file=sys.stderr)',
                *(("",) if isinstance(spec.network, ir.Sequential) else ()),
            ),
            moved="model.to(device)" if isinstance(spec.network, ir.Sequential) else "",
            to_device=".to(device)",
        )

    def _seed(self, spec: ir.Spec) -> tuple[str, ...]:
        if spec.distribute is None:
            return seeded("torch's", f"torch.manual_seed({spec.seed})")
        return (
            *seeded("torch's", f"torch.manual_seed({spec.seed} + rank)")[:-1],
            f"torch.manual_seed({spec.seed} + rank)  # each replica draws its own masks",
        )

    def _share(self, spec: ir.Spec) -> str:
        """With `distribute`: what a shard's loss is multiplied by to give its share of the
        batch's loss, which the replicas' shares add up to (a sum's share is the shard's sum)."""
        if spec.distribute is None or spec.loss.reduction == "sum":
            return ""
        rows = "rows" if spec.training.batch is not None else "inputs"
        return f"len(shard) / len({rows})"

    def _distributed(self, spec: ir.Spec) -> dict[str, object]:
        """The lines of data-parallel training: `torchrun` starts one process per replica
        (plain `python` runs one), each trains on its shard of every batch, and DDP averages
        their gradients in backward."""
        assert spec.distribute is not None
        replicas = spec.distribute.replicas
        batched = spec.training.batch is not None
        shard = (
            "np.array_split(rows, replicas)[rank]"
            if batched
            else (f"np.array_split(np.arange(len({spec.inputs})), replicas)[rank]")
        )
        share = self._share(spec)
        engine = "nccl on GPUs, gloo on the CPU" if spec.device == "gpu" else "gloo, on the CPU"
        return dict(
            distribution=(
                *comment_lines(
                    f"Data-parallel: `torchrun --standalone --nproc_per_node={replicas} "
                    "<this file>` starts one process per replica, each training on its shard "
                    f"of every batch ({engine}); plain `python` trains in one process."
                ),
                'distributed = "RANK" in os.environ  # set by torchrun',
                "if distributed:",
                "    torch.set_num_threads(1)  # the processes share the cores",
                (
                    '    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")'
                    if spec.device == "gpu"
                    else '    dist.init_process_group("gloo")'
                ),
                "rank = dist.get_rank() if distributed else 0",
                "replicas = dist.get_world_size() if distributed else 1",
                "if rank != 0:",
                '    sys.stdout = open(os.devnull, "w")  # the first replica prints',
                "",
                "",
                "def summed(value):",
                '    """The whole batch\'s number, added up from each replica\'s shard."""',
                "    if not distributed:",
                "        return value",
                "    total = torch.tensor(value, dtype=torch.float64"
                + (", device=device)" if spec.device == "gpu" else ")"),
                "    dist.all_reduce(total)",
                "    return total.item()",
                "",
                "",
            ),
            replica=(
                *(
                    (
                        "# DDP warns where a gradient's strides differ from its bucket's, as a",
                        "# size-1 axis's may (one input channel): the values are the same.",
                        'warnings.filterwarnings("ignore", "Grad strides do not match")',
                    )
                    if _convolves(spec)
                    else ()
                ),
                "# Backward averages the replicas' gradients.",
                "replica = DistributedDataParallel(model) if distributed else model",
            ),
            shard=f"shard = {shard}  # this replica's rows",
            backward=(
                "(loss * replicas).backward()  # DDP averages the replicas' gradients"
                if share or spec.loss.reduction == "sum"
                else "loss.backward()"
            ),
            finish=("if distributed:", "    dist.destroy_process_group()"),
        )

    def _scheduler(self, spec: ir.Spec) -> tuple[str, ...]:
        """torch's scheduler of the spec's schedule, which counts its `step()` calls."""
        schedule = spec.schedule
        if schedule is None:
            return ()
        if schedule.kind == "step":
            options = f"step_size={schedule.every}, gamma={py(schedule.factor)}"
        elif schedule.kind == "exponential":
            options = f"gamma={py(schedule.factor)}"
        else:
            options = f"T_max={spec.training.count}" + (
                f", eta_min={py(schedule.min)}" if schedule.min else ""
            )
        name = _SCHEDULERS[schedule.kind]
        unit = spec.training.unit
        return (
            *comment_lines(
                f"The learning rate, {schedule_said(spec)}: the scheduler counts its step() "
                f"calls, one at the end of each {unit}."
            ),
            f"scheduler = torch.optim.lr_scheduler.{name}(optimizer, {options})",
        )

    def _evaluate(self, spec: ir.Spec) -> tuple[str, ...]:
        """`model.eval()`, where a layer computes otherwise in inference, saying what changes."""
        if not spec.modes:
            return ()
        line = f"model.eval()  # {modes(spec, 'inference')} from here on"
        if len(line) <= LINE_LENGTH:
            return (line,)
        return (*comment_lines(f"From here on {modes(spec, 'inference')}."), "model.eval()")

    def _loss(
        self, model: str, inputs: str, targets: str, outputs: bool, share: str = ""
    ) -> tuple[str, ...]:
        """The lines computing the loss on `inputs`, keeping the `outputs` where asked; with
        `share`, a shard's share of the batch's loss."""
        scaled = f" * ({share})" if share else ""
        said = ("# This shard's share of the batch's mean loss: the shares add up to it.",)
        said = said if share else ()
        if outputs:
            return (
                f"outputs = {model}({inputs})",
                *said,
                f"loss = criterion(outputs, {targets}){scaled}",
            )
        return (*said, f"loss = criterion({model}({inputs}), {targets}){scaled}")

    def _correct(self, spec: ir.Spec, targets: str, outputs: str = "outputs") -> str:
        """How many samples the outputs classify right: the largest logit, or a logit above 0."""
        if spec.loss.kind == "crossentropy":
            return f"({outputs}.argmax(dim=1) == {targets}).sum().item()"
        return f"(({outputs} > 0) == ({targets} > 0.5)).sum().item()"

    def _tested(self, spec: ir.Spec, model: str, accuracy: bool, training: bool) -> tuple[str, ...]:
        """The lines computing the model's loss on the held-out rows (and its accuracy), in
        inference mode: during `training`, switched to it and back."""
        lines = [
            f"test_outputs = {model}(test_inputs)",
            "test_loss = criterion(test_outputs, test_targets).item()",
        ]
        if accuracy:
            correct = self._correct(spec, "test_targets", "test_outputs")
            lines += [
                f"test_correct = {correct}",
                "test_accuracy = test_correct / len(test_targets)",
            ]
        computed = ("with torch.no_grad():", *(f"    {line}" for line in lines))
        if training and spec.modes:
            return ("model.eval()", *computed, "model.train()")
        return computed

    def _layers(self, spec: ir.Spec) -> tuple[str, ...]:
        if not isinstance(spec.network, ir.Sequential):
            return ()
        lines = []
        for layer in spec.network.layers:
            spelled = spelling(layer, "torch", TorchSpelling)
            if (module := spelled.module(layer)) is not None:
                lines.append(f"self.{layer.name} = {module}")
            # A comment explaining a kind's spelling is said at its first layer only.
            lines += [s for s in spelled.setup(layer) if not (s.startswith("#") and s in lines)]
        return tuple(lines)

    def _calls(self, spec: ir.Spec) -> tuple[str, ...]:
        if not isinstance(spec.network, ir.Sequential):
            return ()
        lines = []
        layers = spec.network.layers
        channels_first = False
        for i, layer in enumerate(layers):
            spelled = spelling(layer, "torch", TorchSpelling)
            axes = len(kind_of(layer).sample_in(layer))
            if spelled.channels_first and not channels_first and axes > 1:  # rows stay rows
                lines += _channels_first(axes)
                channels_first = True
            activation = self.activations[layer.activation]
            lines += spelled.comment(layer, channels_first)
            call = spelled.call(layer, "x", channels_first)
            channels_first &= not spelled.flattens
            result = f"{activation}({call})" if activation else call
            lines.append(f"return {result}" if i == len(layers) - 1 else f"x = {result}")
        return tuple(lines)

    def _loads_comment(self, spec: ir.Spec) -> tuple[str, ...]:
        layouts = (
            {}
            if not isinstance(spec.network, ir.Sequential)
            else {
                spelling(layer, "torch", TorchSpelling).layout: None
                for layer in spec.network.layers
            }
        )
        # nn.Linear's sentence first: the others say "nn.Conv2d as (...)" after it.
        ordered = sorted(filter(None, layouts), key=lambda text: not text.startswith("nn.Linear"))
        stored = "; " + ", ".join(ordered) if ordered else ""
        return comment_lines(f"Start from the shared initial weights{stored}.")

    def _loads(self, spec: ir.Spec) -> tuple[str, ...]:
        if not isinstance(spec.network, ir.Sequential):
            return ()
        return tuple(
            line
            for w in spec.weights
            if w.init.kind != "native"
            for line in spelling(w, "torch", TorchSpelling).loads(w)
        )


def _convolves(spec: ir.Spec) -> bool:
    """The model has a convolution, whose kernel's gradient DDP may find strided otherwise."""
    layers = spec.network.layers if isinstance(spec.network, ir.Sequential) else ()
    return any(layer.kind in ("Conv1D", "Conv2D") for layer in layers)


_SCHEDULERS = {"step": "StepLR", "exponential": "ExponentialLR", "cosine": "CosineAnnealingLR"}


def _channels_first(dimensions: int) -> tuple[str, ...]:
    """The lines turning channels-last samples of `dimensions` axes to torch's layout."""
    axes = ", ".join(map(str, (0, dimensions, *range(1, dimensions))))
    names = "(N, H, W, C) to (N, C, H, W)" if dimensions == 3 else "(N, L, C) to (N, C, L)"
    return (f"# {names}: torch's convolutions take channels first.", f"x = x.permute({axes})")


BACKEND = Torch()
