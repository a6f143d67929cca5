"""embed_batch: a new nn.Embedding on the batch's device and the batch looked up in it.

With the probe's seed the lookup must equal a fresh table's; it must stay trainable, and the
embedding size must default to 256.
"""

from __future__ import annotations

import numpy as np
import torch

from autograder.engine.checks import Value, expect, expect_dtype, expect_shape, expect_tensor
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.common import expect_tensor_close, target, to_numpy
from autograder.exercises.rnn_basics import shared
from autograder.exercises.rnn_basics.shared import ASSIGNMENT, call, items
from autograder.i18n import N_, t
from solutions.rnn_basics import api


def _embed_batch_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    cases = {
        "lookup": (np.array([[3, 1, 0], [2, 0, 0]]), 5, 4),
        "default": (np.zeros((10, 20), np.int64), 100, None),
    }
    for i, (rows, cols, vocab, size) in enumerate(((3, 7, 30, 6), (1, 1, 8, 5), (4, 2, 100, 16))):
        cases[f"random{i}"] = (rng.integers(vocab, size=(rows, cols)), vocab, size)
    for key, (ids, vocab, size) in cases.items():
        seed = shared.seed(rng)
        args = [plan.array(key, ids.astype(np.int64)), {"value": vocab}]
        if size is not None:
            args.append({"value": size})
        plan.probes[key] = call("embed_batch", args, seed=seed)
        torch.manual_seed(seed)
        extra = () if size is None else (size,)
        _, emb = api.embed_batch(torch.from_numpy(ids.astype(np.int64)), vocab, *extra)
        plan.expected[key] = to_numpy(emb)
    # A call probe snapshots its arguments to detect mutation, which a meta tensor does not
    # allow; an object probe on the function calls it once and indexes the returned pair.
    plan.probes["meta"] = {
        "kind": "object",
        "target": target("embed_batch"),
        "init": {"args": [{"array": "random0", "device": "meta"}, {"value": 30}, {"value": 6}]},
        "steps": [{"method": "__getitem__", "args": [{"value": i}]} for i in (0, 1)],
    }
    return plan


def _embedded(ctx: Context, key: str) -> tuple[Value, Value]:
    table, emb = items(ctx.answer(key).value(), 2, "embed_batch")
    expect(
        table.meta.get("class") == "Embedding",
        "the first returned value should be the nn.Embedding you created",
        actual=table.describe(),
    )
    expect_tensor(emb, "batch_emb")
    return table, emb


@check(
    "returns (nn.Embedding, batch_emb) with batch_emb (B, L, embedding_size)",
    gate=True,
)
def embed_batch_returns_pair(ctx: Context) -> None:
    _, emb = _embedded(ctx, "lookup")
    expect_shape(emb, (2, 3, 4), t("batch_emb for a (2, 3) batch and embedding_size 4"))
    expect_dtype(emb, "float32", "batch_emb")


@check("embedding_size defaults to 256")
def embed_batch_default_size(ctx: Context) -> None:
    _, emb = _embedded(ctx, "default")
    expect_shape(emb, (10, 20, 256), t("batch_emb without an embedding_size"))


@check("each position holds the table row of its id (same id, same vector)")
def embed_batch_lookup(ctx: Context) -> None:
    _, emb = _embedded(ctx, "lookup")
    vectors = emb.array()
    expect(
        np.array_equal(vectors[0, 2], vectors[1, 1])
        and np.array_equal(vectors[1, 1], vectors[1, 2]),
        "positions with the same id should get the same vector from the table",
    )
    expect(
        not np.allclose(vectors[0, 0], vectors[0, 1]),
        "different ids should get different rows of the table",
    )


@check("batch_emb equals a fresh nn.Embedding(vocab_size, embedding_size) applied to the batch")
def embed_batch_values(ctx: Context) -> None:
    for key in ("random0", "random1", "random2", "lookup"):
        _, emb = _embedded(ctx, key)
        expect_tensor_close(emb, ctx.expected(key), "batch_emb", rtol=1e-6, atol=1e-6)


