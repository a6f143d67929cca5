"""Similarity across a class: winnowed fingerprints that ignore names, literals and layout, leave
out the template and the reference, find copied answers, and change no score."""

from __future__ import annotations

import builtins
import csv
import keyword
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from autograder.batch.runner import DB_NAME
from autograder.batch.similarity import (
    DEFAULT_THRESHOLD,
    MIN_TOKENS,
    compare_answers,
    exercise_code,
    render_html,
    similar_pairs,
)
from autograder.batch.store import Store
from autograder.batch.winnow import WINDOW, K, fingerprint, normalise, overlap, segments, winnow
from autograder.cli import app
from autograder.config import Course
from autograder.demo import COPIED_EXERCISE, COPIED_PAIR, DEMO_ASSIGNMENT, write_class
from benchmarks.similarity_threshold import INDEPENDENT, answered, renamed

ASSIGNMENT = DEMO_ASSIGNMENT
COPIED_IDS = tuple(str(number) for _, number, _ in COPIED_PAIR)

#: a function with the names a copier renames in {braces}
PROGRAM = """def {f}({a}, {b}):
    {c} = torch.zeros(len({a}), {b})  # start from zeros
    for {i}, {d} in enumerate({a}):
        if {d} in INDEX:
            {c}[{i}, INDEX[{d}]] = 1.0
        else:
            {c}[{i}, 0] = -1
    return {c}.sum(dim=0) / max(len({a}), 1)
"""
NAMES = ("f", "a", "b", "c", "i", "d")
identifiers = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda name: not keyword.iskeyword(name) and name not in dir(builtins) + ["self", "INDEX"]
)


def program(names: list[str]) -> str:
    return PROGRAM.format(**dict(zip(NAMES, names, strict=True)))


def reformatted(code: str, indent: int, comment: str) -> str:
    """The same code laid out otherwise: another indentation width, blank lines and comments
    between the lines, spaces around commas, a call split over lines with a trailing comma."""
    lines = []
    for line in code.splitlines():
        depth = (len(line) - len(line.lstrip())) // 4
        body = line.lstrip().replace(", ", " ,  ")
        body = body.replace("torch.zeros(len(", "torch.zeros(\n" + " " * 12 + "len(")
        lines += [" " * indent * depth + body, "", " " * indent * depth + f"# {comment}"]
    text = "\n".join(lines).replace("max(len(", "max(\n    len(")
    return text.replace(" ,  1)", " ,  1 ,)") + "\n"


@settings(max_examples=60, deadline=None)
@given(st.lists(identifiers, min_size=len(NAMES), max_size=len(NAMES), unique=True))
def test_renaming_the_names_changes_no_fingerprint(names: list[str]) -> None:
    original, copy = fingerprint(program(list(NAMES))), fingerprint(program(names))
    assert copy.fingerprints.keys() == original.fingerprints.keys()
    assert overlap(original, copy).score == 1.0


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 8), st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=30)
)
def test_layout_and_comments_change_no_fingerprint(indent: int, comment: str) -> None:
    code = program(list(NAMES))
    assert [t.kind for t in normalise(reformatted(code, indent, comment))] == [
        t.kind for t in normalise(code)
    ]


def test_names_and_literals_are_normalised_but_the_library_is_not() -> None:
    kinds = [t.kind for t in normalise('total = F.softmax(x, dim=-1) + len("abc") * 2.5  # c\n')]
    assert kinds == ["V", "=", "V", ".", "softmax", "(", "V", ",", "V", "=", "-", "L", ")"] + [
        "+",
        "len",
        "(",
        "L",
        ")",
        "*",
        "L",
    ]
    assert [t.kind for t in normalise('s = f"{a!r} and {b}"\n')] == ["V", "=", "L"]
    # code that stops tokenising (an unclosed bracket) keeps what came before
    assert [t.kind for t in normalise("y = [1, 2\nz = (")][:3] == ["V", "=", "["]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 2**16), max_size=60), st.integers(1, 6))
