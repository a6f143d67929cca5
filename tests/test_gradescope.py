"""The Gradescope zip, unpacked into a folder laid out like /autograder and run as Gradescope does.

Every results.json is validated against a schema of Gradescope's documented format. The grading
runs use names_charlm, the fastest assignment to grade.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import jsonschema
import nbformat
import pytest
import yaml

from autograder.config import Course
from autograder.engine.public_tests import with_public_tests
from autograder.engine.result import (
    CheckResult,
    ExerciseResult,
    SubmissionResult,
    TrainingRecord,
)
from autograder.exercises import exercises_for
from autograder.gradescope.package import ASSIGNMENT_FILE, ROOT_ENV, build_gradescope_zip
from autograder.gradescope.results import to_gradescope, write_results
from autograder.gradescope.run import PENDING, main
from tests import submissions

ASSIGNMENT = "names_charlm"
SCHEMA = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(SCHEMA)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


@pytest.fixture(scope="module")
def gradescope_zip(course: Course, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_gradescope_zip(course, ASSIGNMENT, tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def hidden_checks(course: Course) -> dict[str, bool]:
    """Test name -> whether its check is hidden: the exercise definitions' checks (all hidden)
    and the notebook's own public tests (visible), as the grader attaches them."""
    exercises = with_public_tests(
        course, ASSIGNMENT, exercises_for(ASSIGNMENT, list(unit_points(course)))
    )
    return {f"{e.id}: {c.description}": c.hidden for e in exercises for c in e.checks}


def autograder_root(
    zip_path: Path, folder: Path, notebook: nbformat.NotebookNode | None = None
) -> Path:
    """/autograder in miniature: the zip in source/, the notebook in submission/, results/."""
    root = folder / "autograder"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    if notebook is not None:
        nbformat.write(notebook, root / "submission" / f"{ASSIGNMENT}.ipynb")
    _unit_checks_only(root / "source" / "grader.yaml")
    return root


def _unit_checks_only(config_path: Path) -> None:
    """These tests are about the route; the training checks (they need the course data, which
    this miniature /autograder lacks) are tested in test_training.py, the course's language
    (Korean) in test_i18n.py."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["feedback"] = {"language": "en"}  # these assert English; test_i18n checks Korean
    for assignment in config["assignments"].values():
        exercises = assignment["exercises"]
        for name in [n for n, e in exercises.items() if "training" in e]:
            del exercises[name]
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def unit_points(course: Course) -> dict[str, float]:
    """Each unit exercise's points (the training checks are left out of these tests)."""
    exercises = course.config.assignment(ASSIGNMENT).exercises
    return {name: e.points for name, e in exercises.items() if e.training is None}


def results_of(root: Path) -> dict:
    """results.json, which must exist and follow Gradescope's format."""
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    VALIDATOR.validate(results)
    return results


def scores_by_exercise(results: dict) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for test in results["tests"]:
        totals[test["name"].split(": ", 1)[0]] += test["score"]
    return dict(totals)


def assert_visibility(
    results: dict, hidden_checks: dict[str, bool], public: str, hidden: str
) -> None:
    assert {t["name"] for t in results["tests"]} == set(hidden_checks)
    for test in results["tests"]:
        assert test["visibility"] == (hidden if hidden_checks[test["name"]] else public), test


# --- the zip -------------------------------------------------------------------------------------


def test_zip_is_deterministic_and_holds_what_the_grader_needs(
    course: Course, tmp_path: Path
) -> None:
    first = build_gradescope_zip(course, ASSIGNMENT, tmp_path / "first")
    again = build_gradescope_zip(course, ASSIGNMENT, tmp_path / "dist")
    assert again == tmp_path / "dist" / ASSIGNMENT / "gradescope.zip"
    assert again.read_bytes() == first.read_bytes()
    with zipfile.ZipFile(again) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        setup = archive.read("setup.sh").decode()
        assert archive.read(ASSIGNMENT_FILE).decode().strip() == ASSIGNMENT
    assert names == sorted(names)
    assert {
        "setup.sh",
        "run_autograder",
        "pyproject.toml",
        "README.md",
        "grader.yaml",
        f"assignments/{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
        "autograder/gradescope/run.py",
        f"autograder/exercises/{ASSIGNMENT}/__init__.py",
        f"solutions/{ASSIGNMENT}.py",
        "solutions/helpers.py",
    } <= set(names)
    assert not [n for n in names if n.startswith("assignments/") and ASSIGNMENT not in n]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    modes = {info.filename: info.external_attr >> 16 for info in infos}
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert not modes["grader.yaml"] & 0o111
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in setup
    assert "pip install /autograder/source" in setup


