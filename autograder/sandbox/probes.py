"""Run the grader's probes against the student's namespace, inside the child.

A probe is plain data saying what to call with which inputs; the grader builds it and compares
the answers with its reference itself. Nothing here knows any exercise. Results come back as a
JSON description plus arrays (see `describe`); tensors stay in the child between steps of one
probe so that a hidden state can be fed back in.
"""

from __future__ import annotations

import builtins
import inspect
import os
import random
import re
import traceback
import types
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.random  # noqa: F401 - numpy loads it lazily, which the sandbox uid may not be able to
import torch

from autograder.sandbox import breach, recipes
from autograder.sandbox.stand_ins import STAND_INS

MAX_ITEMS = 256
TORCH_MODULES = frozenset({"RNN", "LSTM", "GRU", "Linear", "Embedding", "Dropout"})
MAX_TEXT = 2000
_CELL_FILE = re.compile(r"<cell (\d+)>")


class ProbeError(Exception):
    """The probe could not run as asked (for example the name is not defined)."""


class Recorder:
    """Collects the arrays a probe returns, under unique keys."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.arrays: dict[str, np.ndarray] = {}

    def describe(self, value: Any, path: str) -> dict[str, Any]:
        """A JSON-safe description of `value`; numeric data goes to `self.arrays`."""
        key = f"{self.prefix}/{path}"
        if isinstance(value, torch.Tensor):
            meta = {
                "type": "tensor",
                "dtype": str(value.dtype).removeprefix("torch."),
                "device": value.device.type,
                "shape": list(value.shape),
                "requires_grad": bool(value.requires_grad),
            }
            if value.device.type != "meta" and not value.is_sparse:
                data = value.detach().cpu()
                if data.dtype in (torch.bfloat16, torch.float16):
                    data = data.float()
                self.arrays[key] = data.numpy()
                meta["array"] = key
            return meta
        if isinstance(value, np.ndarray):
            meta = {"type": "ndarray", "dtype": str(value.dtype), "shape": list(value.shape)}
            if value.dtype.kind in "biufc":
                self.arrays[key] = value
                meta["array"] = key
            return meta
        if isinstance(value, (bool, np.bool_)):
            return {"type": "bool", "value": bool(value)}
        if isinstance(value, (int, np.integer)):
            return {"type": "int", "value": int(value)}
        if isinstance(value, (float, np.floating)):
            return {"type": "float", "value": float(value)}
        if value is None or value is Ellipsis:
            return {"type": "none" if value is None else "ellipsis"}
        if isinstance(value, str):
            return {"type": "str", "value": value[:MAX_TEXT], "length": len(value)}
        if isinstance(value, (tuple, list)):
            items = [self.describe(item, f"{path}.{i}") for i, item in enumerate(value[:MAX_ITEMS])]
            return {"type": type(value).__name__, "items": items, "length": len(value)}
        if isinstance(value, dict):
            items = list(value.items())[:MAX_ITEMS]
            return {
                "type": "dict",
                "keys": [self.describe(k, f"{path}.k{i}") for i, (k, _) in enumerate(items)],
                "values": [self.describe(v, f"{path}.v{i}") for i, (_, v) in enumerate(items)],
                "length": len(value),
            }
        kind = "generator" if inspect.isgenerator(value) else "object"
        return {"type": kind, "class": type(value).__qualname__, "module": type(value).__module__}


def error_description(error: BaseException) -> dict[str, Any]:
    """The exception's type, message and the student-cell frames (cell, line) it went through."""
    frames = [
        {"cell": frame.filename, "line": frame.lineno, "code": (frame.line or "")[:200]}
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename.startswith("<cell ")
    ]
    return {"type": type(error).__name__, "message": str(error)[:MAX_TEXT], "frames": frames[-5:]}


