"""The training check's grader side: the test accuracy is computed here, from trained weights.

The kernel never sees the test set (its MNIST copy has no test labels and, for the training
kernel, no test images either, ``mnist.kernel_copy``). A training probe starts the chapter's
two-layer model (``Dense(512, relu)``, ``Dense(10)``) from initial weights drawn from the seed
(``initial_weights``: the same function in the kernel and here), trains it with the student's code
and sends back the weights, plain arrays. This process then checks them (four arrays of the
model's shapes, floating point, every one moved from where it started) and predicts the 10,000
test classes itself with the known-good forward pass; the student's own forward pass is judged by
its own cases. Retries follow the seed policy: the next seed only while the accuracy is in
[retry floor, bar).

What this cannot tell: weights trained elsewhere and pasted into the notebook pass as trained
here. The detail of the case keeps how long the training ran and how far the weights moved, and
the report shows the seconds (docs/architecture.md)."""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import numpy as np

from . import mnist
from .engine.cases import Verdict
from .kernel_side import runtime

SHAPES = mnist.mnist_file.MODEL_SHAPES  # W1, b1, W2, b2
initial_weights = mnist.mnist_file.initial_weights  # the same function the kernel-side probes start from


@lru_cache(maxsize=2)
def _test_set(path: str) -> tuple[np.ndarray, np.ndarray]:
    (_, _), (x_test, y_test) = mnist.mnist_file.read(path)
    return x_test.reshape((len(x_test), 28 * 28)).astype(np.float32) / 255, y_test.astype(np.uint8)


def test_set() -> tuple[np.ndarray, np.ndarray]:
    """(images (n, 784) float32 in [0, 1], labels): read here, never sent to a kernel."""
    return _test_set(str(mnist.resolve()))


def predict(weights: list[np.ndarray], images: np.ndarray) -> np.ndarray:
    """The known-good forward pass: relu(x W1 + b1) W2 + b2, the class of the largest output
    (softmax keeps the order, so it is left out); NaN outputs count as class 0's rivals lost."""
    W1, b1, W2, b2 = (np.asarray(w, dtype=np.float32) for w in weights)
    with np.errstate(all="ignore"):
        hidden = np.maximum(images @ W1 + b1, 0)
        outputs = np.nan_to_num(hidden @ W2 + b2, nan=-np.inf)
    return outputs.argmax(axis=1).astype(np.uint8)


def _problem(payload, seed: int) -> tuple[str | None, list[np.ndarray], float]:
    """(why these weights cannot be scored, the weights in W1, b1, W2, b2 order, how far they moved)."""
    if not isinstance(payload, list) or len(payload) != 4:
        return "model.weights가 [W, b, W, b] 네 개의 가중치가 아닙니다.", [], 0.0
    try:
        arrays = [runtime.decode(item) for item in payload]
    except (KeyError, TypeError, ValueError):
        return "훈련된 가중치를 읽을 수 없습니다.", [], 0.0
    shapes = [tuple(np.shape(a)) for a in arrays]
    if shapes != list(SHAPES):
        return f"훈련된 가중치의 모양이 다릅니다: 기대 {list(SHAPES)}, 받은 {shapes}", [], 0.0
    if not all(isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in arrays):
        return "훈련된 가중치가 실수(float) 어레이가 아닙니다.", [], 0.0
    start = initial_weights(seed)
    moved = [float(np.max(np.abs(a.astype(np.float64) - s))) if np.isfinite(a).all() else float("inf")
             for a, s in zip(arrays, start)]
    if not all(m > 0 for m in moved):
        names = ", ".join(n for n, m in zip(("W1", "b1", "W2", "b2"), moved) if not m > 0)
        return (f"훈련 뒤에도 {names}이(가) 초기 가중치 그대로입니다: 훈련이 가중치를 갱신하지 않았습니다.",
                arrays, max(moved))
    return None, arrays, max(moved)


