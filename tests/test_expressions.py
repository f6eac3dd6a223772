"""The expression language: parsing to AST JSON, precedence, null rules, functions and static checks."""

import math

import pytest

from inspect_app.checklist import round_half_away
from inspect_app.checklist.expressions import (
    CheckContext,
    EvalError,
    ExpressionSyntaxError,
    ItemInfo,
    Scope,
    check,
    day_number,
    evaluate,
    normalize_school,
    parse,
    parse_with_positions,
    references,
)

SCHOOL = {"stage": "初中", "boarding": True, "township_central": False, "enrolment": 600.0}
VALUES = {
    "fulltime": 12.0,
    "backbone": 1.0,
    "zero": 0.0,
    "missing": None,
    "has_canteen": True,
    "ledgers": ["inbound", "samples"],
    "level": "good",
    "opened": "2026-03-01",
}


def run(text, value=None, target=None, values=None):
    return evaluate(parse(text), Scope(values or VALUES, SCHOOL, set(), value, target))


# --------------------------------------------------------------------------- AST


def test_ast_matches_the_contract_json():
    assert parse("value >= (school.township_central ? 0.20 : 0.10)") == {
        "k": "bin",
        "op": ">=",
        "l": {"k": "value"},
        "r": {
            "k": "cond",
            "c": {"k": "school", "attr": "township_central"},
            "a": {"k": "num", "v": 0.2},
            "b": {"k": "num", "v": 0.1},
        },
    }
    assert parse("selected(m, 'a') and not x") == {
        "k": "and",
        "l": {
            "k": "call",
            "fn": "selected",
            "args": [{"k": "ref", "id": "m"}, {"k": "str", "v": "a"}],
        },
        "r": {"k": "unary", "op": "not", "x": {"k": "ref", "id": "x"}},
    }
    assert parse("[1, 'a', null, true]")["items"] == [
        {"k": "num", "v": 1.0},
        {"k": "str", "v": "a"},
        {"k": "null"},
        {"k": "bool", "v": True},
    ]
    assert parse("-target") == {"k": "unary", "op": "-", "x": {"k": "target"}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("-2 * 3", -6),
        ("10 - 4 - 3", 3),
        ("12 / 4 / 3", 1),
        ("7 % 4", 3),
        ("-7 % 4", -3),  # sign of the dividend, as in JavaScript
        ("1 < 2 and 2 < 3", True),
        ("true or false and false", True),  # and binds tighter than or
        ("not 1 == 2", True),  # not applies to the whole comparison
        ("false ? 1 : true ? 2 : 3", 2),  # ?: is right-associative
        ("1 + 1 == 2 ? 'yes' : 'no'", "yes"),
        ("'b' in ['a', 'b']", True),
        ("3 in [1, 2]", False),
        ("2e2", 200),
    ],
)
def test_precedence_and_operators(text, expected):
    assert run(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("missing + 1", None),
        ("-missing", None),
        ("missing < 3", None),
        ("missing == null", True),
        ("fulltime != null", True),
        ("min(fulltime, missing)", None),
        ("round(missing)", None),
        ("abs(missing)", None),
        ("not missing", True),  # only boolean true is true
        ("missing and true", False),
        ("missing or true", True),
        ("missing ? 1 : 2", 2),
        ("coalesce(missing, 5)", 5),
        ("count_selected(missing)", None),
        ("selected(missing, 'x')", False),
        ("answered(missing)", False),
        ("answered(fulltime)", True),
        ("missing in [1]", None),
    ],
)
def test_null_rules(text, expected):
    assert run(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("min(3, 1, 2)", 1),
        ("max(3, 1, 2)", 3),
        ("round(2.5)", 3),
        ("round(-2.5)", -3),
        ("round(1.005, 2)", 1.01),
        ("round(backbone / fulltime, 3)", 0.083),
        ("abs(-4)", 4),
        ("selected(ledgers, 'samples')", True),
        ("selected(ledgers, 'outbound')", False),
        ("count_selected(ledgers)", 2),
        ("days_between('2026-02-27', opened)", 2),
        ("days_between('2024-02-28', '2024-03-01')", 2),  # leap year
        ("days_between(opened, '2025-03-01')", -365),
        ("school.stage == '初中' and school.boarding", True),
        ("school.enrolment / 100", 6),
        ("school.code == null", True),  # attributes the school record lacks are null
        ("level == 'good'", True),
        ("has_canteen == true", True),
        ("'2026-02-01' < opened", True),
    ],
)
def test_functions_and_references(text, expected):
    assert run(text) == expected


