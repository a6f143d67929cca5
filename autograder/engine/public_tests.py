"""The grader's public checks: the notebook's own public tests, as `grader.check` runs them.

The tests come from the master notebook (`public_tests`, the source the build checks otter's
test files against) and run in the sandboxed child, in the student's namespace, as the last
probe of their exercise. Each test function becomes one public check of weight 0: student code
shares the test's process and can forge its verdict, so a public check informs and the points
come from the hidden checks, which the grader decides itself. Only the tests' source, which
students already have, and the values the notebook reads from the course data reach the child.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import torch

from autograder.authoring.notebook_data import Given, notebook_data
from autograder.authoring.sources import NotebookTest, public_tests
from autograder.config import Course
from autograder.engine.checks import CheckFailure, MalformedAnswer, explain_error
from autograder.engine.exercise import Check, Context, Exercise, Plan
from autograder.errors import GraderError
from autograder.i18n import t

PROBE = "public_tests"
#: the longest message of a failed test that reaches a student (the child's text is untrusted)
MAX_MESSAGE = 2000


def with_public_tests(course: Course, assignment: str, exercises: list[Exercise]) -> list[Exercise]:
    """`exercises` with their notebook tests added: a probe last, and one check per test first
    (before any gate: `grader.check` runs every test whatever the others say)."""
    tests = _master_tests(course.master_notebook(assignment))
    attached = []
    for exercise in exercises:
        found = tests.get(exercise.id, ())
        if not found:
            attached.append(exercise)
            continue
        names = {param for test in found for param in test.params}
        given = notebook_data(course.config.resolved_data_dir(), assignment, names)
        probe = {"kind": PROBE, "tests": [_test_spec(test) for test in found], "position": None}
        checks = tuple(_public_check(test) for test in found)
        plan = _with_probe(exercise.plan, probe, given)
        attached.append(dataclasses.replace(exercise, plan=plan, checks=checks + exercise.checks))
    return attached


def place_public_tests(plans: dict[str, Plan], submission: nbformat.NotebookNode) -> None:
    """Tell each public-test probe where the submission checks its question (`check_position`)."""
    for question, plan in plans.items():
        probe = plan.probes.get(PROBE)
        if probe is not None:
            names = [test["name"] for test in probe["tests"]]
            probe["position"] = check_position(submission, question, names)


def _test_spec(test: NotebookTest) -> dict[str, Any]:
    return {"name": test.name, "source": test.source, "params": list(test.params)}


def check_position(nb: nbformat.NotebookNode, question: str, tests: list[str]) -> int | None:
    """The cell where the notebook checks `question`: its `grader.check` call, or (a master
    notebook) its first test cell; None when it has neither (the tests see every cell)."""
    check = re.compile(rf"""grader\.check\(\s*["']{re.escape(question)}["']\s*\)""")
    defines = re.compile(rf"^def ({'|'.join(map(re.escape, tests))})\(", re.MULTILINE)
    for index, cell in enumerate(nb.get("cells", [])):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if cell.get("cell_type") == "code" and (check.search(source) or defines.search(source)):
            return index
    return None


@lru_cache(maxsize=8)
def _read_master(path: str, modified: int) -> dict[str, tuple[NotebookTest, ...]]:
    found = public_tests(nbformat.read(path, as_version=4))
    return {question: tuple(tests) for question, tests in found.items()}


def _master_tests(path: Path) -> dict[str, tuple[NotebookTest, ...]]:
    """The master notebook's tests by question (read again only when the file changes)."""
    try:
        modified = path.stat().st_mtime_ns
    except OSError as error:
        raise GraderError(
            t(
                "{path}: cannot read the master notebook ({reason}); the public checks are its "
                "tests, so nothing can be graded without it (is the course checkout complete?)",
                path=str(path),
                reason=str(error.strerror),
            )
        ) from None
    return _read_master(str(path), modified)


def _with_probe(
    make_plan: Callable[..., Plan], probe: dict[str, Any], given: dict[str, Given]
) -> Callable[..., Plan]:
    """The exercise's plan with the public tests' probe after its own probes."""

    def plan(*args: Any) -> Plan:
        made = make_plan(*args)
        specs = {name: _register(made, f"{PROBE}/{name}", value) for name, value in given.items()}
        made.probes[PROBE] = {**probe, "given": specs}
        return made

    return plan


def _register(plan: Plan, key: str, value: Given) -> dict[str, Any]:
    """The probe argument for a value the notebook reads from the course data: its ids travel
    in the smallest unsigned type that holds them, and the child restores the notebook's type."""
    if isinstance(value, dict):
        return {"attributes": {k: _register(plan, f"{key}.{k}", v) for k, v in value.items()}}
    array = value.numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
    compact = array
    if array.dtype.kind in "iu" and array.size and array.min() >= 0:
        compact = array.astype(np.min_scalar_type(int(array.max())), copy=False)
    spec = {**plan.array(key, compact), "dtype": array.dtype.name}
    return spec if isinstance(value, torch.Tensor) else {**spec, "as": "numpy"}


def _public_check(test: NotebookTest) -> Check:
    def run(ctx: Context) -> None:
        answer = ctx.answer(PROBE)
        answer.require_ok()
        verdicts = answer.raw.get("tests")
        if not isinstance(verdicts, list):
            raise MalformedAnswer(t("the notebook's tests sent no verdicts"))
        verdict = next(
            (v for v in verdicts if isinstance(v, dict) and v.get("name") == test.name), None
        )
        if verdict is None:
            raise MalformedAnswer(
                t("no verdict came back for the notebook's {test}", test=test.name)
            )
        if verdict.get("passed") is True:
            return
        error = verdict.get("error")
        if isinstance(error, dict):
            error = {**error, "message": str(error.get("message"))[:MAX_MESSAGE]}
        if isinstance(error, dict) and error.get("frames"):
            raise CheckFailure(explain_error(error, answer.places))
        if isinstance(error, dict):  # raised by the test's own code, on what the student's made
            raise CheckFailure(
                t(
                    "the test raised {kind}: {message}",
                    kind=str(error.get("type")),
                    message=error["message"],
                )
            )
        message = str(verdict.get("message") or "").strip()[:MAX_MESSAGE]
        if message:  # the test's own words, as the notebook wrote them
            raise CheckFailure(t("{message}", message=message))
        raise CheckFailure(t("an assert of this test failed (it has no message)"))

    return Check(
        test.name, t("the notebook's test {test}", test=test.name), run, hidden=False, weight=0.0
    )
