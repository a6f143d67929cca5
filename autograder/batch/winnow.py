"""Winnowed fingerprints of Python code (Schleimer, Wilkerson and Aiken, SIGMOD 2003), for
`autograder.batch.similarity`.

Code is read with Python's own `tokenize` and normalised so that what a copier changes cheaply
does not count: every name the student chose becomes `V`, every literal `L`, and comments, blank
lines, indentation and trailing commas are dropped. Attribute names (`torch.zeros`, `.shape`) and
builtins stay: a copier cannot rename the library, and without them `F.softmax(...)` and
`F.log_softmax(...)` would read as the same code. Lines the template gave are left out.

Every `K` consecutive tokens are hashed, and winnowing keeps the smallest hash of each `WINDOW`
consecutive ones: any run of `K + WINDOW - 1` shared tokens is certain to share a fingerprint,
and runs under `K` never do. Hashes of code that is not the student's (the template, the
reference solution) are removed. Two documents that share a fingerprint then have every k-gram
they share marked, so that the marks cover whole shared runs.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import keyword
import tokenize
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter

K = 8  # tokens per hashed k-gram: shorter runs are everyday Python, not evidence
WINDOW = 4  # every shared run of K + WINDOW - 1 = 11 tokens is certain to be found
_KEPT_NAMES = frozenset(dir(builtins)) | {"self"}
_DROPPED = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENCODING,
    tokenize.ENDMARKER,
}
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python >= 3.12 splits f-strings
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


@dataclass(frozen=True)
class Token:
    """A normalised token and where it is in the code (character offsets)."""

    kind: str
    start: int
    end: int
    line: int  # 1-based line of its start


@dataclass(frozen=True)
class Segment:
    """A stretch of code as shown: `kind` is "match" (shared own code), "given" (a template
    line), "reference" (also in the reference solution: not counted) or "" (own, not shared)."""

    text: str
    kind: str = ""


@dataclass
class Document:
    """One student's code for one exercise, fingerprinted."""

    code: str
    tokens: list[Token]  # the student's tokens (template lines left out)
    kgrams: list[int | None]  # the hash at each position of `tokens`; None: the template's or
    # the reference's
    fingerprints: dict[int, list[int]]  # the winnowed hashes -> their positions
    own: set[int]  # token positions in no k-gram of the template or the reference
    given_lines: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class Overlap:
    """What two documents share: the marked token positions of each, and how much of each
    one's own code (not the template's, not the reference's) that is."""

    marked_a: set[int]
    marked_b: set[int]
    share_a: float
    share_b: float
    tokens: int  # shared own tokens, the smaller of the two sides

    @property
    def score(self) -> float:
        """The larger share: code copied into a longer answer still shows on the copied side."""
        return max(self.share_a, self.share_b)


def normalise(code: str) -> list[Token]:
    """The code's tokens, names as `V` and literals as `L`; code that does not tokenise to the
    end (a syntax error) keeps the tokens before the error."""
    lines = _lines(code)
    starts = [0]
    for text in lines:
        starts.append(starts[-1] + len(text))

    def offset(position: tuple[int, int]) -> int:
        row, column = position
        return starts[min(row - 1, len(lines))] + column

    tokens: list[Token] = []
    fstring_depth = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type == _FSTRING_START:
                fstring_depth += 1
                if fstring_depth == 1:
                    tokens.append(
                        Token("L", offset(token.start), offset(token.end), token.start[0])
                    )
                continue
            if fstring_depth:
                if token.type == _FSTRING_END:
                    fstring_depth -= 1
                    previous = tokens[-1]
                    tokens[-1] = Token("L", previous.start, offset(token.end), previous.line)
                continue
            kind = _kind(token, after_dot=bool(tokens) and tokens[-1].kind == ".")
            if kind is None:
                continue
            if kind in {")", "]", "}"} and tokens and tokens[-1].kind == ",":
                tokens.pop()  # a trailing comma is formatting (black adds them)
            tokens.append(Token(kind, offset(token.start), offset(token.end), token.start[0]))
    except (tokenize.TokenError, SyntaxError):
        pass
    return tokens


def _kind(token: tokenize.TokenInfo, after_dot: bool) -> str | None:
    if token.type in _DROPPED or not token.string.strip():
        return None
    if token.type == tokenize.NAME:
        if after_dot or keyword.iskeyword(token.string) or token.string in _KEPT_NAMES:
            return token.string
        return "V"
    if token.type in {tokenize.NUMBER, tokenize.STRING}:
        return "L"
    return token.string


