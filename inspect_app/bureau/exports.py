"""Spreadsheet exports of the bureau's figures: one XLSX workbook, or the same sheets as zipped CSV.

Both formats are written from :func:`sheets`, so they always hold the same rows. Rows are
produced lazily from SQLite and written as they come (see :mod:`inspect_app.xlsx`): a
province-wide export never holds its rows in memory.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import IO, Protocol

from sqlite_utils import Database

from inspect_app.bureau import figures, gathering, stored, xlsx
from inspect_app.bureau.xlsx import Group, Percent, Sheet
from inspect_app.checklist import Checklist
from inspect_app.checklist.scoring import OUTCOME_NAMES, display_answer
from inspect_app.common import periods, vocabulary
from inspect_app.common.clock import local_time
from inspect_app.storage import analytics as store
from inspect_app.storage import exports as storage
from inspect_app.storage import units
from inspect_app.surveys import gathering as surveys


def _yes(flag) -> str:
    return "是" if flag else "否"


def _overdue(overdue: bool, unit: str | None) -> str:
    """是否逾期: an overdue item a county unit fixes counts against that unit, as on the
    dashboard, the clocks and the bulletin, so the cell says whose delay it is."""
    if not overdue:
        return "否"
    return f"是（计入{unit}）" if unit else "是"


def _unit(unit: str | None, problem: str | None) -> str:
    """The 责任单位 of an item: a county unit by name, else the school itself (none without an item)."""
    return unit or ("学校" if problem else "")


def _day(text: str | None) -> date | None:
    """A stored ISO date, or a stamp as its Beijing day, as a date cell; empty stays empty.

    A stamp is UTC: an item signed off at 07:40 on 1 December is stored as 23:40 on 30
    November, and its 销号日期 is the day the pages show, the 1st."""
    if not text:
        return None
    return date.fromisoformat(local_time(text)[:10] if "T" in text else text[:10])


def _percent(value: float | None) -> Percent | None:
    """A 0–100 score rate as a percentage cell (85.3 → 85.3%)."""
    return None if value is None else Percent(value / 100)


class Ranked(Protocol):
    """What an export shows of an overview (a :class:`figures.Overview`, or the
    :class:`stored.Ranking` of a current stored set): the schools in scope, the ranked ones
    in ranking order, the sections that make columns, for the filters and day."""

    @property
    def filters(self) -> periods.Filters: ...
    @property
    def today(self) -> date: ...
    @property
    def schools(self) -> list[dict]: ...
    @property
    def ranking(self) -> list[dict]: ...
    @property
    def sections(self) -> list[dict]: ...


def ranking(db: Database, filters: periods.Filters, today: date) -> Ranked:
    """The schools and ranking an export of ``filters`` on ``today`` shows: those of the set
    the document worker keeps for them when it is current (a read of a few MB), else
    computed (about a second of a core for a province)."""
    kept = stored.current_ranking(db, filters, today)
    if kept is not None:
        return kept
    return figures.overview(gathering.gather(db, filters, today), filters, today)


def _school_rows(overview: Ranked, titles: dict[str, str]) -> Iterator[list]:
    ranked = {r["school_id"]: r for r in overview.ranking}
    ordered = [
        r["school_id"]
        for r in sorted(
            overview.ranking, key=lambda r: (r["rank"] is None, r["rank"] or 0, r["school_code"])
        )
    ]
    seen = set(ordered)
    ordered += [s["id"] for s in overview.schools if s["id"] not in seen]
    schools = {s["id"]: s for s in overview.schools}
    for school_id in ordered:
        row = ranked.get(school_id)
        if row is None:
            school = schools[school_id]  # an unranked school comes from overview.schools
            yield [None, school["code"], school["name"], school["township"], school["stage"], "否",
                   None, None, None, None, None, None, None, None, None, None,
                   *([None] * len(overview.sections))]  # fmt: skip
            continue
        yield [
            row["rank"], row["school_code"], row["school_name"], row["township"], row["stage"], "是",
            _day(row["date"]), titles.get(row["checklist_id"], row["checklist_id"]),
            row["checklist_id"], row["type"], row["total"], row["grade"] or "",
            _yes(row["vetoed"]), row["findings"], row["prev_total"], row["change"],
            *[_percent(row["sections"].get(s["id"])) for s in overview.sections],
        ]  # fmt: skip


class _Version:
    """What the export needs of one checklist version: titles, item order, answer display."""

    def __init__(self, compiled: dict | None):
        # A received inspection always has its version stored; without it, show bare ids.
        self.checklist = Checklist.from_compiled(compiled) if compiled else None
        self.title = compiled["title"] if compiled else ""
        self.items = {
            entry["id"]: (section["title"], entry.get("label", entry["id"]))
            for section in (compiled or {}).get("sections", [])
            for entry in section["items"]
        }
        # The version's own wording, which recurs in every inspection of it.
        self.wording = {self.title, (compiled or {}).get("id", "")}
        for section in (compiled or {}).get("sections", []):
            self.wording.add(section["title"])
            for entry in section["items"]:
                self.wording.update((entry["id"], entry.get("label", entry["id"])))
                self.wording.update(c["label"] for c in entry.get("choices") or [] if "label" in c)
        positions = {item_id: n for n, item_id in enumerate(self.items)}
        self.position = lambda row: positions.get(row[0], len(positions))
        self.answers: dict[tuple[str, str | None], str] = {}

    def item(self, item_id: str) -> tuple[str, str]:
        return self.items.get(item_id, ("", item_id))

    def in_order(self, rows: list[tuple]) -> list[tuple]:
        """Rows whose first field is an item id, sorted into the checklist's order."""
        rows.sort(key=self.position)
        return rows

    def answer(self, item_id: str, value: str | None) -> str:
        """A stored answer (JSON) as the report prints it: choice labels, 是/否, numbers."""
        text = self.answers.get((item_id, value))
        if text is None:
            raw = None if value is None else json.loads(value)
            if self.checklist is None:
                text = "" if raw is None else str(raw)
            else:
                text = display_answer(self.checklist, item_id, raw)
            if len(self.answers) < 50_000:  # typed-in text never repeats: bound what is kept
                self.answers[(item_id, value)] = text
        return text