def test_value_and_target():
    assert run("value >= target", value=0.25, target=0.2) is True
    assert run("value >= target", value=0.15, target=0.2) is False


def test_numbers_and_booleans_never_mix():
    # 1 == true is false: no coercion, as in JSON
    assert run("1 == true") is False
    assert run("[1, 2] == [1, 2]") is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fulltime / zero", "除数为零"),
        ("fulltime % zero", "除数为零"),
        ("days_between('2026-02-30', opened)", "日期格式应为 YYYY-MM-DD"),
    ],
)
def test_evaluation_errors(text, message):
    with pytest.raises(EvalError) as info:
        run(text)
    assert info.value.message == message


def test_broken_reference_propagates():
    scope = Scope(VALUES, SCHOOL, {"fulltime"})
    with pytest.raises(EvalError, match="fulltime"):
        evaluate(parse("fulltime + 1"), scope)


def test_short_circuit_skips_errors_on_the_untaken_side():
    assert run("false and fulltime / zero > 1") is False
    assert run("true ? 1 : fulltime / zero") == 1


def test_references_in_order():
    assert references(parse("b / a + a * school.enrolment + c(1)")) == ["b", "a"]


# --------------------------------------------------------------------------- syntax errors


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("value = 1", "无法识别的字符 “=”（判断相等请用 ==）", 6),
        ("a && b", "无法识别的字符 “&”（“并且”请用 and）", 2),
        ("value >= ", "表达式不完整，此处缺少一个值", 9),
        ("(a + b", "此处应为 )（括号未闭合），但表达式已结束", 6),
        ("'abc", "文字缺少结束引号", 0),
        ("a < b < c", "比较运算不能连写（如 a < b < c），请写成 a < b and b < c", 6),
        ("a b", "多余的内容 “b”（是否缺少运算符或 and/or？）", 2),
        ("value >= 10%", "表达式不完整，此处缺少一个值", 12),
        ("school.", "school. 后面应为学校属性名", 7),
        ("", "表达式为空", 0),
        (
            "是否 == true",
            "无法识别的字符 “是”（名称只能由英文字母、数字和下划线组成；中文文字请加引号）",
            0,
        ),
        ("min(1，2)", "无法识别的字符 “，”（请使用英文逗号 ,）", 5),
        ("3a", "数字 3 后面紧跟了字母", 1),
        # digits are ASCII only: full-width ones (typed with a Chinese input method) are refused
        ("value >= １２", "无法识别的字符 “１”（数字请用半角 0-9）", 9),
        ("value >= 1２", "无法识别的字符 “２”（数字请用半角 0-9）", 10),
        ("value >= 1e15", "数字 1e15 太大（绝对值应小于 1e15）", 9),
        ("value < 1e400", "数字 1e400 太大（绝对值应小于 1e15）", 8),
    ],
)
def test_syntax_errors_point_at_the_character(text, message, offset):
    with pytest.raises(ExpressionSyntaxError) as info:
        parse(text)
    assert (info.value.message, info.value.offset) == (message, offset)


# --------------------------------------------------------------------------- static checks

ITEMS = {
    "fulltime": ItemInfo("number"),
    "backbone": ItemInfo("number"),
    "has_canteen": ItemInfo("bool"),
    "remark": ItemInfo("string"),
    "ledgers": ItemInfo("list", ("inbound", "outbound", "samples")),
    "level": ItemInfo("string", ("good", "fair", "poor")),
    "intro": ItemInfo(None),
}


def problems(text, **context):
    parsed = parse_with_positions(text)
    _, found = check(parsed, CheckContext(ITEMS, **context))
    return [(p.message, p.offset) for p in found]


def test_clean_expressions_have_no_problems():
    assert problems("backbone / fulltime >= (school.township_central ? 0.2 : 0.1)") == []
    assert problems("selected(ledgers, 'samples') or level in ['good', 'fair']") == []
    assert problems("value >= target", value=ItemInfo("number"), target_type="number") == []


