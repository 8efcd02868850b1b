"""Ready-made cases for a function graded on inputs: values, shape/dtype, no mutation, the
course's asserts and the naive rule. The points of each are given where the question is
written (``points={"values": 2, "shape": 1, ...}``); a kind left out is not a case.

The same call gives the function's public self-check (``public=[...]``): the same kinds of
check, on inputs of its own, run in the student's kernel by ``kernel_side.selfcheck``.

One mistake, one deduction: each kind checks one property. A call that does not return
(the stub's ``NotImplementedError``, a missing name) is one cause for all the function's cases
(``Verdict.detail["cause"]``, one line in the feedback). The asserts and naive-rule cases only
count once the values are right (``Case.requires``), and say so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple, Sequence

from ..kernel_side import compare, naive_rule, runtime, show
from .cases import Case, Probe, ProbeKey, PublicCheck, Verdict

STOP_ERRORS = {"NotImplementedError", "NameError", "Timeout", "Unsupported"}
CASE_KINDS = ("values", "shape", "unchanged", "asserts", "naive")
NEEDS_VALUES = "값이 맞아야"  # Case.requires of the asserts and naive-rule cases

result_array = compare.result_array  # re-exported for the questions
close = compare.close


@dataclass(frozen=True)
class Call:
    """One call of the graded function: positional arguments, optional keywords."""

    args: tuple
    kwargs: tuple = ()  # (name, value) pairs
    names: tuple = ()  # the parameters' names, for messages (default x, y, z, w)
    note: str = ""  # Korean, self-checks only: a hint shown when this call's value is wrong

    def spec(self, name: str, **extra) -> dict:
        return {"op": "call", "object": name, "args": [runtime.encode(a) for a in self.args],
                "kwargs": {k: runtime.encode(v) for k, v in self.kwargs}, **extra}

    def shown(self) -> list[str]:
        return show.arguments(self.args, self.kwargs, self.names)


class FunctionCases(NamedTuple):
    probes: dict
    cases: tuple
    public: PublicCheck | None


def call_probes(name: str, calls: Sequence[Call], kind: str = "value", reference: bool = True,
                stand_ins: Sequence[str] = ()) -> dict[ProbeKey, Probe]:
    """One ``call`` probe per call, keyed ``ProbeKey(name, kind, i)``. ``stand_ins``: helpers
    the function may call (``naive_vector_dot``), replaced during the call by the assignment's
    known-good ones, so a bug in a helper costs the helper's cases only."""
    extra = {"stand_ins": list(stand_ins)} if stand_ins else {}
    return {ProbeKey(name, kind, i): Probe(call.spec(name, **extra), reference) for i, call in enumerate(calls)}


def not_running(name: str, observations) -> Verdict | None:
    """The verdict when the function could not run on any of the ``observations`` (one, or a
    list): not implemented or not defined. One cause, shown once for all the function's cases;
    a function that raises ``NotImplementedError`` on some inputs only is judged call by call."""
    observations = [observations] if isinstance(observations, dict) else list(observations)
    causes = {show.cause(observation) for observation in observations}
    if len(causes) != 1 or None in causes:
        return None
    cause = causes.pop()
    text = show.NOT_IMPLEMENTED if cause == "not_implemented" else show.NOT_DEFINED
    return Verdict(False, f"{name}: {text}", {"cause": cause, "object": name})


def values_verdict(name: str, calls: Sequence[Call], keys: Sequence[ProbeKey], observed, expected) -> Verdict:
    """Every call returns the answer key's value (shape first, then values)."""
    stopped = not_running(name, [observed[key] for key in keys])
    if stopped:
        return stopped
    for call, key in zip(calls, keys):
        want, _ = result_array(expected[key])
        got, problem = result_array(observed[key])
        if problem:
            return Verdict(False, show.mismatch(call.shown(), show.value(want), problem,
                                                f"{name} 호출이 실패했습니다."))
        if got.shape != want.shape:
            return Verdict(False, show.mismatch(call.shown(), show.value(want), show.value(got),
                                                f"{name}: 결과의 모양이 다릅니다."))
        if not close(got, want):
            return Verdict(False, show.mismatch(call.shown(), show.value(want), show.value(got),
                                                f"{name}: 결과 값이 다릅니다."))
    return Verdict(True)


def naive_probe(name: str, call: Call, kind: str = "naive", stand_ins: Sequence[str] = ()) -> tuple[ProbeKey, Probe]:
    """The naive rule's probe: one call on arrays that give their elements one at a time only
    (``runtime.Elements``), then the same call on plain arrays, with the function's source (and
    its helpers') back, keyed ``ProbeKey(name, kind)``; ``stand_ins`` as for the value probes."""
    extra = {"stand_ins": list(stand_ins)} if stand_ins else {}
    return ProbeKey(name, kind), Probe(call.spec(name, trace=True, **extra), reference=False)


