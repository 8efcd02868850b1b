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

from ..kernel_side import compare, judging, naive_rule, runtime, show
from .cases import Case, Probe, ProbeKey, PublicCheck, Verdict

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
    return Verdict(False, show.stopped(name, cause), {"cause": cause, "object": name})


def crashed(name: str, observations) -> Verdict | None:
    """The verdict when every call raised the same error: one cause, said once for all the
    function's cases (a crash is not repeated per case)."""
    errors = {(o.get("error") or {}).get("type", "?") + ": " + str((o.get("error") or {}).get("message", ""))
              if (not o.get("ok") or "error" in o) else None for o in observations}
    if len(errors) != 1 or None in errors:
        return None
    return Verdict(False, f"{name}: 모든 입력에서 " + show.error(observations[0]), {"cause": "step", "object": name})


def values_verdict(name: str, calls: Sequence[Call], keys: Sequence[ProbeKey], observed, expected) -> Verdict:
    """Every call returns the answer key's value (shape first, then values)."""
    stopped = not_running(name, [observed[key] for key in keys]) or crashed(name, [observed[key] for key in keys])
    if stopped:
        return stopped
    for call, key in zip(calls, keys):
        problem = judging.value(expected[key]["result"], observed[key])
        if problem:
            headline, got = problem
            return Verdict(False, show.mismatch(call.shown(), show.value(expected[key]["result"]), got,
                                                f"{name}: {headline}"))
    return Verdict(True)


def naive_probe(name: str, call: Call, kind: str = "naive", stand_ins: Sequence[str] = ()) -> tuple[ProbeKey, Probe]:
    """The naive rule's probe: one call on arrays that give their elements one at a time only
    (``runtime.Elements``), then the same call on plain arrays, with the function's source (and
    its helpers') back, keyed ``ProbeKey(name, kind)``; ``stand_ins`` as for the value probes."""
    extra = {"stand_ins": list(stand_ins)} if stand_ins else {}
    return ProbeKey(name, kind), Probe(call.spec(name, trace=True, **extra), reference=False)


def naive_verdict(name: str, call: Call, observation: dict, rule: naive_rule.Rule = naive_rule.NAIVE) -> Verdict:
    """The naive rule on one call (``naive_probe``), by ``judging.naive``: the self-check's judge."""
    problem = judging.naive(name, observation, rule, ", ".join(show.shape_of(a) for a in call.args))
    if problem:
        headline, details = problem
        return Verdict(False, "\n".join([headline, *details]))
    return Verdict(True)


def function_cases(name: str, calls: Sequence[Call], *, points: dict[str, float],
                   bad_calls: Sequence[Call] = (), keep_dtype: bool = False, naive: Call | None = None,
                   stand_ins: Sequence[str] = (), public: Sequence[Call] = (),
                   public_bad: Sequence[Call] = (), public_naive: Call | None = None,
                   public_dtype: str | None = None,
                   rule: naive_rule.Rule = naive_rule.NAIVE) -> FunctionCases:
    """Probes, cases and the public self-check of one graded function. ``calls`` are ordered
    small to large, so the first failure shown is the smallest input. ``points`` gives each case
    kind its points (``CASE_KINDS``); "asserts" needs ``bad_calls``, "naive" needs ``naive``.

    ``public`` (at least two calls, none of them a hidden input) makes the self-check; it checks
    what the cases check: values, shape, the dtype (the input's with ``keep_dtype``, or
    ``public_dtype="reference"``: the answer key's), the input left unchanged, the asserts on
    ``public_bad`` and the naive rule on the call ``public_naive``. ``rule`` is the
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

    def returned(observed):
        """The calls that returned (shape and "input unchanged" are judged on those alone: a
        call that raised costs the values case), or the verdict when none did."""
        stopped = not_running(name, [observed[key] for key in keys]) or crashed(name, [observed[key] for key in keys])
        if stopped:
            return [], stopped
        done = [(call, key) for call, key in zip(calls, keys)
                if observed[key].get("ok") and "error" not in observed[key]]
        if not done:
            return [], Verdict(False, f"{name}: 어떤 입력에서도 값을 반환하지 않아 확인할 수 없습니다. "
                                      f"먼저 '{name}: 값' 항목의 오류를 고치세요.",
                               {"cause": "needs_values", "object": name})
        return done, None

    def shape_and_dtype(observed, expected):
        done, stopped = returned(observed)
        if stopped:
            return stopped
        for call, key in done:
            want, got = expected[key]["result"], observed[key]
            problem = judging.value(want, got)
            if problem and problem[0] in (judging.SHAPE, judging.NOT_ARRAY):  # wrong values are the values case's
                return Verdict(False, show.mismatch(call.shown(), show.value(want), problem[1], problem[0]))
            why = judging.dtype(want, got, "input") if keep_dtype else None
            if why:
                return Verdict(False, show.mismatch(call.shown(), show.value(want), show.value(got["result"]), why))
        return Verdict(True)

    def unchanged(observed, expected):
        done, stopped = returned(observed)
        if stopped:
            return stopped
        for call, key in done:
            observation = observed[key]
            if not judging.input_kept(observation):
                return Verdict(False, show.mismatch(
                    call.shown(), "입력 어레이는 바뀌지 않아야 합니다", "입력 어레이가 바뀌었습니다",
                    f"{name}: {judging.MUTATED}"))
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
                if judging.refused(observation):  # the course text's assert, as the case says
                    continue
                return Verdict(False, show.mismatch(call.shown(), judging.REFUSAL, judging.refusal_got(observation),
                                                    f"{name}: {judging.NOT_REFUSED}"))
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
    made = tuple(replace(cases[kind], kind=kind, object=name) for kind in CASE_KINDS if kind in points)
    return FunctionCases(probes, made, check)


def public_check(name: str, calls: Sequence[Call], *, shape: bool = True, dtype: str | None = None,
                 unchanged: bool = False, bad_calls: Sequence[Call] = (),
                 naive: Call | None = None, helpers: Sequence[str] = (),
                 rule: naive_rule.Rule = naive_rule.NAIVE) -> PublicCheck:
    """The self-check of a function on public inputs (``kernel_side.selfcheck.function_check``):
    values (and shape), the dtype ("input": the input's, "reference": the answer key's), the
    input left unchanged, ``bad_calls`` refused, the naive rule on the call ``naive`` (``rule``: its
    static rule, the hidden case's). ``helpers``: graded functions it may call; a
    failure names them when it does."""
    if len(calls) < 2:
        raise ValueError(f"{name}: a self-check needs at least two inputs")
    spec = {"object": name, "calls": [_call_json(c) for c in calls], "shape": shape, "dtype": dtype,
            "unchanged": unchanged, "bad_calls": [_call_json(c) for c in bad_calls], "helpers": list(helpers)}
    if naive is not None:
        spec["naive"] = _call_json(naive)
        if rule != naive_rule.NAIVE:  # a stricter rule travels with the spec
            spec["naive"]["rule"] = rule.to_json()
    return PublicCheck(name, "function", spec, tuple(c.spec(name) for c in calls))


def _call_json(call: Call) -> dict:
    found = {"args": [runtime.encode(a) for a in call.args], "kwargs": {k: runtime.encode(v) for k, v in call.kwargs}}
    return {**found, "note": call.note} if call.note else found

