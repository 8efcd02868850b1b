"""The class report as one self-contained HTML page (Korean text, plots as base64 PNG)."""

from __future__ import annotations

import base64
import datetime as _dt
import statistics
from html import escape

from . import plots
from .summary import Summary

SECTIONS = (  # (id, heading) in page order; the roster section only when export has run
    ("policy", "과제 정책, 수동 조정, 늦은 제출"),
    ("intake", "채점하지 않은 파일"),
    ("totals", "총점 분포"),
    ("questions", "문제별 결과"),
    ("cases", "채점 항목별 실패율"),
    ("clusters", "오답 유형 (같은 실수 묶음)"),
    ("training", "훈련 확인 (테스트 정확도)"),
    ("problems", "채점 중 문제가 있었던 제출"),
    ("similar", "비슷한 코드"),
    ("roster", "명단 대조"),
)
HEADINGS = dict(SECTIONS)
CASES_IN_CHART = 20
CLUSTER_CASES_OPEN = 3
MEMBERS_SHOWN = 60

CSS = """
body{font-family:"Noto Sans KR","NanumGothic","Nanum Gothic","Malgun Gothic","Apple SD Gothic Neo",sans-serif;
 margin:0 auto;max-width:1100px;padding:16px 24px 48px;color:#222;line-height:1.5}
h1{font-size:1.6em;margin:.2em 0}h2{border-bottom:2px solid #3b6ea8;padding-bottom:4px;margin-top:2em}
nav a{margin-right:12px}table{border-collapse:collapse;margin:8px 0;font-size:.92em}
th,td{border:1px solid #ccc;padding:3px 8px;vertical-align:top;text-align:left}th{background:#eef3f9}
td.n{text-align:right;white-space:nowrap}pre{white-space:pre-wrap;margin:0;font-size:.85em;max-height:14em;overflow:auto}
.meta{color:#555}.note{background:#fff8e1;border-left:4px solid #e0a800;padding:8px 12px}
details{margin:6px 0}summary{cursor:pointer;font-weight:600}img{max-width:100%;height:auto}
.warn{color:#a33}.row{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
"""


def render(summary: Summary, source: str = "") -> str:
    parts = [_header(summary, source), _policy(summary), _intake(summary), _totals(summary), _questions(summary), _cases(summary),
             _clusters(summary), _training(summary), _problems(summary), _similar(summary)]
    if summary.roster_check is not None:
        parts.append(_roster(summary.roster_check))
    return ("<!DOCTYPE html>\n<html lang=\"ko\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{escape(summary.title)} — 채점 보고서</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(parts) + "\n</body>\n</html>\n")


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def _section(key: str, body: str) -> str:
    return f'<section id="{key}">\n<h2>{escape(HEADINGS[key])}</h2>\n{body}\n</section>'


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:g}"


def _pct(rate: float) -> str:
    return f"{100 * rate:.0f}%"


def _names(names, limit: int = MEMBERS_SHOWN) -> str:
    names = list(names)
    shown = ", ".join(escape(n) for n in names[:limit])
    return shown + (f" 외 {len(names) - limit}명" if len(names) > limit else "")


def _header(summary: Summary, source: str) -> str:
    now = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    links = " ".join(f'<a href="#{key}">{escape(title)}</a>' for key, title in SECTIONS
                     if key != "roster" or summary.roster_check is not None)
    return (f"<header>\n<h1>채점 보고서: {escape(summary.title)}</h1>\n"
            f'<p class="meta">제출 {summary.count}개 · 평균 {_num(summary.mean)}점 · 중앙값 {_num(summary.median)}점 '
            f"({summary.possible:g}점 만점) · 채점 폴더 <code>{escape(source)}</code> · 작성 {now}</p>\n"
            f"<nav>{links}</nav>\n</header>")


