"""Feedback pages are real HTML: a table of exercises in notebook order, lists in lists, learning
curves as inline PNGs, scores for people, no path of the grading machine, and a page for a file
that could not be graded that says why."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from autograder.batch.exports import Row
from autograder.batch.feedback import Bands, feedback_html, feedback_markdown, scrub
from autograder.batch.store import StoredSubmission
from autograder.engine.result import (
    CellProblem,
    CheckResult,
    ExerciseResult,
    SubmissionResult,
    TrainingRecord,
)

#: grader.yaml's exercises and points, in notebook order (not alphabetical)
POINTS = {"one_hot": 2.0, "char_rnn": 4.0, "charlm_training": 4.0}
RUN = "/home/ta/rnn-course/runs/2026-12-04"
VOID = {"meta", "img", "br", "hr", "link", "input"}
PNG = b"\x89PNG\r\n\x1a\n"


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    parent: Element | None
    #: text and elements, in document order
    parts: list[str | Element] = field(default_factory=list)

    @property
    def children(self) -> list[Element]:
        return [part for part in self.parts if isinstance(part, Element)]

    def ancestors(self) -> list[str]:
        found, node = [], self.parent
        while node is not None:
            found.append(node.tag)
            node = node.parent
        return found

    def all(self, tag: str) -> list[Element]:
        found = [self] if self.tag == tag else []
        return found + [e for child in self.children for e in child.all(tag)]

    def content(self) -> str:
        return "".join(p if isinstance(p, str) else p.content() for p in self.parts)


class Tree(HTMLParser):
    """The document as a tree; an end tag that does not close the open element fails."""

    def __init__(self, document: str) -> None:
        super().__init__()
        self.root = self.open = Element("#document", {}, None)
        self.feed(document)
        self.close()
        assert self.open is self.root, f"<{self.open.tag}> is never closed"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), self.open)
        self.open.parts.append(element)
        if tag not in VOID:
            self.open = element

    def handle_endtag(self, tag: str) -> None:
        assert tag == self.open.tag, f"</{tag}> closes <{self.open.tag}>"
        assert self.open.parent is not None
        self.open = self.open.parent

    def handle_data(self, data: str) -> None:
        self.open.parts.append(data)


def _submission(student: str, status: str = "graded", message: str = "") -> StoredSubmission:
    return StoredSubmission(
        source=f"{RUN}/submissions/{student}.ipynb", student=student,
        path=f"{RUN}/submissions/{student}.ipynb", submitted_at=None, late=False,
        superseded=False, intake_error=None, status=status, message=message,
    )  # fmt: skip


def _training() -> TrainingRecord:
    return TrainingRecord(
        recipe="char_lm", device="cpu", device_name="cpu", torch_version="2.13.0", seed=7,
        numpy_seed=7, random_seed=7, steps=300, seconds=3.2, stopped="budget",
        metric="next_char_loss", threshold=2.79, best=2.91,
        checkpoints=[(150, 3.3), (300, 2.91)],
        curve=[(step, 4.2 - step / 150) for step in range(0, 301, 25)],
    )  # fmt: skip


def _graded_row() -> Row:
    """Three exercises stored alphabetically: a partial score, a failed training, a pass."""
    shape = CheckResult(
        name="shape", description="the output's shape", hidden=False, passed=False, weight=1.0,
        message=f"wrong shape in {RUN}/work/char_rnn.py", expected="(3, 58)", actual="(58, 3)",
    )  # fmt: skip
    values = CheckResult(
        name="values", description="the values", hidden=True, passed=True, weight=2.5
    )
    reaches = CheckResult(
        name="reaches", description="reaches the threshold", hidden=True, passed=False,
        weight=1.0, message="the held-out loss stayed above the threshold",
    )  # fmt: skip
    exercises = [
        ExerciseResult(
            id="char_rnn", title="CharRNN", points=2 / 0.7, max_points=4.0, status="partial",
            checks=[shape, values],
        ),
        ExerciseResult(
            id="charlm_training", title="training", points=0.0, max_points=4.0, status="failed",
            checks=[reaches], training=_training(),
        ),
        ExerciseResult(id="one_hot", title="one_hot", points=2.0, max_points=2.0, status="passed"),
    ]  # fmt: skip
    result = SubmissionResult(
        assignment="names_charlm", submission=f"{RUN}/submissions/1003.ipynb", sha256="0" * 64,
        status="graded", points=sum(e.points for e in exercises), max_points=10.0,
        exercises=exercises, seed=1, torch_version="2", device="cpu", confined=True, seconds=9.0,
        cell_problems=[CellProblem(cell=4, line=2, kind="FileNotFoundError",
                                   message=f"No such file: '{RUN}/data/names.txt'")],
    )  # fmt: skip
    return Row(_submission("1003"), {e.id: e for e in exercises}, result)


def _without_images(document: str) -> str:
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:", document)


def test_the_score_table_is_a_table_in_notebook_order_with_two_decimals() -> None:
    document = feedback_html(_graded_row(), "Names", POINTS, lang="en")
    tables = Tree(document).root.all("table")
    assert len(tables) == 1
    header = [cell.content() for cell in tables[0].all("th")]
    assert header == ["exercise", "points", "max", "status"]
    rows = [[td.content() for td in tr.all("td")] for tr in tables[0].all("tr") if tr.all("td")]
    assert rows == [
        ["one_hot", "2", "2", "passed"],
        ["char_rnn", "2.86", "4", "partial"],
        ["charlm_training", "0", "4", "failed"],
    ]
    assert "Total: 4.86 / 10" in document and "2.857" not in document


def test_every_row_is_in_a_table_and_every_item_in_a_list() -> None:
    tree = Tree(feedback_html(_graded_row(), "Names", POINTS, lang="en")).root
    assert tree.all("tr") and all("table" in tr.ancestors() for tr in tree.all("tr"))
    items = tree.all("li")
    assert len(items) == 3  # the failed shape check, the failed training check, the cell error
    assert all(li.parent is not None and li.parent.tag in {"ul", "ol"} for li in items)
    failures = {li.content() for li in items}
    assert "the output's shape: wrong shape in char_rnn.py (expected (3, 58), got (58, 3))" in (
        failures
    )
    assert not tree.all("script") and not tree.all("link")


def test_a_training_check_has_its_learning_curve_as_an_inline_png() -> None:
    tree = Tree(feedback_html(_graded_row(), "Names", POINTS, lang="en")).root
    images = tree.all("img")
    assert len(images) == 1
    source = images[0].attrs["src"] or ""
    assert source.startswith("data:image/png;base64,")
    picture = base64.b64decode(source.removeprefix("data:image/png;base64,"), validate=True)
    assert picture.startswith(PNG) and len(picture) > 2000
    assert "charlm_training" in (images[0].attrs["alt"] or "")


def test_the_page_names_no_folder_of_the_grading_machine(tmp_path: Path) -> None:
    row = _graded_row()
    for document in (
        feedback_html(row, "Names", POINTS, lang="en"),
        feedback_markdown(row, "N", POINTS, lang="en"),
    ):
        text = _without_images(document)
        for folder in (RUN, "/home", "/tmp", "/work", str(tmp_path)):
            assert folder not in text, folder
        assert "names.txt" in text  # the file's own name stays: it tells the student which


def test_a_file_that_could_not_be_graded_says_so_and_why() -> None:
    message = f"{RUN}/submissions/1090.ipynb is not a notebook: not valid JSON (line 1)"
    row = Row(_submission("1090", "error", message), {}, None)
    document = feedback_html(row, "Names", POINTS, lang="en")
    tree = Tree(document).root
    sections = [s for s in tree.all("section") if "could-not-grade" in (s.attrs["class"] or "")]
    assert len(sections) == 1
    said = sections[0].content()
    assert "could not be graded" in said
    assert "1090.ipynb is not a notebook: not valid JSON (line 1)" in said
    assert "Total: 0 / 10" in document and "/ 0" not in document
    assert not tree.all("table") and RUN not in document and "/home" not in document
    markdown = feedback_markdown(row, "Names", POINTS, lang="en")
    assert "## Your submission could not be graded" in markdown
    assert "1090.ipynb is not a notebook" in markdown and "/home" not in markdown


def test_a_grader_failure_blames_the_grader_and_shows_none_of_its_internals() -> None:
    message = f"the grader failed: RuntimeError('{RUN}/sandbox/uid3 is busy')"
    row = Row(_submission("1004", "grader_error", message), {}, None)
    document = feedback_html(row, "Names", POINTS, lang="en")
    assert "not a problem with your work" in document
    assert "RuntimeError" not in document and "sandbox" not in document


def test_markdown_keeps_its_form_in_notebook_order_with_two_decimals() -> None:
    markdown = feedback_markdown(_graded_row(), "Names", POINTS, lang="en")
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows == [
        "| exercise | points | status |",
        "| one_hot | 2 / 2 | passed |",
        "| char_rnn | 2.86 / 4 | partial |",
        "| charlm_training | 0 / 4 | failed |",
    ]
    assert "**Total: 4.86 / 10**" in markdown


def test_the_reference_band_comes_only_from_the_calibration_graded_against(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "calibration" / "cpu"
    folder.mkdir(parents=True)
    reference = {"n": 30, "min": 2.17, "max": 2.21}
    record = {"threshold": 2.79, "reference": reference}
    (folder / "charlm_training.json").write_text(json.dumps(record), encoding="utf-8")
    training = _training()
    assert Bands(tmp_path).get("charlm_training", training) == (2.17, 2.21, 30)
    moved = training.model_copy(update={"threshold": 2.5})
    assert Bands(tmp_path).get("charlm_training", moved) is None  # another calibration's band
    assert Bands(tmp_path).get("word_lm_training", training) is None
    document = feedback_html(_graded_row(), "Names", POINTS, Bands(tmp_path), lang="en")
    assert len(Tree(document).root.all("img")) == 1


def test_scrub_keeps_names_and_numbers() -> None:
    assert scrub("C:\\Users\\ta\\run\\x.ipynb and /srv/a/b.py") == "x.ipynb and b.py"
    assert scrub("loss 0.5 / 4, shape (3, 58), see https://pytorch.org/docs") == (
        "loss 0.5 / 4, shape (3, 58), see https://pytorch.org/docs"
    )


def test_an_exercise_not_graded_yet_has_its_row_and_counts_in_the_maximum() -> None:
    points = {"one_hot": 2.0, "names_training": 4.0, "char_rnn": 4.0, "charlm_training": 4.0}
    document = feedback_html(_graded_row(), "Names", points, lang="en")
    table = Tree(document).root.all("table")[0]
    rows = [[td.content() for td in tr.all("td")] for tr in table.all("tr") if tr.all("td")]
    assert [cells[0] for cells in rows] == list(points)
    assert rows[1] == ["names_training", "–", "4", "not graded yet"]
    assert "Total: 4.86 / 14" in document
    markdown = feedback_markdown(_graded_row(), "Names", points, lang="en")
    assert "| names_training | – / 4 | not graded yet |" in markdown
