"""evaluate judged on a model of the grader's where the student's own RNNModel cannot run.

Every evaluate probe runs the student's evaluate on the student's RNNModel; a mistake in that
model's forward (rnn_model_forward's) can make it raise or give outputs no evaluate could score.
Beside each probe the child therefore also runs the student's evaluate on a stand-in language
model (autograder/sandbox/stand_ins.py) over the same batches, in the same mode, and where the
student's model is unusable the checks judge that run: evaluate's own mistakes still show there
(a model left in training mode, the state not carried, the wrong average), and a mistake of
RNNModel's costs nothing here.
"""

from __future__ import annotations

import numpy as np
import torch

from autograder.engine.exercise import Context, Plan
from autograder.exercises.common import state_arrays, target
from autograder.exercises.word_lm.own_model import own_model_loss
from autograder.sandbox.stand_ins import LanguageModel
from solutions import word_lm as ref

#: how far the stand-in's next-word logits move per word its state has seen
MEMORY = 0.05


def stand_in_probe(plan: Plan, key: str, data: np.ndarray, mode: str, layers: int, lstm: bool):
    """Probe `<key>.stand_in`: evaluate on a stand-in model over `data`, and its right answer."""
    vocab = int(data.max()) + 2
    kwargs = {"vocab": vocab, "layers": layers, "hidden": 3, "lstm": lstm, "memory": MEMORY}
    model = LanguageModel(**kwargs)
    generator = torch.Generator().manual_seed(int(data.sum()) % 2**31)
    with torch.no_grad():
        model.table.copy_(torch.randn(vocab, vocab, generator=generator))
        model.bias.copy_(torch.randn(vocab, generator=generator))
    state = state_arrays(plan, f"{key}.stand_in.state", model)
    plan.probes[f"{key}.stand_in"] = {
        "kind": "call",
        "target": target("evaluate"),
        "args": [
            {"stand_in": "language_model", "kwargs": kwargs, "state": state, "mode": mode},
            plan.array(f"{key}.data", data),
        ],
    }
    model.train(mode == "train")
    plan.expected[f"{key}.stand_in"] = float(ref.evaluate(model, torch.from_numpy(data)))


def judged_probe(ctx: Context, key: str) -> str:
    """The probe that judges evaluate for `key`: its run on the student's own model where that
    model's outputs can stand in for the reference's, else its run on the stand-in."""
    own = "single" if key == "single_train" else key
    return key if own_model_loss(ctx, own) is not None else f"{key}.stand_in"