def _policy(summary: Summary) -> str:
    body = ["<ul>" + "".join(f"<li>{escape(line)}</li>" for line in summary.policy) + "</ul>"]
    if summary.adjustments:
        rows = "".join(f"<tr><td>{escape(s)}</td><td>{escape(q)}</td><td class=n>{p:+g}</td><td>{escape(c)}</td></tr>"
                       for s, q, p, c in summary.adjustments)
        body.append(f"<h3>수동 조정 {len(summary.adjustments)}건 (adjustments.csv)</h3><table><tr><th>제출</th>"
                    f"<th>문제</th><th>점수 변화</th><th>학생에게 보이는 설명</th></tr>{rows}</table>")
    else:
        body.append("<p>수동 조정 없음 (adjustments.csv 없음 또는 빈 파일).</p>")
    if summary.late:
        rows = "".join(f"<tr><td>{escape(s)}</td><td>{escape(t)}</td><td class=n>{d}</td><td class=n>-{_num(p, 2)}</td></tr>"
                       for s, t, d, p in summary.late)
        body.append(f"<h3>늦은 제출 {len(summary.late)}개</h3><table><tr><th>제출</th><th>제출 시각</th>"
                    f"<th>늦은 날 수</th><th>감점</th></tr>{rows}</table>")
    return _section("policy", "\n".join(body))


def _intake(summary: Summary) -> str:
    body = []
    if summary.not_graded:
        rows = "".join(f"<tr><td><code>{escape(p)}</code></td><td>{escape(r)}</td></tr>" for p, r in summary.not_graded)
        body.append(f"<p><code>autograder grade</code>가 찾았지만 채점하지 않은 파일 {len(summary.not_graded)}개입니다. "
                    "학생의 제출이면 받아서 다시 채점하세요.</p><table><tr><th>파일</th><th>이유</th></tr>"
                    f"{rows}</table>")
    else:
        body.append("<p>찾은 파일을 모두 채점했습니다.</p>")
    if summary.misnamed:
        rows = "".join(f"<tr><td>{escape(s)}</td><td><code>{escape(p)}</code></td></tr>" for s, p in summary.misnamed)
        body.append(f"<h3>파일 이름 규칙에 맞지 않는 제출 {len(summary.misnamed)}개 (채점함)</h3>"
                    f"<table><tr><th>제출</th><th>파일</th></tr>{rows}</table>")
    return _section("intake", "\n".join(body))


def _totals(summary: Summary) -> str:
    values = list(summary.totals.values())
    figure = plots.totals_histogram(values, summary.possible, summary.mean, summary.median)
    rows = [("제출 수", f"{len(values)}"), ("평균", _num(summary.mean)), ("중앙값", _num(summary.median)),
            ("최저", _num(min(values)) if values else "–"), ("최고", _num(max(values)) if values else "–"),
            ("표준편차", _num(statistics.pstdev(values)) if len(values) > 1 else "–")]
    table = "<table>" + "".join(f"<tr><th>{k}</th><td class=n>{v}</td></tr>" for k, v in rows) + "</table>"
    return _section("totals", f'<div class="row">{_img(plots.to_png(figure), "총점 히스토그램 (평균과 중앙값 표시)")}'
                              f"{table}</div>")


def _questions(summary: Summary) -> str:
    stats = summary.questions
    labels = [q.id.split("_")[0] for q in stats]
    figure = plots.questions_chart(labels, [q.mean / q.points if q.points else 0 for q in stats],
                                   [q.full_rate for q in stats], [q.zero_rate for q in stats])
    rows = "".join(
        f"<tr><td>{escape(q.id)}</td><td>{escape(q.title)}</td><td class=n>{q.points:g}</td>"
        f"<td class=n>{_num(q.mean, 2)}</td><td class=n>{_pct(q.mean / q.points if q.points else 0)}</td>"
        f"<td class=n>{_pct(q.full_rate)}</td><td class=n>{_pct(q.zero_rate)}</td></tr>" for q in stats)
    table = ("<table><tr><th>문제</th><th>제목</th><th>배점</th><th>평균</th><th>평균 득점률</th>"
             f"<th>만점 비율</th><th>0점 비율</th></tr>{rows}</table>")
    return _section("questions", _img(plots.to_png(figure), "문제별 평균, 만점 비율, 0점 비율 막대그래프") + table)


