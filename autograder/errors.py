"""Errors the grader reports to a person, as opposed to bugs in the grader."""


class GraderError(Exception):
    """A problem with the input or configuration, reported as one clear message.

    The CLI prints these without a traceback and exits non-zero: they are the user's to fix.
    """
