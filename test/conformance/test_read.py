"""find / find_one / summarize through the real shotgun_api3 client: every relation, nested
filters, deep links, sorting and paging (api3 reference, sections 3.2, 3.3, 4 and 8)."""
import datetime

import pytest
import shotgun_api3


@pytest.fixture
def studio(sg):
    """A small hand-made studio; returns (sg, dict of created entities)."""
    p = sg.create("Project", {"name": "Nightfall"})
    q = sg.create("Sequence", {"code": "SQ010", "project": p})
    fox = sg.create("Asset", {"code": "chr_fox", "sg_asset_type": "Character", "project": p})
    lamp = sg.create("Asset", {"code": "prp_lamp", "sg_asset_type": "Prop", "project": p})
    s1 = sg.create("Shot", {"code": "SH010", "project": p, "sg_sequence": q, "sg_status_list": "ip",
                            "sg_cut_in": 1001, "sg_frame_rate": 24.0, "sg_is_hero": True,
                            "tag_list": ["hero"], "sg_turnover_date": "2023-11-10",
                            "assets": [fox], "description": "Opening shot"})
    s2 = sg.create("Shot", {"code": "sh020", "project": p, "sg_status_list": "fin", "sg_cut_in": 0,
                            "sg_frame_rate": 25.0, "sg_turnover_date": "2023-10-01",
                            "assets": [fox, lamp]})
    s3 = sg.create("Shot", {"code": "Other"})
    t1 = sg.create("Task", {"content": "Anim", "entity": s1, "project": p})
    t2 = sg.create("Task", {"content": "Model", "entity": fox, "project": p})
    return sg, dict(p=p, q=q, fox=fox, lamp=lamp, s1=s1, s2=s2, s3=s3, t1=t1, t2=t2)


def ids(rows):
    return sorted(r["id"] for r in rows)


def test_find_text_relations(studio):
    sg, e = studio
    s1, s2, s3 = e["s1"]["id"], e["s2"]["id"], e["s3"]["id"]
    assert ids(sg.find("Shot", [["code", "is", "sh010"]])) == [s1]
    assert ids(sg.find("Shot", [["code", "is_not", "SH010"]])) == [s2, s3]
    assert ids(sg.find("Shot", [["code", "contains", "h0"]])) == [s1, s2]
    assert ids(sg.find("Shot", [["code", "not_contains", "h0"]])) == [s3]
    assert ids(sg.find("Shot", [["code", "starts_with", "sh"]])) == [s1, s2]
    assert ids(sg.find("Shot", [["code", "ends_with", "20"]])) == [s2]
    assert ids(sg.find("Shot", [["code", "in", ["SH010", "other"]]])) == [s1, s3]
    assert ids(sg.find("Shot", [["code", "in", "SH010", "other"]])) == [s1, s3]
    assert ids(sg.find("Shot", [["code", "not_in", ["SH010", "other"]]])) == [s2]
    assert ids(sg.find("Shot", [["description", "is", None]])) == [s2, s3]


