"""One judge per property of a function graded on inputs, for the hidden cases
(``engine.function_cases``, in the grader's process) and the notebook's self-checks
(``selfcheck.function_check``, in the student's kernel) alike: a self-check on public inputs
passes or fails for the same reason as the hidden case on hidden inputs. ``probe_judge`` runs
an assignment's own judges (``autograder/<id>/judges.py``) the same way on both sides.

Kernel-side (sent as text in the notebook's setup cell; standard library and NumPy only). Each
judge takes plain observations of ``runtime.probe_call`` (and the answer key's) and returns None
when the property holds, else its Korean headline (and what was got); the callers only word the
call around it.
"""

import numpy as np

from . import compare, naive_rule, runtime, show

RAISED = "호출하자 예외가 발생했습니다."
NOT_ARRAY = "어레이나 숫자가 아닌 값을 반환했습니다."
SHAPE = "결과의 모양(shape)이 다릅니다."
VALUES = "결과 값이 다릅니다."
MUTATED = "입력 어레이를 직접 수정했습니다. x.copy()로 복사한 뒤 계산하세요."
NOT_REFUSED = "랭크나 모양이 맞지 않는 입력은 거부해야 합니다. 강의 노트처럼 assert 문으로 확인하세요."
REFUSAL = "AssertionError (강의 노트의 assert 문)"


def value(want_payload, observation):
    """The call returned the answer key's value: None, else ``(headline, what was got)``. Lists
    and tuples are compared item by item."""
    if not observation.get("ok", True) or "error" in observation:
        return RAISED, show.error(observation)
    return _payload(want_payload, observation["result"])


def _payload(want_payload, got_payload):
    if want_payload["t"] in ("list", "tuple"):
        items = want_payload["items"]
        if got_payload["t"] not in ("list", "tuple") or len(got_payload["items"]) != len(items):
            return f"길이 {len(items)}인 리스트를 반환해야 합니다.", show.value(got_payload)
        for index, (want, got) in enumerate(zip(items, got_payload["items"])):
            problem = _payload(want, got)
            if problem:
                return f"{index}번째 항목: {problem[0]}", problem[1]
        return None
    if got_payload["t"] in ("list", "tuple", "none", "bool"):
        return NOT_ARRAY, show.value(got_payload)
    want, got = np.asarray(runtime.decode(want_payload)), np.asarray(runtime.decode(got_payload))
    if got.shape != want.shape:
        return SHAPE, show.value(got)
    if not compare.close(got, want):
        return VALUES, show.value(got)
    return None


def dtype(want_payload, observation, rule):
    """The result's dtype: the input's (``rule`` "input") or the answer key's ("reference").
    None when right (or when there is no array to look at), else the headline."""
    if not observation.get("ok", True) or "error" in observation or observation["result"]["t"] in (
            "list", "tuple", "none", "bool"):
        return None
    have = np.asarray(runtime.decode(observation["result"])).dtype
    wanted = np.asarray(runtime.decode(want_payload)).dtype
    if have == wanted:
        return None
    if rule == "input":
        return f"결과의 dtype이 입력과 같아야 합니다: 기대 {wanted}, 받은 {have}."
    return f"결과의 dtype이 {wanted}이어야 합니다: 받은 {have}."


def input_kept(observation):
    """The call left its array arguments as they were."""
    return not any(observation.get("mutated", []))


def refused(observation):
    """A bad input was refused the course text's way: an AssertionError (as the stubs ask)."""
    return bool(observation.get("ok", True)) and (observation.get("error") or {}).get("type") == "AssertionError"


def refusal_got(observation):
    """What a bad input got instead of an AssertionError, in words."""
    if "error" in observation or not observation.get("ok", True):
        return show.error(observation)
    return f"예외 없이 값을 반환했습니다: {show.value(observation.get('result'))}"


def naive(name, observation, rule=None, shapes=""):
    """The naive rule on one call (``runtime.probe_call`` with ``trace``): None, else
    ``(headline, details)``. The static opinion: no name the rule forbids in the source (the
    function's and its helpers'). The behaviour: the same values when the arrays give their
    elements one at a time only (``runtime.Elements``: every vectorised routine refuses them,
    however it is reached) as on plain arrays, called after it. Whether those values are right
    is the value cases' business."""
    if not observation.get("ok", True):
        return show.error(observation), []
    found = naive_rule.findings(observation.get("sources") or [], rule or naive_rule.NAIVE)
    if found:
        return (f"{name}은(는) 반복문으로 직접 구현해야 합니다. 반복문 규칙에서 금지한 연산이 보입니다: {', '.join(found)}",
                ["항목 하나하나를 파이썬 반복문으로 계산해야 합니다. 금지 목록은 노트북 앞쪽 '문제와 배점' 셀의 "
                 "반복문 규칙 상자에 있습니다."])
    plain = observation.get("plain", {})
    if "error" in plain:
        return f"{name} 호출이 실패했습니다: {show.error(plain)}", []
    where = f"항목을 하나씩만 꺼낼 수 있는 입력{f' {shapes}' if shapes else ''}에서"
    if "error" in observation:
        return (f"{name}은(는) 항목마다 파이썬 반복문으로 계산해야 합니다.",
                [f"{where} 실패했습니다: {show.error(observation)}",
                 "넘파이·텐서플로우의 벡터화 연산이나 행 단위 연산(np.maximum, x + y, x[i] * y 등)을 쓴 것으로 보입니다."])
    if "result" in plain and "result" in observation:
        problem = _payload(plain["result"], observation["result"])
        if problem:
            return (f"{name}은(는) 항목마다 파이썬 반복문으로 계산해야 합니다.",
                    [f"{where} 결과가 넘파이 어레이에서와 다릅니다: 어레이에서 {show.value(plain['result'])}, "
                     f"항목별 입력에서 {problem[1]}"])
    return None


def probe_judge(judge, target, call, spec, observation, want):
    """An assignment's own judge (``judge(spec, got, want)`` -> ``(passed, message, detail)``) on
    one observation of its probe, once the probe ran: else the one cause said once for every
    case of the probe (``target`` not implemented or not defined, or ``call``, the step they all
    need, raised)."""
    if not observation.get("ok", True):
        cause = show.cause(observation)
        if cause:
            return False, show.stopped(target, cause), {"cause": cause, "object": target}
        return False, f"{call} 실행 실패: " + show.error(observation), {"cause": "step", "object": target}
    return judge(spec, observation, want)
