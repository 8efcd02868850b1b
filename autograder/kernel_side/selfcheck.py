"""The self-checks of the student notebook: ``grader.check("q5_dot")``.

Kernel-side (sent as text in the notebook's setup cell, standard library and NumPy only; also
imported normally by the Gradescope autograder's public tests). Each public case of a question
is a one-line doctest, ``case(<spec>, globals())``, that runs one graded object's self-check
and returns True or False; the Korean report of what was called, what was expected and what
came back is kept in ``REPORTS``, which the notebook's ``grader.check`` shows instead of
otter's doctest output (``notebook.py``).

A spec is plain JSON: ``check`` names the check, ``"function"`` (``function_check`` below: a
graded function on public inputs, with the answer key's results as ``expected``), ``"probes"``
(``probe_check``: the assignment's own probes on public inputs, judged by the hidden cases'
judges) or ``"<module>:<function>"`` of the assignment's kernel-side self-check module.
"""

import importlib
import json

import numpy as np

from . import judging, naive_rule, runtime, show

CANONICAL = "autograder.kernel_side.selfcheck"
# In the notebook the kit's modules are registered under a private prefix (they must not shadow
# the real kit where it is installed); names in specs are resolved with the same prefix.
PREFIX = __name__[: -len(CANONICAL)] if __name__.endswith(CANONICAL) else ""
CHECK_SECONDS = 20  # one object's whole self-check, outside the per-call limits

REPORTS = []  # the outcomes of the running grader.check, in order


class Outcome:
    """What one object's self-check found: problems (a headline and detail lines each), what
    was checked, or one cause for everything (not implemented, not defined)."""

    def __init__(self, name, checked=(), problems=(), cause=None):
        self.name, self.checked, self.problems, self.cause = name, list(checked), list(problems), cause
        self.hint = ""  # for an object not defined: the near name the notebook defines instead

    @property
    def passed(self):
        return not self.problems and self.cause is None

    def lines(self):
        if self.cause is not None:
            return [f"❌ {line}" for line in show.one_cause(show.stopped(self.name, self.cause), ())] + \
                ([f"    {self.hint}"] if self.hint else [])
        if self.passed:
            return [f"✅ {self.name}: 통과 ({' · '.join(self.checked)})"]
        (headline, details), others = self.problems[0], self.problems[1:]
        lines = [f"❌ {self.name}: {headline}"]
        for detail in details:  # an array's further rows line up under its first
            first, *more = str(detail).split("\n")
            lines += [f"    {first}"] + [f"      {line}" for line in more]
        if others:
            lines.append("    그 밖에 맞지 않는 것: " + "; ".join(problem[0] for problem in others))
        return lines


def case(spec, namespace, show_failure=False):
    """A doctest's entry point: run one self-check, keep its report, return whether it passed.
    ``show_failure`` prints the report of a failure (where no ``grader.check`` shows it)."""
    if isinstance(spec, str):
        spec = json.loads(spec)
    try:
        with runtime.quiet(), runtime.time_limit(CHECK_SECONDS):
            outcome = run(spec, namespace)
    except runtime.ProbeTimeout:
        outcome = Outcome(spec.get("object", "?"), problems=[(
            f"{CHECK_SECONDS}초 안에 끝나지 않았습니다. 무한 루프가 없는지 확인하세요.", [])])
    except Exception as error:
        outcome = Outcome(spec.get("object", "?"), problems=[(
            f"자가 점검 중 {type(error).__name__} 예외가 발생했습니다: {str(error)[:300]}", [])])
    if outcome.cause == "not_defined":
        outcome.hint = near_name(outcome.name, namespace)
    REPORTS.append(outcome)
    if show_failure and not outcome.passed:
        print("\n".join(outcome.lines()))
    return outcome.passed


