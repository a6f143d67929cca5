"""`rnn-grader release-check`: which results are surprises (on constructed results), the page
(real tables, sections with ids, surprises first, no path of the grading machine), the exit
status, and a real run on the demo's assignment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autograder.authoring import release_check
from autograder.authoring.mistake_table import unit_exercises
from autograder.authoring.release_check import calibration_states, training_rounds
from autograder.authoring.release_findings import (
    KINDS,
    CalibrationState,
    Grading,
    MistakeRun,
    Report,
    calibrated_mistake_runs,
    calibrated_reference_findings,
    calibration_findings,
    mistake_findings,
    submission_findings,
    unit_mistake_run,
)
from autograder.authoring.release_page import page_html
from autograder.cli import app
from autograder.config import Course
from autograder.engine.exercise import Mistake
from autograder.engine.result import CheckResult, ExerciseResult, NamedMistake
from autograder.exercises import training_specs
from tests import submissions
from tests.test_feedback_html import Element, Tree

RUN = "/home/ta/rnn-course/release/work"


def _exercise(
    points: float, failed: tuple[str, ...] = (), named: str | None = None, id_: str = "custom_rnn"
) -> ExerciseResult:
    checks = [
        CheckResult(name=name, description=name, hidden=True, passed=name not in failed, weight=1)
        for name in ("logits_shape", "logits_match", "gradients_match")
    ]
    return ExerciseResult(
        id=id_, title=id_, points=points, max_points=4.0, status="partial" if failed else "passed",
        message=f"the logits differ (see {RUN}/round3.ipynb)" if failed else "",
        checks=checks, mistake=NamedMistake(name=named) if named else None,
    )  # fmt: skip


RELU = Mistake("relu instead of tanh", ("tanh", "relu"), ("logits_match",), hint="the activation")
FIRST = Mistake("output from the first step", ("h", "h0"), ("logits_match", "gradients_match"))


# --- judging constructed results ------------------------------------------------------------------


def test_the_reference_below_full_marks_and_the_blank_above_zero_are_surprises() -> None:
    full, short = _exercise(4.0), _exercise(2.5, ("logits_match",), id_="char_rnn")
    found = submission_findings("names_charlm", "reference", [full, short], 2025, "cpu")
    assert [(f.kind, f.exercise, f.seed, f.device) for f in found] == [
        ("reference_below_full", "char_rnn", 2025, "cpu")
    ]
    assert found[0].message.startswith("2.5 / 4: the logits differ")
    assert RUN not in found[0].message  # the grading machine's folders are cut
    zero, some = _exercise(0.0, ("logits_match",)), _exercise(0.5, ("logits_match",), id_="x")
    found = submission_findings("names_charlm", "blank", [zero, some], 2026, None)
    assert [(f.kind, f.exercise) for f in found] == [("blank_above_zero", "x")]
    assert submission_findings("names_charlm", "blank", [zero], 2026, None) == []


def test_a_mistake_is_caught_only_by_lost_points_and_a_failed_check_it_names() -> None:
    caught = unit_mistake_run("a", RELU, _exercise(1.0, ("logits_match",)), 2025)
    assert caught.caught
    other_check = unit_mistake_run("a", RELU, _exercise(3.0, ("gradients_match",)), 2025)
    assert not other_check.caught  # lost points, but not through the check the mistake names
    no_points_lost = _exercise(4.0, ("logits_match",))
    assert not unit_mistake_run("a", RELU, no_points_lost, 2025).caught
    assert unit_mistake_run("a", FIRST, _exercise(3.0, ("gradients_match",)), 2025).caught
    assert "failed: gradients_match (named checks: logits_match)" in other_check.detail


def test_only_the_mistake_the_feedback_names_counts_as_named() -> None:
    """One round's results: one mistake named, one named as another, one not named at all."""
    results = [
        (RELU, _exercise(1.0, ("logits_match",), named="relu instead of tanh")),
        (FIRST, _exercise(1.0, ("logits_match",), named="relu instead of tanh")),
        (RELU, _exercise(1.0, ("logits_match",), id_="rnn_cell")),
    ]
    runs = [unit_mistake_run("a", mistake, graded, 2025) for mistake, graded in results]
    assert [run.named for run in runs] == [True, False, False]
    found = mistake_findings(runs)
    assert [(f.kind, f.exercise, f.mistake) for f in found] == [
        ("not_named", "custom_rnn", "output from the first step"),
        ("not_named", "rnn_cell", "relu instead of tanh"),
    ]
    assert "feedback names: relu instead of tanh" in found[0].message
    elsewhere = unit_mistake_run("a", FIRST, results[1][1], 2026, naming=False)
    assert elsewhere.named is None and mistake_findings([elsewhere]) == []
    assert "naming not judged at this seed" in elsewhere.detail


