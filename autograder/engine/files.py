"""Files the batch shares: written whole or not at all, and known by their content.

Every writer uses a temporary name of its own (process id and a random part) in the target's
folder, then renames it over the target. A reader sees the old file or the new one, never a
half-written one, whenever the writer is killed; two writers never share a temporary file.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def digest(path: Path) -> str:
    """SHA-256 of a file's bytes ("" when it cannot be read): a record names the file it graded."""
    sha = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha.update(block)
    except OSError:
        return ""
    return sha.hexdigest()


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
