"""Bureau-side counting by responsible unit (migration 0028): an overdue item a county
department or township fixes counts against that unit — on the dashboard (stored figure sets),
the clocks, the bureau's school pages and the bulletin — never against the school; escalations
are recorded once per deadline (the bulletin counts them by unit); a repeat finding keeps the
item's first deadline and, when the item is already overdue, escalates it at once."""

from __future__ import annotations

import subprocess
from datetime import date

from inspect_app.bureau import bulletins, stored
from inspect_app.common import periods
from inspect_app.inspections import receiving
from inspect_app.rectification import notifications, rules
from inspect_app.storage import figure_sets, inspections, users
from inspect_app.storage import rectifications as items
from inspect_app.storage.db import open_database
from inspect_app.storage.migrations import migrations

from . import factories
from .support import event_kinds, item_row

TODAY = date(2026, 12, 10)
TERM = periods.current_period("term", TODAY)


def _visit(db, county, checklist, day: str, school: str = "school_a"):
    body = factories.payload(county[school], checklist, passing=False, date=day)
    try:
        receiving.receive(db, body, body["id"], users.get(db, county["insp"]))
    except receiving.PayloadError as exc:
        raise AssertionError(exc.fields) from exc
    return body["id"], inspections.rectifications(db, body["id"])


def _school_with_both_kinds(db, county, checklist):
    """东镇中心小学 visited on 11-18: its items overdue on TODAY, one of them given to 县财政局
    through the bureau's own move (so the tally follows an UPDATE of unit_id)."""
    inspection_id, rows = _visit(db, county, checklist, "2026-11-18")
    late = [r for r in rows if r["deadline"] < TODAY.isoformat()]
    assert len(late) >= 2, "the shipped checklist has items due within days"
    unit_item = items.get(db, late[0]["id"])
    move = rules.assign_unit(unit_item, {"id": county["unit"], "name": "县财政局"})
    items.apply(db, unit_item, move, version=unit_item["version"], user_id=county["bureau"],
                actor="县教育局")  # fmt: skip
    return inspection_id, rows, late, late[0]["id"]


def test_bureau_figures_count_a_units_overdue_item_against_the_unit(
    db, county, checklist, login, frozen
):
    _, _, late, unit_item = _school_with_both_kinds(db, county, checklist)
    own = len(late) - 1
    figures_ = stored.dashboard(db, periods.Filters(period=TERM), TODAY)
    r = figures_.summary["rectifications"]
    assert (r["overdue"], r["overdue_school"], r["overdue_units"]) == (len(late), own, 1)
    [school] = figures_.overdue_by_school
    assert (school["school_id"], school["count"]) == (county["school_a"], own)
    [unit] = figures_.overdue_by_unit
    assert (unit["unit_id"], unit["name"], unit["count"], unit["schools"]) == (
        county["unit"], "县财政局", 1, 1
    )  # fmt: skip

    frozen(TODAY.isoformat())
    bureau = login("bureau")
    page = bureau.page("/bureau/")
    assert page.select_one("[data-overdue-split]").get_text() == f"学校 {own}、县直部门和乡镇 1"
    cells = [
        td.get_text() for td in page.select(f"#overdue-units tr[data-unit='{county['unit']}'] td")
    ]
    assert cells == ["县财政局", "1 所", "1", late[0]["deadline"]]

    clocks = bureau.page("/review/clocks")
    owners = {tr["data-unit"]: [td.get_text() for td in tr.select("td")]
              for tr in clocks.select("#overdue-owners tr[data-unit]")}  # fmt: skip
    assert owners["school"][:3] == ["学校自身", "1 所", str(own)]
    assert owners[str(county["unit"])][:3] == ["县财政局", "1 所", "1"]

    # The bureau's view of the school: its own delay only, the unit's item marked as the unit's.
    summary = bureau.page(f"/review/schools/{county['school_a']}").select_one("[data-summary]")
    assert summary.get_text().endswith(f"逾期 {own} 个")
    row = bureau.page(f"/bureau/schools/{county['school_a']}").select_one(
        f"#rectifications tr[data-item='{unit_item}']"
    )
    assert "已逾期（计入县财政局）" in row.get_text()


