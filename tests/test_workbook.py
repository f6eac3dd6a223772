"""Checklists as Excel workbooks: lossless both ways, and every mistake said at its cell.

The round trip is judged by the compiled content hash (what inspections record), for every
shipped checklist and for random ones drawn by tests/parity.py's generator, with texts that
are awkward in a spreadsheet (quotes, "=", line breaks, numbers as text, 60.0 vs 60).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from inspect_app.checklist import workbook as wb
from inspect_app.checklist.loader import check_file
from tests.parity import checklist_source, compile_source, to_yaml

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(
    [*ROOT.glob("checklists/*.yaml"), *ROOT.glob("checklists/*/*.yaml"),
     *ROOT.glob("tests/data/checklists/*.yaml")]
)  # fmt: skip


def round_trip(doc: dict) -> tuple[str, dict]:
    """The hash a document compiles to after going through a workbook, and the doc read back."""
    data = wb.to_workbook(doc)
    back, checklist, errors = wb.read_checked(data)
    assert not errors, "\n".join(map(str, errors))
    assert checklist is not None and back is not None
    return checklist.hash, back


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_checklist_survives_yaml_to_xlsx_to_yaml(path, tmp_path):
    checklist, errors = check_file(path)
    assert not errors and checklist is not None
    doc = wb.yaml_document(path.read_text(encoding="utf-8"))
    digest, back = round_trip(doc)
    assert digest == checklist.hash
    # and the YAML written from the workbook loads to that same version again
    again = tmp_path / path.name
    again.write_text(wb.dump_yaml(back), encoding="utf-8")
    reloaded, errors = check_file(again)
    assert not errors and reloaded is not None and reloaded.hash == checklist.hash


AWKWARD = [
    '他说"合格"',
    "=SUM(A1:A3)",
    "第一行\n第二行",
    "  前后有空格  ",
    "2026.10",
    "'单引号",
    "50%",
    "是",
    "null",
    "# 不是注释",
    "a: b",
    "{value}、{label}",
]


@st.composite
def awkward_sources(draw):
    """A random checklist (tests/parity.py) with spreadsheet-hostile texts and float weights."""
    source = checklist_source(draw)
    items = [i for s in source["sections"] for i in s["items"]]
    for item in items:
        if draw(st.integers(0, 2)) == 0:
            item["label"] = draw(st.sampled_from(AWKWARD))
        if draw(st.integers(0, 4)) == 0:
            item["guidance"] = draw(st.sampled_from(AWKWARD))
        if "fix" in item and draw(st.booleans()):
            item["fix"]["action"] = draw(st.sampled_from(AWKWARD)).strip() or "整改"
        for choice in item.get("choices") or []:
            if draw(st.integers(0, 3)) == 0:
                choice["label"] = draw(st.sampled_from(AWKWARD))
    if draw(st.booleans()):
        # 60.0 and 60 compile (and hash) differently: a float weight must stay a float
        for section in source["sections"]:
            section["weight"] = float(section["weight"])
    if draw(st.booleans()):
        source["description"] = draw(st.sampled_from(AWKWARD))
    return source


# 80 examples: each one writes a workbook and reads it twice through openpyxl (about 0.2 s);
# 150 made this the slowest test of the suite after the real-server ones. Every run draws new
# ones, and a failing example is kept in Hypothesis' database and tried first next time.
@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(awkward_sources())
def test_random_checklists_survive_the_workbook_round_trip(source):
    text = to_yaml(source)
    compiled = compile_source(text)
    doc = yaml.safe_load(text)
    digest, back = round_trip(doc)
    assert digest == compiled["hash"]
    assert back == doc  # the document itself, not just its hash


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(awkward_sources())
def test_a_version_without_its_source_is_written_back_to_the_same_hash(source):
    """Old versions stored only compiled can still be downloaded: the document written back
    from the compiled JSON compiles to the same hash (rebuilt_document checks it too)."""
    from inspect_app.checklist.source import document, rebuilt_document

    compiled = compile_source(to_yaml(source))
    doc = rebuilt_document(compiled)
    assert doc is not None, wb.dump_yaml(document(compiled))
    digest, _ = round_trip(doc)
    assert digest == compiled["hash"]


@pytest.mark.parametrize("path", [p for p in SHIPPED if "surveys" not in p.parts],
                         ids=lambda p: p.name)  # fmt: skip
def test_shipped_versions_are_written_back_from_their_compiled_form(path):
    from inspect_app.checklist.source import rebuilt_document

    checklist, _ = check_file(path)
    assert checklist is not None and rebuilt_document(checklist.compiled) is not None


def test_template_is_a_valid_checklist_with_the_guide_sheet():
    data = wb.template_workbook()
    checklist, errors = wb.check_workbook(data)
    assert errors == [] and checklist is not None
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["设置", "等级", "关键项上限", "检查项", "选项", "填写说明"]
    guide = [tuple(r) for r in book["填写说明"].iter_rows(values_only=True)]
    headers = {c.header for c in wb.item_columns()}
    assert headers <= {r[1] for r in guide if r[0] == "检查项"}
    assert {"是否题", "单选题", "计算项"} <= {r[1] for r in guide if r[0] == "类型示例"}


def test_every_loader_field_has_a_column():
    from inspect_app.checklist.loader import ALL_ITEM_KEYS, FIX_KEYS, TOP_KEYS

    keys = {c.key for c in wb.item_columns()} | {c.key for c in wb.settings_columns()}
    for key in ALL_ITEM_KEYS:
        if key == "fix":
            assert {f"fix.{f}" for f in FIX_KEYS} <= keys
        elif key != "choices":
            assert key in keys, key
    for key in TOP_KEYS:
        assert key in keys or key in ("grades", "critical_caps", "sections"), key


# --------------------------------------------------------------------------- mistakes


def _column(ws, header: str) -> int:
    for cell in ws[1]:
        if cell.value == header:
            return cell.column
    raise AssertionError(header)


def _row(ws, item_id: str) -> int:
    col = _column(ws, "编号")
    for row in ws.iter_rows(min_row=2):
        if row[col - 1].value == item_id:
            return row[0].row
    raise AssertionError(item_id)


def broken(change) -> list[str]:
    book = load_workbook(io.BytesIO(wb.template_workbook()))
    change(book)
    out = io.BytesIO()
    book.save(out)
    checklist, errors = wb.check_workbook(out.getvalue())
    assert checklist is None
    return [str(e) for e in errors]


def put(item_id: str, header: str, value):
    def change(book):
        ws = book["检查项"]
        ws.cell(row=_row(ws, item_id), column=_column(ws, header)).value = value

    return change


def setting(word: str, value):
    def change(book):
        ws = book["设置"]
        for row in ws.iter_rows(min_row=2):
            if row[0].value == word:
                row[1].value = value
                return
        raise AssertionError(word)

    return change


def grade_min(row: int, value):
    def change(book):
        book["等级"].cell(row=row, column=2).value = value

    return change


def _rename_header(old: str, new: str):
    def change(book):
        ws = book["检查项"]
        ws.cell(row=1, column=_column(ws, old)).value = new

    return change


def _drop_sheet(name: str):
    return lambda book: book.remove(book[name])


def _choice_owner(value):
    return lambda book: setattr(book["选项"].cell(row=2, column=1), "value", value)


def _item_before_section(book):
    ws = book["检查项"]
    ws.insert_rows(2)
    ws.cell(row=2, column=_column(ws, "类型")).value = "是否题"
    ws.cell(row=2, column=_column(ws, "编号")).value = "early"
    ws.cell(row=2, column=_column(ws, "题目")).value = "放在部分之前的条目"


MISTAKES = [
    ("points not a number", put("backbone_ratio", "分值", "五"),
     "工作表“检查项”第 5 行“分值”列：“分值”应为数字"),
    ("weights do not add up", put("staffing", "权重", 50),
     "工作表“检查项”第 2 行“权重”列：各部分“权重”之和为 90，应为 100"),
    ("unknown item in an expression", put("backbone_ratio", "合格条件", "value >= targt"),
     "工作表“检查项”第 5 行“合格条件”列：未知的条目 targt"),
    ("= instead of ==", put("backbone_ratio", "合格条件", "value = target"),
     "工作表“检查项”第 5 行“合格条件”列：表达式有误：无法识别的字符“=”（判断相等请用 ==）（第 7 个字符处）"),
    ("unknown type", put("fulltime", "类型", "整数"),
     "工作表“检查项”第 3 行“类型”列：无法识别的类型“整数”，是否想写“整数题”？"),
    ("yes/no cell", put("night_duty", "一票否决", "可能"),
     "工作表“检查项”第 8 行“一票否决”列：应填“是”或“否”，这里是“可能”"),
    ("fix action missing", put("night_duty", "整改措施", None),
     "工作表“检查项”第 8 行“整改措施”列：请填写“整改措施”"),
    ("negative days", put("night_duty", "整改期限（天）", -3),
     "工作表“检查项”第 8 行“整改期限（天）”列：“整改期限（天）”应为 1 到 1095 之间的整数"),
    ("duplicate id", put("backbone", "编号", "fulltime"),
     "工作表“检查项”第 4 行“编号”列：条目编号 fulltime 重复（第 3 行已使用）"),
    ("version typed as a number", setting("版本", 2027.1),
     f"工作表“设置”第 {2 + [c.key for c in wb.settings_columns()].index('version')} 行“内容”列："
     "版本应按文本填写"),
    ("critical names no grade", put("backbone_ratio", "关键项", "优"),
     "工作表“检查项”第 5 行“关键项”列：等级 优 不在工作表“等级”中，是否想写 优秀？"),
    ("choice of a missing item", _choice_owner("trainin"),
     "工作表“选项”第 2 行“条目编号”列：“检查项”表中没有编号为 trainin 的条目，是否想写 training？"),
    ("grades out of order", grade_min(3, 95),
     "工作表“等级”第 3 行“最低分”列：等级须按分数线从高到低排列"),
    ("points on a photo", put("duty_photo", "分值", 3),
     "工作表“检查项”第 9 行“分值”列：照片题不计分，不能设置“分值”"),
    ("bad id", put("fulltime", "编号", "Full Time"),
     "工作表“检查项”第 3 行“编号”列：条目编号“Full Time”格式不对"),
    ("unknown placeholder", put("backbone_ratio", "问题描述", "占比 {val}"),
     "工作表“检查项”第 5 行“问题描述”列：“问题描述”中的 {val} 无法识别"),
    ("misspelt header", _rename_header("题目", "题 目"),
     "工作表“检查项”第 1 行“题 目”列：无法识别的列名“题 目”，是否想写“题目”？"),
    ("a formula", put("fulltime", "最小值", "=1+1"),
     "工作表“检查项”第 3 行“最小值”列：单元格是公式"),
    ("message without constraint", put("fulltime", "约束提示", "x"),
     "工作表“检查项”第 3 行“约束提示”列：设置了“约束提示”但没有“约束条件”"),
    ("unknown format word", put("backbone_ratio", "显示格式", "比例"),
     "工作表“检查项”第 5 行“显示格式”列：“显示格式”只能填“数字”或“百分比”"),
    ("missing sheet", _drop_sheet("等级"), "工作表“等级”：缺少工作表“等级”"),
    ("target without pass_if", put("backbone_ratio", "合格条件", None),
     "工作表“检查项”第 5 行“标准值”列：设置了“标准值”但没有“合格条件”"),
    ("veto that cannot fail", put("fulltime", "一票否决", "是"),
     "工作表“检查项”第 3 行“一票否决”列：一票否决条目必须可能判为不合格"),
    ("item before any section", _item_before_section,
     "工作表“检查项”第 2 行“类型”列：条目之前须先有一行类型为“部分”的行"),
    ("choice item without choices", _drop_sheet("选项"),
     "工作表“检查项”第 6 行“类型”列：单选题、多选题须在工作表“选项”中填写选项"),
    ("title missing", setting("名称", None), "工作表“设置”：请填写“名称”"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "expected"), [m[1:] for m in MISTAKES],
                         ids=[m[0] for m in MISTAKES])  # fmt: skip
def test_each_mistake_is_said_at_its_cell(change, expected):
    errors = broken(change)
    assert any(e.startswith(expected) for e in errors), errors


def test_all_mistakes_of_a_workbook_are_listed_at_once():
    def many(book):
        for m in MISTAKES[:3]:
            m[1](book)

    errors = broken(many)
    for _, _, expected in MISTAKES[:3]:
        assert any(e.startswith(expected) for e in errors), errors


def test_not_a_workbook():
    checklist, errors = wb.check_workbook(b"PK\x03\x04 not really")
    assert checklist is None
    assert [str(e) for e in errors] == [
        "无法打开：文件不是 Excel 工作簿（.xlsx）。请用 Excel 或 WPS 另存为 .xlsx 后再上传"
    ]


# --------------------------------------------------------------------------- command line


def test_cli_exports_imports_and_validates_files(tmp_path):
    from click.testing import CliRunner

    from inspect_app.cli.checklists import checklists_cli

    runner = CliRunner()
    source = ROOT / "checklists" / "boarding_special.yaml"
    book, back = tmp_path / "b.xlsx", tmp_path / "b.yaml"
    result = runner.invoke(checklists_cli, ["export", str(source), "-o", str(book)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(checklists_cli, ["import", str(book), "-o", str(back)])
    assert result.exit_code == 0, result.output
    original, _ = check_file(source)
    reloaded, errors = check_file(back)
    assert not errors and original and reloaded and reloaded.hash == original.hash
    assert f"哈希 {original.hash[:12]}" in result.output
    result = runner.invoke(checklists_cli, ["validate", str(book)])
    assert result.exit_code == 0 and "全部通过：1 个检查单" in result.output

    bad = tmp_path / "bad.xlsx"
    workbook_bytes = io.BytesIO(wb.template_workbook())
    loaded = load_workbook(workbook_bytes)
    put("backbone_ratio", "分值", "五")(loaded)
    loaded.save(bad)
    result = runner.invoke(checklists_cli, ["validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: 工作表“检查项”第 5 行“分值”列：“分值”应为数字" in result.output
    result = runner.invoke(checklists_cli, ["import", str(bad), "-o", str(tmp_path / "x.yaml")])
    assert result.exit_code == 1 and not (tmp_path / "x.yaml").exists()
    template = tmp_path / "t.xlsx"
    result = runner.invoke(checklists_cli, ["export", "--template", "-o", str(template)])
    assert result.exit_code == 0 and wb.check_workbook(template.read_bytes())[1] == []


def test_cli_says_why_it_cannot_write_the_converted_file(tmp_path):
    # a folder that does not exist, or a folder given as the file, gave a Python traceback
    from click.testing import CliRunner

    from inspect_app.cli.checklists import checklists_cli

    runner = CliRunner()
    source = ROOT / "checklists" / "routine_visit.yaml"
    book = tmp_path / "rv.xlsx"
    assert runner.invoke(checklists_cli, ["export", str(source), "-o", str(book)]).exit_code == 0
    missing = tmp_path / "nowhere" / "x"
    cases = [
        (["export", str(source), "-o", f"{missing}.xlsx"], f"无法写出 {missing}.xlsx：所在的文件夹不存在。"),
        (["export", "--template", "-o", str(tmp_path)], f"无法写出 {tmp_path}：这是一个文件夹，请用 -o 给出文件名。"),
        (["import", str(book), "-o", f"{missing}.yaml"], f"无法写出 {missing}.yaml：所在的文件夹不存在。"),
    ]  # fmt: skip
    for args, said in cases:
        result = runner.invoke(checklists_cli, args)
        assert result.exit_code == 1 and said in result.output, result.output
        assert "Traceback" not in result.output and result.exception.__class__ is SystemExit


def test_a_zip_bomb_or_a_huge_sheet_is_refused_before_it_is_read():
    import zipfile

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (wb.MAX_UNPACKED_BYTES + 1))
    assert [str(e) for e in wb.check_workbook(bomb.getvalue())[1]] == [
        "文件解压后过大，不像是检查单工作簿，请确认选择了正确的文件"
    ]
    book = load_workbook(io.BytesIO(wb.template_workbook()))
    book["检查项"].cell(row=wb.MAX_ROWS + 10, column=1).value = "x"
    out = io.BytesIO()
    book.save(out)
    errors = [str(e) for e in wb.check_workbook(out.getvalue())[1]]
    assert errors == [
        f"工作表“检查项”：有 {wb.MAX_ROWS + 10} 行，超过 {wb.MAX_ROWS} 行，不像是检查单（请删除多余的行）"
    ]


def test_full_width_numbers_typed_by_a_chinese_ime_are_numbers():
    book = load_workbook(io.BytesIO(wb.template_workbook()))
    put("backbone_ratio", "分值", "５")(book)
    put("night_duty", "整改期限（天）", "１４")(book)
    out = io.BytesIO()
    book.save(out)
    checklist, errors = wb.check_workbook(out.getvalue())
    assert errors == [] and checklist is not None
    assert checklist.items["backbone_ratio"]["points"] == 5
    assert checklist.items["night_duty"]["fix"]["days"] == 14


def _expressions(compiled: dict):
    for section in compiled["sections"]:
        if section.get("applies_if"):
            yield section["applies_if"]
        for item in section["items"]:
            for key in ("applies_if", "relevant", "calculation", "constraint", "target", "pass_if"):
                if item.get(key) is not None:
                    yield item[key]


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(awkward_sources())
def test_expressions_written_back_as_text_parse_to_the_same_tree(source):
    """What the diff shows for a threshold (and a rebuilt source holds) is the expression."""
    from inspect_app.checklist.diff import expression_text
    from inspect_app.checklist.expressions import parse

    compiled = compile_source(to_yaml(source))
    for node in _expressions(compiled):
        assert parse(expression_text(node)) == node, expression_text(node)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_expressions_written_back_parse_to_the_same_tree(path):
    from inspect_app.checklist.diff import expression_text
    from inspect_app.checklist.expressions import parse

    checklist, _ = check_file(path)
    assert checklist is not None
    for node in _expressions(checklist.compiled):
        assert parse(expression_text(node)) == node, expression_text(node)
