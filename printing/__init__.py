"""Printing: lay out counter documents, render them for ESC/POS printers, and send them.

`render_job(doc, printer)` is the one entry; transports only move bytes. Nothing here reaches
up into the UI or the servers (import-linter).
"""
