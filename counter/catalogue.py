"""The procedure catalogue (danh mục thủ tục hành chính): what a counter can receive.

Loaded from a TOML file (the shipped one is ``counter/data/catalogue.toml``). Loading validates
every entry and reports *all* problems at once, each naming the file, the entry (index and
code) and the key. Text is NFC-normalised; search folds diacritics and đ so that "dang ky ket
hon" finds "Đăng ký kết hôn".
"""

from __future__ import annotations

import datetime
import pathlib
import pkgutil
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from counter.errors import NotFound
from counter.text import fold, nfc, nfc_tree
from counter.toml_reader import TableReader

DOCUMENT_FORMS = ("original", "copy", "original_or_copy", "electronic")
# (Vietnamese, English) labels: the receipts and exports print the Vietnamese, the screens
# follow the interface language.
FORM_LABELS: dict[str, tuple[str, str]] = {
    "original": ("Bản chính", "Original"),
    "copy": ("Bản sao", "Copy"),
    "original_or_copy": ("Bản chính hoặc bản sao", "Original or copy"),
    "electronic": ("Bản điện tử", "Electronic"),
}
DELIVERY_OPTIONS = ("counter", "post", "online")
DELIVERY_LABELS: dict[str, tuple[str, str]] = {
    "counter": ("Tại Bộ phận Một cửa", "At the counter"),
    "post": ("Qua dịch vụ bưu chính công ích", "By public postal service"),
    "online": ("Trực tuyến", "Online"),
}


def form_label(form: str, lang: str = "vi") -> str:
    """How a document form is written ("Bản sao"); an unknown key as it is."""
    return _label(FORM_LABELS, form, lang)


def delivery_label(delivery: str, lang: str = "vi") -> str:
    """How a way of returning the result is written; an unknown key as it is."""
    return _label(DELIVERY_LABELS, delivery, lang)


