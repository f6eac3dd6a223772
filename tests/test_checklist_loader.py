"""Loading checklist YAML: every kind of mistake is reported in Chinese with file, line, column and field."""

import textwrap
from pathlib import Path

import pytest

from inspect_app.checklist import (
    ChecklistError,
    LoadError,
    check_file,
    load_checklist,
    load_directory,
)

DATA = Path(__file__).parent / "data" / "checklists"

# Lines 1-12; items start on line 13, each mapping key of an item at column 9.
HEADER = """\
id: demo
title: 演示检查单
version: "1"
basis: 测试用
grades:
  - {grade: 合格, min: 60}
  - {grade: 不合格, min: 0}
sections:
  - id: safety
    title: 安全管理
    weight: 100
    items:
"""
DRILL = """\
      - id: drill
        type: yesno
        label: 开展消防演练
        points: 5
        fix: {action: 组织演练, owner: 校长, days: 14}
"""


def errors_of(tmp_path, text: str, name: str = "demo.yaml") -> list[LoadError]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    checklist, errors = check_file(path)
    assert checklist is None, "expected the file to be rejected"
    return errors


def only(errors: list[LoadError]) -> tuple:
    assert len(errors) == 1, [str(e) for e in errors]
    e = errors[0]
    return e.line, e.column, e.item, e.field, e.message


def items(text: str) -> str:
    return HEADER + textwrap.indent(textwrap.dedent(text), "      ")


