"""The figures behind `similarity.DEFAULT_THRESHOLD` and `MIN_TOKENS`, on names_charlm.

`python -m benchmarks.similarity_threshold` prints, per exercise, the similarity of
- the reference against each known-mistake notebook, the reference not left out (one edit apart
  by construction: what a copy with one change looks like);
- independently written answers (below, written for this measure) against each other, the
  reference left out as `rnn-grader similarity` does;
- two different known mistakes, the reference left out (the demo class holds such pairs);
- each independent answer against itself renamed and re-commented (a copy).
"""

from __future__ import annotations

import itertools
import re

from autograder.authoring.mistakes import with_mistakes
from autograder.batch.similarity import MIN_TOKENS, exercise_code
from autograder.batch.winnow import all_kgrams, fingerprint, overlap
from autograder.config import Course
from autograder.engine.intake import read_notebook
from autograder.exercises import exercises_for

ASSIGNMENT = "names_charlm"
#: answers written apart from the reference, each replacing the template's `...`
INDEPENDENT = {
    "one_hot_encode_string": [
        "    result = torch.zeros((len(text), 58))\n"
        "    idxs = [CHAR_TO_INDEX[c] for c in text]\n"
        "    result[torch.arange(len(text)), idxs] = 1\n"
        "    return result\n",
        "    out = []\n"
        "    for ch in text:\n"
        "        row = torch.zeros(len(VOCAB))\n"
        "        row[CHAR_TO_INDEX[ch]] = 1\n"
        "        out.append(row)\n"
        "    return torch.stack(out) if out else torch.zeros(0, len(VOCAB))\n",
        "    ids = torch.tensor([CHAR_TO_INDEX[c] for c in text], dtype=torch.long)\n"
        "    return F.one_hot(ids, num_classes=len(VOCAB)).float()\n",
    ],
    "names_dataset": [
        '        name = self.df.loc[idx, "name"]\n'
        '        lang = self.df.loc[idx, "language"]\n'
        "        y = torch.tensor(self.class_names.index(lang)).long()\n"
        "        return one_hot_encode_string(name), y\n",
        "        r = self.df.iloc[idx]\n"
        '        x = one_hot_encode_string(r["name"])\n'
        '        target = self.class_names.index(r["language"])\n'
        "        return x, torch.tensor(target, dtype=torch.long)\n",
        '        name, language = self.df.iloc[idx]["name"], self.df.iloc[idx]["language"]\n'
        "        label = torch.tensor(self.class_names.index(language))\n"
        "        return one_hot_encode_string(name), label\n",
    ],
    "custom_rnn": [
        "        steps = x.size(1)\n"
        "        state = x.new_zeros(x.size(0), self.hidden_dim)\n"
        "        for step in range(steps):\n"
        "            inp = x[:, step]\n"
        "            state = torch.tanh(self.W_xh(inp) + self.W_hh(state))\n"
        "        logits = self.W_hy(state)\n"
        "        return logits\n",
        "        h = torch.zeros(x.shape[0], self.hidden_dim).to(x.device)\n"
        "        for xt in x.unbind(dim=1):\n"
        "            h = torch.tanh(self.W_hh(h) + self.W_xh(xt))\n"
        "        return self.W_hy(h)\n",
        "        B, T, _ = x.shape\n"
        "        hidden = torch.zeros(B, self.hidden_dim, device=x.device)\n"
        "        t = 0\n"
        "        while t < T:\n"
        "            hidden = torch.tanh(self.W_xh(x[:, t, :]) + self.W_hh(hidden))\n"
        "            t += 1\n"
        "        out = self.W_hy(hidden)\n"
        "        return out\n",
    ],
    "char_rnn": [
        "        out, h = self.rnn(x, hidden)\n        return self.fc(out), h\n",
        "        if hidden is None:\n"
        "            layers, size = self.rnn.num_layers, self.rnn.hidden_size\n"
        "            hidden = torch.zeros(layers, x.size(0), size, device=x.device)\n"
        "        output, hidden = self.rnn(x, hidden)\n"
        "        return self.fc(output), hidden\n",
        "        seq_out, last = self.rnn(x) if hidden is None else self.rnn(x, hidden)\n"
        "        scores = self.fc(seq_out)\n"
        "        return scores, last\n",
    ],
    "shakespeare_dataset": [
        "        y = self.data[idx + 1 : idx + 1 + self.seq_length]\n",
        "        y = self.data[idx+1:idx+self.seq_length+1].long()\n",
        "        y = self.data[1 + idx : 1 + idx + self.seq_length]\n",
    ],
}
_RENAMES = {
    "result": "res", "idxs": "positions", "out": "rows", "row": "vec", "ch": "letter",
    "ids": "codes", "lang": "lng", "y": "label", "r": "rec", "target": "cls_index", "x": "inp",
    "steps": "n", "state": "hid", "step": "i", "inp": "cur", "logits": "o", "h": "hh",
    "xt": "xs", "hidden": "hdn", "output": "o2", "seq_out": "so", "last": "ls", "scores": "sc",
    "name": "nm", "B": "batch", "T": "length", "t": "k", "layers": "n_layers", "size": "width",
}  # fmt: skip


