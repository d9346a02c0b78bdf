"""A seeded fuzz of the api3 endpoint: valid requests mutated at random (types swapped,
keys dropped, values nested, garbage inserted). Every answer must be well-formed JSON with
either results or a fault, and the site must stay up and consistent."""
import copy
import json
import random

from conftest import KEY, SCRIPT

AUTH = {"script_name": SCRIPT, "script_key": KEY}
SEEDS = [
    {"method_name": "read", "params": [AUTH, {
        "type": "Shot", "return_fields": ["code", "sg_sequence.Sequence.code", "assets", "tasks"],
        "filters": {"logical_operator": "and", "conditions": [
            {"path": "sg_status_list", "relation": "in", "values": ["ip", "fin"]},
            {"logical_operator": "or", "conditions": [
                {"path": "sg_cut_in", "relation": "between", "values": [1000, 1100]},
                {"path": "assets.Asset.code", "relation": "contains", "values": ["fox"]}]}]},
        "sorts": [{"field_name": "code", "direction": "desc"}],
        "paging": {"entities_per_page": 50, "current_page": 1}, "return_only": "active",
        "return_paging_info_without_counts": True}]},
    {"method_name": "summarize", "params": [AUTH, {
        "type": "Task", "summaries": [{"field": "id", "type": "count"}, {"field": "duration", "type": "sum"}],
        "filters": {"logical_operator": "and", "conditions": []},
        "grouping": [{"field": "entity", "type": "exact", "direction": "asc"},
                     {"field": "due_date", "type": "month", "direction": "desc"}]}]},
    {"method_name": "create", "params": [AUTH, {
        "type": "Shot", "fields": [{"field_name": "code", "value": "fz"},
                                   {"field_name": "assets", "value": [{"type": "Asset", "id": 1}]},
                                   {"field_name": "sg_cut_in", "value": 1001}],
        "return_fields": ["code", "project"]}]},
    {"method_name": "update", "params": [AUTH, {
        "type": "Task", "id": 3, "fields": [{"field_name": "entity", "value": {"type": "Shot", "id": 2}},
                                            {"field_name": "sg_status_list", "value": "ip"}]}]},
    {"method_name": "batch", "params": [AUTH, [
        {"request_type": "create", "type": "Asset", "fields": [{"field_name": "code", "value": "b"}]},
        {"request_type": "delete", "type": "Asset", "id": 2}]]},
    {"method_name": "delete", "params": [AUTH, {"type": "Version", "id": 5}]},
    {"method_name": "revive", "params": [AUTH, {"type": "Version", "id": 5}]},
    {"method_name": "schema_field_read", "params": [AUTH, {"type": "Shot", "field_name": "code"}]},
]
ODD = [None, True, 0, -1, 2 ** 63, 1.5e308, "", "x" * 3000, [], {}, [[[]]], {"type": "Shot"},
       {"type": "Shot", "id": -5}, "2023-02-30", "\u0000\ud7ff\u00e9", {"logical_operator": "xor"}]


def mutate(node, rnd, depth=0):
    if isinstance(node, dict) and node:
        k = rnd.choice(list(node))
        action = rnd.random()
        if action < 0.2:
            del node[k]
        elif action < 0.6 or depth > 6:
            node[k] = copy.deepcopy(rnd.choice(ODD))
        else:
            mutate(node[k], rnd, depth + 1)
    elif isinstance(node, list) and node:
        i = rnd.randrange(len(node))
        action = rnd.random()
        if action < 0.2:
            node.pop(i)
        elif action < 0.4:
            node.append(copy.deepcopy(node[i]))
        elif action < 0.6 or depth > 6:
            node[i] = copy.deepcopy(rnd.choice(ODD))
        else:
            mutate(node[i], rnd, depth + 1)


def test_fuzzed_requests_never_break_the_site(fake):
    site = fake("--generate", "studio:1500", "--seed", "3")
    rnd = random.Random(20240601)
    answered = faults = 0
    for _ in range(1500):
        req = copy.deepcopy(rnd.choice(SEEDS))
        for _ in range(rnd.randint(1, 4)):
            mutate(req, rnd)
        body = json.dumps(req).encode()
        if rnd.random() < 0.05:
            cut = rnd.randrange(len(body))
            body = body[:cut] + bytes([rnd.randrange(256)]) + body[cut + 1:]
        status, _, answer = site.post_raw(body)
        assert status == 200
        assert isinstance(answer, dict), answer
        assert ("results" in answer) != (answer.get("exception") is True), answer
        if "exception" in answer:
            assert isinstance(answer["message"], str) and answer["message"]
            assert "internal error" not in answer["message"], (req, answer)
            faults += 1
        answered += 1
    assert answered == 1500 and 100 < faults < 1500
    sg = site.sg()
    assert len(sg.find("Shot", [], ["code"], limit=0)) > 100  # still consistent and serving