def test_the_base_document_is_valid(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(HEADER + DRILL, encoding="utf-8")
    assert load_checklist(path).items["drill"]["points"] == 5


def test_yaml_syntax_error(tmp_path):
    text = items("""\
        - id: drill
          type: yesno
          label: 演练: 每学期一次
        """)
    assert only(errors_of(tmp_path, text)) == (
        15,
        18,
        None,
        None,
        "YAML 格式错误：此处不能出现冒号（文字中含“: ”时请加引号，或检查缩进）",
    )


def test_tab_indentation(tmp_path):
    text = HEADER + "      - id: drill\n\ttype: yesno\n"
    line, column, _, _, message = only(errors_of(tmp_path, text))
    assert (line, message) == (14, "YAML 格式错误：不能用 Tab 缩进，请改用空格")


def test_missing_required_key(tmp_path):
    text = items("""\
        - id: drill
          type: yesno
          points: 5
          fix: {action: 组织演练, owner: 校长, days: 14}
        """)
    assert only(errors_of(tmp_path, text)) == (13, 9, "drill", "label", "缺少必填字段 label")


def test_unknown_key_with_suggestion(tmp_path):
    text = HEADER + DRILL + "        pass-if: value\n"
    assert only(errors_of(tmp_path, text)) == (
        18,
        9,
        "drill",
        "pass-if",
        "未知字段 pass-if，是否想写 pass_if？",
    )


def test_duplicate_item_id(tmp_path):
    text = HEADER + DRILL + DRILL
    assert only(errors_of(tmp_path, text)) == (
        18,
        13,
        "drill",
        "id",
        "条目 id drill 重复（第 13 行已使用）",
    )


def test_duplicate_yaml_key(tmp_path):
    text = HEADER + DRILL + "        label: 又一个标签\n"
    assert only(errors_of(tmp_path, text)) == (18, 9, None, "label", "字段 label 在同一处写了两次")


def test_unknown_type(tmp_path):
    text = items("""\
        - id: drill
          type: yes_no
          label: 开展消防演练
        """)
    assert only(errors_of(tmp_path, text)) == (
        14,
        15,
        "drill",
        "type",
        "未知的条目类型 yes_no，是否想写 yesno？（可用：yesno、choice、multi、integer、decimal、text、date、photo、sample、computed、note）",
    )


def test_bad_choice_lists(tmp_path):
    text = items("""\
        - id: level
          type: choice
          label: 演练组织情况
          choices:
            - {value: good, label: 规范}
            - {value: good, label: 基本规范}
            - {value: 3, label: 混乱, fail: true}
          fix: {action: 重新演练, owner: 校长, days: 14}
        """)
    found = [(e.line, e.column, e.field, e.message) for e in errors_of(tmp_path, text)]
    assert found == [
        (18, 21, "choices", "选项值 good 重复"),
        (19, 21, "choices", "选项 value 应为文字（3 请加引号，如 '3'）"),
    ]


def test_unknown_reference_points_into_the_expression(tmp_path):
    text = HEADER + DRILL + '        pass_if: "value and answered(drils)"\n'
    assert only(errors_of(tmp_path, text)) == (
        18,
        38,
        "drill",
        "pass_if",
        "未知的条目 drils，是否想写 drill？",
    )


def test_expression_syntax_error_column(tmp_path):
    text = HEADER + DRILL + "        relevant: 1 + = 2\n"
    assert only(errors_of(tmp_path, text)) == (
        18,
        23,
        "drill",
        "relevant",
        "表达式有误：无法识别的字符 “=”（判断相等请用 ==）",
    )


def test_expression_error_inside_a_block_scalar(tmp_path):
    text = (
        HEADER + DRILL + "        relevant: >-\n          true and\n          school.boarding ==\n"
    )
    assert only(errors_of(tmp_path, text)) == (
        20,
        29,
        "drill",
        "relevant",
        "表达式有误：表达式不完整，此处缺少一个值",
    )


def test_cycle_among_calculations_and_relevance(tmp_path):
    text = items("""\
        - id: a
          type: computed
          label: 甲
          calculation: b + 1
        - id: b
          type: computed
          label: 乙
          calculation: c * 2
        - id: c
          type: integer
          label: 丙
          relevant: a > 0
        """)
    assert only(errors_of(tmp_path, text)) == (
        16,
        22,
        "a",
        "calculation",
        "计算/显示条件出现循环引用：a → b → c → a",
    )


def test_weights_must_add_up_to_100(tmp_path):
    text = (HEADER + DRILL).replace("weight: 100", "weight: 95")
    assert only(errors_of(tmp_path, text)) == (
        9,
        3,
        None,
        "weight",
        "各部分 weight 之和为 95，应为 100",
    )


def test_grade_bands_out_of_order(tmp_path):
    text = (HEADER + DRILL).replace(
        "{grade: 不合格, min: 0}", "{grade: 良好, min: 80}\n  - {grade: 不合格, min: 0}"
    )
    assert only(errors_of(tmp_path, text)) == (
        7,
        22,
        None,
        "grades",
        "等级须按分数线从高到低排列：良好 的 min（80）应小于上一档 合格 的 min（60）",
    )


def test_last_grade_must_start_at_zero(tmp_path):
    text = (HEADER + DRILL).replace("min: 0}", "min: 10}")
    assert only(errors_of(tmp_path, text)) == (
        7,
        23,
        None,
        "grades",
        "最后一个等级（不合格）的 min 应为 0，这样任何得分都有等级",
    )


def test_points_on_an_unscorable_item(tmp_path):
    text = items("""\
        - id: remark
          type: text
          label: 其他情况
          points: 2
        """)
    assert only(errors_of(tmp_path, text)) == (
        16,
        9,
        "remark",
        "points",
        "文字题不计分，不能设置 points",
    )


def test_missing_fix_on_an_item_that_can_fail(tmp_path):
    text = items("""\
        - id: drill
          type: yesno
          label: 开展消防演练
          points: 5
        """)
    assert only(errors_of(tmp_path, text)) == (
        13,
        9,
        "drill",
        "fix",
        "该条目可能判为不合格，需要填写 fix（整改措施 action、责任人 owner、期限 days）",
    )


def test_type_error_in_an_expression(tmp_path):
    text = items("""\
        - id: remark
          type: text
          label: 其他情况
        - id: ratio
          type: computed
          label: 比例
          calculation: remark / 2
        """)
    assert only(errors_of(tmp_path, text)) == (
        19,
        22,
        "ratio",
        "calculation",
        "不能对文字做算术运算（/），只能对数字",
    )


def test_applies_if_cannot_read_items(tmp_path):
    text = HEADER + DRILL + "        applies_if: drill\n"
    assert only(errors_of(tmp_path, text)) == (
        18,
        21,
        "drill",
        "applies_if",
        "applies_if 只能使用学校属性（school.…），不能引用条目 drill",
    )


def test_value_where_there_is_none(tmp_path):
    text = HEADER + DRILL + "        relevant: value == true\n"
    assert only(errors_of(tmp_path, text)) == (
        18,
        19,
        "drill",
        "relevant",
        "此处没有 value（value 只能用在 constraint 和 pass_if 中）",
    )


def test_condition_must_be_boolean(tmp_path):
    text = HEADER + DRILL + "        relevant: school.enrolment + 1\n"
    assert only(errors_of(tmp_path, text)) == (
        18,
        19,
        "drill",
        "relevant",
        "relevant 应为判断条件（结果为是/否），这里的结果是数字",
    )


def test_min_greater_than_max(tmp_path):
    text = items("""\
        - id: teachers
          type: integer
          label: 专任教师数
          min: 10
          max: 5
        """)
    assert only(errors_of(tmp_path, text)) == (
        17,
        14,
        "teachers",
        "max",
        "max（5）不能小于 min（10）",
    )


def test_unknown_placeholder_in_problem(tmp_path):
    text = HEADER + DRILL + "        problem: 未开展演练，应为 {traget}\n"
    assert only(errors_of(tmp_path, text)) == (
        18,
        18,
        "drill",
        "problem",
        "problem 中的 {traget} 无法识别，可用 {value}、{target}、{label}、{unit}",
    )


def test_veto_on_an_item_that_cannot_fail(tmp_path):
    text = items("""\
        - id: teachers
          type: integer
          label: 专任教师数
          veto: true
        """)
    assert only(errors_of(tmp_path, text)) == (
        16,
        15,
        "teachers",
        "veto",
        "一票否决条目必须可能判为不合格（需要 pass_if，或为是否题，或有 fail: true 的选项）",
    )


def test_version_must_be_text(tmp_path):
    text = (HEADER + DRILL).replace('version: "1"', "version: 2026.1")
    assert only(errors_of(tmp_path, text)) == (
        3,
        10,
        None,
        "version",
        'version 请加引号写成文字，如 "2026.1"（否则 2026.10 会变成 2026.1）',
    )


def test_all_errors_of_a_file_are_reported_at_once(tmp_path):
    text = items("""\
        - id: Drill
          type: yesno
          label: " "
          points: 5
          fix: {action: 组织演练, owner: 校长, days: 0}
        - id: level
          type: choice
          label: 演练组织情况
          choices: []
        """).replace("weight: 100", "weight: 90")
    messages = [e.message for e in errors_of(tmp_path, text)]
    assert messages == [
        "各部分 weight 之和为 90，应为 100",
        "条目 id “Drill” 格式不对：只能用小写英文字母、数字和下划线，并以字母开头",
        "label 应为非空文字",
        "fix.days 应为 1 到 1095 之间的整数（整改期限天数）",
        "choices 应为选项列表，每项含 value 和 label",
    ]


def test_a_deadline_beyond_three_years_is_refused_where_it_is_written(tmp_path):
    # 5000000 days passed and then made every failing inspection of the version crash (a
    # deadline past the year 9999)
    text = HEADER + DRILL.replace("days: 14", "days: 5000000")
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ChecklistError) as info:
        load_checklist(tmp_path / "demo.yaml")
    assert "字段 fix：fix.days 应为 1 到 1095 之间的整数（整改期限天数）" in str(info.value)
    assert str(info.value).startswith(f"{tmp_path / 'demo.yaml'}:")


