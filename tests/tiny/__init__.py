"""A tiny assignment used only by the kit's tests: two functions, one question.

It is the proof that an assignment is one unit: it lives in this folder alone (its notebook,
answer key, questions and ``ASSIGNMENT``), is found through ``$AUTOGRADER_ASSIGNMENTS``, and is
graded, built for otter and nbgrader, and reported by the generic kit without any change
elsewhere. Its kernels need no TensorFlow, so the batch tests that grade whole classes of it
(parallel workers, kills, resumes) take seconds per notebook.
"""
