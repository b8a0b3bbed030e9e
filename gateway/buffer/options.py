"""How a durable buffer is sized and how often it makes readings durable."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class BufferOptions:
    """``max_bytes`` bounds the readings held on disk (to within one record); when it is
    reached the oldest are dropped and counted. Readings put are durable (written and
    fsync'd) after at most ``commit_interval`` seconds or once ``commit_every`` readings
    are waiting, whichever comes first; ``commit_every=1`` makes every put its own commit.
    """

    max_bytes: int = 1024 * MIB
    commit_interval: float = 0.1
    commit_every: int = 10_000
    record_readings: int = 1_000  # readings per record: the granularity of drops and reads
    segment_bytes: int = 16 * MIB  # a segment file is deleted once all of it is committed
    memory_readings: int = 200_000  # newest readings also kept in memory, so take rarely reads
    max_staged: int = 1_000_000  # readings waiting for the disk; beyond, the oldest are dropped
    retry_delay: float = 1.0  # after a failed write (disk full, I/O error)

    def __post_init__(self) -> None:
        for name in ("max_bytes", "commit_every", "record_readings", "segment_bytes",
                     "max_staged"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")
        if self.record_readings > 100_000:
            raise ValueError("record_readings must be at most 100,000")
        if self.memory_readings < 0:
            raise ValueError("memory_readings must not be negative")
        if not self.commit_interval > 0 or not self.retry_delay > 0:
            raise ValueError("commit_interval and retry_delay must be positive")

    @property
    def effective_segment_bytes(self) -> int:
        """Small buffers get small segments, so that deleting whole segments frees space."""
        return max(1, min(self.segment_bytes, self.max_bytes // 4))