def attempt_of(observation: dict, seed: int) -> dict:
    """One training attempt as this process judges it: predicted classes (computed here) or the
    problem that stopped it, with the kernel's timing and device."""
    attempt = {"seed": seed, "compiled": bool(observation.get("compiled")),
               "seconds": float(observation.get("seconds") or 0.0)}
    problem, arrays, moved = _problem(observation.get("weights"), seed)
    if problem:
        attempt["problem"] = problem
    if not arrays:
        return attempt
    images, _ = test_set()
    return {**attempt, "moved": moved, "predictions": runtime.encode_array(predict(arrays, images))}


def accuracy_of(attempt: dict) -> float | None:
    """The attempt's test accuracy (None when its weights could not be read)."""
    if "predictions" not in attempt:
        return None
    _, labels = test_set()
    predictions = runtime.decode_array(attempt["predictions"])
    return float(np.mean(predictions == labels)) if len(predictions) == len(labels) else 0.0


def driver(seeds, bar: float, retry_floor: float, attempt_spec: Callable[[int], dict]):
    """A ``Probe.drive``: one kernel call per seed (``run(spec)``), each attempt judged here, the
    next seed only while the accuracy is in [retry_floor, bar). The observation kept (and cached)
    holds what this process computed, not the weights."""

    def drive(run: Callable[[dict], dict]) -> dict:
        try:
            test_set()
        except mnist.MnistUnavailable as error:
            return {"ok": False, "error": {"type": "MnistUnavailable",
                                           "message": f"MNIST 데이터를 구할 수 없어 훈련 결과를 채점하지 못했습니다 ({error})"}}
        attempts, device = [], None
        for seed in seeds:
            observation = run(attempt_spec(seed))
            if not observation.get("ok"):
                if not attempts:
                    return observation
                break
            device = observation.get("device", device)
            attempt = attempt_of(observation, seed)
            attempts.append(attempt)
            accuracy = accuracy_of(attempt) if "problem" not in attempt else None
            if accuracy is None or accuracy >= bar or accuracy < retry_floor:
                break
        return {"ok": True, "attempts": attempts, "device": device or "CPU"}

    return drive


def verdict(observation: dict, bar: float, detail: dict, hint: str) -> Verdict:
    """The training case's verdict from a driven observation (``ok``): passed when an attempt
    without a problem reaches ``bar``; the best accuracy over the attempts is the detail's value.
    Per attempt its seed, accuracy, seconds, how far the weights moved and how it ran. ``hint``
    follows the failure's first line."""
    lines, attempts, best, passed = [], [], None, False
    for attempt in observation["attempts"]:
        accuracy = accuracy_of(attempt)
        if accuracy is not None:
            best = accuracy if best is None else max(best, accuracy)
            passed = passed or ("problem" not in attempt and accuracy >= bar)
        attempts.append({"seed": attempt["seed"], "accuracy": accuracy, "seconds": round(attempt["seconds"], 1),
                         "compiled": attempt["compiled"], "moved": attempt.get("moved"),
                         **({"problem": attempt["problem"]} if "problem" in attempt else {})})
        measured = f"테스트 정확도 {accuracy:.4f} " if accuracy is not None else ""
        lines.append(f"시드 {attempt['seed']}: {measured}({attempt['seconds']:.0f}초"
                     f"{', tf.function' if attempt['compiled'] else ', 즉시 실행'})"
                     + (f" — {attempt['problem']}" if "problem" in attempt else ""))
    device = observation.get("device", "CPU")
    detail = {**detail, "value": best, "attempts": attempts, "device": device}
    lines.append(f"훈련 장치: {device} (테스트 정확도는 채점기가 훈련된 가중치로 직접 계산합니다)")
    if passed:
        return Verdict(True, "\n".join(lines), detail)
    return Verdict(False, f"테스트 정확도가 {bar} 미만이거나 훈련된 가중치를 채점할 수 없습니다{hint}.\n"
                   + "\n".join(lines), detail)