def answered(template_code: str, body: str) -> str:
    """The template's code for an exercise with its `...` (or `y = ...`) line replaced."""
    lines = template_code.splitlines(keepends=True)
    blank = max(i for i, line in enumerate(lines) if line.strip() in {"...", "y = ..."})
    return "".join(lines[:blank]) + body + "".join(lines[blank + 1 :])


def renamed(code: str) -> str:
    """A copy as a copier makes it: the answer's names changed and a comment added."""
    pattern = r"\b(" + "|".join(_RENAMES) + r")\b"
    return re.sub(pattern, lambda match: _RENAMES[match[1]], code) + "# my own work\n"


def measure(a: str, b: str, given: frozenset[str], ignored: set[int]) -> str:
    found = overlap(fingerprint(a, given, ignored), fingerprint(b, given, ignored))
    listed = "listed" if found.tokens >= MIN_TOKENS else ""
    return f"score {found.score:.2f}, {found.tokens:3} shared tokens {listed}"


def main() -> None:
    course = Course.discover()
    reference = read_notebook(course.master_notebook(ASSIGNMENT))
    template = read_notebook(course.template_dir / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    exercises = exercises_for(ASSIGNMENT, list(course.config.assignment(ASSIGNMENT).exercises))
    for exercise in exercises:
        given_code = exercise_code(template, exercise.id)
        if given_code is None:
            continue
        reference_code = exercise_code(reference, exercise.id) or ""
        given = frozenset(line.strip() for line in given_code.splitlines() if line.strip())
        template_only = all_kgrams(given_code)
        reference_out = template_only | all_kgrams(reference_code, given)

        mistakes = {
            m.name: exercise_code(with_mistakes(course, ASSIGNMENT, {exercise.id: m}), exercise.id)
            or ""
            for m in exercise.mistakes
        }
        answers = [answered(given_code, body) for body in INDEPENDENT.get(exercise.id, [])]
        print(f"== {exercise.id}")
        for name, code in mistakes.items():
            found = measure(reference_code, code, given, template_only)
            print(f"  reference ~ mistake {name[:40]:40} {found}")
        for (i, a), (j, b) in itertools.combinations(enumerate(answers), 2):
            print(f"  independent {i} ~ {j}{'':32} {measure(a, b, given, reference_out)}")
        for (n1, a), (n2, b) in itertools.combinations(mistakes.items(), 2):
            print(f"  mistakes {n1[:20]:20} ~ {n2[:20]:20} {measure(a, b, given, reference_out)}")
        for i, a in enumerate(answers):
            print(
                f"  copy of independent {i}{'':30} {measure(a, renamed(a), given, reference_out)}"
            )


if __name__ == "__main__":
    main()