class _Strings:
    """The shared strings of a workbook made of kept fragments: text that recurs across
    inspections and is no one's data (checklist wording, outcome and status names, county
    units), by the stable number ``export_strings`` gives it. Other text is written inline,
    so a workbook for one township holds nothing of another's."""

    def __init__(self, db: Database):
        self.db = db
        self.refs = {text: n for n, text in storage.all_strings(db)}
        self.texts: dict[int, str] = {}  # by number, filled when asked (text)
        self.register(
            [*OUTCOME_NAMES.values(), *vocabulary.RECTIFICATION_STATUS.values(), "是", "否", "学校",
             *(u["name"] for u in units.list_all(db))]
        )  # fmt: skip

    def register(self, texts) -> None:
        new = {t for t in texts if t and len(t) <= xlsx.LONG_TEXT and t not in self.refs}
        if new:
            self.refs.update(storage.string_ids(self.db, new))

    def ref(self, text: str) -> int:
        """The number of ``text``, numbered now if new (whatever its length: a slot's cells
        name their text by number)."""
        if text not in self.refs:
            self.refs.update(storage.string_ids(self.db, [text]))
        return self.refs[text]

    def text(self, ref: int) -> str:
        """The text numbered ``ref``."""
        if ref not in self.texts:
            self.texts = {n: text for text, n in self.refs.items()}
        return self.texts[ref]

    def numbered(self) -> list[tuple[int, str]]:
        return storage.all_strings(self.db)


class _Versions(dict):
    """Checklist versions by hash, each read from the database once (its wording registered
    as shared strings when the export keeps fragments)."""

    def __init__(self, db: Database, strings: _Strings | None = None):
        super().__init__()
        self.db = db
        self.strings = strings

    def __missing__(self, checklist_hash: str) -> _Version:
        version = self[checklist_hash] = _Version(store.compiled_version(self.db, checklist_hash))
        if self.strings is not None:
            self.strings.register(version.wording)
        return version