def test_bulletin_counts_overdue_and_escalations_by_unit(
    app, db, county, checklist, frozen, tmp_path
):
    _, _, late, unit_item = _school_with_both_kinds(db, county, checklist)
    own = len(late) - 1
    # Escalated once per deadline, recorded with the unit it was raised against.
    assert notifications.run_escalations(db, TODAY) > 0
    notifications.run_escalations(db, TODAY)
    rows = list(db.query("SELECT * FROM rectification_escalations ORDER BY rectification_id"))
    assert len(rows) == len(late)
    assert {r["rectification_id"]: r["unit_id"] for r in rows}[unit_item] == county["unit"]
    assert event_kinds(db, unit_item)[-1] == "escalate"
    assert event_kinds(db, unit_item).count("escalate") == 1

    draft = bulletins.prepare(db, TERM, "fupin_comprehensive", "", TODAY)
    view = bulletins.view(draft, app.config, report_id=None, version=1)
    assert [(o["school_id"], o["count"]) for o in view["overdue"]] == [(county["school_a"], own)]
    assert [(u["name"], u["count"]) for u in view["overdue_units"]] == [("县财政局", 1)]
    esc = view["escalations"]
    assert esc["count"] == len(late)
    assert [(u["name"], u["count"]) for u in esc["by_unit"]] == [
        ("学校（本校负责整改的事项）", own), ("县财政局", 1)
    ]  # fmt: skip
    # Counted by the day they were made: a period that ended before states none.
    assert {r["day"] for r in rows} == {TODAY.isoformat()}
    assert items.escalations_by_unit(db, "2026-09-01", "2026-12-09") == []

    pdf = tmp_path / "b.pdf"
    pdf.write_bytes(bulletins.render(draft, app.config, report_id=None, version=1))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    flat = "".join(text.split())
    assert f"共有{len(late)}个整改事项因逾期升级至县教育局督办" in flat
    assert "表6逾期未整改事项（按责任单位）" in flat and "县财政局" in flat
    assert f"其中学校负责{own}个，县直部门和乡镇负责1个" in flat


def test_a_repeat_keeps_the_first_deadline_and_an_overdue_one_is_escalated(
    db, county, checklist, login, frozen
):
    _, first = _visit(db, county, checklist, "2026-11-18")
    before = {r["id"]: r["deadline"] for r in first}
    second_id, second = _visit(db, county, checklist, "2026-12-01")
    assert {r["id"]: r["deadline"] for r in second} == before  # no new 30 days for a repeat
    late = [r for r in second if r["deadline"] < "2026-12-01"]
    on_time = [r for r in second if r["deadline"] >= "2026-12-01"]
    assert late and on_time
    for row in late:  # found again after its deadline: escalated at once, once for this visit
        [esc] = items.escalations_of(db, row["id"])
        assert (esc["reason"], esc["key"], esc["day"]) == ("repeat", f"repeat:{second_id}",
                                                           "2026-12-01")  # fmt: skip
        assert esc["days_overdue"] == (date(2026, 12, 1) - date.fromisoformat(row["deadline"])).days
        assert event_kinds(db, row["id"]) == ["created", "repeat", "escalate"]
    assert all(items.escalations_of(db, r["id"]) == [] for r in on_time)

    frozen("2026-12-01")
    school = login("sch_a")
    page = school.page(f"/school/rectifications/{late[0]['id']}")
    note = page.select_one(".timeline li.kind-repeat [data-repeat-deadline]").get_text()
    days = (date(2026, 12, 1) - date.fromisoformat(late[0]["deadline"])).days
    assert note == (f"整改时限仍为 {late[0]['deadline']}，不因再次发现而重新计算；"
                    f"本次检查时已逾期 {days} 天，已升级督办。")  # fmt: skip
    assert "逾期升级督办" in page.select_one(".timeline li.kind-escalate").get_text()
    calm = school.page(f"/school/rectifications/{on_time[0]['id']}")
    note = calm.select_one(".timeline li.kind-repeat [data-repeat-deadline]").get_text()
    assert note == f"整改时限仍为 {on_time[0]['deadline']}，不因再次发现而重新计算。"

    # The daily run tells the school and the bureau that it was found again while overdue
    # (beside the ordinary overdue escalation), once.
    notifications.run_escalations(db, date(2026, 12, 1))
    notifications.run_escalations(db, date(2026, 12, 2))
    repeat_notes = list(
        db.query("SELECT * FROM notifications WHERE dedupe_key LIKE 'esc-repeat:%'")
    )
    assert len(repeat_notes) == len(late) * 2  # the school, and the one bureau account
    assert all("检查再次发现（屡查屡犯）" in n["text"] for n in repeat_notes)
    assert item_row(db, late[0]["id"])["deadline"] == late[0]["deadline"]


