"""The release check's page, release-check/<assignment>.html: surprises first, then everything.

One self-contained HTML file (no scripts, no external files), with real tables and an id on each
section, so that an instructor can read it anywhere and tests can find each part. Messages pass
through `without_folders`: no path of the grading machine reaches the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import jinja2

from autograder.authoring.release_check import NAMING_SEED
from autograder.authoring.release_findings import KINDS, MistakeRun, Report, number
from autograder.engine.report import without_folders
from autograder.training.calibration import DIRECTORY


@dataclass(frozen=True)
class Cell:
    """One mistake at one seed: what the matrix shows, and the checks behind it on hover."""

    caught: bool
    named: bool | None
    detail: str

    @property
    def text(self) -> str:
        caught = "caught" if self.caught else "NOT caught"
        named = {True: "named", False: "not named", None: "naming n/a"}[self.named]
        return f"{caught} · {named}"

    @property
    def surprise(self) -> bool:
        return not self.caught or self.named is False


@dataclass(frozen=True)
class Row:
    exercise: str
    mistake: str
    device: str
    block: str
    cells: tuple[Cell | None, ...]


@dataclass(frozen=True)
class Matrix:
    id: str
    title: str
    note: str
    seeds: tuple[int, ...]
    rows: tuple[Row, ...]


def matrix(runs: list[MistakeRun], id_: str, title: str, note: str) -> Matrix:
    """Runs as a table: one row per mistake (and device), one column per seed."""
    seeds = tuple(sorted({run.seed for run in runs}))
    keyed: dict[tuple[str, str, str], dict[int, MistakeRun]] = {}
    for run in runs:
        keyed.setdefault((run.device or "", run.exercise, run.mistake), {})[run.seed] = run
    rows = []
    for (device, exercise, mistake), by_seed in keyed.items():
        block = next(iter(by_seed.values())).block or ""
        cells = tuple(
            Cell(r.caught, r.named, _clean(r.detail)) if (r := by_seed.get(s)) else None
            for s in seeds
        )
        rows.append(Row(exercise, mistake, device, block, cells))
    return Matrix(id_, title, note, seeds, tuple(rows))


def matrices(report: Report) -> list[Matrix]:
    """The unit checks' mistakes, and the training checks' (graded or from calibration)."""
    units = [r for r in report.mistakes if r.device is None]
    trained = [r for r in report.mistakes if r.device is not None]
    if report.training:
        training_note = (
            "Graded for real on this machine: each training mistake's notebook trained with the "
            "grader's loop at every seed on every device class; a mistake is caught when its "
            "training check withholds points."
        )
    else:
        training_note = (
            f"Judged from the calibration records ({DIRECTORY}/<device>/<check>.json), not "
            "retrained (--no-training): each mistake's runs on the calibration seeds, caught when "
            "a run crashed, gave unusable outputs, missed the threshold or fell below the leak "
            "floor. The seeds are the calibration's, not this check's."
        )
    training_note += (
        " A training check's feedback lists the likely causes rather than naming one mistake, "
        "so naming does not apply (n/a)."
    )
    unit_note = (
        "Each mistake applied to the reference in rounds (no two related exercises at once) and "
        "graded without training; unit checks do not depend on the device class. Caught: the "
        "exercise lost points and a check the mistake names failed. Named: the feedback names "
        f"this mistake. Naming is judged at seed {NAMING_SEED} alone (n/a at the others): the "
        "feedback recognises a mistake by its answers to the grader's probes, and the mistakes' "
        "answers are recorded for the seed every route grades at."
    )
    return [
        matrix(units, "unit-mistakes", "Known mistakes of the unit checks", unit_note),
        matrix(
            trained, "training-mistakes", "Known mistakes of the training checks", training_note
        ),
    ]


def page_html(report: Report) -> str:
    counts = {kind: 0 for kind in KINDS}
    for finding in report.findings:
        counts[finding.kind] += 1
    nameable = [r for r in report.mistakes if r.named is not None]
    summary = {
        "caught": sum(r.caught for r in report.mistakes),
        "runs": len(report.mistakes),
        "named": sum(bool(r.named) for r in nameable),
        "nameable": len(nameable),
        "minutes": f"{report.seconds / 60:.1f}",
    }
    return _template().render(
        report=report,
        kinds=KINDS,
        counts=counts,
        summary=summary,
        matrices=matrices(report),
        number=number,
        clean=_clean,
    )


def _clean(message: object) -> str:
    """A message as the page shows it: rendered in English, without the machine's folders."""
    return without_folders(str(message))


def write_page(report: Report, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{report.assignment}.html"
    path.write_text(page_html(report), encoding="utf-8")
    return path


@cache
def _template() -> jinja2.Template:
    source = resources.files("autograder").joinpath("templates", "release_check.html.j2")
    environment = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    return environment.from_string(source.read_text(encoding="utf-8"))
