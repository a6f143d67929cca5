"""Why a file was refused or could not be read, in the student's language: intake's reasons are
templates, kept language-neutral in the run's store, and read in Korean on the feedback pages and
in English with `export --lang en`, from the same store."""

from __future__ import annotations

import csv
import html
import re
import sqlite3
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from autograder.batch import collect as collect_module
from autograder.batch.collect import collect
from autograder.batch.store import Store
from autograder.cli import app
from autograder.config import Course
from autograder.engine.intake import read_notebook
from autograder.engine.messages import error_message
from autograder.engine.result import SubmissionResult
from autograder.errors import GraderError
from autograder.gradescope.results import to_gradescope
from autograder.i18n import Text, render, t
from tests import submissions

HANGUL = re.compile(r"[\uac00-\ud7a3]")
ASSIGNMENT = "names_charlm"
BROKEN = f"knuth_1090_5090_{ASSIGNMENT}.ipynb"
SCRIPT = f"liskov_1091_5091_{ASSIGNMENT}.py"


def test_a_refused_file_and_a_broken_notebook_say_why_in_korean(tmp_path: Path) -> None:
    """The reasons are templates: Korean for the student, English in `str()` for the logs."""
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / SCRIPT).write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "class" / BROKEN).write_text('{"cells": [\n  {"cell_type": "code"', "utf-8")
    (refused,) = [s for s in collect(tmp_path / "class", tmp_path / "work") if s.error]
    assert isinstance(refused.error, Text)
    assert render(refused.error, "en") == "expected a Jupyter notebook (.ipynb), got a .py file"
    assert render(refused.error, "ko") == (
        "Jupyter 노트북(.ipynb)을 제출해야 하는데 .py 파일이 제출되었습니다"
    )
    with pytest.raises(GraderError) as broken:
        read_notebook(tmp_path / "class" / BROKEN)
    assert str(broken.value).endswith(
        f"{BROKEN}: not valid notebook JSON (line 2, column 23: Expecting ',' delimiter); "
        "the file may be truncated or not a notebook"
    )
    said = render(broken.value.args[0], "ko")
    assert said.endswith(
        f"{BROKEN}: 올바른 노트북 JSON이 아닙니다(2번째 줄, 23번째 열: Expecting ',' delimiter). "
        "파일이 잘렸거나 노트북이 아닐 수 있습니다"
    )


def test_gradescope_says_why_a_notebook_cannot_be_read_in_the_language(tmp_path: Path) -> None:
    """The Gradescope route: a broken notebook's reason reaches results.json as a template."""
    (tmp_path / BROKEN).write_text('{"cells": [', encoding="utf-8")
    with pytest.raises(GraderError) as broken:
        read_notebook(tmp_path / BROKEN)
    result = SubmissionResult(
        assignment=ASSIGNMENT, submission=BROKEN, sha256="", status="error",
        message=error_message(broken.value), points=0.0, max_points=1.0, exercises=[], seed=1,
        torch_version="2", device="cpu", confined=True, seconds=0.1,
    )  # fmt: skip
    korean = to_gradescope(result, "visible", "hidden", lang="ko")["output"]
    assert f"{BROKEN}: 올바른 노트북 JSON이 아닙니다(1번째 줄," in korean
    english = to_gradescope(result, "visible", "hidden", lang="en")["output"]
    assert f"{BROKEN}: not valid notebook JSON (line 1," in english
    assert not HANGUL.search(english)


