"""Training checks: the grader trains the student's components and scores held-out outputs.

`data` turns the course data directory into the arrays a recipe needs (the held-out labels stay
here), `metrics` scores raw outputs with the grader's own targets, `spec` describes one training
check, `settings` reads its budget and threshold from grader.yaml and the calibration files,
`exercise` builds its plan and checks for the engine, `verdict` scores a run and `feedback` words
a failure. `local` and `sandboxed` run the recipes on the reference and the known mistakes, and
`calibration`/`calibrate` set the thresholds from those runs.
"""
