"""What changed between two checklist versions, in words a clerk reads before publishing.

Works on compiled checklists (every stored version has one), so any two versions compare:
items added, removed and changed — label, type, points, thresholds (target, pass_if), veto,
critical, rectification template, choices — sections and their weights, grade bands.
Expressions are written back as text (`expression_text`) to show a threshold's change.
Field names are the workbook's column headers, so the diff speaks the clerk's words.
Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

from inspect_app.checklist.loader import FIX_KEYS, TYPE_LABELS
from inspect_app.checklist.model import content_hash
from inspect_app.checklist.workbook import item_columns

# expression precedence, lowest first (as the parser in expressions.py)
_PREC = {"cond": 1, "or": 2, "and": 3, "not": 4, "cmp": 5, "+": 6, "-": 6, "*": 7, "/": 7,
         "%": 7, "neg": 8, "atom": 9}  # fmt: skip
_COMPARE = ("==", "!=", "<", "<=", ">", ">=", "in")


def _number(v: Any) -> str:
    if type(v) is float and v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v) if type(v) is float else str(v)


def expression_text(node: dict | None, parent: int = 0) -> str:
    """An expression's AST JSON written back as expression text (equivalent, normalised)."""
    if node is None:
        return ""
    k = node["k"]
    prec = _PREC["atom"]
    if k == "num":
        text = _number(node["v"])
    elif k == "str":
        text = "'" + node["v"].replace("\\", "\\\\").replace("'", "\\'") + "'"
    elif k == "bool":
        text = "true" if node["v"] else "false"
    elif k == "null":
        text = "null"
    elif k == "list":
        text = "[" + ", ".join(expression_text(x, 1) for x in node["items"]) + "]"
    elif k == "ref":
        text = node["id"]
    elif k == "school":
        text = f"school.{node['attr']}"
    elif k in ("value", "target"):
        text = k
    elif k == "unary":
        if node["op"] == "not":
            prec = _PREC["not"]
            text = "not " + expression_text(node["x"], prec)
        else:
            prec = _PREC["neg"]
            text = "-" + expression_text(node["x"], prec)
    elif k == "bin":
        op = node["op"]
        if op in _COMPARE:
            prec = _PREC["cmp"]
            text = f"{expression_text(node['l'], prec + 1)} {op} {expression_text(node['r'], prec + 1)}"
        else:
            prec = _PREC[op]
            text = f"{expression_text(node['l'], prec)} {op} {expression_text(node['r'], prec + 1)}"
    elif k in ("and", "or"):
        prec = _PREC[k]
        text = f"{expression_text(node['l'], prec)} {k} {expression_text(node['r'], prec + 1)}"
    elif k == "cond":
        prec = _PREC["cond"]
        text = (
            f"{expression_text(node['c'], prec + 1)} ? {expression_text(node['a'], prec)}"
            f" : {expression_text(node['b'], prec)}"
        )
    elif k == "call":
        text = f"{node['fn']}(" + ", ".join(expression_text(a, 1) for a in node["args"]) + ")"
    else:  # a node kind this module does not know yet: say so rather than guess
        text = f"<{k}>"
    return f"({text})" if prec < parent else text


_EXPRESSIONS = ("applies_if", "relevant", "calculation", "constraint", "target", "pass_if")
_FLAGS = ("required", "veto", "na_allowed", "local", "prefill")
_SKIP = ("id", "choices", "fix")


def _headers() -> dict[str, str]:
    return {c.key: c.header for c in item_columns()}


def _show(key: str, value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    if key in _EXPRESSIONS:
        return expression_text(value)
    if type(value) is bool:
        return "是" if value else "否"
    if key == "type":
        return TYPE_LABELS.get(value, value)
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, dict):  # e.g. 抽样规则 {min: 5, max: 30}
        return (
            "、".join(f"{k} {_show(k, v)}" for k, v in value.items() if v is not None) or "（空）"
        )
    if isinstance(value, list):
        return "、".join(_show(key, v) for v in value)
    return str(value)


def _field_changes(old: dict, new: dict, headers: dict[str, str]) -> list[str]:
    out: list[str] = []
    keys = list(dict.fromkeys([*old, *new]))
    for key in keys:
        if key in _SKIP:
            continue
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        name = headers.get(key, key)
        if key in _FLAGS and (type(a) is bool or a is None) and (type(b) is bool or b is None):
            out.append(f"改为{name}" if b else f"取消{name}")
        elif key == "critical":
            out.append(
                f"设为关键项（不合格时等级最高为{b}）" if a is None
                else "取消关键项" if b is None else f"关键项上限由{a}改为{b}"
            )  # fmt: skip
        else:
            out.append(f"{name}由 {_show(key, a)} 改为 {_show(key, b)}")
    fa, fb = old.get("fix") or {}, new.get("fix") or {}
    if fa != fb:
        if not fa:
            out.append("新增整改措施：" + str(fb.get("action")))
        elif not fb:
            out.append("删除整改措施")
        else:
            for f in FIX_KEYS:
                if fa.get(f) != fb.get(f):
                    name = headers.get(f"fix.{f}", f)
                    out.append(f"{name}由 {_show(f, fa.get(f))} 改为 {_show(f, fb.get(f))}")
    ca = {c["value"]: c for c in old.get("choices") or []}
    cb = {c["value"]: c for c in new.get("choices") or []}
    for value, c in cb.items():
        if value not in ca:
            out.append(f"新增选项「{c['label']}」" + (f"（{_number(c['score'])} 分）"
                                                   if c.get("score") is not None else ""))  # fmt: skip
    for value, c in ca.items():
        if value not in cb:
            out.append(f"删除选项「{c['label']}」")
            continue
        d = cb[value]
        if c.get("label") != d.get("label"):
            out.append(f"选项「{c['label']}」改名为「{d['label']}」")
        if c.get("score") != d.get("score"):
            out.append(f"选项「{d['label']}」得分由 {_show('score', c.get('score'))} 改为 "
                       f"{_show('score', d.get('score'))}")  # fmt: skip
        if bool(c.get("fail")) != bool(d.get("fail")):
            out.append(
                f"选项「{d['label']}」" + ("改为判为不合格" if d.get("fail") else "不再判为不合格")
            )
    return out


