#include "config/entity_config.hpp"

#include "config/yaml_reader.hpp"
#include "shotgun/filters.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>

namespace sgcache::config {

namespace json = boost::json;

namespace {

json::object parse_obj(std::string_view text) { return json::parse(text).as_object(); }

json::object link_properties() {
    return parse_obj(R"({"type":{"type":"keyword"},"id":{"type":"long"},
        "name":{"type":"keyword","ignore_above":256,"fields":{"text":{"type":"text"}}}})");
}

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
    std::string out;
    char buf[3];
    for (unsigned int i = 0; i < len; ++i) {
        std::snprintf(buf, sizeof buf, "%02x", digest[i]);
        out += buf;
    }
    return out;
}

}  // namespace

bool matches_pattern(std::string_view pattern, std::string_view name) {
    // Iterative wildcard match with backtracking to the last '*'.
    std::size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
    while (n < name.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = n;
        } else if (p < pattern.size() && pattern[p] == name[n]) {
            ++p;
            ++n;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            n = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

std::optional<json::object> mapping_for(const shotgun::field_schema& f, std::string& reason) {
    const std::string& t = f.data_type;
    if (f.has_query || t == "summary" || t == "calculated" || t == "pivot_column" || t == "query") {
        reason = t + " fields are computed by the site and change without events";
        return std::nullopt;
    }
    if (t == "password") {
        reason = "password fields hold secrets";
        return std::nullopt;
    }
    if (f.name == "id") return parse_obj(R"({"type":"long"})");
    if (t == "text") {
        // `lower` is what the proxy compares and sorts text with, as the site does
        // (case-insensitive, raw bytes breaking ties). The built-in `lowercase` normalizer: a
        // custom one needs the analysis-common module, which not every node has. It folds
        // more than ASCII letters; the proxy forwards what that could change (read_plan.hpp).
        // 8191 characters is the longest value whose UTF-8 is sure to fit Lucene's term limit.
        if (f.name == "code") {
            return parse_obj(R"({"type":"keyword","ignore_above":8191,"fields":{"text":{"type":"text"},
                "lower":{"type":"keyword","ignore_above":8191,"normalizer":"lowercase"}}})");
        }
        return parse_obj(R"({"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":8191},
            "lower":{"type":"keyword","ignore_above":8191,"normalizer":"lowercase"}}})");
    }
    if (t == "number" || t == "duration" || t == "timecode" || t == "percent") return parse_obj(R"({"type":"long"})");
    if (t == "float" || t == "currency") return parse_obj(R"({"type":"double"})");
    if (t == "checkbox") return parse_obj(R"({"type":"boolean"})");
    if (t == "date") return parse_obj(R"({"type":"date","format":"yyyy-MM-dd"})");
    if (t == "date_time") {
        return parse_obj(R"({"type":"date","format":"strict_date_time_no_millis||strict_date_optional_time||epoch_millis"})");
    }
    if (t == "list" || t == "status_list" || t == "color" || t == "entity_type" || t == "uuid" || t == "footage" ||
        t == "tag_list") {
        return parse_obj(R"({"type":"keyword","ignore_above":1024})");
    }
    if (t == "entity") {
        json::object m;
        m["type"] = "object";
        m["dynamic"] = false;  // extra keys (valid, status) stay in _source, unindexed
        m["properties"] = link_properties();
        return m;
    }
    if (t == "multi_entity" || t == "addressing") {
        json::object m;
        m["type"] = "nested";
        m["dynamic"] = false;
        m["properties"] = link_properties();
        return m;
    }
    if (t == "url") {
        return parse_obj(R"({"type":"object","dynamic":false,"properties":{
            "name":{"type":"keyword","ignore_above":1024},"url":{"type":"keyword","ignore_above":4096},
            "link_type":{"type":"keyword"},"content_type":{"type":"keyword"},
            "local_path":{"type":"keyword","ignore_above":4096}}})");
    }
    if (t == "image") return parse_obj(R"({"type":"keyword","index":false,"doc_values":false})");
    if (t == "serializable") return parse_obj(R"({"type":"object","enabled":false})");
    reason = "data type '" + t + "' is not supported";
    return std::nullopt;
}