@pytest.mark.parametrize(
    "deep", ["(" * 300 + "value" + ")" * 300 + " == true", "not " * 3000 + "value"]
)
def test_an_expression_nested_too_deep_is_refused_where_it_is_written(tmp_path, deep):
    # 200 nested brackets overflowed Python's stack: a 500 on the upload page, a traceback
    # from `checklists validate`
    text = HEADER + DRILL + f"        pass_if: {deep}\n"
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ChecklistError) as info:
        load_checklist(tmp_path / "demo.yaml")
    assert str(info.value).startswith(f"{tmp_path / 'demo.yaml'}:18:")
    assert "条目 drill 字段 pass_if：表达式有误：表达式嵌套过深" in str(info.value)


def test_error_text_names_file_line_item_and_field(tmp_path):
    text = HEADER + DRILL + "        pass_if: value >= \n"
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ChecklistError) as info:
        load_checklist(tmp_path / "demo.yaml")
    assert str(info.value) == (
        f"{tmp_path / 'demo.yaml'}:18:26: 条目 drill 字段 pass_if：表达式有误：表达式不完整，此处缺少一个值"
    )


def test_directory_requires_file_name_to_match_id(tmp_path):
    (tmp_path / "wrong_name.yaml").write_text(HEADER + DRILL, encoding="utf-8")
    with pytest.raises(ChecklistError) as info:
        load_directory(tmp_path)
    assert [(e.line, e.column, e.message) for e in info.value.errors] == [
        (1, 5, "文件名应与 id 一致：id 为 demo，文件名应为 demo.yaml")
    ]


