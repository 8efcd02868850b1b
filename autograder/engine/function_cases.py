"""Ready-made cases for a function graded on inputs: values, shape/dtype, no mutation, the
course's asserts and the naive rule. The points of each are given where the question is
written (``points={"values": 2, "shape": 1, ...}``); a kind left out is not a case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..kernel_side import runtime
from . import naive_rule, show
from .cases import Case, Probe, ProbeKey, Verdict

STOP_ERRORS = {"NotImplementedError", "NameError", "Timeout", "Unsupported"}
CASE_KINDS = ("values", "shape", "unchanged", "asserts", "naive")


@dataclass(frozen=True)
class Call:
    """One call of the graded function: positional arguments, optional keywords."""

    args: tuple
    kwargs: tuple = ()  # (name, value) pairs

    def spec(self, name: str, **extra) -> dict:
        return {"op": "call", "object": name, "args": [runtime.encode(a) for a in self.args],
                "kwargs": {k: runtime.encode(v) for k, v in self.kwargs}, **extra}

    def shown(self) -> list[str]:
        names = ["x", "y", "z", "w"]
        parts = [f"{names[i] if i < len(names) else f'arg{i}'}: {show.value(a)}"
                 for i, a in enumerate(self.args)]
        return parts + [f"{k}={v!r}" for k, v in self.kwargs]


def call_probes(name: str, calls: Sequence[Call], kind: str = "value", reference: bool = True
                ) -> dict[ProbeKey, Probe]:
    """One ``call`` probe per call, keyed ``ProbeKey(name, kind, i)``."""
    return {ProbeKey(name, kind, i): Probe(call.spec(name), reference) for i, call in enumerate(calls)}


def result_array(observation: dict):
    """The returned value as an array, or None with a reason."""
    if not observation.get("ok") or "error" in observation:
        return None, show.error(observation)
    payload = observation["result"]
    if payload["t"] in ("list", "tuple", "none", "bool"):
        return None, f"어레이나 숫자가 아닌 값을 반환했습니다: {show.value(payload)}"
    return np.asarray(runtime.decode(payload)), None


def close(got: np.ndarray, expected: np.ndarray) -> bool:
    if got.shape != expected.shape:
        return False
    if not np.issubdtype(got.dtype, np.number) and got.dtype != np.bool_:
        return False
    if np.issubdtype(expected.dtype, np.integer) and np.issubdtype(got.dtype, np.integer):
        return bool(np.array_equal(got, expected))
    # float32 sums of many terms may cancel: allow an error relative to the largest value,
    # not only to each value (a loop accumulating in float32 is as right as one in float64).
    tolerance = 1e-3 if np.float32 in (got.dtype, expected.dtype) else 1e-6
    want = expected.astype(np.float64)
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    return bool(np.allclose(got.astype(np.float64), want, rtol=tolerance, atol=tolerance * scale))


def values_verdict(name: str, calls: Sequence[Call], keys: Sequence[ProbeKey], observed, expected) -> Verdict:
    """Every call returns the answer key's value (shape first, then values)."""
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


def naive_probe(name: str, call: Call, kind: str = "naive") -> tuple[ProbeKey, Probe]:
    """The naive rule's probe: one call whose Python lines are counted and whose source (and its
    helpers') comes back, keyed ``ProbeKey(name, kind)``."""
    return ProbeKey(name, kind), Probe(call.spec(name, trace=True), reference=False)


def naive_verdict(name: str, call: Call, observation: dict, work: int,
                  rule: naive_rule.Rule = naive_rule.NAIVE) -> Verdict:
    """The naive rule on one traced call (``naive_probe``): no name ``rule`` forbids in the
    function's source and its helpers', and at least ``work`` Python lines run in student code."""
    if not observation.get("ok") or "error" in observation:
        return Verdict(False, show.error(observation))
    found = naive_rule.findings(observation.get("sources") or [], rule)
    events = int(observation.get("events", 0))
    if found:
        return Verdict(False, f"{name}은(는) 반복문으로 직접 구현해야 합니다. "
                              f"벡터화된 연산이 보입니다: {', '.join(found)}")
    if events < work:
        return Verdict(False, (
            f"{name}은(는) 원소마다 파이썬 반복문으로 계산해야 합니다. "
            f"입력 {', '.join(show.value(a, 60).split(':')[0] for a in call.args)}에서 "
            f"적어도 {work}번의 반복이 필요한데 파이썬 코드는 {events}줄만 실행되었습니다 "
            "(넘파이/텐서플로우의 벡터화 연산이나 행 단위 연산을 쓴 것으로 보입니다)."))
    return Verdict(True)


def function_cases(name: str, calls: Sequence[Call], *, points: dict[str, float],
                   bad_calls: Sequence[Call] = (), keep_dtype: bool = False, naive: Call | None = None,
                   naive_work: int = 0, rule: naive_rule.Rule = naive_rule.NAIVE
                   ) -> tuple[dict[ProbeKey, Probe], tuple[Case, ...]]:
    """Probes and cases for one graded function. ``calls`` are ordered small to large, so the
    first failure shown is the smallest input. ``points`` gives each case kind its points
    (``CASE_KINDS``); "asserts" needs ``bad_calls``, "naive" needs ``naive`` (and the static
    ``rule`` of its source, the naive rule unless given)."""
    unknown = set(points) - set(CASE_KINDS)
    if unknown or ("asserts" in points) != bool(bad_calls) or ("naive" in points) != (naive is not None):
        raise ValueError(f"{name}: points {sorted(points)} do not match the calls given")
    probes = call_probes(name, calls)
    keys = tuple(probes)

    def values(observed, expected):
        return values_verdict(name, calls, keys, observed, expected)

    def shape_and_dtype(observed, expected):
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
        for call, key in zip(calls, keys):
            observation = observed[key]
            if not observation.get("ok") or "error" in observation:
                return Verdict(False, show.error(observation))
            if any(observation.get("mutated", [])):
                return Verdict(False, show.mismatch(
                    call.shown(), "입력 어레이는 바뀌지 않아야 합니다", "입력 어레이가 바뀌었습니다",
                    f"{name}이(가) 입력을 직접 수정했습니다. x.copy()로 복사한 뒤 계산하세요."))
        return Verdict(True)

    cases = {
        "values": Case(f"{name}: 값", points.get("values", 0), keys, values),
        "shape": Case(f"{name}: 결과 모양{'과 dtype' if keep_dtype else ''}", points.get("shape", 0), keys,
                      shape_and_dtype),
        "unchanged": Case(f"{name}: 입력을 바꾸지 않음", points.get("unchanged", 0), keys, unchanged),
    }

    if bad_calls:
        bad = call_probes(name, bad_calls, kind="bad", reference=False)
        probes.update(bad)
        bad_keys = tuple(bad)

        def asserts(observed, expected):
            if not values(observed, expected).passed:
                return Verdict(False, "먼저 올바른 입력에서 정확한 값을 계산해야 합니다.")
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

        cases["asserts"] = Case(f"{name}: 랭크·모양 검사(assert)", points["asserts"], keys + bad_keys, asserts)

    if naive is not None:
        naive_key, probes[naive_key] = naive_probe(name, naive)

        def loops(observed, expected):
            if not values(observed, expected).passed:
                return Verdict(False, "먼저 정확한 값을 계산해야 합니다.")
            return naive_verdict(name, naive, observed[naive_key], naive_work, rule)

        cases["naive"] = Case(f"{name}: 반복문으로 구현 (naive 규칙)", points["naive"], keys + (naive_key,), loops)
    return probes, tuple(cases[kind] for kind in CASE_KINDS if kind in points)
