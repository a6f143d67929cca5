"""The pages people read (feedback, class report, similarity, release check): one Jinja2 setup.

Autoescaping, undefined names as errors, and the reader's language: `_("{n} students", n=3)` in
a template renders a label as the grader's messages are rendered (`autograder.i18n`), through the
same catalogs, so that one template serves every language.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import jinja2

from autograder.engine.report import STATUS
from autograder.i18n import N_, gettext, render, t

#: what became of a submitted file or an exercise, as the pages say it (the code stays the
#: CSS class): the tables' words, and a file's own fates
STATUS_WORDS = {**STATUS, "superseded": N_("superseded"), "refused": N_("refused")}


def number(value: float) -> str:
    """A score for people: two decimals at most, no trailing zeros."""
    return f"{round(value, 2):g}"


@cache
def environment(lang: str) -> jinja2.Environment:
    """The templates of autograder/templates, rendering their labels in `lang`."""
    pages = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    pages.globals["_"] = lambda template, **params: render(t(template, **params), lang)
    pages.filters["status"] = lambda code: gettext(STATUS_WORDS.get(code, code), lang)
    pages.filters["number"] = lambda value: "–" if value is None else number(value)
    pages.filters["percent"] = lambda value: "–" if value is None else f"{value:.0%}"
    return pages


def _template_source(name: str) -> str:
    return resources.files("autograder").joinpath("templates", name).read_text(encoding="utf-8")
