"""Builders: the student and solution notebooks, the otter/Gradescope zip and the nbgrader course."""
