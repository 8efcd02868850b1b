"""How values and failures are shown to students: shapes first, then a few values."""

from __future__ import annotations

import numpy as np

from ..kernel_side import runtime


def value(payload_or_array, max_chars: int = 300) -> str:
    """``shape (2, 3), int32`` followed by the (truncated) values."""
    array = payload_or_array
    if isinstance(payload_or_array, dict):
        kind = payload_or_array.get("t")
        if kind in ("list", "tuple"):
            items = [value(item, max_chars // 2) for item in payload_or_array["items"]]
            return f"{kind} (길이 {len(items)}): [" + "; ".join(items) + "]"
        array = runtime.decode(payload_or_array)
        if kind in ("tensor", "variable"):
            return f"tf {'Tensor' if kind == 'tensor' else 'Variable'} " + value(array, max_chars)
    if isinstance(array, np.ndarray):
        with np.printoptions(precision=4, suppress=True, threshold=40, edgeitems=3, linewidth=100):
            text = np.array2string(array, separator=", ")
        if len(text) > max_chars:
            text = text[:max_chars] + " …"
        return f"shape {tuple(array.shape)}, {array.dtype}: {text}"
    text = repr(array)
    return text if len(text) <= max_chars else text[:max_chars] + " …"


def error(observation: dict) -> str:
    """Korean sentence for an observation that ended in an error."""
    err = observation.get("error") or {}
    kind, message = err.get("type", "?"), err.get("message", "")
    if kind == "NotImplementedError":
        return f"아직 구현하지 않았습니다 ({message})" if message else "아직 구현하지 않았습니다."
    if kind == "NameError":
        return f"정의되지 않은 이름이 있습니다: {message}"
    if kind == "Timeout":
        return f"시간 제한을 넘겼습니다 ({message}). 무한 루프가 없는지 확인하세요."
    if kind == "Unsupported":
        return f"반환값을 채점할 수 없습니다: {message}"
    return f"{kind} 예외가 발생했습니다: {message}"


def mismatch(inputs: list[str], expected: str, got: str, why: str = "") -> str:
    lines = [why] if why else []
    lines += [f"- 입력 {text}" for text in inputs]
    lines += [f"- 기대값: {expected}", f"- 받은 값: {got}"]
    return "\n".join(lines)
