"""The time limit inside the child: SIGALRM raises `Timeout` wherever the code is.

`Timeout` is a BaseException, so a notebook's `except Exception` does not swallow it. The child
arms the alarm for each cell and each exercise; a training recipe catches it to return the
checkpoints it reached (recipes/).
"""

from __future__ import annotations

from typing import Any


class Timeout(BaseException):  # noqa: N818 - not an Exception, so student `except Exception` misses it
    """Raised by the alarm when a cell or probe runs past its time."""


def on_alarm(signum: int, frame: Any) -> None:
    raise Timeout()