def test_winnowing_picks_a_minimum_in_every_window(hashes: list[int], window: int) -> None:
    chosen = winnow(hashes, window)
    positions = [position for position, _ in chosen]
    assert positions == sorted(set(positions))
    for first in range(max(0, len(hashes) - window + 1)):
        span = hashes[first : first + window]
        assert any(first <= p < first + window and hashes[p] == min(span) for p in positions)


def test_a_shared_run_of_k_plus_window_tokens_is_always_found() -> None:
    shared = "value = torch.tanh(self.W_xh(step) + self.W_hh(value))\n"
    assert len(normalise(shared)) >= K + WINDOW - 1
    a = fingerprint("import os\nprint(os.getcwd(), 12)\n" + shared)
    b = fingerprint("while True:\n    break\n" + shared + "x = [i for i in range(3)]\n")
    found = overlap(a, b)
    assert found.tokens == len(normalise(shared))
    text = "".join(s.text for s in segments(b, found.marked_b) if s.kind == "match")
    assert text.strip() == shared.strip()


def test_unrelated_code_scores_low() -> None:
    a = fingerprint(program(list(NAMES)))
    b = fingerprint(
        "class Window:\n    def __init__(self, size):\n        self.size = size\n"
        "    def slide(self, data):\n        return [data[k : k + self.size] "
        "for k in range(len(data) - self.size + 1)]\n"
    )
    assert overlap(a, b).score < 0.2


@pytest.fixture(scope="module")
def notebooks(course: Course) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """The student template (otter's layout) and the reference (the authoring layout)."""
    template = nbformat.read(course.template_dir / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    return template, nbformat.read(course.master_notebook(ASSIGNMENT), 4)


def test_an_exercises_code_is_found_in_both_layouts(notebooks) -> None:
    template, reference = notebooks
    given, solved = exercise_code(template, "custom_rnn"), exercise_code(reference, "custom_rnn")
    assert given is not None and solved is not None
    assert "class CustomRNN" in given and "        ...\n" in given and "grader.check" not in given
    assert "torch.tanh" in solved and "def test_" not in solved  # the question's tests left out
    assert exercise_code(template, "names_training") is None  # a training check: no code block


def test_independent_answers_are_not_listed_and_renamed_copies_are(notebooks) -> None:
    template, reference = notebooks
    for exercise, bodies in INDEPENDENT.items():
        given = exercise_code(template, exercise) or ""
        answers = {str(i): answered(given, body) for i, body in enumerate(bodies)}
        copies = {f"copy of {i}": renamed(code) for i, code in answers.items()}
        pairs, _ = compare_answers(
            exercise, answers | copies, given, exercise_code(reference, exercise) or "", 0.0
        )
        listed = {(p.a.students, p.b.students) for p in pairs if p.score >= DEFAULT_THRESHOLD}
        # only an answer and its own copy, and only where the copy holds enough code
        assert all(b == f"copy of {a}" for a, b in listed), (exercise, listed)
        for pair in pairs:
            assert pair.tokens >= MIN_TOKENS
    given = exercise_code(template, "custom_rnn") or ""
    own = answered(given, INDEPENDENT["custom_rnn"][0])
    solved = exercise_code(reference, "custom_rnn") or ""
    pairs, _ = compare_answers(
        "custom_rnn", {"x": own, "y": renamed(own)}, given, solved, DEFAULT_THRESHOLD
    )
    assert [(p.a.students, p.b.students) for p in pairs] == [("x", "y")]


def test_the_reference_and_the_template_are_no_evidence(notebooks) -> None:
    template, reference = notebooks
    given, solved = exercise_code(template, "custom_rnn"), exercise_code(reference, "custom_rnn")
    assert given and solved
    answers = {"a": solved, "b": solved + "# mine\n", "c": given, "d": given}
    pairs, summary = compare_answers("custom_rnn", answers, given, solved, 0.0)
    assert pairs == [] and summary.as_given == ["a", "b", "c", "d"] and summary.compared == 0


def registered_run(course: Course, folder: Path, run: Path, names: tuple[str, ...]) -> Path:
    """A run folder whose store records the demo class's notebooks (not graded: similarity
    reads only the store's list of files and the notebooks)."""
    run.mkdir()
    store = Store(run / DB_NAME)
    store.bind_assignment(ASSIGNMENT)
    for path in write_class(course, folder):
        name, student = path.name.split("_")[:2]
        if name in names:
            error = None if path.suffix == ".ipynb" else "not a notebook"
            store.register(path.name, student, str(path), None, False, False, error)
    store.close()
    return run


@pytest.mark.slow
def test_the_demo_class_holds_exactly_its_copied_pair(course: Course, tmp_path: Path) -> None:
    everyone = ("lovelace", "babbage", "hopper", "turing", "noether", "curie", "shannon")
    everyone += ("germain", "ramanujan", "franklin", "meitner", "knuth", "liskov")
    run = registered_run(course, tmp_path / "class", tmp_path / "run", everyone)
    found = similar_pairs(course, run)
    assert [(p.exercise, p.a.students, p.b.students) for p in found.pairs] == [
        (COPIED_EXERCISE, *COPIED_IDS)
    ]
    assert found.pairs[0].score == 1.0 and found.unreadable == ["1090"]  # the truncated file
    reference = next(e for e in found.exercises if e.exercise == COPIED_EXERCISE)
    assert "1001" in reference.as_given  # the reference solution itself: not compared
    page = render_html(found)
    assert str(tmp_path) not in page and "<mark>" in page and 'id="pair-1"' in page
    assert "비슷한 답안" in render_html(found, "ko")
    # a lower threshold lists no more: what else is shared is too little to be evidence
    assert len(similar_pairs(course, run, threshold=0.0).pairs) == 1


def test_the_command_refuses_a_folder_without_a_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["similarity", str(tmp_path)])
    assert result.exit_code == 2 and DB_NAME in " ".join(result.output.split())
    assert not (tmp_path / DB_NAME).exists()


