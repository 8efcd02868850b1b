"""Autograding kit for deep-learning course assignments (Deep Learning with Python, taught in Korean).

One assignment is one unit (``autograder.assignment``); everything else is generic.
"""
