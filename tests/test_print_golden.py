"""Golden bytes: every printed form, in every printer mode and paper width, prints exactly the
ESC/POS bytes it printed before the forms were made table-driven (issue #17).

The fixtures (tests/golden/spooled_forms.py) are the JSON fields as the spool stores them, so
the same test also proves a job spooled before typed documents still prints byte for byte. The
SHA-256s were recorded from the code before the refactor; `GOLDEN_UPDATE=1` rewrites them (only
for an intended change of a form, which the diff of tests/golden/print_forms.json then shows).
"""

from __future__ import annotations

import pytest

from counter.spool import JOB_KINDS
from tests.golden.spooled_forms import PRINTERS, SPOOLED, golden, job_digest

CASES = [(form, printer) for form in SPOOLED for printer in PRINTERS]


@pytest.mark.parametrize(("form", "printer"), CASES)
def test_every_form_prints_the_recorded_bytes(form: str, printer: str) -> None:
    assert job_digest(form, PRINTERS[printer]) == golden()[f"{form}/{printer}"]


def test_every_job_kind_has_a_golden_form() -> None:
    assert set(JOB_KINDS) <= {kind for kind, *_ in SPOOLED.values()}
