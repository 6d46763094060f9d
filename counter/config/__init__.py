"""Typed configuration; the reader module moves here whole before it is split."""

from counter.config.load import *  # noqa: F403
