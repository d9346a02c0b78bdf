// Entity configs: the data type -> mapping table, generation rules, the YAML round trip and
// the hash that decides rebuilds, and the load errors.
#include "config/entity_config.hpp"
#include "config/yaml_reader.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace sgcache;
using namespace sgcache::config;

namespace {

shotgun::entity_schema shot_schema() {
    const char* schema = R"({"Shot": {
        "id": {"data_type": {"value": "number"}},
        "code": {"data_type": {"value": "text"}},
        "description": {"data_type": {"value": "text"}},
        "project": {"data_type": {"value": "entity"}, "properties": {"valid_types": {"value": ["Project"]}}},
        "assets": {"data_type": {"value": "multi_entity"}, "properties": {"valid_types": {"value": ["Asset"]}}},
        "sg_status_list": {"data_type": {"value": "status_list"}, "properties": {"valid_values": {"value": ["ip", "fin"]}}},
        "sg_cut_in": {"data_type": {"value": "number"}},
        "sg_frame_rate": {"data_type": {"value": "float"}},
        "sg_turnover": {"data_type": {"value": "date"}},
        "updated_at": {"data_type": {"value": "date_time"}},
        "sg_hero": {"data_type": {"value": "checkbox"}},
        "sg_data": {"data_type": {"value": "serializable"}},
        "sg_link": {"data_type": {"value": "url"}},
        "image": {"data_type": {"value": "image"}},
        "tag_list": {"data_type": {"value": "tag_list"}},
        "cached_display_name": {"data_type": {"value": "text"}},
        "sg_uploaded_movie_mp4": {"data_type": {"value": "url"}},
        "step_0": {"data_type": {"value": "pivot_column"}},
        "sg_task_count": {"data_type": {"value": "summary"}, "properties": {"query": {"value": {}}}},
        "sg_secret": {"data_type": {"value": "password"}},
        "sg_future": {"data_type": {"value": "hologram"}}
    }})";
    auto schema_v = json::parse(schema).as_object();
    auto site = shotgun::parse_schema(schema_v, json::parse(R"({"Shot":{"name":{"value":"Plan"}}})").as_object());
    return site.types.at("Shot");
}

struct temp_dir {
    fs::path path = fs::temp_directory_path() / ("sgct-ec-" + std::to_string(::getpid()) + "-" + std::to_string(rand()));
    temp_dir() { fs::create_directories(path); }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    fs::path write(const std::string& name, const std::string& text) const {
        std::ofstream(path / name) << text;
        return path / name;
    }
};

std::string load_error(const temp_dir& d, const std::string& name, const std::string& text) {
    auto file = d.write(name, text);
    try {
        load_entity_config(file);
    } catch (const config_error& e) {
        std::string msg = e.what();
        const std::string prefix = file.string();
        if (msg.rfind(prefix, 0) == 0) msg = name + msg.substr(prefix.size());
        return msg;
    }
    return "loaded";
}

}  // namespace

TEST_CASE("entity config: ignore patterns") {
    CHECK(matches_pattern("sg_uploaded_movie*", "sg_uploaded_movie"));
    CHECK(matches_pattern("sg_uploaded_movie*", "sg_uploaded_movie_mp4"));
    CHECK(matches_pattern("*_display_*", "cached_display_name"));
    CHECK(matches_pattern("billboard", "billboard"));
    CHECK_FALSE(matches_pattern("billboard", "billboards"));
    CHECK_FALSE(matches_pattern("sg_*_x", "sg_a_y"));
    CHECK(matches_pattern("*", "anything"));
}

