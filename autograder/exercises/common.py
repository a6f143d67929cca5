"""Building blocks the exercise definitions share: probes for modules, and comparisons."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from autograder.engine.checks import (
    CheckFailure,
    Value,
    expect,
    expect_close,
    expect_equal,
    expect_shape,
    expect_tensor,
)
from autograder.engine.exercise import Context, Plan
from autograder.i18n import N_, Text, t

BUILTIN_RECURRENT = {"RNN", "RNNCell", "LSTM", "LSTMCell", "GRU", "GRUCell"}


def target(name: str, arity: int | None = None) -> dict[str, Any]:
    """A namespace object by name; `arity` picks among several bindings of one name."""
    return {"name": name} if arity is None else {"name": name, "arity": arity}


def to_numpy(value: Any) -> Any:
    """Reference outputs as numpy (tensors detached), keeping tuples and lists."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, (tuple, list)):
        return type(value)(to_numpy(item) for item in value)
    return value


def state_arrays(plan: Plan, prefix: str, module: torch.nn.Module) -> str:
    """Register a reference module's weights as inputs; returns the state prefix for a probe."""
    for name, tensor in module.state_dict().items():
        plan.arrays[f"{prefix}/{name}"] = tensor.detach().cpu().numpy().copy()
    return f"{prefix}/"


def module_probe(
    plan: Plan,
    key: str,
    class_name: str,
    init_args: list[Any],
    reference: torch.nn.Module,
    steps: list[dict[str, Any]],
    *,
    mode: str = "eval",
    backward: list[dict[str, Any]] | None = None,
    device: str | None = None,
    arity: int | None = None,
    seed: int = 0,
) -> None:
    """Probe `key`: build the student's class, load the reference weights, run the steps."""
    probe: dict[str, Any] = {
        "kind": "object",
        "target": target(class_name, arity),
        "init": {"args": [{"value": arg} for arg in init_args]},
        "state": state_arrays(plan, f"{key}.state", reference),
        "mode": mode,
        "steps": steps,
        "seed": seed,
    }
    if backward:
        probe["backward"] = backward
    if device:
        probe["device"] = device
    plan.probes[key] = probe


def cotangent(plan: Plan, key: str, shape: tuple[int, ...], rng: np.random.Generator) -> str:
    """A random weighting for sum(output * weighting), registered as an input array."""
    plan.arrays[key] = rng.standard_normal(shape).astype(np.float32)
    return key


def reference_grads(module: torch.nn.Module) -> dict[str, np.ndarray]:
    return {
        name: parameter.grad.detach().cpu().numpy().copy()
        for name, parameter in module.named_parameters()
        if parameter.grad is not None
    }


def tensor_value(value: Value, what: Text | str) -> np.ndarray:
    expect_tensor(value, what)
    return value.array()


def expect_tensor_close(
    value: Value, expected: np.ndarray, what: Text | str, *, rtol: float = 1e-4, atol: float = 1e-5
) -> None:
    expect_tensor(value, what)
    expect_shape(value, expected.shape, what)
    expect_close(value.array(), expected, what, rtol=rtol, atol=atol)


def expect_tensor_equal(value: Value, expected: np.ndarray, what: Text | str) -> None:
    expect_tensor(value, what)
    expect_shape(value, expected.shape, what)
    expect_equal(value.array(), expected, what)


def expect_grads_close(
    ctx: Context, probe: str, expected_key: str, what: Text | str, *, atol: float = 1e-4
) -> None:
    """Parameter gradients match the reference's, matched through the weight mapping."""
    answer = ctx.answer(probe)
    grads = answer.grads()
    mapping: dict[str, str] = answer.raw.get("mapping", {})
    expected: dict[str, np.ndarray] = ctx.expected(expected_key)
    by_reference = {mapping.get(name, name): value for name, value in grads.items()}
    for name, reference in expected.items():
        if name not in by_reference:
            raise CheckFailure(
                t(
                    "{what}: the parameter matching '{name}' received no gradient "
                    "(is it used in forward, and is the graph kept?)",
                    what=what,
                    name=name,
                )
            )
        of_name = t("{what} of '{name}'", what=what, name=name)
        expect_close(by_reference[name].array(), reference, of_name, atol=atol)


def expect_weights_mapped(ctx: Context, probe: str, expected: list[str]) -> None:
    """Every reference parameter found a student parameter of the same shape."""
    mapping: dict[str, str] = ctx.answer(probe).raw.get("mapping", {})
    missing = sorted(set(expected) - set(mapping.values()))
    expect(
        not missing,
        "the layers do not match the ones the exercise defines",
        expected=N_("parameters named and shaped as in the given __init__"),
        actual=t("no counterpart for {names}", names=", ".join(missing)),
    )


def module_types(ctx: Context, probe: str) -> list[str]:
    return [type_name for _, type_name in ctx.answer(probe).raw.get("modules", [])]


def on_other_device(ctx: Context, probe: str, failure: Text | str, what: Text | str) -> Value:
    """The first step's result of a probe run on the "meta" device, which must stay there.

    `failure` says what to fix when the student's code cannot run off the CPU at all.
    """
    answer = ctx.answer(probe)
    if not answer.raw.get("ok"):
        message = str(answer.raw.get("error", {}).get("message", ""))[:160]
        raise CheckFailure(failure, actual=message)
    value = answer.step(0)
    expect(
        value.device == "meta",
        t("{what} should stay on the input's device", what=what),
        expected=N_("the input's device"),
        actual=value.device,
    )
    return value
