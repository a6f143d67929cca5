"""The Gradescope route: the autograder zip, its entry point and Gradescope's results.json."""
