"""create / update / delete / revive / batch through the real client, and the EventLogEntry
rows each write leaves, checked against the api3 reference, section 6."""
import datetime

import pytest
import shotgun_api3

from conftest import events_after, last_event_id


def kinds(events):
    return [(e["event_type"], e["attribute_name"]) for e in events]


def test_create_returns_set_fields_with_link_names(sg):
    p = sg.create("Project", {"name": "Pied Piper"})
    shot = sg.create("Shot", {"code": "001_100", "project": p, "sg_status_list": "ip", "sg_turnover_date": "2024-05-01"},
                     return_fields=["sg_cut_in", "created_at"])
    assert shot["type"] == "Shot"
    assert shot["code"] == "001_100"
    assert shot["project"] == {"type": "Project", "id": p["id"], "name": "Pied Piper"}
    assert shot["sg_cut_in"] is None
    assert isinstance(shot["created_at"], datetime.datetime)
    assert set(shot) == {"type", "id", "code", "project", "sg_status_list", "sg_turnover_date", "sg_cut_in", "created_at"}


def test_create_events(sg):
    p = sg.create("Project", {"name": "P"})
    before = last_event_id(sg)
    sg.set_session_uuid("5a1d49b0-0c69-11e0-a24c-003048d17544")
    shot = sg.create("Shot", {"code": "SH010", "project": p, "sg_cut_in": 1001})
    ev = events_after(sg, before)
    assert kinds(ev) == [("Shotgun_Shot_New", None), ("Shotgun_Shot_Change", "code"),
                         ("Shotgun_Shot_Change", "project"), ("Shotgun_Shot_Change", "sg_cut_in"),
                         ("Shotgun_Shot_Change", "sg_status_list")]
    new = ev[0]
    assert new["meta"] == {"type": "new_entity", "entity_type": "Shot", "entity_id": shot["id"]}
    assert new["entity"] == {"type": "Shot", "id": shot["id"], "name": "SH010"}
    assert new["project"]["id"] == p["id"]
    assert new["user"] == {"type": "ApiUser", "id": 1, "name": "conformance"}
    assert new["session_uuid"] == "5a1d49b0-0c69-11e0-a24c-003048d17544"
    assert isinstance(new["created_at"], datetime.datetime)
    for e in ev[1:]:
        m = e["meta"]
        assert m["type"] == "attribute_change"
        assert m["in_create"] is True
        assert m["old_value"] is None
        assert m["entity_type"] == "Shot" and m["entity_id"] == shot["id"]
        assert m["attribute_name"] == e["attribute_name"]
        assert "field_data_type" in m
    assert ev[3]["meta"]["new_value"] == 1001
    assert ev[4]["meta"]["new_value"] == "wtg"  # the default the server filled in
    assert ev[2]["meta"]["new_value"]["type"] == "Project"
    assert ev[2]["meta"]["new_value"]["valid"] == "valid"
    assert [e["id"] for e in ev] == list(range(ev[0]["id"], ev[0]["id"] + len(ev)))


def test_update_events_one_row_per_changed_field(sg):
    shot = sg.create("Shot", {"code": "a", "sg_status_list": "ip", "sg_cut_in": 1})
    before = last_event_id(sg)
    r = sg.update("Shot", shot["id"], {"sg_status_list": "fin", "sg_cut_in": 1, "description": "d"})
    assert r["sg_status_list"] == "fin" and r["type"] == "Shot" and r["id"] == shot["id"]
    ev = events_after(sg, before)
    assert kinds(ev) == [("Shotgun_Shot_Change", "sg_status_list"), ("Shotgun_Shot_Change", "description")]
    assert ev[0]["meta"]["old_value"] == "ip" and ev[0]["meta"]["new_value"] == "fin"
    assert "in_create" not in ev[0]["meta"]
    updated = sg.find_one("Shot", [["id", "is", shot["id"]]], ["updated_at", "updated_by"])
    assert updated["updated_by"]["type"] == "ApiUser"


