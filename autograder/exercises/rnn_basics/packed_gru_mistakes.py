"""The known mistakes of packed_gru, with their hints: apart from the checks so that
packed_gru.py stays short."""

from __future__ import annotations

from autograder.engine.exercise import Mistake
from autograder.i18n import N_

MISTAKES = (
    Mistake(
        "padding not skipped",
        (
            "    packed_batch = pack_padded_sequence(batch_emb.transpose(0, 1), batch_lens.cpu())\n"
            "    packed_outputs, h_n = gru(packed_batch, h_0)\n"
            "    outputs, outputs_lens = pad_packed_sequence(packed_outputs)\n",
            "    outputs, h_n = gru(batch_emb.transpose(0, 1), h_0)\n"
            "    outputs_lens = batch_lens\n",
        ),
        ("packed_skips_padding",),
        hint=N_(
            "the padded batch goes through the GRU as it is, so padding steps "
            "change the outputs and h_n: look at what you give the GRU"
        ),
    ),
    Mistake(
        "directions ignored",
        ("num_dirs = 2 if gru.bidirectional else 1", "num_dirs = 1"),
        ("packed_shapes",),
        hint=N_(
            "the first state has room for one direction even when the layer is "
            "bidirectional: look at how the number of directions is found"
        ),
    ),
    Mistake(
        "always two directions",
        ("num_dirs = 2 if gru.bidirectional else 1", "num_dirs = 2"),
        ("packed_values", "packed_random_lengths"),
        hint=N_(
            "the first state always has room for two directions, even when the "
            "GRU has one: look at how the number of directions is found"
        ),
    ),
    Mistake(
        "batch-first unpacking",
        (
            "pad_packed_sequence(packed_outputs)",
            "pad_packed_sequence(packed_outputs, batch_first=True)",
        ),
        ("packed_shapes",),
        hint=N_(
            "the outputs are unpacked batch-first instead of time-first: look at "
            "how the packed outputs are padded again"
        ),
    ),
    Mistake(
        "h_n split into layers and directions",
        (
            "return outputs, outputs_lens, h_n",
            "return outputs, outputs_lens, h_n.view(gru.num_layers, num_dirs, -1, gru.hidden_size)",
        ),
        ("packed_shapes",),
        hint=N_(
            "h_n comes back with separate axes for layers and directions instead "
            "of the GRU's own shape: look at what you return as h_n"
        ),
    ),
    Mistake(
        "every length set to the padded length",
        (
            "batch_lens.cpu())",
            "torch.full_like(batch_lens, batch_emb.size(1)).cpu())",
        ),
        ("packed_shapes", "packed_skips_padding"),
        hint=N_(
            "the packing is told that every sequence is as long as the padded "
            "batch: look at the lengths you pack with"
        ),
    ),
    Mistake(
        "initial state of ones",
        (
            "h_0 = batch_emb.new_zeros(gru.num_layers * num_dirs,",
            "h_0 = batch_emb.new_ones(gru.num_layers * num_dirs,",
        ),
        ("packed_values",),
        hint=N_("the initial state is not zeros: look at what h_0 is filled with"),
    ),
    Mistake(
        "hidden size hard-coded to 512",
        ("batch_emb.size(0), gru.hidden_size)", "batch_emb.size(0), 512)"),
        ("packed_shapes",),
        hint=N_(
            "the initial state's size is fixed instead of the layer's hidden "
            "size: look at the last size of the initial state"
        ),
    ),
    Mistake(
        "h_0 created on the CPU",
        (
            "h_0 = batch_emb.new_zeros(gru.num_layers",
            "h_0 = torch.zeros(gru.num_layers",
        ),
        ("packed_device",),
        hint=N_(
            "the initial state is always made on the CPU, whatever the input's "
            "device: look at how h_0 is created"
        ),
    ),
    Mistake(
        "run under torch.no_grad()",
        (
            "    packed_outputs, h_n = gru(packed_batch, h_0)\n",
            "    with torch.no_grad():\n        packed_outputs, h_n = gru(packed_batch, h_0)\n",
        ),
        ("packed_keeps_graph",),
        hint=N_(
            "the layer runs without building a gradient graph, so nothing can be "
            "trained through it: look at how the layer's call is wrapped"
        ),
    ),
    Mistake(
        "lengths returned as a list",
        ("return outputs, outputs_lens, h_n", "return outputs, outputs_lens.tolist(), h_n"),
        ("packed_shapes",),
        hint=N_("the lengths come back as a list instead of a tensor: look at what you return"),
    ),
    Mistake(
        "layer switched to eval mode",
        (
            "    packed_outputs, h_n = gru(packed_batch, h_0)\n",
            "    gru.eval()\n    packed_outputs, h_n = gru(packed_batch, h_0)\n",
        ),
        ("packed_train_mode",),
        hint=N_(
            "the function switches the layer to eval mode, which turns off its "
            "dropout and changes the model it was given: look at what the "
            "function does to the layer before calling it"
        ),
    ),
    Mistake(
        "packed data returned",
        (
            "outputs, outputs_lens = pad_packed_sequence(packed_outputs)",
            "outputs, outputs_lens = packed_outputs.data, batch_lens",
        ),
        ("packed_shapes",),
        hint=N_(
            "the function returns the packed data instead of the padded outputs: "
            "look at how the packed outputs are turned back into a padded batch"
        ),
    ),
)
