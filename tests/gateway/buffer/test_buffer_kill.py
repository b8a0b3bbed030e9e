"""``kill -9`` in the middle of puts, group commits and commits: nothing acknowledged is lost."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from buffer_helpers import WAIT, drain

from gateway.buffer import DurableBuffer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


async def run_until_killed(directory: Path, acks_wanted: int) -> tuple[int, int]:
    """Start the child, SIGKILL it after ``acks_wanted`` acknowledged group commits;
    (readings acknowledged durable, an upper bound of the readings committed) as it last
    reported them before it died."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
    child = await asyncio.create_subprocess_exec(
        sys.executable, str(HERE / "buffer_child.py"), str(directory),
        stdout=asyncio.subprocess.PIPE, env=env,
    )
    assert child.stdout is not None
    reported: list[tuple[str, int]] = []
    try:
        async with asyncio.timeout(WAIT * 3):
            while sum(word == "acked" for word, _ in reported) < acks_wanted:
                line = await child.stdout.readline()
                assert line, "the child stopped on its own"
                reported.append(parse(line))
    finally:
        child.send_signal(signal.SIGKILL)
        async with asyncio.timeout(WAIT):
            # what it printed between the last line read and its death counts too
            rest = await child.stdout.read()
            await child.wait()
    assert child.returncode == -signal.SIGKILL
    reported.extend(parse(line) for line in rest.splitlines() if line.strip())
    acked = max((n for word, n in reported if word == "acked"), default=0)
    committed = max((n for word, n in reported if word == "committing"), default=0)
    return acked, committed


def parse(line: bytes) -> tuple[str, int]:
    word, number = line.decode().split()
    return word, int(number)


@pytest.mark.parametrize("acks_wanted", [1, 40, 200])
async def test_every_acknowledged_reading_survives_kill_9(
    tmp_path: Path, acks_wanted: int
) -> None:
    acked, committed = await run_until_killed(tmp_path, acks_wanted)
    assert acked > 0

    buffer = await asyncio.to_thread(DurableBuffer.open, tmp_path)
    try:
        survived = await drain(buffer)
    finally:
        await buffer.aclose()
    if survived:
        first = survived[0]
        # in order, each once: no gap and no duplicate
        assert survived == list(range(first, first + len(survived)))
        # whatever comes again was at most not yet committed, never re-sent from before
        assert first <= committed
        end = first + len(survived)
    else:
        end = committed
    # every reading acknowledged durable is either still there or was committed
    assert end >= acked