def _label(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    pair = table.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


DURATION_UNITS = ("working_days", "working_hours", "calendar_days")

_UNIT_TEXT = {
    "vi": {
        "working_days": "ngày làm việc",
        "working_hours": "giờ làm việc",
        "calendar_days": "ngày",
    },
    "en": {
        "working_days": "working days",
        "working_hours": "working hours",
        "calendar_days": "days",
    },
}
_UNIT_TEXT_EN_ONE = {
    "working_days": "working day",
    "working_hours": "working hour",
    "calendar_days": "day",
}

_CODE_RE = re.compile(r"^\d\.\d{6}(\.[A-Za-z0-9]+)*$")
_WORD_RE = re.compile(r"[0-9a-z]+")
_QUERY_WORD_RE = re.compile(r"[0-9a-z.]+")

_PROCEDURE_KEYS = (
    "code",
    "code_verified",
    "name",
    "field",
    "deciding_agency",
    "duration",
    "duration_unit",
    "duration_note",
    "cutoff",
    "fee",
    "fee_note",
    "delivery",
    "source",
    "documents",
)
_DOCUMENT_KEYS = ("name", "form", "count", "required")


@dataclass(frozen=True)
class RequiredDocument:
    """One line of "Thành phần hồ sơ": the paper, in which form, how many."""

    name: str
    form: str
    count: int
    required: bool


@dataclass(frozen=True)
class Procedure:
    """One administrative procedure (thủ tục hành chính) as published."""

    code: str
    code_verified: bool
    name: str
    field: str
    deciding_agency: str
    duration: float
    duration_unit: str
    duration_note: str
    cutoff: datetime.time | None
    fee: int
    fee_note: str
    delivery: tuple[str, ...]
    source: str
    documents: tuple[RequiredDocument, ...]

    def duration_text(self, lang: str = "vi") -> str:
        """The legal duration as printed on a receipt: "03 ngày làm việc", "Trong ngày"."""
        if self.duration == 0:
            return "Same day" if lang == "en" else "Trong ngày"
        number = _number_text(self.duration, lang)
        if lang == "en":
            unit = (
                _UNIT_TEXT_EN_ONE[self.duration_unit]
                if self.duration == 1
                else _UNIT_TEXT["en"][self.duration_unit]
            )
            return f"{number} {unit}"
        return f"{number} {_UNIT_TEXT['vi'][self.duration_unit]}"

    def search_key(self) -> str:
        return fold(f"{self.code} {self.name}")


def _number_text(value: float, lang: str) -> str:
    if float(value).is_integer():
        whole = int(value)
        return str(whole) if lang == "en" else f"{whole:02d}"
    text = f"{value:g}"
    return text if lang == "en" else text.replace(".", ",")


class CatalogueError(Exception):
    """The catalogue file is unusable; `problems` lists every problem found, one per line."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = list(problems)
        head = f"{path}: danh mục thủ tục không hợp lệ / invalid procedure catalogue"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class Catalogue:
    """The loaded catalogue: lookup by code, fields, and type-ahead search."""

    def __init__(self, procedures: Iterable[Procedure]):
        self.procedures: tuple[Procedure, ...] = tuple(procedures)
        self._by_code = {p.code: p for p in self.procedures}
        self._keys = [
            (fold(p.code), _WORD_RE.findall(fold(p.name)), fold(p.name)) for p in self.procedures
        ]

    def __len__(self) -> int:
        return len(self.procedures)

    def __iter__(self) -> Iterator[Procedure]:
        return iter(self.procedures)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and nfc(code) in self._by_code

    def get(self, code: str) -> Procedure:
        key = nfc(code)
        try:
            return self._by_code[key]
        except KeyError:
            raise NotFound(
                f"Không tìm thấy thủ tục hành chính có mã {key!r} trong danh mục.",
                f"No procedure with code {key!r} in the catalogue.",
            ) from None

    def fields(self) -> list[str]:
        """Distinct lĩnh vực, sorted the Vietnamese-aware way (by the folded form)."""
        distinct = {p.field for p in self.procedures}
        return sorted(distinct, key=lambda f: (fold(f), f))

    def by_field(self, field: str) -> list[Procedure]:
        return [p for p in self.procedures if p.field == field]

    def search(self, query: str, limit: int = 20) -> list[Procedure]:
        """Type-ahead over code and name, diacritic-insensitive.

        Every query word must match, as the prefix of a word of the name or a substring of the
        code. Ranking: exact code, code prefix, all words matching name words, then matches
        needing a code substring; ties prefer the query as a phrase, then shorter names, then
        catalogue order.
        """
        folded = fold(query)
        if not folded:
            return list(self.procedures[: max(limit, 0)])
        words = [w for w in _QUERY_WORD_RE.findall(folded) if w.strip(".")]
        if not words:
            return []
        whole = folded.replace(" ", "")
        ranked: list[tuple[int, int, int, int, Procedure]] = []
        for index, (procedure, (code, name_words, name)) in enumerate(
            zip(self.procedures, self._keys, strict=True)
        ):
            if whole == code:
                tier = 0
            elif code.startswith(whole):
                tier = 1
            else:
                tier = 2
                for word in words:
                    bare = word.strip(".")
                    if any(w.startswith(bare) for w in name_words):
                        continue
                    if word in code:
                        tier = 3
                        continue
                    tier = -1
                    break
                if tier < 0:
                    continue
            if tier < 2:
                ranked.append((tier, 0, 0, index, procedure))
                continue
            phrase = 0 if " ".join(words) in name else 1
            ranked.append((tier, phrase, len(name), index, procedure))
        ranked.sort(key=lambda item: item[:4])
        return [item[4] for item in ranked[: max(limit, 0)]]


def load_catalogue(path: pathlib.Path | None = None) -> Catalogue:
    """Load and validate a catalogue; None loads the one shipped in ``counter.data``."""
    if path is None:
        label = "counter/data/catalogue.toml"
        try:
            # pkgutil, not importlib.resources: that one loads zipfile and its compressors
            # (a sixth of the app's start) to read a file that sits beside this module.
            data = pkgutil.get_data("counter.data", "catalogue.toml")
        except OSError as exc:
            raise CatalogueError(label, [f"cannot read the file: {exc}"]) from exc
        if data is None:
            raise CatalogueError(label, ["cannot read the file: no loader for counter.data"])
        raw = data
    else:
        label = str(path)
        try:
            raw = pathlib.Path(path).read_bytes()
        except OSError as exc:
            raise CatalogueError(label, [f"cannot read the file: {exc}"]) from exc
    return parse_catalogue(raw, label)


def parse_catalogue(raw: bytes | str, label: str = "<catalogue>") -> Catalogue:
    """Validate TOML text into a Catalogue; raise one CatalogueError listing every problem."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    try:
        data = nfc_tree(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogueError(label, [f"not valid TOML: {exc}"]) from exc
    return catalogue_from_tables(data, label)


def catalogue_from_tables(data: Mapping[str, Any], label: str = "<catalogue>") -> Catalogue:
    """Validate parsed (NFC) TOML tables into a Catalogue; one CatalogueError lists every
    problem."""
    problems: list[str] = []
    for key in data:
        if key != "procedure":
            problems.append(f"unknown top-level key {key!r}: expected only [[procedure]] tables")
    entries = data.get("procedure")
    if not isinstance(entries, list) or not entries:
        problems.append("key 'procedure': expected at least one [[procedure]] table")
        raise CatalogueError(label, problems)
    procedures: list[Procedure] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, Mapping):
            problems.append(f"procedure #{index}: expected a table")
            continue
        checker = _EntryChecker(index, entry)
        procedure = checker.build()
        problems.extend(checker.problems)
        if procedure is None:
            continue
        if procedure.code in seen:
            problems.append(
                f"{checker.where} key 'code': duplicate code {procedure.code!r} "
                f"(already used by procedure #{seen[procedure.code]}); codes must be unique"
            )
            continue
        seen[procedure.code] = index
        procedures.append(procedure)
    if problems:
        raise CatalogueError(label, problems)
    return Catalogue(procedures)


class _EntryChecker:
    """Checks one [[procedure]] table through the shared `TableReader`, collecting problems
    instead of stopping at the first."""

    def __init__(self, index: int, entry: Mapping[str, Any]):
        self.entry = entry
        self.problems: list[str] = []
        code = entry.get("code")
        shown = nfc(code) if isinstance(code, str) and code.strip() else "?"
        self.where = f"procedure #{index} ({shown}):"
        self.reader = TableReader(entry, self.where, self.problems, key_style="{where} key {key!r}")

    def fail(self, key: str, message: str) -> None:
        self.reader.fail(key, message)

    def text(self, key: str, *, required: bool = True) -> str:
        value = self.entry.get(key)
        if value is None:
            if required:
                self.fail(key, "missing; expected a non-empty string")
            return ""
        value = nfc(self.reader.text(key))
        if required and not value and isinstance(self.entry.get(key), str):
            self.fail(key, "expected a non-empty string")
        return value

    def build(self) -> Procedure | None:
        entry = self.entry
        self.reader.unknown_keys(_PROCEDURE_KEYS, style="expected")
        code = self.text("code")
        if code and not _CODE_RE.match(code):
            self.fail("code", f"expected a mã TTHC like '1.001193' or '1.014465.H12', got {code!r}")
        code_verified = self.reader.flag("code_verified", False)
        name = self.text("name")
        field = self.text("field")
        agency = self.text("deciding_agency")
        source = self.text("source")
        duration_note = self.text("duration_note", required=False)
        fee_note = self.text("fee_note", required=False)

        duration = entry.get("duration")
        if isinstance(duration, bool) or not isinstance(duration, int | float):
            self.fail("duration", f"expected a number >= 0, got {duration!r}")
            duration = 0.0
        elif duration < 0:
            self.fail("duration", f"expected a number >= 0, got {duration!r}")
        unit = entry.get("duration_unit")
        if unit not in DURATION_UNITS:
            self.fail("duration_unit", f"expected one of {', '.join(DURATION_UNITS)}, got {unit!r}")
            unit = DURATION_UNITS[0]

        cutoff = self.reader.time_of_day("cutoff", None, example="15:00")

        fee = entry.get("fee")
        if isinstance(fee, bool) or not isinstance(fee, int) or fee < 0:
            self.fail("fee", f"expected a whole number of đồng >= 0 (0 if free), got {fee!r}")
            fee = 0

        self._consistent(duration, cutoff, duration_note, fee, fee_note)
        delivery = self._delivery(entry.get("delivery"))
        documents = self._documents(entry.get("documents"))
        if self.problems:
            return None
        return Procedure(
            code=code,
            code_verified=code_verified,
            name=name,
            field=field,
            deciding_agency=agency,
            duration=float(duration),
            duration_unit=str(unit),
            duration_note=duration_note,
            cutoff=cutoff,
            fee=int(fee),
            fee_note=fee_note,
            delivery=delivery,
            source=source,
            documents=documents,
        )

    def _consistent(
        self, duration: object, cutoff: object, duration_note: str, fee: object, fee_note: str
    ) -> None:
        """The numbers must say what the published notes say (a receipt prints the numbers).

        A note promising the result "trong ngày" needs duration 0 (and the next working day
        after a cut-off needs the cut-off); a note naming an amount in đồng needs a fee."""
        note = fold(duration_note).lstrip()
        same_day = note.startswith(("trong ngay", "ngay trong ngay"))
        if same_day and duration != 0:
            self.fail(
                "duration",
                f"the note says the result is given the same day ({duration_note!r}): "
                "expected duration = 0 (with a cutoff if it rolls to the next working day)",
            )
        if same_day and "ngay lam viec tiep theo" in note and cutoff is None:
            self.fail("cutoff", "the note names a next-working-day rule: expected a cutoff")
        free = fold(fee_note)
        if fee == 0 and fee_note and not any(w in free for w in ("mien", "khong thu", "khong")):
            self.fail(
                "fee",
                f"the fee is 0 but the note does not say it is free ({fee_note!r}): "
                "expected the amount, or a note such as “Không thu lệ phí” / “Miễn lệ phí”",
            )

    def _delivery(self, value: object) -> tuple[str, ...]:
        expected = f"expected a non-empty list drawn from {', '.join(DELIVERY_OPTIONS)}"
        if not isinstance(value, list) or not value:
            self.fail("delivery", f"{expected}, got {value!r}")
            return ()
        bad = [v for v in value if v not in DELIVERY_OPTIONS]
        if bad:
            self.fail("delivery", f"{expected}, got unknown {bad!r}")
            return ()
        if len(set(value)) != len(value):
            self.fail("delivery", f"{expected}, without repeats; got {value!r}")
        return tuple(str(v) for v in value)

    def _documents(self, value: object) -> tuple[RequiredDocument, ...]:
        if not isinstance(value, list) or not value:
            self.fail(
                "documents",
                "expected at least one [[procedure.documents]] table (name, form, count, required)",
            )
            return ()
        documents: list[RequiredDocument] = []
        for number, doc in enumerate(value, start=1):
            key = f"documents[{number}]"
            if not isinstance(doc, Mapping):
                self.fail(key, f"expected a table, got {doc!r}")
                continue
            ok = True
            for extra in doc:
                if extra not in _DOCUMENT_KEYS:
                    self.fail(
                        f"{key}.{extra}",
                        f"unknown key; expected one of {', '.join(_DOCUMENT_KEYS)}",
                    )
                    ok = False
            name = doc.get("name")
            if not isinstance(name, str) or not nfc(name):
                self.fail(f"{key}.name", f"expected a non-empty string, got {name!r}")
                ok = False
            form = doc.get("form")
            if form not in DOCUMENT_FORMS:
                self.fail(
                    f"{key}.form", f"expected one of {', '.join(DOCUMENT_FORMS)}, got {form!r}"
                )
                ok = False
            count = doc.get("count", 1)
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                self.fail(f"{key}.count", f"expected a whole number >= 1, got {count!r}")
                ok = False
            required = doc.get("required", True)
            if not isinstance(required, bool):
                self.fail(f"{key}.required", f"expected true or false, got {required!r}")
                ok = False
            if ok:
                documents.append(
                    RequiredDocument(
                        name=nfc(str(name)), form=str(form), count=count, required=required
                    )
                )
        return tuple(documents)
