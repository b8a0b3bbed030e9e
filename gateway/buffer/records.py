"""One group commit's readings as framed records, ready to append to a segment.

Pure: the readings are cut into records of at most ``record_readings`` each, every record
numbered from ``first_seq`` on, encoded and framed. A reading that cannot be encoded (a
value that is no number) is left out and returned apart, so that the buffer counts it and
the rest of its record is still stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from collectors.readings import Reading
from gateway.buffer.encoding import encode_readings
from gateway.buffer.framing import frame


@dataclass(slots=True)
class Records:
    frames: list[bytes] = field(default_factory=list)  # one framed record each
    chunks: list[list[Reading]] = field(default_factory=list)  # the readings of each frame
    refused: list[Reading] = field(default_factory=list)  # could not be encoded at all

    @property
    def kept(self) -> list[Reading]:
        return [reading for chunk in self.chunks for reading in chunk]


def encode_records(readings: Sequence[Reading], first_seq: int, record_readings: int) -> Records:
    records = Records()
    seq = first_seq
    for start in range(0, len(readings), record_readings):
        chunk = list(readings[start : start + record_readings])
        try:
            payload = encode_readings(seq, chunk)
        except (TypeError, ValueError, OverflowError):
            # Rare (a collector let a non-number through): find the culprits one by one.
            good = [r for r in chunk if encodable(r)]
            records.refused.extend(r for r in chunk if not encodable(r))
            chunk = good
            if not chunk:
                continue
            payload = encode_readings(seq, chunk)
        records.frames.append(frame(payload))
        records.chunks.append(chunk)
        seq += len(chunk)
    return records


def encodable(reading: Reading) -> bool:
    try:
        encode_readings(0, [reading])
    except (TypeError, ValueError, OverflowError):
        return False
    return True
