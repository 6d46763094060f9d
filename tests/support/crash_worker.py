"""Child process of the crash test: saves dossiers and reports each one after its commit.

Run as `python -m tests.support.crash_worker CONFIG`; prints "uuid code status" per saved change.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from counter.config import load_config
from counter.desk import Desk
from tests.support.builders import draft_for


def main() -> None:
    desk = Desk.open(load_config(Path(sys.argv[1])))
    if not desk.has_officers():
        desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    desk.login("canbo", "1234")
    rng = random.Random()
    print("ready", flush=True)
    while True:
        d = desk.receive(draft_for(desk, "1.004194"))
        print(d.uuid, d.code, d.status, flush=True)
        if rng.random() < 0.5:
            d = desk.act(d.uuid, "start_processing")
            print(d.uuid, d.code, d.status, flush=True)


if __name__ == "__main__":
    main()