def test_migration_splits_the_tally_and_makes_old_figure_sets_stale(tmp_path):
    path = str(tmp_path / "old.db")
    db = open_database(path)
    migrations.apply(db, stop_before="0028_unit_overdue")
    with db.conn:
        db.execute("INSERT INTO regions (id, name, kind) VALUES (1, '县', 'county')")
        db.execute(
            "INSERT INTO regions (id, name, kind, parent_id) VALUES (2, '镇', 'township', 1)"
        )
        db.execute("INSERT INTO schools (id, code, name, township_id, stage) "
                   "VALUES (1, 'S1', '学校', 2, '小学')")  # fmt: skip
        db.execute("INSERT INTO units (id, name, kind, created_at) "
                   "VALUES (5, '县财政局', 'department', '')")  # fmt: skip
        db.execute("INSERT INTO checklist_versions (hash, checklist_id, title, compiled, stored_at)"
                   " VALUES ('h', 'c', 'C', '{}', '2026-01-01')")  # fmt: skip
        db.execute("INSERT INTO inspections (id, school_id, checklist_hash, checklist_id, type, "
                   "date, payload, received_at, status) VALUES ('i1', 1, 'h', 'c', '综合督导', "
                   "'2026-11-01', '{}', '2026-11-01T08:00', 'valid')")  # fmt: skip
        for n, unit in enumerate([None, None, 5]):
            db.execute("INSERT INTO rectifications (id, inspection_id, school_id, item_id, seq, "
                       "problem, deadline, status, unit_id, created_at) VALUES "
                       "(?, 'i1', 1, ?, ?, 'p', '2026-11-10', 'pending', ?, '')",
                       [n + 1, f"x{n}", n + 1, unit])  # fmt: skip
        # An escalation made before 0028 exists only as its notices.
        for suffix in ("s", "b9"):
            db.execute("INSERT INTO notifications (school_id, kind, text, link, dedupe_key, "
                       "created_at) VALUES (1, 'escalated', 't', '', ?, '2026-11-12T02:00:00Z')",
                       [f"esc:3:2026-11-10:{suffix}"])  # fmt: skip
        db.execute("INSERT INTO figure_sets (key, version, computed_at, seconds, head) "
                   "VALUES ('k', ?, '2026-11-12T00:00:00Z', 1, x'00')",
                   [figure_sets.current_version(db)])  # fmt: skip
    migrations.apply(db)
    assert db.execute("SELECT unit_id, n FROM rectification_tally ORDER BY unit_id").fetchall() == [
        (0, 2),
        (5, 1),
    ]
    stored_set = figure_sets.get(db, "k")
    assert stored_set is not None and stored_set["version"] != figure_sets.current_version(db)
    [esc] = db.query("SELECT * FROM rectification_escalations")
    assert (
        esc["rectification_id"],
        esc["key"],
        esc["unit_id"],
        esc["day"],
        esc["days_overdue"],
    ) == (3, "overdue:2026-11-10", 5, "2026-11-12", 2)
    # The tally follows the unit from now on.
    with db.conn:
        db.execute("UPDATE rectifications SET unit_id = 5 WHERE id = 1")
    assert db.execute("SELECT unit_id, n FROM rectification_tally ORDER BY unit_id").fetchall() == [
        (0, 1),
        (5, 2),
    ]
    db.close()


def test_escalations_run_in_shares_and_skip_what_is_done(db, county, checklist):
    _, rows = _visit(db, county, checklist, "2026-11-18")
    late = [r for r in rows if r["deadline"] < TODAY.isoformat()]
    sent, complete = notifications.escalate_overdue(db, TODAY, limit=1)
    assert not complete and sent == 2  # the school and the one bureau account
    assert db.execute("SELECT count(*) FROM rectification_escalations").fetchone()[0] == 1
    sent, complete = notifications.escalate_overdue(db, TODAY)
    assert complete and sent == 2 * (len(late) - 1)
    assert notifications.escalate_overdue(db, TODAY) == (0, True)
    assert db.execute("SELECT count(*) FROM rectification_escalations").fetchone()[0] == len(late)
