"""The tiny test assignment's corpus: a class of twenty, most of it the same code (see ``corpus``)."""

from __future__ import annotations

from . import Variant

VARIANTS = [
    Variant("reference", "right"),
    Variant("total-python-loop", "right", replace={"slow_total": """
def slow_total(x):
    total = 0
    for value in x:
        total = total + value
    return total
"""}),
    Variant("untouched", "broken", base="student"),
    Variant("scale-mutates-input", "wrong", replace={"scale": """
def scale(x, factor):
    x *= factor
    return x
"""}, expect={"q1_basics": 4}),
    Variant("scale-adds", "wrong", replace={"scale": """
def scale(x, factor):
    return x + factor
"""}, expect={"q1_basics": 3}),
    Variant("total-off-by-one", "wrong", replace={"slow_total": """
def slow_total(x):
    return np.sum(x) - 1
"""}, expect={"q1_basics": 3}),
    Variant("kit-import", "shortcut", replace={"scale": "from tiny.answer_key import scale\n"},
            expect={"q1_basics": 0}, status="채점 도구", kernel=True),
    # A cell grading needs (it defines a graded name) that hangs, or kills the kernel, after the
    # definition; a demonstration cell that hangs is not run at all. The hang waits rather than
    # spins: this class is graded about ten times by the batch tests, whose subject is the rows,
    # and a spinning hang would take a core for its whole cell limit each time. Spinning hangs,
    # stopped by the same limit, are the chapter-2 corpus's (naive-relu-hangs, unstoppable-loop-in-function).
    Variant("hangs-in-a-cell", "broken", append=(
        "def scale(x, factor):\n    return x * factor\nimport time\nwhile True:\n    time.sleep(0.05)",),
            status="시간 제한"),
    Variant("kills-its-kernel", "broken", append=("def scale(x, factor):\n    return x * factor\nimport os\nos._exit(3)",),
            status="커널"),
    Variant("hangs-in-a-demonstration", "broken", append=("while True:\n    pass",), status="ok"),
    Variant("syntax-error", "broken", replace={"scale": "def scale(x, factor)\n    return x\n"},
            expect={"q1_basics": 2}, status="문법 오류"),
    Variant("not-a-notebook", "broken", raw=b"\xff\xfe\x00binary", status="UTF-8"),
    # Right, in a style the static closure cannot see: the stubs stay, a later cell rebinds both
    # names through globals(). Its training must come from its own code, and must not be served
    # to (or from) the untouched notebook, whose closure cells are the same.
    Variant("defined-through-globals", "right", base="student", append=("""
def _install():
    import numpy
    namespace = globals()
    namespace["scale"] = lambda x, factor: x * factor
    namespace["slow_total"] = lambda x: numpy.sum(x)
_install()""",), expect={"q1_basics": 5}),
]
COPIES = [f"copy-{number:02d}" for number in range(1, 10)]  # byte-identical to "reference"
