import sqlite3

from inspect_app import create_app


def test_testing_config_is_applied(app):
    assert app.testing
    assert app.config["DATABASE"].startswith(app.instance_path)


def test_instance_path_and_env_config(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("INSPECT_BUREAU_NAME", "测试县教育局")
    monkeypatch.setenv("INSPECT_LOGIN_MAX_FAILURES", "3")
    app = create_app()
    assert app.instance_path == str(tmp_path / "elsewhere")
    assert app.config["BUREAU_NAME"] == "测试县教育局"
    assert app.config["LOGIN_MAX_FAILURES"] == 3  # parsed as JSON, not left a string
    assert (tmp_path / "elsewhere" / "inspect.db").exists()
    # The secret key is generated once and kept in the instance folder.
    assert (tmp_path / "elsewhere" / "secret_key").read_text().strip() == app.config["SECRET_KEY"]
    assert create_app().config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_instance_config_file_and_database_elsewhere(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "config.py").write_text(
        f"DATABASE = {str(tmp_path / 'data.db')!r}\nCOUNTY_NAME = '某县'\n"
    )
    monkeypatch.setenv("INSPECT_INSTANCE_PATH", str(instance))
    app = create_app()
    assert app.config["COUNTY_NAME"] == "某县"
    assert app.config["DATABASE"] == str(tmp_path / "data.db")
    conn = sqlite3.connect(tmp_path / "data.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_pages_are_chinese_and_mobile_ready(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert 'name="viewport"' in html
    assert "登录" in html