def test_directory_loads_every_checklist():
    loaded = load_directory(DATA)
    assert sorted(loaded) == ["mixed_types", "school_basics"]


def test_hash_ignores_formatting_but_not_content(tmp_path):
    (tmp_path / "demo.yaml").write_text(HEADER + DRILL, encoding="utf-8")
    first = load_checklist(tmp_path / "demo.yaml")
    (tmp_path / "demo.yaml").write_text(
        "# 注释\n" + HEADER + DRILL.replace("points: 5", "points:   5"), encoding="utf-8"
    )
    assert load_checklist(tmp_path / "demo.yaml").hash == first.hash
    (tmp_path / "demo.yaml").write_text(
        HEADER + DRILL.replace("points: 5", "points: 6"), encoding="utf-8"
    )
    assert load_checklist(tmp_path / "demo.yaml").hash != first.hash


def test_compiled_form_fills_defaults_and_ships_ast(tmp_path):
    text = items("""\
        - id: level
          type: choice
          label: 演练组织情况
          relevant: school.boarding
          choices:
            - {value: good, label: 规范, score: 4}
            - {value: poor, label: 混乱, score: 0, fail: true}
          fix: {action: 重新演练, owner: 校长, days: 14}
        """)
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    item = load_checklist(tmp_path / "demo.yaml").compiled["sections"][0]["items"][0]
    assert item["points"] == 4  # the highest choice score
    assert item["required"] is True
    assert item["relevant"] == {"k": "school", "attr": "boarding"}
    assert item["pass_if"] is None


def test_cli_validate_reports_errors_and_summary(tmp_path):
    from flask import Flask

    from inspect_app.cli.checklists import register_cli

    app = Flask(__name__)
    app.config["CHECKLIST_DIR"] = str(DATA)
    register_cli(app)
    runner = app.test_cli_runner()
    with app.app_context():  # the folder comes from the app's config when there is one
        ok = runner.invoke(args=["checklists", "validate"])
    assert ok.exit_code == 0
    assert ok.output.strip().endswith("全部通过：2 个检查单")
    (tmp_path / "demo.yaml").write_text(
        HEADER + DRILL.replace("type: yesno", "type: tick"), encoding="utf-8"
    )
    bad = runner.invoke(args=["checklists", "validate", str(tmp_path)])
    assert bad.exit_code == 1
    assert (
        f"{tmp_path / 'demo.yaml'}:14:15: 条目 drill 字段 type：未知的条目类型 tick" in bad.output
    )
    assert "校验未通过：1 个文件共 1 处错误" in bad.output


PREFILL = """\
- id: staff_total
  type: integer
  prefill: true
  label: 教职工数
  unit: 人
- id: dorm_area
  type: decimal
  label: 宿舍面积
  unit: ㎡
"""


