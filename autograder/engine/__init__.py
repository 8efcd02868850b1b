"""Grading engine: probes, cases, kernels, reports."""
