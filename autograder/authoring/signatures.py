"""The known mistakes' signatures: computed by grading each mistake, kept, shipped, measured.

For an assignment, the reference notebook and the mistake rounds (each known mistake applied
to its question block, no two related exercises in one round: `mistakes.mistake_rounds`) are
graded through the normal sandboxed engine, and each mutated exercise's answers are digested
(engine/mistaken.py). `ensure_signatures` computes only what the cache lacks; `rnn-grader
build` puts the signatures into the Gradescope zip. `named_mistakes` measures the naming: each
known mistake graded on its own, and which mistake the feedback named.

    python -m autograder.authoring.signatures [-a ASSIGNMENT]   # the measurement, per assignment
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.authoring.mistake_table import graded_mistakes, unit_exercises
from autograder.authoring.mistakes import mistake_rounds, with_mistakes
from autograder.cache import private_cache
from autograder.config import Course
from autograder.engine.exercise import Exercise, Plan
from autograder.engine.grade import DEFAULT_SEED
from autograder.engine.mistaken import (
    ExerciseSignature,
    MistakeNamer,
    MistakeSignature,
    answer_digests,
    same,
    save_signature,
    signature_file,
)
from autograder.engine.result import ExerciseResult
from autograder.errors import GraderError
from autograder.exercises import exercises_for
from autograder.grading import grade_notebook
from autograder.mistake_signatures import (
    SHIPPED_FOLDER,
    cache_root,
    current_key,
    current_signatures,
)
from autograder.sandbox.exchange import ExerciseAnswer
from autograder.sandbox.spawn import Zygote

Say = Callable[[str], None]


def mistaken_exercises(course: Course, assignment: str) -> list[Exercise]:
    """The assignment's unit exercises that have known mistakes (training checks have none of
    their own: theirs are the upstream unit exercises')."""
    return [e for e in unit_exercises(course, assignment) if e.mistakes]


def ensure_signatures(
    course: Course,
    assignment: str,
    *,
    seed: int = DEFAULT_SEED,
    zygote: Zygote | None = None,
    say: Say | None = None,
) -> dict[str, ExerciseSignature]:
    """Every unit exercise's signature, computed (and cached) only where none holds now."""
    ids = [e.id for e in mistaken_exercises(course, assignment)]
    found = current_signatures(course, assignment, ids, seed)
    missing = [exercise_id for exercise_id in ids if exercise_id not in found]
    if missing:
        if say is not None:
            say(
                f"{assignment}: grading the known mistakes of {len(missing)} exercise(s) once, "
                f"to name them in feedback (kept in {cache_root()})"
            )
        computed = compute_signatures(course, assignment, missing, seed=seed, zygote=zygote)
        for signature in computed.values():
            private_cache()  # derived from the references: its owner's alone
            save_signature(cache_root(), assignment, signature)
        found.update(computed)
    return found


def compute_signatures(
    course: Course,
    assignment: str,
    exercise_ids: list[str],
    *,
    seed: int = DEFAULT_SEED,
    zygote: Zygote | None = None,
) -> dict[str, ExerciseSignature]:
    """Grade the reference and every known mistake of `exercise_ids`; digest their answers."""
    exercises = exercises_for(assignment, exercise_ids)
    reference = nbformat.read(course.master_notebook(assignment), as_version=4)
    with _zygote(zygote) as started, tempfile.TemporaryDirectory() as folder:
        grade = _Recorder(course, assignment, Path(folder), seed, started)
        expected = grade(reference, exercise_ids)
        found: dict[str, list[MistakeSignature]] = {e.id: [] for e in exercises}
        for round_ in mistake_rounds(exercises):
            answers = grade(with_mistakes(course, assignment, round_), list(round_))
            for exercise_id, mistake in round_.items():
                if exercise_id in answers:  # a mistake that kills its exercise has no outputs
                    digests, failed = answers[exercise_id]
                    found[exercise_id].append(
                        MistakeSignature(name=mistake.name, probes=digests, failed=failed)
                    )
    missing = [exercise_id for exercise_id in exercise_ids if exercise_id not in expected]
    if missing:
        raise GraderError(f"{assignment}: the reference gave no answer for {missing}")
    return {
        exercise_id: ExerciseSignature(
            exercise=exercise_id,
            key=current_key(course, assignment, exercise_id, seed),
            reference=expected[exercise_id][0],
            mistakes=found[exercise_id],
        )
        for exercise_id in exercise_ids
    }


def shipped_entries(assignment: str, signatures: dict[str, ExerciseSignature]) -> dict[str, bytes]:
    """The zip entries that carry `signatures` (read back from `SHIPPED_FOLDER`)."""
    return {
        signature_file(Path(SHIPPED_FOLDER), assignment, exercise_id).as_posix(): (
            signature.model_dump_json().encode()
        )
        for exercise_id, signature in sorted(signatures.items())
    }


@dataclass(frozen=True)
class Naming:
    """How the feedback named one known mistake graded on its own."""

    assignment: str
    exercise: str
    mistake: str
    #: the mistakes the feedback named (twins together), none when it named none
    named: tuple[str, ...]
    #: why it named none, or named another
    why: str = ""

    @property
    def correct(self) -> bool:
        return self.mistake in self.named

    @property
    def wrong(self) -> bool:
        return bool(self.named) and self.mistake not in self.named