def test_multi_entity_add_and_remove_with_back_references(sg):
    a1, a2, a3 = (sg.create("Asset", {"code": c}) for c in ("a1", "a2", "a3"))
    shot = sg.create("Shot", {"code": "s", "assets": [a1, a2]})
    before = last_event_id(sg)
    sg.update("Shot", shot["id"], {"assets": [a2, a3]})
    ev = events_after(sg, before)
    assert kinds(ev) == [("Shotgun_Shot_Change", "assets"), ("Shotgun_Asset_Change", "shots"),
                         ("Shotgun_Asset_Change", "shots")]
    m = ev[0]["meta"]
    assert m["field_data_type"] == "multi_entity"
    assert [x["id"] for x in m["added"]] == [a3["id"]]
    assert [x["id"] for x in m["removed"]] == [a1["id"]]
    assert "old_value" not in m
    for b in ev[1:]:
        assert b["meta"]["actual_attribute_changed"] == "Shot.assets"
        assert b["meta"]["original_event_log_entry_id"] == ev[0]["id"]
        assert b["meta"]["entity_type"] == "Shot" and b["meta"]["entity_id"] == shot["id"]
    assert {b["entity"]["id"] for b in ev[1:]} == {a1["id"], a3["id"]}
    assert sg.find_one("Asset", [["id", "is", a3["id"]]], ["shots"])["shots"][0]["id"] == shot["id"]
    # update() results show links with "valid" (reference, section 3.5).
    r = sg.update("Shot", shot["id"], {"sg_cut_in": 7, "assets": [a3]})
    assert r["assets"] == [{"type": "Asset", "id": a3["id"], "name": "a3", "valid": "valid"}]
    sg.update("Shot", shot["id"], {"assets": [a2, a3]})
    # add and remove modes in one call, on two fields.
    t = sg.create("Task", {"content": "t"})
    before = last_event_id(sg)
    sg.update("Shot", shot["id"], {"assets": [a1], "tasks": [t]},
              multi_entity_update_modes={"assets": "add", "tasks": "add"})
    sg.update("Shot", shot["id"], {"assets": [a2]}, multi_entity_update_modes={"assets": "remove"})
    now = sg.find_one("Shot", [["id", "is", shot["id"]]], ["assets", "tasks"])
    assert [x["id"] for x in now["assets"]] == [a3["id"], a1["id"]]
    assert [x["id"] for x in now["tasks"]] == [t["id"]]
    assert sg.find_one("Task", [["id", "is", t["id"]]], ["entity"])["entity"]["id"] == shot["id"]
    ev = events_after(sg, before)
    assert ("Shotgun_Task_Change", "entity") in kinds(ev)


def test_task_moves_between_shots(sg):
    s1 = sg.create("Shot", {"code": "s1"})
    s2 = sg.create("Shot", {"code": "s2"})
    t = sg.create("Task", {"content": "comp", "entity": s1})
    before = last_event_id(sg)
    sg.update("Task", t["id"], {"entity": s2})
    ev = events_after(sg, before)
    assert kinds(ev) == [("Shotgun_Task_Change", "entity"), ("Shotgun_Shot_Change", "tasks"),
                         ("Shotgun_Shot_Change", "tasks")]
    assert ev[0]["meta"]["old_value"]["id"] == s1["id"] and ev[0]["meta"]["new_value"]["id"] == s2["id"]
    assert ev[1]["entity"]["id"] == s1["id"] and ev[1]["meta"]["removed"][0]["id"] == t["id"]
    assert ev[2]["entity"]["id"] == s2["id"] and ev[2]["meta"]["added"][0]["id"] == t["id"]
    assert ev[1]["meta"]["actual_attribute_changed"] == "Task.entity"
    assert sg.find_one("Shot", [["id", "is", s1["id"]]], ["tasks"])["tasks"] == []


def test_delete_and_revive(sg):
    a = sg.create("Asset", {"code": "gone"})
    before = last_event_id(sg)
    assert sg.delete("Asset", a["id"]) is True
    assert sg.delete("Asset", a["id"]) is False
    ev = events_after(sg, before)
    assert kinds(ev) == [("Shotgun_Asset_Change", "retirement_date"), ("Shotgun_Asset_Retirement", None)]
    assert ev[0]["meta"]["old_value"] is None
    assert ev[0]["meta"]["new_value"].endswith(" UTC")  # "YYYY-MM-DD HH:MM:SS UTC", not converted
    ret = ev[1]["meta"]
    assert ret["type"] == "entity_retirement" and ret["class_name"] == "Asset" and ret["display_name"] == "gone"
    assert ret["retirement_date"] == ev[0]["meta"]["new_value"]
    assert ev[1]["entity"] is None  # the entity is retired
    assert sg.find("Asset", [["id", "is", a["id"]]]) == []

    before = last_event_id(sg)
    assert sg.revive("Asset", a["id"]) is True
    assert sg.revive("Asset", a["id"]) is False
    ev = events_after(sg, before)
    assert kinds(ev) == [("Shotgun_Asset_Change", "retirement_date"), ("Shotgun_Asset_Revival", None)]
    assert ev[0]["meta"]["new_value"] is None
    assert ev[1]["meta"]["type"] == "entity_revival"
    assert ev[1]["entity"]["id"] == a["id"]
    with pytest.raises(shotgun_api3.Fault, match=r"API delete\(\) CRUD ERROR #3: Entity of type \[Asset\] with id=999"):
        sg.delete("Asset", 999)