def _cases(summary: Summary) -> str:
    hardest = [c for c in summary.cases if c.failed][:CASES_IN_CHART]
    body = ""
    if hardest:
        figure = plots.cases_chart([f"{c.question.split('_')[0]} · {c.name}" for c in hardest],
                                   [c.fail_rate for c in hardest])
        body += _img(plots.to_png(figure), "실패율이 높은 채점 항목 막대그래프")
    rows = "".join(
        f"<tr><td>{escape(c.question)}</td><td>{escape(c.name)}</td><td class=n>{c.max_points:g}</td>"
        f"<td class=n>{c.failed} / {c.count}</td><td class=n>{_pct(c.fail_rate)}</td></tr>" for c in summary.cases)
    body += ("<p>실패율이 높은 항목부터 (실패 = 그 항목의 배점을 다 받지 못함).</p>"
             "<table><tr><th>문제</th><th>채점 항목</th><th>배점</th><th>실패 / 전체</th><th>실패율</th></tr>"
             f"{rows}</table>")
    return _section("cases", body)


def _clusters(summary: Summary) -> str:
    body = ['<p>항목마다, 실패한 학생들이 받은 메시지를 묶었습니다. 보여 준 값(숫자, 배열, 모양, dtype)만 다른 '
            "메시지는 같은 실수로 보고 한 묶음으로 셉니다. 문장이 다르면 다른 묶음입니다. "
            "예시는 묶음의 첫 학생이 받은 메시지입니다.</p>"]
    failing = [c for c in summary.cases if c.failed]
    for index, case in enumerate(failing):
        rows = "".join(
            f"<tr><td class=n>{cluster.count}명</td><td><pre>{escape(cluster.example)}</pre></td>"
            f"<td>{_names(cluster.members)}</td></tr>" for cluster in case.clusters)
        body.append(
            f"<details{' open' if index < CLUSTER_CASES_OPEN else ''}><summary>{escape(case.question)} · "
            f"{escape(case.name)} — 실패 {case.failed}명, 유형 {len(case.clusters)}개</summary>"
            f"<table><tr><th>학생 수</th><th>메시지 (예)</th><th>학생</th></tr>{rows}</table></details>")
    if not failing:
        body.append("<p>실패한 항목이 없습니다.</p>")
    return _section("clusters", "\n".join(body))


def _training(summary: Summary) -> str:
    training = summary.training
    if training is None:
        return _section("training", "<p>훈련 확인 결과가 있는 제출이 없습니다.</p>")
    figure = plots.training_histogram(training.values, training.bar)
    facts = [
        f"훈련 확인을 채점한 제출: {training.graded}개, 정확도를 측정한 제출: {len(training.values)}개",
        f"기준 {training.bar:.2f} 미만: {len(training.below)}개",
        f"캐시에서 가져온 결과 (같은 코드를 이미 훈련함): {training.cached}개 / {training.graded}개",
        f"다른 시드로 다시 훈련한 제출: {training.retried}개",
    ]
    if training.devices:
        facts.append("장치: " + ", ".join(f"{escape(k)} {v}개" for k, v in sorted(training.devices.items())))
    if training.not_run:
        facts.append(f"훈련이 실행되지 않아 정확도가 없는 제출 {len(training.not_run)}개: {_names(training.not_run)}")
    if training.below:
        facts.append("기준 미만: " + ", ".join(f"{escape(s)} ({v:.4f})" for s, v in training.below[:MEMBERS_SHOWN])
                     + (" …" if len(training.below) > MEMBERS_SHOWN else ""))
    items = "".join(f"<li>{fact}</li>" for fact in facts)
    return _section("training", _img(plots.to_png(figure), "테스트 정확도 히스토그램 (기준선 표시)")
                    + f"<ul>{items}</ul>")


