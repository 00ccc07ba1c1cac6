"""Run one command and report its wall time and memory as JSON (used by bench.py).

    python benchmarks/meter.py [--no-sample] REPORT.json COMMAND [ARG...]

The command's stdin, stdout and stderr are this process's. REPORT.json gets:

* ``wall_s``: ``time.perf_counter`` from starting the command to its exit;
* ``cpu_s``: the user and system CPU time of the command and the descendants it waited for
  (from the same rusage): on a loaded machine, a steadier figure of the work done than wall;
* ``peak_mb``: the command's peak resident set size, from the rusage ``os.wait4`` returns for
  exactly that child. On Linux this is the largest of the process and the descendants it
  waited for (a pool of worker processes included), each one's own peak, not their sum;
* ``tree_rss_mb`` / ``tree_pss_mb`` (Linux only and not ``--no-sample``, else null): the
  largest total, sampled every ``SAMPLE_S`` seconds, over the command and all its descendants
  of resident memory (RSS, pages shared by forked workers counted once per process) and of
  proportional set size (PSS, shared pages split between the processes sharing them: what
  the run really occupies). Sampling can miss a peak shorter than the interval;
* ``max_processes``: the most processes seen in the tree at once;
* ``exit_code``: the command's exit code (negative: killed by that signal).

This meter is small (about 11 MB); a child inherits it as a floor of its ru_maxrss on Linux,
far below any Python child's peak. Starting the child from here rather than from a large
parent matters: on Linux a child's ru_maxrss starts from its parent's at fork/exec.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

SAMPLE_S = 0.05
PROC = Path("/proc")


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process visible in /proc."""
    parents = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2:].split()
        parents[int(entry.name)] = int(fields[1])
    return parents


def _tree(root: int) -> list[int]:
    parents = _parents()
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def _memory_kb(pid: int) -> tuple[int, int]:
    """(Rss, Pss) in kB of one process; (0, 0) when it is gone."""
    rss = pss = 0
    try:
        with (PROC / str(pid) / "smaps_rollup").open() as rollup:
            for line in rollup:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return 0, 0
    return rss, pss


class TreeSampler(threading.Thread):
    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.done = threading.Event()
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.max_processes = 0

    def run(self) -> None:
        while not self.done.is_set():
            pids = _tree(self.root)
            totals = [_memory_kb(pid) for pid in pids]
            self.peak_rss_kb = max(self.peak_rss_kb, sum(rss for rss, _ in totals))
            self.peak_pss_kb = max(self.peak_pss_kb, sum(pss for _, pss in totals))
            self.max_processes = max(self.max_processes, sum(1 for rss, _ in totals if rss))
            self.done.wait(SAMPLE_S)


def main(argv: list[str]) -> int:
    sampling = (PROC / "self" / "smaps_rollup").exists()
    if argv[:1] == ["--no-sample"]:
        sampling, argv = False, argv[1:]
    if len(argv) < 2:  # noqa: PLR2004  a report and a command
        print("usage: meter.py [--no-sample] REPORT.json COMMAND [ARG...]", file=sys.stderr)
        return 2
    report_path, command = Path(argv[0]), argv[1:]
    started = time.perf_counter()
    child = subprocess.Popen(command)
    sampler = TreeSampler(child.pid) if sampling else None
    if sampler:
        sampler.start()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: tell Popen
    if sampler:
        sampler.done.set()
        sampler.join()
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS
    report = {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / scale,
        "tree_rss_mb": sampler.peak_rss_kb / 1024 if sampler else None,
        "tree_pss_mb": sampler.peak_pss_kb / 1024 if sampler else None,
        "max_processes": sampler.max_processes if sampler else None,
        "exit_code": child.returncode,
    }
    report_path.write_text(json.dumps(report), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
