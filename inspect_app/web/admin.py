"""Managing accounts and schools (bureau and admin roles)."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    Field,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from inspect_app.checklist.scoring import OUTCOME_NAMES
from inspect_app.common.vocabulary import ROLE_NAMES, STAGES, UNIT_KINDS
from inspect_app.directory import school_import
from inspect_app.directory.passwords import hash_password, weakness
from inspect_app.inspections import catalog
from inspect_app.storage import audit, inspections, jobs, schools, sessions, units, users
from inspect_app.storage.db import get_db
from inspect_app.web import auth
from inspect_app.web.guards import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")

MANAGERS = ("bureau", "admin")


class _InChinese(Field):
    """A field whose unreadable input (「1e3」 for a number, a choice not offered) is refused
    with ``invalid``, in Chinese and once: WTForms' own messages are English ("Not a valid
    integer value.") and its range check would add a second message about the same input."""

    def __init__(self, *args, invalid: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.invalid = invalid

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(self.invalid) from exc

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()
        try:
            super().pre_validate(form)
        except ValidationError as exc:
            raise ValidationError(self.invalid) from exc


class IntegerInput(_InChinese, IntegerField):
    pass


class DecimalInput(_InChinese, DecimalField):
    pass


class Choice(_InChinese, SelectField):
    pass


class UserForm(FlaskForm):
    username = StringField(
        "用户名",
        validators=[
            DataRequired("请填写用户名"),
            Length(3, 32, "用户名长度应为 3 到 32 个字符"),
            Regexp(r"^[A-Za-z0-9_.-]+$", message="用户名只能包含字母、数字、下划线、点和短横线"),
        ],
    )
    display_name = StringField(
        "姓名",
        validators=[DataRequired("请填写姓名"), Length(max=32, message="姓名不能超过 32 个字")],
    )
    role = Choice(
        "角色", choices=[SelectChoice(k, v) for k, v in ROLE_NAMES.items()], invalid="请选择角色"
    )
    school_id = Choice(
        "所属学校", coerce=int, choices=[], validate_choice=False, invalid="请选择所属学校"
    )
    unit_id = Choice(
        "所属责任单位", coerce=int, choices=[], validate_choice=False, invalid="请选择所属责任单位"
    )
    password = PasswordField("密码", validators=[Optional(), Length(8, 128, "密码至少 8 位")])
    active = BooleanField("启用", default=True)

    def __init__(self, *args, editing: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        db = get_db()
        self.school_id.choices = [SelectChoice(0, "（无）")] + [
            SelectChoice(s["id"], f"{s['name']}（{s['code']}）") for s in schools.search(db)
        ]
        self.unit_id.choices = [SelectChoice(0, "（无）")] + [
            SelectChoice(u["id"], f"{u['name']}（{UNIT_KINDS[u['kind']]}）")
            for u in units.list_all(db)
        ]
        if g.user["role"] != "admin":
            # Only an administrator may create or promote administrators.
            self.role.choices = [c for c in self.role.choices if c.value != "admin"]

    def validate_username(self, field):
        existing = users.by_username(get_db(), field.data.strip())
        if existing and (self.editing is None or existing["id"] != self.editing["id"]):
            raise ValidationError("该用户名已被使用")

    def validate_role(self, field):
        if field.data not in {c.value for c in self.role.choices}:
            raise ValidationError("无权设置该角色")

    def validate_school_id(self, field):
        if self.role.data == "school":
            if not field.data or schools.get(get_db(), field.data) is None:
                raise ValidationError("学校账号必须选择所属学校")
        elif field.data:
            raise ValidationError("只有学校账号可以关联学校")

    def validate_unit_id(self, field):
        if self.role.data == "department":
            if not field.data or units.get(get_db(), field.data) is None:
                raise ValidationError("责任单位账号必须选择所属单位")
        elif field.data:
            raise ValidationError("只有责任单位账号可以关联责任单位")

    def validate_password(self, field):
        if self.editing is None and not field.data:
            raise ValidationError("新账号必须设置密码")
        if field.data and not field.errors:  # a too-short one is already reported
            words = [self.username.data or "", self.display_name.data or ""]
            school = schools.get(get_db(), self.school_id.data) if self.school_id.data else None
            reason = weakness(field.data, words + ([school["code"]] if school else []))
            if reason:
                raise ValidationError(reason)


class SchoolForm(FlaskForm):
    code = StringField(
        "学校代码",
        validators=[
            DataRequired("请填写学校代码"),
            Length(max=32, message="学校代码不能超过 32 个字符"),
        ],
    )
    name = StringField(
        "学校名称",
        validators=[
            DataRequired("请填写学校名称"),
            Length(max=100, message="学校名称不能超过 100 个字"),
        ],
    )
    township_id = Choice(
        "所属乡镇", coerce=int, choices=[], validate_choice=False, invalid="请选择所属乡镇"
    )
    stage = Choice("学段", choices=[SelectChoice(s, s) for s in STAGES], invalid="请选择学段")
    boarding = BooleanField("寄宿制学校")
    township_central = BooleanField("乡镇中心校")
    poverty_village = BooleanField("位于贫困村")
    enrolment = IntegerInput(
        "在校生数",
        default=0,
        invalid="在校生数请填写整数，如 356",
        validators=[Optional(), NumberRange(0, 100000, "在校生数应在 0 到 100000 之间")],
    )
    principal = StringField(
        "校长", validators=[Optional(), Length(max=32, message="校长姓名不能超过 32 个字")]
    )
    phone = StringField(
        "联系电话", validators=[Optional(), Length(max=32, message="联系电话不能超过 32 个字符")]
    )
    address = StringField(
        "地址", validators=[Optional(), Length(max=200, message="地址不能超过 200 个字")]
    )
    latitude = DecimalInput(
        "纬度",
        places=6,
        validators=[Optional(), NumberRange(-90, 90, "纬度应在 -90 到 90 之间")],
        invalid="纬度请填写数字，如 26.583",
    )
    longitude = DecimalInput(
        "经度",
        places=6,
        invalid="经度请填写数字，如 106.707",
        validators=[Optional(), NumberRange(-180, 180, "经度应在 -180 到 180 之间")],
    )

    def __init__(self, *args, editing: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.township_id.choices = [
            SelectChoice(t["id"], t["name"]) for t in schools.townships(get_db())
        ]

    def validate_code(self, field):
        existing = schools.by_code(get_db(), field.data.strip())
        if existing and (self.editing is None or existing["id"] != self.editing["id"]):
            raise ValidationError("该学校代码已存在")

    def validate_township_id(self, field):
        if field.data not in {c.value for c in self.township_id.choices}:
            raise ValidationError("请选择所属乡镇")

    def record(self) -> dict:
        data = {name: self[name].data for name in schools.SCHOOL_FIELDS}
        data["code"] = data["code"].strip()
        for key in ("latitude", "longitude"):
            data[key] = float(data[key]) if data[key] is not None else None
        data["enrolment"] = data["enrolment"] or 0
        return data


class ImportForm(FlaskForm):
    file = FileField(
        "学校名单文件（.csv 或 .xlsx）", validators=[FileRequired("请选择要导入的文件")]
    )


@bp.route("/users")
@role_required(*MANAGERS)
def user_list():
    role = request.args.get("role", "")
    return render_template(
        "admin/users.html",
        users=users.list_all(get_db(), role if role in ROLE_NAMES else None),
        role=role,
    )


def _editable_user(user_id: int) -> dict:
    user = users.get(get_db(), user_id)
    if user is None:
        abort(404)
    if user["role"] == "admin" and g.user["role"] != "admin":
        abort(403)
    return user


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(*MANAGERS)
def user_edit(user_id: int | None = None):
    user = _editable_user(user_id) if user_id else None
    form = UserForm(obj=_FormObject(user) if user else None, editing=user)
    if form.validate_on_submit():
        db = get_db()
        fields = {
            "username": form.username.data.strip(),
            "display_name": form.display_name.data.strip(),
            "role": form.role.data,
            "school_id": form.school_id.data or None,
            "unit_id": form.unit_id.data or None,
            "active": form.active.data,
        }
        if user is None:
            # The administrator knows this password, so the user picks their own at first login.
            new_id = users.create(
                db,
                password_hash=hash_password(form.password.data, current_app.config),
                must_change_password=True,
                **fields,
            )
            audit.record(
                db,
                "user_created",
                user=g.user,
                target=f"user:{new_id}",
                detail={"username": fields["username"]},
            )
            flash(f"已创建账号 {fields['username']}。", "success")
        else:
            own = user["id"] == g.user["id"]
            if form.password.data:
                # A reset: the user must pick their own password at the next login (not when
                # an administrator sets their own, which they already know).
                fields["password_hash"] = hash_password(form.password.data, current_app.config)
                fields["must_change_password"] = not own
            users.update(db, user["id"], **fields)
            # A reset or a deactivation ends every login of the account (a lost phone, a
            # departed colleague), not just future ones; one's own current login stays, under
            # a new token when the password changed (a copy of this very cookie ends too).
            if own and form.password.data:
                auth.renew_login(db, user, g.login_session)
            elif form.password.data or not fields["active"]:
                sessions.end_all(db, user["id"], except_id=g.login_session["id"] if own else None)
            audit.record(
                db, "user_updated", user=g.user, target=f"user:{user['id']}",
                detail={k: v for k, v in fields.items() if k not in ("password_hash", "must_change_password")} | {"password_changed": bool(form.password.data)},
            )  # fmt: skip
            flash(f"已保存账号 {fields['username']}。", "success")
        return redirect(url_for("admin.user_list"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/user_edit.html", form=form, user=user), status


class _FormObject:
    """Adapts a database row (with 0/1 flags and NULLs) to what WTForms ``obj=`` expects."""

    def __init__(self, row: dict):
        for key, value in row.items():
            setattr(self, key, value)
        if "active" in row:
            self.active = bool(row["active"])
        if "school_id" in row:
            self.school_id = row["school_id"] or 0
        if "unit_id" in row:
            self.unit_id = row["unit_id"] or 0
        for flag in ("boarding", "township_central", "poverty_village"):
            if flag in row:
                setattr(self, flag, bool(row[flag]))


class UnitForm(FlaskForm):
    name = StringField(
        "单位名称",
        validators=[
            DataRequired("请填写单位名称，如 县财政局、东镇人民政府"),
            Length(max=50, message="单位名称不能超过 50 个字"),
        ],
    )
    kind = Choice(
        "类别", choices=[SelectChoice(k, v) for k, v in UNIT_KINDS.items()], invalid="请选择类别"
    )
    head = StringField(
        "负责人", validators=[Optional(), Length(max=32, message="负责人姓名不能超过 32 个字")]
    )
    # Where an escalation of the unit's items reaches its head (no account needed).
    head_email = StringField(
        "负责人电子邮箱",
        validators=[
            Optional(),
            Length(max=120, message="邮箱地址不能超过 120 个字符"),
            Regexp(
                r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="请填写正确的邮箱地址，如 name@example.com"
            ),
        ],
    )
    head_phone = StringField(
        "负责人手机号或微信号",
        validators=[
            Optional(),
            Length(max=64, message="不能超过 64 个字符"),
            Regexp(r"^[\w@.+-]+$", message="只能包含字母、数字和 @ . + - _"),
        ],
    )
    active = BooleanField("启用", default=True)

    def __init__(self, *args, editing: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing

    def validate_name(self, field):
        name = field.data.strip()
        if name in ("学校", "本校", "校方", "受检学校"):
            raise ValidationError("学校本身不是责任单位：学校负责的事项无需设置责任单位")
        existing = units.by_name(get_db(), name)
        if existing and (self.editing is None or existing["id"] != self.editing["id"]):
            raise ValidationError("已有同名的责任单位")


@bp.route("/units", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@role_required(*MANAGERS)
def unit_list(unit_id: int | None = None):
    """责任单位: the county departments and townships that fix findings, and their accounts."""
    db = get_db()
    unit = units.get(db, unit_id) if unit_id else None
    if unit_id and unit is None:
        abort(404)
    form = UnitForm(obj=_FormObject(unit) if unit else None, editing=unit)
    if form.validate_on_submit():
        fields = {
            "name": form.name.data.strip(),
            "kind": form.kind.data,
            "head": (form.head.data or "").strip(),
            "head_email": (form.head_email.data or "").strip(),
            "head_phone": (form.head_phone.data or "").strip(),
            "active": int(form.active.data),
        }
        if unit is None:
            saved = units.create(
                db, name=fields["name"], kind=fields["kind"], head=fields["head"],
                head_email=fields["head_email"], head_phone=fields["head_phone"],
            )  # fmt: skip
        else:
            units.update(db, unit["id"], **fields)
            saved = unit["id"]
        audit.record(db, "unit_saved", user=g.user, target=f"unit:{saved}", detail=fields)
        flash(f"已保存责任单位 {fields['name']}。", "success")
        return redirect(url_for("admin.unit_list"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "admin/units.html", form=form, unit=unit, units=units.list_all(db), kinds=UNIT_KINDS
    ), status


@bp.route("/schools/new", methods=["GET", "POST"])
@bp.route("/schools/<int:school_id>/edit", methods=["GET", "POST"])
@role_required(*MANAGERS)
def school_edit(school_id: int | None = None):
    db = get_db()
    school = schools.get(db, school_id) if school_id else None
    if school_id and school is None:
        abort(404)
    form = SchoolForm(obj=_FormObject(school) if school else None, editing=school)
    if form.validate_on_submit():
        saved_id = schools.save(db, form.record(), school_id)
        audit.record(
            db,
            "school_saved",
            user=g.user,
            target=f"school:{saved_id}",
            detail={"code": form.code.data},
        )
        flash(f"已保存学校 {form.name.data}。", "success")
        return redirect(url_for("main.school_detail", school_id=saved_id))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/school_edit.html", form=form, school=school), status


@bp.route("/schools/import", methods=["GET", "POST"])
@role_required(*MANAGERS)
def school_import_view():
    form = ImportForm()
    errors: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            parsed = school_import.parse(
                school_import.read_rows(upload.filename or "", upload.read())
            )
            errors = parsed.errors
        except ValueError as exc:
            errors = [str(exc)]
        if not errors:
            db = get_db()
            summary = schools.import_records(
                db, parsed.records, schools.county_id(db, current_app.config["COUNTY_NAME"])
            )
            audit.record(db, "schools_imported", user=g.user, detail=summary)
            message = f"导入成功：新增 {summary['created']} 所，更新 {summary['updated']} 所。"
            if summary["new_townships"]:
                message += f" 新建乡镇：{'、'.join(summary['new_townships'])}。"
            flash(message, "success")
            return redirect(url_for("main.school_list"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "admin/school_import.html", form=form, errors=errors, columns=school_import.COLUMNS
    ), status


@bp.get("/scoring")
@role_required("admin")
def scoring_drift():
    """Where the phone's engine and the server's disagreed: seen the day it happens."""
    db = get_db()
    found = inspections.score_mismatches(db)
    cases = []
    for row in found["latest"]:
        checklist = catalog.by_hash(db, row["checklist_hash"])
        sections = checklist.compiled["sections"] if checklist else []
        labels = {i["id"]: i.get("label", i["id"]) for s in sections for i in s["items"]}
        differences = []
        for key, values in json.loads(row["client_mismatch"]).items():
            if key.startswith("items."):
                item_id = key.removeprefix("items.")
                what = f"{labels.get(item_id, item_id)}（{item_id}）"
                server = OUTCOME_NAMES.get(values["server"], values["server"])
                client = OUTCOME_NAMES.get(values["client"], values["client"] or "无")
            else:
                what = _RESULT_FIELDS.get(key, key)
                server, client = _shown(values["server"]), _shown(values["client"])
            differences.append({"what": what, "server": server, "client": client})
        cases.append({"inspection": row, "differences": differences})
    return render_template("admin/scoring.html", found=found, cases=cases)


@bp.get("/documents")
@role_required("admin")
def document_queue():
    """The document worker at a glance: its heartbeat, the queue, and what failed and why."""
    db = get_db()
    beats = jobs.heartbeats(db)
    latest = beats[0] if beats else None
    max_age = float(current_app.config["HEALTH_HEARTBEAT_MAX_AGE"])
    alive = latest is not None and jobs.heartbeat_age(latest) <= max_age
    return render_template(
        "admin/documents.html",
        counts=jobs.counts(db),
        waiting=jobs.waiting(db),
        failures=jobs.failures(db),
        heartbeats=beats,
        alive=alive,
        max_age=int(max_age),
        status_names=JOB_STATUS,
    )


@bp.post("/documents/<int:job_id>/retry")
@role_required("admin")
def retry_document(job_id: int):
    db = get_db()
    job = jobs.get(db, job_id)
    if job is None:
        abort(404)
    if jobs.retry(db, job_id):
        audit.record(
            db, "document_job_retried", user=g.user, target=f"inspection:{job['inspection_id']}",
            detail={"job": job_id, "last_error": job["last_error"]}, ip=request.remote_addr or "",
        )  # fmt: skip
        flash("已重新排队，文档生成进程将很快处理。", "success")
    else:
        flash("该任务正在生成或已完成，无需重试。", "info")
    return redirect(url_for("admin.document_queue"))


JOB_STATUS = {"queued": "排队中", "running": "生成中", "done": "已完成", "failed": "已停止重试"}


_RESULT_FIELDS = {"total": "总分", "grade": "等级", "vetoed": "一票否决"}


def _shown(value) -> str:
    if value is None:
        return "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)
