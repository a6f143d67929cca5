"""Feedback in the course's language: every message a student reads has its Korean, keeps its
fields, reaches the catalogs as a template (never an f-string), and a graded run reads in Korean
by default and in English with --lang en, from the same store."""

from __future__ import annotations

import ast
import csv
import html
import json
import re
import string
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from autograder.cli import app
from autograder.config import Course, load_config
from autograder.engine.checks import explain_error
from autograder.engine.messages import cell_places
from autograder.engine.result import (
    CheckResult,
    ExerciseResult,
    NamedMistake,
    SubmissionResult,
    TrainingRecord,
)
from autograder.errors import GraderError
from autograder.exercises import exercises_for, training_specs
from autograder.gradescope.results import to_gradescope
from autograder.i18n import BABEL_KEYWORDS, LOCALE_DIR, Text, catalog, render, t
from tests import submissions

PACKAGE = Path(__file__).parents[1] / "autograder"
BABEL_CFG = PACKAGE.parent / "babel.cfg"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
#: calls whose message argument (position, keyword) must be a literal or a template
MESSAGE_ARGUMENTS = {
    **{name: (spec[0] - 1, None) for name, spec in BABEL_KEYWORDS.items()},
    "expect": (1, "rationale"),
    "CheckFailure": (0, "rationale"),
    "MalformedAnswer": (0, "rationale"),
}


def _area(files: list[str]) -> str:
    """The catalog that should hold a message: an assignment's own, else grader.po."""
    for name in files:
        parts = Path(name).parts
        if parts[:2] == ("autograder", "exercises") and len(parts) > 3:
            return f"{parts[2]}.po"
    return "grader.po"


def _extracted() -> dict[str, list[str]]:
    """Every message marked in the package (msgid -> files), as `pybabel extract` finds it."""
    found: dict[str, list[str]] = defaultdict(list)
    for filename, _, message, _, _ in extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=BABEL_KEYWORDS
    ):
        message = message[0] if isinstance(message, tuple) else message
        if message:
            found[message].append(f"autograder/{filename}")
    return found


def _template_labels() -> dict[str, list[str]]:
    """Every `_("...")` label of the page templates (msgid -> files), as `make messages`
    finds them: with Jinja2's extractor, where babel.cfg maps it."""
    with BABEL_CFG.open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    templates = [(pattern, method) for pattern, method in method_map if "jinja2" in method]
    assert templates, f"{BABEL_CFG.name} maps no template"
    found: dict[str, list[str]] = defaultdict(list)
    for filename, _, message, _, _ in extract_from_dir(
        str(PACKAGE), method_map=templates, keywords={"_": None}, options_map=options_map
    ):
        message = message[0] if isinstance(message, tuple) else message
        if message:
            found[message].append(f"autograder/{filename}")
    return found


def _runtime_messages() -> dict[str, str]:
    """Messages the extractor cannot see, read from the definitions: each exercise's check
    descriptions, its known mistakes' names and hints, each training check's usual causes."""
    course = Course.discover(None)
    found: dict[str, str] = {}
    for assignment, spec in course.config.assignments.items():
        for exercise in exercises_for(assignment, list(spec.exercises)):
            area = f"{assignment}.po ({exercise.id})"
            for check in exercise.checks:
                if isinstance(check.description, str):
                    found[check.description] = area
            for mistake in exercise.mistakes:
                found[mistake.name] = f"mistakes.po ({exercise.id})"
                if mistake.hint:
                    found[mistake.hint] = f"mistakes.po ({exercise.id})"
    for spec in training_specs(course).values():
        for cause in spec.causes:
            found[cause] = f"{spec.assignment}.po ({spec.id})"
    return found


