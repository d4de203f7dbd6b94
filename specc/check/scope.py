"""What the statements declare, gathered in one walk for the checks that need the whole spec."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import ir
from .. import syntax as s
from .report import Invalid, Reporter


@dataclass
class Scope:
    """The spec as checked so far: its names, layers, params and statements, by kind."""

    report: Reporter
    # IR fields that one statement each sets (`name`, `seed`, `dtype`, `loss`, ...); what a
    # spec leaves out takes the IR's default.
    fields: dict[str, Any] = field(default_factory=dict)
    # data by name, with its statement; None for data specc draws itself (x and y)
    data: dict[str, tuple[ir.Data, s.DataStmt | None]] = field(default_factory=dict)
    layers: list[tuple[ir.LayerNode, s.LayerStmt]] = field(default_factory=list)
    layers_failed: bool = False  # a layer statement had an error
    params: dict[str, tuple[ir.ParamDef, s.ParamStmt]] = field(default_factory=dict)
    # the first statement of each kind that may appear only once
    first: dict[type[s.Statement], s.Statement] = field(default_factory=dict)
    kinds: set[type[s.Statement]] = field(default_factory=set)  # every kind the spec has
    failed: set[str] = field(default_factory=set)  # data or param names whose statement failed
    mentioned: set[str] = field(default_factory=set)  # names data read, their checks failed or not
    # Statements whose check failed: what they set is unknown, not the default, so a check
    # that reads it stops silently (its statement's error is reported).
    broken: set[type[s.Statement]] = field(default_factory=set)

    @property
    def training(self) -> ir.Training:
        """How long the spec trains, as given or by default."""
        if s.TrainStmt in self.broken:
            raise Invalid()
        return self.fields.get("training") or ir.Training.model_construct()

    @property
    def loss(self) -> ir.Loss:
        """The loss, as given or by default."""
        if s.LossStmt in self.broken:
            raise Invalid()
        return self.fields.get("loss") or ir.Loss.model_construct()
