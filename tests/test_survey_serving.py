"""Many respondents at once against the server as deployed (`flask serve`: gunicorn, several
processes, one SQLite file): every answer stored exactly once, one per device, and the
per-address limit holds exactly even when the requests race."""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from inspect_app.storage import surveys
from inspect_app.storage.db import open_database
from inspect_app.surveys.answers import device_key

from . import live_server

LIMIT = 70  # answer attempts one address may make in the window


def _open_round(instance: live_server.Instance) -> tuple[int, dict[int, str]]:
    db = open_database(instance.database)
    try:
        survey = next(
            db.query("SELECT hash FROM survey_versions WHERE survey_id = 'parent_satisfaction'")
        )
        admin = next(db.query("SELECT id FROM users WHERE username = 'admin'"))["id"]
        round_id = surveys.create_round(
            db, survey_id="parent_satisfaction", survey_hash=survey["hash"], title="并发测试",
            school_ids=instance.school_ids[:2], created_by=admin,
        )  # fmt: skip
        return round_id, {r["school_id"]: r["code"] for r in surveys.round_schools(db, round_id)}
    finally:
        db.close()


def _token(base: str, code: str) -> str:
    html = urllib.request.urlopen(f"{base}/s/{code}", timeout=30).read().decode()
    return json.loads(re.search(r'id="survey-data">(.*?)</script>', html).group(1))["token"]


def _post(base: str, code: str, body: dict) -> int:
    request = urllib.request.Request(
        f"{base}/s/{code}", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_many_respondents_at_once_each_stored_once_and_the_address_limit_holds(tmp_path: Path):
    instance = live_server.prepare_instance(
        tmp_path / "instance", inspectors=1, school_count=3, SURVEY_ADDRESS_LIMIT=LIMIT
    )
    round_id, codes = _open_round(instance)
    server, base = live_server.serve(instance, tmp_path / "serve.log", workers=3)
    try:
        schools = list(codes)
        tokens = {code: _token(base, code) for code in codes.values()}

        def answer(n: int, device: str, response_id: str | None = None, pick: str = "satisfied"):
            code = codes[schools[n % 2]]
            body = {"token": tokens[code], "device": device, "id": response_id or str(uuid.uuid4()),
                    "answers": {"overall": pick, "aid_fair": "average"}}  # fmt: skip
            return _post(base, code, body), body

        devices = [f"phone-{n:04d}-{uuid.uuid4().hex[:12]}" for n in range(45)]
        # 40 phones answer at once
        with ThreadPoolExecutor(max_workers=20) as pool:
            first = list(pool.map(lambda n: answer(n, devices[n]), range(40)))
        assert [status for status, _ in first] == [201] * 40

        # at once: 10 re-sends of an answer whose reply was lost, 10 second answers from a
        # phone that has answered, and 5 new phones each sending two different answers
        barrier = threading.Barrier(30)

        def racing(job):
            barrier.wait()
            return job()

        jobs = [lambda n=n: answer(n, devices[n], first[n][1]["id"])[0] for n in range(10)]
        jobs += [lambda n=n: answer(n, devices[n], pick="average")[0] for n in range(10, 20)]
        jobs += [
            lambda n=n, pick=pick: answer(n, devices[n], pick=pick)[0]
            for n in range(40, 45)
            for pick in ("satisfied", "dissatisfied")
        ]
        with ThreadPoolExecutor(max_workers=30) as pool:
            statuses = list(pool.map(racing, jobs))
        assert statuses[:10] == [200] * 10
        assert statuses[10:20] == [409] * 10
        pairs = [sorted(statuses[20 + 2 * i : 22 + 2 * i]) for i in range(5)]
        assert pairs == [[201, 409]] * 5

        # 70 attempts from this address in the window: the next ones are refused
        with ThreadPoolExecutor(max_workers=5) as pool:
            late = list(pool.map(lambda n: answer(n, f"late-phone-{n:08d}")[0], range(5)))
        assert late == [429] * 5
    finally:
        assert server.stop() == 0
    log = server.output()
    assert "Traceback" not in log, log

    db = open_database(instance.database)
    try:
        rows = list(db.query("SELECT school_id, device_hash, answers FROM survey_responses"))
        throttle = list(db.query("SELECT address_hash FROM survey_throttle"))
    finally:
        db.close()
    assert len(rows) == 45
    assert len({r["device_hash"] for r in rows}) == 45
    assert {r["device_hash"] for r in rows} == {device_key(d, round_id) for d in devices}
    by_school = {sid: sum(1 for r in rows if r["school_id"] == sid) for sid in schools}
    assert by_school == {schools[0]: 23, schools[1]: 22}
    # the re-sent answers were stored once, with their first content
    assert all(json.loads(r["answers"])["aid_fair"] == "average" for r in rows)
    # exactly the limit was counted for the one address, kept only as a hash
    assert len(throttle) == LIMIT and len({t["address_hash"] for t in throttle}) == 1
    assert "127.0.0.1" not in throttle[0]["address_hash"]
