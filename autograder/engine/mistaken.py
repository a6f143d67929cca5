"""Known mistakes named in the feedback: a student's outputs compared with each known mistake's.

The grader grades every known mistake of an exercise itself (the reference notebook with the
mistake applied: `autograder/authoring/signatures.py`) on the same probes a student's code
answers, and keeps a compact digest of each probe's answer: its structure exactly (types,
shapes, dtypes, devices, the type of an error raised), integer, boolean and text data exactly
(a hash), and float data as its norm and a few fixed random projections, compared with a
relative tolerance as tight as the checks' own. An exercise that did not earn full marks is
digested the same way, and a mistake is named when the student's digests agree with it on every
probe (an error by its type). A mistake whose outputs equal the reference's (only a source check
sees it: a built-in layer, a hard-coded count) is named when the outputs agree with the
reference and the hidden checks that failed are exactly the ones that failed for the mistake.
Mistakes that fit alike are told apart by their failed checks, then by their errors' messages;
where two still fit, none is named: a wrong name misleads more than none.

Only a mistake's name and hint reach the result; digests, probes and expected values stay here.
"""

from __future__ import annotations

import functools
import hashlib
import math
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from autograder.atomic import write_atomically
from autograder.engine.exercise import Exercise, Plan
from autograder.engine.public_tests import PROBE as PUBLIC_PROBE
from autograder.engine.result import ExerciseResult, NamedMistake
from autograder.sandbox.exchange import ExerciseAnswer

#: bump when a digest's content or comparison changes: older signature files are then stale
FORMAT = 3
#: float data agree when every projection and the norm differ by at most this fraction of the
#: norm (plus `ATOL` per element): the unit checks' own elementwise tolerance, rtol 1e-4
RTOL = 1e-4
ATOL = 1e-6
PROJECTIONS = 4
#: a float scalar (a loss, a count as float) agrees within this relative tolerance
SCALAR_RTOL = 1e-4
#: an error's description: its type counts; its message only breaks ties; frames never
ERROR_KEYS = {"type", "message", "frames"}