def test_an_uncaught_mistake_is_a_surprise_and_naming_that_cannot_apply_is_not() -> None:
    runs = [
        MistakeRun("a", "names_training", "m1", 1000, False, None, "best 0.5", "cpu"),
        MistakeRun("a", "names_training", "m2", 1000, True, None, "best 0.1", "cpu"),
        MistakeRun("a", "custom_rnn", "m3", 2025, False, False, "0 / 4"),
    ]
    found = mistake_findings(runs)
    assert [(f.kind, f.mistake, f.device) for f in found] == [
        ("not_caught", "m1", "cpu"),
        ("not_caught", "m3", None),
        ("not_named", "m3", None),
    ]


def _record(higher_is_better: bool, floor: float | None = None) -> dict:
    return {
        "threshold": 0.4 if higher_is_better else 2.8, "floor": floor, "metric": "m",
        "higher_is_better": higher_is_better,
        "reference": {"n": 30, "observed_failures": 0},
        "mistakes": [{
            "name": "hidden state not carried", "block": "custom_rnn", "seeds": [1000, 1001, 1002],
            "best": [0.3, 0.45, None] if higher_is_better else [3.1, 2.5, 0.2],
            "problems": [None, None, "the outputs hold NaN"] if higher_is_better else [None] * 3,
        }],
    }  # fmt: skip


def test_a_calibration_record_judges_each_training_mistake_run_against_its_threshold() -> None:
    runs = calibrated_mistake_runs("names_charlm", "names_training", "cpu", _record(True))
    assert [(r.seed, r.caught, r.named, r.source) for r in runs] == [
        (1000, True, None, "calibration"),
        (1001, False, None, "calibration"),  # 0.45 reaches the threshold 0.4
        (1002, True, None, "calibration"),  # unusable outputs fail the check
    ]
    assert runs[0].block == "custom_rnn" and "0.3" in runs[0].detail
    lower = calibrated_mistake_runs("a", "charlm_training", "cuda", _record(False, floor=1.0))
    assert [r.caught for r in lower] == [True, False, True]  # 0.2 is below the leak floor
    assert [f.seed for f in mistake_findings(lower)] == [1001]


def test_a_calibration_whose_reference_runs_failed_is_a_surprise() -> None:
    record = _record(True)
    assert calibrated_reference_findings("a", "names_training", "cpu", record) == []
    record["reference"]["observed_failures"] = 2
    (found,) = calibrated_reference_findings("a", "names_training", "cpu", record)
    assert found.kind == "reference_below_full" and "2 of 30" in found.message


def test_a_threshold_without_calibration_for_a_present_device_is_a_surprise(
    course: Course, tmp_path: Path
) -> None:
    """Files only: no GPU is needed to judge cuda's calibrations; a check without a cuda budget
    (names_training) trains on the CPU and is judged there alone."""
    scratch = submissions.scratch_course(
        course,
        tmp_path,
        {"metric: balanced_accuracy\n          threshold: calibrated": (
            "metric: balanced_accuracy\n          threshold: 0.4\n"
            "          allow_uncalibrated: true"
        )},
    )  # fmt: skip
    (tmp_path / "calibration/cuda/charlm_training.json").unlink()
    (tmp_path / "calibration/cpu/names_training.json").unlink()
    specs = [s for s in training_specs(scratch).values() if s.assignment == "names_charlm"]
    states = calibration_states(scratch, specs, ["cpu", "cuda"])
    assert {(s.exercise, s.device): s.ok for s in states} == {
        ("names_training", "cpu"): False,  # a number set by hand, with no calibration behind it
        ("charlm_training", "cpu"): True,
        ("charlm_training", "cuda"): False,
    }
    found = calibration_findings("names_charlm", states)
    assert [(f.kind, f.exercise, f.device) for f in found] == [
        ("uncalibrated", "names_training", "cpu"),
        ("uncalibrated", "charlm_training", "cuda"),
    ]
    assert "no calibration" in found[0].message and "missing" in found[1].message
    assert calibration_states(scratch, specs, ["cpu"])[1].threshold is not None


