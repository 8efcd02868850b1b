"""Front-ends that put the kit's grading into other platforms: otter (Gradescope) and nbgrader
(JupyterHub). Both grade with ``autograder grade``'s own engine, outside the student's kernel."""
