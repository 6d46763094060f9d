"""Data files shipped with the core (the procedure catalogue)."""