def test_training_rounds_rewrite_each_block_once_and_hold_one_mistake_per_check(
    course: Course,
) -> None:
    specs = [s for s in training_specs(course).values() if s.assignment == "names_charlm"]
    rounds = training_rounds(specs)
    placed = [(check, m.name) for round_ in rounds for check, m in round_.values()]
    assert sorted(placed) == sorted((s.id, m.name) for s in specs for m in s.mistakes)
    for round_ in rounds:
        checks = [check for check, _ in round_.values()]
        assert len(checks) == len(set(checks))
        assert all(m.block == block for block, (_, m) in round_.items())


# --- the page ----------------------------------------------------------------------------------


def _report() -> Report:
    runs = [
        MistakeRun("names_charlm", "custom_rnn", "relu instead of tanh", 2025, True, True, "1 / 4"),
        MistakeRun("names_charlm", "custom_rnn", "relu instead of tanh", 2026, True, False,
                   f"1 / 4; see {RUN}/round2.ipynb"),
        MistakeRun("names_charlm", "names_training", "hidden state not carried", 1000, True, None,
                   "best 0.28", "cpu", "calibration", "custom_rnn"),
    ]  # fmt: skip
    report = Report("names_charlm", [2025, 2026], ["cpu"], training=False, mistakes=runs)
    report.gradings = [
        Grading("reference", 2025, None, 14.0, 14.0, ()),
        Grading("blank", 2025, None, 0.5, 14.0, ("char_rnn 0.5 / 3",)),
    ]
    report.calibrations = [
        CalibrationState("names_training", "cpu", True, 0.3735, "calibrated on 30 seeds", "0 of 30")
    ]
    report.findings = submission_findings(
        "names_charlm", "blank", [_exercise(0.5, ("logits_match",), id_="char_rnn")], 2025, None
    ) + mistake_findings(runs)
    return report


def _sections(document: str) -> dict[str, Element]:
    body = Tree(document).root.all("body")[0]
    return {e.attrs["id"]: e for e in body.all("section")}


def _rows(section: Element) -> list[list[str]]:
    return [[cell.content().strip() for cell in row.children] for row in section.all("tr")]


def test_the_page_puts_the_surprises_first_in_real_tables_without_paths() -> None:
    document = page_html(_report())
    sections = _sections(document)
    assert list(sections) == [
        "summary", "surprises", "gradings", "calibration", "unit-mistakes", "training-mistakes",
    ]  # fmt: skip
    assert "2 surprise(s)" in sections["summary"].content()
    counts = {row[0]: row[1] for row in _rows(sections["summary"]) if len(row) == 2}
    assert counts[KINDS["blank_above_zero"]] == counts[KINDS["not_named"]] == "1"
    assert counts[KINDS["not_caught"]] == "0"
    surprises = _rows(sections["surprises"])
    assert surprises[0][:5] == ["what", "exercise", "mistake", "seed", "device"]
    assert [row[0] for row in surprises[1:]] == [KINDS["blank_above_zero"], KINDS["not_named"]]
    assert surprises[2][1:4] == ["custom_rnn", "relu instead of tanh", "2026"]
    assert ["blank", "2025", "unit checks only", "0.5 / 14", "zero", "char_rnn 0.5 / 3"] in _rows(
        sections["gradings"]
    )
    units = _rows(sections["unit-mistakes"])
    assert units[0] == ["exercise", "mistake", "seed 2025", "seed 2026"]
    assert units[1] == [
        "custom_rnn",
        "relu instead of tanh",
        "caught · named",
        "caught · not named",
    ]
    training = _rows(sections["training-mistakes"])
    assert training[1] == [
        "names_training", "hidden state not carried", "custom_rnn", "cpu", "caught · naming n/a"
    ]  # fmt: skip
    assert "calibration records" in sections["training-mistakes"].content()
    assert "/home/" not in document and "round2.ipynb" in document


def test_a_page_without_surprises_says_so() -> None:
    report = _report()
    report.findings = []
    sections = _sections(page_html(report))
    assert "No surprises" in sections["summary"].content()
    assert not sections["surprises"].all("table") and "None." in sections["surprises"].content()


# --- the command -------------------------------------------------------------------------------


def test_the_command_refuses_what_it_cannot_run_with_status_2(repo_root: Path) -> None:
    runner = CliRunner()
    config = ["--config", str(repo_root / "grader.yaml")]
    done = runner.invoke(app, ["release-check", "--seeds", "0", *config])
    assert done.exit_code == 2 and "--seeds needs at least 1" in done.output
    done = runner.invoke(app, ["release-check", "-a", "no_such_assignment", *config])
    assert done.exit_code == 2 and "unknown assignment" in done.output


