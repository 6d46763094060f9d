"""Printing errors, each with a Vietnamese message the counter officer can act on."""

from __future__ import annotations

from counter.errors import CounterError


class PrinterConfigError(CounterError):
    """The printer settings cannot print this job correctly (refused before anything is sent)."""


class PrinterUnavailable(CounterError):
    """The printer could not be reached or refused the job; the job stays queued."""

    def __init__(self, reason_vi: str, en: str | None = None):
        super().__init__(reason_vi, en)
        self.reason_vi = reason_vi


class DeliveryUncertain(CounterError):
    """Bytes of the job left this PC but the printer never confirmed them: it may or may not
    have printed. Never resent automatically; the officer says whether it came out."""

    def __init__(self, reason_vi: str, en: str | None = None):
        super().__init__(reason_vi, en)
        self.reason_vi = reason_vi
