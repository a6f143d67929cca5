"""What a Ray worker process does with one piece of a submission (`autograder.batch.ray_executor`).

Ray keeps a worker process for many tasks of the same run, so each process holds one `Zygote`
(torch imported once per worker, as in the local executor) and proves the confinement tier on
its own node, in a child of that zygote, before it grades anything. A node that cannot isolate
answers with its name and the reason, and grades nothing.

The notebook arrives as bytes (the driver's disk need not be shared) and is written to a folder
only this process's user may read, which the preflight proves student code cannot reach, like
the grader's code, the course checkout and the data. What goes back is the grader's own results
as JSON, never an object student code produced.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import socket
import stat
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from autograder.config import Course
from autograder.errors import GraderError
from autograder.sandbox.exchange import Isolation
from autograder.sandbox.spawn import Zygote
from autograder.sandbox.tiers import IsolationError, Protected, isolation_for


@dataclass(frozen=True)
class Piece:
    """Part of one submission's grading: its exercises (None: all) on one kind of resource."""

    source: str
    path: str  # the notebook's path on the driver, which the grader's messages name
    only: tuple[str, ...] | None
    training: bool
    gpu: bool = False
    last: bool = True  # its result finishes the submission


@dataclass
class NodeWorker:
    """One Ray worker process's grading state: kept while the process lives."""

    key: tuple[str, Protected, str | None]
    node: str
    scratch: str
    zygote: Zygote | None = None
    course: Course | None = None
    isolation: Isolation | None = None
    refusal: str = ""  # why this node grades nothing (no tier holds, no course checkout)

    def close(self) -> None:
        if self.zygote is not None:
            self.zygote.close()
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


_current: NodeWorker | None = None


def node_name() -> str:
    """The host and Ray's node id: several nodes may share a host, as in a test cluster."""
    import ray

    return f"{socket.gethostname()} (Ray node {ray.get_runtime_context().get_node_id()[:12]})"


def grade_piece(
    config_path: str,
    assignment: str,
    protected: Protected,
    piece: Piece,
    notebook: bytes,
    slot: int,
) -> str:
    """Grade `piece` of a submission in sandbox uid slot `slot`; the answer as JSON: the results
    (`exercises`, `result`), or `crashed` (a grader bug) or `refused` (this node cannot
    isolate), each naming the node."""
    worker = _worker(config_path, protected)
    if worker.refusal:
        return json.dumps({"node": worker.node, "refused": worker.refusal})
    assert worker.course is not None and worker.isolation is not None
    from autograder.grading import grade_notebook

    exercises: list[str] = []
    with tempfile.TemporaryDirectory(dir=worker.scratch) as folder:
        path = Path(folder) / Path(piece.path).name
        path.write_bytes(notebook)
        try:
            result = grade_notebook(
                worker.course,
                assignment,
                path,
                isolation=replace(worker.isolation, slot=slot),
                only=list(piece.only) if piece.only is not None else None,
                training=piece.training,
                zygote=worker.zygote,
                on_result=lambda graded: exercises.append(graded.model_dump_json()),
            )
        except Exception as error:  # noqa: BLE001 - a grader bug costs this submission only
            message = f"the grader failed on {worker.node}: {error!r}"
            return json.dumps({"node": worker.node, "crashed": message})
        answer = {"exercises": exercises, "result": result.model_dump_json()}
        # The driver's path in the messages, as the local executor writes them.
        for here, there in ((path, piece.path), (folder, str(Path(piece.path).parent))):
            answer = {key: _replaced(value, str(here), there) for key, value in answer.items()}
    return json.dumps({"node": worker.node, **answer})


def _replaced(value: str | list[str], here: str, there: str) -> str | list[str]:
    """`value` (JSON text) with the path `here` made `there`, both as JSON writes them."""
    old, new = json.dumps(here)[1:-1], json.dumps(there)[1:-1]
    if isinstance(value, list):
        return [text.replace(old, new) for text in value]
    return value.replace(old, new)


def _worker(config_path: str, protected: Protected) -> NodeWorker:
    """This process's worker for the run, made on its first task. Ray gives a process the GPU
    it may use in CUDA_VISIBLE_DEVICES; the zygote's children inherit it, so a process handed
    another GPU starts a new zygote."""
    global _current
    key = (config_path, protected, os.environ.get("CUDA_VISIBLE_DEVICES"))
    if _current is not None and _current.key == key:
        return _current
    if _current is not None:
        _current.close()
    _current = _start(key)
    atexit.register(_current.close)
    return _current


def _start(key: tuple[str, Protected, str | None]) -> NodeWorker:
    config_path, protected, _ = key
    worker = NodeWorker(key, node_name(), "")
    if not os.path.isfile(config_path):
        worker.refusal = (
            f"the course checkout is not at {config_path} on this node; every node needs the "
            "grader and the course at the driver's paths (docs/scale-out.md)"
        )
        return worker
    try:
        worker.scratch = _scratch()
    except (GraderError, OSError) as error:
        worker.refusal = f"the grader has no private folder for notebooks here: {error}"
        return worker
    worker.zygote = Zygote()  # it loads torch while this process reads the course
    try:
        worker.course = Course(Path(config_path))
        folder = str(Path(worker.scratch).parent)  # every worker's notebooks on this node
        extra = protected.plus(read=(folder,), write=(folder,))
        worker.isolation = isolation_for(worker.course, extra=extra, zygote=worker.zygote)
    except IsolationError as error:
        worker.refusal = str(error)
    except GraderError as error:
        worker.refusal = f"the grader cannot run here: {error}"
    except Exception as error:  # noqa: BLE001 - the driver reports it; grading stops
        worker.refusal = f"the grader could not prove a confinement tier: {error!r}"
    return worker


def _scratch() -> str:
    """This process's folder for the notebooks it grades: PID under a folder of this node that
    only this user may enter. Folders of workers that died (a killed worker leaves its notebook
    behind) are removed first; a folder whose owner or mode is not ours is refused."""
    shared = Path(tempfile.gettempdir()) / f"rnn-grader-ray-{os.geteuid()}"
    with contextlib.suppress(FileExistsError):
        shared.mkdir(mode=0o700)
    found = shared.lstat()
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.geteuid() or found.st_mode & 0o077:
        raise GraderError(f"{shared} is not a folder of the grader's user alone; remove it")
    for folder in shared.iterdir():
        if folder.name.isdigit() and not Path(f"/proc/{folder.name}").exists():
            shutil.rmtree(folder, ignore_errors=True)
    mine = shared / str(os.getpid())
    shutil.rmtree(mine, ignore_errors=True)  # a dead worker's, whose pid this process reuses
    mine.mkdir(mode=0o700)
    return str(mine)