def test_batch_is_all_or_nothing(sg):
    keep = sg.create("Asset", {"code": "keep"})
    res = sg.batch([
        {"request_type": "create", "entity_type": "Shot", "data": {"code": "New Shot 1"}},
        {"request_type": "update", "entity_type": "Asset", "entity_id": keep["id"], "data": {"code": "kept"}},
        {"request_type": "delete", "entity_type": "Asset", "entity_id": keep["id"]},
    ])
    assert res[0]["type"] == "Shot" and res[0]["id"] > 0
    assert res[1]["code"] == "kept"
    assert res[2] is True
    shots = sg.find("Shot", [])
    before = last_event_id(sg)
    with pytest.raises(shotgun_api3.Fault, match=r"request with index 1 failed\.  All requests rolled back\."):
        sg.batch([
            {"request_type": "create", "entity_type": "Shot", "data": {"code": "New Shot 2"}},
            {"request_type": "update", "entity_type": "Shot", "entity_id": 424242, "data": {"code": "x"}},
        ])
    assert sg.find("Shot", []) == shots
    assert events_after(sg, before) == []
    assert sg.batch([]) == []


def test_write_faults(sg):
    p = sg.create("Project", {"name": "unique"})
    with pytest.raises(shotgun_api3.Fault, match=r"CRUD ERROR #61"):
        sg.create("Project", {"name": "unique"})
    with pytest.raises(shotgun_api3.Fault, match=r"expected \[Integer, NilClass\]"):
        sg.create("Shot", {"sg_cut_in": "ten"})
    with pytest.raises(shotgun_api3.Fault, match=r"Shot.sg_nope doesn't exist"):
        sg.create("Shot", {"sg_nope": 1})
    with pytest.raises(shotgun_api3.Fault, match=r"is not editable"):
        sg.update("Project", p["id"], {"updated_at": datetime.datetime.now()})
    with pytest.raises(shotgun_api3.Fault, match=r"does not exist"):
        sg.create("Shot", {"project": {"type": "Project", "id": 999}})
    with pytest.raises(shotgun_api3.Fault):
        sg.update("Shot", 999, {"code": "x"})


def test_custom_event_log_entries_can_be_created(sg):
    e = sg.create("EventLogEntry", {"event_type": "Toolkit_App_Startup", "description": "started",
                                    "meta": {"core": "v0.20"}})
    row = sg.find_one("EventLogEntry", [["id", "is", e["id"]]], ["event_type", "meta", "user"])
    assert row["event_type"] == "Toolkit_App_Startup"
    assert row["meta"] == {"core": "v0.20"}
    assert row["user"]["type"] == "ApiUser"
    with pytest.raises(shotgun_api3.Fault):
        sg.delete("EventLogEntry", e["id"])


def test_event_log_polling_like_sgcache(sg):
    """id > N, event_type in [...], sorted by id, paged: what sgcache's follower asks."""
    for i in range(30):
        sg.create("Asset", {"code": f"a{i}"})
    rows = sg.find("EventLogEntry",
                   [["id", "greater_than", 0],
                    ["event_type", "in", ["Shotgun_Asset_New", "Shotgun_Asset_Retirement"]]],
                   ["id", "event_type", "entity"], order=[{"field_name": "id", "direction": "asc"}], limit=7, page=2)
    assert len(rows) == 7
    assert all(r["event_type"] == "Shotgun_Asset_New" for r in rows)
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)


def test_human_user_sessions_and_sudo(fake):
    site = fake("--user", "jdoe:pw")
    sg = site.sg()
    human = shotgun_api3.Shotgun(site.url, login="jdoe", password="pw")
    a = human.create("Asset", {"code": "by a person"})
    assert human.find_one("Asset", [["id", "is", a["id"]]], ["created_by"])["created_by"]["name"] == "jdoe"
    token = human.get_session_token()
    by_token = shotgun_api3.Shotgun(site.url, session_token=token)
    assert by_token.find_one("Asset", [["id", "is", a["id"]]])["id"] == a["id"]
    sudo = site.sg(sudo_as_login="jdoe")
    before = last_event_id(sg)
    sudo.create("Asset", {"code": "sudo"})
    ev = events_after(sg, before)
    assert ev[0]["user"]["type"] == "HumanUser"
    assert ev[0]["meta"]["sudo_actual_user"]["type"] == "ApiUser"
    with pytest.raises(shotgun_api3.AuthenticationFault):
        shotgun_api3.Shotgun(site.url, login="jdoe", password="wrong").find("Asset", [])
    with pytest.raises(shotgun_api3.AuthenticationFault, match="Can't authenticate script 'conformance'"):
        site.sg(key="wrong").find("Asset", [])