def _problems(summary: Summary) -> str:
    if not summary.problems:
        return _section("problems", "<p>모든 제출이 문제 없이 채점되었습니다 (status = ok).</p>")
    rows = []
    for problem in summary.problems:
        reasons = "".join(f"<li>{escape(r)}</li>" for r in problem.reasons)
        error = f'<div class="warn">채점 도구 오류: <code>{escape(problem.grader_error)}</code></div>' \
            if problem.grader_error else ""
        rows.append(f"<tr><td>{escape(problem.submission)}</td><td class=n>{_num(problem.total)}</td>"
                    f"<td><ul>{reasons}</ul>{error}</td></tr>")
    return _section("problems", f"<p>status가 ok가 아닌 제출 {len(summary.problems)}개입니다. 점수가 있더라도 "
                                "이유를 확인하세요 (시간 초과, 읽을 수 없는 파일, 채점 도구 모듈 import, 채점 도구 오류 등).</p>"
                                "<table><tr><th>제출</th><th>총점</th><th>이유</th></tr>" + "".join(rows) + "</table>")


def _similar(summary: Summary) -> str:
    note = ('<p class="note"><strong>표절 판정이 아닙니다.</strong> 채점한 코드가 이름, 주석, 서식(AST 기준)을 '
            "정리하면 서로 똑같지만 교재 코드와는 다른 제출들의 묶음입니다. 함께 공부했거나 같은 자료를 본 "
            "경우에도 이렇게 될 수 있으니, 강사가 직접 살펴볼 단서로만 쓰세요.</p>")
    if not summary.has_reference:
        note += "<p>assignment.json에 교재 코드의 해시가 없어, 교재 코드와 같은 제출도 묶음에 포함될 수 있습니다.</p>"
    if not summary.similar:
        return _section("similar", note + "<p>해당하는 묶음이 없습니다.</p>")
    rows = "".join(
        f"<tr><td class=n>{index}</td><td class=n>{len(group.members)}명</td><td>{_names(group.members)}</td>"
        f"<td class=n>{len(group.differing)}</td><td>{escape(', '.join(group.differing))}</td></tr>"
        for index, group in enumerate(summary.similar, 1))
    return _section("similar", note + "<table><tr><th>묶음</th><th>학생 수</th><th>제출</th>"
                                      "<th>교재와 다른 정의 수</th><th>교재와 다른 정의</th></tr>" + rows + "</table>")


def _roster(check: dict) -> str:
    missing = check.get("missing") or []
    unmatched = check.get("unmatched") or []
    duplicates = check.get("duplicates") or {}
    body = [f"<p><code>autograder export</code>가 명단 <code>{escape(str(check.get('roster', '')))}</code>와 "
            f"대조한 결과입니다 (패턴: {escape(str(check.get('pattern', '')))}).</p>"]
    body.append(f"<h3>명단에 있지만 제출이 없는 학생 {len(missing)}명</h3>")
    body.append("<p>성적표에는 빈 점수로 들어갑니다.</p>" if missing else "<p>없음</p>")
    if missing:
        body.append("<table><tr><th>학번</th><th>이름</th></tr>" + "".join(
            f"<tr><td>{escape(str(m.get('id', '')))}</td><td>{escape(str(m.get('name', '')))}</td></tr>"
            for m in missing) + "</table>")
    body.append(f"<h3>명단에 없는 제출 {len(unmatched)}개</h3>")
    if unmatched:
        body.append("<table><tr><th>제출</th><th>찾은 학번</th><th>파일</th></tr>" + "".join(
            f"<tr><td>{escape(str(u.get('submission', '')))}</td><td>{escape(', '.join(u.get('ids') or []) or '–')}</td>"
            f"<td><code>{escape(str(u.get('path', '')))}</code></td></tr>" for u in unmatched) + "</table>")
    else:
        body.append("<p>없음</p>")
    if duplicates:
        rule = "마지막 제출을 씀" if check.get("counts") == "latest" else "가장 높은 총점을 씀"
        body.append(f"<h3>제출이 둘 이상인 학생 ({rule})</h3><ul>" + "".join(
            f"<li>{escape(student)}: {escape(', '.join(subs))}</li>" for student, subs in duplicates.items()) + "</ul>")
    return _section("roster", "\n".join(body))
