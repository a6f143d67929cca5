"""What the grader says, in the course's language: message templates rendered through gettext.

A message is recorded language-neutral, as its English template and its parameters (`Text`), and
rendered when someone reads it (feedback, terminal, Gradescope), so that one graded run can be
shown in Korean to students and in English to a TA. The catalogs are Babel-managed `.po` files
under `autograder/locale/<lang>/LC_MESSAGES/`; one file per area keeps authors out of each
other's way, and all of a language's files form one catalog.

Marking, for `pybabel extract` (keywords in `BABEL_KEYWORDS`):
- `t("got {n} of {total} rows wrong", n=3, total=9)`: a template with named parameters;
- `N_("...")`: a plain string marked for translation where it is defined (rendered later);
- `expect(cond, "...")`, `@check("...")`, `Mistake("...")`: literal messages of checks.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Union

from pydantic import BaseModel, ConfigDict

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"
LOCALE_DIR = Path(__file__).parent / "locale"
#: `pybabel extract -k` keywords: function name -> which positional argument is the message
BABEL_KEYWORDS = {
    "t": (1,),
    "N_": (1,),
    "expect": (2,),
    "check": (1,),
    "Mistake": (1,),
    "CheckFailure": (1,),
    "MalformedAnswer": (1,),
    # what a comparison is about ("the logits"): its message says "{what} has the wrong shape"
    "expect_tensor": (2,),
    "expect_shape": (3,),
    "expect_dtype": (3,),
    "expect_close": (3,),
    "expect_equal": (3,),
    "expect_tensor_close": (3,),
    "expect_tensor_equal": (3,),
    "tensor_value": (2,),
    "expect_grads_close": (4,),
}

Param = Union[str, int, float, "Text"]


class Text(BaseModel):
    """A message as recorded: its English template and the values of its `{named}` fields.

    Parameters may be Texts themselves ("expected {what}"), rendered in the same language.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    template: str
    params: dict[str, Param] = {}

    def __str__(self) -> str:
        return render(self, "en")


def t(template: str, /, **params: Param) -> Text:
    """A translatable message with named parameters: `t("got {n} wrong", n=3)`."""
    return Text(template=template, params=params)


def join(parts: list[Text | str], separator: str = " ") -> Text:
    """Messages said one after another (sentences of one paragraph), each rendered on its own."""
    fields = [f"{{part{number}}}" for number in range(len(parts))]
    params: dict[str, Param] = {
        f"part{number}": part if isinstance(part, Text) else Text(template=part)
        for number, part in enumerate(parts)
    }
    return Text(template=separator.join(fields), params=params)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention, recognised by extractors
    """Mark a literal for extraction without translating it here; `render` translates it."""
    return message


@functools.cache
def catalog(lang: str) -> dict[str, str]:
    """Every translated message of `lang` (msgid -> msgstr), from all its `.po` files."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; the grader speaks {', '.join(LANGUAGES)}")
    from babel.messages.pofile import read_po  # only where something is rendered: fast CLI start

    messages: dict[str, str] = {}
    for po in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as handle:
            for message in read_po(handle, locale=lang):
                if message.id and message.string and not message.fuzzy:
                    messages[str(message.id)] = str(message.string)
    return messages


def gettext(message: str, lang: str) -> str:
    """`message` in `lang`; English, the source language, is the message itself."""
    if lang == "en":
        return message
    return catalog(lang).get(message, message)


def render(value: Text | str | None, lang: str) -> str:
    """A recorded message as a person reads it in `lang` ("" for None).

    Floats are rounded for people (two decimals) unless the template gives a format.
    """
    if value is None:
        return ""
    if isinstance(value, str) or not value.params:  # a literal: nothing to fill in
        return gettext(value if isinstance(value, str) else value.template, lang)
    params = {name: _param(param, lang) for name, param in value.params.items()}
    try:
        return gettext(value.template, lang).format(**params)
    except (KeyError, IndexError, ValueError):  # a translation that lost a field: English
        return value.template.format(**params)


def _param(param: Param, lang: str) -> object:
    if isinstance(param, Text):
        return render(param, lang)
    if isinstance(param, float):
        return _Rounded(param)
    return param


class _Rounded(float):
    """A float that prints with two decimals ("2.86", "0.5") but keeps any explicit format."""

    def __format__(self, spec: str) -> str:
        if spec:
            return format(float(self), spec)
        return f"{float(self):.2f}".rstrip("0").rstrip(".") if self % 1 else f"{float(self):.0f}"

    def __str__(self) -> str:
        return format(self, "")


Text.model_rebuild()