# --- results.json from a result ------------------------------------------------------------------


def _result(passed: tuple[bool, bool]) -> SubmissionResult:
    checks = [
        CheckResult(name="shape", description="the shape", hidden=False, passed=passed[0],
                    weight=1.0, message="wrong shape", expected="(3, 58)", actual="(58, 3)"),
        CheckResult(name="values", description="the values", hidden=True, passed=passed[1],
                    weight=3.0, message="values differ"),
    ]  # fmt: skip
    points = 4.0 * (passed[0] * 1.0 + passed[1] * 3.0) / 4.0
    exercise = ExerciseResult(
        id="one_hot", title="one_hot(text)", points=points, max_points=4.0,
        status="passed" if all(passed) else "failed" if not any(passed) else "partial",
        checks=checks,
    )  # fmt: skip
    return SubmissionResult(
        assignment=ASSIGNMENT, submission="s.ipynb", sha256="0" * 64, status="graded",
        points=points, max_points=4.0, exercises=[exercise], seed=1, torch_version="2",
        device="cpu", confined=True, seconds=12.4,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("public", "hidden"),
    [("visible", "after_published"), ("after_due_date", "hidden"), ("hidden", "visible")],
)
def test_to_gradescope_follows_the_visibility_settings(public: str, hidden: str) -> None:
    results = to_gradescope(_result((False, True)), public, hidden, lang="en")
    VALIDATOR.validate(results)
    shape, values = results["tests"]
    assert (shape["visibility"], values["visibility"]) == (public, hidden)
    assert results["visibility"] == public and results["stdout_visibility"] == "hidden"
    assert (shape["name"], shape["number"], values["number"]) == (
        "one_hot: the shape",
        "1.1",
        "1.2",
    )
    assert (shape["score"], shape["max_score"], shape["status"]) == (0.0, 1.0, "failed")
    assert (values["score"], values["max_score"], values["status"]) == (3.0, 3.0, "passed")
    assert shape["output"] == "wrong shape\nexpected: (3, 58)\ngot: (58, 3)"
    assert (results["score"], results["execution_time"]) == (3.0, 12)
    assert "Public checks passed: 0 of 1." in results["output"]
    assert "values differ" not in results["output"]


def test_tests_of_an_all_or_nothing_exercise_add_up_to_its_points() -> None:
    """A passed check of an exercise that earned nothing (all or nothing, one check failed)
    must not show points that the total does not have."""
    result = _result((True, False))
    nothing = result.exercises[0].model_copy(update={"points": 0.0, "status": "failed"})
    result = result.model_copy(update={"points": 0.0, "exercises": [nothing]})
    results = to_gradescope(result, "visible", "hidden", lang="en")
    VALIDATOR.validate(results)
    assert [t["score"] for t in results["tests"]] == [0.0, 0.0]
    assert [t["max_score"] for t in results["tests"]] == [1.0, 3.0]
    assert (
        sum(
            t["score"]
            for t in to_gradescope(_result((True, False)), "visible", "hidden", lang="en")["tests"]
        )
        == 1.0
    )  # proportional: the passed check keeps its share


def test_config_defaults_are_visible_and_after_published(course: Course) -> None:
    settings = course.config.gradescope
    assert (settings.public_visibility, settings.hidden_visibility) == (
        "visible",
        "after_published",
    )


def test_write_results_replaces_whole_files_only(tmp_path: Path) -> None:
    path = tmp_path / "results" / "results.json"
    write_results(path, {"score": 1.0})
    with pytest.raises(ValueError):
        write_results(path, {"score": math.nan})
    assert json.loads(path.read_text()) == {"score": 1.0}
    assert os.listdir(path.parent) == ["results.json"]


# --- run.py on submissions that are not one notebook ----------------------------------------------


def _none(folder: Path, course: Course) -> None:
    (folder / "names_charlm.py").write_text("print('hello')\n")


def _two(folder: Path, course: Course) -> None:
    for name in ("a.ipynb", "b.ipynb"):
        nbformat.write(submissions.blank(course, ASSIGNMENT), folder / name)


