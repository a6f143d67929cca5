"""Course policies applied to graded results: late penalties, submission limits."""