def naive_verdict(name: str, call: Call, observation: dict, rule: naive_rule.Rule = naive_rule.NAIVE) -> Verdict:
    """The naive rule on one call (``naive_probe``): no name ``rule`` forbids in the function's
    source or its helpers' (the static opinion), and the same values when its arrays can only be
    read and written element by element as on plain arrays (any vectorised routine refuses them,
    however it is reached). Whether the values are right is the value cases' business."""
    if not observation.get("ok"):
        return Verdict(False, show.error(observation))
    found = naive_rule.findings(observation.get("sources") or [], rule)
    if found:
        return Verdict(False, f"{name}은(는) 반복문으로 직접 구현해야 합니다. "
                              f"반복문 규칙에서 금지한 연산이 보입니다: {', '.join(found)}")
    inputs = ", ".join(show.shape_of(a) for a in call.args)
    plain = {"ok": True, **observation.get("plain", {})}
    if "error" in plain:
        return Verdict(False, f"{name} 호출이 실패했습니다: {show.error(plain)}")
    if "error" in observation:
        return Verdict(False, f"{name}은(는) 항목마다 파이썬 반복문으로 계산해야 합니다. 항목을 하나씩만 꺼낼 수 있는 "
                              f"입력 {inputs}에서 실패했습니다: {show.error(observation)} "
                              "(넘파이·텐서플로우의 벡터화 연산이나 행 단위 연산을 쓴 것으로 보입니다).")
    want, _ = result_array(plain)
    got, problem = result_array(observation)
    if want is not None and (problem or got.shape != want.shape or not close(got, want)):
        return Verdict(False, f"{name}: 항목을 하나씩만 꺼낼 수 있는 입력 {inputs}에서 결과가 넘파이 어레이에서와 다릅니다: "
                              f"어레이에서 {show.value(want)}, 항목별 입력에서 {problem or show.value(got)}")
    return Verdict(True)


