"""Files the batch shares: written whole or not at all, and known by their content.

Every writer uses a temporary name of its own (process id and a random part) in the target's
folder, then renames it over the target. A reader sees the old file or the new one, never a
half-written one, whenever the writer is killed; two writers never share a temporary file.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tempfile
import uuid
from pathlib import Path


def write_bytes(path: Path, data: bytes, mode: int = 0o666) -> None:
    """Write ``path`` whole or not at all, under a temporary name no other writer uses;
    ``mode`` as for ``os.open`` (0o600: readable by its owner only, from its first byte)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def write_text(path: Path, text: str, mode: int = 0o666) -> None:
    write_bytes(path, text.encode("utf-8"), mode)


def digest(path: Path) -> str:
    """SHA-256 of a file's bytes ("" when it cannot be read, or is not a regular file: a FIFO or
    a device is never waited on): a record names the file it graded."""
    sha = hashlib.sha256()
    try:
        with open_regular(path) as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha.update(block)
    except OSError:
        return ""
    return sha.hexdigest()


def open_regular(path: Path, follow: bool = True):
    """A file opened for reading only if it is a regular file (binary). Opening never blocks
    (a FIFO, ``/dev/zero`` behind a link): ``O_NONBLOCK``, then the opened file is checked.
    Without ``follow``, a symbolic link is refused too."""
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    descriptor = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(f"not a regular file: {path}")
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def check_regular_file(path: Path) -> str | None:
    """Why a submitted file is not graded (Korean, for its row), or None: only a regular file is.
    A symbolic link is refused (it would be graded as another file's work), and so is a FIFO,
    a device or a socket (reading one could block the worker forever)."""
    try:
        info = os.lstat(path)
    except OSError as problem:
        return f"파일을 읽을 수 없습니다 ({problem.strerror or problem})."
    if stat.S_ISLNK(info.st_mode):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return f"심볼릭 링크는 채점하지 않습니다 (→ {target}). 노트북 파일 자체를 제출하세요."
    if not stat.S_ISREG(info.st_mode):
        return "일반 파일이 아니어서 채점하지 않습니다 (FIFO, 장치 등)."
    return None


# The kit's own names in a grades folder (files, and folders of its own): a submission's output
# folder never takes one of them, nor a name ending like a file the kit writes there.
KIT_NAMES = frozenset({"grades.csv", "assignment.json", "report.html", "adjustments.csv", "course.toml",
                       "cache", "data", "feedback", "not_graded.csv"})
KIT_SUFFIXES = (".csv", ".json", ".html", ".md", ".txt", ".toml", ".zip", ".pdf", ".key", ".lock", ".tmp")


def output_name(stem: str) -> str:
    """A folder name for a submission's results, from its file's stem: safe characters only,
    never hidden, never one of the kit's names (``grades.csv.ipynb`` -> ``grades.csv_ipynb``)."""
    name = re.sub(r"[^\w.-]+", "_", stem, flags=re.UNICODE).strip("._") or "submission"
    if name.casefold() in KIT_NAMES or name.casefold().endswith(KIT_SUFFIXES):
        name += "_ipynb"
    return name


def remove_orphans(folder: Path) -> None:
    """Delete the temporary files of writers that died before their rename (a killed batch):
    ``.<name>.<pid>.<random>.tmp`` whose process no longer exists."""
    for temporary in folder.rglob(".*.tmp"):
        parts = temporary.name.split(".")
        if len(parts) < 4 or not parts[-3].isdigit():
            continue
        try:
            os.kill(int(parts[-3]), 0)
        except ProcessLookupError:
            temporary.unlink(missing_ok=True)
        except PermissionError:  # alive, someone else's
            pass


# Temporary folders of the kit (in the system's temporary folder): a prefix, then the owner's
# pid. A run killed with SIGKILL cannot remove its own; the next run removes those whose owner
# is gone (``remove_dead_temporaries``).
TEMPORARY_PREFIXES = ("autograder-grade-", "autograder-nbgrader-", "autograder-ipython-", "agk-")


def temporary_prefix(kind: str) -> str:
    """``kind`` (one of ``TEMPORARY_PREFIXES``) followed by this process's pid."""
    return f"{kind}{os.getpid()}-"


def remove_dead_temporaries(folder: Path | None = None) -> list[Path]:
    """Remove the kit's temporary folders whose owner process no longer exists; returns them."""
    folder = Path(folder or tempfile.gettempdir())
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        kind = next((p for p in TEMPORARY_PREFIXES if entry.name.startswith(p)), None)
        if kind is None or not entry.is_dir(follow_symlinks=False):
            continue
        pid = entry.name[len(kind):].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # alive
        except ProcessLookupError:
            pass
        except PermissionError:
            continue  # alive, someone else's
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    return removed
