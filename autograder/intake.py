"""What ``autograder grade`` is given, sorted into files to grade and files left out with a reason.

Taken: ``.ipynb`` files; the zip a notebook's export cell writes (or any zip holding exactly one
notebook), graded under the zip's name from a copy of that notebook kept in ``DIR/.intake``;
folders, searched below (the layouts ``export --pattern`` knows: plain files, nbgrader's
``submitted/<id>/<assignment>/``, Gradescope's ``submission_<n>/`` export). Everything else
found is listed with the reason it was not graded: nothing is skipped without a word.

Each graded file gets its submission time, from the platform's own record when there is one:
nbgrader's ``timestamp.txt`` beside the notebook, Gradescope's ``submission_metadata.yml``
(``:created_at:`` of its ``submission_<n>`` entry) above it; else the file's modification time.
``DIR/intake.json`` keeps, per submission name, where it came from and when it was submitted,
and the files not graded, for the late penalty, the export and the report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .engine import files

RECORD = "intake.json"
UNPACKED = ".intake"
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
NBGRADER_TIMESTAMP = "timestamp.txt"
GRADESCOPE_METADATA = "submission_metadata.yml"
GRADESCOPE_FOLDER = re.compile(r"^submission_\d+$")
QUIET = {".DS_Store", "Thumbs.db", "desktop.ini"}  # operating-system litter, never a submission


@dataclass(frozen=True)
class Found:
    path: Path  # the notebook graded (for a zip: the copy in DIR/.intake)
    source: Path  # what was submitted: the notebook itself, or the zip
    submitted_at: dt.datetime | None
    time_from: str  # "nbgrader", "gradescope", "file" (its modification time)


@dataclass
class Intake:
    found: list[Found] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, Korean reason)

    @property
    def paths(self) -> list[Path]:
        return [f.path for f in self.found]


def discover(paths: list[Path], out: Path) -> Intake:
    """Sort ``paths`` (files and folders) into notebooks to grade and files not graded.
    Zips are unpacked into ``out/.intake``; nothing below ``out`` is taken as a submission."""
    intake, seen = Intake(), set()
    out_resolved = Path(out).resolve()
    for given in paths:
        if given.is_dir() and not given.is_symlink():
            for child in sorted(given.rglob("*")):
                if _under(child.resolve(), out_resolved) or _hidden(child.relative_to(given)) \
                        or (child.is_dir() and not child.is_symlink()):
                    continue
                _take(child, out, intake, seen, listed=False)
        else:
            _take(given, out, intake, seen, listed=True)
    return intake


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in relative.parts) \
        or ".ipynb_checkpoints" in relative.parts


def _take(path: Path, out: Path, intake: Intake, seen: set, listed: bool) -> None:
    if path.name in QUIET:
        return
    reason = files.check_regular_file(path)  # a link, a FIFO, a device: never opened
    if reason:
        intake.skipped.append((str(path), reason))
        return
    key = path.resolve()
    if key in seen:
        return
    seen.add(key)
    suffix = path.suffix.lower()
    if suffix == ".ipynb":
        when, source = submitted_at(path)
        intake.found.append(Found(path, path, when, source))
    elif suffix == ".zip":
        _take_zip(path, out, intake)
    elif path.name == NBGRADER_TIMESTAMP or path.name == GRADESCOPE_METADATA:
        return  # read for the submission times, not a submission
    else:
        what = "노트북(.ipynb)이나 zip이 아닙니다" + (f" ({suffix} 파일)" if suffix else "")
        intake.skipped.append((str(path), what))


def _take_zip(path: Path, out: Path, intake: Intake) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            notebooks = [i for i in archive.infolist() if not i.is_dir()
                         and PurePosixPath(i.filename).suffix.lower() == ".ipynb"
                         and not _hidden(Path(*PurePosixPath(i.filename).parts))]
            if not notebooks:
                intake.skipped.append((str(path), "zip 안에 노트북(.ipynb)이 없습니다"))
                return
            if len(notebooks) > 1:
                names = ", ".join(i.filename for i in notebooks[:5])
                intake.skipped.append((str(path), f"zip 안에 노트북이 {len(notebooks)}개 있어 어느 것을 채점할지 "
                                                  f"알 수 없습니다 ({names})"))
                return
            member = notebooks[0]
            if member.file_size > MAX_NOTEBOOK_BYTES:
                intake.skipped.append((str(path), f"zip 안의 노트북이 너무 큽니다 ({member.file_size // 2**20} MB)"))
                return
            with archive.open(member) as handle:
                data = handle.read(MAX_NOTEBOOK_BYTES + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, NotImplementedError) as error:
        intake.skipped.append((str(path), f"zip 파일을 열 수 없습니다 ({type(error).__name__})"))
        return
    # One folder per zip (by its path), the notebook named after the zip: graded under the zip's name.
    folder = Path(out) / UNPACKED / hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    target = folder / f"{path.stem}.ipynb"
    if not target.is_file() or target.read_bytes() != data:
        folder.mkdir(parents=True, exist_ok=True)
        files.write_bytes(target, data)
    when, source = submitted_at(path)
    intake.found.append(Found(target, path, when, source))


# ---------------------------------------------------------------- submission times


def submitted_at(path: Path) -> tuple[dt.datetime | None, str]:
    """When ``path`` was submitted, and where that came from."""
    stamp = path.parent / NBGRADER_TIMESTAMP
    if stamp.is_file():
        when = parse_time(stamp.read_text(encoding="utf-8", errors="replace").strip())
        if when is not None:
            return when, "nbgrader"
    when = _gradescope_time(path)
    if when is not None:
        return when, "gradescope"
    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc), "file"
    except OSError:
        return None, ""


def parse_time(text) -> dt.datetime | None:
    """nbgrader writes ``2026-04-03 14:05:09.123456 UTC``; Gradescope ``2026-04-03 14:05:09.123 +0900``
    (YAML may already have made it a datetime). Times without a zone are UTC, as both platforms write."""
    if isinstance(text, dt.datetime):
        return text if text.tzinfo else text.replace(tzinfo=dt.timezone.utc)
    if not isinstance(text, str) or not text.strip():
        return None
    text = text.strip()
    utc = text.upper().endswith(" UTC")
    if utc:
        text = text[:-4]
    text = re.sub(r"\s+([+-]\d\d):?(\d\d)$", r"\1:\2", text)  # " -0800" / " -08:00" -> "-08:00"
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)  # Ruby writes nanoseconds
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _gradescope_time(path: Path) -> dt.datetime | None:
    for folder in path.parents:
        if GRADESCOPE_FOLDER.match(folder.name) and (folder.parent / GRADESCOPE_METADATA).is_file():
            try:
                import yaml

                data = yaml.safe_load((folder.parent / GRADESCOPE_METADATA).read_text(encoding="utf-8"))
            except Exception:  # yaml's errors, OSError: the file's time is used instead
                return None
            entry = data.get(folder.name, data.get(f":{folder.name}")) if isinstance(data, dict) else None
            if isinstance(entry, dict):
                return parse_time(entry.get(":created_at", entry.get("created_at")))
            return None
    return None


# ---------------------------------------------------------------- DIR/intake.json


def read_record(out: Path) -> dict:
    try:
        data = json.loads((Path(out) / RECORD).read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data.setdefault("submissions", {})
            data.setdefault("not_graded", [])
            return data
    except (OSError, ValueError):
        pass
    return {"submissions": {}, "not_graded": []}


def write_record(out: Path, intake: Intake, graded: dict[str, str]) -> dict:
    """Merge this run into ``DIR/intake.json``: ``graded`` maps a submission name to the path
    it was graded from. Files not graded this run replace those listed before, except ones
    graded now."""
    record = read_record(out)
    by_path = {str(f.path): f for f in intake.found}
    for name, path in graded.items():
        found = by_path.get(path)
        if found is None:
            continue
        record["submissions"][name] = {
            "source": str(found.source), "graded_path": str(found.path),
            "submitted_at": found.submitted_at.isoformat() if found.submitted_at else None,
            "time_from": found.time_from}
    sources = {entry["source"] for entry in record["submissions"].values()}
    kept = [entry for entry in record["not_graded"]
            if entry.get("path") not in sources and entry.get("path") not in {p for p, _ in intake.skipped}]
    record["not_graded"] = kept + [{"path": p, "reason": r} for p, r in intake.skipped]
    files.write_text(Path(out) / RECORD, json.dumps(record, ensure_ascii=False, indent=1))
    return record
