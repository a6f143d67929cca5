"""Known mistakes named in the feedback: digests, matching, signatures kept and shipped, hints
in both languages, and the measurement (each known mistake graded on its own is named)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from autograder.authoring.mistakes import question_cells
from autograder.authoring.signatures import (
    ensure_signatures,
    named_mistakes,
    naming_report,
    shipped_entries,
)
from autograder.config import Course
from autograder.engine.grade import DEFAULT_SEED
from autograder.engine.messages import mistake_line
from autograder.engine.mistaken import (
    ExerciseSignature,
    MistakeSignature,
    array_digest,
    matching_mistakes,
    same,
    save_signature,
)
from autograder.engine.result import NamedMistake
from autograder.exercises import exercises_for
from autograder.grading import grade_notebook
from autograder.i18n import render
from autograder.mistake_signatures import SHIPPED_FOLDER, current_key, current_signatures
from tests import submissions
from tests.test_grading import zygote  # noqa: F401 - the module-scoped zygote fixture

ASSIGNMENTS = ["names_charlm", "anna_lstm", "word_lm", "rnn_basics"]


def _all_mistakes(course: Course):
    for assignment, spec in course.config.assignments.items():
        units = [e for e, config in spec.exercises.items() if config.training is None]
        for exercise in exercises_for(assignment, units):
            for mistake in exercise.mistakes:
                yield exercise, mistake


def test_every_mistake_has_a_hint_in_english_and_korean_that_does_not_give_the_fix(
    course: Course,
) -> None:
    problems = []
    for exercise, mistake in _all_mistakes(course):
        where = f"{exercise.assignment}/{exercise.id}/{mistake.name}"
        if not mistake.hint:
            problems.append(f"{where}: no hint")
            continue
        for text in (mistake.name, mistake.hint):
            if render(text, "ko") == text:
                problems.append(f"{where}: no Korean for {text!r}")
        right = mistake.replace[0].strip()
        if len(right) > 12 and right in mistake.hint:
            problems.append(f"{where}: the hint holds the reference code")
    assert not problems, "\n".join(problems)


def test_float_digests_agree_within_the_checks_tolerance_and_no_further() -> None:
    data = np.random.default_rng(0).standard_normal((4, 5, 6)).astype(np.float32)
    assert same(array_digest(data), array_digest(data * np.float32(1 + 1e-6)))
    nudged = data.copy()
    nudged[1, 2, 3] += 0.05
    assert not same(array_digest(data), array_digest(nudged))
    assert not same(array_digest(data), array_digest(data.reshape(6, 5, 4)[:, :, :3]))
    assert not same(array_digest(data), array_digest(np.where(data > 2, np.nan, data)))
    counts = np.arange(6)
    assert same(array_digest(counts), array_digest(np.arange(6)))
    assert not same(array_digest(counts), array_digest(counts.astype(np.int32)))
    assert not same(array_digest(counts), array_digest(counts[::-1].copy()))


def _probe(value: float) -> dict:
    return {"ok": True, "result": {"type": "tensor", "data": array_digest(np.full(3, value))}}


def _error(kind: str, said: str) -> dict:
    return {"ok": False, "error": {"error": kind, "said": said}}


def _signature() -> ExerciseSignature:
    reference = {"a": _probe(1.0), "b": _probe(2.0)}
    mistakes = [
        ("doubled", {"a": _probe(2.0), "b": _probe(4.0)}, ["values"]),
        ("negated b", {"a": _probe(1.0), "b": _probe(-2.0)}, ["values"]),
        ("wrong device", {"a": _probe(1.0), "b": _error("RuntimeError", "x")}, ["device"]),
        ("other device", {"a": _probe(1.0), "b": _error("RuntimeError", "y")}, ["device"]),
        ("built-in layer", dict(reference), ["no_builtin"]),
        ("hard-coded", dict(reference), ["source"]),
    ]
    return ExerciseSignature(
        exercise="demo",
        key="k",
        reference=reference,
        mistakes=[MistakeSignature(name=n, probes=p, failed=f) for n, p, f in mistakes],
    )


def test_a_mistake_is_named_only_when_every_probe_fits_it() -> None:
    signature = _signature()
    assert matching_mistakes(signature, {"a": _probe(2.0), "b": _probe(4.0)}, {"values"}) == [
        "doubled"
    ]
    # a near copy (float noise) fits; one probe off fits nothing
    near = {"a": _probe(2.0 + 1e-7), "b": _probe(4.0)}
    assert matching_mistakes(signature, near, {"values"}) == ["doubled"]
    assert matching_mistakes(signature, {"a": _probe(2.0), "b": _probe(5.0)}, {"values"}) == []
    # errors of one type: told apart by their messages, or not named
    told = {"a": _probe(1.0), "b": _error("RuntimeError", "y")}
    assert matching_mistakes(signature, told, {"device"}) == ["other device"]
    unclear = {"a": _probe(1.0), "b": _error("RuntimeError", "z")}
    assert matching_mistakes(signature, unclear, {"device"}) == []
    # outputs like the reference: named by exactly the failed checks
    like_reference = {"a": _probe(1.0), "b": _probe(2.0)}
    assert matching_mistakes(signature, like_reference, {"no_builtin"}) == ["built-in layer"]
    assert matching_mistakes(signature, like_reference, {"no_builtin", "source"}) == []


def test_a_probe_answered_without_data_is_compared_by_its_structure() -> None:
    """On the meta device the reference answers shapes and devices only; a mistake that leaves
    a table on the CPU answers uninitialised numbers there, different at every run."""
    meta = {"ok": True, "result": {"type": "tensor", "device": "meta", "shape": [3]}}
    on_cpu = {"ok": True, "result": {"type": "tensor", "device": "cpu", "shape": [3]}}
    garbage = {**on_cpu, "result": {**on_cpu["result"], "data": array_digest(np.zeros(3))}}
    other_garbage = {**on_cpu, "result": {**on_cpu["result"], "data": array_digest(np.ones(3))}}
    left = MistakeSignature(
        name="left on the CPU", probes={"a": _probe(1.0), "meta": garbage}, failed=["device"]
    )
    reference = {"a": _probe(1.0), "meta": meta}
    signature = ExerciseSignature(exercise="demo", key="k", reference=reference, mistakes=[left])
    student = {"a": _probe(1.0), "meta": other_garbage}
    assert matching_mistakes(signature, student, {"device"}) == ["left on the CPU"]


def test_twins_nothing_tells_apart_are_named_together() -> None:
    """h_0 or c_0 made on the CPU: the same error, the same failed check; both are named, and
    the feedback says where to look for each."""
    signature = _signature()
    twin = MistakeSignature(name="twin device", probes=dict(signature.mistakes[3].probes),
                            failed=["device"])  # fmt: skip
    signature.mistakes.append(twin)
    same_error = {"a": _probe(1.0), "b": _error("RuntimeError", "y")}
    assert matching_mistakes(signature, same_error, {"device"}) == ["other device", "twin device"]
    named = NamedMistake(name="h_0 created on the CPU", hint="look at h_0").model_copy(
        update={"also": [NamedMistake(name="c_0 created on the CPU", hint="look at c_0")]}
    )
    said = mistake_line(named, "en")
    assert "h_0 created on the CPU / c_0 created on the CPU" in said
    assert "look at h_0 / look at c_0" in said
    assert named.names() == ["h_0 created on the CPU", "c_0 created on the CPU"]


def test_signatures_are_read_from_the_shipped_folder_for_the_current_key_only(
    course: Course, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    scratch = submissions.scratch_course(course, tmp_path / "course")
    key = current_key(scratch, "names_charlm", "custom_rnn", DEFAULT_SEED)
    assert key == current_key(course, "names_charlm", "custom_rnn", DEFAULT_SEED)
    signature = _signature().model_copy(update={"exercise": "custom_rnn", "key": key})
    entries = shipped_entries("names_charlm", {"custom_rnn": signature})
    assert list(entries) == [f"{SHIPPED_FOLDER}/names_charlm/custom_rnn.json"]
    assert current_signatures(scratch, "names_charlm", ["custom_rnn"], DEFAULT_SEED) == {}
    for name, content in entries.items():
        (scratch.root / name).parent.mkdir(parents=True, exist_ok=True)
        (scratch.root / name).write_bytes(content)
    found = current_signatures(scratch, "names_charlm", ["custom_rnn"], DEFAULT_SEED)
    assert found == {"custom_rnn": signature}
    save_signature(
        scratch.root / SHIPPED_FOLDER, "names_charlm", signature.model_copy(update={"key": "stale"})
    )
    assert current_signatures(scratch, "names_charlm", ["custom_rnn"], DEFAULT_SEED) == {}


REWRITTEN = {
    # the one-hot 1 one column to the left, written with a modulo instead of "- 1"
    "one_hot_encode_string": (
        "encoded[position, CHAR_TO_INDEX[char]] = 1.0",
        "encoded[position, (CHAR_TO_INDEX[char] + len(VOCAB) - 1) % len(VOCAB)] = 1.0",
        "index shifted by one",
    ),
    # the hidden state dropped: W_hh applied to zeros instead of reading its bias
    "custom_rnn": (
        "self.W_xh(x[:, t, :]) + self.W_hh(h))",
        "self.W_xh(x[:, t, :]) + self.W_hh(torch.zeros_like(h)))",
        "hidden state not carried",
    ),
    # a count no known mistake gives
    "num_params_custom_rnn": ("64 * 64 + 64 + 64 * 10", "64 * 64 + 65 + 64 * 10", None),
}


@pytest.mark.slow
def test_a_known_mistake_written_differently_is_named_and_an_unknown_one_is_not(
    course: Course,
    tmp_path: Path,
    zygote,  # noqa: F811 - the fixture imported above
) -> None:
    ensure_signatures(course, "names_charlm", zygote=zygote)
    nb = submissions.reference(course, "names_charlm")
    for exercise_id, (old, new, _) in REWRITTEN.items():
        cells = [c for c in question_cells(nb, exercise_id) if old in c.source]
        assert len(cells) == 1, exercise_id
        cells[0].source = cells[0].source.replace(old, new)
    path = submissions.write(nb, tmp_path, "rewritten")
    result = grade_notebook(
        course, "names_charlm", path, only=list(REWRITTEN), training=False, zygote=zygote
    )
    by_id = {e.id: e for e in result.exercises}
    for exercise_id, (_, _, expected) in REWRITTEN.items():
        graded = by_id[exercise_id]
        assert graded.points < graded.max_points, exercise_id
        assert (graded.mistake.name if graded.mistake else None) == expected, exercise_id
    named = by_id["custom_rnn"].mistake
    assert named is not None and "look at what h is at each step" in named.hint
    assert "은닉 상태" in render(named.name, "ko")  # the course's own term
    text = result.model_dump_json()
    assert '"proj"' not in text and '"nonfinite"' not in text  # no digest reaches the result


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_known_mistake_graded_on_its_own_is_named_and_none_wrongly(
    course: Course,
    assignment: str,
    zygote,  # noqa: F811 - the fixture imported above
) -> None:
    namings = named_mistakes(course, assignment, zygote=zygote)
    print("\n".join(naming_report(namings)))
    assert not [n for n in namings if n.wrong], naming_report(namings)
    # what is not named cannot be told from another mistake by anything the grader sees
    unexplained = [n for n in namings if not n.correct and "the same outputs as" not in n.why]
    assert not unexplained, naming_report(namings)