def test_find_number_float_checkbox_list(studio):
    sg, e = studio
    s1, s2, s3 = e["s1"]["id"], e["s2"]["id"], e["s3"]["id"]
    assert ids(sg.find("Shot", [["sg_cut_in", "is", 0]])) == [s2]
    assert ids(sg.find("Shot", [["sg_cut_in", "is_not", None]])) == [s1, s2]  # 0 is not None
    assert ids(sg.find("Shot", [["sg_cut_in", "greater_than", 0]])) == [s1]
    assert ids(sg.find("Shot", [["sg_cut_in", "less_than", 5]])) == [s2]
    assert ids(sg.find("Shot", [["sg_cut_in", "between", 0, 1001]])) == [s1, s2]
    assert ids(sg.find("Shot", [["sg_cut_in", "between", [1, 2000]]])) == [s1]
    assert ids(sg.find("Shot", [["sg_cut_in", "not_between", 1, 2000]])) == [s2]
    assert ids(sg.find("Shot", [["sg_cut_in", "in", [0, 7]]])) == [s2]
    assert ids(sg.find("Shot", [["sg_cut_in", "not_in", [0]]])) == [s1, s3]
    assert ids(sg.find("Shot", [["sg_frame_rate", "greater_than", 24.5]])) == [s2]
    assert ids(sg.find("Shot", [["sg_is_hero", "is", True]])) == [s1]
    assert ids(sg.find("Shot", [["sg_is_hero", "is_not", True]])) == [s2, s3]
    assert ids(sg.find("Shot", [["sg_status_list", "in", ["fin", "wtg"]]])) == [s2, s3]
    assert ids(sg.find("Shot", [["sg_status_list", "not_in", ["fin"]]])) == [s1, s3]
    assert ids(sg.find("Shot", [["id", "in", [s3, s1]]])) == [s1, s3]


def test_find_date_and_datetime_relations(studio):
    sg, e = studio
    s1, s2 = e["s1"]["id"], e["s2"]["id"]
    assert ids(sg.find("Shot", [["sg_turnover_date", "greater_than", datetime.date(2023, 11, 1)]])) == [s1]
    assert ids(sg.find("Shot", [["sg_turnover_date", "between", "2023-09-01", "2023-10-31"]])) == [s2]
    assert ids(sg.find("Shot", [["sg_turnover_date", "in", ["2023-10-01"]]])) == [s2]
    # created_at is "now" on the fake's clock: relative relations see it.
    assert len(sg.find("Shot", [["created_at", "in_last", 1, "HOUR"]])) == 3
    assert len(sg.find("Shot", [["created_at", "in_calendar_day", 0]])) == 3
    assert len(sg.find("Shot", [["created_at", "not_in_last", 1, "DAY"]])) == 0
    an_hour_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    assert len(sg.find("Shot", [["created_at", "greater_than", an_hour_ago]])) == 3
    assert len(sg.find("Shot", [["updated_at", "less_than", an_hour_ago]])) == 0


def test_find_entity_and_multi_entity_relations(studio):
    sg, e = studio
    s1, s2, s3 = e["s1"]["id"], e["s2"]["id"], e["s3"]["id"]
    t1, t2 = e["t1"]["id"], e["t2"]["id"]
    assert ids(sg.find("Shot", [["sg_sequence", "is", e["q"]]])) == [s1]
    assert ids(sg.find("Shot", [["sg_sequence", "is", None]])) == [s2, s3]
    assert ids(sg.find("Shot", [["project", "is_not", e["p"]]])) == [s3]
    assert ids(sg.find("Shot", [["project", "in", [e["p"], {"type": "Project", "id": 999}]]])) == [s1, s2]
    assert ids(sg.find("Task", [["entity", "type_is", "Asset"]])) == [t2]
    assert ids(sg.find("Task", [["entity", "type_is_not", "Asset"]])) == [t1]
    assert ids(sg.find("Task", [["entity", "name_contains", "FOX"]])) == [t2]
    assert ids(sg.find("Task", [["entity", "name_not_contains", "fox"]])) == [t1]
    assert ids(sg.find("Task", [["entity", "name_is", "SH010"]])) == [t1]
    assert ids(sg.find("Task", [["entity", "not_in", [e["s1"]]]])) == [t2]
    # multi-entity "is" means "contains"
    assert ids(sg.find("Shot", [["assets", "is", e["lamp"]]])) == [s2]
    assert ids(sg.find("Shot", [["assets", "is_not", e["lamp"]]])) == [s1, s3]
    assert ids(sg.find("Shot", [["assets", "is", None]])) == [s3]
    assert ids(sg.find("Shot", [["assets", "in", [e["lamp"]]]])) == [s2]
    assert ids(sg.find("Shot", [["assets", "type_is", "Asset"]])) == [s1, s2]
    assert ids(sg.find("Shot", [["assets", "name_contains", "lamp"]])) == [s2]
    assert ids(sg.find("Shot", [["tag_list", "is", "hero"]])) == [s1]
    assert ids(sg.find("Shot", [["tag_list", "name_contains", "er"]])) == [s1]
    assert ids(sg.find("Shot", [["image", "is", None]])) == [s1, s2, s3]


