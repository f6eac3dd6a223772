"""Checklist core: load and validate checklist YAML, evaluate expressions, score inspections.

Pure Python with no Flask and no I/O beyond reading the checklist file it is given; the
interfaces are fixed in docs/checklist-contract.md and documented for authors in
checklists/README.md.
"""

from inspect_app.checklist.expressions import (
    EvalError,
    ExpressionSyntaxError,
    Scope,
    compile_expression,
    evaluate,
    parse,
)
from inspect_app.checklist.formatting import format_number, format_percent, round_half_away
from inspect_app.checklist.loader import (
    ChecklistError,
    LoadError,
    check_file,
    check_paths,
    checklist_files,
    load_checklist,
    load_directory,
)
from inspect_app.checklist.model import Checklist
from inspect_app.checklist.scoring import score

__all__ = [
    "Checklist",
    "ChecklistError",
    "EvalError",
    "ExpressionSyntaxError",
    "LoadError",
    "Scope",
    "check_file",
    "check_paths",
    "checklist_files",
    "compile_expression",
    "evaluate",
    "format_number",
    "format_percent",
    "load_checklist",
    "load_directory",
    "parse",
    "round_half_away",
    "score",
]