std::vector<std::string> entity_config::field_names() const {
    std::vector<std::string> out;
    for (const auto& f : fields) out.push_back(f.name);
    return out;
}

std::string entity_config::hash() const {
    json::object canon;
    canon["type"] = type;
    canon["filters"] = filters;
    json::array fs;
    for (const auto& f : fields) {
        json::object o;
        o["name"] = f.name;
        o["data_type"] = f.data_type;
        o["mapping"] = f.mapping;
        fs.push_back(std::move(o));
    }
    canon["fields"] = std::move(fs);
    // Boost.JSON keeps insertion order, and fields are sorted, so this text is canonical.
    return sha256_hex(json::serialize(canon));
}

entity_config generate(const shotgun::entity_schema& type, const generate_settings& opts) {
    entity_config cfg;
    cfg.type = type.type;
    for (const auto& [name, f] : type.fields) {
        std::string reason;
        const auto ignored = std::find_if(opts.ignore_fields.begin(), opts.ignore_fields.end(),
                                          [&](const std::string& p) { return matches_pattern(p, name); });
        if (ignored != opts.ignore_fields.end()) {
            cfg.excluded.push_back({name, "matches ignore_fields pattern '" + *ignored + "' of the configuration"});
            continue;
        }
        auto mapping = mapping_for(f, reason);
        if (!mapping) {
            cfg.excluded.push_back({name, reason});
            continue;
        }
        cfg.fields.push_back({name, f.data_type, std::move(*mapping)});
    }
    if (auto it = opts.default_filters.find(type.type); it != opts.default_filters.end()) {
        cfg.filters = it->second;
    } else if (auto star = opts.default_filters.find("*");
               star != opts.default_filters.end() && type.fields.count("project")) {
        cfg.filters = star->second;
    }
    return cfg;
}

std::string to_yaml(const entity_config& cfg, const std::string& header) {
    // JSON is valid YAML flow style, so mappings and filters are written as compact JSON:
    // exact, and easy to compare with what Elasticsearch and api3 show.
    std::string out;
    std::size_t start = 0;
    while (start < header.size()) {
        auto end = header.find('\n', start);
        if (end == std::string::npos) end = header.size();
        out += "# " + header.substr(start, end - start) + "\n";
        start = end + 1;
    }
    out += "type: " + cfg.type + "\n\n";
    out += "# Only entities matching these filters (shotgun_api3 list form) are cached; one that\n"
           "# stops matching becomes a tombstone, hidden from the live alias.\n";
    if (cfg.filters.empty()) {
        out += "filters: []\n\n";
    } else {
        out += "filters:\n";
        for (const auto& f : cfg.filters) out += "  - " + json::serialize(f) + "\n";
        out += "\n";
    }
    out += "# Cached fields: the Shotgun data type and the Elasticsearch mapping of each.\nfields:\n";
    for (const auto& f : cfg.fields) {
        out += "  " + f.name + ": {data_type: " + f.data_type + ", mapping: " + json::serialize(f.mapping) + "}\n";
    }
    if (!cfg.excluded.empty()) {
        out += "\n# Left out, with the reason. To cache one anyway, move it to `fields` with a mapping.\nexcluded:\n";
        for (const auto& e : cfg.excluded) out += "  " + e.name + ": " + json::serialize(json::string(e.reason)) + "\n";
    }
    return out;
}