def test_prefill_is_compiled_on_every_item(tmp_path):
    (tmp_path / "demo.yaml").write_text(
        HEADER + DRILL + textwrap.indent(PREFILL, "      "), encoding="utf-8"
    )
    checklist = load_checklist(tmp_path / "demo.yaml")
    assert checklist.items["staff_total"]["prefill"] is True
    assert checklist.items["dorm_area"]["prefill"] is False
    assert checklist.items["drill"]["prefill"] is False
    # it is content: marking an item changes the hash (the phone reads it from the compiled JSON)
    (tmp_path / "demo.yaml").write_text(
        HEADER
        + DRILL
        + textwrap.indent(PREFILL.replace("prefill: true", "prefill: false"), "      "),
        encoding="utf-8",
    )
    assert load_checklist(tmp_path / "demo.yaml").hash != checklist.hash


def test_prefill_on_a_decimal_item(tmp_path):
    text = items(PREFILL.replace("  label: 宿舍面积", "  prefill: true\n  label: 宿舍面积"))
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    assert load_checklist(tmp_path / "demo.yaml").items["dorm_area"]["prefill"] is True


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("type: yesno\n  prefill: true", "是否题不能使用字段 prefill"),
        ("type: text\n  prefill: true", "文字题不能使用字段 prefill"),
        ("type: date\n  prefill: true", "日期题不能使用字段 prefill"),
    ],
)
def test_prefill_only_on_integer_and_decimal(tmp_path, item, message):
    text = items(f"- id: asked\n  {item}\n  label: 问题\n")
    assert only(errors_of(tmp_path, text)) == (15, 9, "asked", "prefill", message)


def test_prefill_must_be_true_or_false(tmp_path):
    text = items("- id: count\n  type: integer\n  prefill: 是\n  label: 人数\n")
    assert only(errors_of(tmp_path, text)) == (
        15,
        18,
        "count",
        "prefill",
        "prefill 应为 true 或 false",
    )


def test_shipped_checklists_mark_rarely_changing_counts_for_prefill():
    shipped = load_directory(Path(__file__).parent.parent / "checklists")
    marked = {
        (cid, item_id)
        for cid, checklist in shipped.items()
        for item_id, item in checklist.items.items()
        if item["prefill"]
    }
    for item_id in ("fulltime_teachers", "students_total", "staff_total", "dorm_area"):
        assert ("fupin_comprehensive", item_id) in marked
    assert ("boarding_special", "dorm_beds") in marked
    # what is counted on the day is never offered from last time
    assert ("boarding_special", "drills_this_term") not in marked
    assert ("canteen_special", "sample_weight") not in marked
    for cid, item_id in marked:
        assert shipped[cid].items[item_id]["type"] in ("integer", "decimal")


@pytest.mark.parametrize(
    ("line", "column", "field", "message"),
    [
        ("points: 1000000000000000", 17, "points", "points 的数值过大（绝对值应小于 1e15）"),
        ("points: " + "9" * 400, 17, "points", "points 的数值过大（绝对值应小于 1e15）"),
        ("points: .inf", 17, "points", "points 应为数字"),
        (
            "pass_if: value < " + "9" * 400,
            26,
            "pass_if",
            "表达式有误：数字 " + "9" * 400 + " 太大（绝对值应小于 1e15）",
        ),
        ("pass_if: value < 1e15", 26, "pass_if", "表达式有误：数字 1e15 太大（绝对值应小于 1e15）"),
        (
            "pass_if: value < １０",
            26,
            "pass_if",
            "表达式有误：无法识别的字符 “１”（数字请用半角 0-9）",
        ),
    ],
)
def test_numbers_must_be_below_1e15_and_ascii(tmp_path, line, column, field, message):
    # never an OverflowError: a huge integer in YAML or an expression is a load error
    text = items(
        f"- id: count\n  type: integer\n  label: 人数\n  {line}\n"
        "  fix: {action: 核实, owner: 校长, days: 7}\n"
    )
    if field == "points":
        text = text.replace("  fix: {action: 核实, owner: 校长, days: 7}\n", "")
    assert only(errors_of(tmp_path, text)) == (16, column, "count", field, message)


# --------------------------------------------------------------------------- 责任单位 in fix


