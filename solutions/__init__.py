"""The course code: given code and reference solutions, one module per assignment."""
