"""The course data travels in the Gradescope zip; without it, training checks are not graded.

A zip carries exactly the prepared files its training checks read, with their checksums, and
run_autograder points the grader at them. A check whose data is missing or damaged is
"not_graded": no points, the cause for the staff only, and nothing a student reads names a
server path, an environment variable or a configuration key. setup.sh installs every
dependency at the versions the tests ran with.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import datasets
from autograder.batch.exports import Row, canvas_csv, feedback_markdown, gradebook_csv
from autograder.batch.store import StoredSubmission
from autograder.config import DATA_ENV, Course
from autograder.engine.grade import NOT_GRADED, score
from autograder.engine.result import CheckResult, ExerciseResult, SubmissionResult
from autograder.errors import GraderError
from autograder.exercises import exercises_for, training_specs
from autograder.gradescope import constraints
from autograder.gradescope.package import GradescopeZip, build_zip
from autograder.gradescope.results import NOT_GRADED_OUTPUT, to_gradescope
from autograder.training.data import DataMissingError, files_read, require_files
from tests import submissions
from tests.test_gradescope import ASSIGNMENT, ROOT_ENV, results_of

TRAINING = ("names_training", "charlm_training")
CARRIED = ("names.csv", "tiny_shakespeare.txt")
#: What no student-visible text may hold: the server's layout and the grader's settings.
FORBIDDEN = ("RNN_GRADER", "/datasets", "grader.yaml", "data_dir")
ABSOLUTE_PATH = re.compile(r"(?:^|[\s\"'(=:,])/[A-Za-z_]")


def build_with_data(course: Course, data_dir: Path, dist: Path) -> GradescopeZip:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(DATA_ENV, str(data_dir))
        return build_zip(course, ASSIGNMENT, dist)


@pytest.fixture(scope="module")
def data_zip(
    course: Course, course_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> GradescopeZip:
    return build_with_data(course, course_data_dir, tmp_path_factory.mktemp("dist"))


def data_entries(zip_path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(zip_path) as archive:
        return {
            name.removeprefix("data/"): archive.read(name)
            for name in archive.namelist()
            if name.startswith("data/")
        }


def student_visible(results: dict) -> list[str]:
    """Every text of results.json a student can read (extra_data and stdout are the staff's)."""
    texts = [results.get("output", "")]
    for test in results["tests"]:
        texts += [test["name"], test.get("output", ""), *test.get("tags", [])]
    return texts


def assert_tells_no_secrets(texts: list[str], *paths: Path) -> None:
    for text in texts:
        assert not [word for word in FORBIDDEN if word in text], text
        assert not ABSOLUTE_PATH.search(text), text
        assert not [path for path in paths if str(path) in text], text


# --- which data, in the zip ----------------------------------------------------------------------


def test_each_training_check_names_the_files_its_recipe_reads(
    course: Course, course_data_dir: Path, tmp_path: Path
) -> None:
    specs = training_specs(course)
    read = {check: files_read(spec.prepared) for check, spec in specs.items()}
    assert read == {
        "names_training": ("names.csv",),
        "charlm_training": ("tiny_shakespeare.txt",),
        "anna_training": ("anna.txt",),
        "word_lm_training": ("wikitext-2/train.txt", "wikitext-2/valid.txt"),
        "rnn_cell_training": (),
    }
    # Those files are enough: each recipe prepares its data from them alone.
    for check, names in read.items():
        folder = tmp_path / check
        for name in names:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).symlink_to(course_data_dir / name)
        folder.mkdir(exist_ok=True)
        assert specs[check].prepared(folder).arrays


def test_the_zip_carries_exactly_its_checks_data_with_checksums(
    course: Course, course_data_dir: Path, data_zip: GradescopeZip, tmp_path: Path
) -> None:
    entries = data_entries(data_zip.path)
    assert sorted(entries) == sorted([*CARRIED, datasets.SUMS_FILE])
    for name in CARRIED:
        assert entries[name] == (course_data_dir / name).read_bytes()
    sums = "".join(
        f"{hashlib.sha256(entries[name]).hexdigest()}  {name}\n" for name in sorted(CARRIED)
    )
    assert entries[datasets.SUMS_FILE].decode() == sums
    assert data_zip.data.missing == {} and list(data_zip.data.files) == list(CARRIED)
    again = build_with_data(course, course_data_dir, tmp_path / "again")
    assert again.path.read_bytes() == data_zip.path.read_bytes()
    assert 0.5 < data_zip.megabytes < 2


