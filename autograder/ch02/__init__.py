"""The chapter-2 assignment: its questions (one module each), kernel-side probes and self-checks."""
