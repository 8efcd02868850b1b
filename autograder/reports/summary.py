"""The numbers the report shows, computed once from the loaded class (no HTML, no plots)."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .clusters import Cluster, cluster_messages
from .load import ClassResults
from .similar import SimilarGroup, similar_groups

TRAINING_BAR = 0.80  # used when a record's training detail does not say its bar


@dataclass(frozen=True)
class QuestionStats:
    id: str
    title: str
    points: float
    count: int  # submissions with a score for it
    mean: float
    full_rate: float  # share with full marks
    zero_rate: float  # share with zero


@dataclass(frozen=True)
class CaseStats:
    question: str
    name: str
    max_points: float
    count: int
    failed: int
    clusters: tuple[Cluster, ...]

    @property
    def fail_rate(self) -> float:
        return self.failed / self.count if self.count else 0.0


@dataclass(frozen=True)
class TrainingStats:
    values: tuple[float, ...]  # test accuracies that were measured
    bar: float
    graded: int  # records with a training case
    cached: int  # of those, served from the cache
    not_run: tuple[str, ...]  # submissions whose training produced no accuracy
    below: tuple[tuple[str, float], ...]  # (submission, accuracy) under the bar, lowest first
    retried: int  # runs that needed more than one seed
    devices: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    submission: str
    total: float | None
    reasons: tuple[str, ...]
    grader_error: str  # the kit's traceback (last line shown), empty if none


@dataclass(frozen=True)
class Summary:
    title: str
    count: int
    possible: float
    totals: dict[str, float]
    mean: float | None
    median: float | None
    questions: tuple[QuestionStats, ...]
    cases: tuple[CaseStats, ...]  # hardest first
    training: TrainingStats | None
    problems: tuple[Problem, ...]
    similar: tuple[SimilarGroup, ...]
    has_reference: bool
    roster_check: dict | None
    policy: tuple[str, ...] = ()  # the course's policy, Korean lines
    adjustments: tuple[tuple[str, str, float, str], ...] = ()  # (submission, question, points, comment)
    late: tuple[tuple[str, str, int, float], ...] = ()  # (submission, submitted at, days, points taken)
    not_graded: tuple[tuple[str, str], ...] = ()  # (file, Korean reason) found by `grade` but not graded
    misnamed: tuple[tuple[str, str], ...] = ()  # (submission, its file) breaking the file-name rule


def summarize(results: ClassResults) -> Summary:
    manifest = results.manifest
    totals = {s: t for s in results.submissions if (t := results.total(s)) is not None}
    values = list(totals.values())
    possible = manifest.possible or max((r.possible() for r in results.records), default=0.0)
    return Summary(
        title=manifest.title or manifest.id or results.folder.name,
        count=len(results.submissions),
        possible=possible,
        totals=totals,
        mean=statistics.fmean(values) if values else None,
        median=statistics.median(values) if values else None,
        questions=tuple(_question_stats(results)),
        cases=tuple(_case_stats(results)),
        training=_training_stats(results),
        problems=tuple(_problems(results)),
        similar=tuple(similar_groups({r.submission: r.code_hashes for r in results.records},
                                     manifest.reference_hashes)),
        has_reference=bool(manifest.reference_hashes),
        roster_check=results.roster_check,
        policy=tuple(results.course.policy_lines()),
        adjustments=tuple((a.submission, a.question, a.points, a.comment)
                          for s in results.scored.values() for a in s.adjustments),
        late=tuple((s.submission, results.course.shown(s.submitted_at),
                    s.late.days, s.late_penalty) for s in sorted(results.scored.values(), key=lambda s: s.submission)
                   if s.late.is_late),
        not_graded=tuple((str(e.get("path", "")), str(e.get("reason", ""))) for e in results.intake.get("not_graded", [])),
        misnamed=tuple((name, str(entry.get("source", ""))) for name, entry in sorted(results.intake["submissions"].items())
                       if name in results.scored and results.course.misnamed(Path(str(entry.get("source", ""))).stem))
        if results.intake.get("submissions") else (),
    )


def _question_stats(results: ClassResults):
    for question in results.manifest.questions:
        scores = [s for sub in results.submissions if (s := results.score(sub, question.id)) is not None]
        count = len(scores)
        points = question.points
        yield QuestionStats(
            question.id, question.title, points, count,
            statistics.fmean(scores) if scores else 0.0,
            sum(1 for s in scores if points and s >= points - 1e-9) / count if count else 0.0,
            sum(1 for s in scores if s <= 1e-9) / count if count else 0.0)


def _case_stats(results: ClassResults):
    order = {(q.id, c.name): i for i, (q, c) in enumerate(
        (q, c) for q in results.manifest.questions for c in q.cases)}
    seen: dict[tuple[str, str], dict] = {}
    for record in results.records:
        for case in record.cases:
            entry = seen.setdefault((case.question, case.name),
                                    {"max": case.max_points, "count": 0, "failures": []})
            entry["count"] += 1
            if not case.passed:
                entry["failures"].append((record.submission, case.message))
    stats = [CaseStats(q, n, e["max"], e["count"], len(e["failures"]), tuple(cluster_messages(e["failures"])))
             for (q, n), e in seen.items()]
    return sorted(stats, key=lambda c: (-c.fail_rate, order.get((c.question, c.name), len(order)), c.name))


def _training_stats(results: ClassResults) -> TrainingStats | None:
    measured, not_run, bars, devices = [], [], [], Counter()
    graded = cached = retried = 0
    for record in results.records:
        case = record.training
        if case is None:
            continue
        graded += 1
        cached += record.training_cached
        detail = case.detail
        if isinstance(detail.get("bar"), (int, float)):
            bars.append(float(detail["bar"]))
        if detail.get("device"):
            devices[str(detail["device"])] += 1
        if len(detail.get("attempts") or ()) > 1:
            retried += 1
        value = detail.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            measured.append((record.submission, float(value)))
        else:
            not_run.append(record.submission)
    if not graded:
        return None
    bar = Counter(bars).most_common(1)[0][0] if bars else TRAINING_BAR
    return TrainingStats(
        values=tuple(v for _, v in measured), bar=bar, graded=graded, cached=cached,
        not_run=tuple(sorted(not_run)),
        below=tuple(sorted(((s, v) for s, v in measured if v < bar), key=lambda p: (p[1], p[0]))),
        retried=retried, devices=dict(devices))


def _problems(results: ClassResults):
    for record in sorted(results.records, key=lambda r: r.submission):
        if record.ok and not record.grader_error:
            continue
        reasons = tuple(part for part in record.status.split("; ") if part and part != "ok")
        last_line = record.grader_error.strip().splitlines()[-1] if record.grader_error.strip() else ""
        yield Problem(record.submission, results.total(record.submission), reasons, last_line)
    for name, reason in results.skipped:
        yield Problem(name, results.total(name), (reason,), "")