TEST_CASE("entity config: the data type -> mapping table") {
    auto s = shot_schema();
    std::string reason;
    auto m = [&](const char* field) {
        reason.clear();
        auto r = mapping_for(s.fields.at(field), reason);
        return r ? json::serialize(*r) : std::string("excluded");
    };
    CHECK(m("id") == R"({"type":"long"})");
    CHECK(m("code") == R"({"type":"keyword","ignore_above":8191,"fields":{"text":{"type":"text"},)"
                       R"("lower":{"type":"keyword","ignore_above":8191,"normalizer":"lowercase"}}})");
    CHECK(m("description") == R"({"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":8191},)"
                              R"("lower":{"type":"keyword","ignore_above":8191,"normalizer":"lowercase"}}})");
    CHECK(m("sg_status_list") == R"({"type":"keyword","ignore_above":1024})");
    CHECK(m("sg_cut_in") == R"({"type":"long"})");
    CHECK(m("sg_frame_rate") == R"({"type":"double"})");
    CHECK(m("sg_turnover") == R"({"type":"date","format":"yyyy-MM-dd"})");
    CHECK(m("updated_at").find(R"("type":"date")") != std::string::npos);
    CHECK(m("sg_hero") == R"({"type":"boolean"})");
    CHECK(m("sg_data") == R"({"type":"object","enabled":false})");
    CHECK(m("project").find(R"("type":"object")") == 1);
    CHECK(m("project").find(R"("id":{"type":"long"})") != std::string::npos);
    CHECK(m("assets").find(R"("type":"nested")") == 1);
    CHECK(m("tag_list") == R"({"type":"keyword","ignore_above":1024})");
    CHECK(m("image") == R"({"type":"keyword","index":false,"doc_values":false})");
    CHECK(m("sg_link").find(R"("url":{"type":"keyword")") != std::string::npos);
    CHECK(m("step_0") == "excluded");
    CHECK(reason.find("change without events") != std::string::npos);
    CHECK(m("sg_task_count") == "excluded");
    CHECK(m("sg_secret") == "excluded");
    CHECK(reason == "password fields hold secrets");
    CHECK(m("sg_future") == "excluded");
    CHECK(reason == "data type 'hologram' is not supported");
}

TEST_CASE("entity config: generation leaves out ignored and computed fields, with reasons, and adds filters") {
    generate_settings opts;  // defaults: skip archived projects, the usual ignore list
    auto cfg = generate(shot_schema(), opts);
    CHECK(cfg.type == "Shot");
    std::vector<std::string> names = cfg.field_names();
    CHECK(std::is_sorted(names.begin(), names.end()));
    CHECK(std::count(names.begin(), names.end(), "code") == 1);
    CHECK(std::count(names.begin(), names.end(), "cached_display_name") == 0);
    CHECK(std::count(names.begin(), names.end(), "sg_uploaded_movie_mp4") == 0);
    std::map<std::string, std::string> why;
    for (const auto& e : cfg.excluded) why[e.name] = e.reason;
    CHECK(why.size() == 6);
    CHECK(why["sg_uploaded_movie_mp4"] == "matches ignore_fields pattern 'sg_uploaded_movie*' of the configuration");
    CHECK(why.count("step_0"));
    CHECK(why.count("sg_task_count"));
    CHECK(json::serialize(cfg.filters) == R"([["project.Project.archived","is_not",true]])");

    // A type without a project field gets no "*" filters.
    shotgun::entity_schema plain;
    plain.type = "HumanUser";
    plain.fields["login"] = {"login", "Login", "text", {}, {}, false};
    CHECK(generate(plain, opts).filters.empty());
}

TEST_CASE("entity config: YAML round trip keeps fields, filters and the hash") {
    temp_dir d;
    auto cfg = generate(shot_schema(), generate_settings{});
    const std::string text = to_yaml(cfg, "Entity config for Shot\nsecond line");
    CHECK(text.rfind("# Entity config for Shot\n# second line\ntype: Shot\n", 0) == 0);
    auto loaded = load_entity_config(d.write("Shot.yaml", text));
    CHECK(loaded.type == "Shot");
    CHECK(loaded.field_names() == cfg.field_names());
    CHECK(loaded.filters == cfg.filters);
    CHECK(loaded.excluded.size() == cfg.excluded.size());
    CHECK(loaded.hash() == cfg.hash());
    CHECK(loaded.hash().size() == 64);

    // Any change that alters the index content changes the hash; comments do not.
    auto edited = loaded;
    edited.fields[0].mapping["type"] = "keyword";
    CHECK(edited.hash() != cfg.hash());
    auto fewer = loaded;
    fewer.fields.pop_back();
    CHECK(fewer.hash() != cfg.hash());
    auto refiltered = loaded;
    refiltered.filters.clear();
    CHECK(refiltered.hash() != cfg.hash());
    auto commented = load_entity_config(d.write("Shot.yaml", "# a comment\n" + text));
    CHECK(commented.hash() == cfg.hash());
}

