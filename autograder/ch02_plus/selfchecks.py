"""The self-checks of "2장 심화" that are not a plain function on inputs: ``dense_backward``,
``numeric_gradient`` and ``update_weights_momentum`` (``naive_softmax`` and
``naive_sparse_categorical_crossentropy`` use the generic ``function_check``).

Kernel-side (sent as text in the notebook's setup cell). Each check observes the function on
public inputs as the hidden probes do (``observe.py``) and judges each property with the hidden
case's own judge (``judges.py``), against the answer key's observations made when the notebook
was built (``spec["expected"]``); here only the wording differs. The self-checks never train.
"""

from ..kernel_side import naive_rule
from ..kernel_side.selfcheck import Outcome, stopped
from . import judges, observe


def _problem(problem, notes=()):
    """A judge's Problem as an Outcome's (headline, details), with the failing call's hint."""
    note = [notes[problem.index]] if problem.index is not None and problem.index < len(notes) else []
    return problem.why, problem.details() + note


def _first(*found):
    return next((problem for problem in found if problem is not None), None)


def dense_backward(spec, namespace):
    """(dx, dW, db) of the answer key for relu (z = 0 included), None and float32, their dtypes,
    the inputs unchanged, and no automatic differentiation."""
    name = spec["object"]
    if name not in namespace:
        return Outcome(name, cause="not_defined")
    calls = spec["probe"]["groups"]["public"]
    got = observe.probe_calls(namespace, spec["probe"])["groups"]["public"]
    first = stopped(name, got)
    if first:
        return first
    want, notes = spec["expected"][0]["groups"]["public"], spec["notes"]
    values = _first(*(judges.gradient_part(index, calls, got, want) for index in range(3)))
    found = [values or judges.dtypes_kept(calls, got), judges.inputs_kept(calls, got)]
    autodiff = observe.probe_autodiff(namespace, spec["autodiff"])
    if not judges.failed(autodiff["call"]):  # a call that raises is the values' business
        found.append(judges.no_autodiff(naive_rule.Rule.from_json(spec["rule"]), autodiff))
    return Outcome(name, ["relu와 None에서 dx, dW, db", "자료형", "입력 보존", "자동 미분 금지"],
                   [_problem(problem, notes) for problem in found if problem is not None])


def numeric_gradient(spec, namespace):
    """Relative error below the bar against the analytic gradient (float64, float32, integer and
    n-dimensional x), the same values on a reshaping of x, f called eps away from x (default and
    a given eps), x unchanged bit for bit."""
    name = spec["object"]
    if name not in namespace:
        return Outcome(name, cause="not_defined")
    groups, observed = spec["probe"]["groups"], observe.probe_numeric_gradient(namespace, spec["probe"])["groups"]
    first = stopped(name, [o for group in observed.values() for o in group])
    if first:
        return first
    values, got, notes = groups["values"], observed["values"], spec["notes"]
    # The hidden cases' gate: no gradient of x's shape, nothing else is judged but x kept.
    found = judges.gradient_shape(values, got)
    problems = [found] if found else [judges.relative_error(spec["bar"], values, got)[1],
                                      judges.same_as_reshaped(groups["ndim"], observed["ndim"]),
                                      judges.step_sizes(groups["eps"], observed["eps"])]
    found = problems[0]
    problems.append(judges.x_kept(values, got))
    return Outcome(name, ["상대 오차 < 1e-7 (float64, float32, 정수, n차원 x)", "eps 인자와 기본값", "입력 보존"],
                   [_problem(problem, notes if problem is found else ()) for problem in problems if problem is not None])


def update_weights_momentum(spec, namespace):
    """One step in place on tf.Variable objects: the velocities stored and the weights afterwards
    as the answer key leaves them (Keras's SGD with momentum), and the arguments' values used."""
    name = spec["object"]
    if name not in namespace:
        return Outcome(name, cause="not_defined")
    groups, observed = spec["probe"]["groups"], observe.probe_momentum(namespace, spec["probe"])["groups"]
    first = stopped(name, [o for group in observed.values() for o in group])
    if first:
        return first
    want = spec["expected"][0]["groups"]["step"]
    steps, got = groups["step"], observed["step"]
    ran = judges.step_runs(steps, got)
    if ran:
        return Outcome(name, problems=[("호출하자 예외가 발생했습니다.", ran.details() + [ran.why])])
    # Arguments not used are the one cause of the values that differ: said alone.
    arguments = judges.arguments_used(groups["arguments"], observed["arguments"])
    problems = [arguments] if arguments else [judges.velocities_after(steps, got, want),
                                              judges.weights_after(steps, got, want)]
    return Outcome(name, ["한 걸음 후 속도", "한 걸음 후 가중치", "인자 사용"],
                   [_problem(problem) for problem in problems if problem is not None])
