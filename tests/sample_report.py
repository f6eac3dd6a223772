"""A realistic demo report context (Chinese primary school, findings, photos).

Used by the tests, the benchmark and for previewing layout changes; the lead may also use
it for a ``flask`` preview command. It builds the Result by hand (shape of
docs/checklist-contract.md) so the document layer can be exercised without the checklist
engine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random

from PIL import Image, ImageDraw

SECTIONS = [
    ("conditions", "办学条件", 20),
    ("safety", "校园安全", 25),
    ("food", "食品安全与营养", 15),
    ("teachers", "教师队伍", 15),
    ("teaching", "教育教学", 15),
    ("dorm", "寄宿管理", 10),
]

# (section, label, type, value, target, unit, points, basis, local, fix)
ITEMS = [
    (
        "conditions",
        "生均校舍建筑面积",
        "decimal",
        6.8,
        7.5,
        "㎡",
        4,
        "四川省义务教育学校办学基本标准 第十二条",
        True,
        ("制定校舍扩建计划，报县教育局审批", "校长", 180),
    ),
    (
        "conditions",
        "生均体育运动场地面积",
        "decimal",
        5.2,
        5.0,
        "㎡",
        3,
        "国家学校体育卫生条件试行基本标准",
        False,
        ("整修运动场地", "总务主任", 90),
    ),
    (
        "conditions",
        "计算机教室生机比",
        "decimal",
        9.5,
        8.0,
        "人/台",
        3,
        "县域义务教育优质均衡发展督导评估办法",
        True,
        ("补充学生用计算机", "信息中心主任", 120),
    ),
    (
        "conditions",
        "图书馆生均图书",
        "integer",
        28,
        25,
        "册",
        3,
        "中小学图书馆（室）规程 第七条",
        False,
        ("剔旧补新，更新馆藏", "图书管理员", 90),
    ),
    (
        "conditions",
        "教室照明照度达标",
        "yesno",
        True,
        None,
        "",
        2,
        "中小学校教室采光和照明卫生标准 GB 7793",
        False,
        ("更换教室照明灯具", "总务主任", 30),
    ),
    (
        "conditions",
        "实验室仪器设备按标准配备",
        "yesno",
        False,
        None,
        "",
        3,
        "中小学理科实验室装备规范 JY/T 0385",
        False,
        ("按目录补齐实验仪器", "教务主任", 60),
    ),
    (
        "safety",
        "校园封闭管理及门卫值守",
        "yesno",
        True,
        None,
        "",
        3,
        "中小学幼儿园安全管理办法 第十八条",
        False,
        ("落实门卫24小时值守", "安全副校长", 7),
    ),
    (
        "safety",
        "一键式报警装置与公安联网",
        "yesno",
        True,
        None,
        "",
        3,
        "中小学幼儿园安全防范工作规范（试行）",
        False,
        ("联系公安部门完成联网", "安全副校长", 30),
    ),
    (
        "safety",
        "消防器材在有效期内",
        "yesno",
        False,
        None,
        "",
        4,
        "中华人民共和国消防法 第十六条",
        False,
        ("更换过期灭火器并建立检查台账", "总务主任", 15),
    ),
    (
        "safety",
        "每学期应急疏散演练次数",
        "integer",
        1,
        2,
        "次",
        3,
        "中小学幼儿园应急疏散演练指南",
        False,
        ("制定演练计划并按期组织", "安全副校长", 30),
    ),
    (
        "safety",
        "校舍安全隐患排查台账",
        "yesno",
        True,
        None,
        "",
        3,
        "中小学校舍安全管理办法",
        False,
        ("建立隐患排查台账", "总务主任", 30),
    ),
    (
        "safety",
        "专职保安配备人数",
        "integer",
        2,
        2,
        "人",
        3,
        "中小学幼儿园安全防范工作规范（试行）",
        True,
        ("按标准配齐专职保安", "校长", 30),
    ),
    (
        "safety",
        "校车安全管理制度落实",
        "yesno",
        True,
        None,
        "",
        3,
        "校车安全管理条例 第二十二条",
        False,
        ("完善校车安全管理制度", "安全副校长", 30),
    ),
    (
        "food",
        "食堂取得食品经营许可证",
        "yesno",
        True,
        None,
        "",
        3,
        "学校食品安全与营养健康管理规定 第二十二条",
        False,
        ("办理食品经营许可证", "校长", 30),
    ),
    (
        "food",
        "集中用餐陪餐制度落实",
        "yesno",
        False,
        None,
        "",
        3,
        "学校食品安全与营养健康管理规定（教育部等令第45号）第十二条",
        False,
        ("建立校领导陪餐记录，每餐至少一名校领导陪餐", "校长", 15),
    ),
    (
        "food",
        "食品留样48小时、每样不少于125克",
        "yesno",
        True,
        None,
        "",
        3,
        "学校食品安全与营养健康管理规定 第三十六条",
        False,
        ("配置留样柜并落实留样制度", "食堂管理员", 7),
    ),
    (
        "food",
        "从业人员健康证持证率",
        "decimal",
        0.875,
        1.0,
        "",
        3,
        "中华人民共和国食品安全法 第四十五条",
        False,
        ("组织未持证人员体检办证", "总务主任", 15),
    ),
    (
        "food",
        "明厨亮灶覆盖操作间",
        "yesno",
        True,
        None,
        "",
        3,
        "县教育局关于推进学校食堂明厨亮灶工作的通知",
        True,
        ("安装明厨亮灶设备", "总务主任", 60),
    ),
    (
        "teachers",
        "骨干教师占专任教师比例",
        "computed",
        0.083,
        0.20,
        "",
        5,
        "督导工作方案 四(五)1",
        True,
        ("制定骨干教师培养计划并报县教育局备案", "校长", 60),
    ),
    (
        "teachers",
        "教师全员参加年度培训学时",
        "integer",
        72,
        72,
        "学时",
        3,
        "中小学教师继续教育规定",
        False,
        ("补齐培训学时", "教务主任", 90),
    ),
    (
        "teachers",
        "师德师风考核档案",
        "yesno",
        True,
        None,
        "",
        3,
        "新时代中小学教师职业行为十项准则",
        False,
        ("建立师德考核档案", "校长", 30),
    ),
    (
        "teachers",
        "体育、美育专职教师配备",
        "yesno",
        False,
        None,
        "",
        4,
        "关于全面加强和改进新时代学校体育工作的意见",
        False,
        ("通过招聘或走教配齐体育美育教师", "校长", 180),
    ),
    (
        "teaching",
        "国家课程开齐开足",
        "yesno",
        True,
        None,
        "",
        4,
        "义务教育课程方案（2022年版）",
        False,
        ("调整课表开齐开足课程", "教务主任", 15),
    ),
    (
        "teaching",
        "书面作业总量控制（一二年级不布置）",
        "yesno",
        True,
        None,
        "",
        3,
        "关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见",
        False,
        ("建立作业公示制度", "教务主任", 15),
    ),
    (
        "teaching",
        "学生每天校内体育活动时间",
        "integer",
        45,
        60,
        "分钟",
        3,
        "关于全面加强和改进新时代学校体育工作的意见",
        False,
        ("落实大课间和体育课", "体育组长", 15),
    ),
    (
        "teaching",
        "课后服务覆盖率",
        "decimal",
        0.92,
        0.90,
        "",
        2,
        "关于做好中小学生课后服务工作的指导意见",
        True,
        ("扩大课后服务覆盖面", "教务主任", 30),
    ),
    (
        "teaching",
        "学生近视率较上年下降",
        "yesno",
        None,
        None,
        "",
        3,
        "综合防控儿童青少年近视实施方案",
        False,
        ("落实近视防控措施", "校医", 90),
    ),
    (
        "dorm",
        "宿舍生均面积",
        "decimal",
        3.1,
        3.0,
        "㎡",
        3,
        "农村寄宿制学校生活卫生设施建设与管理规范",
        False,
        ("调整宿舍床位安排", "总务主任", 30),
    ),
    (
        "dorm",
        "宿舍夜间值班及巡查记录",
        "yesno",
        True,
        None,
        "",
        4,
        "中小学幼儿园安全管理办法",
        False,
        ("落实宿管夜间巡查", "政教主任", 7),
    ),
    (
        "dorm",
        "宿舍安装烟感报警器",
        "yesno",
        True,
        None,
        "",
        3,
        "县教育局寄宿制学校消防安全管理要求",
        True,
        ("全部宿舍安装独立式烟感报警器", "总务主任", 30),
    ),
]

NOTES = [
    "",
    "",
    "查阅台账及现场核实。",
    "校长称本学期已列入预算，尚未实施。",
    "抽查三个班级，与课表一致。",
    "现场查看，二楼东侧灭火器压力表指针在红区，生产日期2019年。",
    "",
    "访谈学生5名，反映基本一致。",
]


def _fmt(value, unit: str, typ: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if typ in ("computed",) or (isinstance(value, float) and value <= 1 and unit == ""):
        return f"{value * 100:.1f}%"
    return f"{value:g}{unit}"


def png_signature_demo(name: str, seed: int) -> bytes:
    """A transparent PNG with pen strokes, like the phone's signature pad produces."""
    rnd = random.Random(seed)
    image = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    x = 40
    for _ in range(max(2, len(name)) * 3):
        points = [(x, 100 + rnd.randint(-40, 40))]
        for _ in range(6):
            x += rnd.randint(6, 22)
            points.append((x, 100 + rnd.randint(-60, 60)))
        draw.line(points, fill=(10, 20, 80, 255), width=5, joint="curve")
        x += rnd.randint(-20, 10)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def make_photo(seed: int, size=(1600, 1200)) -> bytes:
    """A phone-like JPEG: gradients and shapes, so it compresses like a real photo."""
    rnd = random.Random(seed)
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    base = [rnd.randint(60, 200) for _ in range(3)]
    for y in range(0, size[1], 4):
        shade = tuple(min(255, c + (y * 60) // size[1]) for c in base)
        draw.rectangle([0, y, size[0], y + 4], fill=shade)
    for _ in range(40):
        x, y = rnd.randint(0, size[0]), rnd.randint(0, size[1])
        w, h = rnd.randint(40, 400), rnd.randint(40, 300)
        colour = tuple(rnd.randint(0, 255) for _ in range(3))
        draw.rectangle([x, y, x + w, y + h], fill=colour, outline=(20, 20, 20), width=3)
    # sensor noise: makes JPEG sizes realistic
    noise = Image.effect_noise(size, 24).convert("RGB")
    image = Image.blend(image, noise, 0.12)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82)
    return out.getvalue()


def sample_context(
    n_items: int = 60,
    n_photos: int = 4,
    *,
    verify_url: str = "https://jyj.qingchuan.example.gov.cn/verify/"
    "6f1c2a9e-3b7d-4c55-9e21-0d8f4b7a1c30",
) -> tuple[dict, dict[str, bytes]]:
    """Return ``(context, photos)`` where ``photos`` maps sha256 → JPEG bytes."""
    rnd = random.Random(n_items)
    items: dict[str, dict] = {}
    findings, rectifications = [], []
    notes: dict[str, str] = {}
    section_totals = {sid: [0.0, 0.0, 0, 0, 0] for sid, _, _ in SECTIONS}
    for n in range(n_items):
        sec, label, typ, value, target, unit, points, basis, local, fix = ITEMS[n % len(ITEMS)]
        round_no = n // len(ITEMS)
        item_id = f"{sec}_{n:03d}"
        if round_no:
            label = f"{label}（复核{round_no}）"
        if value is None:
            outcome, earned = "na", 0.0
        elif typ == "yesno":
            outcome = "pass" if value else "fail"
        else:
            outcome = (
                "pass" if (value <= target if unit == "人/台" else value >= target) else "fail"
            )
        if round_no and outcome == "fail" and rnd.random() < 0.6:
            outcome, value = "pass", (True if typ == "yesno" else target)
        earned = float(points) if outcome == "pass" else 0.0
        possible = 0.0 if outcome == "na" else float(points)
        display_value = _fmt(value, unit, typ)
        display_target = (
            _fmt(target, unit, typ) if target is not None else ("是" if typ == "yesno" else None)
        )
        if typ == "yesno":
            problem = f"{label}：不符合要求"
        else:
            problem = f"{label} {display_value}，未达到 {display_target} 的要求"
        veto = label.startswith("消防器材") and round_no == 0
        items[item_id] = {
            "section": sec,
            "label": label,
            "type": typ,
            "outcome": outcome,
            "earned": earned,
            "possible": possible,
            "value": value,
            "display_value": display_value if outcome != "na" else "不适用",
            "target": target,
            "display_target": display_target,
            "message": None,
            "evidence_missing": False,
        }
        note = NOTES[n % len(NOTES)]
        if note:
            notes[item_id] = note
        totals = section_totals[sec]
        totals[0] += earned
        totals[1] += possible
        totals[2] += outcome != "na"
        totals[3] += 1
        totals[4] += outcome == "fail"
        if outcome == "fail":
            findings.append(
                {
                    "item": item_id,
                    "section": sec,
                    "label": label,
                    "problem": problem,
                    "basis": basis,
                    "local": local,
                    "veto": veto,
                    "value": value,
                    "target": target,
                }
            )
            action, owner, days = fix
            rectifications.append(
                {
                    "item": item_id,
                    "section": sec,
                    "problem": problem,
                    "basis": basis,
                    "action": action,
                    "owner": owner,
                    "days": days,
                }
            )
    sections = []
    score_sum = weight_sum = 0.0
    for sid, title, weight in SECTIONS:
        earned, possible, answered, count, failed = section_totals[sid]
        score = round(earned / possible * weight, 1) if possible else None
        if possible:
            score_sum += earned / possible * weight
            weight_sum += weight
        sections.append(
            {
                "id": sid,
                "title": title,
                "weight": weight,
                "applicable": True,
                "earned": earned,
                "possible": possible,
                "score": score,
                "percent": round(earned / possible * 100, 1) if possible else None,
                "answered": answered,
                "items": count,
                "failed": failed,
            }
        )
    total = round(score_sum / weight_sum * 100, 1) if weight_sum else None
    vetoes = [
        {"item": f["item"], "label": f["label"], "problem": f["problem"]}
        for f in findings
        if f["veto"]
    ]
    grade = (
        "不合格"
        if vetoes
        else (
            "优秀"
            if total >= 90
            else "良好"
            if total >= 80
            else "合格"
            if total >= 60
            else "不合格"
        )
    )
    checklist = {
        "id": "compulsory_school_2026",
        "title": "义务教育学校督导检查表",
        "version": "2026.1",
        "hash": hashlib.sha256(b"compulsory_school_2026").hexdigest(),
    }
    result = {
        "checklist": checklist,
        "total": total,
        "grade": grade,
        "vetoed": bool(vetoes),
        "vetoes": vetoes,
        "sections": sections,
        "items": items,
        "complete": True,
        "missing": [],
        "findings": findings,
        "rectifications": rectifications,
    }

    photos: dict[str, bytes] = {}
    photo_refs: dict[str, list[dict]] = {}
    captions = [
        "二楼东侧过期灭火器",
        "食堂陪餐记录本（空白）",
        "实验室仪器柜",
        "宿舍烟感报警器",
        "运动场地",
        "留样柜",
    ]
    failed_ids = [f["item"] for f in findings] or list(items)
    for k in range(n_photos):
        data = make_photo(k)
        sha = hashlib.sha256(data).hexdigest()
        photos[sha] = data
        photo_refs.setdefault(failed_ids[k % len(failed_ids)], []).append(
            {"sha256": sha, "caption": captions[k % len(captions)]}
        )

    inspection_date = dt.date(2026, 3, 18)
    context = {
        "bureau": {"name": "青川县教育局", "office": "青川县人民政府教育督导室"},
        "report_no": "青教督〔2026〕17号",
        "report_version": 1,
        "supersedes": None,
        "issued_at": "2026-03-18T16:20",
        "inspection": {
            "id": "6f1c2a9e-3b7d-4c55-9e21-0d8f4b7a1c30",
            "date": inspection_date.isoformat(),
            "type": "责任督学经常性督导",
            "inspectors": [
                {"name": "王建国", "title": "责任督学"},
                {"name": "李芳", "title": "兼职督学"},
            ],
            "location": "青川县乔庄镇建设路18号",
        },
        "school": {
            "name": "青川县乔庄镇中心小学",
            "code": "5108220001",
            "stage": "小学",
            "address": "青川县乔庄镇建设路18号",
            "principal": "赵明",
            "enrolment": 1286,
            "boarding": True,
            "township_central": True,
        },
        "checklist": checklist,
        "result": result,
        "notes": notes,
        "photos": photo_refs,
        "rectifications": None,
        "signatures": [
            {
                "role": "inspector",
                "name": "王建国",
                "title": "责任督学",
                "signed_at": "2026-03-18T16:05",
                "png": png_signature_demo("王建国", 1),
            },
            {
                "role": "school",
                "name": "赵明",
                "title": "校长",
                "signed_at": "2026-03-18T16:08",
                "png": png_signature_demo("赵明", 2),
            },
        ],
        "verify_url": verify_url,
    }
    return context, photos


def sample_notice_context(n_items: int = 60) -> dict:
    """The rectification notice matching :func:`sample_context`."""
    context, _ = sample_context(n_items, 0)
    return {
        "bureau": context["bureau"],
        "notice_no": "青教督改〔2026〕17号",
        "issued_on": "2026-03-20",
        "reply_days": 5,
        "contact": {"name": "陈静", "phone": "0839-7202345"},
        "school": context["school"],
        "inspection": context["inspection"],
        "result": context["result"],
        "rectification_url": "https://jyj.qingchuan.example.gov.cn/school/rectifications/"
        "6f1c2a9e-3b7d-4c55-9e21-0d8f4b7a1c30",
    }
