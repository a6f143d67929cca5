"""Figures for the pages people read: a figure to draw on, and the PNG data URI it becomes.

Korean labels need a font with Hangul. Where the machine has one (Debian's fonts-noto-cjk, Nanum,
Malgun), it is added behind matplotlib's default as a fallback; where it has none (a bare
Gradescope image), figures are labelled in English instead of drawing empty boxes, and only the
figures: the page around them stays in the course's language.
"""

from __future__ import annotations

import base64
import io
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: fonts with Hangul, in order of preference; matplotlib's own default draws the Latin text
HANGUL_FONTS = (
    "Noto Sans CJK KR",
    "Noto Sans KR",
    "NanumGothic",
    "NanumBarunGothic",
    "Malgun Gothic",
    "AppleGothic",
)


@cache
def hangul_font() -> str | None:
    """The first font with Hangul that matplotlib knows here, if any."""
    from matplotlib import font_manager

    known = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((name for name in HANGUL_FONTS if name in known), None)


def figure_language(lang: str) -> str:
    """The language a figure's labels can be drawn in here: `lang`, or English for Korean
    where no font has Hangul."""
    return "en" if lang == "ko" and hangul_font() is None else lang


def new_figure(width: float, height: float, **options: object) -> tuple[Figure, Axes]:
    """A figure of `width` x `height` inches at 80 dpi, drawn by Agg, with one axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _fallback_font()
    figure = Figure(figsize=(width, height), dpi=80, **options)
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def data_uri(figure: Figure) -> str:
    """The figure as a PNG data URI (no metadata: the same figure gives the same bytes)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@cache
def _fallback_font() -> None:
    """Put the Hangul font behind the default one (matplotlib falls back glyph by glyph)."""
    font = hangul_font()
    if font is not None:
        import matplotlib

        # a list of families: matplotlib draws each glyph in the first of them that has it
        families = list(matplotlib.rcParams["font.family"])
        matplotlib.rcParams["font.family"] = [*families, font]
