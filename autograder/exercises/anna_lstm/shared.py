"""What more than one anna_lstm exercise uses: the assignment's name and get_batches' y line."""

from __future__ import annotations

ASSIGNMENT = "anna_lstm"
#: The reference get_batches' line that builds y; known mistakes replace it.
Y_LINE = "y = np.concatenate([x[:, 1:], following[:, None]], axis=1)"
