"""Calibrated thresholds: the statistics, the committed files and the human-readable report.

Method. The reference solution is trained with the grader's recipe over N seeds; its metric at
the last checkpoint is fitted with a normal and (for positive metrics) a log-normal
distribution. The one-sided tolerance bound at coverage 99.9% with 95% confidence (factor k
from the Natrella approximation of the noncentral t), the more conservative of the two fits,
is the weakest value a correct submission plausibly reaches: grading at or beyond it fails at
most 0.1% of correct students, even allowing for the uncertainty of a mean and sd estimated
from N runs. Every known mistake is trained over a few seeds and scored at its best
checkpoint (grading passes at the first checkpoint that meets the threshold). The threshold is
placed halfway between the reference's bound and the best value any mistake reached, which
leaves a margin on both sides; calibration fails when a mistake reaches the bound.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np

DIRECTORY = "calibration"
COVERAGE = 0.999
CONFIDENCE = 0.95
#: A language model's held-out loss below this share of the reference's lower tolerance bound
#: means the model sees its targets.
FLOOR_SHARE = 0.5


def fingerprint(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _plain(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def relative_path(device: str, exercise_id: str) -> str:
    return f"{DIRECTORY}/{device}/{exercise_id}.json"


def load(root: Path, device: str, exercise_id: str) -> dict[str, Any] | None:
    path = root / relative_path(device, exercise_id)
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def tolerance_factor(n: int, coverage: float = COVERAGE, confidence: float = CONFIDENCE) -> float:
    """k such that mean - k*sd is below the `coverage` quantile with `confidence` (normal data)."""
    if n < 3:
        raise ValueError("a tolerance bound needs at least 3 runs")
    z_p = NormalDist().inv_cdf(coverage)
    z_g = NormalDist().inv_cdf(confidence)
    a = 1 - z_g**2 / (2 * (n - 1))
    b = z_p**2 - z_g**2 / n
    return (z_p + math.sqrt(z_p**2 - a * b)) / a


def reference_statistics(values: np.ndarray, higher_is_better: bool) -> dict[str, float]:
    """Mean and sd, and the tolerance bounds of a normal and a log-normal fit.

    Losses and perplexities are positive and often skewed to the right (a seed that leaves a
    plateau late), which a normal fit underrates; the log-normal fit covers that case. The
    bound on the failing side is the more conservative of the two fits, `other_bound` (the
    side a leak would be on) likewise.
    """
    n = len(values)
    mean = float(np.mean(values))
    sd = float(np.std(values, ddof=1)) if n > 1 else 0.0
    k = tolerance_factor(n)
    sign = -1.0 if higher_is_better else 1.0
    bounds = [mean + sign * k * sd]
    others = [mean - sign * k * sd]
    if np.all(values > 0):
        logs = np.log(values)
        log_mean, log_sd = float(np.mean(logs)), float(np.std(logs, ddof=1))
        bounds.append(math.exp(log_mean + sign * k * log_sd))
        others.append(math.exp(log_mean - sign * k * log_sd))
    pick = min if higher_is_better else max
    spare = max if higher_is_better else min
    return {
        "n": n,
        "mean": mean,
        "sd": sd,
        "min": float(np.min(values)),
        "max": float(np.max(values)),
        "k": k,
        "bound_normal": bounds[0],
        "bound_lognormal": bounds[1] if len(bounds) > 1 else None,
        "bound": pick(bounds),
        "other_bound": spare(others),
    }


def false_fail_estimate(values: np.ndarray, threshold: float, higher_is_better: bool) -> float:
    """P(a correct run lands on the failing side of `threshold`): the larger of both fits."""
    estimates = [_tail(values, threshold, higher_is_better)]
    if np.all(values > 0) and threshold > 0:
        estimates.append(_tail(np.log(values), math.log(threshold), higher_is_better))
    return max(estimates)


def _tail(values: np.ndarray, threshold: float, higher_is_better: bool) -> float:
    mean, sd = float(np.mean(values)), float(np.std(values, ddof=1))
    if sd <= 0:
        return 0.0
    below = NormalDist(mean, sd).cdf(threshold)
    return below if higher_is_better else 1 - below


def place_threshold(bound: float, worst_mistake: float | None, higher_is_better: bool) -> float:
    """Halfway between the reference's bound and the closest mistake (the bound if none)."""
    if worst_mistake is None:
        return bound
    separated = worst_mistake < bound if higher_is_better else worst_mistake > bound
    if not separated:
        raise ValueError("a known mistake reaches the reference's tolerance bound")
    return (bound + worst_mistake) / 2