def near_name(name, namespace):
    """A Korean line naming what the notebook defines instead of ``name`` (``native_relu`` for
    ``naive_relu``, ``Fit`` for ``fit``), or ""."""
    import difflib

    defined = {key.lower(): key for key, value in namespace.items()
               if not key.startswith("_") and key != name and (callable(value) or isinstance(value, type))}
    close = difflib.get_close_matches(name.lower(), list(defined), n=1, cutoff=0.8)
    if not close:
        return ""
    return f"노트북에는 {defined[close[0]]}이(가) 정의되어 있습니다. 채점하는 이름은 {name}입니다: 이름을 {name}(으)로 고치세요."


def run(spec, namespace):
    if spec["check"] == "function":
        return function_check(spec, namespace)
    if spec["check"] == "probes":
        return probe_check(spec, namespace)
    module, function = spec["check"].split(":")
    return getattr(importlib.import_module(PREFIX + module), function)(spec, namespace)


def stopped(name, observations):
    """An Outcome with one cause when the object is missing or still the stub (on every input;
    one that stops on some inputs only is checked call by call)."""
    causes = {show.cause(observation) for observation in observations}
    if len(causes) == 1 and None not in causes:
        return Outcome(name, cause=causes.pop())
    return None


# ----------------------------------------------------------------------------- the assignment's own probes


def probe_check(spec, namespace):
    """An object checked by the assignment's own probes on public inputs (``spec["probes"]``, run
    with the ``PROBES`` of the modules ``spec["tables"]``) and judged by the hidden cases' judges
    (``spec["judges"]``: their module, then per judge the probe's index, the function's name and
    what it checks) against the answer key's observations of the same probes, through
    ``judging.probe_judge`` as the hidden cases are; the module's ``call(probe)`` words the call.
    A problem whose cause is a value judged wrong elsewhere (``needs_values``) is said only alone."""
    name = spec["object"]
    if name not in namespace:
        return Outcome(name, cause="not_defined")
    table = dict(runtime.GENERIC_PROBES)
    for module in spec["tables"]:
        table.update(importlib.import_module(PREFIX + module).PROBES)
    observations = [runtime.run_probe(probe, namespace, table) for probe in spec["probes"]]
    first = stopped(name, observations)
    if first:
        return first
    recorded = iter(spec["expected"])  # the answer key's, for the probes run on it
    wants = [next(recorded) if used else None for used in spec["referenced"]]
    module, listed = spec["judges"]
    judges = importlib.import_module(PREFIX + module)
    failed, checked = [], []
    for index, judge, label in listed:
        checked += [label] if label not in checked else []
        probe = spec["probes"][index]
        passed, message, detail = judging.probe_judge(getattr(judges, judge), name, judges.call(probe), probe,
                                                      observations[index], wants[index])
        if not passed and message not in [m for m, _ in failed]:
            failed.append((message, detail.get("cause")))
    if any(cause != "needs_values" for _, cause in failed):
        failed = [(m, cause) for m, cause in failed if cause != "needs_values"]
    problems = []
    for message, _ in failed:
        headline, *details = message.splitlines()
        problems.append((headline.removeprefix(f"{name}: "), details))  # the report names the object
    return Outcome(name, checked, problems)


# ----------------------------------------------------------------------------- a function on inputs


def _call_text(name, call, func=None):
    args = [runtime.decode(a) for a in call["args"]]
    kwargs = [(k, runtime.decode(v)) for k, v in call.get("kwargs", {}).items()]
    names = show.parameter_names(func, len(args))
    shown = ", ".join(names[: len(args)] + [f"{k}={v!r}" for k, v in kwargs])
    return [f"호출: {name}({shown})"] + [f"- 입력 {text}" for text in show.arguments(args, (), names)], args


def _input_text(call):
    """The first argument in brief: its shape and dtype, or the number itself."""
    first = np.asarray(runtime.decode(call["args"][0]))
    return repr(first.item()) if first.ndim == 0 else show.shape_of(first)


def _mismatch(name, call, func, expected, got, note=False):
    """The call, its inputs, expected and got; with ``note``, the call's hint (a wrong value)."""
    lines, _ = _call_text(name, call, func)
    return lines + [f"- 기대값: {expected}", f"- 받은 값: {got}"] + ([call["note"]] if note and call.get("note") else [])


