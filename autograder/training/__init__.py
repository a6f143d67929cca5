"""Training checks: the grader trains the student's components and scores held-out outputs.

`data` turns the course data directory into the arrays a recipe needs (the held-out labels stay
here), `metrics` scores raw outputs with the grader's own targets, `spec` describes one training
exercise and builds its plan and checks, `local` runs the recipes in this process on the
reference and the known mistakes, and `calibration` sets the thresholds from those runs.
"""
