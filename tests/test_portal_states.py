"""What the citizen page says in every state, who/where/when on every page, the centre profile
the counter sends, the rating sent twice, gzip. Real portal (uvicorn on 127.0.0.1) on SQLite
and on PostgreSQL; the browser side (axe, 320 px, throttled double tap, PDF) is in
`test_portal_page_browser.py`.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counter.config import HolidayOverrides, OfficeHours
from counter.profile import ProfileError, build_profile, parse_profile
from counter.sync import K_PROFILE, sync_once
from counter.worktime import WorkCalendar
from portal import admin
from portal.server import ThreadedPortal
from tests.support.config import make_config
from tests.support.pg import pg_cluster, portal_db  # noqa: F401  (fixtures)
from tests.support.portal import CRITERIA, lookup_counter, text_of
from tests.support.portal_states import (
    EXTENSION_REASON,
    REFUSAL,
    STOP,
    SUPPLEMENT_ITEMS,
    SUPPLEMENT_REASON,
    WITHDRAWAL,
    Made,
    make_states,
)
from tests.support.sync import AGENCY, Counter

OFFICE = (
    "UBND phường Hoàn Kiếm",
    "Trung tâm Phục vụ hành chính công phường Hoàn Kiếm",
    "Số 126 Hàng Trống, phường Hoàn Kiếm, thành phố Hà Nội",
    "Giờ làm việc",
    "08:00–12:00, 13:00–17:00",
    "Thứ Hai – Thứ Sáu",
)


@pytest.fixture
def portal(portal_db: str) -> Iterator[ThreadedPortal]:  # noqa: F811
    with ThreadedPortal(portal_db, lookup_max_failures=50) as p:
        yield p


@pytest.fixture
def counter(tmp_path: Path, portal: ThreadedPortal) -> Iterator[Counter]:
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    c = lookup_counter(tmp_path, 3, portal, code)
    report = sync_once(c.store, c.config)
    assert report.ok and report.profile_sent, report.text()  # enrolled, profile sent with it
    yield c
    c.desk.close()


@pytest.fixture
def states(counter: Counter, portal: ThreadedPortal) -> dict[str, Made]:
    return make_states(counter, portal)


def page_of(made: Made) -> tuple[httpx.Response, str]:
    r = httpx.get(made.url)
    assert r.status_code == 200, r.text
    return r, text_of(r)


def test_every_state_shows_who_where_when_and_a_tel_link(states: dict[str, Made]) -> None:
    for name, made in states.items():
        r, page = page_of(made)
        for words in OFFICE:
            assert words in page, (name, words)
        assert 'href="tel:19001234"' in r.text, name
        assert re.search(r"Hôm nay \((Thứ|Chủ)", page), name
        assert made.code in page, name


def test_open_and_ongoing_states_give_the_appointment_and_the_place(
    states: dict[str, Made],
) -> None:
    for name in ("received", "processing"):
        _, page = page_of(states[name])
        assert "Hẹn trả kết quả" in page and "Nơi nhận kết quả" in page
        assert "Tại Trung tâm Phục vụ hành chính công phường Hoàn Kiếm, quầy số 3" in page
    _, page = page_of(states["result_ready"])
    assert "mời ông/bà đến nhận tại quầy số 3" in page
    assert "Giờ làm việc: Hôm nay" in page  # when to come, in the next step


def test_closed_states_promise_nothing_and_say_why(states: dict[str, Made]) -> None:
    expected = {
        "refused": ("Hồ sơ không được tiếp nhận", REFUSAL.splitlines(), "Ngày từ chối"),
        "withdrawn": ("Hồ sơ đã được rút", [WITHDRAWAL], "Ngày rút hồ sơ"),
        "stopped": ("Hồ sơ đã dừng giải quyết", [STOP], "Ngày dừng giải quyết"),
    }
    for name, (headline, reasons, closed_at) in expected.items():
        r, page = page_of(states[name])
        assert headline in page, name
        for reason in reasons:
            assert f"<li>{reason}</li>" in r.text, (name, reason)
        assert closed_at in page, name
        for promise in ("Hẹn trả kết quả", "Nơi nhận kết quả", "Đánh giá mức độ hài lòng"):
            assert promise not in page, (name, promise)
        assert "không có hẹn trả kết quả" in page, name


def test_supplement_says_what_to_bring_and_that_the_clock_is_paused(
    states: dict[str, Made],
) -> None:
    r, page = page_of(states["supplement_requested"])
    assert "Giấy tờ cần bổ sung" in page
    for item in SUPPLEMENT_ITEMS:
        assert f"<li>{item}</li>" in r.text
    assert SUPPLEMENT_REASON in page
    assert "Tạm dừng từ" in page and "Hẹn trả kết quả" not in page
    assert "quá thời hạn" not in page


def test_extension_gives_the_new_date_and_the_apology(states: dict[str, Made]) -> None:
    _, page = page_of(states["extended"])
    assert "Hồ sơ được gia hạn thời gian giải quyết" in page
    assert "gia hạn đến 16:00, Thứ Sáu 18/12/2026" in page and EXTENSION_REASON in page
    assert "thành thật xin lỗi" in page
    assert "Hẹn trả kết quả 16:00, Thứ Sáu 18/12/2026" in page


def test_returned_says_to_whom_and_when_masked(states: dict[str, Made]) -> None:
    r, page = page_of(states["returned"])
    assert "Đã trả kết quả lúc" in page and "Người nhận kết quả Nguyễn V. Đ." in page
    assert "Nguyễn Văn Đức" not in r.text
    assert "Đánh giá mức độ hài lòng" in page
    assert 'href="#rating"' in r.text  # the line at the top that leads to the form


def test_payment_state_from_the_counter_is_shown(states: dict[str, Made]) -> None:
    _, page = page_of(states["to_pay"])
    assert "8.000 đồng – chưa nộp: mời ông/bà chuyển khoản" in page


def test_pending_receipt_shows_the_office_too(states: dict[str, Made]) -> None:
    _, page = page_of(states["pending"])
    assert "đang được cập nhật" in page and "Số 126 Hàng Trống" in page


def test_page_reads_only_the_snapshot_fields_it_declares(
    states: dict[str, Made], portal: ThreadedPortal
) -> None:
    """The page sees the same snapshot fields on SQLite as PostgreSQL's trimmed read sends:
    a field outside PAGE_SNAPSHOT_FIELDS (here the applicant's ID, phone and address, which
    the snapshot does hold) never reaches the page, whatever the backend."""
    from tests.support.portal_states import patch_snapshot

    made = states["received"]
    patch_snapshot(portal, made.uuid, closed_reason="<script>x</script>")
    r, _ = page_of(made)
    for secret in ("001090012345", "0912 345 678", "Hàng Bạc", "<script>"):
        assert secret not in r.text


def test_a_rating_sent_twice_is_the_same_rating(states: dict[str, Made], portal: Any) -> None:
    made = states["returned"]
    r = httpx.get(made.url)
    token = re.search(r'name="form_token" value="([0-9a-f]+)"', r.text)
    assert token
    form = {"form_token": token.group(1), **CRITERIA, "overall": "satisfied", "comment": "Tốt"}
    first, second = httpx.post(made.url, data=form), httpx.post(made.url, data=form)
    for answer in (first, second):
        assert answer.status_code == 303
        assert answer.headers["location"].endswith("?danh-gia=ok#rated")
    assert portal.storage.query("SELECT count(*) FROM ratings") == [(1,)]
    thanks = httpx.get(made.url, params={"danh-gia": "ok"})
    assert 'role="alert"' in thanks.text and "autofocus" in thanks.text
    assert "Cảm ơn ông/bà đã đánh giá" in text_of(thanks)
    other = httpx.post(made.url, data={**form, "overall": "dissatisfied"})
    assert other.status_code == 409 and 'role="alert"' in other.text


def test_an_incomplete_rating_is_announced_where_the_form_is(states: dict[str, Made]) -> None:
    made = states["returned"]
    token = re.search(r'name="form_token" value="([0-9a-f]+)"', httpx.get(made.url).text)
    assert token
    r = httpx.post(made.url, data={"form_token": token.group(1), "c1": "2", "comment": "x"})
    assert r.status_code == 422
    form_at = r.text.index('id="rating"')
    error = re.search(r'<p class="alert" id="error" role="alert" tabindex="-1" autofocus>', r.text)
    assert error and error.start() > form_at  # inside the form's section, focused
    assert '<label class="field" for="comment">' in r.text and 'id="comment"' in r.text


def test_pages_are_gzipped(states: dict[str, Made]) -> None:
    raw = httpx.get(states["returned"].url, headers={"accept-encoding": "identity"})
    with httpx.stream("GET", states["returned"].url) as zipped:
        assert zipped.headers["content-encoding"] == "gzip"
        body = b"".join(zipped.iter_raw())
    assert gzip.decompress(body).decode().count("form_token") == raw.text.count("form_token")
    assert len(body) < len(raw.content) / 2, (len(body), len(raw.content))
    assert "content-encoding" not in raw.headers


def test_the_qr_for_printing_is_the_page_address_and_needs_a_good_receipt(
    states: dict[str, Made],
) -> None:
    import zxingcpp
    from PIL import Image

    made = states["received"]
    r = httpx.get(made.url + "/qr.svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    # Rasterise the SVG path (moduless rectangles) and read it back with a real decoder.
    png = _svg_to_image(r.text)
    assert isinstance(png, Image.Image)
    texts = [b.text for b in zxingcpp.read_barcodes(png)]
    assert texts == [made.url]
    forged = made.url.rsplit("/", 1)[0] + "/" + "B" * 24 + "/qr.svg"
    assert httpx.get(forged).status_code == 404


def _svg_to_image(svg: str) -> Any:
    """Draw qrcode's SVG path (M x y h 1 v 1 h -1 z squares) with Pillow."""
    from PIL import Image, ImageDraw

    size = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg) or re.search(
        r'width="([\d.]+)mm" height="([\d.]+)mm"', svg
    )
    assert size, svg[:200]
    path = re.search(r' d="([^"]+)"', svg)
    assert path
    scale = 8
    n = float(size.group(1))
    img = Image.new("L", (int(n * scale) + 8 * scale, int(n * scale) + 8 * scale), 255)
    draw = ImageDraw.Draw(img)
    for m in re.finditer(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H([\d.]+)z", path.group(1)):
        x0, y0, x1, y1 = (float(m.group(i)) for i in (1, 2, 3, 4))
        draw.rectangle(
            [(x0 * scale, y0 * scale), (x1 * scale - 1, y1 * scale - 1)],
            fill=0,
        )
    return img


# -- the centre profile ------------------------------------------------------------------


def test_profile_follows_config_changes_and_each_device_shows_its_own(
    tmp_path: Path, portal: ThreadedPortal, counter: Counter
) -> None:
    from counter.desk import Desk
    from tests.support.builders import draft_for

    mine = counter.desk.receive(draft_for(counter.desk, "1.004194"))
    url = counter.desk.lookup_url(mine)
    assert sync_once(counter.store, counter.config).profile_sent is False  # unchanged: not sent
    # The centre's hotline and address change in config.toml: the next round sends them.
    moved = make_config(
        counter.config.data_dir.parent,
        counter={"number": 3},
        agency={
            "lookup_website": portal.url,
            "address": "Số 1 Đinh Tiên Hoàng, phường Hoàn Kiếm",
            "hotline": "024 3825 1234",
        },
        portal={"url": portal.url, "enrollment_code": counter.config.portal.enrollment_code},
    )
    report = sync_once(counter.store, moved)
    assert report.ok and report.profile_sent, report.text()
    page = text_of(httpx.get(url))
    assert "Số 1 Đinh Tiên Hoàng" in page and "Số 126 Hàng Trống" not in page
    assert 'href="tel:02438251234"' in httpx.get(url).text

    # Another centre (another agency) on the same portal shows its own office.
    other_agency = "000.00.13.H26"
    code = admin.create_enrollment_code(portal.storage, other_agency, 1)
    folder = tmp_path / "other"
    folder.mkdir()
    config = make_config(
        folder,
        counter={"number": 1},
        agency={
            "code": other_agency,
            "name": "UBND phường Ba Đình",
            "centre": "Trung tâm Phục vụ hành chính công phường Ba Đình",
            "address": "Số 10 Đội Cấn, phường Ba Đình",
            "hotline": "+84 24 3733 0000",
            "lookup_website": portal.url,
        },
        portal={"url": portal.url, "enrollment_code": code},
    )
    desk = Desk.open(config)
    try:
        desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
        desk.login("canbo", "1234")
        assert sync_once(desk.store, config).ok
        theirs = desk.receive(draft_for(desk, "1.004194"))
        assert sync_once(desk.store, config).ok
        r = httpx.get(desk.lookup_url(theirs))
        page = text_of(r)
        assert "UBND phường Ba Đình" in page and "Số 10 Đội Cấn" in page
        assert "Hoàn Kiếm" not in page and 'href="tel:+842437330000"' in r.text
        assert "Số 1 Đinh Tiên Hoàng" in text_of(httpx.get(url))  # ours is still ours
    finally:
        desk.close()


def test_a_bad_profile_is_refused_with_a_reason_and_changes_nothing(
    portal: ThreadedPortal, counter: Counter
) -> None:
    auth = {"authorization": f"Bearer {counter.store.get_setting('sync.token')}"}
    before = portal.storage.query("SELECT profile FROM devices")
    good = build_profile(counter.config, date(2026, 12, 1))
    bad_ones: list[Any] = [
        {**good, "hotline": "call <b>me</b>"},
        {**good, "hours": [["13:00", "12:00"]]},
        {**good, "closed": {"2026-13-01": "x"}},
        {**good, "agency_name": ""},
        {**good, "address": "x" * 301},
        {**good, "v": 2},
        [],
        "profile",
    ]
    for bad in bad_ones:
        r = httpx.put(f"{portal.url}/api/v1/profile", json={"profile": bad}, headers=auth)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["error"]["code"] in ("bad_profile", "bad_request")
    r = httpx.put(f"{portal.url}/api/v1/profile", json={"profile": good})
    assert r.status_code == 401  # no device credential, no profile
    assert portal.storage.query("SELECT profile FROM devices") == before
    # Unknown keys are not kept: the stored profile is the parsed one.
    r = httpx.put(
        f"{portal.url}/api/v1/profile", json={"profile": {**good, "junk": "x" * 1000}}, headers=auth
    )
    assert r.status_code == 200
    assert "junk" not in portal.storage.query("SELECT profile FROM devices")[0][0]
    assert parse_profile(good).as_json() == good  # and nothing known is lost


def test_the_counter_reports_a_refused_profile_and_keeps_syncing(
    portal: ThreadedPortal, counter: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    import counter.sync.enrollment as sync_enroll  # where `send_profile` builds the profile

    def broken(config: Any, today: date) -> dict[str, Any]:
        return {**build_profile(config, today), "hours": "all day"}

    monkeypatch.setattr(sync_enroll, "build_profile", broken)
    from tests.support.builders import draft_for

    counter.desk.receive(draft_for(counter.desk, "1.004194"))
    report = sync_once(counter.store, counter.config)
    assert report.ok and report.applied == 1  # the dossier went through
    assert "profile.hours" in report.profile_error and "thông tin cơ quan" in report.text()
    assert counter.store.get_setting(K_PROFILE) is not None  # the old, accepted one


def test_the_portal_agrees_with_the_counter_calendar_on_every_day() -> None:
    """The class of "the page says open on a holiday": for every day of the two years a
    profile covers, the portal's answer equals the counter's WorkCalendar, swaps included."""
    overrides = {
        2026: HolidayOverrides(
            days_off=frozenset({date(2026, 12, 31)}),
            working_days=frozenset({date(2026, 8, 22)}),
        )
    }
    config = make_config(Path("/tmp/unused"))
    from dataclasses import replace

    hours = OfficeHours(weekdays=(1, 2, 3, 4, 5, 6))
    config = replace(config, holidays=overrides, office_hours=hours)
    profile = parse_profile(build_profile(config, date(2026, 3, 1)))
    calendar = WorkCalendar(hours, overrides)
    day = date(2026, 1, 1)
    while day.year < 2028:
        assert profile.is_open_on(day) == calendar.is_working_day(day), day
        day = date.fromordinal(day.toordinal() + 1)
    assert profile.day_off_name(date(2026, 9, 2)) == "Quốc khánh"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    base=st.just(build_profile(make_config(Path("/tmp/unused")), date(2026, 12, 1))),
    key=st.sampled_from(
        ["v", "agency_name", "address", "hotline", "hours", "weekdays", "years", "closed", "open"]
    ),
    value=_json,
)
def test_any_malformed_profile_is_a_profile_error_never_a_crash(
    base: dict[str, Any], key: str, value: Any
) -> None:
    try:
        parsed = parse_profile({**base, key: value})
    except ProfileError as exc:
        assert str(exc).startswith("profile")
        return
    assert parsed.agency_name  # accepted: usable by the page
    parsed.is_open_on(date(2026, 12, 7))
    parsed.next_open_day(date(2026, 12, 7))


def test_a_hotline_that_is_no_phone_number_stops_the_config(tmp_path: Path) -> None:
    from counter.config import ConfigError

    with pytest.raises(ConfigError) as err:
        make_config(tmp_path, agency={"hotline": "gọi 1900 1234"})
    assert "[agency] hotline: expected a phone number" in str(err.value)
    for good in ("1900 1234", "024.3825.1234", "+84 24 3733 0000", "(024) 3825-1234", ""):
        assert make_config(tmp_path, agency={"hotline": good}).agency.hotline == good


def test_a_device_without_a_profile_still_gets_a_page(
    states: dict[str, Made], portal: ThreadedPortal
) -> None:
    """A counter of an older version sends no profile: the page names the one-stop section in
    general words, and says everything else as before."""
    storage: Any = portal.storage
    with storage._tx() as c:
        c.execute("UPDATE devices SET profile = ''")
    storage._cache().clear()
    r, page = page_of(states["result_ready"])
    assert "Bộ phận Một cửa" in page and "mời ông/bà đến nhận tại quầy số 3" in page
    assert 'id="office"' not in r.text and "tel:" not in r.text
