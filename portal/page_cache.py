"""Rendered citizen pages kept per worker, keyed by everything the page is made from.

A citizen refreshes the page, opens it again from the receipt, a relative opens it too: each
view still reads the dossier from the database (so the status is never older than the
database) and checks the receipt's token, but when the row, its timeline, its rating, the
device's profile, the receipt, the page's address and the Vietnam date are the very ones a
page was rendered from, the gzipped bytes of that render are sent again instead of rendering
and compressing once more (issue #18).

Why a digest of the inputs and not a version number: the page reads a dozen columns and the
snapshot, and a version that forgets one of them serves a stale page; the digest (BLAKE2b,
128 bits, of the canonical text of every input) changes whenever any input does, so a hit is
by construction the page a fresh render would give. The receipt (code, device, dossier,
token) is part of the key, so one dossier's page is never served for another receipt.

Only the page body is kept: the headers (a constant hash-based CSP, `no-store`) are built per
response, nothing is cached by the browser or a proxy. Bounded: `max_entries` gzipped pages
(about 4 KB each), least recently used out first; per process, nothing to keep coherent
between workers or hosts (each one renders its own copy from the shared database).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from typing import Any

GZIP_LEVEL = 6  # zlib's default: Starlette's 9 gave a page no smaller (bench.bench_page)
GZIP_MIN_BYTES = 1000  # below this, gzip's header and the CPU cost more than they save
PAGE_CACHE_ENTRIES = 2048  # ~4 KB gzipped each: ~8 MB per worker


def page_key(*inputs: Any) -> bytes:
    """A 128-bit digest of `repr(inputs)`: equal inputs give equal keys. Made of str, int,
    None, datetimes, lists, dicts in the database's column order and dataclasses, whose reprs
    are unambiguous (`'1'` and `1` differ, as do `None` and `'None'`); the same content in
    another order only misses the cache, it never hits another page."""
    return hashlib.blake2b(repr(inputs).encode("utf-8", "surrogatepass"), digest_size=16).digest()


class CachedPage:
    """One rendered page: its gzipped bytes (what nearly every client asks for) and, made on
    demand and not kept, the plain ones."""

    __slots__ = ("gzipped", "size")

    def __init__(self, html: bytes):
        self.gzipped = gzip.compress(html, GZIP_LEVEL, mtime=0)
        self.size = len(html)

    @property
    def html(self) -> bytes:
        return gzip.decompress(self.gzipped)


class PageCache:
    """A bounded LRU of `CachedPage` by `page_key`; safe to share between threads."""

    def __init__(self, max_entries: int = PAGE_CACHE_ENTRIES):
        self.max_entries = max_entries
        self._pages: OrderedDict[bytes, CachedPage] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: bytes) -> CachedPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return page

    def put(self, key: bytes, page: CachedPage) -> None:
        if self.max_entries <= 0:
            return
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_entries:
                self._pages.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pages)
