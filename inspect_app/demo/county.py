"""The demo county: townships, schools of every stage, and an account for each kind of user.

Everything here is fictional. Seeding is idempotent: schools are keyed by code, users by username.
"""

from __future__ import annotations

from sqlite_utils import Database

from inspect_app.common.vocabulary import ROLE_NAMES as ROLE_LABELS
from inspect_app.storage import schools, users
from inspect_app.storage.db import write

DEMO_PASSWORD = "jiaoyu2026"

# (township, [(code suffix, name, stage, boarding, central, poverty village, enrolment, principal)])
TOWNSHIPS = {
    "城关镇": [
        ("01", "青山县第一小学", "小学", 0, 0, 0, 1860, "王建国"),
        ("02", "青山县第三小学", "小学", 0, 0, 0, 1320, "李秀英"),
        ("03", "青山县第一中学", "初中", 1, 0, 0, 1540, "张志强"),
        ("04", "青山县高级中学", "高中", 1, 0, 0, 2380, "刘海涛"),
        ("05", "青山县职业技术学校", "中职", 1, 0, 0, 960, "陈国华"),
        ("06", "青山县实验幼儿园", "幼儿园", 0, 0, 0, 420, "杨丽华"),
        ("07", "青山县特殊教育学校", "九年一贯制", 1, 0, 0, 86, "赵明"),
        ("08", "城关镇东风小学", "小学", 0, 0, 0, 640, "黄晓燕"),
    ],
    "河口乡": [
        ("11", "河口乡中心学校", "九年一贯制", 1, 1, 0, 780, "周文斌"),
        ("12", "河口乡中心幼儿园", "幼儿园", 0, 1, 0, 150, "吴春梅"),
        ("13", "河口乡柳湾村小学", "小学", 0, 0, 1, 96, "徐卫东"),
        ("14", "河口乡石桥村教学点", "教学点", 0, 0, 1, 23, "孙德明"),
        ("15", "河口乡沙坪村小学", "小学", 1, 0, 1, 168, "马立新"),
        ("16", "河口乡初级中学", "初中", 1, 0, 0, 512, "朱永红"),
        ("17", "河口乡大湾村教学点", "教学点", 0, 0, 1, 17, "胡文静"),
    ],
    "石门镇": [
        ("21", "石门镇中心小学", "小学", 1, 1, 0, 690, "郭建华"),
        ("22", "石门镇初级中学", "初中", 1, 1, 0, 845, "何雪梅"),
        ("23", "石门镇中心幼儿园", "幼儿园", 0, 1, 0, 210, "高玉兰"),
        ("24", "石门镇龙潭村小学", "小学", 0, 0, 1, 132, "林国庆"),
        ("25", "石门镇青龙村教学点", "教学点", 0, 0, 1, 31, "罗振华"),
        ("26", "石门镇完全中学", "完全中学", 1, 0, 0, 1210, "梁志刚"),
        ("27", "石门镇黄土坡村小学", "小学", 1, 0, 1, 205, "宋晓东"),
    ],
    "白云乡": [
        ("31", "白云乡中心学校", "九年一贯制", 1, 1, 1, 620, "郑家明"),
        ("32", "白云乡中心幼儿园", "幼儿园", 0, 1, 1, 118, "谢芳"),
        ("33", "白云乡高山村小学", "小学", 1, 0, 1, 88, "韩春生"),
        ("34", "白云乡杨柳村教学点", "教学点", 0, 0, 1, 19, "唐红霞"),
        ("35", "白云乡民族中学", "初中", 1, 0, 1, 430, "冯建军"),
        ("36", "白云乡水口村小学", "小学", 0, 0, 1, 74, "董志勇"),
        ("37", "白云乡白岩村幼儿园", "幼儿园", 0, 0, 1, 45, "程玉梅"),
    ],
}

STAFF = [
    ("admin", "系统管理员", "admin"),
    ("jyj", "陈卫国", "bureau"),
    ("duxue1", "李志明", "inspector"),
    ("duxue2", "王秀兰", "inspector"),
    ("duxue3", "赵国强", "inspector"),
]


def school_code(suffix: str) -> str:
    return f"5224260{suffix}"


def seed(db: Database, *, county: str, password_hash: str) -> list[tuple[str, str, str]]:
    """Create the demo county if missing. Returns (username, display name, role label) rows."""
    logins: list[tuple[str, str, str]] = []
    with write(db):
        county_id = schools.ensure_region(db, county, "county")
        for township, rows in TOWNSHIPS.items():
            township_id = schools.ensure_region(db, township, "township", county_id)
            for suffix, name, stage, boarding, central, poverty, enrolment, principal in rows:
                code = school_code(suffix)
                school = schools.by_code(db, code)
                if school is None:
                    school_id = schools.save(
                        db,
                        {
                            "code": code, "name": name, "township_id": township_id, "stage": stage,
                            "boarding": boarding, "township_central": central, "poverty_village": poverty,
                            "enrolment": enrolment, "principal": principal,
                            "phone": f"0855-62{suffix}{suffix}8", "address": f"{county}{township}",
                        },
                    )  # fmt: skip
                else:
                    school_id = school["id"]
                username = f"xx{code}"
                _ensure_user(db, username, f"{name}", "school", password_hash, school_id)
                logins.append((username, name, "学校"))
        staff = []
        for username, display_name, role in STAFF:
            _ensure_user(db, username, display_name, role, password_hash, None)
            staff.append((username, display_name, ROLE_LABELS[role]))
    return staff + logins


def _ensure_user(db, username, display_name, role, password_hash, school_id) -> None:
    if users.by_username(db, username) is None:
        users.create(
            db, username=username, display_name=display_name, role=role,
            password_hash=password_hash, school_id=school_id,
        )  # fmt: skip
