"""Proportional set size (PSS) of processes, grouped into the course's parts.

PSS splits shared pages between the processes sharing them, so parts add up to what
the machine really holds. Used by bench_memory.py; also handy alone:

    python benchmarks/pss.py          # the parts now, in MiB
"""

from __future__ import annotations

import os
import re
from pathlib import Path

PARTS = (  # (part, pattern on the command line); first match wins
    ("warm provider keeper", r"provider_keeper\.py"),
    ("AWS provider", r"terraform-provider-aws"),
    ("terraform", r"(^|/)terraform( |$)"),
    ("sandbox", r"iamlab\.sandbox\.server|timed_sandbox\.py"),
    ("kernel", r"ipykernel|ipykernel_launcher"),
    ("JupyterLab server", r"jupyter-lab|jupyter_lab|jupyter-server|jupyterlab"),
    ("run-all / benchmark", r"iamlab run-all|-m iamlab|bench_\w+\.py|runall"),
)


def pss_kib(pid: int) -> int | None:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    match = re.search(r"^Pss:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) if match else None


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def parts(pids) -> dict[str, float]:
    """MiB per part, for the given processes."""
    totals: dict[str, float] = {}
    for pid in pids:
        line = command_line(pid)
        part = next((name for name, pattern in PARTS if re.search(pattern, line)), None)
        size = pss_kib(pid)
        if part and size:
            totals[part] = totals.get(part, 0) + size / 1024
    return totals


if __name__ == "__main__":
    everyone = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    for name, mib in sorted(parts(everyone).items()):
        print(f"{name:24s} {mib:8.1f} MiB")
