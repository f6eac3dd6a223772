"""Server-side SVG charts: valid SVG, text alternatives, escaped labels."""

from xml.etree import ElementTree

from inspect_app.bureau import charts

NS = "{http://www.w3.org/2000/svg}"


def test_bar_chart_has_title_desc_and_a_bar_per_value():
    svg = charts.bar_chart(
        [("食堂<管理>", 82.5), ("宿舍", None)], title="分项", unit="%", chart_id="x"
    )
    root = ElementTree.fromstring(str(svg))
    assert root.get("role") == "img" and root.get("aria-labelledby") == "x-t x-d"
    assert root.find(f"{NS}title").text == "分项"
    assert root.find(f"{NS}desc").text == "食堂<管理>：82.5%；宿舍：—"
    assert len(root.findall(f"{NS}rect")) == 3  # two tracks, one bar


def test_line_chart_names_every_point():
    svg = charts.line_chart([("09-15", 71.0), ("11-20", 88.5)], title="趋势")
    root = ElementTree.fromstring(str(svg))
    assert root.find(f"{NS}desc").text == "09-15：71；11-20：88.5"
    assert len(root.findall(f"{NS}circle")) == 2 and root.find(f"{NS}polyline") is not None


def test_heat_classes_follow_grade_bands():
    assert [charts.heat_class(v) for v in (95, 85, 65, 10, None)] == [
        "heat-4",
        "heat-3",
        "heat-2",
        "heat-1",
        "heat-none",
    ]
