"""The self-checks of the student notebook: ``grader.check("q5_dot")``.

Kernel-side (sent as text in the notebook's setup cell, standard library and NumPy only; also
imported normally by the Gradescope autograder's public tests). Each public case of a question
is a one-line doctest, ``case(<spec>, globals())``, that runs one graded object's self-check
and returns True or False; the Korean report of what was called, what was expected and what
came back is kept in ``REPORTS``, which the notebook's ``grader.check`` shows instead of
otter's doctest output (``notebook.py``).

A spec is plain JSON: ``check`` names the check, ``"function"`` (``function_check`` below: a
graded function on public inputs, with the answer key's results as ``expected``) or
``"<module>:<function>"`` of the assignment's kernel-side self-check module.
"""

import importlib
import json

import numpy as np

from . import compare, naive_rule, runtime, show

CANONICAL = "autograder.kernel_side.selfcheck"
# In the notebook the kit's modules are registered under a private prefix (they must not shadow
# the real kit where it is installed); names in specs are resolved with the same prefix.
PREFIX = __name__[: -len(CANONICAL)] if __name__.endswith(CANONICAL) else ""
STOP_ERRORS = {"NotImplementedError", "NameError", "Timeout", "Unsupported"}
CHECK_SECONDS = 20  # one object's whole self-check, outside the per-call limits

REPORTS = []  # the outcomes of the running grader.check, in order


class Outcome:
    """What one object's self-check found: problems (a headline and detail lines each), what
    was checked, or one cause for everything (not implemented, not defined)."""

    def __init__(self, name, checked=(), problems=(), cause=None):
        self.name, self.checked, self.problems, self.cause = name, list(checked), list(problems), cause

    @property
    def passed(self):
        return not self.problems and self.cause is None

    def lines(self):
        if self.cause == "not_implemented":
            return [f"❌ {self.name}: {show.NOT_IMPLEMENTED}"]
        if self.cause == "not_defined":
            return [f"❌ {self.name}: {show.NOT_DEFINED}"]
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
    REPORTS.append(outcome)
    if show_failure and not outcome.passed:
        print("\n".join(outcome.lines()))
    return outcome.passed


def run(spec, namespace):
    if spec["check"] == "function":
        return function_check(spec, namespace)
    module, function = spec["check"].split(":")
    return getattr(importlib.import_module(PREFIX + module), function)(spec, namespace)


def stopped(name, observations):
    """An Outcome with one cause when the object is missing or still the stub (on every input;
    one that stops on some inputs only is checked call by call)."""
    causes = {show.cause(observation) for observation in observations}
    if len(causes) == 1 and None not in causes:
        return Outcome(name, cause=causes.pop())
    return None


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


def _compare(want_payload, got_payload):
    """None when equal, else a Korean headline. Lists and tuples are compared item by item."""
    if want_payload["t"] in ("list", "tuple"):
        items = want_payload["items"]
        if got_payload["t"] not in ("list", "tuple") or len(got_payload["items"]) != len(items):
            return f"길이 {len(items)}인 리스트를 반환해야 합니다."
        for index, (want, got) in enumerate(zip(items, got_payload["items"])):
            problem = _compare(want, got)
            if problem:
                return f"{index}번째 항목: {problem}"
        return None
    want = np.asarray(runtime.decode(want_payload))
    if got_payload["t"] in ("list", "tuple", "none", "bool"):
        return "어레이나 숫자가 아닌 값을 반환했습니다."
    got = np.asarray(runtime.decode(got_payload))
    if got.shape != want.shape:
        return "결과의 모양(shape)이 다릅니다."
    if not compare.close(got, want):
        return "결과 값이 다릅니다."
    return None