class _Items:
    """An inspection's 检查条目 rows: its columns once, then one tail per answer.

    The same answer to the same item recurs across thousands of inspections, so a tail is
    built once per distinct stored answer (and, being the same tuple, written once too).
    """

    def __init__(self, db: Database, strings: _Strings | None = None):
        self.db = db
        self.versions = _Versions(db, strings)
        self.tails: dict[str, dict[tuple, tuple]] = {}  # by checklist version, then answer
        self.remembered = 0

    def _tail(self, version: _Version, known: dict, raw: tuple) -> tuple:
        item_id, outcome, earned, possible, value, note = raw
        section, label = version.item(item_id)
        made = (section, item_id, label, OUTCOME_NAMES.get(outcome, outcome), earned, possible,
                version.answer(item_id, value), note or "")  # fmt: skip
        if self.remembered < 200_000:  # typed-in notes never repeat: bound what is kept
            known[raw] = made
            self.remembered += 1
        return made

    def __call__(self, inspection: tuple) -> Group | None:
        iid, day, kind, checklist_id, checklist_hash, code, name, township = inspection
        version = self.versions[checklist_hash]
        known = self.tails.setdefault(checklist_hash, {})
        raws = version.in_order(storage.answers(self.db, iid))
        rows = [known.get(raw) or self._tail(version, known, raw) for raw in raws]
        head = [iid, _day(day), kind, code, name, township, version.title or checklist_id,
                checklist_id]  # fmt: skip
        return Group(head, rows, repeating=True)


class _Findings:
    """An inspection's 问题清单 rows (None without a failed item)."""

    def __init__(self, db: Database, strings: _Strings | None = None):
        self.db = db
        self.versions = _Versions(db, strings)
        self.tails: dict[tuple, tuple] = {}  # the checklist's default wording recurs

    def _tail(self, version: _Version, raw: tuple) -> tuple:
        item_id, value, problem, basis, action, owner, unit, deadline = raw
        section, label = version.item(item_id)
        made = (section, label, version.answer(item_id, value), problem or "", basis or "",
                action or "", _unit(unit, problem), owner or "", _day(deadline))  # fmt: skip
        if len(self.tails) < 200_000:
            self.tails[(version, *raw)] = made
        return made

    def __call__(self, inspection: tuple) -> Group | None:
        iid, day, _kind, checklist_id, checklist_hash, code, name, township = inspection
        version = self.versions[checklist_hash]
        found = version.in_order(storage.findings(self.db, iid))
        if not found:
            return None
        rows = [self.tails.get((version, *raw)) or self._tail(version, raw) for raw in found]
        head = [iid, _day(day), code, name, township, version.title or checklist_id,
                checklist_id]  # fmt: skip
        return Group(head, rows, repeating=True)


def _overdue_cells(deadline: str, unit: str | None, today: date) -> tuple[str, int | None]:
    """是否逾期 and 逾期天数 of an open item on ``today``. A requested extension stops
    nothing until it is approved (as on every page)."""
    days = figures.days_overdue(deadline, today)
    return (_overdue(True, unit), days) if days > 0 else ("否", None)


class _Rectifications:
    """An inspection's 整改情况 rows (None without an item).

    An open item's 是否逾期 and 逾期天数 change with the day: with ``strings`` (rows to be
    kept) they are a slot, filled for the day of each export (:func:`_slot_cells`) from its
    deadline and the text it shows once overdue; otherwise they are those of ``today``.
    """

    def __init__(self, db: Database, today: date, strings: _Strings | None = None):
        self.db, self.today, self.strings = db, today, strings

    def __call__(self, inspection: tuple) -> Group | None:
        iid, inspected, _kind, _cid, _hash, code, name, township = inspection
        status_names, strings, rows = vocabulary.RECTIFICATION_STATUS, self.strings, []
        numbered = sorted(storage.rectifications(self.db, iid))  # by number (seq)
        for (seq, number, problem, basis, action, owner, unit, deadline, status, extended,
             closed_at) in numbered:  # fmt: skip
            overdue: tuple
            if status == "closed":
                overdue = ("否", None)
            elif strings is not None:
                ordinal = date.fromisoformat(deadline).toordinal()
                overdue = (xlsx.Slot(ordinal, strings.ref(_overdue(True, unit))),)
            else:
                overdue = _overdue_cells(deadline, unit, self.today)
            rows.append((seq, number or "", problem, basis or "", action or "", _unit(unit, problem),
                         owner or "", _day(deadline), _day(extended),
                         status_names.get(status, status), *overdue, _day(closed_at)))  # fmt: skip
        if not rows:
            return None
        return Group([code, name, township, _day(inspected)], rows)