def test_sizes_in_a_reason_are_said_in_the_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A size inside a reason is a template too: "10000 bytes" reads "10000바이트"."""
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "alice.ipynb").write_bytes(b"x" * 10_000)
    monkeypatch.setattr(collect_module, "MAX_FILE_BYTES", 5_000)
    (submission,) = collect(tmp_path / "class", tmp_path / "work")
    assert render(submission.error, "en").startswith(
        "the notebook is 10000 bytes, over the 5000 bytes limit; clear its outputs"
    )
    assert render(submission.error, "ko").startswith(
        "노트북 크기가 10000바이트로 제한(5000바이트)을 넘습니다."
    )


def test_the_store_keeps_messages_language_neutral_and_loads_old_plain_strings(
    tmp_path: Path,
) -> None:
    """A template survives the store as itself; an older store's English strings load as text."""
    store = Store(tmp_path / "grades.sqlite")
    refused = t("expected a Jupyter notebook (.ipynb), got a {suffix} file", suffix=".py")
    store.register("a.py", "alice", None, None, False, False, refused)
    store.register("b.ipynb", "bob", "b.ipynb", None, False, True, None)
    with store.transaction() as db:  # as a run written before messages were templates left it
        db.execute(
            "INSERT INTO submissions (source, student, intake_error, status, message) "
            "VALUES ('c.zip', 'carol', 'the submission is empty', 'error', 'the submission "
            "is empty')"
        )
    rows = {s.student: s for s in store.submissions()}
    store.close()
    assert rows["alice"].intake_error == refused and rows["alice"].message == refused
    assert render(rows["alice"].message, "ko").startswith("Jupyter 노트북(.ipynb)을")
    assert render(rows["bob"].message, "ko") == "더 최근 제출물이 반영됩니다"
    assert rows["carol"].intake_error == rows["carol"].message == "the submission is empty"
    with sqlite3.connect(tmp_path / "grades.sqlite") as db:  # one column, no language in it
        stored = db.execute("SELECT message FROM submissions WHERE student='alice'").fetchone()
    assert stored[0].startswith("i18n.Text:") and not HANGUL.search(stored[0])


def _reason(page: str) -> str:
    """The feedback page's "could not be graded" paragraph, without tags."""
    found = re.search(r'<section class="could-not-grade">.*?<p>(.*?)</p>', page, flags=re.DOTALL)
    assert found, page
    return html.unescape(found[1]).strip()


@pytest.mark.slow
def test_refused_and_unreadable_submissions_read_in_korean_and_in_english(
    course: Course, tmp_path: Path
) -> None:
    """End to end: a .py file and a truncated notebook graded into a run; their feedback pages
    give the reason in Korean, gradebook.csv in English, the class report in its --lang, and
    `export --lang en` writes the pages again in English from the store."""
    folder = tmp_path / "class"
    folder.mkdir()
    reference = nbformat.writes(submissions.reference(course, ASSIGNMENT))
    (folder / BROKEN).write_text(reference[:2000], encoding="utf-8")
    (folder / SCRIPT).write_text("def one_hot_encode_string(text):\n    return None\n", "utf-8")
    run = tmp_path / "run"
    grade = ["grade", str(folder), "--assignment", ASSIGNMENT, "--out", str(run),
             "--workers", "1", "--no-training"]  # fmt: skip
    graded = CliRunner().invoke(app, grade)
    assert graded.exit_code == 0, graded.output
    assert "Jupyter 노트북(.ipynb)을 제출해야 하는데 .py 파일이 제출되었습니다" in graded.output
    pages = {s: (run / "feedback" / f"{s}.html").read_text("utf-8") for s in ("1090", "1091")}
    assert _reason(pages["1091"]) == (
        "Jupyter 노트북(.ipynb)을 제출해야 하는데 .py 파일이 제출되었습니다"
    )
    assert re.fullmatch(
        f"{BROKEN}: 올바른 노트북 JSON이 아닙니다\\(\\d+번째 줄, \\d+번째 열: .*\\)\\. "
        "파일이 잘렸거나 노트북이 아닐 수 있습니다",
        _reason(pages["1090"]),
    ), _reason(pages["1090"])
    markdown = (run / "feedback" / "1091.md").read_text("utf-8")
    assert "Jupyter 노트북(.ipynb)을 제출해야 하는데 .py 파일이 제출되었습니다" in markdown
    with (run / "gradebook.csv").open(encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert rows["1091"]["message"] == "expected a Jupyter notebook (.ipynb), got a .py file"
    assert "not valid notebook JSON" in rows["1090"]["message"]

    reported = CliRunner().invoke(app, ["report", str(run), "--lang", "ko"])
    assert reported.exit_code == 0, reported.output
    report = html.unescape((run / "report.html").read_text("utf-8"))
    assert "Jupyter 노트북(.ipynb)을 제출해야 하는데 .py 파일이 제출되었습니다" in report
    assert f"{BROKEN}: 올바른 노트북 JSON이 아닙니다" in report

    exported = CliRunner().invoke(app, ["export", str(run), "--lang", "en"])
    assert exported.exit_code == 0, exported.output
    english = {s: (run / "feedback" / f"{s}.html").read_text("utf-8") for s in ("1090", "1091")}
    assert _reason(english["1091"]) == "expected a Jupyter notebook (.ipynb), got a .py file"
    assert _reason(english["1090"]).startswith(f"{BROKEN}: not valid notebook JSON (line ")
    assert not any(HANGUL.search(page) for page in english.values())