def test_every_message_has_its_korean() -> None:
    """What `pybabel extract` finds with BABEL_KEYWORDS in the code and with `_` in the page
    templates, and what the definitions say at run time, is translated in the union of the ko
    catalogs; a gap is listed under its catalog (pages.po for the templates' labels)."""
    korean = catalog("ko")
    missing: dict[str, list[str]] = defaultdict(list)
    for message, files in sorted(_extracted().items()):
        if message not in korean:
            missing[_area(files)].append(f"{message!r} ({', '.join(sorted(set(files)))})")
    for message, files in sorted(_template_labels().items()):
        if message not in korean:
            missing["pages.po"].append(f"{message!r} ({', '.join(sorted(set(files)))})")
    for message, area in sorted(_runtime_messages().items()):
        if message not in korean:
            missing[area.split(" ", 1)[0]].append(f"{message!r} ({area})")
    report = [f"{po}: {len(lines)} without Korean\n  " + "\n  ".join(lines)
              for po, lines in sorted(missing.items())]  # fmt: skip
    assert not missing, "\n".join(report)


def test_extraction_finds_the_engines_messages() -> None:
    """The extractor sees the keywords (the test above would pass vacuously otherwise)."""
    found = _extracted()
    assert "{what} has the wrong shape" in found  # t() in engine/checks.py
    assert "all checks passed" in found  # N_() in engine/grade.py
    assert "the cell starting `{first}`" in found
    assert len(found) > 500
    labels = _template_labels()  # the pages' labels, each from its template
    assert "autograder/templates/report.html.j2" in labels["{title}: class report"]
    assert "autograder/templates/similarity_section.html.j2" in labels["Similar answers"]
    assert len(labels) > 60


def _fields(template: str) -> list[tuple[str, str]]:
    return sorted(
        (name, spec or "")
        for _, name, spec, _ in string.Formatter().parse(template)
        if name is not None
    )


def test_every_translation_keeps_its_templates_fields() -> None:
    wrong = []
    for po in sorted((LOCALE_DIR / "ko" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as handle:
            for message in read_po(handle, locale="ko"):
                if not message.id or not message.string:
                    continue
                try:
                    same = _fields(str(message.id)) == _fields(str(message.string))
                except ValueError as error:  # an unbalanced brace
                    same, message.string = False, f"{message.string} ({error})"
                if not same:
                    wrong.append(f"{po.name}: {message.id!r} -> {message.string!r}")
    assert not wrong, "\n".join(wrong)


def _message_argument(call: ast.Call) -> ast.expr | None:
    func = call.func
    name = (
        func.id
        if isinstance(func, ast.Name)
        else func.attr
        if isinstance(func, ast.Attribute)
        else ""
    )
    if name not in MESSAGE_ARGUMENTS:
        return None
    position, keyword = MESSAGE_ARGUMENTS[name]
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if keyword and k.arg == keyword), None)