@pytest.mark.parametrize(
    ("text", "expected", "context"),
    [
        ("fulltme > 0", [("未知的条目 fulltme，是否想写 fulltime？", 0)], {}),
        (
            "school.boardng",
            [
                (
                    "未知的学校属性 school.boardng，是否想写 boarding？（可用：code、name、stage、boarding、"
                    "township_central、poverty_village、enrolment）",
                    0,
                )
            ],
            {},
        ),
        ("sum(fulltime)", [("未知的函数 sum", 0)], {}),
        ("round(1, 2, 3)", [("函数 round 需要 1 到 2 个参数，实际给了 3 个", 0)], {}),
        ("remark + 1", [("不能对文字做算术运算（+），只能对数字", 0)], {}),
        ("has_canteen * 2 > 1", [("不能对是/否值做算术运算（*），只能对数字", 0)], {}),
        ("fulltime == 'many'", [("== 两边类型不同，无法比较：数字和文字", 9)], {}),
        ("level == 'excellent'", [("level 没有选项 'excellent'，可选：good、fair、poor", 9)], {}),
        (
            "selected(ledgers, 'menu')",
            [("ledgers 没有选项 'menu'，可选：inbound、outbound、samples", 18)],
            {},
        ),
        (
            "school.stage == '初级中学'",
            [
                (
                    "school.stage 没有选项 '初级中学'，可选：幼儿园、小学、初中、九年一贯制、完全中学、高中、中职、教学点",
                    16,
                )
            ],
            {},
        ),
        ("value > 3", [("此处没有 value（value 只能用在 constraint 和 pass_if 中）", 0)], {}),
        (
            "target > 3",
            [("此处没有 target（target 只能用在 pass_if 中，且条目需设置 target）", 0)],
            {},
        ),
        ("intro == null", [("说明条目 intro 没有值，不能引用", 0)], {}),
        (
            "fulltime > 100",
            [("applies_if 只能使用学校属性（school.…），不能引用条目 fulltime", 0)],
            {"allow_items": False},
        ),
        ("fulltime and true", [("and 两边应为判断条件（是/否值），这里是数字", 0)], {}),
        (
            "days_between(fulltime, '2026-01-01')",
            [("days_between 的参数应为日期（YYYY-MM-DD），这里是数字", 13)],
            {},
        ),
        ("round(fulltime, backbone)", [("round 的小数位数应为 0 到 10 的整数", 16)], {}),
        (
            "count_selected(level)",
            [("函数 count_selected 的第一个参数应为多选条目，这里是文字", 15)],
            {},
        ),
    ],
)
def test_static_problems(text, expected, context):
    assert problems(text, **context) == expected


def test_largest_literal_and_ascii_dates():
    assert parse("999999999999999") == {"k": "num", "v": 999999999999999.0}
    assert day_number("2026-03-01") == 20513
    # a \d pattern would accept full-width digits, which int() reads; dates are ASCII only, as in JS
    assert day_number("２０２６-０３-０１") is None
    assert day_number("2026-0３-01") is None
    assert run("days_between('2026-03-01', '2026-03-08')") == 7.0
    with pytest.raises(EvalError, match="日期格式应为 YYYY-MM-DD"):
        run("days_between('２０２６-03-01', '2026-03-08')")


def test_round_leaves_numbers_of_1e15_and_more_unchanged():
    # no OverflowError: huge, infinite and NaN numbers come back as they are
    assert round_half_away(1.5e307, 6) == 1.5e307
    assert round_half_away(-1e300, 2) == -1e300
    assert round_half_away(math.inf, 1) == math.inf
    assert math.isnan(round_half_away(math.nan, 1))
    assert round_half_away(999999999999999.5, 0) == 1e15  # just below the limit: still rounded
    assert run("round(fulltime * 1e14 * 1e14 * 1e14, 6)") == 12.0 * 1e14 * 1e14 * 1e14


def test_school_numbers_beyond_1e15_read_as_null():
    school = normalize_school({"enrolment": 10**400})
    assert school["enrolment"] is None
    assert normalize_school({"enrolment": 1e15})["enrolment"] is None
    assert normalize_school({"enrolment": float("inf")})["enrolment"] is None
    assert normalize_school({"enrolment": 600})["enrolment"] == 600.0
    assert normalize_school(["not", "a", "mapping"])["enrolment"] is None
