"""Seconds to a decision per training check on this machine, against the course's own loop.

    RNN_GRADER_DATA=data python -m benchmarks.training [--only names_training] [--course-steps 30]

For each training check it grades the reference notebook through the sandbox (only that check:
child start, the notebook's cells, the grader's training and scoring) and reports that wall
time, which is the time to a decision: the child streams its checkpoints and stops as soon as
the grader has decided. Also printed: the training seconds inside the child and the steps it
trained out of its budget. Next to it: the time the course's own loop takes for the
same exercise with the course's settings. Those loops take minutes to hours on a CPU, so they
run for `--course-steps` steps and the per-step time is multiplied by the course's step count
(marked "extrapolated"); the memorisation task runs in full.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from autograder.config import Course
from autograder.exercises import training_specs
from autograder.grading import grade_notebook
from autograder.training.settings import budget_for, check_device, resolve_threshold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", action="append", help="a training check id (repeatable)")
    parser.add_argument("--course-steps", type=int, default=30, help="steps of each course loop")
    parser.add_argument("--runs", type=int, default=1, help="sandbox gradings per check")
    args = parser.parse_args()
    course = Course.discover()
    data_dir = course.config.resolved_data_dir()
    specs = training_specs(course)
    rows = []
    for exercise_id, spec in specs.items():
        if args.only and exercise_id not in args.only:
            continue
        device = check_device(course, spec)
        budget = budget_for(course, spec, device)
        threshold = resolve_threshold(course, spec, device)
        walls, records = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            result = grade_notebook(
                course, spec.assignment, course.master_notebook(spec.assignment), only=[spec.id]
            )
            walls.append(time.perf_counter() - started)
            status = result.exercises[0].status
            records.append(result.exercises[0].training)
        record = records[-1]
        assert record is not None, f"{exercise_id}: no training record ({status})"
        quiet = io.StringIO()
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            course_seconds, how = COURSE_LOOPS[exercise_id](data_dir, args.course_steps)
        wall = statistics.median(walls)
        stop = f"{record.steps}/{budget.steps} ({record.stopped})"
        rows.append((exercise_id, status, wall, record.seconds, stop, course_seconds, how))
        print(
            f"{exercise_id} on {device}: graded {status} in {wall:.1f} s (trained "
            f"{record.seconds:.1f} s, steps {stop}, threshold {threshold.value:.4g}); "
            f"course loop {course_seconds:.0f} s ({how})",
            flush=True,
        )
    print(f"\ntorch {torch.__version__}, {torch.get_num_threads()} thread(s) in this process")
    header = "| check | grade (sandbox) s | trained s | steps/budget | course loop s | ratio |"
    print(header + "\n|---|---|---|---|---|---|")
    for name, status, wall, train, stop, course_seconds, how in rows:
        print(
            f"| {name} ({status}) | {wall:.1f} | {train:.1f} | {stop} | "
            f"{course_seconds:,.0f} ({how}) | {course_seconds / wall:,.1f}x |"
        )


def _timed(step: Callable[[], None], steps: int) -> float:
    """Seconds per call of `step`, after one warm-up call."""
    step()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - started) / steps


def _single_thread() -> int:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # the course's names loop and the sandbox both use one thread
    return previous


def course_names(data_dir: Path, steps: int) -> tuple[float, str]:
    """solutions.names_charlm.main: batch 1, SGD 0.005, 2 epochs of 17,063 names (+ validation)."""
    from solutions.names_charlm import main

    previous = _single_thread()
    try:
        started = time.perf_counter()
        main(data_dir / "names.csv", max_batches=steps * 50, num_epochs=1, device="cpu")
        per_step = (time.perf_counter() - started) / (steps * 50 * 2)  # train + val batches
    finally:
        torch.set_num_threads(previous)
    total = 2 * (17_063 + 3_011)
    return per_step * total, f"extrapolated from {steps * 50} steps"


def course_char_lm(data_dir: Path, steps: int) -> tuple[float, str]:
    """train_char_rnn: nn.RNN 256, batch 128 x 100, Adam 1e-3, 2 epochs (17,426 steps)."""
    from torch.utils.data import DataLoader

    from solutions import names_charlm as ref

    text = ref.load_text(data_dir / "tiny_shakespeare.txt")
    _, char2idx, _ = ref.build_vocab(text)
    dataset = ref.ShakespeareDataset(ref.encode_text(text, char2idx), 100)
    loader = DataLoader(dataset, batch_size=128, shuffle=True, drop_last=True)
    model = ref.CharRNN(ref.VOCAB_SIZE, 256, 1)
    started = time.perf_counter()
    ref.train_char_rnn(model, loader, num_epochs=1, max_steps=steps)
    per_step = (time.perf_counter() - started) / steps
    return per_step * 2 * len(loader), f"extrapolated from {steps} steps"


def course_anna(data_dir: Path, steps: int) -> tuple[float, str]:
    """The course's run: LSTM 2 x 512, batch 128 x 100, 1 epoch (139 steps), validation aside."""
    from solutions import anna_lstm as ref

    text = ref.load_text(data_dir / "anna.txt")
    chars, _, char2int = ref.build_char_maps(text)
    encoded = ref.encode_text(text, char2int)
    net = ref.CharRNN(chars, n_hidden=512, n_layers=2)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.001)
    criterion = torch.nn.CrossEntropyLoss()
    batches = ref.get_batches(encoded, 128, 100)
    hidden = net.init_hidden(128)

    def step() -> None:
        nonlocal hidden
        x, y = next(batches)
        inputs = torch.from_numpy(ref.one_hot_encode(x, len(chars)))
        hidden = tuple(each.detach() for each in hidden)
        net.zero_grad()
        output, hidden = net(inputs, hidden)
        criterion(output, torch.from_numpy(y).reshape(-1).long()).backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5)
        optimizer.step()

    per_step = _timed(step, max(2, steps // 10))
    steps_per_epoch = int(len(encoded) * 0.9) // (128 * 100)
    return per_step * steps_per_epoch, f"extrapolated from {max(2, steps // 10)} steps"


def course_word_lm(data_dir: Path, steps: int) -> tuple[float, str]:
    """The course's run: LSTM 2 x 200, vocabulary 33,278, batch 20 x 35, lr 20, 6 epochs."""
    from solutions import word_lm as ref

    corpus = ref.Corpus(data_dir / "wikitext-2")
    data = ref.bptt_batchify(corpus.train, ref.TRAIN_BATCH_SIZE, ref.SEQUENCE_LENGTH)
    torch.manual_seed(ref.SEED)
    model = ref.RNNModel(ref.RNN_TYPE, len(corpus.dictionary))
    sample = max(2, steps // 5)
    started = time.perf_counter()
    ref.train(model, data[:sample], ref.LEARNING_RATE)
    per_step = (time.perf_counter() - started) / sample
    return per_step * len(data) * ref.NUM_EPOCHS, f"extrapolated from {sample} steps"


def course_memorise(data_dir: Path, steps: int) -> tuple[float, str]:
    """train_onehot_rnn: hidden 35, Adam 0.01, 100 epochs over the sentence, in full."""
    from solutions.rnn_basics import scratch

    torch.manual_seed(0)
    one_hot = torch.from_numpy(np.asarray(scratch.string_to_onehot(scratch.sentence))).float()
    rnn = scratch.RNN(scratch.n_letters, 35, scratch.n_letters)
    started = time.perf_counter()
    scratch.train_onehot_rnn(rnn, one_hot, epochs=100, print_every=0)
    return time.perf_counter() - started, "measured in full"


COURSE_LOOPS: dict[str, Callable[[Path, int], tuple[float, str]]] = {
    "names_training": course_names,
    "charlm_training": course_char_lm,
    "anna_training": course_anna,
    "word_lm_training": course_word_lm,
    "rnn_cell_training": course_memorise,
}


if __name__ == "__main__":
    main()
