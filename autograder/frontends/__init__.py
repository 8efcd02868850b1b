"""Front-ends that drive the hidden checks from inside a notebook kernel: otter (Gradescope)
and nbgrader (JupyterHub)."""
