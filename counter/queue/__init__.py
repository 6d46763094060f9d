"""The queue-number system; the engine module moves here whole before it is split."""

from counter.queue.engine import *  # noqa: F403
