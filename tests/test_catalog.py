"""The deployment's checklists: refused at start-up when broken, every version kept for good."""

import json
import shutil
from pathlib import Path

import pytest

from inspect_app import create_app
from inspect_app.checklist import score
from inspect_app.inspections import catalog, receiving
from inspect_app.inspections.catalog import ChecklistStartupError
from inspect_app.storage import assignments, inspections, schools, users

from . import factories
from .support import PLAN_PERIOD

SOURCE = Path(__file__).parent / "data" / "checklists" / "school_basics.yaml"


def make_app(tmp_path, checklist_dir):
    return create_app(
        {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "t",
         "CHECKLIST_DIR": str(checklist_dir), "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8192}
    )  # fmt: skip


def test_app_refuses_to_start_with_a_broken_checklist(tmp_path):
    folder = tmp_path / "checklists"
    folder.mkdir()
    text = SOURCE.read_text(encoding="utf-8").replace(
        "calculation: backbone / fulltime", "calculation: backbone / nosuch"
    )
    (folder / "school_basics.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ChecklistStartupError) as error:
        make_app(tmp_path, folder)
    message = str(error.value)
    assert "检查单有误，系统无法启动" in message
    assert "school_basics.yaml:" in message and "nosuch" in message


def test_changing_a_checklist_never_changes_an_old_result(tmp_path):
    folder = tmp_path / "checklists"
    folder.mkdir()
    shutil.copy(SOURCE, folder / "school_basics.yaml")
    app = make_app(tmp_path, folder)
    from inspect_app.storage.db import open_database

    db = open_database(app.config["DATABASE"])
    county = schools.ensure_region(db, "县", "county")
    township = schools.ensure_region(db, "镇", "township", county)
    school_id = schools.save(
        db,
        {
            "code": "S1",
            "name": "某小学",
            "township_id": township,
            "stage": "小学",
            "enrolment": 300,
        },
    )
    insp = users.create(
        db, username="insp", display_name="督学", role="inspector", password_hash="x"
    )
    assignments.assign(db, insp, school_id, *PLAN_PERIOD)
    with app.app_context():
        old = catalog.current()["school_basics"]
    body = factories.payload(school_id, old.compiled)
    body["responses"]["answers"].update({"fulltime": 20, "backbone": 3})
    receiving.receive(db, body, body["id"], users.by_username(db, "insp"))
    old_total = inspections.get(db, body["id"])["total"]

    # The bureau raises the bar: 骨干教师 must now be 30 %.
    text = SOURCE.read_text(encoding="utf-8").replace("? 0.20 : 0.10", "? 0.30 : 0.30")
    (folder / "school_basics.yaml").write_text(text, encoding="utf-8")
    new_app = make_app(tmp_path, folder)
    with new_app.app_context():
        new = catalog.current()["school_basics"]
    assert new.hash != old.hash
    assert db["checklist_versions"].count == 2
    stored = catalog.by_hash(db, inspections.get(db, body["id"])["checklist_hash"])
    school = schools.as_scoring_school(schools.get(db, school_id))
    assert score(stored, school, body["responses"])["total"] == old_total
    assert score(new, school, body["responses"])["total"] < old_total
    assert json.loads(inspections.get(db, body["id"])["result"])["checklist"]["hash"] == old.hash
