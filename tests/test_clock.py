"""One clock for deadlines and displayed times: China Standard Time, whatever the server's zone."""

from datetime import UTC, date, datetime

from inspect_app.common import clock
from inspect_app.web import today


def test_today_is_the_date_in_china(monkeypatch):
    # 20:00 UTC on 30 Sep is already 1 Oct in the schools' calendar.
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 9, 30, 20, 0, tzinfo=UTC))
    assert clock.today_in_china() == date(2026, 10, 1)
    assert clock.today_in_china("2026-12-01") == date(2026, 12, 1)


def test_stored_stamps_read_in_beijing_time():
    assert clock.local_time("2026-11-20T03:00:00Z") == "2026-11-20 11:00"
    assert clock.local_time(None) == ""


def test_every_page_shares_the_frozen_day(app):
    app.config["TODAY_OVERRIDE"] = "2027-01-15"
    with app.app_context():
        assert today() == date(2027, 1, 15)