def kgram_hashes(kinds: list[str], k: int = K) -> list[int]:
    """A stable 64-bit hash of every k consecutive token kinds (the same in every process)."""
    return [
        int.from_bytes(
            hashlib.blake2b("\x1f".join(kinds[i : i + k]).encode(), digest_size=8).digest(), "big"
        )
        for i in range(len(kinds) - k + 1)
    ]


def winnow(hashes: list[int], window: int = WINDOW) -> list[tuple[int, int]]:
    """(position, hash) of the minimum of every window, the rightmost on ties, each once."""
    if not hashes:
        return []
    chosen: list[tuple[int, int]] = []
    for first in range(max(1, len(hashes) - window + 1)):
        span = range(first, min(first + window, len(hashes)))
        position = min(span, key=lambda i: (hashes[i], -i))
        if not chosen or chosen[-1][0] != position:
            chosen.append((position, hashes[position]))
    return chosen


def all_kgrams(code: str, given_lines: frozenset[str] = frozenset()) -> set[int]:
    """Every k-gram hash of `code`: what a template or a reference contributes to ignore."""
    return set(kgram_hashes([t.kind for t in _student_tokens(code, given_lines)[0]]))


def fingerprint(
    code: str, given_lines: frozenset[str] = frozenset(), ignored: set[int] | None = None
) -> Document:
    """`code` fingerprinted without the lines in `given_lines` (stripped text, the template's)
    and without the k-gram hashes in `ignored` (the template's and the reference's)."""
    ignored = ignored or set()
    tokens, given = _student_tokens(code, given_lines)
    hashes = kgram_hashes([t.kind for t in tokens])
    fingerprints: dict[int, list[int]] = {}
    for position, value in winnow(hashes):
        if value not in ignored:
            fingerprints.setdefault(value, []).append(position)
    covered = {p + i for p, value in enumerate(hashes) if value in ignored for i in range(K)}
    own = set(range(len(tokens))) - covered if hashes else set()
    kgrams = [None if value in ignored else value for value in hashes]
    return Document(code, tokens, kgrams, fingerprints, own, given)


def _student_tokens(code: str, given_lines: frozenset[str]) -> tuple[list[Token], set[int]]:
    """The tokens on lines the template did not give, and the numbers of the given lines."""
    given = {
        number
        for number, text in enumerate(_lines(code), start=1)
        if text.strip() and text.strip() in given_lines
    }
    return [t for t in normalise(code) if t.line not in given], given


def overlap(a: Document, b: Document) -> Overlap:
    """What `a` and `b` share. Winnowing decides whether they share anything (a fingerprint in
    common); then every k-gram both have is marked, so that the marks cover the whole of each
    shared run rather than the winnowed positions alone."""
    if not a.fingerprints.keys() & b.fingerprints.keys():
        return Overlap(set(), set(), 0.0, 0.0, 0)
    marked_a, marked_b = _marked(a, b), _marked(b, a)
    own_a, own_b = marked_a & a.own, marked_b & b.own
    return Overlap(
        marked_a,
        marked_b,
        len(own_a) / len(a.own) if a.own else 0.0,
        len(own_b) / len(b.own) if b.own else 0.0,
        min(len(own_a), len(own_b)),
    )


def _marked(document: Document, other: Document) -> set[int]:
    """The token positions of `document` inside a k-gram that `other` has too."""
    theirs = {value for value in other.kgrams if value is not None}
    return {
        position + i
        for position, value in enumerate(document.kgrams)
        if value is not None and value in theirs
        for i in range(K)
    }


def segments(document: Document, marked: set[int]) -> list[Segment]:
    """The code cut into stretches to show: the marked own tokens (and what lies between two
    marked neighbours), the template's lines, the reference's tokens, and the rest."""
    code = document.code
    kinds = [""] * len(code)
    line_start = 0
    for number, text in enumerate(_lines(code), start=1):
        if number in document.given_lines:
            width = len(text.rstrip("\r\n"))
            kinds[line_start : line_start + width] = ["given"] * width
        line_start += len(text)
    tokens = document.tokens
    reference = set(range(len(tokens))) - document.own
    for kind, positions in (("reference", reference), ("match", marked & document.own)):
        for position in sorted(positions):
            start, end = tokens[position].start, tokens[position].end
            if position - 1 in positions and not document.given_lines.intersection(
                range(tokens[position - 1].line, tokens[position].line + 1)
            ):
                start = tokens[position - 1].end  # and what lies between: one stretch
            kinds[start:end] = [kind] * (end - start)
    return [
        Segment("".join(code[i] for i, _ in run), kind)
        for kind, run in groupby(enumerate(kinds), itemgetter(1))
    ]


def _lines(code: str) -> list[str]:
    """The lines as `tokenize` counts them (split at "\\n" only), with their ends."""
    return io.StringIO(code).readlines()
