"""`python -m autograder.cli`: the same command as `rnn-grader`."""

from autograder.cli import app

app()
