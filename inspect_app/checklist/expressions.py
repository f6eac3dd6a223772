"""The checklist expression language: parse text to AST JSON, check it statically, compile it to run.

The AST is the JSON form fixed in docs/checklist-contract.md; it is what a compiled checklist
ships to the phone, where static/js/engine.js evaluates the same tree. Nothing here uses
`eval`: text is tokenized, parsed by recursive descent and run by closures built once per
expression (`compile_expression`), so scoring does no parsing and no dispatch on node kinds.

Runtime values are: float (every number, integers included, as in JavaScript), bool, str,
list of str (a multi answer) and None (null).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inspect_app.checklist.formatting import in_range, round_half_away
from inspect_app.common.vocabulary import STAGES

SCHOOL_ATTRIBUTES: dict[str, str] = {
    "code": "string",
    "name": "string",
    "stage": "string",
    "boarding": "bool",
    "township_central": "bool",
    "poverty_village": "bool",
    "enrolment": "number",
}

# name -> (fewest arguments, most arguments or None for "any number")
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "min": (1, None),
    "max": (1, None),
    "round": (1, 2),
    "abs": (1, 1),
    "selected": (2, 2),
    "count_selected": (1, 1),
    "answered": (1, 1),
    "coalesce": (2, None),
    "days_between": (2, 2),
}
KEYWORDS = frozenset(
    {"and", "or", "not", "in", "true", "false", "null", "value", "target", "school"}
)
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=", "in")
MAX_ROUND_DIGITS = 10

TYPE_NAMES = {
    "number": "数字",
    "bool": "是/否值",
    "string": "文字",
    "list": "多选列表",
    "null": "空值",
    "any": "任意值",
}


class ExpressionSyntaxError(ValueError):
    """Text that is not a valid expression; `offset` is the 0-based character where it went wrong."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class EvalError(Exception):
    """An expression that cannot be computed for these answers (the item becomes 「无法计算」)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------- tokenizer

_TOKEN_RE = re.compile(
    r"""(?P<space>\s+)
      | (?P<num>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>==|!=|<=|>=|[<>+\-*/%()\[\],?:.])
    """,
    re.VERBOSE,
)
# Mistakes authors make often, answered with the fix rather than "unexpected character".
_HINTS = {
    "=": "判断相等请用 ==",
    "&": "“并且”请用 and",
    "|": "“或者”请用 or",
    "!": "取反请用 not，不等于请用 !=",
    "，": "请使用英文逗号 ,",
    "（": "请使用英文括号 ( )",
    "）": "请使用英文括号 ( )",
    "：": "请使用英文冒号 :",
    "？": "请使用英文问号 ?",
    "‘": "文字请用英文引号 ' 或 \" 括起来",
    "’": "文字请用英文引号 ' 或 \" 括起来",
    "“": "文字请用英文引号 ' 或 \" 括起来",
    "”": "文字请用英文引号 ' 或 \" 括起来",
    "≥": "大于等于请写 >=",
    "≤": "小于等于请写 <=",
}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # num | str | name | op | end
    text: str
    offset: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            j = i + 1
            chars: list[str] = []
            while j < len(text) and text[j] != ch:
                if text[j] == "\\" and j + 1 < len(text):
                    j += 1
                chars.append(text[j])
                j += 1
            if j >= len(text):
                raise ExpressionSyntaxError("文字缺少结束引号", i)
            tokens.append(_Token("str", "".join(chars), i))
            i = j + 1
            continue
        m = _TOKEN_RE.match(text, i)
        if m is None:
            hint = _HINTS.get(ch)
            if hint is None and ch.isdigit():
                hint = "数字请用半角 0-9"
            elif hint is None and ch.isalpha():
                hint = "名称只能由英文字母、数字和下划线组成；中文文字请加引号"
            raise ExpressionSyntaxError(
                f"无法识别的字符 “{ch}”" + (f"（{hint}）" if hint else ""), i
            )
        kind = m.lastgroup
        assert kind is not None  # every alternative of _TOKEN_RE is a named group
        if kind != "space":
            if kind == "num" and m.end() < len(text) and text[m.end()].isdigit():
                raise ExpressionSyntaxError(
                    f"无法识别的字符 “{text[m.end()]}”（数字请用半角 0-9）", m.end()
                )
            if (
                kind == "num"
                and m.end() < len(text)
                and (text[m.end()].isalnum() or text[m.end()] == "_")
            ):
                raise ExpressionSyntaxError(f"数字 {m.group()} 后面紧跟了字母", m.end())
            tokens.append(_Token(kind, m.group(), i))
        i = m.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


# --------------------------------------------------------------------------- parser


@dataclass
class ParsedExpression:
    """A parsed expression: the AST JSON and the source offset of every node (for messages)."""

    ast: dict
    positions: dict[int, int] = field(repr=False)

    def offset_of(self, node: dict) -> int:
        return self.positions.get(id(node), 0)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0
        self.positions: dict[int, int] = {}

    # helpers ---------------------------------------------------------------
    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at_op(self, *ops: str) -> bool:
        tok = self.peek()
        return tok.kind == "op" and tok.text in ops

    def at_word(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "name" and tok.text == word

    def expect_op(self, op: str, what: str) -> _Token:
        if not self.at_op(op):
            raise ExpressionSyntaxError(
                f"此处应为 {op}（{what}）{self.found()}", self.peek().offset
            )
        return self.take()

    def found(self) -> str:
        tok = self.peek()
        return "，但表达式已结束" if tok.kind == "end" else f"，实际是 “{tok.text}”"

    def node(self, offset: int, **fields: Any) -> dict:
        n = dict(fields)
        self.positions[id(n)] = offset
        return n

    # grammar, lowest precedence first ----------------------------------------
    def parse(self) -> dict:
        if self.peek().kind == "end":
            raise ExpressionSyntaxError("表达式为空", 0)
        tree = self.conditional()
        if self.peek().kind != "end":
            tok = self.peek()
            raise ExpressionSyntaxError(
                f"多余的内容 “{tok.text}”（是否缺少运算符或 and/or？）", tok.offset
            )
        return tree

    def conditional(self) -> dict:
        start = self.peek().offset
        test = self.disjunction()
        if not self.at_op("?"):
            return test
        self.take()
        then = self.conditional()
        self.expect_op(":", "条件 ? 值1 : 值2")
        otherwise = self.conditional()
        return self.node(start, k="cond", c=test, a=then, b=otherwise)

    def disjunction(self) -> dict:
        left = self.conjunction()
        while self.at_word("or"):
            tok = self.take()
            left = self.node(tok.offset, k="or", l=left, r=self.conjunction())
        return left

    def conjunction(self) -> dict:
        left = self.negation()
        while self.at_word("and"):
            tok = self.take()
            left = self.node(tok.offset, k="and", l=left, r=self.negation())
        return left

    def negation(self) -> dict:
        if self.at_word("not"):
            tok = self.take()
            return self.node(tok.offset, k="unary", op="not", x=self.negation())
        return self.comparison()

    def comparison(self) -> dict:
        left = self.additive()
        if self.at_op(*COMPARISONS) or self.at_word("in"):
            tok = self.take()
            left = self.node(tok.offset, k="bin", op=tok.text, l=left, r=self.additive())
            if self.at_op(*COMPARISONS) or self.at_word("in"):
                raise ExpressionSyntaxError(
                    "比较运算不能连写（如 a < b < c），请写成 a < b and b < c", self.peek().offset
                )
        return left

    def additive(self) -> dict:
        left = self.multiplicative()
        while self.at_op("+", "-"):
            tok = self.take()
            left = self.node(tok.offset, k="bin", op=tok.text, l=left, r=self.multiplicative())
        return left

    def multiplicative(self) -> dict:
        left = self.unary()
        while self.at_op("*", "/", "%"):
            tok = self.take()
            left = self.node(tok.offset, k="bin", op=tok.text, l=left, r=self.unary())
        return left

    def unary(self) -> dict:
        if self.at_op("-"):
            tok = self.take()
            return self.node(tok.offset, k="unary", op="-", x=self.unary())
        return self.primary()

    def primary(self) -> dict:
        tok = self.peek()
        if tok.kind == "num":
            self.take()
            v = float(tok.text)
            if not in_range(v):
                raise ExpressionSyntaxError(
                    f"数字 {tok.text} 太大（绝对值应小于 1e15）", tok.offset
                )
            return self.node(tok.offset, k="num", v=v)
        if tok.kind == "str":
            self.take()
            return self.node(tok.offset, k="str", v=tok.text)
        if self.at_op("("):
            self.take()
            inner = self.conditional()
            self.expect_op(")", "括号未闭合")
            return inner
        if self.at_op("["):
            self.take()
            items: list[dict] = []
            if not self.at_op("]"):
                items.append(self.conditional())
                while self.at_op(","):
                    self.take()
                    items.append(self.conditional())
            self.expect_op("]", "列表未闭合")
            return self.node(tok.offset, k="list", items=items)
        if tok.kind == "name":
            return self.name()
        if tok.kind == "end":
            raise ExpressionSyntaxError("表达式不完整，此处缺少一个值", tok.offset)
        raise ExpressionSyntaxError(f"此处应为一个值，实际是 “{tok.text}”", tok.offset)

    def name(self) -> dict:
        tok = self.take()
        word = tok.text
        if word in ("true", "false"):
            return self.node(tok.offset, k="bool", v=word == "true")
        if word == "null":
            return self.node(tok.offset, k="null")
        if word in ("value", "target"):
            return self.node(tok.offset, k=word)
        if word == "school":
            self.expect_op(".", "学校属性写作 school.属性名")
            attr = self.peek()
            if attr.kind != "name":
                raise ExpressionSyntaxError("school. 后面应为学校属性名", attr.offset)
            self.take()
            return self.node(tok.offset, k="school", attr=attr.text)
        if word in KEYWORDS:
            raise ExpressionSyntaxError(f"“{word}” 的位置不对，此处应为一个值", tok.offset)
        if self.at_op("("):
            self.take()
            args: list[dict] = []
            if not self.at_op(")"):
                args.append(self.conditional())
                while self.at_op(","):
                    self.take()
                    args.append(self.conditional())
            self.expect_op(")", f"函数 {word} 的括号未闭合")
            return self.node(tok.offset, k="call", fn=word, args=args)
        return self.node(tok.offset, k="ref", id=word)


# Nesting deeper than any condition a person writes; the checks, the compiler and both
# engines walk expressions recursively, and 200 nested brackets overflowed Python's stack.
MAX_DEPTH = 64
_TOO_DEEP = f"表达式嵌套过深（括号、not 或负号超过 {MAX_DEPTH} 层），请拆成几个计算项"


def parse_with_positions(text: str) -> ParsedExpression:
    """Parse expression text; raises ExpressionSyntaxError with the offset of the problem."""
    parser = _Parser(text)
    try:
        tree = parser.parse()
    except RecursionError:
        raise ExpressionSyntaxError(_TOO_DEEP, 0) from None
    if _depth(tree) > MAX_DEPTH:
        raise ExpressionSyntaxError(_TOO_DEEP, 0)
    return ParsedExpression(tree, parser.positions)


def _depth(tree: dict) -> int:
    """How deep the tree nests, counted without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in _children(node))
    return deepest


