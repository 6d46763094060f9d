"""Recorded outputs (golden files) and the fixtures that produce them."""
