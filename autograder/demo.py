"""`rnn-grader demo`: the whole product on a fresh machine, in one command.

It builds the student templates, writes a small class of submissions in LMS (Canvas) naming (the
reference, the blank template, notebooks with known mistakes, two students who share a copied
answer, a truncated file and a .py file), grades them as a batch and prints the gradebook.

The demo's class also has a due date of its own: the demo grades under a late rule of its own
(`demo_late_rule`: due when the demo runs, 90% up to a day late, 70% up to three) with one
student past it (Canvas's `LATE_` name) and one with an extension, their files dated around it;
grader.yaml declares no late rule, so that no test's totals depend on the day it runs.
"""

from __future__ import annotations

import copy
import os
import re
from datetime import datetime, timedelta
from pathlib import Path

import nbformat

from autograder.authoring.mistakes import mistake_rounds, question_cells, with_mistakes
from autograder.config import Course
from autograder.exercises import exercises_for
from autograder.policies.late import CreditWindow, LatePolicy

DEMO_ASSIGNMENT = "names_charlm"
#: Two students who hand in one answer of their own to `custom_rnn` (correct, not the
#: reference's), the second with its names and comments changed: the pair that
#: `rnn-grader similarity` finds in the demo class, and the only one.
COPIED_EXERCISE = "custom_rnn"
COPIED_PAIR = (
    (
        "franklin",
        1030,
        """        # walk through the sequence one character at a time
        steps = x.size(1)
        state = x.new_zeros(x.size(0), self.hidden_dim)
        for step in range(steps):
            inp = x[:, step]
            state = torch.tanh(self.W_xh(inp) + self.W_hh(state))
        logits = self.W_hy(state)
        return logits
""",
    ),
    (
        "meitner",
        1031,
        """        n_chars = x.size(1)  # how many time steps
        hidden = x.new_zeros(x.size(0), self.hidden_dim)

        for i in range(n_chars):
            current = x[:, i]
            # the recurrence
            hidden = torch.tanh(self.W_xh(current) + self.W_hh(hidden))
        out = self.W_hy(hidden)
        return out
""",
    ),
)


#: (name, LMS id, days after the due date it came in); the second has a two-day extension
LATE_STUDENTS = (("lamarr", 1032, 1.5), ("hamilton", 1033, 1.5))
EXTENDED = ("1033", 2)


def demo_late_rule(due: datetime, folder: Path) -> LatePolicy:
    """The demo's late rule, and its extensions file in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    extensions = folder / "extensions.csv"
    extensions.write_text(f"student,days\n{EXTENDED[0]},{EXTENDED[1]}\n", encoding="utf-8")
    windows = [CreditWindow(within_days=1, credit=0.9), CreditWindow(within_days=3, credit=0.7)]
    return LatePolicy(
        due=due,
        timezone="Asia/Seoul",
        grace_minutes=10,
        windows=windows,
        close=due + timedelta(days=7),
        extensions=extensions.resolve(),
    )


def with_late_rule(course: Course, assignment: str, rule: LatePolicy) -> Course:
    """`course` with `rule` as `assignment`'s late rule (grader.yaml is left as it is)."""
    changed = copy.copy(course)
    spec = course.config.assignments[assignment].model_copy(update={"late": rule})
    assignments = {**course.config.assignments, assignment: spec}
    changed.config = course.config.model_copy(update={"assignments": assignments})
    return changed


def write_class(
    course: Course,
    folder: Path,
    assignment: str = DEMO_ASSIGNMENT,
    due: datetime | None = None,
) -> list[Path]:
    """A small class of submissions named like a Canvas bulk download.

    With `due`, every file is dated two days before it, and two more students hand in the
    reference after it (`LATE_STUDENTS`)."""
    folder.mkdir(parents=True, exist_ok=True)
    exercises = exercises_for(assignment, list(course.config.assignment(assignment).exercises))
    reference = nbformat.read(course.master_notebook(assignment), as_version=4)
    blank = nbformat.read(course.template_dir / assignment / f"{assignment}.ipynb", as_version=4)
    students: list[tuple[str, object]] = [("lovelace", reference), ("babbage", blank)]
    names = ["hopper", "turing", "noether", "curie", "shannon", "germain", "ramanujan"]
    for name, round_ in zip(names, mistake_rounds(exercises), strict=False):
        students.append((name, with_mistakes(course, assignment, round_)))
    written = []
    for number, (name, nb) in enumerate(students, start=1):
        path = folder / f"{name}_{1000 + number}_{5000 + number}_{assignment}.ipynb"
        nbformat.write(nb, path)
        written.append(path)
    if assignment == DEMO_ASSIGNMENT:
        for name, number, body in COPIED_PAIR:
            path = folder / f"{name}_{number}_{number + 4000}_{assignment}.ipynb"
            nbformat.write(_answered(course, assignment, COPIED_EXERCISE, body), path)
            written.append(path)
    if due is not None:
        on_time = (due - timedelta(days=2)).timestamp()
        for path in written:
            os.utime(path, (on_time, on_time))
        for name, number, days in LATE_STUDENTS:
            path = folder / f"{name}_LATE_{number}_{number + 4000}_{assignment}.ipynb"
            nbformat.write(reference, path)
            late = (due + timedelta(days=days)).timestamp()
            os.utime(path, (late, late))
            written.append(path)
    truncated = folder / f"knuth_1090_5090_{assignment}.ipynb"
    truncated.write_text(nbformat.writes(reference)[:2000], encoding="utf-8")
    script = folder / f"liskov_1091_5091_{assignment}.py"
    script.write_text("def one_hot_encode_string(text):\n    return None\n", encoding="utf-8")
    if due is not None:
        for path in (truncated, script):
            os.utime(path, (on_time, on_time))
    return [*written, truncated, script]


def _answered(course: Course, assignment: str, exercise_id: str, body: str):
    """The reference notebook with one exercise's solution replaced by `body`."""
    nb = nbformat.read(course.master_notebook(assignment), as_version=4)
    cell = next(c for c in question_cells(nb, exercise_id) if "# BEGIN SOLUTION" in c.source)
    cell.source = re.sub(
        r"(# BEGIN SOLUTION\n).*?( *# END SOLUTION)",
        lambda match: match[1] + body + match[2],
        cell.source,
        flags=re.S,
    )
    return nb