@check("batch_emb stays connected to the table (it can be trained)")
def embed_batch_keeps_graph(ctx: Context) -> None:
    _, emb = _embedded(ctx, "random0")
    expect(
        bool(emb.meta.get("requires_grad")),
        "batch_emb does not require grad: look the ids up without detach() or torch.no_grad()",
    )


@check("the table is created on the batch's device")
def embed_batch_device(ctx: Context) -> None:
    answer = ctx.answer("meta")
    table, emb = answer.step(0), answer.step(1)
    expect(table.meta.get("class") == "Embedding", "embed_batch should return the nn.Embedding")
    expect_tensor(emb, "batch_emb")
    expect(
        emb.device == "meta",
        "batch_emb should be on the batch's device: move the new nn.Embedding there",
        expected=N_("the batch's device"),
        actual=emb.device,
    )


EXERCISE = Exercise(
    "embed_batch",
    ASSIGNMENT,
    "embed_batch(batch, vocab_size, embedding_size)",
    _embed_batch_plan,
    (
        embed_batch_returns_pair,
        embed_batch_default_size,
        embed_batch_lookup,
        embed_batch_values,
        embed_batch_keeps_graph,
        embed_batch_device,
    ),
    (
        Mistake(
            "sizes swapped",
            (
                "nn.Embedding(vocab_size, embedding_size)",
                "nn.Embedding(embedding_size, vocab_size)",
            ),
            ("embed_batch_returns_pair",),
            hint=N_(
                "the embedding's two sizes are in the wrong order: look at how "
                "nn.Embedding is created"
            ),
        ),
        Mistake(
            "size hard-coded to 256",
            ("nn.Embedding(vocab_size, embedding_size)", "nn.Embedding(vocab_size, 256)"),
            ("embed_batch_returns_pair",),
            hint=N_(
                "the embedding size ignores the embedding_size argument: look at how "
                "nn.Embedding is created"
            ),
        ),
        Mistake(
            "table left on the CPU",
            (
                "nn.Embedding(vocab_size, embedding_size).to(batch.device)",
                "nn.Embedding(vocab_size, embedding_size)",
            ),
            ("embed_batch_device",),
            hint=N_(
                "the embedding table stays on the CPU when the batch is elsewhere: "
                "look at where the embedding is placed"
            ),
        ),
        Mistake(
            "only batch_emb returned",
            ("return embedding, batch_emb", "return batch_emb"),
            ("embed_batch_returns_pair",),
            hint=N_(
                "the function returns only the embedded batch, not the embedding "
                "layer with it: look at the return statement"
            ),
        ),
        Mistake(
            "time-major output",
            ("batch_emb = embedding(batch)", "batch_emb = embedding(batch.t())"),
            ("embed_batch_returns_pair",),
            hint=N_(
                "the embedded batch has its first two axes swapped: look at what you "
                "give the embedding"
            ),
        ),
        Mistake(
            "scaled by sqrt(embedding_size)",
            (
                "batch_emb = embedding(batch)",
                "batch_emb = embedding(batch) * embedding_size**0.5",
            ),
            ("embed_batch_values",),
            hint=N_(
                "the embeddings are scaled after the lookup: look at what happens to "
                "the looked-up vectors"
            ),
        ),
        Mistake(
            "detached",
            ("batch_emb = embedding(batch)", "batch_emb = embedding(batch).detach()"),
            ("embed_batch_keeps_graph",),
            hint=N_(
                "the embedded batch is cut from the graph, so the table gets no "
                "gradient: look at what happens after the lookup"
            ),
        ),
        Mistake(
            "looked up in a second table",
            (
                "batch_emb = embedding(batch)",
                "batch_emb = nn.Embedding(vocab_size, embedding_size).to(batch.device)(batch)",
            ),
            ("embed_batch_values",),
            hint=N_(
                "the batch is looked up in another table than the one returned: look "
                "at which embedding embeds the batch"
            ),
        ),
    ),
)