class ProbeRunner:
    """Executes one exercise's probes in a namespace produced by the student's cells."""

    def __init__(
        self,
        namespace: dict[str, Any],
        history: dict[str, list[Any]],
        arrays: dict[str, Any],
        live: Callable[[dict[str, Any], dict[str, np.ndarray]], bool] | None = None,
    ) -> None:
        self.namespace = namespace
        self.history = history
        self.inputs = arrays
        #: streams a training checkpoint to the grader; True when the grader says stop
        self.live = live

    def run(self, probe: dict[str, Any], recorder: Recorder) -> dict[str, Any]:
        seed = int(probe.get("seed", 0))
        torch.manual_seed(seed)
        np.random.seed(seed % 2**32)
        random.seed(seed)
        kind = probe["kind"]
        if kind == "value":
            return {"result": recorder.describe(self.lookup(probe["target"]), "result")}
        if kind == "call":
            return self._call(probe, recorder)
        if kind == "object":
            return self._object(probe, recorder)
        if kind == "public_tests":
            return self._public_tests(probe)
        if kind == "train":
            return recipes.run(self, probe, recorder)
        if kind == "gpu_check":
            return recipes.gpu_check()
        if kind == "confinement_check":
            return breach.attempt(probe)
        raise ProbeError(f"unknown probe kind {kind!r}")

    def lookup(self, target: dict[str, Any]) -> Any:
        """The student's object for `target`: by name, optionally the binding with given arity."""
        name = target["name"]
        bindings = self.history.get(name) or (
            [self.namespace[name]] if name in self.namespace else []
        )
        if not bindings:
            raise ProbeError(f"'{name}' is not defined in the notebook")
        arity = target.get("arity")
        if arity is not None:
            matching = [obj for obj in bindings if _arity(obj) == arity]
            if matching:
                return matching[-1]
        return bindings[-1]

    def value_of(self, spec: Any, steps: list[Any]) -> Any:
        """Build an argument from its description (arrays, literals, earlier step results)."""
        if not isinstance(spec, dict):
            return spec
        if "array" in spec:
            data = np.array(self.inputs[spec["array"]])
            if spec.get("as", "tensor") == "numpy":
                return data
            if spec.get("as") == "list":
                return data.tolist()
            tensor = torch.from_numpy(data).to(spec.get("device", "cpu"))
            if spec.get("requires_grad"):
                tensor.requires_grad_(True)
            return tensor
        if "value" in spec:
            return spec["value"]
        if "text_file" in spec:
            path = os.path.abspath(f"probe-{zlib.crc32(spec['text_file'].encode()):08x}.txt")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(spec["text_file"])
            return path
        if "tuple" in spec:
            return tuple(self.value_of(item, steps) for item in spec["tuple"])
        if "list" in spec:
            return [self.value_of(item, steps) for item in spec["list"]]
        if "step" in spec:
            found = steps[spec["step"]]
            for index in spec.get("path", []):
                found = found[index]
            if spec.get("detach") and isinstance(found, torch.Tensor):
                found = found.detach()
            return found
        if "name" in spec:
            return self.lookup(spec)
        if "construct" in spec:
            return self.build(spec["construct"], {})
        if "torch_module" in spec:
            return self.torch_module(spec)
        if "stand_in" in spec:  # a model of the grader's, for code that takes one
            model = STAND_INS[spec["stand_in"]](**spec.get("kwargs", {}))
            _load_state(model, self.inputs, spec["state"])
            return model.train(spec.get("mode", "eval") == "train")
        raise ProbeError(f"cannot build an argument from {sorted(spec)}")

    def _call(self, probe: dict[str, Any], recorder: Recorder) -> dict[str, Any]:
        function = self.lookup(probe["target"])
        args = [self.value_of(spec, []) for spec in probe.get("args", [])]
        kwargs = {key: self.value_of(spec, []) for key, spec in probe.get("kwargs", {}).items()}
        before = [_snapshot(arg) for arg in args]
        result = function(*args, **kwargs)
        if probe.get("iterate") is not None and inspect.isgenerator(result):
            result = [item for _, item in zip(range(int(probe["iterate"])), result, strict=False)]
        answer = {"result": recorder.describe(result, "result")}
        answer["mutated"] = [i for i, arg in enumerate(args) if _snapshot(arg) != before[i]]
        return answer

    def build(self, spec: dict[str, Any], answer: dict[str, Any]) -> Any:
        """Instantiate the student's class; for modules load weights, set mode and device.

        `answer` receives the module tree, the parameter shapes and the weight mapping.
        """
        cls = self.lookup(spec["target"])
        init = spec.get("init", {})
        obj = cls(
            *[self.value_of(item, []) for item in init.get("args", [])],
            **{key: self.value_of(item, []) for key, item in init.get("kwargs", {}).items()},
        )
        if isinstance(obj, torch.nn.Module):
            answer["modules"] = [[name, type(mod).__name__] for name, mod in obj.named_modules()]
            answer["parameters"] = [[n, list(p.shape)] for n, p in obj.named_parameters()]
            if "state" in spec:
                answer["mapping"] = _load_state(obj, self.inputs, spec["state"])
            obj.train(spec.get("mode", "eval") == "train")
            if spec.get("device"):
                obj.to(spec["device"])
        return obj

    def torch_module(self, spec: dict[str, Any]) -> torch.nn.Module:
        """A stock torch layer (for functions that take one), with the grader's weights."""
        name = spec["torch_module"]
        if name not in TORCH_MODULES:
            raise ProbeError(f"torch module {name!r} is not available to probes")
        module = getattr(torch.nn, name)(**spec.get("kwargs", {}))
        if "state" in spec:
            _load_state(module, self.inputs, spec["state"])
        module.train(spec.get("mode", "eval") == "train")
        return module

    def _object(self, probe: dict[str, Any], recorder: Recorder) -> dict[str, Any]:
        answer: dict[str, Any] = {}
        obj = self.build(probe, answer)
        torch.manual_seed(int(probe.get("seed", 0)))
        steps: list[Any] = []
        answer["steps"] = []
        for index, step in enumerate(probe.get("steps", [])):
            method = getattr(obj, step.get("method", "__call__"))
            args = [self.value_of(spec, steps) for spec in step.get("args", [])]
            result = method(*args)
            if step.get("iterate") is not None and inspect.isgenerator(result):
                result = [
                    item for _, item in zip(range(int(step["iterate"])), result, strict=False)
                ]
            steps.append(result)
            answer["steps"].append(recorder.describe(result, f"step{index}"))
        if "backward" in probe and isinstance(obj, torch.nn.Module):
            answer["grads"] = self._backward(obj, probe, steps, recorder)
        return answer

    def _public_tests(self, probe: dict[str, Any]) -> dict[str, Any]:
        """The notebook's public tests, run as otter's `grader.check` runs them: each function
        is called with its parameters taken by name from the notebook's globals as they were at
        the check (`position`), `env` being all of them. `given` holds what the notebook reads
        from the course data, which this process does not have."""
        given = {name: self._given(spec) for name, spec in probe.get("given", {}).items()}
        results: list[dict[str, Any]] = []
        for test in probe.get("tests", []):
            scope: dict[str, Any] = {"__name__": "public_tests", "__builtins__": builtins}
            try:
                exec(compile(test["source"], f"<test {test['name']}>", "exec"), scope)
                args = {p: self._as_of(p, probe.get("position"), given) for p in test["params"]}
                scope[test["name"]](**args)
            except Exception as error:  # noqa: BLE001 - like otter: any error fails the test
                results.append({"name": test["name"], "passed": False, **_failure(error)})
            else:
                results.append({"name": test["name"], "passed": True})
        return {"tests": results}

    def _as_of(self, name: str, position: int | None, given: dict[str, Any]) -> Any:
        """The binding of `name` the notebook had at cell `position` (None: after every cell);
        a binding whose cell cannot be told (a number, a module) counts as made before it."""
        if name == "env":
            return self.namespace
        bindings = self.history.get(name) or (
            [self.namespace[name]] if name in self.namespace else []
        )
        if position is not None:
            bindings = [obj for obj in bindings if (_cell_of(obj) or 0) <= position]
        return bindings[-1] if bindings else given.get(name)

    def _given(self, spec: dict[str, Any]) -> Any:
        """A course-data value: an array in the notebook's own type, or an object's arrays."""
        if "attributes" in spec:
            values = {key: self._given(item) for key, item in spec["attributes"].items()}
            return types.SimpleNamespace(**values)
        data = np.asarray(self.inputs[spec["array"]]).astype(spec["dtype"])
        return data if spec.get("as") == "numpy" else torch.from_numpy(data)

    def _backward(
        self, module: torch.nn.Module, probe: dict[str, Any], steps: list[Any], recorder: Recorder
    ) -> dict[str, Any]:
        """Backpropagate sum(output * cotangent) and return the parameter gradients."""
        total = None
        for term in probe["backward"]:
            output = self.value_of({"step": term["step"], "path": term.get("path", [])}, steps)
            cotangent = torch.from_numpy(np.array(self.inputs[term["cotangent"]])).to(output.device)
            contribution = (output * cotangent.to(output.dtype)).sum()
            total = contribution if total is None else total + contribution
        module.zero_grad(set_to_none=True)
        total.backward()
        grads = {}
        for name, parameter in module.named_parameters():
            if parameter.grad is not None:
                grads[name] = recorder.describe(parameter.grad, f"grad.{name}")
        return grads


