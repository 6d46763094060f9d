"""The pieces a printed form is described with: small functions from a document to blocks.

A form (printing/layout.py) is a table of these parts, read top to bottom by one renderer, so
adding or changing a line of a form is one row in its table, not a copy of another form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from .blocks import Align, Block, Column, Rule, Size, Space, Table, kv, para

D = TypeVar("D", contravariant=True)
Part = Callable[[D], list[Block]]
"""One piece of a form: the blocks it prints for a document (none when it does not apply)."""

Value = Callable[[D], str]
When = Callable[[D], bool]


F = TypeVar("F")


@dataclass(frozen=True)
class Form(Generic[F]):
    """A printed form: its parts, top to bottom (the one renderer joins their blocks)."""

    parts: tuple[Part[F], ...]

    def blocks(self, doc: F) -> list[Block]:
        return [block for part in self.parts for block in part(doc)]


class OfficialForm(Protocol):
    """What the heading of a numbered form (Mẫu 01–05) reads from its document."""

    @property
    def agency_name(self) -> str: ...

    @property
    def form_number(self) -> str: ...

    @property
    def place_date(self) -> str: ...


ONE_STOP = "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"


def fixed(*blocks: Block) -> Part[object]:
    """The same blocks on every copy of the form."""
    return lambda _doc: list(blocks)


def text(
    value: Value[D] | str,
    *,
    bold: bool = False,
    align: Align = "left",
    size: Size = "normal",
    when: When[D] | None = None,
) -> Part[D]:
    """A paragraph, worded from the document (or fixed), printed only `when` it applies."""

    def part(doc: D) -> list[Block]:
        if when is not None and not when(doc):
            return []
        words = value if isinstance(value, str) else value(doc)
        return [para(words, bold=bold, align=align, size=size)]

    return part


def field(
    label: str, value: Value[D], *, bold: bool = False, when: When[D] | None = None
) -> Part[D]:
    """'Label: value' with the label in bold, as the paper forms set it."""

    def part(doc: D) -> list[Block]:
        if when is not None and not when(doc):
            return []
        return [kv(label, value(doc), bold_value=bold)]

    return part


def optional_field(label: str, value: Value[D], *, bold: bool = False) -> Part[D]:
    """A field printed only when the document has a value for it."""

    def part(doc: D) -> list[Block]:
        words = value(doc)
        return [kv(label, words, bold_value=bold)] if words else []

    return part


def numbered(items: Callable[[D], tuple[str, ...]]) -> Part[D]:
    """1. …, 2. …: the items of a list, one paragraph each."""
    return lambda doc: [para(f"{i}. {item}") for i, item in enumerate(items(doc), 1)]


def title(words: str) -> Part[object]:
    """The form's name under a rule, large and bold, with a little air below."""
    return fixed(Rule(), para(words, bold=True, align="center", size="large"), Space())


def header(agency: str, centre: str, form_number: str) -> list[Block]:
    """The agency, the centre, the one-stop section and the form's number (when it has one)."""
    out: list[Block] = []
    if agency:
        out.append(para(agency.upper(), bold=True, align="center"))
    if centre:
        out.append(para(centre, align="center", size="small"))
    out.append(para(ONE_STOP, bold=True, align="center"))
    if form_number:  # the 2018 numbering has no number for some forms
        out.append(para(f"Mẫu số {form_number}", align="right", size="small"))
    return out


def official_heading(doc: OfficialForm) -> list[Block]:
    """The heading of Mẫu 02–05: agency, section, number, then the place and date line."""
    return header(doc.agency_name, "", doc.form_number) + place_date(doc)


def place_date(doc: OfficialForm) -> list[Block]:
    """ "Hà Nội, ngày 01 tháng 12 năm 2026", right-aligned (when the form has one)."""
    return [para(doc.place_date, align="right", size="small")] if doc.place_date else []


def signatures(left: str, right: str, left_name: str, right_name: str) -> Table:
    """Two signature blocks side by side, as the paper forms set them."""
    cols = (Column(left, 1.0, "center"), Column(right, 1.0, "center"))
    hint = "(Ký, ghi rõ họ tên)"
    return Table(cols, ((hint, hint), ("", ""), ("", ""), (left_name, right_name)))


def money(amount: int) -> str:
    """50000 -> '50.000 đồng' (Vietnamese groups thousands with dots)."""
    return f"{amount:,}".replace(",", ".") + " đồng"