def function_check(spec, namespace):
    """The graded function on the public inputs: values, shape, dtype, input left unchanged,
    the asserts on bad inputs and the naive rule, through the hidden cases' own judges
    (``judging``)."""
    name = spec["object"]
    if name not in namespace:
        return Outcome(name, cause="not_defined")
    func, calls, expected = namespace[name], spec["calls"], spec["expected"]
    observations = [runtime.probe_call(namespace, {"op": "call", "object": name, **call}) for call in calls]
    first = stopped(name, observations)
    if first:
        return first
    problems = []
    checked = [f"입력 {' / '.join(_input_text(call) for call in calls)}에서 값"]
    for call, observation, want in zip(calls, observations, expected):
        problem = judging.value(want["result"], observation)
        if problem:
            headline, got = problem
            problems.append((headline, _mismatch(name, call, func, show.value(want["result"]), got, True)))
            break
    returned = [(call, observation, want) for call, observation, want in zip(calls, observations, expected)
                if "error" not in observation]  # dtype and input kept: on the calls that returned
    if spec.get("dtype") and not problems:
        checked.append("dtype")
        for call, observation, want in returned:
            why = judging.dtype(want["result"], observation, spec["dtype"])
            if why:
                problems.append((why, _mismatch(name, call, func, show.value(want["result"]),
                                                show.value(observation["result"]))))
                break
    if spec.get("unchanged"):
        checked.append("입력 보존")
        for call, observation, _ in returned:
            if not judging.input_kept(observation):
                lines, _ = _call_text(name, call, func)
                problems.append((judging.MUTATED, lines))
                break
    if spec.get("bad_calls"):
        checked.append("assert")
        for call in spec["bad_calls"]:
            observation = runtime.probe_call(namespace, {"op": "call", "object": name, **call})
            if judging.refused(observation):
                continue
            lines, _ = _call_text(name, call, func)
            problems.append((judging.NOT_REFUSED, lines + [f"- 기대: {judging.REFUSAL}",
                                                          f"- 받은 결과: {judging.refusal_got(observation)}"]))
            break
    if spec.get("naive"):
        checked.append("반복문 규칙")
        problem = naive_problem(name, spec["naive"], namespace)
        if problem:
            problems.append(problem)
    # The note only where it applies: a helper this function calls whose own self-check failed
    # in this grader.check (the hidden check puts a known-good helper in its place).
    failed = {outcome.name for outcome in REPORTS if not outcome.passed}
    called = [helper for helper in spec.get("helpers", ())
              if helper in _global_names(namespace[name]) and helper in failed]
    if problems and called:
        headline, details = problems[0]
        problems[0] = (headline, details + [
            f"이 함수는 {', '.join(called)}을(를) 호출합니다. 그 함수의 자가 점검부터 통과하는지 보세요 "
            "(채점할 때는 호출하는 함수를 올바른 것으로 바꿔 넣고 이 함수만 확인합니다)."])
    return Outcome(name, checked, problems)


def _global_names(func):
    """The global names a function's code reads (nested code included)."""
    code = getattr(func, "__code__", None)
    names, stack = set(), [code] if code is not None else []
    while stack:
        current = stack.pop()
        names.update(current.co_names)
        stack += [const for const in current.co_consts if hasattr(const, "co_names")]
    return names


def naive_problem(name, naive, namespace):
    """The naive rule on one call, by the hidden case's judge (``judging.naive``): no routine its
    static rule forbids in the source (``NAIVE``, or ``naive["rule"]``), and the same values when
    the arrays give their elements one at a time only as on plain arrays."""
    observation = runtime.probe_call(namespace, {"op": "call", "object": name, "args": naive["args"],
                                                 "kwargs": naive.get("kwargs", {}), "trace": True})
    plain = observation.get("plain", {})
    if "error" in plain:
        return None  # the value checks already say why the call fails
    rule = naive_rule.Rule.from_json(naive["rule"]) if naive.get("rule") else naive_rule.NAIVE
    shapes = ", ".join(show.shape_of(runtime.decode(a)) for a in naive["args"])
    return judging.naive(name, observation, rule, shapes)