def write(root: Path, device: str, exercise_id: str, record: dict[str, Any]) -> Path:
    path = root / relative_path(device, exercise_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, default=_plain) + "\n", encoding="utf-8")
    return path


# --- the report --------------------------------------------------------------------------------


def write_report(root: Path, device: str, exercise_id: str, record: dict[str, Any]) -> list[Path]:
    """calibration/<device>/<exercise>.md and .png: reference against every mistake.

    A failed calibration writes `<exercise>.failed.md/.png` instead, so that it never replaces
    the report of the calibration that is still in force.
    """
    folder = root / DIRECTORY / device
    folder.mkdir(parents=True, exist_ok=True)
    stem = exercise_id if record.get("status", "ok") == "ok" else f"{exercise_id}.failed"
    png = folder / f"{stem}.png"
    _histogram(png, record)
    md = folder / f"{stem}.md"
    md.write_text(_markdown(record, png.name), encoding="utf-8")
    return [md, png]


def _fmt(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.4g}"


def _markdown(record: dict[str, Any], image: str) -> str:
    ref = record["reference"]
    direction = "≥" if record["higher_is_better"] else "≤"
    status = record.get("status", "ok")
    lines = [
        f"# Calibration of `{record['exercise']}` on {record['device_class']}",
        "",
        f"- status: **{status}**" + (f" ({record['problem']})" if record.get("problem") else ""),
        f"- metric: `{record['metric']}` ({record['metric_description']}); a submission passes "
        f"with {direction} **{_fmt(record.get('threshold'))}** at any checkpoint",
        f"- device: {record['device_name']}, torch {record['torch']}, "
        f"{record['threads']} thread(s); trained {_route(record)}",
        f"- recipe: `{record['recipe']}`, {record['steps']} steps, checkpoints "
        f"{record['checkpoints']}; params `{json.dumps(record['params'], sort_keys=True)}`",
        f"- fingerprint: `{record['fingerprint']}`; made {record['created']} by "
        f"`{record['command']}`",
        "",
        "## Reference solution",
        "",
        f"{ref['n']} seeds ({ref['seeds'][0]}…{ref['seeds'][-1]}), metric at the last checkpoint:",
        "",
        "| mean | sd | min | max | k (99.9%, 95% conf.) | bound (normal / log-normal) | "
        "threshold | margin (sd) | false-fail estimate | failing seeds |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| {_fmt(ref['mean'])} | {_fmt(ref['sd'])} | {_fmt(ref['min'])} | {_fmt(ref['max'])} | "
        f"{ref['k']:.3f} | {_fmt(ref['bound_normal'])} / {_fmt(ref['bound_lognormal'])} | "
        f"{_fmt(record.get('threshold'))} | "
        f"{_fmt(record['margins'].get('reference_sd'))} | "
        f"{_sci(record.get('false_fail_estimate'))} | {ref['observed_failures']} of {ref['n']} |",
        "",
        f"Training: {_fmt(ref['train_seconds_mean'])} s per run on average (max "
        f"{_fmt(ref['train_seconds_max'])} s); the grader decides after "
        f"{_fmt(ref['decision_seconds_mean'])} s on average (the first checkpoint that passes). "
        f"Final training loss on its own targets: {_fmt(ref['final_train_loss'])}.",
    ]
    if record.get("floor") is not None:
        lines.append(
            f"Leak floor: a held-out value below {_fmt(record['floor'])} ({FLOOR_SHARE:g} × the "
            "reference's lower tolerance bound) fails as 'the model sees its targets'."
        )
    lines += [
        "",
        "## Known mistakes",
        "",
        "| mistake | rewrites | effect | best value per seed | verdict | margin to threshold |",
        "|---|---|---|---|---|---|",
    ]
    for mistake in record["mistakes"]:
        values = ", ".join(_fmt(v) for v in mistake["best"])
        lines.append(
            f"| {mistake['name']} | `{mistake['block']}` | {mistake['effect']} | {values} | "
            f"{mistake['verdict']} | {_fmt(mistake.get('margin'))} |"
        )
    lines += [
        "",
        f"![reference against the known mistakes]({image})",
        "",
        "## Method",
        "",
        "The reference's metric at the last checkpoint is fitted with a normal and a log-normal "
        "distribution; each fit's one-sided tolerance bound (mean ∓ k·sd, on the log scale for "
        "the log-normal) covers 99.9% of correct runs with 95% confidence (k from the Natrella "
        "approximation for n runs), and the more conservative bound is used. Mistakes are "
        "scored at their best checkpoint, because grading passes at the first checkpoint that "
        "meets the threshold. The threshold lies halfway between the bound and the best "
        "mistake; the false-fail estimate is the larger of the two fits' probability mass "
        "beyond the threshold.",
        "",
    ]
    return "\n".join(lines)