def parse(text: str) -> dict:
    """Parse expression text to the AST JSON of the contract."""
    return parse_with_positions(text).ast


def _children(node: dict) -> list[dict]:
    k = node["k"]
    if k == "list":
        return node["items"]
    if k == "call":
        return node["args"]
    if k == "unary":
        return [node["x"]]
    if k in ("bin", "and", "or"):
        return [node["l"], node["r"]]
    if k == "cond":
        return [node["c"], node["a"], node["b"]]
    return []


def walk(node: dict) -> list[dict]:
    """Every node of the tree, parents before children, left to right."""
    out: list[dict] = []
    stack = [node]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(reversed(_children(n)))
    return out


def references(node: dict) -> list[str]:
    """Item ids the expression reads, in order of first appearance."""
    seen: list[str] = []
    for n in walk(node):
        if n["k"] == "ref" and n["id"] not in seen:
            seen.append(n["id"])
    return seen


# --------------------------------------------------------------------------- static checks


@dataclass(frozen=True)
class ItemInfo:
    """What the checker needs to know about an item: its value type and, for choices, the values."""

    type: str | None  # value type (number/bool/string/list/any); None: a note, which has no value
    choices: tuple[str, ...] | None = None


@dataclass
class CheckContext:
    """Where an expression is used: which names it may read and what type `value`/`target` have."""

    items: Mapping[str, ItemInfo]
    allow_items: bool = True
    value: ItemInfo | None = None  # None: `value` is not available here
    target_type: str | None = None  # None: `target` is not available here
    no_value_reason: str = "此处没有 value（value 只能用在 constraint 和 pass_if 中）"
    no_target_reason: str = "此处没有 target（target 只能用在 pass_if 中，且条目需设置 target）"