class MistakeSignature(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    #: probe name -> digest of the mistake's answer
    probes: dict[str, Any]
    #: the hidden checks that failed for the mistake
    failed: list[str]


class ExerciseSignature(BaseModel):
    """One exercise's reference and mistake digests, valid for one `key` (see `signature_key`)."""

    model_config = ConfigDict(extra="forbid")

    exercise: str
    key: str
    reference: dict[str, Any]
    mistakes: list[MistakeSignature]


def signature_key(fingerprint: str, seed: int, torch_version: str, code_sha256: str) -> str:
    """What a signature depends on: the exercise's definition (fingerprint: checks, reference,
    configuration), the plan seed, torch, the master notebook's code cells (`code_sha256`)."""
    text = f"{FORMAT}\0{fingerprint}\0{seed}\0{torch_version}\0{code_sha256}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def signature_file(root: Path, assignment: str, exercise_id: str) -> Path:
    return root / assignment / f"{exercise_id}.json"


def load_signature(roots: list[Path], assignment: str, exercise_id: str, key: str):
    """The first signature of `exercise_id` under `roots` made for `key`, or None."""
    for root in roots:
        path = signature_file(root, assignment, exercise_id)
        try:
            found = ExerciseSignature.model_validate_json(path.read_bytes())
        except (OSError, ValueError):
            continue
        if found.key == key and found.exercise == exercise_id:
            return found
    return None


def save_signature(root: Path, assignment: str, signature: ExerciseSignature) -> Path:
    path = signature_file(root, assignment, signature.exercise)
    return write_atomically(path, signature.model_dump_json().encode())


def answer_digests(plan: Plan, answer: ExerciseAnswer) -> dict[str, Any] | None:
    """Each of the plan's own probes' answer, digested; None where the exercise had no answer.

    The public tests' probe is left out: it runs the notebook's own tests, which a student may
    have edited.
    """
    if answer.fatal or len(answer.probes) < len(plan.probes):
        return None
    return {
        name: _digest(raw, answer.arrays)
        for name, raw in zip(plan.probes, answer.probes, strict=False)
        if name != PUBLIC_PROBE
    }


class MistakeNamer:
    """Fills `ExerciseResult.mistake` from the signatures of the exercises graded (the engine's
    `explain` hook)."""

    def __init__(self, signatures: dict[str, ExerciseSignature]) -> None:
        self.signatures = signatures

    def __call__(
        self, exercise: Exercise, plan: Plan, answer: ExerciseAnswer, result: ExerciseResult
    ) -> ExerciseResult:
        signature = self.signatures.get(exercise.id)
        if signature is None or result.status not in {"partial", "failed"}:
            return result
        digests = answer_digests(plan, answer)
        if digests is None:
            return result
        failed = {c.name for c in result.checks if c.hidden and not c.passed}
        known = {m.name: m for m in exercise.mistakes}
        names = [n for n in matching_mistakes(signature, digests, failed) if n in known]
        if not names:
            return result
        first, *others = (NamedMistake(name=n, hint=known[n].hint) for n in names)
        named = first.model_copy(update={"also": others})
        return result.model_copy(update={"mistake": named})


#: the most known mistakes named together, when nothing tells them apart
MAX_TWINS = 3


def matching_mistakes(
    signature: ExerciseSignature, digests: dict[str, Any], failed: set[str]
) -> list[str]:
    """The known mistake the digests fit (see the module's docstring); several only where
    nothing the grader sees tells them apart (at most MAX_TWINS), none where more fit."""
    reference = signature.reference
    if set(digests) != set(reference):
        return []
    # a probe the reference answers without data (meta tensors: devices and shapes only) is
    # compared by its structure: a wrong answer's numbers there are uninitialised memory
    shaped = {p for p in reference if not _has_data(reference[p])}

    def fit(left: dict[str, Any], right: dict[str, Any], probe: str, strict: bool = False) -> bool:
        if probe in shaped:
            left, right = _structure(left[probe]), _structure(right[probe])
            return same(left, right, strict)
        return same(left[probe], right[probe], strict)

    like_reference = all(fit(digests, reference, p) for p in reference)
    fits = []
    for mistake in signature.mistakes:
        visible = any(not fit(mistake.probes, reference, p) for p in reference)
        if visible:
            agrees = all(fit(digests, mistake.probes, p) for p in reference)
        else:
            agrees = like_reference and failed == set(mistake.failed)
        if agrees:
            fits.append(mistake)
    if len(fits) > 1:  # outputs alike: the failed checks may still tell them apart
        fits = [m for m in fits if set(m.failed) == failed]
    if len(fits) > 1:  # and the errors' messages (torch's say which size or device is wrong)
        fits = [m for m in fits if all(fit(digests, m.probes, p, True) for p in reference)]
    return [m.name for m in fits] if len(fits) <= MAX_TWINS else []


def _has_data(digest: Any) -> bool:
    if isinstance(digest, dict):
        return "data" in digest or any(_has_data(value) for value in digest.values())
    if isinstance(digest, list):
        return any(_has_data(item) for item in digest)
    return False


def _structure(digest: Any) -> Any:
    """The digest without its numbers (types, dtypes, devices, shapes, errors stay)."""
    if isinstance(digest, dict):
        return {key: _structure(value) for key, value in digest.items() if key != "data"}
    if isinstance(digest, list):
        return [_structure(item) for item in digest]
    return digest


def same(left: Any, right: Any, strict: bool = False) -> bool:
    """Two digests agree: structure exactly, float data and float scalars within tolerance;
    `strict`: errors' messages too, not only their types."""
    if isinstance(left, dict) and isinstance(right, dict):
        if left.keys() != right.keys():
            return False
        if "error" in left and "said" in left and not strict:
            return left["error"] == right["error"]
        if left.get("kind") == "float" and right.get("kind") == "float":
            return _floats_agree(left, right)
        if left.get("type") == "float" and "value" in left:
            return _scalars_agree(left["value"], right["value"]) and all(
                same(left[k], right[k], strict) for k in left if k != "value"
            )
        return all(same(left[k], right[k], strict) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        pairs = zip(left, right, strict=False)
        return len(left) == len(right) and all(same(a, b, strict) for a, b in pairs)
    return type(left) is type(right) and left == right


def _floats_agree(left: dict[str, Any], right: dict[str, Any]) -> bool:
    if left["size"] != right["size"] or left["nonfinite"] != right["nonfinite"]:
        return False
    tolerance = RTOL * max(left["norm"], right["norm"]) + ATOL * math.sqrt(left["size"])
    pairs = [(left["norm"], right["norm"]), *zip(left["proj"], right["proj"], strict=True)]
    return all(abs(a - b) <= tolerance for a, b in pairs)


def _scalars_agree(left: Any, right: Any) -> bool:
    if not (isinstance(left, (int, float)) and isinstance(right, (int, float))):
        return left == right
    if math.isnan(left) or math.isnan(right):
        return math.isnan(left) and math.isnan(right)
    return math.isclose(left, right, rel_tol=SCALAR_RTOL, abs_tol=ATOL)


def _digest(node: Any, arrays: dict[str, np.ndarray]) -> Any:
    """A JSON-able digest of one described value (see the child's `describe`)."""
    if isinstance(node, list):
        return [_digest(item, arrays) for item in node]
    if not isinstance(node, dict):
        return node
    if node.keys() >= ERROR_KEYS:  # the message only breaks ties (`same(strict=True)`)
        said = hashlib.sha256(str(node["message"]).encode()).hexdigest()[:16]
        return {"error": node["type"], "said": said}
    digest = {key: _digest(value, arrays) for key, value in node.items() if key != "array"}
    if isinstance(digest.get("grads"), dict):  # a zero gradient is as good as none
        digest["grads"] = {
            name: grad for name, grad in digest["grads"].items() if not _all_zero(grad)
        }
    key = node.get("array")
    if isinstance(key, str) and key in arrays:
        digest["data"] = array_digest(arrays[key])
    return digest


def _all_zero(digest: Any) -> bool:
    data = digest.get("data") if isinstance(digest, dict) else None
    return isinstance(data, dict) and data.get("kind") == "float" and data["norm"] == 0.0


def array_digest(data: np.ndarray) -> dict[str, Any]:
    """Float data: size, non-finite counts, norm and projections; any other data: a hash."""
    data = np.asarray(data)
    if data.dtype.kind not in "fc":
        content = f"{data.dtype.str}{data.shape}".encode() + np.ascontiguousarray(data).tobytes()
        return {"kind": "exact", "sha256": hashlib.sha256(content).hexdigest()[:32]}
    values = data.astype(np.complex128).ravel() if data.dtype.kind == "c" else data.ravel()
    values = np.concatenate([values.real, values.imag]) if data.dtype.kind == "c" else values
    values = values.astype(np.float64)
    nonfinite = [int(np.isnan(values).sum()), int(np.isposinf(values).sum())]
    nonfinite.append(int(np.isneginf(values).sum()))
    values = np.where(np.isfinite(values), values, 0.0)
    return {
        "kind": "float",
        "size": int(values.size),
        "nonfinite": nonfinite,
        "norm": float(np.linalg.norm(values)),
        "proj": [float(p) for p in _directions(values.size) @ values] if values.size else [],
    }


@functools.lru_cache(maxsize=64)
def _directions(size: int) -> np.ndarray:
    """`PROJECTIONS` fixed random unit vectors of length `size` (the same in every process)."""
    directions = np.random.default_rng(size).standard_normal((PROJECTIONS, size))
    return directions / np.linalg.norm(directions, axis=1, keepdims=True)
