"""Run by the kill -9 test: puts numbered readings into a durable buffer until killed.

    python buffer_child.py DIRECTORY

After every group commit it waited for it prints ``acked N`` (readings 0..N-1 are durable);
before every batch it commits as a sink would, ``committing N`` (at most 0..N-1 have left
the buffer).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from buffer_helpers import numbered

from gateway.buffer import BufferOptions, DurableBuffer


async def main(directory: Path) -> None:
    buffer = DurableBuffer.open(directory, BufferOptions(commit_interval=0.005))
    put = 0

    async def produce() -> None:
        nonlocal put
        while True:
            for _ in range(5):
                buffer.put(numbered(put, 37))
                put += 37
                await asyncio.sleep(0)
            acked = put
            await buffer.flushed()
            print(f"acked {acked}", flush=True)

    async def consume() -> None:
        while True:
            batch = await buffer.take(150, 0.001)
            last = batch.readings[-1].value
            print(f"committing {int(last) + 1 if isinstance(last, float) else 0}", flush=True)
            buffer.commit(batch)

    await asyncio.gather(produce(), consume())


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
