"""The durable store-and-forward buffer: readings on disk until their sink confirmed them.

See docs/storage.md ("The durable buffer") for the format, the guarantees and the
measurements that chose it.
"""

from gateway.buffer.durable import BufferHealth, DurableBatch, DurableBuffer
from gateway.buffer.options import BufferOptions, max_bytes_for

__all__ = ["BufferHealth", "BufferOptions", "DurableBatch", "DurableBuffer", "max_bytes_for"]
