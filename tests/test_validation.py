"""Validation of identity numbers, tax codes, phones, e-mails, names and addresses."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counter import validation as v
from counter.errors import InvalidInput

TODAY = date(2026, 11, 26)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def refused(fn, raw: str, field: str = "f", **kwargs) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        fn(raw, field, **kwargs)
    assert info.value.field == field
    assert info.value.vi and info.value.en
    return info.value


# --- Province codes ---------------------------------------------------------------------------


def test_province_codes_are_the_63_provinces():
    assert len(v.PROVINCE_CODES) == 63
    assert all(len(code) == 3 and code.isdigit() for code in v.PROVINCE_CODES)
    assert v.PROVINCE_CODES["001"] == "Hà Nội"
    assert v.PROVINCE_CODES["002"] == "Hà Giang"
    assert v.PROVINCE_CODES["004"] == "Cao Bằng"
    assert v.PROVINCE_CODES["048"] == "Đà Nẵng"
    assert v.PROVINCE_CODES["079"] == "Hồ Chí Minh"
    assert v.PROVINCE_CODES["096"] == "Cà Mau"
    assert all(name == unicodedata.normalize("NFC", name) for name in v.PROVINCE_CODES.values())


# --- National ID ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("001090012345", "001090012345"),
        ("001 090 012 345", "001090012345"),
        ("001.090.012.345", "001090012345"),
        ("  079203001234 ", "079203001234"),  # male born 2003, Hồ Chí Minh
        ("096185000001", "096185000001"),  # female born 1985, Cà Mau
        ("001226000001", "001226000001"),  # born 2026: this year is fine
        ("048300000000", "048300000000"),  # born 2000
    ],
)
def test_national_id_valid(raw, expected):
    assert v.national_id(raw, today=TODAY) == expected


@pytest.mark.parametrize(
    ("raw", "vi"),
    [
        ("00109001234", "Số định danh phải gồm đúng 12 chữ số (đang có 11)"),
        ("0010900123456", "Số định danh phải gồm đúng 12 chữ số (đang có 13)"),
        ("099090012345", "Mã tỉnh 099 trong số định danh không tồn tại"),
        ("003090012345", "Mã tỉnh 003 trong số định danh không tồn tại"),
        ("000090012345", "Mã tỉnh 000 trong số định danh không tồn tại"),
        ("00109001234A", "Số định danh chỉ được gồm chữ số (có ký tự “A”)"),
        ("001-090-012-345", "Số định danh chỉ được gồm chữ số (có ký tự “-”)"),
        ("", "Vui lòng nhập số định danh cá nhân (12 chữ số)"),
        (
            "001227000001",
            "Năm sinh 2027 suy ra từ số định danh (chữ số thứ 4–6) chưa tới; vui lòng kiểm tra lại",
        ),
        (
            "001490000001",
            "Năm sinh 2190 suy ra từ số định danh (chữ số thứ 4–6) chưa tới; vui lòng kiểm tra lại",
        ),
    ],
)
def test_national_id_invalid(raw, vi):
    assert refused(v.national_id, raw, "id_number", today=TODAY).vi == vi


def test_national_id_default_field_and_today():
    with pytest.raises(InvalidInput) as info:
        v.national_id("123")
    assert info.value.field == "id_number"
    assert info.value.message("en") == (
        "The identification number must have exactly 12 digits (it has 3)"
    )
    assert v.national_id("001090012345") == "001090012345"


def test_national_id_rejects_non_ascii_digits():
    arabic = "٠٠١٠٩٠٠١٢٣٤٥"
    assert "chỉ được gồm chữ số" in refused(v.national_id, arabic).vi


@st.composite
def plausible_ids(draw) -> str:
    province = draw(st.sampled_from(sorted(v.PROVINCE_CODES)))
    year = draw(st.integers(1900, TODAY.year))
    female = draw(st.integers(0, 1))
    century_digit = 2 * ((year - 1900) // 100) + female
    serial = draw(st.integers(0, 999_999))
    return f"{province}{century_digit}{year % 100:02d}{serial:06d}"


@given(plausible_ids())
def test_property_plausible_ids_accepted_unchanged(number):
    assert v.national_id(number, today=TODAY) == number
    assert v.birth_year(number) <= TODAY.year


@given(st.text(min_size=1).filter(lambda s: not s.strip(" .").isdecimal()))
def test_property_id_with_a_non_digit_rejected(raw):
    stripped = v._SEPARATORS.sub("", unicodedata.normalize("NFC", raw))
    if stripped and all(ch in "0123456789" for ch in stripped):
        return
    with pytest.raises(InvalidInput):
        v.national_id(raw, today=TODAY)


@given(
    st.text(alphabet="0123456789", min_size=0, max_size=30).filter(lambda s: len(s) != 12),
)
def test_property_id_of_wrong_length_rejected(raw):
    with pytest.raises(InvalidInput):
        v.national_id(raw, today=TODAY)


# --- Tax code ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0100109106", "0100109106"),  # Viettel
        ("0100686209", "0100686209"),
        ("0100233488", "0100233488"),
        ("0100112437", "0100112437"),
        ("0314409058-002", "0314409058-002"),
        ("0312 68 78 78 - 001", "0312687878-001"),
        ("01.00.112.437", "0100112437"),
        ("0314409058002", "0314409058-002"),
    ],
)
def test_tax_code_valid(raw, expected):
    assert v.tax_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "vi"),
    [
        ("0100233480", "Mã số thuế 0100233480 sai chữ số kiểm tra; vui lòng kiểm tra lại"),
        ("010010910", "Mã số thuế phải gồm đúng 10 chữ số (đang có 9)"),
        ("01001091061", "Mã số thuế phải gồm đúng 10 chữ số (đang có 11)"),
        ("0100109106-01", "Mã chi nhánh sau dấu gạch ngang phải gồm đúng 3 chữ số (đang có 2)"),
        ("0100109106-000", "Mã chi nhánh 000 không hợp lệ (bắt đầu từ 001)"),
        (
            "010010910A",
            "Mã số thuế chỉ được gồm chữ số và một dấu gạch ngang (có ký tự “A”)",
        ),
        (
            "0100109106-",
            "Mã số thuế có dạng 10 chữ số, hoặc 10 chữ số kèm mã chi nhánh (ví dụ 0100109106-001)",
        ),
        ("", "Vui lòng nhập mã số thuế"),
    ],
)
def test_tax_code_invalid(raw, vi):
    assert refused(v.tax_code, raw, "tax_code").vi == vi


def test_tax_code_check_digit_ten_is_never_valid():
    # Find a 9-digit prefix whose weighted sum is ≡ 0 (mod 11): no digit can complete it.
    prefix = next(p for p in (f"01{n:07d}" for n in range(1, 10_000)) if v.mst_check_digit(p) == 10)
    for last in "0123456789":
        assert "sai chữ số kiểm tra" in refused(v.tax_code, prefix + last).vi


@given(st.integers(1, 9_999_999), st.sampled_from(["01", "03", "79"]))
def test_property_computed_check_digit_is_accepted(serial, province):
    first_nine = f"{province}{serial:07d}"
    check = v.mst_check_digit(first_nine)
    if check == 10:
        return
    number = first_nine + str(check)
    assert v.tax_code(number) == number
    wrong = first_nine + str((check + 1) % 10)
    with pytest.raises(InvalidInput):
        v.tax_code(wrong)


# --- Phone ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912 345 678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("0912-345-678", "0912345678"),
        ("+84 912345678", "0912345678"),
        ("+84 (0) 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0084 912 345 678", "0912345678"),
        ("0387654321", "0387654321"),
        ("0567654321", "0567654321"),
        ("0707654321", "0707654321"),
        ("0867654321", "0867654321"),
        ("024 3825 1234", "02438251234"),
        ("+84 24 3825 1234", "02438251234"),
        ("028.3829.1234", "02838291234"),
    ],
)
def test_phone_valid(raw, expected):
    assert v.phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "vi"),
    [
        ("091234567", "Số di động phải gồm đúng 10 chữ số (đang có 9)"),
        ("09123456789", "Số di động phải gồm đúng 10 chữ số (đang có 11)"),
        ("0243825123", "Số điện thoại cố định phải gồm đúng 11 chữ số (đang có 10)"),
        (
            "0112345678",
            "Đầu số 01 không hợp lệ: số di động bắt đầu bằng 03, 05, 07, 08 hoặc 09, "
            "số cố định bắt đầu bằng 02",
        ),
        (
            "0612345678",
            "Đầu số 06 không hợp lệ: số di động bắt đầu bằng 03, 05, 07, 08 hoặc 09, "
            "số cố định bắt đầu bằng 02",
        ),
        ("912345678", "Số điện thoại phải bắt đầu bằng 0 hoặc +84"),
        ("+1 212 555 0100", "Chỉ nhận số điện thoại Việt Nam (mã quốc gia +84)"),
        (
            "0912 345 67x",
            "Số điện thoại chỉ được gồm chữ số, có thể bắt đầu bằng +84 (có ký tự “x”)",
        ),
        ("", "Vui lòng nhập số điện thoại"),
    ],
)
def test_phone_invalid(raw, vi):
    assert refused(v.phone, raw, "phone").vi == vi


mobile_numbers = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["3", "5", "7", "8", "9"]),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
)


@given(mobile_numbers, st.sampled_from(["+84", "+84 ", "84", "0084", "+84 (0)"]))
def test_property_plus84_maps_to_zero_form(nine, country):
    assert v.phone(country + nine) == "0" + nine
    assert v.phone("0" + nine) == "0" + nine


@given(
    st.one_of(
        mobile_numbers.map(lambda n: "+84 " + n),
        mobile_numbers.map(lambda n: "0" + n[:3] + "." + n[3:6] + "." + n[6:]),
        st.text(alphabet="0123456789 +.-()", max_size=16),
        st.text(max_size=16),
    )
)
def test_property_phone_idempotent(raw):
    try:
        once = v.phone(raw)
    except InvalidInput:
        return
    assert v.phone(once) == once
    assert once.isdigit() and once.startswith("0") and len(once) in (10, 11)


# --- Email ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("an.nguyen@example.vn", "an.nguyen@example.vn"),
        ("  An.Nguyen@Example.GOV.VN ", "An.Nguyen@example.gov.vn"),
        (
            "mot-cua+hs@ubnd-quan1.hochiminhcity.gov.vn",
            "mot-cua+hs@ubnd-quan1.hochiminhcity.gov.vn",
        ),
    ],
)
def test_email_valid(raw, expected):
    assert v.email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "vi"),
    [
        ("an.nguyen.example.vn", "Địa chỉ email thiếu ký tự @"),
        ("an@nguyen@example.vn", "Địa chỉ email chỉ được có một ký tự @"),
        ("an nguyen@example.vn", "Địa chỉ email không được chứa khoảng trắng"),
        ("an@example", "Tên miền của email không hợp lệ: “example”"),
        ("an@example..vn", "Tên miền của email không hợp lệ: “example..vn”"),
        ("an@-example.vn", "Tên miền của email không hợp lệ: “-example.vn”"),
        ("an@example.v", "Tên miền của email không hợp lệ: “example.v”"),
        ("@example.vn", "Phần tên trước ký tự @ của email không hợp lệ: “”"),
        ("an..b@example.vn", "Phần tên trước ký tự @ của email không hợp lệ: “an..b”"),
        ("", "Vui lòng nhập địa chỉ email"),
    ],
)
def test_email_invalid(raw, vi):
    assert refused(v.email, raw, "email").vi == vi


# --- Person name ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("NGUYỄN VĂN AN", "Nguyễn Văn An"),
        ("nguyễn văn an", "Nguyễn Văn An"),
        ("  Nguyễn   Văn  An ", "Nguyễn Văn An"),
        ("đặng thị ánh tuyết", "Đặng Thị Ánh Tuyết"),
        ("ĐỖ ĐỨC ĐẠT", "Đỗ Đức Đạt"),
        ("McDonald Anh", "McDonald Anh"),  # mixed casing kept
        ("Nguyễn văn An", "Nguyễn văn An"),
        ("jean-pierre o'neil", "Jean-Pierre O'Neil"),
        ("Lê Thị H.", "Lê Thị H."),
    ],
)
def test_person_name_valid(raw, expected):
    assert v.person_name(raw) == expected


def test_person_name_accepts_decomposed_input():
    decomposed = nfd("Nguyễn Văn Ánh")
    assert decomposed != "Nguyễn Văn Ánh"
    assert v.person_name(decomposed) == "Nguyễn Văn Ánh"
    assert v.person_name(nfd("TRẦN THỊ HỒNG")) == "Trần Thị Hồng"


@pytest.mark.parametrize(
    ("raw", "vi"),
    [
        ("", "Vui lòng nhập họ tên"),
        ("   ", "Vui lòng nhập họ tên"),
        ("A", "Họ tên quá ngắn (cần ít nhất 2 ký tự)"),
        ("A" * 101, "Họ tên quá dài (tối đa 100 ký tự, đang có 101)"),
        ("Nguyễn Văn 2", "Họ tên không được chứa chữ số"),
        (
            "Nguyễn@Văn",
            "Họ tên chứa ký tự không hợp lệ “@” (chỉ được dùng chữ cái, khoảng trắng, "
            "dấu nháy đơn, gạch nối và dấu chấm)",
        ),
        ("--", "Họ tên phải có chữ cái"),
    ],
)
def test_person_name_invalid(raw, vi):
    assert refused(v.person_name, raw, "name").vi == vi


VIETNAMESE_LETTERS = (
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
)
name_chars = VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper() + " '-."


@given(st.text(alphabet=name_chars, min_size=2, max_size=100))
def test_property_person_name_idempotent(raw):
    try:
        once = v.person_name(raw)
    except InvalidInput:
        return
    assert v.person_name(once) == once
    assert v.person_name(nfd(raw)) == once


@given(st.text(min_size=2, max_size=40))
def test_property_person_name_idempotent_any_text(raw):
    try:
        once = v.person_name(raw)
    except InvalidInput:
        return
    assert v.person_name(once) == once


# --- Organisation name and address -----------------------------------------------------------


def test_organisation_name():
    assert v.organisation_name("  công ty tnhh  3   thành viên ") == "công ty tnhh 3 thành viên"
    assert v.organisation_name(nfd("Công ty Cổ phần 2/9")) == "Công ty Cổ phần 2/9"
    assert refused(v.organisation_name, "X").vi == "Tên tổ chức quá ngắn (cần ít nhất 2 ký tự)"
    assert refused(v.organisation_name, "x" * 201).vi == (
        "Tên tổ chức quá dài (tối đa 200 ký tự, đang có 201)"
    )
    assert refused(v.organisation_name, "").vi == "Vui lòng nhập tên tổ chức"
    assert refused(v.organisation_name, "--").vi == "Tên tổ chức phải có chữ cái hoặc chữ số"


def test_address():
    raw = nfd("  Số 12,  ngõ 34 phố Đội Cấn, phường Ngọc Hà, Hà Nội ")
    assert v.address(raw) == "Số 12, ngõ 34 phố Đội Cấn, phường Ngọc Hà, Hà Nội"
    assert len(v.address("x" * 250)) == 250
    assert refused(v.address, "x" * 251).vi == "Địa chỉ quá dài (tối đa 250 ký tự, đang có 251)"
    assert refused(v.address, " ").vi == "Vui lòng nhập địa chỉ"
    assert "ký tự điều khiển" in refused(v.address, "Số 1\x00 Hà Nội").vi


def test_optional():
    assert v.optional(v.phone, "", "phone") == ""
    assert v.optional(v.phone, "   ", "phone") == ""
    assert v.optional(v.email, None, "email") == ""
    assert v.optional(v.phone, "+84 912 345 678", "phone") == "0912345678"
    with pytest.raises(InvalidInput) as info:
        v.optional(v.phone, "12", "contact_phone")
    assert info.value.field == "contact_phone"


# --- Masking ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("001090012345", "0010******45"),
        ("001 090 012 345", "0010******45"),
        ("0100109106", "0100****06"),
        ("123456", "******"),
        ("", ""),
    ],
)
def test_mask_id(number, masked):
    assert v.mask_id(number) == masked


@given(st.text(max_size=40))
def test_property_mask_id_reveals_at_most_six_digits(number):
    masked = v.mask_id(number)
    assert sum(ch.isdigit() for ch in masked) <= 6


@given(plausible_ids())
def test_property_mask_id_of_valid_id(number):
    masked = v.mask_id(number)
    assert len(masked) == 12
    assert masked[:4] == number[:4] and masked[-2:] == number[-2:]
    assert masked[4:10] == "******"


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Nguyễn Văn An", "Nguyễn V. A."),
        ("Trần Thị Ánh Tuyết", "Trần T. Á. T."),
        (nfd("Đỗ Đức Đạt"), "Đỗ Đ. Đ."),
        ("  Lê   văn   bình ", "Lê V. B."),
        ("Nguyễn", "Nguyễn"),
        ("", ""),
    ],
)
def test_mask_name(name, masked):
    assert v.mask_name(name) == masked