def _items(compiled: dict) -> dict[str, tuple[dict, dict]]:
    return {i["id"]: (i, s) for s in compiled.get("sections", []) for i in s["items"]}


def diff(old: dict | None, new: dict) -> dict:
    """The changes from `old` to `new` (compiled checklists); `old` None: everything is new.

    Returns {"same": bool, "summary": [sentences], "entries": {"added": [...], "removed": [...],
    "changed": [{"id", "label", "section", "changes": [sentences]}]}, "sections": [sentences],
    "grades": [sentences]}.
    """
    headers = _headers()
    result: dict[str, Any] = {
        # by content, not by the stored "hash" field (which a caller may not have refreshed)
        "same": old is not None and content_hash(old) == content_hash(new),
        "summary": [],
        "top": [],
        "grades": [],
        "sections": [],
        "entries": {"added": [], "removed": [], "changed": []},
    }
    if old is None:
        count = sum(len(s["items"]) for s in new["sections"])
        what = "新的调查问卷" if new.get("kind") == "survey" else "新的检查单"
        result["summary"].append(f"{what}：{len(new['sections'])} 个部分、{count} 个条目")
        return result
    for key, name in (("title", "名称"), ("version", "版本"), ("basis", "依据"),
                      ("description", "说明")):  # fmt: skip
        if old.get(key) != new.get(key):
            result["top"].append(
                f"{name}由「{old.get(key) or '（空）'}」改为「{new.get(key) or '（空）'}」"
            )
    ga = {g["grade"]: g["min"] for g in old.get("grades", [])}
    gb = {g["grade"]: g["min"] for g in new.get("grades", [])}
    for g, m in gb.items():
        if g not in ga:
            result["grades"].append(f"新增等级「{g}」（{_number(m)} 分以上）")
        elif ga[g] != m:
            result["grades"].append(f"等级「{g}」的分数线由 {_number(ga[g])} 改为 {_number(m)}")
    for g in ga:
        if g not in gb:
            result["grades"].append(f"删除等级「{g}」")
    if (old.get("critical_caps") or []) != (new.get("critical_caps") or []):

        def caps(c):
            return "、".join(f"{x['failed']} 项及以上为{x['grade']}" for x in c) or "无"

        result["grades"].append(
            f"关键项上限由「{caps(old.get('critical_caps') or [])}」改为"
            f"「{caps(new.get('critical_caps') or [])}」"
        )
    sa = {s["id"]: s for s in old.get("sections", [])}
    sb = {s["id"]: s for s in new.get("sections", [])}
    for sid, s in sb.items():
        if sid not in sa:
            result["sections"].append(f"新增部分「{s['title']}」（权重 {_number(s['weight'])}）")
            continue
        t = sa[sid]
        if t["title"] != s["title"]:
            result["sections"].append(f"部分「{t['title']}」改名为「{s['title']}」")
        if t["weight"] != s["weight"]:
            result["sections"].append(
                f"部分「{s['title']}」权重由 {_number(t['weight'])} 改为 {_number(s['weight'])}"
            )
        if t.get("applies_if") != s.get("applies_if"):
            result["sections"].append(
                f"部分「{s['title']}」适用条件由 {_show('applies_if', t.get('applies_if'))} "
                f"改为 {_show('applies_if', s.get('applies_if'))}"
            )
    for sid, t in sa.items():
        if sid not in sb:
            result["sections"].append(f"删除部分「{t['title']}」")
    ia, ib = _items(old), _items(new)
    for iid, (item, section) in ib.items():
        if iid not in ia:
            points = item.get("points") or 0
            result["entries"]["added"].append(
                {"id": iid, "label": item["label"], "section": section["title"],
                 "detail": f"{TYPE_LABELS.get(item['type'], item['type'])}"
                           + (f"，{_number(points)} 分" if points else "")
                           + ("，一票否决" if item.get("veto") else "")}
            )  # fmt: skip
            continue
        before, old_section = ia[iid]
        changes = _field_changes(before, item, headers)
        if old_section["id"] != section["id"]:
            changes.insert(0, f"由部分「{old_section['title']}」移到「{section['title']}」")
        if changes:
            result["entries"]["changed"].append(
                {"id": iid, "label": item["label"], "section": section["title"], "changes": changes}
            )
    for iid, (item, section) in ia.items():
        if iid not in ib:
            result["entries"]["removed"].append(
                {"id": iid, "label": item["label"], "section": section["title"], "detail": ""}
            )
    n = result["entries"]
    parts = []
    if n["added"]:
        parts.append(f"新增 {len(n['added'])} 个条目")
    if n["removed"]:
        parts.append(f"删除 {len(n['removed'])} 个条目")
    if n["changed"]:
        parts.append(f"修改 {len(n['changed'])} 个条目")
    if result["sections"]:
        parts.append(f"部分变化 {len(result['sections'])} 处")
    if result["grades"]:
        parts.append(f"等级变化 {len(result['grades'])} 处")
    if result["same"]:
        result["summary"].append("与当前版本内容完全相同")
    elif parts:
        result["summary"].append("、".join(parts))
    elif result["top"]:
        result["summary"].append("只改了名称、版本或说明")
    else:
        result["summary"].append("条目内容相同（评分顺序等细节不同）")
    return result
