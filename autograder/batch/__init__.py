"""Batch grading: a whole class's submissions, from a folder or an LMS download, in one run."""
