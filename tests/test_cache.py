"""The probe cache under many writers (issue: the batch that lost a class): atomic writes, one
worker computing a key while the others wait, a dead lock holder taken over, forged or
copied entries refused. Its worker processes are spawned: this module imports only the cache,
so each starts in a fraction of a second."""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from pathlib import Path

from autograder.engine.cache import ProbeCache


def _write_many(folder: str, key: str, writer: int) -> None:
    cache = ProbeCache(Path(folder))
    for round_ in range(40):
        cache.put(key, {"ok": True, "writer": writer, "payload": "x" * (1000 * (writer + round_ % 7))})


def test_many_processes_writing_one_key_never_leave_a_broken_file(tmp_path):
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_many, args=(str(tmp_path), "k", n)) for n in range(8)]
    for process in writers:
        process.start()
    reads = 0
    while any(process.is_alive() for process in writers):
        hit = ProbeCache(tmp_path).get("k")
        reads += hit is not None
        assert hit is None or hit["payload"] == "x" * len(hit["payload"])
    for process in writers:
        process.join()
        assert process.exitcode == 0
    assert ProbeCache(tmp_path).get("k")["ok"] and reads > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.json", "secret.key"]  # no temporary file left


def _claim_and_compute(folder: str, log: str) -> None:
    cache = ProbeCache(Path(folder))
    with cache.claim("slow") as hit:
        if hit is None:
            with open(log, "a") as handle:
                handle.write(f"{os.getpid()}\n")
            time.sleep(1.0)
            cache.put("slow", {"ok": True, "by": os.getpid()})


def test_workers_needing_the_same_key_wait_for_the_one_computing_it(tmp_path):
    context = multiprocessing.get_context("spawn")
    log = tmp_path / "computed.log"
    workers = [context.Process(target=_claim_and_compute, args=(str(tmp_path / "cache"), str(log))) for _ in range(6)]
    for process in workers:
        process.start()
    for process in workers:
        process.join()
    assert len(log.read_text().split()) == 1


def _hold_the_lock(folder: str) -> None:
    with ProbeCache(Path(folder)).claim("slow"):
        time.sleep(60)


def test_a_dead_lock_holder_is_taken_over_and_a_corrupt_entry_recomputed(tmp_path):
    folder = tmp_path / "cache"
    holder = multiprocessing.get_context("spawn").Process(target=_hold_the_lock, args=(str(folder),))
    holder.start()
    while not (folder / "slow.lock").exists():
        time.sleep(0.05)
    time.sleep(0.5)
    holder.kill()  # SIGKILL: the flock goes with the process
    started = time.monotonic()
    with ProbeCache(folder).claim("slow") as hit:
        assert hit is None
        ProbeCache(folder).put("slow", {"ok": True})
    assert time.monotonic() - started < 5
    (folder / "slow.json").write_text('{"format": 1, "observation": "{\\"ok\\": tr')  # truncated
    with ProbeCache(folder).claim("slow") as hit:
        assert hit is None  # ignored, to be computed again
        ProbeCache(folder).put("slow", {"ok": True, "again": 1})
    assert ProbeCache(folder).get("slow") == {"ok": True, "again": 1}


def test_a_forged_or_copied_cache_entry_is_refused_and_recomputed(tmp_path):
    cache = ProbeCache(tmp_path)
    cache.put("honest", {"ok": True, "accuracy": 0.82})
    assert cache.get("honest") == {"ok": True, "accuracy": 0.82}
    assert oct((tmp_path / "secret.key").stat().st_mode & 0o777) == "0o600"
    (tmp_path / "forged.json").write_text(json.dumps({"ok": True, "accuracy": 0.99}))  # unsigned, old format
    (tmp_path / "other.json").write_text((tmp_path / "honest.json").read_text())  # signed, for another key
    entry = json.loads((tmp_path / "honest.json").read_text())
    entry["observation"] = entry["observation"].replace("0.82", "0.99")  # signed, then edited
    (tmp_path / "edited.json").write_text(json.dumps(entry))
    for key in ("forged", "other", "edited"):
        assert cache.get(key) is None, key
    assert ProbeCache(tmp_path).get("honest")["accuracy"] == 0.82  # another worker, the same secret
    assert ProbeCache(tmp_path / "elsewhere").get("honest") is None


def test_the_platform_front_ends_cache_is_the_folder_autograder_cache_names(tmp_path, monkeypatch):
    """otter's and nbgrader's runs share a cache only when $AUTOGRADER_CACHE names one; a second
    process reading that folder is served what the first wrote."""
    from autograder.engine.cache import CACHE_ENV

    monkeypatch.delenv(CACHE_ENV, raising=False)
    unset = ProbeCache.from_environment()
    assert unset.folder is None
    unset.put("k", {"ok": True})
    assert unset.get("k") is None  # no cache: nothing kept anywhere
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "shared"))
    ProbeCache.from_environment().put("k", {"ok": True, "accuracy": 0.9})
    assert ProbeCache.from_environment().get("k") == {"ok": True, "accuracy": 0.9}
    assert (tmp_path / "shared" / "k.json").is_file()


def test_failures_of_the_code_are_kept_and_failures_of_the_machine_are_not(tmp_path):
    """An untouched stub raises the same NotImplementedError in every run: kept. A timeout, a dead
    kernel, memory or a missing dataset depend on the machine and its load: computed again."""
    cache = ProbeCache(tmp_path)
    for kind in ("NotImplementedError", "TypeError", "AssertionError"):
        failure = {"ok": False, "error": {"type": kind, "message": "-"}}
        cache.put(kind, failure)
        assert cache.get(kind) == failure, kind
    for kind in ("Timeout", "Failed", "MemoryError", "MnistUnavailable", "OSError", "Unsupported"):
        cache.put(kind, {"ok": False, "error": {"type": kind, "message": "-"}})
        assert cache.get(kind) is None, kind
    cache.put("no-error", {"ok": False})
    assert cache.get("no-error") is None