def _slot_cells(today: date, strings: _Strings) -> xlsx.SlotCells:
    """The slots of kept 整改情况 rows filled for ``today``: (deadline's day number, the
    number of the text an overdue item shows) → 是否逾期 and 逾期天数, as
    :func:`_overdue_cells` gives them."""
    cells = xlsx.Cells(None, strings.refs)

    def overdue(ordinal: int, shown: int) -> str:
        flag, days = _overdue_cells(date.fromordinal(ordinal).isoformat(), None, today)
        return cells.cells([strings.text(shown) if days else flag, days])

    return xlsx.SlotCells(overdue)


Render = Callable[[tuple], Group | None]


def _groups(render: Render, inspections: Iterable[tuple]) -> Iterator[Group]:
    for inspection in inspections:
        group = render(inspection)
        if group is not None:
            yield group


# Bump a sheet's number when what its kept fragments hold changes without its headers
# changing (a label, a cell's type, an order): its kept fragments are then rendered again.
# 2: 是否逾期 names the county unit an overdue item counts against; 3 (整改情况): an open
# item's 是否逾期 and 逾期天数 are slots, so its rows hold on every day; 4: slots listed by
# the cells they hold; 5: 销号日期 is the Beijing day of the sign-off, not the UTC one.
FRAGMENT_FORMAT = {"items": 2, "findings": 2, "rectifications": 5}
_CHUNK = 500  # inspections whose kept rows are read (and new ones kept) at once


class _Fingerprints:
    """What an inspection's kept rows were rendered from beyond its answers and items: its
    own columns (school name, township, date…), the sheet's columns, the format. The
    columns are encoded once for all three sheets."""

    def __init__(self) -> None:
        self.texts: dict[str, bytes] = {}

    def of(self, sheet: str, headers: list[str]) -> Callable[[tuple], str]:
        prefix = repr((FRAGMENT_FORMAT[sheet], sheet, headers)).encode()
        started = hashlib.blake2b(prefix, digest_size=12)
        texts = self.texts

        def fingerprint(inspection: tuple) -> str:
            text = texts.get(inspection[0])
            if text is None:
                text = texts[inspection[0]] = "\x1f".join([str(v) for v in inspection]).encode()
            digest = started.copy()
            digest.update(text)
            return digest.hexdigest()

        return fingerprint


def _fragments(
    db: Database, sheet: str, headers: list[str], render: Render, inspections: Iterable[tuple],
    strings: _Strings, prints: _Fingerprints, fill: xlsx.SlotCells | None = None,
) -> Iterator[xlsx.Fragment]:  # fmt: skip
    """Each inspection's rows of ``sheet`` as a deflated fragment: the kept one while it
    holds, else rendered now and kept (``export_fragments``) for the next export.

    A change to what the rows show removes the kept fragment (triggers, 0030 and 0035) or
    changes its fingerprint; a fragment rendered while such a change lands is not kept (its
    reservation is gone). Nothing kept depends on the day (see :class:`_Rectifications`):
    with ``fill`` (a workbook's day) slots are filled, and each chunk's fragments come
    joined in one (handed to the writer 240 times for a province, not 40 000).
    """
    cells = xlsx.Cells(None, strings.refs)
    fingerprint = prints.of(sheet, headers)
    it = iter(inspections)
    while chunk := list(itertools.islice(it, _CHUNK)):
        wanted = {inspection[0]: fingerprint(inspection) for inspection in chunk}
        kept = storage.kept_fragments(db, sheet, wanted)
        missing = {iid: fp for iid, fp in wanted.items() if iid not in kept}
        token = storage.reserve_fragments(db, sheet, missing) if missing else ""
        made, fragments = [], []
        for inspection in chunk:
            found = kept.get(inspection[0])
            if found is not None:
                fragment = xlsx.Fragment(*found)
            else:
                group = render(inspection)
                fragment = cells.fragment([group] if group is not None else [])
                made.append((inspection[0], fragment.rows, fragment.crc, fragment.size,
                             fragment.data, fragment.slots))  # fmt: skip
            fragments.append(fragment.filled(fill) if fill is not None else fragment)
        if made:
            storage.keep_fragments(db, sheet, token, made)
        if fill is None:
            yield from fragments
        else:
            yield xlsx.joined(fragments)


# progress(stage, done, total): how many of the export's inspection passes are written.
Progress = Callable[[str, int, int], None]


