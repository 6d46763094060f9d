"""The citizen pages' templates and CSP headers, built once per process, apart from handlers."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import jinja2

TEMPLATE_DIR = Path(__file__).parent / "templates"
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # shipped with the code: compiled once per process, then cached
)


def render_html(name: str, **ctx: Any) -> str:
    """A page template rendered (the layout's optional blocks default to absent)."""
    ctx.setdefault("office", None)  # the layout's who/where/when block, when known
    ctx.setdefault("page_url", "")  # printed as text and QR, on a receipt's pages only
    return _ENV.get_template(name).render(**ctx)


def _style_source() -> str:
    """The CSP source allowing the layout's one `<style>` element: its SHA-256. A hash, not a
    per-request nonce, so a page's bytes do not change from one response to the next (and can
    be kept, `portal.page_cache`) while an injected style still cannot apply."""
    styles = {
        m.group(1)
        for name in _ENV.list_templates()
        if name not in ("base.html", "office.html")
        for m in re.finditer(r"<style>(.*?)</style>", render_html(name, **_SAMPLE), re.S)
    }
    assert len(styles) == 1, "every page shares the layout's one style element"
    digest = hashlib.sha256(styles.pop().encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


# Just enough context for every template to render (the style does not depend on it).
_SAMPLE: dict[str, Any] = {
    "code": "",
    "wait": "",
    "message": "",
    **dict.fromkeys(("headline", "explanation", "tone", "notice", "list_title", "reason"), ""),
    **dict.fromkeys(("next_step", "updated_at", "form_token", "error"), ""),
    **dict.fromkeys(("overdue", "can_rate", "rated"), False),
    "items": [],
    "facts": [],
    "timeline": [],
    "rating": None,
    "overall_text": {},
    "criteria": {},
    "scores": (),
    "form": {},
}
STYLE_SOURCE = _style_source()
PAGE_HEADERS = {
    "content-security-policy": (
        f"default-src 'none'; style-src {STYLE_SOURCE}; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "cache-control": "no-store",
}
