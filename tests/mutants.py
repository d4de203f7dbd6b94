"""Scripts with one real bug each, run beside the cases (`conftest.py`): the band must catch
every one, at the first logged step where its run leaves it (`test_mutations.py`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    """A generated script with `old` replaced by `new`: a bug a converter or a hand edit makes."""

    name: str
    case: str  # the golden case whose script is mutated
    run: str  # the run it stands in for (`specc.runner.RUNS`)
    old: str
    new: str
    leaves_at: str  # the first logged step where it leaves the band
    why: str


MUTANTS = [
    Mutant(
        "torch_eps", "adam", "torch",
        '    optimizer.param_groups[0]["eps"] = 0.001 / (1 - beta2**epoch) ** 0.5\n', "",
        "epoch 10/40", "Adam's eps added where torch adds it: after the bias correction",
    ),
    Mutant(
        "dampening", "deep_momentum", "torch",
        "lr=0.05, momentum=0.9)", "lr=0.05, momentum=0.9, dampening=0.1)",
        "epoch 3/30", "SGD's dampening (torch's first step takes the gradient undamped)",
    ),
    Mutant(
        "coupled_decay", "adamw", "torch",
        "torch.optim.AdamW(", "torch.optim.Adam(",
        "epoch 5/30", "L2 weight decay added to the gradient instead of decoupled",
    ),
    Mutant(
        "mean_reduction", "examples/linear_regression", "torch",
        'nn.MSELoss(reduction="sum")', 'nn.MSELoss(reduction="mean")',
        "epoch 50/500", "the mean squared error where the spec sums it",
    ),
    Mutant(
        "probabilities", "examples/iris", "keras",
        "SparseCategoricalCrossentropy(from_logits=True)", "SparseCategoricalCrossentropy()",
        "epoch 5/50", "the logits taken for probabilities: `from_logits` left out",
    ),
    Mutant(
        "rnn_two_biases", "simple_rnn", "torch",
        "nn.init.zeros_(self.rnn1.bias_hh_l0).requires_grad_(False)",
        "nn.init.zeros_(self.rnn1.bias_hh_l0)",
        "epoch 1/10", "nn.RNN's second bias trained too: the sum of both moves twice as far",
    ),
    Mutant(
        "lstm_forget_bias", "lstm", "tfgraph",
        "cell = tf.sigmoid(f) * cell", "cell = tf.sigmoid(f + 1.0) * cell",
        "epoch 1/10", "TF1's LSTMCell's forget_bias=1.0, added inside every step",
    ),
    Mutant(
        "gru_gates_unswapped", "gru", "torch",
        "return np.concatenate([reset, update, candidate], axis=-1)",
        "return np.concatenate([update, reset, candidate], axis=-1)",
        "epoch 1/10", "Keras's GRU gates loaded into nn.GRU in Keras's order, not swapped",
    ),
    Mutant(
        "gru_reset_before", "gru", "numpy",
        "c = np.tanh(c_x + r * c_h)",
        "c = np.tanh(c_x + (r * outputs[:, t]) @ recurrent_kernel[:, 2 * units :]"
        " + bias[1, 2 * units :])",
        "epoch 1/10", "the reset applied before the recurrent matmul, as TF1's GRUCell applies it",
    ),
    Mutant(
        "scheduler_every_batch", "schedule_minibatches", "torch",
        "        optimizer.step()\n", "        optimizer.step()\n        scheduler.step()\n",
        "epoch 1/8", "torch's StepLR stepped every batch: it halves the rate every 2 batches",
    ),
    Mutant(
        "keras_sgd_velocity", "schedule_minibatches", "keras",
        "VelocitySGD(learning_rate=0.05, momentum=0.9)",
        "keras.optimizers.SGD(learning_rate=0.05, momentum=0.9)",
        "epoch 3/8", "Keras's SGD, whose velocity keeps the old rate's steps after a decay",
    ),
    # Held to the draws (Dropout: each framework's own masks), as the statistical verdict is.
    Mutant(
        "dropout_in_inference", "dropout", "torch",
        "model.eval()  # Dropout keeps every value from here on\n", "",
        "the trained model", "Dropout left on after training: `model.eval()` left out",
    ),
    Mutant(
        "dropout_unscaled", "dropout", "numpy",
        "kept.astype(x.dtype) / (1 - rate)", "kept.astype(x.dtype)",
        "the trained model", "the kept values not scaled by 1 / (1 - rate) in training",
    ),
]  # fmt: skip
