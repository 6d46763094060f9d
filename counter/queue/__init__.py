"""The queue-number system (lấy số thứ tự): settings, records, tables, engine, day-end close.

One package, one module per seam (see each module's opening line); callers import every
public name from here. The settings (`[queue]`) live with the other sections in
`counter.config.queue`, re-exported here: the config reads them without loading the engine. Where the queue runs (own store or the hub) is `counter.queue_client`'s business.
"""

from counter.config.queue import (
    DEFAULT_AREAS,
    DEFAULT_PRIORITY,
    HALL_SOUNDS,
    HALL_VOICES,
    Area,
    PriorityClass,
    QueueConfigError,
    QueueSettings,
    parse_queue_config,
    settings_from,
)
from counter.queue.dayend import close_past_days
from counter.queue.engine import OnIssued, QueueEngine
from counter.queue.limits import PERSON_KEY_SECRET, check_limits, person_key, person_secret
from counter.queue.models import (
    CHANNELS,
    ENGINE_VERSION,
    LEFT_OVER,
    OPEN,
    QUEUED,
    STATUS_LABELS,
    STATUSES,
    Call,
    Figures,
    QueueError,
    QueueStats,
    QueueView,
    Ticket,
    from_json,
    ticket_answer,
    to_json,
)
from counter.queue.reading import QueueReader, StoreLike
from counter.queue.schema import (
    SCHEMA_SQL,
    TICKET_COLUMNS,
    create_queue_tables,
    ticket_from_row,
    upgrade_queue_tables,
)

__all__ = [
    "CHANNELS",
    "DEFAULT_AREAS",
    "DEFAULT_PRIORITY",
    "ENGINE_VERSION",
    "HALL_SOUNDS",
    "HALL_VOICES",
    "LEFT_OVER",
    "OPEN",
    "PERSON_KEY_SECRET",
    "QUEUED",
    "SCHEMA_SQL",
    "STATUSES",
    "STATUS_LABELS",
    "TICKET_COLUMNS",
    "Area",
    "Call",
    "Figures",
    "OnIssued",
    "PriorityClass",
    "QueueConfigError",
    "QueueEngine",
    "QueueError",
    "QueueReader",
    "QueueSettings",
    "QueueStats",
    "QueueView",
    "StoreLike",
    "Ticket",
    "check_limits",
    "close_past_days",
    "create_queue_tables",
    "from_json",
    "parse_queue_config",
    "person_key",
    "person_secret",
    "settings_from",
    "ticket_answer",
    "ticket_from_row",
    "to_json",
    "upgrade_queue_tables",
]
