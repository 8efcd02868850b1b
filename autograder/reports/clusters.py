"""Misconception clusters: per case, the distinct failure messages and who got each.

Two messages are "the same mistake" when they differ only in the values they show. The
grader's messages (``engine.show``) are sentences around values: ``기대값: shape (2, 3),
float64: [[…]]``, ``받은 값: …``, ``기대 [64, 64, 44], 받은 [128, 44]``, ``셀 54``. The rule:

1. shapes (``shape (2, 3)``), dtype names (``float64``, ``int32``, ``uint8``…) and numbers
   (``-0.0769``, ``1e-3``, ``255.``, ``42번``, ``nan``) become placeholders;
2. a run of placeholders with the brackets, commas, dots, ellipses and line breaks of an array
   or list literal between them becomes one placeholder, so arrays of other sizes, truncated
   arrays and lists of other lengths fold;
3. whitespace is collapsed and repeated identical lines (one per retry) kept once.

Words are never touched, so a different sentence is a different cluster: "결과 값이 다릅니다"
(values), "결과의 모양이 다릅니다" (shape) and "dtype이 입력과 같아야 합니다" (dtype) stay apart,
and so do "받은 값: None", "받은 값: tf Tensor …" and "받은 값: 아직 구현하지 않았습니다".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

VALUE = "‹값›"
_SHAPE = re.compile(r"shape \([^()]*\)")
_DTYPE = re.compile(r"(?<![A-Za-z0-9_])(?:u?int(?:8|16|32|64)|float(?:16|32|64)|bfloat16|complex(?:64|128)"
                    r"|bool_?|object_?|str_)(?![A-Za-z0-9_])")
# A number not glued to an identifier on its left (float64, W1, x2 stay words); Hangul may follow.
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![A-Za-z_])"
                     r"|(?<![A-Za-z0-9_])(?:nan|inf|-inf|True|False)(?![A-Za-z0-9_])")
# Placeholders joined by the punctuation of array and list literals, with the brackets around.
_EMPTY = re.compile(r"\[\s*\]")  # an empty array or list shows no numbers but is a value too
_RUN = re.compile(r"(?:[\[(]\s*)*#(?:[\s,.…\[\]()#+-]*#)?(?:\s*[\])])*(?:\s*…)?")


def normalize_message(message: str) -> str:
    """The message with its values replaced: equal for the same mistake shown on other values."""
    text = _SHAPE.sub("shape ‹모양›", message.strip())
    text = _DTYPE.sub("‹dtype›", text)
    text = _NUMBER.sub("#", _EMPTY.sub("#", text))
    text = _RUN.sub(VALUE, text)
    lines: list[str] = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if line and (not lines or lines[-1] != line):
            lines.append(line)
    return "\n".join(lines)


@dataclass(frozen=True)
class Cluster:
    key: str  # the normalised message
    example: str  # one real message of the cluster (the first member's)
    members: tuple[str, ...]  # submissions, sorted

    @property
    def count(self) -> int:
        return len(self.members)


def cluster_messages(failures: Iterable[tuple[str, str]]) -> list[Cluster]:
    """Clusters of (submission, message) pairs of one case, largest first."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for submission, message in failures:
        groups.setdefault(normalize_message(message or ""), []).append((submission, message or ""))
    clusters = []
    for key, pairs in groups.items():
        pairs.sort()
        clusters.append(Cluster(key, pairs[0][1], tuple(submission for submission, _ in pairs)))
    return sorted(clusters, key=lambda c: (-c.count, c.key))
