"""The users' words for the fixed kinds of things, defined once for every page, export and document.

Keys are what the database stores; values are what people read. A page, an export and a
bulletin that name a status take the name from here, so they can never say different things.
"""

from __future__ import annotations

# 学段: the stages a school can be (the school registry, checklist conditions, filters).
STAGES = ("幼儿园", "小学", "初中", "九年一贯制", "完全中学", "高中", "中职", "教学点")

ROLE_NAMES = {
    "inspector": "督学",
    "school": "学校",
    "bureau": "教育局",
    "admin": "系统管理员",
    # A county department's or a township's account: it answers its unit's rectification items.
    "department": "责任单位",
}

# 责任单位 other than the school itself (rectification items a county unit must fix).
UNIT_KINDS = {"department": "县直部门", "township": "乡镇政府"}

# 检查方式, after the supervision plan's section 五 (明查 / 暗访 are how a visit is announced).
INSPECTION_TYPES = ("综合督导", "专项督查", "随机走访", "明查", "暗访")

# 责任单位 a checklist's fix template may name beside the person (责任人): the school itself, or
# the county department / township that alone can carry the measure out (编制 is the 编办's,
# expansion money the 财政局's, broadband the 教育局's). A fix without a unit is the school's.
RESPONSIBLE_UNITS = (
    "学校",
    "县教育局",
    "县学生资助管理中心",
    "县财政局",
    "县人社局",
    "县编办",
    "县发改局",
    "县市场监管局",
    "县卫健局",
    "县乡村振兴局",
    "县残联",
    "乡镇政府",
)
SCHOOL_UNIT = "学校"

# Who signs an inspection on the phone.
SIGNER_ROLES = {"inspector": "督学", "school": "学校代表"}

RECTIFICATION_STATUS = {
    "pending": "待整改",
    "submitted": "已提交整改",
    "returned": "退回重改",
    "closed": "已销号",
}

# An issued document (signed PDF) is valid until a corrected version supersedes it.
REPORT_STATUS = {"valid": "有效", "superseded": "已被新版本取代", "revoked": "已撤销"}

# Who answers a survey (满意度测评、调查问卷): a survey names the groups it asks, the respondent
# says which one they are, and results are counted per school and group.
RESPONDENT_GROUPS = {"parent": "家长", "teacher": "教师", "student": "学生"}

# A survey round: open while respondents may answer, closed once the bureau ends it.
SURVEY_ROUND_STATUS = {"open": "进行中", "closed": "已结束"}
