"""Groups of submissions whose graded code is identical but not the course text's, by the
normalised hashes the grader recorded (``engine.code_hash``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence


@dataclass(frozen=True)
class SimilarGroup:
    members: tuple[str, ...]  # submissions, sorted
    differing: tuple[str, ...]  # graded names whose (shared) code is not the course text's


def reference_sets(reference: Mapping[str, str | Sequence[str] | None]) -> dict[str, frozenset[str]]:
    """``reference_hashes`` of the manifest: one hash per name, or a list of accepted ones."""
    sets = {}
    for name, value in reference.items():
        if value is None:
            sets[name] = frozenset()
        elif isinstance(value, str):
            sets[name] = frozenset([value])
        else:
            sets[name] = frozenset(v for v in value if v)
    return sets


def similar_groups(hashes: Mapping[str, Mapping[str, str | None]],
                   reference: Mapping[str, str | Sequence[str] | None],
                   min_members: int = 2, min_differing: int = 1) -> list[SimilarGroup]:
    """Submissions whose hashes agree on every graded name, where at least ``min_differing`` of
    those names hold code that is not the course text's (missing or stub definitions, ``None``,
    count as neither). Most differing definitions first, then the largest groups."""
    accepted = reference_sets(reference)
    names = sorted(set(accepted).union(*(set(h) for h in hashes.values())) if hashes else set(accepted))
    buckets: dict[tuple, list[str]] = {}
    for submission, own in hashes.items():
        if not own:
            continue
        key = tuple(own.get(name) for name in names)
        buckets.setdefault(key, []).append(submission)
    groups = []
    for key, members in buckets.items():
        differing = tuple(name for name, value in zip(names, key)
                          if value is not None and value not in accepted.get(name, frozenset()))
        if len(members) >= min_members and len(differing) >= min_differing:
            groups.append(SimilarGroup(tuple(sorted(members)), differing))
    return sorted(groups, key=lambda g: (-len(g.differing), -len(g.members), g.members))
