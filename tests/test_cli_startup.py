"""The command line with a broken checklist folder: clear Chinese problems, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

FLASK = [sys.executable, "-m", "flask", "--app", "inspect_app"]


@pytest.fixture
def broken(tmp_path):
    folder = tmp_path / "checklists"
    folder.mkdir()
    (folder / "unclosed.yaml").write_text("id: x\ntitle: [未闭合\n", encoding="utf-8")
    (folder / "latin1.yaml").write_bytes("title: 检查".encode("gb18030"))
    (folder / "folder.yaml").mkdir()
    return folder


def _run(args: list[str], checklists: Path, instance: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "INSPECT_INSTANCE_PATH": str(instance),
           "INSPECT_CHECKLIST_DIR": str(checklists)}  # fmt: skip
    return subprocess.run(FLASK + args, capture_output=True, text=True, env=env, timeout=60)


def test_validate_lists_every_problem_of_the_configured_folder(broken, tmp_path):
    result = _run(["checklists", "validate"], broken, tmp_path / "instance")
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert f"{broken / 'unclosed.yaml'}:3:1: YAML 格式错误" in result.stderr
    assert f"{broken / 'latin1.yaml'}:1:1: 文件不是 UTF-8 编码" in result.stderr
    assert "校验未通过：3 个文件共 3 处错误" in result.stderr


def test_validate_a_missing_folder_says_so(tmp_path):
    result = _run(["checklists", "validate"], tmp_path / "nowhere", tmp_path / "instance")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "文件或目录不存在" in result.stderr


def test_other_commands_refuse_to_start_with_the_problems_not_a_traceback(broken, tmp_path):
    result = _run(["init-db"], broken, tmp_path / "instance")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr
    assert result.stderr.startswith("检查单有误，系统无法启动：")
    assert "unclosed.yaml:3:1" in result.stderr