def _link(folder: Path, course: Course) -> None:
    (folder / f"{ASSIGNMENT}.ipynb").symlink_to(course.master_notebook(ASSIGNMENT))


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_none, "no notebook (.ipynb), only: names_charlm.py"),
        (_two, "2 notebooks (a.ipynb, b.ipynb)"),
        (_link, "is a link"),
    ],
)
def test_submission_must_be_exactly_one_notebook(
    course: Course,
    gradescope_zip: Path,
    tmp_path: Path,
    make: Callable[[Path, Course], None],
    says: str,
    hidden_checks: dict[str, bool],
) -> None:
    root = autograder_root(gradescope_zip, tmp_path)
    make(root / "submission", course)
    assert main(root) == 0
    results = results_of(root)
    assert results["score"] == 0.0 and says in results["output"]
    assert set(scores_by_exercise(results).values()) == {0.0}
    assert all(t["status"] == "failed" and says in t["output"] for t in results["tests"])
    assert_visibility(results, hidden_checks, "visible", "after_published")


def test_zip_without_its_assignment_file_says_so(gradescope_zip: Path, tmp_path: Path) -> None:
    root = autograder_root(gradescope_zip, tmp_path)
    (root / "source" / ASSIGNMENT_FILE).unlink()
    assert main(root) == 1
    results = results_of(root)
    assert results["score"] == 0.0 and ASSIGNMENT_FILE in results["output"]


# --- graded submissions --------------------------------------------------------------------------


