"""Schema reads through the real client, on the studio schema and on a real site's 77-type
schema loaded with --schema (api3 reference, section 3.9)."""
import json

import pytest
import shotgun_api3

from conftest import SHARED_DATA

REQUIRED_TYPES = {"Project", "HumanUser", "ApiUser", "Step", "Sequence", "Shot", "Asset", "Task", "Version",
                  "PublishedFile", "Note", "Playlist", "EventLogEntry"}
COMMON_DATA_TYPES = {"text", "number", "float", "checkbox", "date", "date_time", "list", "status_list", "entity",
                     "multi_entity", "tag_list", "url", "serializable", "image", "duration", "percent", "color",
                     "uuid"}


def test_studio_schema_reads(sg):
    schema = sg.schema_read()
    assert set(schema) == REQUIRED_TYPES
    seen = {f["data_type"]["value"] for fields in schema.values() for f in fields.values()}
    assert COMMON_DATA_TYPES <= seen
    code = schema["Shot"]["code"]
    assert set(code) >= {"name", "description", "entity_type", "data_type", "editable", "mandatory", "unique",
                         "properties", "visible"}
    assert code["data_type"] == {"value": "text", "editable": False}
    assert code["entity_type"]["value"] == "Shot"
    status = schema["Shot"]["sg_status_list"]["properties"]
    assert "wtg" in status["valid_values"]["value"]
    assert status["default_value"]["value"] == "wtg"
    assert status["display_values"]["value"]["ip"] == "In Progress"
    entities = sg.schema_entity_read()
    assert set(entities) == REQUIRED_TYPES
    assert entities["HumanUser"]["name"] == {"value": "Person", "editable": False}
    assert sg.schema_field_read("Asset", "shots") == {"shots": schema["Asset"]["shots"]}
    assert sg.schema_field_read("Asset") == schema["Asset"]
    assert sg.schema_read({"type": "Project", "id": 1}) == schema  # per-project reads: all visible
    with pytest.raises(shotgun_api3.Fault):
        sg.schema_field_read("NoSuchType")
    with pytest.raises(shotgun_api3.Fault):
        sg.schema_field_read("Asset", "no_such_field")


def test_back_reference_pairs_of_the_issue_exist(sg):
    schema = sg.schema_read()
    pairs = [("Task", "entity", "Shot", "tasks"), ("Task", "entity", "Asset", "tasks"),
             ("Shot", "assets", "Asset", "shots"), ("Version", "entity", "Shot", "versions"),
             ("Playlist", "versions", "Version", "playlists")]
    for a, fa, b, fb in pairs:
        assert b in schema[a][fa]["properties"]["valid_types"]["value"]
        assert a in schema[b][fb]["properties"]["valid_types"]["value"]
    # And they behave as pairs: set one side, read the other.
    shot = sg.create("Shot", {"code": "s"})
    v = sg.create("Version", {"code": "v", "entity": shot})
    pl = sg.create("Playlist", {"code": "p", "versions": [v]})
    assert sg.find_one("Shot", [["id", "is", shot["id"]]], ["versions"])["versions"][0]["id"] == v["id"]
    assert sg.find_one("Version", [["id", "is", v["id"]]], ["playlists"])["playlists"][0]["id"] == pl["id"]


def test_real_77_type_schema(fake):
    site = fake("--schema", str(SHARED_DATA / "shotgun-schema.json"))
    sg = site.sg()
    with open(SHARED_DATA / "shotgun-schema.json") as f:
        expected = json.load(f)
    with open(SHARED_DATA / "shotgun-schema-entity.json") as f:
        expected_entities = json.load(f)
    schema = sg.schema_read()
    assert len(schema) == 77
    assert schema == expected  # served exactly as the site reported it
    assert sg.schema_entity_read() == expected_entities
    assert sum(len(v) for v in schema.values()) == 1035
    # The site works on it: every type can be read, links and back-references behave.
    for t in schema:
        sg.find(t, [], ["id"], limit=1)
    shot = sg.create("Shot", {"code": "s1", "sg_status_list": "ip"})
    task = sg.create("Task", {"content": "t", "entity": shot})
    assert sg.find_one("Shot", [["id", "is", shot["id"]]], ["tasks"])["tasks"][0]["id"] == task["id"]
    with pytest.raises(shotgun_api3.Fault):
        sg.create("Shot", {"sg_status_list": "not-a-status"})


def test_real_schema_with_a_generated_studio(fake):
    site = fake("--schema", str(SHARED_DATA / "shotgun-schema.json"), "--generate", "studio:3000", "--seed", "2")
    sg = site.sg()
    counts = {t: sg.summarize(t, [], [{"field": "id", "type": "record_count"}])["summaries"]["id"]
              for t in ("Project", "Sequence", "Shot", "Asset", "Task", "Version", "Note", "Playlist")}
    assert counts["Task"] > counts["Shot"] > counts["Asset"] > 0
    assert counts["Version"] > 0 and counts["Playlist"] > 0
    shot = sg.find_one("Shot", [], ["code", "sg_sequence", "tasks", "assets"])
    assert shot["sg_sequence"]["type"] == "Sequence"
    assert len(shot["tasks"]) == 4


def test_committed_schema_files_match_the_built_in_schema(fake, sg):
    """tools/fake-shotgun/schema/*.json are `fake-shotgun --dump-schema` output; loading them
    must give the same site as the built-in schema."""
    from conftest import ROOT
    folder = ROOT / "tools" / "fake-shotgun" / "schema"
    site = fake("--schema", str(folder / "studio-schema.json"))
    other = site.sg()
    assert other.schema_read() == sg.schema_read()
    assert other.schema_entity_read() == sg.schema_entity_read()


