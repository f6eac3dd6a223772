import io

from bs4 import BeautifulSoup
from openpyxl import Workbook

from inspect_app.storage import schools

from .support import csrf_token

HEADER = "学校代码,学校名称,乡镇,学段,寄宿制,乡镇中心校,贫困村所在地,在校生数,校长,联系电话\n"
GOOD = HEADER + (
    "N001,新华小学,东镇,小学,否,是,否,420,王芳,0855-1234567\n"
    "N002,新华初级中学,北山乡,初中,是,否,是,310,李强,\n"
)
BAD = HEADER + (
    "N001,新华小学,东镇,小学,否,是,否,420,王芳,\n"
    ",没有代码的学校,东镇,小学,否,否,否,10,,\n"
    "N003,某学校,东镇,大学,否,否,否,10,,\n"
    "N004,某学校二,东镇,小学,也许,否,否,十,,\n"
    "N001,重复代码,东镇,小学,否,否,否,10,,\n"
)


def upload(client, filename, data: bytes):
    token = csrf_token(client, "/admin/schools/import")
    return client.post(
        "/admin/schools/import",
        data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_csv_import_creates_schools_and_townships(client, auth, county, db):
    auth.login("bureau")
    response = upload(client, "名单.csv", GOOD.encode("utf-8-sig"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "导入成功：新增 2 所，更新 0 所。" in page and "新建乡镇：北山乡" in page
    school = schools.by_code(db, "N002")
    assert (
        school["name"] == "新华初级中学"
        and school["boarding"] == 1
        and school["poverty_village"] == 1
    )
    assert school["township"] == "北山乡" and school["enrolment"] == 310
    assert schools.by_code(db, "N001")["township_central"] == 1


def test_gbk_csv_is_read(client, auth, county, db):
    auth.login("admin")
    assert upload(client, "gbk.csv", GOOD.encode("gb18030")).status_code == 302
    assert schools.by_code(db, "N001")["name"] == "新华小学"


def test_reimport_updates_by_code(client, auth, county, db):
    auth.login("bureau")
    upload(client, "a.csv", GOOD.encode())
    changed = GOOD.replace("新华小学,东镇,小学,否,是,否,420", "新华小学,东镇,小学,否,是,否,455")
    response = upload(client, "a.csv", changed.encode())
    assert "更新 2 所" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert schools.by_code(db, "N001")["enrolment"] == 455


def test_bad_csv_imports_nothing_and_lists_every_bad_row(client, auth, county, db):
    auth.login("bureau")
    before = db.execute("SELECT count(*) FROM schools").fetchone()[0]
    response = upload(client, "bad.csv", BAD.encode())
    assert response.status_code == 400
    errors = [li.text for li in BeautifulSoup(response.data, "html.parser").select(".errors li")]
    assert errors == [
        "第 3 行：学校代码：不能为空",
        "第 4 行：学段：「大学」不是有效学段（可选：幼儿园、小学、初中、九年一贯制、完全中学、高中、中职、教学点）",
        "第 5 行：寄宿制：应填「是」或「否」，实际为「也许」",
        "第 5 行：在校生数：应为非负整数，实际为「十」",
        "第 6 行：学校代码：与第 2 行重复",
    ]
    assert db.execute("SELECT count(*) FROM schools").fetchone()[0] == before
    assert schools.by_code(db, "N001") is None  # the good row was not imported either


def test_xlsx_import(client, auth, county, db):
    auth.login("bureau")
    data = xlsx(
        [
            ["学校代码", "学校名称", "乡镇", "学段", "寄宿制", "在校生数", "纬度", "经度"],
            ["X001", "表格小学", "东镇", "小学", "是", 88, 26.58, 107.51],
        ]
    )
    assert upload(client, "schools.xlsx", data).status_code == 302
    school = schools.by_code(db, "X001")
    assert school["enrolment"] == 88 and school["boarding"] == 1 and school["latitude"] == 26.58


def test_bad_xlsx_lists_rows(client, auth, county, db):
    auth.login("bureau")
    data = xlsx(
        [
            ["学校代码", "学校名称", "乡镇", "学段", "纬度"],
            ["X001", "表格小学", "东镇", "小学", 200],
            ["X002", "", "东镇", "小学", None],
        ]
    )
    response = upload(client, "schools.xlsx", data)
    errors = [li.text for li in BeautifulSoup(response.data, "html.parser").select(".errors li")]
    assert errors == [
        "第 2 行：纬度：应为 -90 到 90 之间的数字，实际为「200」",
        "第 3 行：学校名称：不能为空",
    ]
    assert schools.by_code(db, "X001") is None


def test_missing_required_column(client, auth, county):
    auth.login("bureau")
    response = upload(client, "a.csv", "学校名称,乡镇\n甲,东镇\n".encode())
    assert "第 1 行：表头：缺少必填列「学校代码」「学段」" in response.get_data(as_text=True)


def test_wrong_file_type_and_corrupt_xlsx(client, auth, county):
    auth.login("bureau")
    assert "只支持 .csv 或 .xlsx 文件" in upload(client, "a.pdf", b"%PDF-1.4").get_data(
        as_text=True
    )
    assert "文件可能已损坏" in upload(client, "a.xlsx", b"not a zip").get_data(as_text=True)