@pytest.mark.slow
def test_correct_submission_through_run_autograder(
    course: Course, gradescope_zip: Path, tmp_path: Path, hidden_checks: dict[str, bool]
) -> None:
    root = autograder_root(gradescope_zip, tmp_path, submissions.reference(course, ASSIGNMENT))
    env = {
        **os.environ,
        ROOT_ENV: str(root),
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        # The grader's own process runs the code unpacked from the zip.
        "PYTHONPATH": str(root / "source"),
    }
    done = subprocess.run(
        ["bash", str(root / "source" / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = results_of(root)
    assert results["score"] == sum(unit_points(course).values()) == 14.0
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in results["tests"])
    assert scores_by_exercise(results) == pytest.approx(unit_points(course))
    assert_visibility(results, hidden_checks, "visible", "after_published")
    assert results["extra_data"]["confined"] is True
    assert os.listdir(root / "results") == ["results.json"]


@pytest.mark.slow
def test_wrong_submission_loses_that_exercise_only(
    course: Course, gradescope_zip: Path, tmp_path: Path, hidden_checks: dict[str, bool]
) -> None:
    (exercise,) = exercises_for(ASSIGNMENT, ["names_dataset"])
    mistake = next(m for m in exercise.mistakes if m.name == "float label")
    nb = submissions.with_mistakes(course, ASSIGNMENT, {exercise.id: mistake})
    root = autograder_root(gradescope_zip, tmp_path, nb)
    config_path = root / "source" / "grader.yaml"
    config = yaml.safe_load(config_path.read_text())
    config["gradescope"] = {"public_visibility": "after_due_date", "hidden_visibility": "hidden"}
    config_path.write_text(yaml.safe_dump(config))
    assert main(root) == 0
    results = results_of(root)
    scores = scores_by_exercise(results)
    full = unit_points(course)
    assert scores["names_dataset"] < full["names_dataset"]
    assert {k: v for k, v in scores.items() if k != "names_dataset"} == pytest.approx(
        {k: v for k, v in full.items() if k != "names_dataset"}
    )
    assert results["score"] == pytest.approx(sum(scores.values())) and results["score"] < 14.0
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert failed and all(t["name"].startswith("names_dataset: ") for t in failed)
    assert all(t["output"] and t["output"] != "passed" and t["score"] == 0 for t in failed)
    assert_visibility(results, hidden_checks, "after_due_date", "hidden")
    assert results["visibility"] == "after_due_date"


@pytest.mark.slow
def test_blank_template_scores_zero(
    course: Course, gradescope_zip: Path, tmp_path: Path, hidden_checks: dict[str, bool]
) -> None:
    root = autograder_root(gradescope_zip, tmp_path, submissions.blank(course, ASSIGNMENT))
    assert main(root) == 0
    results = results_of(root)
    assert results["score"] == 0.0
    # every hidden check fails; a public test may pass on the blank template, as it does in the
    # notebook (names_charlm's test_custom_rnn_uses_linear_layers_only: the given __init__)
    hidden = [t for t in results["tests"] if hidden_checks[t["name"]]]
    assert hidden and all(t["status"] == "failed" and t["output"] for t in hidden)
    assert all(t["score"] == 0.0 for t in results["tests"])
    assert_visibility(results, hidden_checks, "visible", "after_published")


MALICIOUS = """
import os
leaks = []
for path in ['/autograder/results/results.json', '../results/results.json',
             '{root}/results/results.json', '{root}/results/pwned', '{root}/source/pwned']:
    try:
        with open(path, 'w') as stream:
            stream.write('{{"score": 1000}}')
        leaks.append(path)
    except OSError:
        pass
for path in ['/autograder/source/grader.yaml', '../source/grader.yaml',
             '{root}/source/grader.yaml', '{root}/source/solutions/names_charlm.py']:
    try:
        open(path).read()
        leaks.append(path)
    except OSError:
        pass
for folder in ['/autograder/source', '{root}/source', '{root}']:
    try:
        os.listdir(folder)
        leaks.append(folder)
    except OSError:
        pass
if leaks:
    one_hot_encode_string = None  # anything that got through costs points
"""


@pytest.mark.slow
def test_malicious_submission_cannot_reach_results_or_source(
    course: Course, gradescope_zip: Path, tmp_path: Path
) -> None:
    nb = submissions.reference(course, ASSIGNMENT)
    root = tmp_path / "autograder"
    nb.cells.append(nbformat.v4.new_code_cell(MALICIOUS.format(root=root)))
    assert autograder_root(gradescope_zip, tmp_path, nb) == root
    before = sorted(p.relative_to(root) for p in (root / "source").rglob("*"))
    assert main(root) == 0
    results = results_of(root)
    assert results["score"] == 14.0, results["output"]
    assert all(t["status"] == "passed" for t in results["tests"])
    assert os.listdir(root / "results") == ["results.json"]
    assert sorted(p.relative_to(root) for p in (root / "source").rglob("*")) == before


HANG_CHAR_RNN = """
import time

class CharRNN(CharRNN):
    def __init__(self, *args, **kwargs):
        time.sleep(600)
"""


def _descendants(pid: int) -> list[int]:
    """Every process below `pid`, sandboxed ones included (they have their own sessions)."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            children[int(stat.rsplit(")", 1)[1].split()[1])].append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children[stack.pop()]:
            found.append(child)
            stack.append(child)
    return found


@pytest.mark.slow
def test_time_limit_keeps_the_finished_exercises(
    course: Course, gradescope_zip: Path, tmp_path: Path, hidden_checks: dict[str, bool]
) -> None:
    nb = submissions.reference(course, ASSIGNMENT)
    nb.cells.append(nbformat.v4.new_code_cell(HANG_CHAR_RNN))
    root = autograder_root(gradescope_zip, tmp_path, nb)
    log = (tmp_path / "log").open("w")
    # The killed grader cannot clean up its sandbox folders: keep them inside tmp_path.
    (tmp_path / "tmp").mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "autograder.gradescope.run", "--root", str(root)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "TMPDIR": str(tmp_path / "tmp")},
    )
    first_five = {e for e in unit_points(course) if e != "char_rnn"}
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
            try:
                tests = json.loads((root / "results" / "results.json").read_text())["tests"]
            except (OSError, ValueError):
                continue
            graded = {t["name"].split(": ")[0] for t in tests if t["output"] != PENDING}
            if graded == first_five:
                break
        else:
            pytest.fail(
                f"char_rnn was never the only exercise left: {(tmp_path / 'log').read_text()}"
            )
    finally:
        # Gradescope's time limit: the whole container goes, sandboxed processes included.
        for pid in [process.pid, *_descendants(process.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait()
        log.close()
    results = results_of(root)
    assert results["score"] == 11.0
    full = unit_points(course)
    assert scores_by_exercise(results) == pytest.approx({**full, "char_rnn": 0.0})
    pending = [t for t in results["tests"] if t["name"].startswith("char_rnn: ")]
    assert pending and all(t["output"] == PENDING and t["score"] == 0 for t in pending)
    assert "char_rnn: " + PENDING in results["output"]
    assert_visibility(results, hidden_checks, "visible", "after_published")
    assert os.listdir(root / "results") == ["results.json"]


def test_the_summary_reports_each_training_run() -> None:
    result = _result((True, True))
    result.exercises[0].training = TrainingRecord(
        recipe="char_lm", device="cpu", device_name="cpu", torch_version="2", seed=5,
        numpy_seed=5, random_seed=5, steps=150, seconds=2.04, stopped="decided",
        metric="next_char_loss", threshold=2.794, best=2.374, decided_step=150,
        decided_seconds=2.0, checkpoints=[(150, 2.374)], curve=[(25, 4.1), (150, 2.5)],
    )  # fmt: skip
    results = to_gradescope(result, "visible", "hidden", lang="en")
    VALIDATOR.validate(results)
    assert (
        "one_hot: next_char_loss 2.37 (threshold 2.79, met at step 150); 150 steps in 2.04 s "
        "on cpu, stopped: the result was known, seed 5" in results["output"]
    )
