"""The waiting hall's sound, served by the hub: a chime and one clip per spoken word.

A TV browser rarely has a Vietnamese voice (Chromium on a small Linux PC has none), so the hub
does not rely on it. Each word a call can contain (`counter.vi_numerals.VOCABULARY`: the two
phrases, the letter names, the numeral words) is one clip, taken from the centre's own
recordings when the folder `[queue] hall_recordings` has "<word>.wav|.mp3|.ogg", else rendered
once by espeak-ng (Debian's `espeak-ng`, which ships northern, central and southern Vietnamese
voices) into a cache beside the hub's database. The board plays the chime, then the clips of
the call in order. The chime is synthesised here (two soft tones), so there is always at least
a chime even on a machine without espeak-ng.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import shutil
import struct
import subprocess
import threading
import wave
from pathlib import Path
from urllib.parse import quote

from counter.vi_numerals import VOCABULARY, call_words

log = logging.getLogger(__name__)

CHIME = "chime"
RATE = 22_050  # espeak-ng's own rate, so the chime and the words sound alike on any player
ESPEAK_SPEED = 140  # words per minute: a little slower than espeak's 175, for a large hall
SUFFIXES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg"}
CLIPS = (CHIME, *VOCABULARY)


def chime_wav() -> bytes:
    """A two-tone "ding-dong" (E5 then C5, soft attack, exponential decay), 16-bit mono."""
    frames = bytearray()
    for freq, length in ((659.25, 0.45), (523.25, 0.75)):
        n = int(RATE * length)
        for i in range(n):
            t = i / RATE
            envelope = min(1.0, t / 0.01) * math.exp(-3.5 * t)
            sample = envelope * (
                math.sin(2 * math.pi * freq * t) + 0.3 * math.sin(4 * math.pi * freq * t)
            )
            frames += struct.pack("<h", int(max(-1.0, min(1.0, sample * 0.5)) * 32767))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))
    return buf.getvalue()


def clip_url(word: str) -> str:
    return "/audio/" + quote(word)


class HallVoice:
    """Where each clip comes from, rendering the missing ones on first use (and caching)."""

    def __init__(self, cache_dir: Path, *, voice: str = "vi", recordings: Path | None = None):
        self.cache_dir = cache_dir
        self.voice = voice
        self.recordings = recordings
        self.espeak = shutil.which("espeak-ng")
        self._lock = threading.Lock()

    def urls(self, number: str, counter_no: int, *, with_chime: bool = True) -> list[str]:
        """The clips of one call, in the order the board plays them."""
        words = call_words(number, counter_no)
        return [clip_url(w) for w in ([CHIME, *words] if with_chime else words)]

    def _recorded(self, word: str) -> Path | None:
        if self.recordings is None:
            return None
        for suffix in SUFFIXES:
            path = self.recordings / f"{word}{suffix}"
            if path.is_file():
                return path
        return None

    def _cached(self, word: str) -> Path:
        key = hashlib.sha256(f"espeak-ng|{self.voice}|{ESPEAK_SPEED}|{word}".encode()).hexdigest()
        return self.cache_dir / f"{key[:20]}.wav"

    def clip(self, word: str) -> tuple[bytes, str] | None:
        """The clip's bytes and media type; None if `word` is not a clip or cannot be made
        (no recording and no espeak-ng: the board then plays the chime alone)."""
        if word not in CLIPS:
            return None
        recorded = self._recorded(word)
        if recorded is not None:
            return recorded.read_bytes(), SUFFIXES[recorded.suffix]
        if word == CHIME:
            return chime_wav(), "audio/wav"
        path = self._cached(word)
        if not path.is_file() and not self._render(word, path):
            return None
        return path.read_bytes(), "audio/wav"

    def _render(self, word: str, path: Path) -> bool:
        if self.espeak is None:
            return False
        with self._lock:
            if path.is_file():
                return True
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".part")
            try:
                subprocess.run(
                    [self.espeak, "-v", self.voice, "-s", str(ESPEAK_SPEED), "-w", str(partial),
                     word],
                    check=True, capture_output=True, timeout=20,
                )  # fmt: skip
                partial.replace(path)
            except (OSError, subprocess.SubprocessError) as exc:
                log.warning("espeak-ng could not render a hall clip: %s", exc, exc_info=exc)
                partial.unlink(missing_ok=True)
                return False
        return True

    def prepare(self) -> tuple[int, list[str]]:
        """Render every clip now (at install or hub start): how many are ready, which not."""
        missing = [w for w in CLIPS if self.clip(w) is None]
        return len(CLIPS) - len(missing), missing


__all__ = ["CHIME", "CLIPS", "HallVoice", "chime_wav", "clip_url"]