def test_fix_unit_names_the_county_unit_in_the_draft(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(
        HEADER
        + DRILL.replace("owner: 校长,", "owner: 校长, unit: 县财政局,").replace(
            "id: drill", "id: drill_funded"
        )
        + DRILL,
        encoding="utf-8",
    )
    checklist = load_checklist(path)
    from inspect_app.checklist import score

    result = score(
        checklist, {"stage": "小学"}, {"answers": {"drill": False, "drill_funded": False}}
    )
    units = {r["item"]: r.get("unit") for r in result["rectifications"]}
    # the template's unit reaches the draft; no unit written = the school's, and no key at all,
    # so checklists without units compile (and hash) exactly as before
    assert units == {"drill_funded": "县财政局", "drill": None}
    assert "unit" not in checklist.items["drill"]["fix"]


def test_a_unit_outside_the_list_is_a_load_error_with_a_suggestion(tmp_path):
    text = HEADER + DRILL.replace("owner: 校长,", "owner: 校长, unit: 县财政厅,")
    line, column, item, field, message = only(errors_of(tmp_path, text))
    assert (line, item, field) == (17, "drill", "fix")
    assert message.startswith("fix.unit 应为责任单位之一：学校、县教育局")
    assert message.endswith("是否想写 县财政局？")


def test_a_unit_must_be_text(tmp_path):
    text = HEADER + DRILL.replace("owner: 校长,", "owner: 校长, unit: 3,")
    assert only(errors_of(tmp_path, text))[4].startswith("fix.unit 应为责任单位之一")


# --------------------------------------------------------------------------- 抽样 (sample items)

SAMPLE = """\
      - id: files
        type: sample
        label: 抽查学生档案
        sample: {min: 5, max: 30}
        points: 4
        fix: {action: 补齐档案, owner: 资助专干, days: 30}
"""


def test_a_sample_item_compiles_with_its_rule_and_a_default_unit(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(HEADER + SAMPLE, encoding="utf-8")
    item = load_checklist(path).items["files"]
    assert (item["sample"], item["unit"], item["required"]) == ({"min": 5, "max": 30}, "份", True)


def test_a_sample_item_needs_its_rule_and_a_fix(tmp_path):
    text = HEADER + SAMPLE.replace("        sample: {min: 5, max: 30}\n", "").replace(
        "        fix: {action: 补齐档案, owner: 资助专干, days: 30}\n", ""
    )
    messages = sorted(e.message for e in errors_of(tmp_path, text))
    assert messages == [
        "抽样检查缺少必填字段 sample（如 {min: 5, max: 30}）",
        "该条目可能判为不合格，需要填写 fix（整改措施 action、责任人 owner、期限 days）",
    ]


@pytest.mark.parametrize(
    "rule, message",
    [
        ("{min: 0}", "sample.min 应为 1 到 1000 的整数"),
        ("{min: 5, max: 2}", "sample.max（2）不能小于 sample.min（5）"),
        ("{min: 2.5}", "sample.min 应为 1 到 1000 的整数"),
        ("{max: 10}", "缺少必填字段 min"),
        ("5", "sample 应写成 {min: 最少抽查份数, max: 最多抽查份数}"),
    ],
)
def test_bad_sample_rules(tmp_path, rule, message):
    text = HEADER + SAMPLE.replace("{min: 5, max: 30}", rule)
    assert only(errors_of(tmp_path, text))[4] == message


def test_a_sample_item_takes_no_constraint_and_other_types_no_sample(tmp_path):
    text = HEADER + SAMPLE + "        constraint: value > 0\n"
    assert only(errors_of(tmp_path, text))[4] == "抽样检查不能使用字段 constraint"
    text = HEADER + DRILL + "        sample: {min: 5}\n"
    assert only(errors_of(tmp_path, text))[4] == "是否题不能使用字段 sample"


def test_a_file_that_cannot_be_read_is_named_in_chinese(tmp_path):
    folder = tmp_path / "boarding.yaml"  # a folder named like a checklist
    folder.mkdir()
    missing = tmp_path / "missing.yaml"
    (_, [is_folder]), (_, [gone]) = check_file(folder), check_file(missing)
    assert str(is_folder).endswith("无法读取文件：这是一个文件夹，不是文件")
    assert str(gone).endswith("无法读取文件：文件不存在")
    assert "directory" not in str(is_folder) and "No such" not in str(gone)