def test_a_fault_of_the_grader_is_status_2_not_a_surprise(
    repo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the grader broke")

    monkeypatch.setattr(release_check, "check_assignment", broken)
    config = ["--config", str(repo_root / "grader.yaml")]
    done = CliRunner().invoke(app, ["release-check", "-a", "names_charlm", *config])
    assert done.exit_code == 2 and "could not run" in done.output


ASSIGNMENTS = ["names_charlm", "anna_lstm", "word_lm", "rnn_basics"]


def _release_check(course_data_dir: Path, out: Path, *options: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "autograder.cli", "release-check", "--out", str(out)]
    env = {**os.environ, "RNN_GRADER_DATA": str(course_data_dir), "COLUMNS": "200"}
    return subprocess.run(
        [*command, *options], capture_output=True, text=True, env=env, timeout=1800
    )


@pytest.fixture(scope="module")
def release_run(
    course_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess, Path]:
    """`rnn-grader release-check` as CI runs it: every assignment, default seeds, training."""
    out = tmp_path_factory.mktemp("release-check")
    return _release_check(course_data_dir, out), out


@pytest.mark.slow
def test_release_check_exits_with_the_pages_verdict(
    release_run: tuple[subprocess.CompletedProcess, Path],
) -> None:
    """The course as it is releases clean: exit 0 and no surprise on any page (twin mistakes that
    nothing tells apart, lstm_forward's h_0 and c_0 made on the CPU, are named together)."""
    done, out = release_run
    surprises = [
        row for name in ASSIGNMENTS for row in _rows(_sections(_page(out, name))["surprises"])[1:]
    ]
    assert surprises == [] and done.returncode == 0, (surprises, done.stdout, done.stderr)
    assert [
        line.split(":")[0] for line in done.stdout.splitlines() if not line.startswith(" ")
    ] == (ASSIGNMENTS)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_check_page(
    course: Course, assignment: str, release_run: tuple[subprocess.CompletedProcess, Path]
) -> None:
    """The reference gets full marks and the blank zero at both seeds, every known mistake is
    caught at both, every training threshold is calibrated, and no path of the run is shown."""
    _, out = release_run
    document = _page(out, assignment)
    sections = _sections(document)
    total = sum(e.points for e in course.config.assignment(assignment).exercises.values())
    full = f"{total:g} / {total:g}"
    assert sorted((row[0], row[1], row[3]) for row in _rows(sections["gradings"])[1:]) == [
        ("blank", "2025", f"0 / {total:g}"), ("blank", "2026", f"0 / {total:g}"),
        ("reference", "2025", full), ("reference", "2026", full),
    ]  # fmt: skip
    units = _rows(sections["unit-mistakes"])[1:]
    assert len(units) == sum(len(e.mistakes) for e in unit_exercises(course, assignment))
    trained = _rows(sections["training-mistakes"])[1:]
    specs = [s for s in training_specs(course).values() if s.assignment == assignment]
    assert len(trained) == sum(len(s.mistakes) for s in specs)
    verdicts = [cell for row in units + trained for cell in row if " · " in cell]
    assert len(verdicts) == 2 * (len(units) + len(trained))  # every mistake at both seeds
    assert all(cell.startswith("caught") for cell in verdicts)
    named = [row[2] for row in units]  # naming is judged at the grading seed, 2025
    assert named.count("caught · named") == len(units)
    assert {row[3] for row in units} == {"caught · naming n/a"}
    assert [row[2] for row in _rows(sections["calibration"])[1:]] == ["yes"] * len(specs)
    assert str(out) not in document and "/tmp/" not in document


@pytest.mark.slow
def test_without_training_the_training_checks_are_judged_from_calibration(
    course_data_dir: Path, tmp_path: Path
) -> None:
    done = _release_check(
        course_data_dir, tmp_path, "-a", "names_charlm", "--seeds", "1", "--no-training"
    )
    assert done.returncode in (0, 1), done.stderr
    sections = _sections(_page(tmp_path, "names_charlm"))
    assert [row[2] for row in _rows(sections["gradings"])] == ["device"] + ["unit checks only"] * 2
    training = _rows(sections["training-mistakes"])
    assert training[0][4:] == ["seed 1000", "seed 1001", "seed 1002", "seed 1003"]
    assert all(cell.startswith("caught · naming n/a") for row in training[1:] for cell in row[4:])
    assert "calibration records" in sections["training-mistakes"].content()


def _page(out: Path, assignment: str) -> str:
    return (out / f"{assignment}.html").read_text(encoding="utf-8")
