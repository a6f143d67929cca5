"""num_params_customRNN: the student counts CustomRNN(32, 64, 10)'s learnable parameters by hand.

The checks compare the number with the reference model's and read the assignment to make sure it
is written as arithmetic on numbers, not computed from the model.
"""

from __future__ import annotations

import ast

import numpy as np

from autograder.engine.checks import expect
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.common import target
from autograder.exercises.names_charlm.shared import ASSIGNMENT
from autograder.i18n import N_, t
from solutions import names_charlm as ref


def _num_params_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    plan.probes["value"] = {"kind": "value", "target": target("num_params_customRNN")}
    plan.expected["value"] = sum(p.numel() for p in ref.CustomRNN(32, 64, 10).parameters())
    return plan


@check("equals the number of learnable parameters of CustomRNN(32, 64, 10)", weight=2)
def count_is_right(ctx: Context) -> None:
    value = ctx.answer("value").value()
    expect(
        value.type in ("int", "float"),
        "num_params_customRNN should be a number",
        actual=value.describe(),
    )
    expect(
        value.scalar == ctx.expected("value"),
        "the parameter count is not right; count every weight matrix and every bias vector",
        actual=str(value.scalar),
    )


@check("is written with numbers only, not computed from the model")
def written_by_hand(ctx: Context) -> None:
    assignments = ctx.definitions("num_params_customRNN")
    expect(bool(assignments), "num_params_customRNN is not assigned in the notebook")
    value = getattr(assignments[-1], "value", None)
    nodes = list(ast.walk(value)) if value is not None else []
    numbers = [n for n in nodes if isinstance(n, ast.Constant) and type(n.value) in (int, float)]
    others = sorted({type(n).__name__ for n in nodes if not _is_arithmetic(n)})
    expect(
        bool(numbers) and not others,
        "write the count by hand as numbers and arithmetic (e.g. 3 * 4 + 5), without variables"
        " or function calls",
        actual=t("uses {names}", names=", ".join(others)) if others else N_("no number"),
    )


def _is_arithmetic(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return type(node.value) in (int, float)
    return isinstance(node, (ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop))


EXERCISE = Exercise(
    "num_params_custom_rnn",
    ASSIGNMENT,
    "num_params_customRNN",
    _num_params_plan,
    (count_is_right, written_by_hand),
    (
        Mistake(
            "W_hh bias forgotten",
            ("64 * 64 + 64 + 64 * 10", "64 * 64 + 64 * 10"),
            ("count_is_right",),
            hint=N_("the count leaves out the bias of W_hh: look at the term for W_hh"),
        ),
        Mistake(
            "W_hy bias forgotten",
            ("64 * 10 + 10", "64 * 10"),
            ("count_is_right",),
            hint=N_("the count leaves out the bias of W_hy: look at the term for W_hy"),
        ),
        Mistake(
            "bias added to W_xh",
            ("32 * 64 + 64 * 64", "32 * 64 + 64 + 64 * 64"),
            ("count_is_right",),
            hint=N_(
                "the count gives W_xh a bias, which it does not have: look at the term for W_xh"
            ),
        ),
        Mistake(
            "computed from the model",
            (
                "32 * 64 + 64 * 64 + 64 + 64 * 10 + 10",
                "sum(p.numel() for p in CustomRNN(32, 64, 10).parameters())",
            ),
            ("written_by_hand",),
            hint=N_(
                "the value is computed from a model instead of written as the "
                "arithmetic the exercise asks for: look at how the number is obtained"
            ),
        ),
        Mistake(
            "both biases forgotten",
            ("64 * 64 + 64 + 64 * 10 + 10", "64 * 64 + 64 * 10"),
            ("count_is_right",),
            hint=N_("the count leaves out the biases: look at the terms for W_hh and W_hy"),
        ),
        Mistake(
            "W_hh counted twice",
            ("64 * 64 + 64", "2 * 64 * 64 + 64"),
            ("count_is_right",),
            hint=N_("the weights of W_hh are counted twice: look at the term for W_hh"),
        ),
    ),
    # one number: a wrong count earns nothing, however well it is written
    scoring="all_or_nothing",
)
