"""rnn-grader: build, check and grade the RNN course's notebook exercises."""

__version__ = "0.1.0"