def test_schema_field_delete_retires_a_custom_field_and_logs_it(fake):
    site = fake("--generate", "studio:300", "--seed", "5")
    sg = site.sg()
    assert "sg_cut_order" in sg.schema_field_read("Shot")
    last = sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])
    assert sg.schema_field_delete("Shot", "sg_cut_order") is True
    assert "sg_cut_order" not in sg.schema_field_read("Shot")
    assert "sg_cut_order" not in sg.schema_read()["Shot"]
    with pytest.raises(shotgun_api3.Fault):
        sg.schema_field_read("Shot", "sg_cut_order")
    with pytest.raises(shotgun_api3.Fault, match="sg_cut_order"):
        sg.find("Shot", [["sg_cut_order", "is", 1]])
    with pytest.raises(shotgun_api3.Fault, match="sg_cut_order"):
        sg.update("Shot", 1, {"sg_cut_order": 3})
    with pytest.raises(shotgun_api3.Fault, match="not a custom field"):
        sg.schema_field_delete("Shot", "code")
    with pytest.raises(shotgun_api3.Fault, match="doesn't exist"):
        sg.schema_field_delete("Shot", "sg_cut_order")
    rows = sg.find("EventLogEntry", [["id", "greater_than", last["id"]]], ["event_type", "meta"])
    assert [r["event_type"] for r in rows] == ["Shotgun_DisplayColumn_Retirement"]
    assert rows[0]["meta"]["field_entity_type"] == "Shot"
    assert rows[0]["meta"]["field_name"] == "sg_cut_order"
    # The other fields of Shot are untouched.
    shot = sg.find_one("Shot", [["sg_cut_in", "is", 1001]], ["code", "sg_cut_in"])
    assert shot["code"] and shot["sg_cut_in"] == 1001


def test_schema_field_create_adds_a_field_and_a_deleted_name_comes_back_retyped(fake):
    site = fake("--generate", "studio:300", "--seed", "5")
    sg = site.sg()
    last = sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])
    # The name comes from the display name; a clash gets a suffix.
    assert sg.schema_field_create("Shot", "number", "Lens Count") == "sg_lens_count"
    assert sg.schema_field_create("Shot", "text", "Lens Count") == "sg_lens_count_1"
    field = sg.schema_field_read("Shot", "sg_lens_count")["sg_lens_count"]
    assert field["data_type"]["value"] == "number"
    assert field["name"]["value"] == "Lens Count"
    assert sg.schema_read()["Shot"]["sg_lens_count_1"]["data_type"]["value"] == "text"
    # Existing rows read it empty; it can be written, filtered and read back.
    shot = sg.find_one("Shot", [], ["code", "sg_lens_count"])
    assert shot["sg_lens_count"] is None
    sg.update("Shot", shot["id"], {"sg_lens_count": 3})
    assert sg.find("Shot", [["sg_lens_count", "is", 3]], ["id"]) == [{"type": "Shot", "id": shot["id"]}]
    # A list keeps its valid values; a created shot gets the field too.
    assert sg.schema_field_create("Asset", "list", "Rig Kind", {"valid_values": ["biped", "quad"]}) == "sg_rig_kind"
    assert sg.schema_field_read("Asset", "sg_rig_kind")["sg_rig_kind"]["properties"]["valid_values"]["value"] == \
        ["biped", "quad"]
    created = sg.create("Shot", {"code": "new-with-field", "project": shot.get("project") or
                                 sg.find_one("Project", [], ["id"]), "sg_lens_count": 2})
    assert sg.find_one("Shot", [["id", "is", created["id"]]], ["sg_lens_count"])["sg_lens_count"] == 2
    # A text field deleted then created again as a number: same name, new type, old values gone.
    assert sg.find_one("Shot", [["sg_cut_order", "is_not", None]], ["sg_cut_order"]) is not None
    sg.schema_field_delete("Shot", "sg_cut_order")
    assert sg.schema_field_create("Shot", "text", "Cut Order") == "sg_cut_order"
    assert sg.schema_field_read("Shot", "sg_cut_order")["sg_cut_order"]["data_type"]["value"] == "text"
    assert sg.find("Shot", [["sg_cut_order", "is_not", None]], ["id"]) == []
    rows = sg.find("EventLogEntry", [["id", "greater_than", last["id"]]], ["event_type", "meta"])
    kinds = [(r["event_type"], r["meta"].get("field_entity_type"), r["meta"].get("field_name")) for r in rows
             if r["event_type"].startswith("Shotgun_DisplayColumn_")]
    assert kinds == [("Shotgun_DisplayColumn_New", "Shot", "sg_lens_count"),
                     ("Shotgun_DisplayColumn_New", "Shot", "sg_lens_count_1"),
                     ("Shotgun_DisplayColumn_New", "Asset", "sg_rig_kind"),
                     ("Shotgun_DisplayColumn_Retirement", "Shot", "sg_cut_order"),
                     ("Shotgun_DisplayColumn_New", "Shot", "sg_cut_order")]
    # Refusals name the culprit and change nothing.
    with pytest.raises(shotgun_api3.Fault, match="entity"):
        sg.schema_field_create("Shot", "entity", "Hero")
    with pytest.raises(shotgun_api3.Fault, match="NoSuchType"):
        sg.schema_field_create("NoSuchType", "text", "X")
    assert "sg_hero" not in sg.schema_field_read("Shot")
