"""What an instructor hands out, built for one assignment: the student and solution notebooks,
the otter/Gradescope zip and the nbgrader course."""