@pytest.mark.slow
def test_similarity_on_a_graded_class_changes_no_score(course: Course, tmp_path: Path) -> None:
    folder = tmp_path / "class"
    kept = ("lovelace", "hopper", "franklin", "meitner")
    for path in write_class(course, tmp_path / "all"):
        if path.name.split("_")[0] in kept:
            folder.mkdir(exist_ok=True)
            (folder / path.name).write_bytes(path.read_bytes())
    run = tmp_path / "run"
    command = [sys.executable, "-m", "autograder.cli", "grade", str(folder), "-a", ASSIGNMENT]
    command += ["--out", str(run), "--workers", "2", "--no-training"]
    graded = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert graded.returncode == 0, graded.stdout + graded.stderr

    def scores() -> list[tuple]:
        with sqlite3.connect(run / DB_NAME) as db:
            return db.execute("SELECT * FROM exercises ORDER BY source, exercise").fetchall()

    before = (scores(), (run / "gradebook.csv").read_bytes(), (run / "canvas.csv").read_bytes())
    with (run / "gradebook.csv").open(encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert rows[COPIED_IDS[0]]["total"] == rows[COPIED_IDS[1]]["total"] == rows["1001"]["total"]
    result = CliRunner().invoke(app, ["similarity", str(run), "-e", COPIED_EXERCISE])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert re.search(rf"{COPIED_EXERCISE} .*{COPIED_IDS[0]} .*{COPIED_IDS[1]} .*100%", said), said
    assert "reference" in said and "Scores are unchanged" in said
    after = (scores(), (run / "gradebook.csv").read_bytes(), (run / "canvas.csv").read_bytes())
    assert after == before
    page = (run / "similarity.html").read_text(encoding="utf-8")
    assert page.count('class="pair"') == 1 and str(tmp_path) not in page
    for feedback in (run / "feedback").iterdir():  # nothing of it reaches a student
        text = feedback.read_text(encoding="utf-8")
        others = [i for i in COPIED_IDS if not feedback.name.startswith(i)]
        assert "similar" not in text.lower() and not any(i in text for i in others), feedback
