"""Figures in the course's language where the machine can draw it, in English where it cannot."""

from __future__ import annotations

import os
import warnings

import pytest

from autograder import figures
from autograder.batch.feedback import learning_curve
from autograder.engine.result import TrainingRecord

RUN = TrainingRecord(
    recipe="names_classifier",
    device="cpu",
    device_name="cpu",
    torch_version="2.13.0",
    seed=1,
    numpy_seed=1,
    random_seed=1,
    steps=10,
    seconds=1.0,
    stopped="decided",
    metric="balanced_accuracy",
    threshold=0.5,
    checkpoints=[(5, 0.4), (10, 0.6)],
    curve=[(1, 2.0), (10, 1.0)],
)


def test_without_a_hangul_font_figures_are_labelled_in_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(figures, "hangul_font", lambda: None)
    assert figures.figure_language("ko") == "en"
    assert figures.figure_language("en") == "en"


def test_a_korean_learning_curve_draws_every_glyph() -> None:
    if figures.hangul_font() is None:
        reason = f"no font with Hangul here (one of {', '.join(figures.HANGUL_FONTS)})"
        if os.environ.get("RNN_GRADER_BROWSER_REQUIRED"):  # CI installs fonts-noto-cjk
            pytest.fail(reason)
        pytest.skip(reason)
    assert figures.figure_language("ko") == "ko"
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Glyph .* missing")  # a box instead of a letter
        uri = learning_curve("names_training", RUN, (0.5, 0.6, 20), lang="ko")
    assert uri.startswith("data:image/png;base64,")