def test_find_deep_links_in_filters_and_fields(studio):
    sg, e = studio
    s1, s2 = e["s1"]["id"], e["s2"]["id"]
    rows = sg.find("Shot", [["sg_sequence.Sequence.code", "is", "SQ010"]],
                   ["code", "sg_sequence.Sequence.code", "sg_sequence.Sequence.project.Project.name", "sg_sequence"])
    assert len(rows) == 1
    r = rows[0]
    assert r["sg_sequence.Sequence.code"] == "SQ010"
    assert r["sg_sequence.Sequence.project.Project.name"] == "Nightfall"
    assert r["sg_sequence"] == {"type": "Sequence", "id": e["q"]["id"], "name": "SQ010"}
    assert ids(sg.find("Task", [["entity.Shot.code", "starts_with", "SH"]])) == [e["t1"]["id"]]
    assert ids(sg.find("Task", [["entity.Asset.sg_asset_type", "is", "Character"]])) == [e["t2"]["id"]]
    assert ids(sg.find("Shot", [["assets.Asset.code", "is", "prp_lamp"]])) == [s2]
    assert ids(sg.find("Shot", [["assets.Asset.sg_asset_type", "is", "Character"]])) == [s1, s2]


def test_find_nested_filter_groups(studio):
    sg, e = studio
    s1, s2, s3 = e["s1"]["id"], e["s2"]["id"], e["s3"]["id"]
    filters = [
        {"filter_operator": "any", "filters": [["code", "is", "SH010"], ["code", "is", "Other"]]},
        {"filter_operator": "any", "filters": [
            ["sg_status_list", "is", "ip"],
            {"filter_operator": "all", "filters": [["sg_cut_in", "is", None], ["description", "is", None]]},
        ]},
    ]
    assert ids(sg.find("Shot", filters)) == [s1, s3]
    assert ids(sg.find("Shot", [["code", "is", "SH010"], ["code", "is", "sh020"]], filter_operator="any")) == [s1, s2]
    assert ids(sg.find("Shot", [])) == [s1, s2, s3]


def test_find_one_returns_requested_fields_only(studio):
    sg, e = studio
    one = sg.find_one("Shot", [["code", "is", "SH010"]], ["code", "sg_status_list", "sg_nope"])
    assert one == {"type": "Shot", "id": e["s1"]["id"], "code": "SH010", "sg_status_list": "ip", "sg_nope": None}
    assert sg.find_one("Shot", [["code", "is", "nothing"]]) is None


def test_find_order_on_several_fields(studio):
    sg, e = studio
    rows = sg.find("Shot", [], ["code", "sg_cut_in"],
                   order=[{"field_name": "sg_cut_in", "direction": "desc"}, {"field_name": "code", "direction": "asc"}])
    # NULLS FIRST when descending, as PostgreSQL does.
    assert [r["code"] for r in rows] == ["Other", "SH010", "sh020"]
    rows = sg.find("Task", [], ["content"], order=[{"field_name": "entity", "direction": "asc"}])
    assert [r["content"] for r in rows] == ["Model", "Anim"]  # chr_fox < SH010


