"""The class report as one HTML file (RUN/report.html) that opens anywhere, offline.

A Jinja2 template with autoescaping and the i18n extension (its labels go through the course's
catalogs, so `--lang ko` needs no other template), its CSS inline and its two kinds of figure as
PNG data URIs: the score distribution, and each training check's reached values beside the
reference solution's calibration runs. Every section has an id (`distribution`, `exercises`,
`checks`, `mistakes`, `training`, `submissions`, `problems`, `students`, and
`student-<id>` for each student) for the staff's bookmarks and for browser tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from autograder import pages
from autograder.atomic import write_atomically
from autograder.batch.exports import safe_name
from autograder.errors import GraderError
from autograder.figures import data_uri, figure_language, new_figure
from autograder.i18n import gettext

if TYPE_CHECKING:
    from autograder.batch.report import Distribution, Report, TrainingCheck
    from autograder.batch.similarity import Similarity
    from autograder.batch.store import Store
    from autograder.config import Course

REPORT_NAME = "report.html"


def render_html(report: Report, similarity: Similarity | None = None) -> str:
    """The report as one self-contained page, in the report's language; with the class's
    similar answers where they were compared (`autograder.batch.similarity`)."""
    figures = {"distribution": score_histogram(report.distribution, report.lang)}
    for index, check in enumerate(report.training):
        figures[f"training-{index}"] = training_figure(check, report.lang)
    return (
        _environment(report.lang)
        .get_template("report.html.j2")
        .render(report=report, figures=figures, similarity=similarity)
    )


def write_report(report: Report, run_dir: Path, similarity: Similarity | None = None) -> Path:
    page = render_html(report, similarity).encode("utf-8")
    return write_atomically(run_dir / REPORT_NAME, page)


def write_class_report(
    course: Course, store: Store, assignment: str, run_dir: Path, lang: str = "en"
) -> Path:
    """RUN/report.html from the store, with the class's similar answers where they can be
    compared (they need the student template: `rnn-grader build`)."""
    from autograder.batch.report import gather
    from autograder.batch.similarity import similar_pairs

    try:
        similarity = similar_pairs(course, run_dir)
    except GraderError:
        similarity = None
    return write_report(gather(store, course, assignment, lang), run_dir, similarity)


def _environment(lang: str) -> jinja2.Environment:
    """The pages' environment in `lang`, with the student anchors' file-safe names."""
    environment = pages.environment(lang).overlay()
    environment.filters["safe_name"] = safe_name
    return environment


def score_histogram(distribution: Distribution, lang: str) -> str:
    """The totals per bin, those that are not final drawn apart, as a PNG data URI."""
    lang = figure_language(lang)
    figure, axes = new_figure(6.4, 2.8, layout="constrained")
    bins = distribution.bins
    left = [b.low for b in bins]
    widths = [b.high - b.low for b in bins]
    final = [b.count - b.not_final for b in bins]
    style = {"align": "edge", "edgecolor": "white"}
    axes.bar(left, final, widths, color="tab:blue", label=gettext("final", lang), **style)
    if distribution.not_final:
        pending = [b.not_final for b in bins]
        label = gettext("not final", lang)
        axes.bar(left, pending, widths, bottom=final, color="tab:orange", label=label, **style)
        axes.legend(fontsize="small")
    axes.set_xlim(0, distribution.max_points)
    axes.set_xlabel(gettext("total points", lang))
    axes.set_ylabel(gettext("students", lang))
    axes.yaxis.get_major_locator().set_params(integer=True)
    return data_uri(figure)


def training_figure(check: TrainingCheck, lang: str) -> str:
    """One row of dots per group (the class, the reference's calibration runs, each known
    mistake's calibration runs) along the metric, and the threshold across them."""
    lang = figure_language(lang)
    groups: list[tuple[str, list[float], str]] = [
        (gettext("class", lang), [r.best for r in check.reached if r.best is not None], "tab:blue")
    ]
    if check.reference:
        label = gettext("reference ({n} runs)", lang).format(n=len(check.reference))
        groups.append((label, check.reference, "tab:green"))
    mistake = gettext("mistake: {name}", lang)
    groups += [
        (mistake.format(name=name), values, "tab:orange")
        for name, values in check.mistakes.items()
        if values
    ]
    figure, axes = new_figure(6.4, 1.0 + 0.45 * len(groups), layout="constrained")
    for row, (_, values, colour) in enumerate(groups):
        # a fixed spread, so that equal values stay visible and the page is the same each time
        offsets = [((index % 5) - 2) * 0.06 for index in range(len(values))]
        axes.scatter(values, [row + o for o in offsets], s=18, color=colour, alpha=0.75)
    axes.axvline(check.threshold, color="tab:red", ls="--", lw=1.2)
    axes.set_yticks(range(len(groups)), [_short(label) for label, _, _ in groups])
    axes.set_ylim(len(groups) - 0.5, -0.5)
    threshold = gettext("threshold {threshold}", lang).format(threshold=f"{check.threshold:.4g}")
    axes.set_xlabel(f"{check.metric} ({threshold})")
    axes.set_title(f"{check.exercise} ({check.device})", fontsize="medium")
    return data_uri(figure)


def _short(label: str, width: int = 34) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"
