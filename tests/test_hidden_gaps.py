"""Hidden checks that once let wrong code through, or failed right code: issue 14, item 7.

The wrong variants are known mistakes (test_grading.py grades them); here are the right variants
that must keep full marks, and the rule that tells torch's meta limits from a device mistake.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.config import Course
from autograder.engine.exercise import Context, Mistake, Plan
from autograder.exercises.rnn_basics.shared import meta_cannot_unpack
from autograder.grading import grade_notebook
from autograder.sandbox.exchange import Cell
from tests import submissions

META_COPY = {"type": "NotImplementedError", "message": "Cannot copy out of meta tensor; no data!"}


def _context(source: str) -> Context:
    return Context(Plan(), {}, [Cell(7, source)])


def _error(line: int, **changes: str) -> dict:
    return {**META_COPY, **changes, "frames": [{"cell": "<cell 7>", "line": line, "code": ""}]}


UNPACK_LINE = "def f(p, lens):\n    out, n = pad_packed_sequence(p)\n    return out\n"
ONE_LINER = (
    "def f(gru, x, lens, h):\n"
    "    return pad_packed_sequence(\n"
    "        gru(pack_padded_sequence(x, lens.cpu(), enforce_sorted=False), h)[0]\n"
    "    )\n"
)


@pytest.mark.parametrize(
    ("source", "error", "limit"),
    [
        (UNPACK_LINE, _error(2), True),
        (ONE_LINER, _error(3), True),  # the lengths' .cpu() is right: pack wants them there
        (UNPACK_LINE.replace("(p)", "(p.cpu())"), _error(2), False),
        (ONE_LINER.replace("(x, lens", "(x.cpu(), lens"), _error(3), False),
        ("def f(x):\n    y = x.cpu()\n    return y\n", _error(2), False),
        (UNPACK_LINE, _error(2, type="RuntimeError"), False),
        (UNPACK_LINE, _error(2, message="Tensor on device meta is not on the expected"), False),
        (UNPACK_LINE, {**META_COPY, "frames": []}, False),
    ],
)
def test_meta_limit_is_told_apart_from_a_copy_off_the_device(
    source: str, error: dict, limit: bool
) -> None:
    assert meta_cannot_unpack(_context(source), error) is limit


#: right code that the hidden checks once failed, or that their new probes must not fail:
#: (assignment, exercise, text of the reference, replacement)
RIGHT_VARIANTS = [
    # pad_packed_sequence cannot unsort on the meta stand-in; a GPU can, so no point is lost
    ("rnn_basics", "packed_gru", "batch_lens.cpu())", "batch_lens.cpu(), enforce_sorted=False)"),
    # a zero state made by hand on x's device is as good as letting nn.RNN make it
    (
        "names_charlm",
        "char_rnn",
        "        outputs, hidden = self.rnn(x, hidden)\n",
        "        if hidden is None:\n"
        "            hidden = x.new_zeros(self.rnn.num_layers, x.size(0), self.rnn.hidden_size)\n"
        "        outputs, hidden = self.rnn(x, hidden)\n",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("assignment", "exercise", "old", "new"), RIGHT_VARIANTS)
def test_right_variants_get_full_marks(
    course: Course, tmp_path: Path, assignment: str, exercise: str, old: str, new: str
) -> None:
    right = Mistake("right variant", (old, new), ())
    nb = submissions.with_mistakes(course, assignment, {exercise: right})
    path = submissions.write(nb, tmp_path, exercise)
    result = grade_notebook(course, assignment, path, training=False, only=[exercise])
    (graded,) = result.exercises
    assert graded.points == graded.max_points, [c.message for c in graded.checks if not c.passed]
