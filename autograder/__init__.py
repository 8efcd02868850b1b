"""Autograding kit for the chapter-2 assignment of the Korean Deep Learning with Python course."""

ASSIGNMENT = "ch02"