def named_mistakes(
    course: Course, assignment: str, *, zygote: Zygote | None = None, say: Say | None = None
) -> list[Naming]:
    """Grade each known mistake of the assignment on its own (the mistake rounds: the mistakes
    of one round are in unrelated exercises) and record which mistake the feedback named."""
    exercises = mistaken_exercises(course, assignment)
    with _zygote(zygote) as started:
        signatures = ensure_signatures(course, assignment, zygote=started, say=say)
        namer = MistakeNamer(signatures)
        named = {
            (graded.id, mistake.name): tuple(graded.mistake.names()) if graded.mistake else ()
            for mistake, graded in graded_mistakes(course, assignment, started, explain=namer)
        }
    return [
        Naming(
            assignment,
            exercise.id,
            mistake.name,
            named[exercise.id, mistake.name],
            _why(signatures.get(exercise.id), mistake.name, named[exercise.id, mistake.name]),
        )
        for exercise in exercises
        for mistake in exercise.mistakes
    ]


def naming_report(namings: list[Naming]) -> list[str]:
    """Per assignment: named correctly / known mistakes, named wrongly; then each one missed."""
    lines = []
    for assignment in dict.fromkeys(n.assignment for n in namings):
        own = [n for n in namings if n.assignment == assignment]
        correct = sum(n.correct for n in own)
        wrong = sum(n.wrong for n in own)
        lines.append(
            f"{assignment}: {correct} / {len(own)} known mistakes named correctly, "
            f"{wrong} named wrongly"
        )
        lines += [f"  {n.exercise} / {n.mistake}: {n.why}" for n in own if n.why]
    return lines


def _why(signature: ExerciseSignature | None, mistake: str, named: tuple[str, ...]) -> str:
    """Why a mistake was not named (or another was), from its signature; twins named together
    say so."""
    if mistake in named:
        others = [n for n in named if n != mistake]
        return f"named together with {others}: nothing tells them apart" if others else ""
    if named:
        return f"named {list(named)!r} instead"
    own = next((m for m in (signature.mistakes if signature else []) if m.name == mistake), None)
    if signature is None or own is None:
        return "no signature: the mistake's exercise gave no answer to compare"
    reference = signature.reference
    if all(same(own.probes[p], reference[p]) for p in reference):
        twins = [
            m.name
            for m in signature.mistakes
            if m.name != mistake
            and set(m.failed) == set(own.failed)
            and all(same(m.probes[p], reference[p]) for p in reference)
        ]
        if twins:
            return f"outputs equal the reference's and the same checks fail as for {twins}"
        return "outputs equal the reference's; its failed checks did not single it out"
    twins = [
        m.name
        for m in signature.mistakes
        if m.name != mistake and all(same(m.probes[p], own.probes[p]) for p in reference)
    ]
    if twins:
        return f"the same outputs as {twins} on every probe"
    return "the student's outputs did not match the mistake's signature"


class _Recorder:
    """Grades a notebook and returns each exercise's (digests, failed hidden checks)."""

    def __init__(
        self, course: Course, assignment: str, folder: Path, seed: int, zygote: Zygote
    ) -> None:
        self.course, self.assignment, self.folder = course, assignment, folder
        self.seed, self.zygote = seed, zygote
        self.count = 0

    def __call__(
        self, notebook: nbformat.NotebookNode, only: list[str]
    ) -> dict[str, tuple[dict, list[str]]]:
        answers: dict[str, tuple[dict, list[str]]] = {}

        def record(
            exercise: Exercise, plan: Plan, answer: ExerciseAnswer, result: ExerciseResult
        ) -> ExerciseResult:
            digests = answer_digests(plan, answer)
            if digests is not None:
                failed = sorted(c.name for c in result.checks if c.hidden and not c.passed)
                answers[exercise.id] = (digests, failed)
            return result

        self.count += 1
        path = self.folder / f"graded{self.count}.ipynb"
        nbformat.write(notebook, path)
        result = grade_notebook(
            self.course,
            self.assignment,
            path,
            seed=self.seed,
            only=only,
            training=False,
            zygote=self.zygote,
            explain=record,
        )
        if result.status != "graded":
            raise GraderError(f"{self.assignment}: {result.message}")
        return answers


@contextmanager
def _zygote(zygote: Zygote | None) -> Iterator[Zygote]:
    """The caller's zygote, or one started for these gradings."""
    if zygote is not None:
        yield zygote
        return
    with Zygote() as started:
        yield started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-a", "--assignment", action="append", help="default: every assignment")
    parser.add_argument("--config", type=Path, default=None)
    args = parser.parse_args(argv)
    course = Course.discover(args.config)
    namings: list[Naming] = []
    with Zygote() as zygote:
        for assignment in args.assignment or list(course.config.assignments):
            namings += named_mistakes(course, assignment, zygote=zygote, say=print)
    print("\n".join(naming_report(namings)))
    return 1 if any(n.wrong for n in namings) else 0


if __name__ == "__main__":
    raise SystemExit(main())
