"""The counter core: config, store, catalogue, calendar, dossiers, auth, search.

Nothing in this package imports Textual, Pillow or printer I/O (enforced by import-linter),
so every rule of the counter can be tested and reused without a terminal or a printer.
"""
