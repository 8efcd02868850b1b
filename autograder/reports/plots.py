"""The report's plots as PNG bytes, with Hangul drawn in NanumGothic.

matplotlib's default font (DejaVu Sans) has no Hangul: Korean labels would come out as boxes.
The font is NanumGothic as shipped inside the ``koreanize-matplotlib`` package. The package is
located, not imported: importing it changes matplotlib's global settings for the whole process
and, in its 0.1.1 release, imports ``distutils``, which Python 3.12 removed. Its font files are
registered with matplotlib's font manager and used inside an ``rc_context``, so nothing global
changes. Figures are drawn with the Agg canvas directly (no pyplot, no backend switch).
"""

from __future__ import annotations

import importlib.util
import io
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

FONT_PACKAGE = "koreanize_matplotlib"
FONT_FILE = "NanumGothic.ttf"
BLUE, ORANGE, GREEN, RED, GREY = "#3b6ea8", "#e08a2e", "#4c9a5b", "#c8453b", "#888888"


class KoreanFontMissing(RuntimeError):
    pass


@lru_cache(maxsize=1)
def korean_font() -> tuple[str, Path]:
    """(family name, file) of the bundled NanumGothic, registered with matplotlib."""
    spec = importlib.util.find_spec(FONT_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    fonts = [Path(location) / "fonts" for location in locations if (Path(location) / "fonts" / FONT_FILE).is_file()]
    if not fonts:
        raise KoreanFontMissing("the Korean font package is missing: pip install koreanize-matplotlib==0.1.1 "
                                "(the kit's pinned dependency), otherwise Hangul in the plots draws as boxes")
    for ttf in sorted(fonts[0].glob("*.ttf")):
        font_manager.fontManager.addfont(str(ttf))
    path = fonts[0] / FONT_FILE
    return font_manager.FontProperties(fname=str(path)).get_name(), path


@contextmanager
def korean_style():
    family, _ = korean_font()
    with matplotlib.rc_context({"font.family": [family], "axes.unicode_minus": False, "font.size": 10,
                                "axes.spines.top": False, "axes.spines.right": False}):
        yield


def to_png(figure: Figure, dpi: int = 100) -> bytes:
    with korean_style():
        buffer = io.BytesIO()
        FigureCanvasAgg(figure)
        figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def totals_histogram(totals: Sequence[float], possible: float, mean: float | None,
                     median: float | None) -> Figure:
    with korean_style():
        figure = _figure(7.5, 3.4)
        axes = figure.add_subplot()
        top = possible if possible > 0 else max(totals, default=1.0)
        step = max(top / 20, 1e-9)
        bins = [i * step for i in range(21)]
        axes.hist(list(totals), bins=bins, color=BLUE, edgecolor="white")
        if mean is not None:
            axes.axvline(mean, color=ORANGE, linestyle="--", linewidth=2, label=f"평균 {mean:.1f}점")
        if median is not None:
            axes.axvline(median, color=RED, linestyle=":", linewidth=2.2, label=f"중앙값 {median:g}점")
        axes.set_xlim(0, top)
        axes.set_xlabel(f"총점 ({top:g}점 만점)")
        axes.set_ylabel("학생 수")
        axes.set_title(f"총점 분포 (제출 {len(totals)}개)")
        axes.yaxis.get_major_locator().set_params(integer=True)
        if mean is not None or median is not None:
            axes.legend(loc="upper left", frameon=False)
    return figure


def questions_chart(labels: Sequence[str], mean_rates: Sequence[float], full_rates: Sequence[float],
                    zero_rates: Sequence[float]) -> Figure:
    """Per question, three bars in percent: mean score, full marks, zero."""
    with korean_style():
        figure = _figure(7.5, 3.4)
        axes = figure.add_subplot()
        positions = range(len(labels))
        width = 0.27
        for offset, values, color, name in ((-width, mean_rates, BLUE, "평균 득점률"),
                                            (0.0, full_rates, GREEN, "만점 비율"),
                                            (width, zero_rates, RED, "0점 비율")):
            axes.bar([p + offset for p in positions], [100 * v for v in values], width, color=color, label=name)
        axes.set_xticks(list(positions), list(labels))
        axes.set_ylim(0, 105)
        axes.set_ylabel("비율 (%)")
        axes.set_title("문제별 평균 득점률, 만점 비율, 0점 비율")
        axes.legend(ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)
    return figure


def cases_chart(labels: Sequence[str], fail_rates: Sequence[float]) -> Figure:
    """Horizontal bars of failure rates, the first label on top."""
    with korean_style():
        figure = _figure(7.5, 0.8 + 0.26 * max(len(labels), 1))
        axes = figure.add_subplot()
        rows = list(range(len(labels)))[::-1]
        axes.barh(rows, [100 * v for v in fail_rates], color=RED, height=0.7)
        axes.set_yticks(rows, [_short(label, 46) for label in labels], fontsize=8)
        axes.set_xlim(0, 100)
        axes.set_xlabel("실패한 학생 비율 (%)")
        axes.set_title(f"가장 어려운 채점 항목 {len(labels)}개")
    return figure


def training_histogram(values: Sequence[float], bar: float) -> Figure:
    with korean_style():
        figure = _figure(7.5, 3.0)
        axes = figure.add_subplot()
        low = min([*values, bar - 0.1]) if values else bar - 0.1
        low = max(0.0, (int(low * 50) / 50))
        bins = [low + i * 0.01 for i in range(int(round((1.0 - low) / 0.01)) + 1)]
        if len(bins) < 2:
            bins = [low, 1.0]
        axes.hist(list(values), bins=bins, color=BLUE, edgecolor="white")
        axes.axvline(bar, color=RED, linewidth=2, label=f"통과 기준 {bar:.2f}")
        axes.set_xlabel("테스트 정확도")
        axes.set_ylabel("학생 수")
        axes.set_title(f"훈련 확인: 테스트 정확도 분포 (측정 {len(values)}개)")
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.legend(loc="upper left", frameon=False)
    return figure


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
