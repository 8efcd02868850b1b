"""Code that runs inside a student's kernel, sent there as text: standard library and NumPy only,
never importing the rest of the kit (which the kernel cannot import)."""