def test_find_pages_through_a_large_result(fake):
    site = fake("--generate", "studio:6000", "--seed", "11", "--max-entities-per-page", "500")
    sg = site.sg()
    total = sg.summarize("Task", [], [{"field": "id", "type": "record_count"}])["summaries"]["id"]
    assert total > 1500
    site.admin("/_admin/stats/reset", {})
    tasks = sg.find("Task", [], ["content", "entity"], limit=0)
    assert len(tasks) == total
    assert len({t["id"] for t in tasks}) == total
    assert [t["id"] for t in tasks] == sorted(t["id"] for t in tasks)
    reads = site.stats()["by_method"]["read"]
    assert reads == -(-total // 500)  # ceil: one request per page
    # limit above one page, explicit page, and the old-server counting path.
    assert len(sg.find("Task", [], limit=700)) == 700
    page2 = sg.find("Task", [], ["id"], limit=10, page=2)
    assert [t["id"] for t in page2] == [t["id"] for t in tasks[10:20]]
    sg.server_caps.version = (7, 0, 0)  # pretend an old server: entity_count paging
    assert len(sg.find("Task", [["content", "is", "Animation"]])) == \
        len([t for t in tasks if t["content"] == "Animation"])


def test_find_with_a_smaller_server_page_size(fake):
    site = fake("--generate", "studio:800", "--max-entities-per-page", "7")
    sg = site.sg()
    shots = sg.find("Shot", [], ["code"])
    assert len(shots) == sg.summarize("Shot", [], [{"field": "id", "type": "count"}])["summaries"]["id"]
    # The page size can shrink at run time; a client that asks for more gets less per page
    # and must follow has_next_page.
    site.faults(max_entities_per_page=3)
    assert len(sg.find("Shot", [], ["code"])) == len(shots)


def test_retired_only(studio):
    sg, e = studio
    sg.delete("Shot", e["s3"]["id"])
    assert ids(sg.find("Shot", [])) == [e["s1"]["id"], e["s2"]["id"]]
    assert ids(sg.find("Shot", [], retired_only=True)) == [e["s3"]["id"]]


def test_summarize_with_groupings(studio):
    sg, e = studio
    r = sg.summarize("Shot", [["project", "is", e["p"]]],
                     [{"field": "id", "type": "count"}, {"field": "sg_cut_in", "type": "sum"}],
                     grouping=[{"field": "sg_status_list", "type": "exact", "direction": "asc"}])
    assert r["summaries"] == {"id": 2, "sg_cut_in": 1001}
    assert [(g["group_value"], g["summaries"]["id"]) for g in r["groups"]] == [("fin", 1), ("ip", 1)]
    r = sg.summarize("Task", [], [{"field": "id", "type": "count"}],
                     grouping=[{"field": "entity", "type": "exact", "direction": "asc"},
                               {"field": "content", "type": "exact", "direction": "asc"}])
    assert [g["group_name"] for g in r["groups"]] == ["chr_fox", "SH010"]
    assert r["groups"][0]["group_value"]["type"] == "Asset"
    assert r["groups"][0]["groups"][0]["group_value"] == "Model"
    r = sg.summarize("Shot", [], [{"field": "sg_cut_in", "type": "maximum"}],
                     grouping=[{"field": "sg_cut_in", "type": "thousands", "direction": "desc"}])
    assert [g["group_value"] for g in r["groups"]] == [1000, 0, None]
    with pytest.raises(shotgun_api3.Fault):
        sg.summarize("Shot", [], [{"field": "code", "type": "sum"}])


def test_bad_filters_get_faults(studio):
    sg, _ = studio
    for bad in ([["sg_nope", "is", 1]],
                [["sg_cut_in", "is", "ten"]],
                [["code", "greater_than", "a"]],
                [["sg_camera_data", "is", None]],
                [["sg_plate_link", "is", None]],
                [["image", "is", "x.jpg"]],
                [["sg_is_hero", "is", None]],
                [["code", "no_such_relation", "x"]],
                [["sg_sequence.Sequence.nope", "is", "x"]]):
        with pytest.raises(shotgun_api3.Fault) as err:
            sg.find("Shot", bad)
        assert err.value.args[0].startswith("API read() Shot.")
    with pytest.raises(shotgun_api3.Fault, match="doesn't exist"):
        sg.find("NoSuchType", [])
