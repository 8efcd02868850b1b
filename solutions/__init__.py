"""Reference solutions, one module per assignment (``solutions.ch02``)."""