def _load_state(module: torch.nn.Module, inputs: dict[str, Any], prefix: str) -> dict[str, str]:
    """Copy the grader's weights into the student's module, matched by name, then by shape order.

    Returns the mapping used (student name -> grader name) so the grader can see what matched.
    """
    given = {key[len(prefix) :]: value for key, value in inputs.items() if key.startswith(prefix)}
    state = module.state_dict()
    mapping: dict[str, str] = {}
    unmatched = [name for name in given if name not in state]
    for name, tensor in state.items():
        if name in given and tuple(given[name].shape) == tuple(tensor.shape):
            mapping[name] = name
    leftovers = [name for name in state if name not in mapping]
    for name in leftovers:
        shape = tuple(state[name].shape)
        match = next((g for g in unmatched if tuple(given[g].shape) == shape), None)
        if match is not None:
            mapping[name] = match
            unmatched.remove(match)
    with torch.no_grad():
        for name, source in mapping.items():
            state[name].copy_(torch.from_numpy(np.array(given[source])))
    return mapping


def _failure(error: Exception) -> dict[str, Any]:
    """A failed public test: the assertion's own message, or the error the code raised."""
    if type(error) is AssertionError:
        return {"message": str(error)[:MAX_TEXT]}
    return {"error": error_description(error)}


def _cell_of(obj: Any) -> int | None:
    """The cell that defined a function or class (from its code's file name), if one did."""
    functions = [obj] if inspect.isfunction(obj) else []
    if inspect.isclass(obj):
        functions = [f for f in vars(obj).values() if inspect.isfunction(f)]
    for function in functions:
        match = _CELL_FILE.fullmatch(function.__code__.co_filename)
        if match:
            return int(match[1])
    return None


def _snapshot(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        if value.device.type == "meta":
            return (tuple(value.shape), str(value.dtype))
        return value.detach().clone().cpu().numpy().tobytes()
    if isinstance(value, np.ndarray):
        return value.tobytes()
    if isinstance(value, (list, dict, str, int, float, tuple)):
        return repr(value)
    return None


def _arity(obj: Any) -> int | None:
    """Number of required positional parameters of a function or a class's __init__."""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    return sum(
        1
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    )
