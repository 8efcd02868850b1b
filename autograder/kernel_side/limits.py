"""Time limits that student code cannot swallow, and the one rule for what student code is.

Kernel-side: this module runs inside a student's kernel, sent there as text (standard library
only), and in the grader's own process, imported normally. A time limit of the kit (a probed
call) is a ``Stopper``: once its alarm fires, every line of student code raises again, so a
loop that catches the first exception (``except BaseException: pass``) still ends; library and
kit code is left alone.
"""

import contextlib
import os
import signal
import sys
import threading

KIT_FILENAME_PREFIX = "<autograder/"  # the kit's kernel-side code, compiled under these names
STUDENT_PSEUDO_FILES = ("<string>", "<ipython-input", "<stdin>")  # exec'd or typed code is the student's


def _library_roots():
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    return tuple(os.path.realpath(root) + os.sep for root in roots if root)


def _kit_dir():
    """The kit's own folder when this module is imported from a file (not when sent as text)."""
    here = globals().get("__file__") or ""
    if here.startswith(os.sep):
        return (os.path.dirname(os.path.dirname(os.path.realpath(here))) + os.sep,)
    return ()


class StudentCode:
    """Decides, per code object's file name, whether code is the student's: anything not in
    the interpreter's libraries, not the kit's, and not a pseudo-file of Python's own
    (``<frozen ...>``) is. ``exempt_files`` and ``exempt_dirs`` add more non-student code
    (e.g. otter's test cell)."""

    def __init__(self, exempt_files=(), exempt_dirs=()):
        self.exempt_files = frozenset(exempt_files)
        self.roots = _library_roots() + _kit_dir() + tuple(exempt_dirs)
        self.verdicts = {}

    def __call__(self, code):
        filename = code.co_filename
        verdict = self.verdicts.get(filename)
        if verdict is None:
            if filename in self.exempt_files:
                verdict = False
            elif filename.startswith("<"):
                verdict = filename.startswith(STUDENT_PSEUDO_FILES)
            else:
                verdict = not os.path.realpath(filename).startswith(self.roots)
            self.verdicts[filename] = verdict
        return verdict

    def frames(self, frame):
        """The frames of student code on the stack, innermost first."""
        found = []
        while frame is not None:
            if self(frame.f_code):
                found.append(frame)
            frame = frame.f_back
        return found


class Stopper:
    """A signal handler that stops student code: ``make_error()`` is raised at the alarm and
    then on every line of student code, until no student frame is left on the stack."""

    def __init__(self, make_error, student=None):
        self.make_error = make_error
        self.student = student or StudentCode()
        self.fired = False

    def _trace(self, frame, event, arg):
        # Not on "exception" events: an exception raised by a trace function also ends the
        # tracing, and the handler that swallows it would then run untraced.
        if event != "exception" and self.student(frame.f_code):
            raise self.make_error()
        if event == "exception":
            return self._trace
        if not self.student.frames(frame):
            sys.settrace(None)  # the student's code has stopped: the caller is reporting it
        return None

    def alarm(self, signum, frame):
        frames = self.student.frames(frame)
        if frames:  # otherwise the student's code already stopped
            self.fired = True
            sys.settrace(self._trace)  # frames entered from now on
            for each in frames:  # and the ones already running
                each.f_trace, each.f_trace_lines = self._trace, True
            raise self.make_error()


def can_alarm():
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def start(seconds, handler):
    """SIGALRM after ``seconds``, then every second until ``stop``."""
    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001), 1.0)


def stop(previous_trace=None):
    signal.setitimer(signal.ITIMER_REAL, 0)
    sys.settrace(previous_trace)


@contextlib.contextmanager
def time_limit(seconds, make_error, student=None):
    """Limit the block to ``seconds`` of wall time (main thread only: kernels run cells there)."""
    if not seconds or not can_alarm():
        yield
        return
    stopper = Stopper(make_error, student)
    previous_handler, previous_trace = signal.getsignal(signal.SIGALRM), sys.gettrace()
    start(seconds, stopper.alarm)
    try:
        yield stopper
    finally:
        stop(previous_trace)
        signal.signal(signal.SIGALRM, previous_handler)