def _tracked(
    inspections: list[tuple], progress: Progress | None, stage: str, offset: int, total: int
) -> Iterator[tuple]:
    """The inspections, reporting every 100 taken (the three long sheets each walk them)."""
    if progress is None:
        yield from inspections
        return
    progress(stage, offset, total)
    for n, inspection in enumerate(inspections, start=1):
        yield inspection
        if n % 100 == 0:
            progress(stage, offset + n, total)
    progress(stage, offset + len(inspections), total)


def _survey_rows(db: Database, overview: Ranked, min_responses: int) -> Iterator[list]:
    period = overview.filters.period
    school_ids = {s["id"] for s in overview.schools}
    for row in surveys.export_rows(
        db, period.start.isoformat(), period.end.isoformat(), school_ids, min_responses
    ):
        yield [*row[:7], None if row[7] is None else Percent(row[7]), row[8]]


ITEM_HEADERS = ["检查编号", "检查日期", "检查类型", "学校代码", "学校名称", "乡镇", "检查单",
                "检查单编号", "评估内容", "条目编号", "检查条目", "结果", "得分", "满分", "填写内容",
                "督学备注"]  # fmt: skip
FINDING_HEADERS = ["检查编号", "检查日期", "学校代码", "学校名称", "乡镇", "检查单", "检查单编号",
                   "评估内容", "检查条目", "填写内容", "问题描述", "依据", "整改措施", "责任单位",
                   "责任人", "整改时限"]  # fmt: skip
RECTIFICATION_HEADERS = ["学校代码", "学校名称", "乡镇", "检查日期", "序号", "事项编号", "问题描述",
                         "依据", "整改措施", "责任单位", "责任人", "整改时限", "申请延期至", "状态",
                         "是否逾期", "逾期天数", "销号日期"]  # fmt: skip


def _long_sheets(db: Database, strings: _Strings) -> list[tuple[str, list[str], Render]]:
    return [
        ("items", ITEM_HEADERS, _Items(db, strings)),
        ("findings", FINDING_HEADERS, _Findings(db, strings)),
        # kept rows hold on every day: the day given is never shown
        ("rectifications", RECTIFICATION_HEADERS, _Rectifications(db, date.min, strings)),
    ]


def prepare(db: Database, filters: periods.Filters, stop: Callable[[], bool] | None = None) -> int:
    """Render and keep the rows an export of ``filters`` would render, without writing a
    workbook (the worker, when idle, after writes: the next export then only copies).
    Returns how many inspections' rows of a sheet it rendered; ``stop()`` is asked before
    each chunk of them."""
    every = storage.inspections(db, filters)
    strings, prints = _Strings(db), _Fingerprints()
    rendered = 0
    for sheet, headers, render in _long_sheets(db, strings):
        fingerprint = prints.of(sheet, headers)
        kept = storage.kept_prints(db, sheet)
        unkept = [i for i in every if kept.get(i[0]) != fingerprint(i)]
        for start in range(0, len(unkept), _CHUNK):
            if stop is not None and stop():
                return rendered
            chunk = unkept[start : start + _CHUNK]
            for _fragment in _fragments(db, sheet, headers, render, chunk, strings, prints):
                pass
            rendered += len(chunk)
    return rendered