def _sci(value: float | None) -> str:
    if value is None:
        return "–"
    return "< 1e-12" if value < 1e-12 else f"{value:.2g}"


def _histogram(path: Path, record: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4.2))
    reference = [v for v in record["reference"]["final"] if v is not None]
    everything = list(reference)
    for mistake in record["mistakes"]:
        everything += [v for v in mistake["best"] if v is not None and math.isfinite(v)]
    low, high = min(everything), max(everything)
    if record.get("threshold") is not None:
        low, high = min(low, record["threshold"]), max(high, record["threshold"])
    span = (high - low) or 1.0
    bins = np.linspace(low - 0.03 * span, high + 0.03 * span, 60)
    axes.hist(
        reference, bins=bins, color="tab:green", alpha=0.75, label="reference (last checkpoint)"
    )
    colours = ("tab:red", "tab:orange", "tab:purple", "tab:brown", "tab:pink", "tab:olive")
    for number, mistake in enumerate(record["mistakes"]):
        values = [v for v in mistake["best"] if v is not None and math.isfinite(v)]
        label = f"{mistake['name']} (best checkpoint)"
        if not values:
            axes.plot([], [], " ", label=f"{mistake['name']}: {mistake['verdict']}")
            continue
        axes.hist(values, bins=bins, color=colours[number % len(colours)], alpha=0.7, label=label)
    if record.get("threshold") is not None:
        axes.axvline(record["threshold"], color="black", linestyle="--", label="threshold")
        axes.axvline(record["reference"]["bound"], color="grey", linestyle=":", label="99.9% bound")
    if record.get("floor") is not None and low <= record["floor"] <= high:
        axes.axvline(record["floor"], color="black", linestyle="-.", label="leak floor")
    margin = record["margins"].get("reference_sd")
    axes.set_title(
        f"{record['exercise']} on {record['device_class']}: threshold "
        f"{_fmt(record.get('threshold'))}, reference margin {_fmt(margin)} sd"
    )
    axes.set_xlabel(record["metric"])
    axes.set_ylabel("runs")
    axes.legend(fontsize=7, loc="best")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _route(record: dict[str, Any]) -> str:
    """Where the runs trained: through the sandbox (as grading does) or in-process (older)."""
    if record.get("through") == "sandbox":
        return f"through the sandbox ({record.get('tier')} tier, {record.get('workers')} workers)"
    return "in-process"
