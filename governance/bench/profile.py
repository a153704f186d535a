"""``--profile DIR``: py-spy samples the proxy's web process and worker while the bench loads them.

py-spy (``pip install py-spy``) attaches to a running process from outside (it needs ptrace
rights: root, or ``kernel.yama.ptrace_scope=0``). For each process it writes the raw collapsed
stacks (``<label>-web.txt``, usable by any flame-graph tool) and a summary of the functions with
the most samples, on their own (self) and with what they call (total): ``<label>-web.top.txt``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from governance.bench.servers import web_pids, worker_pid

FRAME_LINE = re.compile(r":\d+\)$")


def py_spy() -> str:
    found = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if found is None:
        raise RuntimeError("--profile needs py-spy: pip install py-spy")
    return found


@contextmanager
def profiling(directory: Path | None, label: str, web: subprocess.Popen[bytes], seconds: float) -> Iterator[None]:
    """Sample the web process (and its worker) for ``seconds`` while the block runs."""
    if directory is None:
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)
    targets = {"web": web_pids(web)[0], "worker": worker_pid(web)}  # with --workers N: the first web process
    spies = []
    for role, pid in targets.items():
        if pid is None:
            continue
        out = directory / f"{label}-{role}.txt"
        cmd = [py_spy(), "record", "--pid", str(pid), "--duration", str(max(1, round(seconds))), "--rate", "100",
               "--format", "raw", "--threads", "--nonblocking", "--output", str(out)]
        spies.append((out, subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
    try:
        yield
    finally:
        for out, spy in spies:
            spy.wait(timeout=seconds + 60)
            if out.exists():
                out.with_suffix(".top.txt").write_text(summarise(out.read_text()))


def summarise(raw: str, top: int = 30) -> str:
    """Samples per thread, self samples per function, and total (inclusive) samples per function of
    ``governance/``, from py-spy's raw (collapsed) stacks recorded with ``--threads``."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        samples += n
        frames = [FRAME_LINE.sub(")", f) for f in stack.split(";")]
        if frames[0].startswith("thread ("):
            threads[frames[0].partition(": ")[2] or frames[0]] += n
            frames = frames[1:] or frames
        own[frames[-1]] += n
        for frame in set(frames):
            if "(governance/" in frame and "(governance/cli/" not in frame and "__main__" not in frame:
                total[frame] += n
    if not samples:
        return "0 samples\n"

    def pct(counter: Counter[str], limit: int) -> list[str]:
        return [f"{100 * n / samples:6.1f}  {f}" for f, n in counter.most_common(limit)]

    lines = [f"{samples} samples (threads that were not idle, 100 Hz)", "", "    %   thread", *pct(threads, 10),
             "", "self %  function", *pct(own, top), "", "total %  function of governance/ (with its callees)",
             *pct(total, top)]
    return "\n".join(lines) + "\n"
