"""Time to build the class report for a synthetic class (default 200 records; goal < 10 s).

    python benchmarks/report_speed.py [--size 200] [--repeat 3]

The class is written by ``tests/report_class.py`` (the kit's real questions and case names,
failure messages shaped like the grader's); the time is that of ``autograder report``'s work
(read GRADES_DIR, cluster, plot, write the page) in a fresh process, imports included.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # this checkout's kit and the synthetic class


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from report_class import write_class

    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "grades"
        write_class(folder, size=args.size, seed=0)
        records = sum(1 for p in folder.iterdir() if (p / "result.json").is_file())
        command = [sys.executable, "-c", "import sys; from autograder.reports import build_report; "
                   "build_report(sys.argv[1])", str(folder)]
        seconds = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            subprocess.run(command, check=True, cwd=ROOT)
            seconds.append(time.perf_counter() - start)
        page = folder / "report.html"
        print(f"class of {records} records: report built in {statistics.median(seconds):.2f} s "
              f"(median of {args.repeat}; runs {', '.join(f'{s:.2f}' for s in seconds)}; fresh process, "
              f"imports included), page {page.stat().st_size / 1e6:.2f} MB; goal < 10 s")


if __name__ == "__main__":
    main()
