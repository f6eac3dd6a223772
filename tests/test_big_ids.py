"""Ids too large for the database are a plain 404, on every route that takes a number."""

from __future__ import annotations

import pytest
from werkzeug.routing.converters import IntegerConverter

from .support import Auth

HUGE = "99999999999999999999"  # > 2**63: SQLite cannot bind it


def huge_id_urls(app) -> list[tuple[str, str]]:
    urls = []
    for rule in app.url_map.iter_rules():
        numbers = [n for n, c in rule._converters.items() if isinstance(c, IntegerConverter)]
        if not numbers:
            continue
        values = {n: 1 for n in rule._converters} | {
            n: "x" for n in rule._converters if n not in numbers
        }
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            # Put the huge number where the first numeric id goes.
            urls.append((method, path.replace("/1", f"/{HUGE}", 1)))
    return urls


@pytest.mark.parametrize("who", ["admin", "insp", "sch_a"])
def test_huge_ids_are_404_not_500(app, client, county, who):
    Auth(client).login(who)
    urls = huge_id_urls(app)
    assert ("GET", f"/schools/{HUGE}") in urls
    for method, url in urls:
        response = client.open(url, method=method)
        assert response.status_code == 404, (method, url, response.status_code)


def test_the_largest_stored_id_still_routes(client, county):
    Auth(client).login("admin")
    assert client.get(f"/schools/{2**63 - 1}").status_code == 404
    assert client.get(f"/schools/{county['school_a']}").status_code == 200