@dataclass(frozen=True)
class Problem:
    """A static error in an expression, with the 0-based offset it points at."""

    message: str
    offset: int


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"，是否想写 {close[0]}？" if close else ""


def _is(t: str, *allowed: str) -> bool:
    return t in ("any", "null") or t in allowed


class _Checker:
    def __init__(self, parsed: ParsedExpression, ctx: CheckContext) -> None:
        self.parsed = parsed
        self.ctx = ctx
        self.problems: list[Problem] = []

    def fail(self, node: dict, message: str) -> str:
        self.problems.append(Problem(message, self.parsed.offset_of(node)))
        return "any"

    def choices_of(self, node: dict) -> tuple[str, tuple[str, ...]] | None:
        """For a reference to a choice/multi item or school.stage: (name, allowed values)."""
        if node["k"] == "ref":
            info = self.ctx.items.get(node["id"])
            if info is not None and info.choices is not None:
                return node["id"], info.choices
        elif node["k"] == "school" and node["attr"] == "stage":
            return "school.stage", STAGES
        elif (
            node["k"] == "value"
            and self.ctx.value is not None
            and self.ctx.value.choices is not None
        ):
            return "value", self.ctx.value.choices
        return None

    def check_choice_literal(self, subject: dict, literal: dict) -> None:
        found = self.choices_of(subject)
        if found is None or literal["k"] != "str":
            return
        name, allowed = found
        if literal["v"] not in allowed:
            self.fail(
                literal,
                f"{name} 没有选项 '{literal['v']}'，可选：" + "、".join(allowed),
            )

    def type_of(self, node: dict) -> str:
        k = node["k"]
        method = getattr(self, "t_" + k)
        return method(node)

    def t_num(self, node: dict) -> str:
        return "number"

    def t_str(self, node: dict) -> str:
        return "string"

    def t_bool(self, node: dict) -> str:
        return "bool"

    def t_null(self, node: dict) -> str:
        return "null"

    def t_list(self, node: dict) -> str:
        kinds = set()
        for item in node["items"]:
            t = self.type_of(item)
            if t in ("list", "bool"):
                self.fail(item, "列表中只能放数字或文字")
            elif t not in ("any", "null"):
                kinds.add(t)
        if len(kinds) > 1:
            self.fail(node, "列表中不能同时有数字和文字")
        return "list"

    def t_ref(self, node: dict) -> str:
        ident = node["id"]
        if not self.ctx.allow_items:
            return self.fail(node, f"applies_if 只能使用学校属性（school.…），不能引用条目 {ident}")
        info = self.ctx.items.get(ident)
        if info is None:
            if ident in FUNCTIONS:
                return self.fail(node, f"函数 {ident} 后面缺少括号")
            return self.fail(node, f"未知的条目 {ident}" + _suggest(ident, list(self.ctx.items)))
        if info.type is None:
            return self.fail(node, f"说明条目 {ident} 没有值，不能引用")
        return info.type

    def t_school(self, node: dict) -> str:
        attr = node["attr"]
        if attr not in SCHOOL_ATTRIBUTES:
            return self.fail(
                node,
                f"未知的学校属性 school.{attr}"
                + _suggest(attr, list(SCHOOL_ATTRIBUTES))
                + "（可用："
                + "、".join(SCHOOL_ATTRIBUTES)
                + "）",
            )
        return SCHOOL_ATTRIBUTES[attr]

    def t_value(self, node: dict) -> str:
        if self.ctx.value is None:
            return self.fail(node, self.ctx.no_value_reason)
        return self.ctx.value.type or "any"

    def t_target(self, node: dict) -> str:
        if self.ctx.target_type is None:
            return self.fail(node, self.ctx.no_target_reason)
        return self.ctx.target_type

    def t_unary(self, node: dict) -> str:
        t = self.type_of(node["x"])
        if node["op"] == "-":
            if not _is(t, "number"):
                self.fail(node, f"负号只能用于数字，这里是{TYPE_NAMES[t]}")
            return "number"
        if not _is(t, "bool"):
            self.fail(node, f"not 只能用于是/否值，这里是{TYPE_NAMES[t]}")
        return "bool"

    def t_and(self, node: dict) -> str:
        return self.logical(node, "and")

    def t_or(self, node: dict) -> str:
        return self.logical(node, "or")

    def logical(self, node: dict, word: str) -> str:
        for side in (node["l"], node["r"]):
            t = self.type_of(side)
            if not _is(t, "bool"):
                self.fail(side, f"{word} 两边应为判断条件（是/否值），这里是{TYPE_NAMES[t]}")
        return "bool"

    def t_cond(self, node: dict) -> str:
        t = self.type_of(node["c"])
        if not _is(t, "bool"):
            self.fail(node["c"], f"? 前面应为判断条件（是/否值），这里是{TYPE_NAMES[t]}")
        a = self.type_of(node["a"])
        b = self.type_of(node["b"])
        return self.unify(node, a, b, "? : 两个分支的结果类型不一致")

    def unify(self, node: dict, a: str, b: str, message: str) -> str:
        if a == b or b in ("any", "null"):
            return a
        if a in ("any", "null"):
            return b
        self.fail(node, f"{message}：{TYPE_NAMES[a]}和{TYPE_NAMES[b]}")
        return "any"

    def t_bin(self, node: dict) -> str:
        op = node["op"]
        left, right = node["l"], node["r"]
        a = self.type_of(left)
        b = self.type_of(right)
        if op in ("+", "-", "*", "/", "%"):
            for side, t in ((left, a), (right, b)):
                if not _is(t, "number"):
                    self.fail(side, f"不能对{TYPE_NAMES[t]}做算术运算（{op}），只能对数字")
            return "number"
        if op in ("==", "!="):
            self.unify(node, a, b, f"{op} 两边类型不同，无法比较")
            self.check_choice_literal(left, right)
            self.check_choice_literal(right, left)
            return "bool"
        if op == "in":
            if not _is(b, "list"):
                self.fail(right, f"in 右边应为列表，这里是{TYPE_NAMES[b]}")
            if a in ("list", "bool"):
                self.fail(left, f"in 左边应为数字或文字，这里是{TYPE_NAMES[a]}")
            if right["k"] == "list":
                for item in right["items"]:
                    self.check_choice_literal(left, item)
            self.check_choice_literal(right, left)
            return "bool"
        # ordering comparisons: numbers with numbers, text (e.g. dates) with text
        for side, t in ((left, a), (right, b)):
            if not _is(t, "number", "string"):
                self.fail(side, f"{op} 只能比较数字或日期，这里是{TYPE_NAMES[t]}")
        if {a, b} == {"number", "string"}:
            self.fail(node, f"{op} 两边类型不同：数字和文字")
        return "bool"

    def t_call(self, node: dict) -> str:
        fn = node["fn"]
        args = node["args"]
        if fn not in FUNCTIONS:
            for arg in args:
                self.type_of(arg)
            return self.fail(node, f"未知的函数 {fn}" + _suggest(fn, list(FUNCTIONS)))
        low, high = FUNCTIONS[fn]
        if len(args) < low or (high is not None and len(args) > high):
            if high is None:
                wanted = f"至少 {low} 个"
            elif low == high:
                wanted = f" {low} 个"
            else:
                wanted = f" {low} 到 {high} 个"
            self.fail(node, f"函数 {fn} 需要{wanted}参数，实际给了 {len(args)} 个")
        types = [self.type_of(arg) for arg in args]
        if fn in ("min", "max", "round", "abs"):
            for arg, t in zip(args, types, strict=True):
                if not _is(t, "number"):
                    self.fail(arg, f"函数 {fn} 的参数应为数字，这里是{TYPE_NAMES[t]}")
            if fn == "round" and len(args) == 2:
                digits = args[1]
                if (
                    digits["k"] != "num"
                    or digits["v"] != int(digits["v"])
                    or not 0 <= digits["v"] <= MAX_ROUND_DIGITS
                ):
                    self.fail(digits, f"round 的小数位数应为 0 到 {MAX_ROUND_DIGITS} 的整数")
            return "number"
        if fn in ("selected", "count_selected"):
            if args and not _is(types[0], "list"):
                self.fail(
                    args[0], f"函数 {fn} 的第一个参数应为多选条目，这里是{TYPE_NAMES[types[0]]}"
                )
            if fn == "selected":
                if len(args) == 2:
                    if not _is(types[1], "string", "number"):
                        self.fail(args[1], "selected 的第二个参数应为选项值（文字）")
                    self.check_choice_literal(args[0], args[1])
                return "bool"
            return "number"
        if fn == "answered":
            if args and args[0]["k"] not in ("ref", "value"):
                self.fail(args[0], "answered 的参数应为一个条目 id")
            return "bool"
        if fn == "coalesce":
            result = "any"
            for arg, t in zip(args, types, strict=True):
                result = self.unify(arg, result, t, "coalesce 各参数类型不一致")
            return result
        # days_between
        for arg, t in zip(args, types, strict=True):
            if not _is(t, "string"):
                self.fail(arg, f"days_between 的参数应为日期（YYYY-MM-DD），这里是{TYPE_NAMES[t]}")
        return "number"


