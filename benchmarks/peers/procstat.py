"""CPU seconds and resident memory of a process (and its threads) from /proc: the same
ruler for both gateways."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Sample:
    cpu_s: float  # user + system, all threads
    rss_bytes: int
    peak_rss_bytes: int  # VmHWM: the high-water mark since the process started


def sample(pid: int) -> Sample:
    stat = Path(f"/proc/{pid}/stat").read_text()
    # Field 2 (comm) may hold spaces: split after its closing parenthesis.
    fields = stat[stat.rindex(")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])
    rss = hwm = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) * 1024
        elif line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) * 1024
    return Sample((utime + stime) / _TICKS, rss, hwm)
