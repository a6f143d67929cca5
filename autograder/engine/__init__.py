"""The grading core shared by every route: intake -> run (sandbox) -> check -> result."""