TEST_CASE("entity config load errors: name the file, line and key") {
    temp_dir d;
    CHECK(load_error(d, "Shot.yaml", "type: Asset\nfields:\n  code: {data_type: text, mapping: {type: keyword}}\n") ==
          "Shot.yaml:1: type: is 'Asset' but the file is named Shot.yaml (a config for type T lives in T.yaml)");
    CHECK(load_error(d, "Shot.yaml", "type: Shot\nfields:\n  code: {data_type: text, mapping: {type: keyword}}\nfilter: []\n") ==
          "Shot.yaml:4: unknown key 'filter' (did you mean 'filters'?)");
    CHECK(load_error(d, "Shot.yaml", "type: Shot\nfields:\n  code: {data_type: text}\n") ==
          "Shot.yaml:3: fields.code.mapping: must be an Elasticsearch mapping object such as {type: keyword}");
    CHECK(load_error(d, "Shot.yaml", "type: Shot\nfields:\n  code: {mapping: {type: keyword}}\n") ==
          "Shot.yaml:3: fields.code.data_type: is required");
    CHECK(load_error(d, "Shot.yaml",
                     "type: Shot\nfilters:\n  - [code, is_maybe, x]\nfields:\n  code: {data_type: text, mapping: {type: keyword}}\n") ==
          "Shot.yaml:2: filters: filters[0][1]: unknown relation 'is_maybe'");
    CHECK(load_error(d, "Shot.yaml", "type: Shot\nfields: {}\n") == "Shot.yaml:2: fields: needs at least one field");
    CHECK(load_error(d, "Shot.yaml", "type: Shot\nfields:\n  _sgcache: {data_type: text, mapping: {type: keyword}}\n") ==
          "Shot.yaml:3: fields._sgcache: this name is reserved by sgcache");
    CHECK(load_error(d, "Shot.yaml", "type: Shot\nfields:\n  code: {data_type: text, mapping: {type: keyword, typo: 1}, extra: 2}\n") ==
          "Shot.yaml:3: unknown key 'fields.code.extra'");
}

TEST_CASE("entity config: a folder loads sorted; a missing folder is a clear error") {
    temp_dir d;
    d.write("Shot.yaml", "type: Shot\nfields:\n  code: {data_type: text, mapping: {type: keyword}}\n");
    d.write("Asset.yaml", "type: Asset\nfields:\n  code: {data_type: text, mapping: {type: keyword}}\n");
    d.write("notes.txt", "not a config");
    auto all = load_entity_configs(d.path);
    REQUIRE(all.size() == 2);
    CHECK(all[0].type == "Asset");
    CHECK(all[1].type == "Shot");
    CHECK_THROWS_WITH_AS(load_entity_configs(d.path / "nope"), doctest::Contains("does not exist"), config_error);
}

TEST_CASE("entity config: the index body has the cached fields, type, id and the reserved metadata") {
    auto cfg = generate(shot_schema(), generate_settings{});
    auto body = index_body(cfg, 1, 0, "-1");
    const auto& props = body.at("mappings").at("properties").as_object();
    CHECK(props.contains("code"));
    CHECK(props.contains("type"));
    CHECK(props.contains("id"));
    CHECK(props.at(meta_field).at("properties").as_object().contains("read_version"));
    CHECK(body.at("settings").at("index").at("refresh_interval").as_string() == "-1");
    CHECK(body.at("settings").at("index").at("number_of_replicas").as_int64() == 0);
}