def test_no_message_is_an_f_string_or_built_by_hand() -> None:
    """A message handed to t, N_, expect, CheckFailure, check, Mistake or an expect_* helper is
    a literal, a name or a template: an f-string, a concatenation or .format() would reach the
    student untranslated (the catalogs hold templates only)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            argument = _message_argument(node) if isinstance(node, ast.Call) else None
            built = isinstance(argument, (ast.JoinedStr, ast.BinOp)) or (
                isinstance(argument, ast.Call)
                and isinstance(argument.func, ast.Attribute)
                and argument.func.attr == "format"
            )
            if built:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not found, "messages built outside the catalogs:\n" + "\n".join(found)


def test_render_fills_fields_in_the_language_and_rounds_numbers() -> None:
    message = t("{what} has the wrong shape", what=Text(template="the label"))
    assert render(message, "en") == "the label has the wrong shape"
    assert render(message, "ko").endswith("의 모양(shape)이 올바르지 않습니다")
    said = t("Total: {points} / {max_points}", points=2.857142, max_points=4.0)
    assert render(said, "en") == "Total: 2.86 / 4"
    assert render("all checks passed", "ko") == "모든 검사를 통과했습니다"
    assert render("a string no catalog has", "ko") == "a string no catalog has"


def test_the_language_comes_from_grader_yaml_and_an_unknown_one_is_refused(
    course: Course, tmp_path: Path
) -> None:
    assert course.config.feedback.language == "ko"
    text = course.config_path.read_text(encoding="utf-8").replace("language: ko", "language: fr")
    (tmp_path / "grader.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(GraderError, match=r"feedback\.language: .*'fr'.*ko, en"):
        load_config(tmp_path / "grader.yaml")


def test_stored_results_with_plain_strings_still_load() -> None:
    """Results stored before messages were templates hold English strings: they load as
    literals, and a template survives the round trip through JSON."""
    check = {"name": "c", "description": "d", "hidden": True, "passed": False, "weight": 1.0,
             "message": "wrong", "expected": "(3,)", "actual": "(4,)"}  # fmt: skip
    old = {"id": "x", "title": "X", "points": 0.0, "max_points": 1.0, "status": "failed",
           "message": "not run: no answer", "checks": [check]}  # fmt: skip
    loaded = ExerciseResult.model_validate_json(json.dumps(old))
    assert loaded.message == "not run: no answer" and loaded.checks[0].actual == "(4,)"
    kept = t("{count} of {total} entries differ", count=3, total=9)
    again = CheckResult.model_validate_json(
        CheckResult(
            name="c", description="d", hidden=True, passed=False, weight=1.0, message=kept
        ).model_dump_json()  # fmt: skip
    )
    assert again.message == kept and render(again.message, "ko") == "원소 9개 중 3개가 다름"


def test_a_cell_is_named_by_its_exercise_and_first_line(course: Course) -> None:
    """Locations as the student sees them: the cell before an exercise's grader.check belongs
    to it; a demo cell after the check, or before any question, has no exercise."""
    nb = submissions.blank(course, "rnn_basics")
    places = cell_places(nb)
    index = next(i for i, c in enumerate(nb.cells) if c.source.startswith("def string_to_onehot"))
    place = render(places[index], "en")
    assert place.startswith("exercise string_to_onehot, the cell starting `def string_to_onehot(")
    assert render(places[index], "ko").startswith("문제 string_to_onehot, `def string_to_onehot(")
    demo = next(i for i, c in enumerate(nb.cells) if c.source.startswith("one_hot_rows ="))
    assert render(places[demo], "en").startswith("the cell starting `one_hot_rows =")
    error = {"type": "ValueError", "message": "bad", "frames": [
        {"cell": f"<cell {index}>", "line": 3, "code": "return x"}]}  # fmt: skip
    said = render(explain_error(error, places), "en")
    assert said.startswith("your code raised ValueError: bad (exercise string_to_onehot, the cell")
    assert f"cell {index}" not in said and said.endswith("line 3: `return x`)")


def _result(lang_probe: str = "rnn_cell") -> SubmissionResult:
    failed = CheckResult(
        name="shape", description="returns a torch.long tensor of shape (len(string),)",
        hidden=True, passed=False, weight=1.0,
        message=t("{what} has the wrong shape", what=Text(template="the logits")),
        expected="(4, 10)", actual="(10, 4)",
    )  # fmt: skip
    record = TrainingRecord(
        recipe="r", device="cpu", device_name="cpu", torch_version="2", seed=5, numpy_seed=5,
        random_seed=5, steps=150, seconds=2.04, stopped="decided", metric="next_char_loss",
        threshold=2.79412, best=2.37456, decided_step=150,
    )  # fmt: skip
    exercise = ExerciseResult(
        id=lang_probe, title="RNN", points=1.0, max_points=3.0, status="partial",
        message=t("not run: {reason}", reason="no answer"), checks=[failed], training=record,
        mistake=NamedMistake(name="previous hidden state ignored"),
    )  # fmt: skip
    return SubmissionResult(
        assignment="rnn_basics", submission="s.ipynb", sha256="", status="graded", points=1.0,
        max_points=3.0, exercises=[exercise], seed=1, torch_version="2", device="cpu",
        confined=True, seconds=1.0,
    )  # fmt: skip


def test_gradescope_results_are_in_korean() -> None:
    results = to_gradescope(_result(), "visible", "hidden", lang="ko")
    (test,) = results["tests"]
    assert test["output"].startswith("logits의 모양(shape)이 올바르지 않습니다\n기대한 값: (4, 10)")
    assert "실제 값: (10, 4)" in test["output"] and "알려진 실수" in test["output"]
    assert HANGUL.search(test["name"])  # the check's description, from rnn_basics.po
    assert results["output"].startswith("공개 검사 0개 중 0개를 통과했습니다.")
    assert "2.37 (기준값 2.79, 150 스텝에서 도달)" in results["output"]
    english = to_gradescope(_result(), "visible", "hidden", lang="en")
    assert not HANGUL.search(json.dumps(english, ensure_ascii=False))


def _feedback_failures(page: str) -> list[str]:
    """The failed checks' lines of a feedback page (description: detail), without tags."""
    items = re.findall(r"<li><strong>(.*?)</strong>: (.*?)</li>", page, flags=re.DOTALL)
    return [html.unescape(f"{description}: {detail}") for description, detail in items]


