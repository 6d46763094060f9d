"""Printing: lay out counter documents, render them for ESC/POS printers, and send them.

`render_job(doc, printer)` is the one entry; transports only move bytes. Nothing here reaches
up into the UI or the servers (import-linter). python-escpos is imported through
`printing.escpos_lib` only, when a job is first rendered or sent: the checks made at start
(`printing.checks`) read the printer profiles without it (`printing.profiles`).
"""