def function_check(spec, namespace):
    """The graded function on the public inputs: values, shape, dtype, input left unchanged,
    the asserts on bad inputs and the naive rule, as the hidden cases check them."""
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
        if "error" in observation:
            problems.append(("호출하자 예외가 발생했습니다.",
                             _mismatch(name, call, func, show.value(want["result"]), show.error(observation), True)))
            break
        problem = _compare(want["result"], observation["result"])
        if problem:
            problems.append((problem, _mismatch(name, call, func, show.value(want["result"]),
                                                show.value(observation["result"]), True)))
            break
    if spec.get("dtype") and not problems:
        checked.append("dtype")
        for call, observation, want in zip(calls, observations, expected):
            have = np.asarray(runtime.decode(observation["result"])).dtype
            wanted = np.asarray(runtime.decode(want["result"])).dtype
            if have != wanted:
                why = (f"결과의 dtype이 입력과 같아야 합니다: 기대 {wanted}, 받은 {have}."
                       if spec["dtype"] == "input" else f"결과의 dtype이 {wanted}이어야 합니다: 받은 {have}.")
                problems.append((why, _mismatch(name, call, func, show.value(want["result"]),
                                                show.value(observation["result"]))))
                break
    if spec.get("unchanged"):
        checked.append("입력 보존")
        for call, observation in zip(calls, observations):
            if any(observation.get("mutated", [])):
                lines, _ = _call_text(name, call, func)
                problems.append(("입력 어레이를 직접 수정했습니다. x.copy()로 복사한 뒤 계산하세요.", lines))
                break
    if spec.get("bad_calls"):
        checked.append("assert")
        for call in spec["bad_calls"]:
            observation = runtime.probe_call(namespace, {"op": "call", "object": name, **call})
            error = (observation.get("error") or {}).get("type")
            if error and error not in STOP_ERRORS:
                continue
            lines, _ = _call_text(name, call, func)
            got = show.error(observation) if error else f"예외 없이 값을 반환했습니다: {show.value(observation['result'])}"
            problems.append(("랭크나 모양이 맞지 않는 입력을 거부하지 않았습니다. 강의 노트처럼 assert 문으로 확인하세요.",
                             lines + ["- 기대: AssertionError", f"- 받은 결과: {got}"]))
            break
    if spec.get("naive"):
        checked.append("반복문 규칙")
        problem = naive_problem(name, spec["naive"], namespace)
        if problem:
            problems.append(problem)
    called = [helper for helper in spec.get("helpers", ()) if helper in _global_names(namespace[name])]
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
    """The naive rule on one call, as the hidden case checks it: no routine its static rule
    forbids in the source (``NAIVE``, or ``naive["rule"]``), and the same values when the arrays
    give their elements one at a time only (``runtime.Elements``: vectorised routines refuse
    them) as on plain arrays."""
    observation = runtime.probe_call(namespace, {"op": "call", "object": name, "args": naive["args"],
                                                 "kwargs": naive.get("kwargs", {}), "trace": True})
    plain = observation.get("plain", {})
    if "error" in plain:
        return None  # the value checks already say why the call fails
    rule = naive_rule.Rule.from_json(naive["rule"]) if naive.get("rule") else naive_rule.NAIVE
    found = naive_rule.findings(observation.get("sources") or [], rule)
    if found:
        return (f"반복문 규칙에서 금지한 연산을 썼습니다: {', '.join(found)}",
                ["항목 하나하나를 파이썬 반복문으로 계산해야 합니다. 금지 목록은 문제 셀의 주석에 있습니다."])
    shapes = ", ".join(show.shape_of(runtime.decode(a)) for a in naive["args"])
    if "error" in observation:
        return ("항목마다 파이썬 반복문으로 계산하지 않았습니다.",
                [f"항목을 하나씩만 꺼낼 수 있는 입력 {shapes}에서 실패했습니다: {show.error(observation)}",
                 "어레이나 행 전체를 한 번에 계산하는 연산(np.maximum, x + y, x[i] * y 등)을 쓴 것으로 보입니다."])
    if _compare(plain["result"], observation["result"]):
        return ("항목마다 파이썬 반복문으로 계산하지 않았습니다.",
                [f"항목을 하나씩만 꺼낼 수 있는 입력 {shapes}에서 결과가 넘파이 어레이에서와 다릅니다."])
    return None