@pytest.mark.slow
def test_a_graded_notebook_reads_in_korean_and_in_english_with_lang_en(
    course: Course, tmp_path: Path
) -> None:
    """End to end: a notebook with a known mistake graded into a run; its feedback page, its
    results.json and the terminal are Korean (grader.yaml's language), and `export --lang en`
    writes the same run's pages again in English from the store."""
    exercise = next(e for e in exercises_for("rnn_basics", ["char_tensor"]))
    folder = tmp_path / "class"
    folder.mkdir()
    nb = submissions.with_mistakes(course, "rnn_basics", {exercise.id: exercise.mistakes[0]})
    nbformat.write(nb, folder / "2001.ipynb")
    run = tmp_path / "run"
    grade = ["grade", str(folder), "--assignment", "rnn_basics", "--out", str(run),
             "--workers", "1", "--no-training"]  # fmt: skip
    graded = CliRunner().invoke(app, grade)
    assert graded.exit_code == 0, graded.output
    assert "채점 완료" in graded.output or "미완료" in graded.output  # the class table's status
    page = next((run / "feedback").glob("*.html")).read_text(encoding="utf-8")
    assert '<html lang="ko">' in page
    titles = course.config.assignment("rnn_basics")  # grader.yaml gives one per language
    assert f"<h1>{html.escape(titles.title_in('ko'))}: 2001 학생의 피드백</h1>" in page
    canvas = next(csv.reader((run / "canvas.csv").read_text(encoding="utf-8").splitlines()))
    assert canvas[-1] == titles.title_in("en")  # one column name whatever the language
    failures = _feedback_failures(page)
    assert failures, page
    for line in failures:  # the check's description and its message, both Korean
        description, detail = line.split(": ", 1)
        assert HANGUL.search(description) and HANGUL.search(detail), line
    results = json.loads(next((run / "results").glob("*.json")).read_text(encoding="utf-8"))
    failed = [test for test in results["tests"] if test["status"] == "failed"]
    assert failed and all(HANGUL.search(test["output"]) for test in failed)

    exported = CliRunner().invoke(app, ["export", str(run), "--lang", "en"])
    assert exported.exit_code == 0, exported.output
    english = next((run / "feedback").glob("*.html")).read_text(encoding="utf-8")
    assert '<html lang="en">' in english
    assert f"<h1>{html.escape(titles.title_in('en'))}: feedback for 2001</h1>" in english
    assert next(csv.reader((run / "canvas.csv").read_text(encoding="utf-8").splitlines())) == canvas
    # the notebook's own words (its tests' assert messages, its cells' errors) stay as written;
    # everything the grader says is English
    assert not HANGUL.search(re.sub(r"<li>.*?</li>", "", english, flags=re.DOTALL))
    graders = [line for line in _feedback_failures(english) if "notebook's test" not in line]
    assert graders and not any(HANGUL.search(line) for line in graders), graders
    assert len(_feedback_failures(english)) == len(failures)
    results = json.loads(next((run / "results").glob("*.json")).read_text(encoding="utf-8"))
    hidden = [test for test in results["tests"] if "notebook's test" not in test["name"]]
    assert hidden and not HANGUL.search(json.dumps(hidden, ensure_ascii=False))