def function_cases(name: str, calls: Sequence[Call], *, points: dict[str, float],
                   bad_calls: Sequence[Call] = (), keep_dtype: bool = False, naive: Call | None = None,
                   naive_work: int = 0, stand_ins: Sequence[str] = (), public: Sequence[Call] = (),
                   public_bad: Sequence[Call] = (), public_naive: tuple[Call, int] | None = None,
                   public_dtype: str | None = None,
                   rule: naive_rule.Rule = naive_rule.NAIVE) -> FunctionCases:
    """Probes, cases and the public self-check of one graded function. ``calls`` are ordered
    small to large, so the first failure shown is the smallest input. ``points`` gives each case
    kind its points (``CASE_KINDS``); "asserts" needs ``bad_calls``, "naive" needs ``naive``.

    ``public`` (at least two calls, none of them a hidden input) makes the self-check; it checks
    what the cases check: values, shape, the dtype (the input's with ``keep_dtype``, or
    ``public_dtype="reference"``: the answer key's), the input left unchanged, the asserts on
    ``public_bad`` and the naive rule on ``public_naive`` (a call and its work). ``rule`` is the
    static rule of the naive case (the naive rule unless given)."""
    unknown = set(points) - set(CASE_KINDS)
    if unknown or ("asserts" in points) != bool(bad_calls) or ("naive" in points) != (naive is not None):
        raise ValueError(f"{name}: points {sorted(points)} do not match the calls given")
    if public and (("asserts" in points) != bool(public_bad) or ("naive" in points) != (public_naive is not None)):
        raise ValueError(f"{name}: the self-check must check what the cases check (public_bad, public_naive)")
    probes = call_probes(name, calls, stand_ins=stand_ins)
    keys = tuple(probes)

    def values(observed, expected):
        return values_verdict(name, calls, keys, observed, expected)

    def shape_and_dtype(observed, expected):
        stopped = not_running(name, [observed[key] for key in keys])
        if stopped:
            return stopped
        for call, key in zip(calls, keys):
            want, _ = result_array(expected[key])
            got, problem = result_array(observed[key])
            if problem:
                return Verdict(False, show.mismatch(call.shown(), show.value(want), problem))
            if got.shape != want.shape:
                return Verdict(False, show.mismatch(call.shown(), show.value(want), show.value(got),
                                                    "결과의 모양(shape)이 다릅니다."))
            if keep_dtype and got.dtype != want.dtype:
                return Verdict(False, show.mismatch(
                    call.shown(), show.value(want), show.value(got),
                    f"결과의 dtype이 입력과 같아야 합니다: 기대 {want.dtype}, 받은 {got.dtype}."))
        return Verdict(True)

    def unchanged(observed, expected):
        stopped = not_running(name, [observed[key] for key in keys])
        if stopped:
            return stopped
        for call, key in zip(calls, keys):
            observation = observed[key]
            if not observation.get("ok") or "error" in observation:
                return Verdict(False, show.error(observation))
            if any(observation.get("mutated", [])):
                return Verdict(False, show.mismatch(
                    call.shown(), "입력 어레이는 바뀌지 않아야 합니다", "입력 어레이가 바뀌었습니다",
                    f"{name}이(가) 입력을 직접 수정했습니다. x.copy()로 복사한 뒤 계산하세요."))
        return Verdict(True)

    def needs_values(observed, expected):
        """The verdict when the values are not right yet (then this case does not count)."""
        verdict = values(observed, expected)
        if verdict.passed:
            return None
        if verdict.detail.get("cause"):
            return verdict
        return Verdict(False, f"값이 맞아야 인정되는 항목입니다. 먼저 '{name}: 값' 항목을 통과하세요.",
                       {"cause": "needs_values", "object": name})

    cases = {
        "values": Case(f"{name}: 값", points.get("values", 0), keys, values),
        "shape": Case(f"{name}: 결과 모양{'과 dtype(입력과 같게)' if keep_dtype else ''}", points.get("shape", 0),
                      keys, shape_and_dtype),
        "unchanged": Case(f"{name}: 입력을 바꾸지 않음", points.get("unchanged", 0), keys, unchanged),
    }

    if bad_calls:
        bad = call_probes(name, bad_calls, kind="bad", reference=False)
        probes.update(bad)
        bad_keys = tuple(bad)

        def asserts(observed, expected):
            first = needs_values(observed, expected)
            if first:
                return first
            for call, key in zip(bad_calls, bad_keys):
                observation = observed[key]
                error = (observation.get("error") or {}).get("type")
                if observation.get("ok") and error and error not in STOP_ERRORS:
                    continue
                got = (show.error(observation) if error else
                       f"예외 없이 값을 반환했습니다: {show.value(observation.get('result'))}"
                       if observation.get("result") else show.error(observation))
                return Verdict(False, show.mismatch(
                    call.shown(), "AssertionError (강의 노트의 assert 문)", got,
                    f"{name}: 랭크나 모양이 맞지 않는 입력은 거부해야 합니다."))
            return Verdict(True)

        cases["asserts"] = Case(f"{name}: 랭크·모양 검사(assert)", points["asserts"], keys + bad_keys, asserts,
                                requires=NEEDS_VALUES)

    if naive is not None:
        naive_key, probes[naive_key] = naive_probe(name, naive, stand_ins=stand_ins)

        def loops(observed, expected):
            first = needs_values(observed, expected)
            if first:
                return first
            return naive_verdict(name, naive, observed[naive_key], rule)

        cases["naive"] = Case(f"{name}: 반복문 규칙", points["naive"], keys + (naive_key,), loops,
                              requires=NEEDS_VALUES)
    check = public_check(name, public, shape="shape" in points, dtype=public_dtype or ("input" if keep_dtype else None),
                         unchanged="unchanged" in points, bad_calls=public_bad, naive=public_naive,
                         helpers=stand_ins, rule=rule) if public else None
    made = tuple(replace(cases[kind], kind=kind) for kind in CASE_KINDS if kind in points)
    return FunctionCases(probes, made, check)


def public_check(name: str, calls: Sequence[Call], *, shape: bool = True, dtype: str | None = None,
                 unchanged: bool = False, bad_calls: Sequence[Call] = (),
                 naive: tuple[Call, int] | None = None, helpers: Sequence[str] = (),
                 rule: naive_rule.Rule = naive_rule.NAIVE) -> PublicCheck:
    """The self-check of a function on public inputs (``kernel_side.selfcheck.function_check``):
    values (and shape), the dtype ("input": the input's, "reference": the answer key's), the
    input left unchanged, ``bad_calls`` refused, the naive rule on ``naive`` (a call and its work;
    ``rule``: its static rule, the hidden case's). ``helpers``: graded functions it may call; a
    failure names them when it does."""
    if len(calls) < 2:
        raise ValueError(f"{name}: a self-check needs at least two inputs")
    spec = {"object": name, "calls": [_call_json(c) for c in calls], "shape": shape, "dtype": dtype,
            "unchanged": unchanged, "bad_calls": [_call_json(c) for c in bad_calls], "helpers": list(helpers)}
    if naive is not None:
        spec["naive"] = {**_call_json(naive[0]), "work": naive[1]}
        if rule != naive_rule.NAIVE:  # a stricter rule travels with the spec
            spec["naive"]["rule"] = rule.to_json()
    return PublicCheck(name, "function", spec, tuple(c.spec(name) for c in calls))


def _call_json(call: Call) -> dict:
    found = {"args": [runtime.encode(a) for a in call.args], "kwargs": {k: runtime.encode(v) for k, v in call.kwargs}}
    return {**found, "note": call.note} if call.note else found