def check(parsed: ParsedExpression, context: CheckContext) -> tuple[str, list[Problem]]:
    """Statically check a parsed expression; returns its result type and every problem found."""
    checker = _Checker(parsed, context)
    result = checker.type_of(parsed.ast)
    return result, checker.problems


# --------------------------------------------------------------------------- evaluation


class Scope:
    """Everything an expression can read while scoring one inspection."""

    __slots__ = ("values", "broken", "school", "value", "target")

    def __init__(
        self,
        values: dict[str, Any],
        school: Mapping[str, Any],
        broken: set[str] | None = None,
        value: Any = None,
        target: Any = None,
    ) -> None:
        self.values = values
        self.broken = broken if broken is not None else set()
        self.school = school
        self.value = value
        self.target = target


Compiled = Callable[[Scope], Any]

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only (not ２０２６)
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def day_number(text: Any) -> int | None:
    """Days since 1970-01-01 for a "YYYY-MM-DD" date, None if the text is not a real date."""
    if type(text) is not str or not _DATE_RE.fullmatch(text):
        return None
    y, m, d = int(text[0:4]), int(text[5:7]), int(text[8:10])
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    if m < 1 or m > 12 or d < 1 or d > _MONTH_DAYS[m - 1] + (1 if m == 2 and leap else 0):
        return None
    # Civil-from-days (H. Hinnant): plain integer arithmetic, identical in JavaScript.
    if m <= 2:
        y -= 1
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def equal(a: Any, b: Any) -> bool:
    """`==` of the language: same type and same value; lists element by element; no coercion."""
    if a is None or b is None:
        return a is b
    if type(a) is not type(b):
        return False
    if type(a) is list:
        if len(a) != len(b):
            return False
        return all(equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _number(x: Any, op: str) -> float:
    if type(x) is not float:
        raise EvalError(f"运算 {op} 需要数字")
    return x


# Closures below are specialised per operator and for the common operand shapes (a constant,
# an item reference), so that scoring runs one small function per operation instead of
# dispatching on the operator each time. Every variant evaluates, checks and fails in the same
# order as the general form it replaces.


def _broken_message(ident: str) -> str:
    return f"所依赖的条目 {ident} 无法计算"


def _arith(op: str, left: Compiled, right: Compiled, left_node: dict, right_node: dict) -> Compiled:
    message = f"运算 {op} 需要数字"
    if op == "+":

        def add(s: Scope) -> Any:
            a = left(s)
            b = right(s)
            if a is None or b is None:
                return None
            if type(a) is not float or type(b) is not float:
                raise EvalError(message)
            return a + b

        return add
    if op == "-":

        def subtract(s: Scope) -> Any:
            a = left(s)
            b = right(s)
            if a is None or b is None:
                return None
            if type(a) is not float or type(b) is not float:
                raise EvalError(message)
            return a - b

        return subtract
    if op == "*":

        def multiply(s: Scope) -> Any:
            a = left(s)
            b = right(s)
            if a is None or b is None:
                return None
            if type(a) is not float or type(b) is not float:
                raise EvalError(message)
            return a * b

        return multiply
    if op == "/" and left_node["k"] == "ref" and right_node["k"] == "ref":
        # `a / b` of two items (every rate in the shipped checklists), references read in place
        a_id, b_id = left_node["id"], right_node["id"]
        a_broken, b_broken = _broken_message(a_id), _broken_message(b_id)

        def ratio(s: Scope) -> Any:
            broken = s.broken
            if a_id in broken:
                raise EvalError(a_broken)
            a = s.values.get(a_id)
            if b_id in broken:
                raise EvalError(b_broken)
            b = s.values.get(b_id)
            if a is None or b is None:
                return None
            if type(a) is not float or type(b) is not float:
                raise EvalError(message)
            if b == 0:
                raise EvalError("除数为零")
            return a / b

        return ratio
    if op == "/":

        def divide(s: Scope) -> Any:
            a = left(s)
            b = right(s)
            if a is None or b is None:
                return None
            if type(a) is not float or type(b) is not float:
                raise EvalError(message)
            if b == 0:
                raise EvalError("除数为零")
            return a / b

        return divide

    def remainder(s: Scope) -> Any:
        a = left(s)
        b = right(s)
        if a is None or b is None:
            return None
        if type(a) is not float or type(b) is not float:
            raise EvalError(message)
        if b == 0:
            raise EvalError("除数为零")
        return math.fmod(a, b)  # sign of the dividend, like JavaScript's %

    return remainder


def _order(op: str, left: Compiled, right: Compiled, left_node: dict, right_node: dict) -> Compiled:
    message = f"比较 {op} 两边应同为数字或同为日期"
    if right_node["k"] in ("num", "str"):
        # `x > 0`, `value >= '2026-09-01'`: the right side is a number or a text of its own type
        constant = float(right_node["v"]) if right_node["k"] == "num" else right_node["v"]
        kind = type(constant)
        if left_node["k"] == "ref":
            # `item > 0`, the commonest condition: the reference read in place
            ident = left_node["id"]
            broken = _broken_message(ident)
            if op == ">":

                def ref_above(s: Scope) -> Any:
                    if ident in s.broken:
                        raise EvalError(broken)
                    a = s.values.get(ident)
                    if a is None:
                        return None
                    if type(a) is not kind:
                        raise EvalError(message)
                    return a > constant

                return ref_above
        if op == "<":

            def below(s: Scope) -> Any:
                a = left(s)
                if a is None:
                    return None
                if type(a) is not kind:
                    raise EvalError(message)
                return a < constant

            return below
        if op == "<=":

            def at_most(s: Scope) -> Any:
                a = left(s)
                if a is None:
                    return None
                if type(a) is not kind:
                    raise EvalError(message)
                return a <= constant

            return at_most
        if op == ">":

            def above(s: Scope) -> Any:
                a = left(s)
                if a is None:
                    return None
                if type(a) is not kind:
                    raise EvalError(message)
                return a > constant

            return above

        def at_least(s: Scope) -> Any:
            a = left(s)
            if a is None:
                return None
            if type(a) is not kind:
                raise EvalError(message)
            return a >= constant

        return at_least

    if op == ">=":  # `value >= target`, the commonest pass_if

        def not_below(s: Scope) -> Any:
            a = left(s)
            b = right(s)
            if a is None or b is None:
                return None
            ta = type(a)
            if ta is not type(b) or (ta is not float and ta is not str):
                raise EvalError(message)
            return a >= b

        return not_below

    def run(s: Scope) -> Any:
        a = left(s)
        b = right(s)
        if a is None or b is None:
            return None
        ta = type(a)
        if ta is not type(b) or (ta is not float and ta is not str):
            raise EvalError(message)
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        return a >= b

    return run


def _equal_to(left: Compiled, right_node: dict) -> Compiled | None:
    """`x == constant` without the general `equal` (same answers), or None for other shapes."""
    k = right_node["k"]
    if k == "null":
        return lambda s: left(s) is None
    if k in ("num", "str", "bool"):
        constant = float(right_node["v"]) if k == "num" else right_node["v"]
        kind = type(constant)

        def equal_constant(s: Scope) -> bool:
            a = left(s)
            return type(a) is kind and a == constant

        return equal_constant
    return None


def _compile_bin(node: dict) -> Compiled:
    op = node["op"]
    left = compile_expression(node["l"])
    right = compile_expression(node["r"])
    if op in ("+", "-", "*", "/", "%"):
        return _arith(op, left, right, node["l"], node["r"])
    if op in ("==", "!="):
        same = _equal_to(left, node["r"])
        if same is None:
            same = lambda s: equal(left(s), right(s))  # noqa: E731
        if op == "==":
            return same
        return lambda s: not same(s)
    if op == "in":

        def member(s: Scope) -> Any:
            a = left(s)
            b = right(s)
            if a is None or b is None:
                return None
            if type(b) is not list:
                raise EvalError("in 右边应为列表")
            return any(equal(a, x) for x in b)

        return member
    return _order(op, left, right, node["l"], node["r"])


def _compile_call(node: dict) -> Compiled:
    fn = node["fn"]
    args = [compile_expression(a) for a in node["args"]]

    if fn in ("min", "max"):
        pick_max = fn == "max"

        if len(args) == 2:  # min(x, 1): both evaluated first, then read left to right
            first_of, second_of = args
            message = f"运算 {fn} 需要数字"

            def extreme2(s: Scope) -> Any:
                x = first_of(s)
                y = second_of(s)
                if x is None:
                    return None
                if type(x) is not float:
                    raise EvalError(message)
                if y is None:
                    return None
                if type(y) is not float:
                    raise EvalError(message)
                # ties keep the first (max(0, -0) is 0, as in the loop below)
                return y if (y > x if pick_max else y < x) else x

            return extreme2

        def extreme(s: Scope) -> Any:
            values = [a(s) for a in args]
            best = None
            for v in values:
                if v is None:
                    return None
                v = _number(v, fn)
                if best is None or (v > best if pick_max else v < best):
                    best = v
            return best

        return extreme
    if fn == "round":
        digits_of = args[1] if len(args) == 2 else (lambda s: 0.0)

        def rounded(s: Scope) -> Any:
            x = args[0](s)
            n = digits_of(s)
            if x is None or n is None:
                return None
            x = _number(x, "round")
            n = _number(n, "round")
            if n != math.floor(n) or n < 0 or n > MAX_ROUND_DIGITS:
                raise EvalError(f"round 的小数位数应为 0 到 {MAX_ROUND_DIGITS} 的整数")
            return round_half_away(x, int(n))

        return rounded
    if fn == "abs":
        x_of = args[0]

        def absolute(s: Scope) -> Any:
            x = x_of(s)
            return None if x is None else abs(_number(x, "abs"))

        return absolute
    if fn == "selected":
        multi_of, choice_of = args

        if node["args"][1]["k"] == "str":
            # selected(value, 'letter'): a text equals only a text of the same value, so
            # list membership gives what `equal` would
            choice = node["args"][1]["v"]

            def selected_choice(s: Scope) -> Any:
                m = multi_of(s)
                if m is None:
                    return False
                if type(m) is not list:
                    raise EvalError("selected 的第一个参数应为多选条目")
                return choice in m

            return selected_choice

        def selected(s: Scope) -> Any:
            m = multi_of(s)
            v = choice_of(s)
            if m is None:
                return False
            if type(m) is not list:
                raise EvalError("selected 的第一个参数应为多选条目")
            return any(equal(x, v) for x in m)

        return selected
    if fn == "count_selected":
        multi_of = args[0]

        def count(s: Scope) -> Any:
            m = multi_of(s)
            if m is None:
                return None
            if type(m) is not list:
                raise EvalError("count_selected 的参数应为多选条目")
            return float(len(m))

        return count
    if fn == "answered":
        x_of = args[0]
        return lambda s: x_of(s) is not None
    if fn == "coalesce":
        # Lazy, left to right: later arguments are not evaluated once one is non-null.
        def first_present(s: Scope) -> Any:
            for a in args:
                v = a(s)
                if v is not None:
                    return v
            return None

        return first_present
    if fn == "days_between":
        a_of, b_of = args

        def days(s: Scope) -> Any:
            a = a_of(s)
            b = b_of(s)
            if a is None or b is None:
                return None
            da = day_number(a)
            db = day_number(b)
            if da is None or db is None:
                raise EvalError("日期格式应为 YYYY-MM-DD")
            return float(db - da)

        return days
    raise EvalError(f"未知的函数 {fn}")


def compile_expression(node: dict) -> Compiled:
    """Turn an AST into a function of a Scope. Errors while running raise EvalError."""
    k = node["k"]
    if k == "num":
        number = float(node["v"])
        return lambda s: number
    if k in ("str", "bool"):
        constant = node["v"]
        return lambda s: constant
    if k == "null":
        return lambda s: None
    if k == "list":
        parts = [compile_expression(n) for n in node["items"]]
        return lambda s: [p(s) for p in parts]
    if k == "ref":
        ident = node["id"]

        def ref(s: Scope) -> Any:
            if ident in s.broken:
                raise EvalError(_broken_message(ident))
            return s.values.get(ident)

        return ref
    if k == "school":
        attr = node["attr"]
        return lambda s: s.school.get(attr)
    if k == "value":
        return lambda s: s.value
    if k == "target":
        return lambda s: s.target
    if k == "unary":
        x_of = compile_expression(node["x"])
        if node["op"] == "not":
            return lambda s: x_of(s) is not True

        def negate(s: Scope) -> Any:
            x = x_of(s)
            return None if x is None else -_number(x, "-")

        return negate
    if k == "and":
        left = compile_expression(node["l"])
        right = compile_expression(node["r"])
        return lambda s: left(s) is True and right(s) is True
    if k == "or":
        left = compile_expression(node["l"])
        right = compile_expression(node["r"])
        return lambda s: left(s) is True or right(s) is True
    if k == "cond":
        test = compile_expression(node["c"])
        then = compile_expression(node["a"])
        otherwise = compile_expression(node["b"])
        return lambda s: then(s) if test(s) is True else otherwise(s)
    if k == "bin":
        return _compile_bin(node)
    if k == "call":
        return _compile_call(node)
    raise ValueError(f"unknown AST node kind {k!r}")


def evaluate(node: dict, scope: Scope) -> Any:
    """Evaluate an AST once (scoring compiles once and reuses; this is for tests and tools)."""
    return compile_expression(node)(scope)


def normalize_school(school: Mapping[str, Any] | None) -> dict[str, Any]:
    """School attributes as expressions see them: numbers as floats, wrong or missing types as null."""
    out: dict[str, Any] = {}
    if type(school) is not dict:  # the usual case without the (slower) abstract check
        school = school if isinstance(school, Mapping) else {}
    for attr, kind in SCHOOL_ATTRIBUTES.items():
        v = school.get(attr)
        if kind == "number":
            out[attr] = float(v) if in_range(v) else None  # |x| ≥ 1e15, inf, 10**400 → null
        elif kind == "bool":
            out[attr] = v if type(v) is bool else None
        else:
            out[attr] = v if type(v) is str else None
    return out
