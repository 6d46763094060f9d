"""Printing's door to the typed documents, which the core builds (`counter/documents.py`)."""

from counter.documents import (
    Document,
    ExtensionData,
    ReceiptData,
    RefusalData,
    SelfTestPage,
    StopData,
    SupplementData,
    TicketData,
)

__all__ = [
    "Document",
    "ExtensionData",
    "ReceiptData",
    "RefusalData",
    "SelfTestPage",
    "StopData",
    "SupplementData",
    "TicketData",
]