entity_config load_entity_config(const std::filesystem::path& file) {
    const std::string name = file.string();
    YAML::Node root = load_yaml_file(name);
    map_reader top(root, name, "");
    entity_config cfg;
    cfg.file = file;
    cfg.type = top.required_text("type");
    if (cfg.type != file.stem().string()) {
        top.fail("type", "is '" + cfg.type + "' but the file is named " + file.filename().string() +
                             " (a config for type T lives in T.yaml)");
    }
    YAML::Node filters = top.raw("filters");
    if (filters && !filters.IsNull()) {
        json::value list = yaml_to_json(filters);
        try {
            shotgun::from_list_form(list);
        } catch (const std::invalid_argument& e) {
            top.fail("filters", e.what());
        }
        if (!list.is_array()) top.fail("filters", "expected a list of filters");
        cfg.filters = list.get_array();
    }
    YAML::Node fields = top.raw("fields");
    if (!fields || !fields.IsMap() || fields.size() == 0) top.fail("fields", "needs at least one field");
    for (const auto& kv : fields) {
        const std::string field = kv.first.Scalar();
        map_reader f(kv.second, name, "fields." + field);
        cached_field cf;
        cf.name = field;
        cf.data_type = f.required_text("data_type");
        json::value mapping = yaml_to_json(f.raw("mapping"));
        if (!mapping.is_object() || mapping.get_object().empty()) {
            f.fail("mapping", "must be an Elasticsearch mapping object such as {type: keyword}");
        }
        if (!mapping.get_object().contains("type") && !mapping.get_object().contains("properties")) {
            f.fail("mapping", "needs a \"type\" (or \"properties\")");
        }
        cf.mapping = mapping.get_object();
        f.finish();
        if (field.empty() || field.front() == '_' || field == "type") {
            throw config_error(name + ":" + std::to_string(kv.first.Mark().line + 1) + ": fields." + field +
                               ": this name is reserved by sgcache");
        }
        cfg.fields.push_back(std::move(cf));
    }
    std::sort(cfg.fields.begin(), cfg.fields.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    YAML::Node excluded = top.raw("excluded");
    if (excluded && excluded.IsMap()) {
        for (const auto& kv : excluded) cfg.excluded.push_back({kv.first.Scalar(), kv.second.IsScalar() ? kv.second.Scalar() : ""});
    }
    top.finish();
    return cfg;
}

std::vector<entity_config> load_entity_configs(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        throw config_error(dir.string() + ": the entity config folder does not exist (run sgcache generate-entity-configs)");
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.is_regular_file() && entry.path().extension() == ".yaml") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<entity_config> out;
    for (const auto& f : files) out.push_back(load_entity_config(f));
    return out;
}

json::object index_body(const entity_config& cfg, int shards, int replicas, const std::string& refresh) {
    json::object properties;
    properties["type"] = parse_obj(R"({"type":"keyword"})");
    properties["id"] = parse_obj(R"({"type":"long"})");
    for (const auto& f : cfg.fields) properties[f.name] = f.mapping;
    properties[meta_field] = parse_obj(R"({"properties":{
        "retired":{"type":"boolean"},
        "site_retired":{"type":"boolean"},
        "read_version":{"type":"long"},
        "read_at":{"type":"date"},
        "updated_at":{"type":"date","format":"strict_date_time_no_millis||strict_date_optional_time||epoch_millis"}}})");
    json::object mappings;
    // Not strict: a value the site sends that the mapping does not know is kept in _source
    // rather than failing the whole document.
    mappings["dynamic"] = false;
    mappings["properties"] = std::move(properties);
    json::object index;
    index["number_of_shards"] = shards;
    index["number_of_replicas"] = replicas;
    index["refresh_interval"] = refresh;
    // Real types have hundreds of fields and many multi-entity links.
    index["mapping.total_fields.limit"] = 5000;
    index["mapping.nested_fields.limit"] = 500;
    json::object settings;
    settings["index"] = std::move(index);
    json::object body;
    body["settings"] = std::move(settings);
    body["mappings"] = std::move(mappings);
    return body;
}

}  // namespace sgcache::config
