"""Cells that attack the grading machine rather than the score (issue 22, items 4-7).

Each is appended to an otherwise right notebook: the notebook keeps its points, the cell gets
a status naming the limit it hit, and nothing it started outlives its kernel. Kept small where
the mechanism is the same (``tests/test_limits.py`` runs them against small limits).
"""

THREAD_BOMB = """import threading, time
threads = []
while True:
    try:
        t = threading.Thread(target=time.sleep, args=(60,), daemon=True)
        t.start()
        threads.append(t)
    except RuntimeError:
        pass
"""

FORK_BOMB = """import subprocess, time
subprocess.Popen(['sh', '-c', 'f(){ f|f& };f'])
time.sleep(20)
"""


def memfd(megabytes: int, files: int = 2) -> str:
    """Memory in ``memfd`` files, in no process's resident memory (several files: one file is
    also capped by the largest file a kernel may write)."""
    return (f"import os, time\nblock = b'x' * 2**20\nfds = [os.memfd_create('hidden') for _ in range({files})]\n"
            f"for fd in fds:\n    for _ in range({megabytes // files}):\n        os.write(fd, block)\ntime.sleep(3)\n")


def growing_beside_children(megabytes: int) -> str:
    """Memory grown while short-lived child processes come and go (the old watcher stopped
    watching when one vanished mid-sample)."""
    return (f"import subprocess, time\nheld = []\nfor _ in range({megabytes // 4}):\n"
            "    subprocess.run(['true'])\n    held.append(b'y' * (4 * 2**20))\ntime.sleep(3)\n")


# 5 GiB reserved at once in every writable folder the kernel has: each must fail in the kernel.
FALLOCATE = """import os
failed = []
for folder in ('.', '/tmp', os.path.expanduser('~'), '/kernel'):
    try:
        fd = os.open(os.path.join(folder, 'big'), os.O_CREAT | os.O_WRONLY)
        try:
            os.posix_fallocate(fd, 0, 5 * 2**30)
        finally:
            os.close(fd)
    except OSError:
        failed.append(folder)
print('refused in', failed)
"""

DEEP_EXPRESSION = "x = " + "+".join(["1"] * 20_000) + "\n"  # RecursionError in ast.parse
LONG_CELL = "a = 1\n" * 6_000  # past submission.MAX_CELL_LINES