def test_a_zip_built_without_data_names_the_checks_it_cannot_run(
    course: Course, tmp_path: Path
) -> None:
    built = build_with_data(course, tmp_path / "nothing-here", tmp_path / "dist")
    assert data_entries(built.path) == {}
    assert built.data.missing == {
        "names_training": ("names.csv",),
        "charlm_training": ("tiny_shakespeare.txt",),
    }


def test_the_build_refuses_data_that_is_not_the_courses(
    course: Course, course_data_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(course_data_dir, data)
    with (data / "names.csv").open("a") as handle:
        handle.write("Smith,English\n")
    with pytest.raises(GraderError, match="is not the course's names.csv"):
        build_with_data(course, data, tmp_path / "dist")


def test_run_autograder_points_the_grader_at_the_zips_data(
    data_zip: GradescopeZip, tmp_path: Path
) -> None:
    root = tmp_path / "elsewhere"
    with zipfile.ZipFile(data_zip.path) as archive:
        archive.extractall(root / "source")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text(f'#!/bin/sh\necho "$PWD $@ ${DATA_ENV}"\n')
    (fake / "python3").chmod(0o755)
    done = subprocess.run(
        ["bash", str(root / "source" / "run_autograder")],
        env={"PATH": f"{fake}:/usr/bin:/bin", ROOT_ENV: str(root), DATA_ENV: "/elsewhere"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == [
        str(root),
        "-m",
        "autograder.gradescope.run",
        "--root",
        str(root),
        str(root / "source" / "data"),
    ]


# --- pinned versions ----------------------------------------------------------------------------


def test_setup_installs_every_dependency_at_the_tested_version(
    repo_root: Path, data_zip: GradescopeZip
) -> None:
    committed = (repo_root / constraints.CONSTRAINTS_FILE).read_text(encoding="utf-8")
    assert committed == constraints.current(repo_root / "pyproject.toml"), (
        "the constraints are stale: run `python -m autograder.gradescope.constraints`"
    )
    pins = dict(line.split("==") for line in committed.splitlines() if "==" in line)
    assert "pyseccomp" in pins and "numpy" in pins and "typing-extensions" in pins
    assert "torch" not in pins and "rnn-grader" not in pins
    assert constraints.required_python(committed) == sys.version_info[:2]
    with zipfile.ZipFile(data_zip.path) as archive:
        setup = archive.read("setup.sh").decode()
        assert archive.read(constraints.CONSTRAINTS_FILE).decode() == committed
    assert "pip install --no-deps torch==2.13.0 --index-url" in setup
    pinned = f"/autograder/source -c /autograder/source/{constraints.CONSTRAINTS_FILE}\n"
    assert f"pip install {pinned}" in setup
    assert f"sys.version_info < {sys.version_info[:2]}" in setup


# --- the grader: checksums, not_graded -----------------------------------------------------------


def test_data_with_a_checksum_file_must_match_it(course_data_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "wikitext-2").mkdir(parents=True)
    for name in ("names.csv", "wikitext-2/valid.txt"):
        shutil.copyfile(course_data_dir / name, data / name)
    digests = {name: datasets.sha256_of(data / name) for name in ("names.csv",)}
    (data / datasets.SUMS_FILE).write_text(datasets.sums_text(digests))
    assert require_files(data, "names.csv") == [data / "names.csv"]
    with pytest.raises(DataMissingError, match="do not match their checksums") as unlisted:
        require_files(data, "wikitext-2/valid.txt")
    assert unlisted.value.missing == ("wikitext-2/valid.txt",)
    with (data / "names.csv").open("a") as handle:
        handle.write("Smith,English\n")
    with pytest.raises(DataMissingError, match="names.csv in .* do not match") as damaged:
        require_files(data, "names.csv")
    assert damaged.value.missing == ("names.csv",)
    with pytest.raises(DataMissingError) as missing:
        require_files(tmp_path / "empty", "wikitext-2/train.txt", "wikitext-2/valid.txt")
    assert missing.value.missing == ("wikitext-2/train.txt", "wikitext-2/valid.txt")
    (data / datasets.SUMS_FILE).write_text("not a checksum line\n")
    with pytest.raises(DataMissingError, match="line 1"):
        require_files(data, "names.csv")


def _damaged(course_data_dir: Path, folder: Path) -> Path:
    shutil.copyfile(course_data_dir / "names.csv", folder / "names.csv")
    (folder / datasets.SUMS_FILE).write_text(datasets.sums_text({"names.csv": "0" * 64}))
    return folder


@pytest.mark.parametrize(
    ("make", "cause"),
    [
        (lambda data, folder: folder, "course data file names.csv is not in"),
        (_damaged, "do not match their checksums"),
    ],
    ids=["missing", "damaged"],
)
def test_a_check_without_usable_data_is_not_graded(
    course: Course,
    course_data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make,
    cause: str,
) -> None:
    data = make(course_data_dir, tmp_path)
    monkeypatch.setenv(DATA_ENV, str(data))
    (exercise,) = exercises_for(ASSIGNMENT, ["names_training"])
    plan = exercise.make_plan(np.random.default_rng(0), course)
    assert not plan.probes  # nothing is sent to train
    result = score(exercise, plan, None, [], 4.0)
    assert (result.status, result.points, result.max_points) == ("not_graded", 0.0, 4.0)
    assert cause in result.grader_problem and str(data) in result.grader_problem
    assert result.message == NOT_GRADED
    assert [c.message for c in result.checks] == [NOT_GRADED] * len(exercise.checks)
    assert_tells_no_secrets([result.message], data)


def _result_with_a_not_graded_check() -> SubmissionResult:
    passed = CheckResult(name="shape", description="the shape", hidden=False, passed=True,
                         weight=1.0)  # fmt: skip
    graded = ExerciseResult(id="one_hot", title="one_hot", points=2.0, max_points=2.0,
                            status="passed", checks=[passed])  # fmt: skip
    failed = [
        CheckResult(name=n, description=f"the {n}", hidden=False, passed=False, weight=w,
                    message=NOT_GRADED)
        for n, w in (("trained", 0.0), ("reaches", 1.0))
    ]  # fmt: skip
    skipped = ExerciseResult(
        id="names_training", title="training", points=0.0, max_points=4.0, status="not_graded",
        message=NOT_GRADED, checks=failed,
        grader_problem="the course data file names.csv is not in /autograder/source/data (set "
        "RNN_GRADER_DATA or data_dir in grader.yaml)",
    )  # fmt: skip
    return SubmissionResult(
        assignment=ASSIGNMENT, submission="s.ipynb", sha256="0" * 64, status="graded",
        points=2.0, max_points=6.0, exercises=[graded, skipped], seed=1, torch_version="2",
        device="cpu", confined=True, seconds=3.0,
    )  # fmt: skip


def test_gradescope_says_not_graded_and_keeps_the_cause_for_the_staff() -> None:
    result = _result_with_a_not_graded_check()
    found = to_gradescope(result, "visible", "hidden", lang="en")
    tests = {t["name"]: t for t in found["tests"]}
    assert set(tests) == {
        "one_hot: the shape",
        "names_training: the trained (not graded)",
        "names_training: the reaches (not graded)",
    }
    for name in [name for name in tests if name.startswith("names_training: ")]:
        assert tests[name]["output"] == NOT_GRADED_OUTPUT and tests[name]["score"] == 0.0
        assert tests[name]["tags"] == ["not graded"]
    assert "Public checks passed: 1 of 1." in found["output"]
    assert "Not graded: names_training. The autograder could not run this check" in found["output"]
    assert "the course staff have been told" in found["output"]
    assert found["score"] == 2.0
    assert found["extra_data"]["not_graded"] == {
        "names_training": result.exercises[1].grader_problem
    }
    assert_tells_no_secrets(student_visible(found))


def test_batch_exports_show_not_graded_and_an_incomplete_submission() -> None:
    result = _result_with_a_not_graded_check()
    submission = StoredSubmission(
        source="s.ipynb", student="1001", path="s.ipynb", submitted_at=None, late=False,
        superseded=False, intake_error=None, status="graded", message="",
    )  # fmt: skip
    row = Row(submission, {e.id: e for e in result.exercises}, result)
    gradebook = gradebook_csv([row], ["one_hot", "names_training"], 6.0).splitlines()
    # raw total, no penalty, total, max; no late rule, time, adjustment or message
    assert gradebook[1] == (
        "1001,2,not graded,2,0,2,6,incomplete: not graded: names_training,no,,,,,,,"
        f"{result.confinement}"
    )
    assert canvas_csv([row], "RNN").splitlines()[2] == ",1001,,,,"
    feedback = feedback_markdown(row, "RNN", lang="en")
    assert "| names_training | 0 / 4 | not graded |" in feedback
    assert f"## Not graded\n\n- **names_training**: {NOT_GRADED}" in feedback
    assert "## names_training" not in feedback  # its checks are not listed as failures
    assert_tells_no_secrets(feedback.splitlines())


def test_build_prints_the_zip_its_size_and_data_and_warns_of_missing_data(
    repo_root: Path, course_data_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "course"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for tree in ("assignments", "solutions", "autograder", "calibration"):
        shutil.copytree(repo_root / tree, root / tree, ignore=ignore)
    for name in ("grader.yaml", "pyproject.toml", "README.md"):
        shutil.copyfile(repo_root / name, root / name)
    data = tmp_path / "only-names"
    data.mkdir()
    shutil.copyfile(course_data_dir / "names.csv", data / "names.csv")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "rnn-grader"), "build", "-a", ASSIGNMENT,
         "--config", str(root / "grader.yaml")],
        env={**os.environ, DATA_ENV: str(data), "COLUMNS": "300"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    zip_path = root / "dist" / ASSIGNMENT / "gradescope.zip"
    megabytes = zip_path.stat().st_size / 1e6
    assert f"Gradescope autograder -> {zip_path} ({megabytes:.1f} MB)" in done.stdout
    assert f"data in the zip: names.csv (from {data})" in done.stdout
    assert (
        f"warning: charlm_training will not be graded on Gradescope: tiny_shakespeare.txt not in "
        f"{data}" in done.stderr
    )
    assert "names_training will not" not in done.stderr
    assert sorted(data_entries(zip_path)) == ["SHA256SUMS", "names.csv"]


# --- through the zip, as Gradescope runs it -----------------------------------------------------


def unpack(
    zip_path: Path, folder: Path, notebook: nbformat.NotebookNode, lang: str | None = None
) -> Path:
    """/autograder in miniature, with every exercise of grader.yaml (training checks included);
    `lang` replaces the course's language (Korean)."""
    root = folder / "autograder"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
    if lang is not None:
        config_path = root / "source" / "grader.yaml"
        text = config_path.read_text(encoding="utf-8")
        config_path.write_text(text.replace("language: ko", f"language: {lang}"), encoding="utf-8")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    nbformat.write(notebook, root / "submission" / f"{ASSIGNMENT}.ipynb")
    return root


def run_autograder(root: Path) -> subprocess.CompletedProcess:
    """The zip's run_autograder, with no data setting of this machine's: it sets its own."""
    environment = {k: v for k, v in os.environ.items() if k != DATA_ENV}
    environment.update(
        {
            ROOT_ENV: str(root),
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "PYTHONPATH": str(root / "source"),
        }
    )
    return subprocess.run(
        ["bash", str(root / "source" / "run_autograder")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_the_solved_notebook_gets_full_marks_with_the_zips_data(
    course: Course, data_zip: GradescopeZip, tmp_path: Path
) -> None:
    root = unpack(data_zip.path, tmp_path, submissions.reference(course, ASSIGNMENT))
    done = run_autograder(root)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = results_of(root)
    max_points = course.config.assignment(ASSIGNMENT).max_points
    assert results["score"] == max_points == 22.0, results["output"]
    assert all(t["status"] == "passed" for t in results["tests"]), results["output"]
    trained = {t["name"].split(": ")[0] for t in results["tests"]} & set(TRAINING)
    assert trained == set(TRAINING)
    assert results["extra_data"]["not_graded"] == {}
    # Gradescope speaks the course's language: the summary, each test's name and output
    assert "학습 실행(채점기 자체의 학습 루프로 여러분의 코드를 학습):" in results["output"]
    assert all(re.search("[가-힣]", t["name"]) and t["output"] == "통과" for t in results["tests"])


@pytest.mark.slow
def test_without_the_zips_data_training_is_not_graded_and_no_secret_is_told(
    course: Course, data_zip: GradescopeZip, tmp_path: Path
) -> None:
    root = unpack(data_zip.path, tmp_path, submissions.reference(course, ASSIGNMENT), lang="en")
    shutil.rmtree(root / "source" / "data")
    done = run_autograder(root)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = results_of(root)
    assert results["score"] == 14.0, results["output"]
    for test in results["tests"]:
        if test["name"].split(": ")[0] in TRAINING:
            assert test["name"].endswith(" (not graded)") and test["score"] == 0
            assert test["output"] == NOT_GRADED_OUTPUT
        else:
            assert test["status"] == "passed", test
    assert "Not graded: names_training, charlm_training." in results["output"]
    problems = results["extra_data"]["not_graded"]
    assert set(problems) == set(TRAINING)
    data = root / "source" / "data"
    assert f"course data file names.csv is not in {data}" in problems["names_training"]
    log = " ".join(done.stdout.split())  # the run's output, which only instructors see
    assert "charlm_training not graded: the grader cannot run this training check" in log
    assert f"course data file tiny_shakespeare.txt is not in {data}" in log
    assert_tells_no_secrets(student_visible(results), root)
    assert json.dumps(results).count(str(data)) == 2  # extra_data only