def sheets(
    db: Database,
    overview: Ranked,
    progress: Progress | None = None,
    min_responses: int = 5,
    strings: _Strings | None = None,
) -> list[Sheet]:
    """The five sheets of an export, lazily: rows are produced as they are written.

    ``progress`` is told how far the writing is: the three sheets after the school summary
    each walk the period's inspections, so the whole is three times their number. With
    ``strings`` (the XLSX) the three long sheets come as each inspection's deflated rows,
    kept from the last export where they still hold (:func:`_fragments`).
    """
    every = storage.inspections(db, overview.filters)
    total = 3 * len(every)
    prints = _Fingerprints()
    fill = None if strings is None else _slot_cells(overview.today, strings)

    def walk(n: int, stage: str) -> Iterator[tuple]:
        return _tracked(every, progress, stage, n * len(every), total)

    def rows(n: int, stage: str, sheet: str, headers: list[str], render: Render) -> Iterable:
        if strings is not None:
            return _fragments(db, sheet, headers, render, walk(n, stage), strings, prints, fill)
        return _groups(render, walk(n, stage))

    items, findings, rectifications = ITEM_HEADERS, FINDING_HEADERS, RECTIFICATION_HEADERS

    titles = {c["id"]: c["title"] for c in store.checklist_titles(db)}
    return [
        Sheet(
            "学校汇总",
            ["排名", "学校代码", "学校名称", "乡镇", "学段", "本期已检查", "最近检查日期", "检查单",
             "检查单编号", "检查类型", "得分", "等次", "一票否决", "问题数", "上次得分", "得分变化",
             *[f"{s['title']}（得分率）" for s in overview.sections]],
            _school_rows(overview, titles),
            [6, 12, 24, 12, 10, 10, 13, 24, 20, 10, 8, 8, 9, 8, 9, 9,
             *[14] * len(overview.sections)],
        ),
        Sheet(
            "检查条目", items, rows(0, "检查条目", "items", items, _Items(db, strings)),
            [38, 12, 10, 12, 24, 12, 24, 20, 18, 20, 40, 9, 7, 7, 20, 30],
        ),
        Sheet(
            "问题清单", findings, rows(1, "问题清单", "findings", findings, _Findings(db, strings)),
            [38, 12, 12, 24, 12, 24, 20, 18, 40, 16, 50, 40, 40, 14, 10, 12],
        ),
        Sheet(
            "整改情况", rectifications,
            rows(2, "整改情况", "rectifications", rectifications,
                 _Rectifications(db, overview.today, strings)),
            [12, 24, 12, 12, 6, 10, 50, 40, 40, 14, 10, 12, 12, 10, 9, 9, 12],
        ),
        # 社会认可度: the survey rounds of the period at these schools (figures from
        # ``min_responses`` responses per group, SURVEY_MIN_RESPONSES)
        Sheet(
            "满意度测评",
            ["调查", "调查时段", "学校代码", "学校名称", "乡镇", "调查对象", "答卷数", "满意度", "说明"],
            _survey_rows(db, overview, min_responses),
            [36, 14, 12, 24, 12, 8, 8, 9, 18],
        ),
    ]  # fmt: skip


def write_xlsx(
    db: Database, overview: Ranked, target: str | IO[bytes],
    progress: Progress | None = None, min_responses: int = 5,
) -> dict[str, int]:  # fmt: skip
    """Write the workbook; returns rows written per sheet (long sheets continue on 「名称(2)」…).

    The three long sheets are copied from each inspection's kept rows where they still
    hold, and those rendered now are kept for the next export; the cells of kept rows that
    change with the day are written for ``overview.today``.
    """
    strings = _Strings(db)
    return xlsx.write(
        target, sheets(db, overview, progress, min_responses, strings), strings.refs,
        strings.numbered,
    )  # fmt: skip


def _flat(rows: Iterable[list | Group]) -> Iterator[list]:
    for row in rows:
        if isinstance(row, Group):
            for tail in row.tails:
                yield [*row.head, *tail]
        else:
            yield row


# A spreadsheet runs a cell that starts with one of these as a formula: =HYPERLINK(...) typed
# into a finding would reach the bureau's Excel live. OWASP's CSV-injection advice: prefix
# such text with a single quote, so it shows as text. (The XLSX writer stores every string as
# a string, never a formula, so it needs no escaping.)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(value):
    """As the spreadsheet shows it: 100.0 is 100, nothing is an empty field, text stays text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Percent):  # as a percentage: 85.3%
        return f"{round(value.fraction * 100, 1):g}%"
    return value


def write_csv_zip(
    db: Database, overview: Ranked, target: str | IO[bytes],
    progress: Progress | None = None, min_responses: int = 5,
) -> dict[str, int]:  # fmt: skip
    """One CSV per sheet (UTF-8 with BOM, so Excel reads the Chinese), zipped."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for n, sheet in enumerate(sheets(db, overview, progress, min_responses), start=1):
            with archive.open(f"{n}-{sheet.title}.csv", "w", force_zip64=True) as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                writer = csv.writer(text)
                writer.writerow(sheet.headers)
                count = 0
                for row in _flat(sheet.rows):
                    writer.writerow([_csv_value(v) for v in row])
                    count += 1
                counts[sheet.title] = count
                text.flush()
                text.detach()
    return counts


def filename(overview: Ranked, extension: str) -> str:
    return f"督导检查数据_{overview.filters.period.label}.{extension}"
