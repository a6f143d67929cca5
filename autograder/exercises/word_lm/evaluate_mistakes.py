"""The known mistakes of evaluate, with their hints: apart from the checks so that
evaluate.py stays short."""

from __future__ import annotations

from autograder.engine.exercise import Mistake
from autograder.i18n import N_

MISTAKES = (
    Mistake(
        "no torch.no_grad",
        (
            "    with torch.no_grad():\n"
            "        model.eval()\n"
            "        hidden = model.init_hidden(data.shape[1])\n"
            "        total_loss = torch.zeros((), device=model.device)\n"
            "        for batch in data:\n"
            "            batch = batch.to(model.device)\n"
            "            output, hidden = model(batch, hidden)\n"
            "            total_loss += F.nll_loss(",
            "    model.eval()\n"
            "    hidden = model.init_hidden(data.shape[1])\n"
            "    total_loss = torch.zeros((), device=model.device)\n"
            "    for batch in data:\n"
            "        batch = batch.to(model.device)\n"
            "        output, hidden = model(batch, hidden)\n"
            "        total_loss += F.nll_loss(",
        ),
        ("without_graph",),
        hint=N_(
            "the evaluation builds a gradient graph it never uses: look at how "
            "the loop over batches is wrapped"
        ),
    ),
    Mistake(
        "loss tensor with its graph returned",
        (
            "    with torch.no_grad():\n"
            "        model.eval()\n"
            "        hidden = model.init_hidden(data.shape[1])\n"
            "        total_loss = torch.zeros((), device=model.device)\n"
            "        for batch in data:\n"
            "            batch = batch.to(model.device)\n"
            "            output, hidden = model(batch, hidden)\n"
            "            total_loss += F.nll_loss(output[:, :-1, :].transpose(1, 2), "
            "batch[:, 1:])\n"
            "    # END SOLUTION\n"
            "    mean_loss = total_loss.item() / len(data)",
            "    model.eval()\n"
            "    hidden = model.init_hidden(data.shape[1])\n"
            "    total_loss = 0\n"
            "    for batch in data:\n"
            "        batch = batch.to(model.device)\n"
            "        output, hidden = model(batch, hidden)\n"
            "        total_loss += F.nll_loss(output[:, :-1, :].transpose(1, 2), "
            "batch[:, 1:])\n"
            "    # END SOLUTION\n"
            "    mean_loss = total_loss / len(data)",
        ),
        ("without_graph",),
        hint=N_(
            "evaluate returns a tensor carrying a gradient graph instead of a "
            "plain number: look at how the loss is accumulated and returned"
        ),
    ),
    Mistake(
        "model.eval() missing",
        ("        model.eval()\n", ""),
        ("switches_to_eval_mode",),
        hint=N_(
            "the model is evaluated in training mode, with dropout on: look at "
            "the start of evaluate"
        ),
    ),
    Mistake(
        "state reset at every batch",
        (
            "output, hidden = model(batch, hidden)",
            "output, hidden = model(batch, model.init_hidden(data.shape[1]))",
        ),
        ("state_carried_across_batches",),
        hint=N_(
            "each batch starts from a fresh hidden state instead of the previous "
            "batch's: look at the hidden state passed to the model in the loop"
        ),
    ),
    Mistake(
        "init_hidden with the number of samples",
        (
            "hidden = model.init_hidden(data.shape[1])",
            "hidden = model.init_hidden(data.shape[0])",
        ),
        ("returns_a_number",),
        hint=N_(
            "the first hidden state is made for the number of samples instead of "
            "the batch size: look at the argument of init_hidden"
        ),
    ),
    Mistake(
        "targets not shifted",
        (
            "F.nll_loss(output[:, :-1, :].transpose(1, 2), batch[:, 1:])",
            "F.nll_loss(output.transpose(1, 2), batch)",
        ),
        ("loss_of_one_batch",),
        hint=N_(
            "each position is scored on predicting itself instead of the next "
            "token: look at the outputs and targets given to the loss"
        ),
    ),
    Mistake(
        "targets shifted the wrong way",
        (
            "F.nll_loss(output[:, :-1, :].transpose(1, 2), batch[:, 1:])",
            "F.nll_loss(output[:, 1:, :].transpose(1, 2), batch[:, :-1])",
        ),
        ("loss_of_one_batch",),
        hint=N_(
            "each position is scored on predicting the previous token: look at "
            "the outputs and targets given to the loss"
        ),
    ),
    Mistake(
        "sum instead of mean",
        ("total_loss.item() / len(data)", "total_loss.item()"),
        ("mean_over_batches",),
        hint=N_(
            "the result is the total over batches, not the mean: look at how the "
            "final value is computed"
        ),
    ),
    Mistake(
        "mean over tokens",
        ("total_loss.item() / len(data)", "total_loss.item() / data.numel()"),
        ("mean_over_batches",),
        hint=N_(
            "the total is divided by the number of tokens instead of the number "
            "of batches: look at how the final value is computed"
        ),
    ),
)
