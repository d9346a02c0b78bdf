#include "schema.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sgcache::fake_shotgun {

namespace {

struct type_name {
    data_type type;
    std::string_view name;
};

constexpr std::array<type_name, 27> type_names{{
    {data_type::text, "text"},
    {data_type::number, "number"},
    {data_type::float_, "float"},
    {data_type::checkbox, "checkbox"},
    {data_type::date, "date"},
    {data_type::date_time, "date_time"},
    {data_type::list, "list"},
    {data_type::status_list, "status_list"},
    {data_type::entity, "entity"},
    {data_type::multi_entity, "multi_entity"},
    {data_type::tag_list, "tag_list"},
    {data_type::url, "url"},
    {data_type::serializable, "serializable"},
    {data_type::image, "image"},
    {data_type::duration, "duration"},
    {data_type::percent, "percent"},
    {data_type::color, "color"},
    {data_type::uuid, "uuid"},
    {data_type::entity_type, "entity_type"},
    {data_type::password, "password"},
    {data_type::pivot_column, "pivot_column"},
    {data_type::currency, "currency"},
    {data_type::timecode, "timecode"},
    {data_type::footage, "footage"},
    {data_type::summary, "summary"},
    {data_type::calculated, "calculated"},
    {data_type::addressing, "addressing"},
}};

// Back-reference pairs a real site keeps in step: setting one side changes the other, and
// the event log records both (api3 reference, section 6.4 d). "*" stands for every type
// the first field may point at. A pair is wired only when both fields exist and accept
// each other's type, so the same table serves the studio schema and a real site's schema.
struct pair_spec {
    std::string_view type;
    std::string_view field;
    std::string_view other_type;
    std::string_view other_field;
};

constexpr std::array<pair_spec, 15> known_pairs{{
    {"Task", "entity", "*", "tasks"},
    {"Version", "entity", "*", "versions"},
    {"PublishedFile", "entity", "*", "published_files"},
    {"Note", "note_links", "*", "notes"},
    {"Note", "tasks", "Task", "notes"},
    {"Shot", "assets", "Asset", "shots"},
    {"Shot", "sg_sequence", "Sequence", "shots"},
    {"Asset", "sequences", "Sequence", "assets"},
    {"Asset", "parents", "Asset", "assets"},
    {"Shot", "parent_shots", "Shot", "shots"},
    {"Task", "upstream_tasks", "Task", "downstream_tasks"},
    {"Playlist", "versions", "Version", "playlists"},
    {"PublishedFile", "version", "Version", "published_files"},
    {"Version", "sg_task", "Task", "sg_versions"},
    {"Project", "users", "HumanUser", "projects"},
}};

// The field whose value is a link's "name": a per-type choice where the site has one,
// then the first of the usual suspects.
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> name_overrides{{
    {"Task", "content"},
    {"Note", "subject"},
    {"Reply", "content"},
    {"ApiUser", "firstname"},
    {"HumanUser", "name"},
    {"Project", "name"},
    {"Attachment", "filename"},
    {"EventLogEntry", "description"},
}};
constexpr std::array<std::string_view, 6> name_candidates{"code",    "name",    "title",
                                                          "content", "subject", "firstname"};

const json::value* unwrap(const json::object& o, std::string_view key) {
    // Every property in schema_read() is wrapped as {"value": ..., "editable": ...}; accept
    // a bare value too, which hand-written schema files tend to use.
    auto it = o.find(key);
    if (it == o.end()) return nullptr;
    if (auto* w = it->value().if_object()) {
        if (auto* v = w->if_contains("value")) return v;
    }
    return &it->value();
}

std::string string_or(const json::value* v, std::string_view fallback) {
    if (v && v->is_string()) return std::string(v->as_string());
    return std::string(fallback);
}

bool bool_or(const json::value* v, bool fallback) {
    if (v && v->is_bool()) return v->as_bool();
    return fallback;
}

std::vector<std::string> strings_of(const json::value* v) {
    std::vector<std::string> out;
    if (!v || !v->is_array()) return out;
    for (const auto& e : v->as_array()) {
        if (e.is_string()) out.emplace_back(e.as_string());
    }
    return out;
}

// "CustomEntity01" -> "Custom Entity01", "PublishedFile" -> "Published File".
// A field_def from its schema_read() entry (index and back references left to the caller).
// Throws std::invalid_argument naming the field when it has no data_type.
field_def field_from_json(const std::string& type, const std::string& fname, const json::object& fo) {
    field_def f;
    f.name = fname;
    f.entity_type = type;
    const auto* dt = unwrap(fo, "data_type");
    if (!dt || !dt->is_string()) {
        throw std::invalid_argument("schema: " + type + "." + fname + " has no data_type");
    }
    f.type = parse_data_type(dt->as_string());
    f.display_name = string_or(unwrap(fo, "name"), fname);
    f.editable = bool_or(unwrap(fo, "editable"), true);
    f.mandatory = bool_or(unwrap(fo, "mandatory"), false);
    f.unique = bool_or(unwrap(fo, "unique"), false);
    if (const auto* props = fo.if_contains("properties"); props && props->is_object()) {
        const auto& po = props->as_object();
        f.valid_types = strings_of(unwrap(po, "valid_types"));
        f.valid_values = strings_of(unwrap(po, "valid_values"));
        if (const auto* dv = unwrap(po, "default_value")) f.default_value = *dv;
    }
    // Some old schemas default checkboxes to 0/1; a checkbox reads as a bool.
    if (f.type == data_type::checkbox) {
        if (f.default_value.is_int64()) f.default_value = f.default_value.as_int64() != 0;
        if (!f.default_value.is_bool()) f.default_value = false;
    }
    return f;
}

std::string spaced(std::string_view type) {
    std::string out;
    for (std::size_t i = 0; i < type.size(); ++i) {
        if (i > 0 && std::isupper(static_cast<unsigned char>(type[i])) &&
            std::islower(static_cast<unsigned char>(type[i - 1]))) {
            out += ' ';
        }
        out += type[i];
    }
    return out;
}

json::object wrap(json::value v, bool editable) {
    return json::object{{"value", std::move(v)}, {"editable", editable}};
}

}  // namespace

std::string_view to_string(data_type t) noexcept {
    for (const auto& n : type_names) {
        if (n.type == t) return n.name;
    }
    return "unknown";
}

data_type parse_data_type(std::string_view name) noexcept {
    for (const auto& n : type_names) {
        if (n.name == name) return n.type;
    }
    return data_type::unknown;
}

bool field_def::accepts_type(std::string_view t) const noexcept {
    return std::find(valid_types.begin(), valid_types.end(), t) != valid_types.end();
}

const field_def* entity_def::find(std::string_view field) const noexcept {
    auto it = by_name.find(field);
    return it == by_name.end() ? nullptr : &fields[it->second];
}

schema::schema(const json::value& schema_read, const json::value& entity_read) {
    const auto* types = schema_read.if_object();
    if (!types) throw std::invalid_argument("schema: expected an object of entity types");
    const json::object* names = entity_read.if_object();

    for (const auto& [type_key, fields_v] : *types) {
        std::string type(type_key);
        const auto* fields = fields_v.if_object();
        if (!fields) throw std::invalid_argument("schema: " + type + " is not an object of fields");
        auto def = std::make_unique<entity_def>();
        def->name = type;
        def->display_name = spaced(type);
        if (names) {
            if (const auto* e = names->if_contains(type); e && e->is_object()) {
                def->display_name = string_or(unwrap(e->as_object(), "name"), def->display_name);
            }
        }
        json::object type_json;
        for (const auto& [field_key, fv] : *fields) {
            std::string fname(field_key);
            const auto* fo = fv.if_object();
            if (!fo) throw std::invalid_argument("schema: " + type + "." + fname + " is not an object");
            field_def f = field_from_json(type, fname, *fo);
            f.index = def->fields.size();
            def->by_name.emplace(fname, f.index);
            def->fields.push_back(std::move(f));
            type_json.emplace(fname, fv);
        }
        if (!def->find("id")) {
            field_def f;
            f.name = "id";
            f.display_name = "Id";
            f.entity_type = type;
            f.type = data_type::number;
            f.editable = false;
            f.index = def->fields.size();
            def->by_name.emplace("id", f.index);
            def->fields.push_back(std::move(f));
        }
        // The link name field: a per-type choice, else the first usual field present.
        for (const auto& [t, fname] : name_overrides) {
            if (t == type) {
                if (const auto* nf = def->find(fname)) def->name_field = nf->index;
            }
        }
        for (auto cand : name_candidates) {
            if (def->name_field != entity_def::npos) break;
            if (const auto* nf = def->find(cand); nf && nf->type == data_type::text) {
                def->name_field = nf->index;
            }
        }
        if (const auto* pf = def->find("project"); pf && pf->type == data_type::entity) {
            def->project_field = pf->index;
        }
        for (auto cand : {"sg_status_list", "sg_status"}) {
            if (def->status_field != entity_def::npos) break;
            if (const auto* sf = def->find(cand);
                sf && (sf->type == data_type::status_list || sf->type == data_type::list)) {
                def->status_field = sf->index;
            }
        }
        json::object entity_json;
        if (names) {
            if (const auto* e = names->if_contains(type); e && e->is_object()) {
                entity_json = e->as_object();
            }
        }
        if (entity_json.empty()) {
            entity_json["name"] = wrap(json::string(def->display_name), false);
            entity_json["visible"] = wrap(true, false);
        }
        read_.emplace(type, std::move(type_json));
        entity_read_.emplace(type, std::move(entity_json));
        by_name_.emplace(type, def.get());
        types_.push_back(std::move(def));
    }
    wire_back_references();
}

void schema::wire_back_references() {
    for (const auto& p : known_pairs) {
        auto* a = const_cast<entity_def*>(find(p.type));
        if (!a) continue;
        auto it = a->by_name.find(std::string(p.field));
        if (it == a->by_name.end()) continue;
        field_def& fa = a->fields[it->second];
        if (!fa.is_link()) continue;
        std::vector<std::string> others;
        if (p.other_type == "*") {
            others = fa.valid_types;
        } else {
            others.emplace_back(p.other_type);
        }
        for (const auto& ot : others) {
            auto* b = const_cast<entity_def*>(find(ot));
            if (!b) continue;
            auto jt = b->by_name.find(std::string(p.other_field));
            if (jt == b->by_name.end()) continue;
            field_def& fb = b->fields[jt->second];
            if (!fb.is_link() || !fa.accepts_type(b->name) || !fb.accepts_type(a->name)) continue;
            // One-to-one (entity <-> entity) pairs do not occur on real sites; skip them
            // rather than invent semantics.
            if (fa.type == data_type::entity && fb.type == data_type::entity) continue;
            fa.reverse.push_back({b->name, fb.name});
            // For a self pair (Task.upstream_tasks <-> Task.downstream_tasks) `fa` and `fb`
            // are different fields of one type; for Shot.shots <-> Shot.parent_shots as well.
            b->fields[jt->second].reverse.push_back({a->name, std::string(p.field)});
        }
    }
}

schema schema::load(const std::string& file, const std::string& entity_file) {
    auto read_json = [](const std::string& path) -> json::value {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw std::runtime_error("cannot open schema file " + path);
        std::stringstream ss;
        ss << in.rdbuf();
        boost::system::error_code ec;
        auto v = json::parse(ss.str(), ec);
        if (ec) throw std::runtime_error("schema file " + path + " is not JSON: " + ec.message());
        return v;
    };
    json::value types = read_json(file);
    json::value names;
    std::string ef = entity_file;
    if (ef.empty()) {
        // shotgun-schema.json -> shotgun-schema-entity.json, the pair mockgun ships.
        auto dot = file.rfind(".json");
        std::string guess = (dot == std::string::npos ? file : file.substr(0, dot)) + "-entity.json";
        if (std::ifstream(guess)) ef = guess;
    }
    if (!ef.empty()) names = read_json(ef);
    try {
        return schema(types, names);
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(file + ": " + e.what());
    }
}

const entity_def* schema::find(std::string_view type) const noexcept {
    auto it = by_name_.find(type);
    return it == by_name_.end() ? nullptr : it->second;
}

const json::object* schema::field_json(std::string_view type, std::string_view field) const noexcept {
    const auto* t = read_.if_contains(type);
    if (!t || !t->is_object()) return nullptr;
    const auto* f = t->as_object().if_contains(field);
    return f && f->is_object() ? &f->as_object() : nullptr;
}

entity_def* schema::changeable(std::string_view type) {
    // by_name_ holds the same entity_defs as types_, through pointers to non-const.
    auto it = by_name_.find(type);
    if (it == by_name_.end()) throw std::invalid_argument("entity type '" + std::string(type) + "' doesn't exist.");
    return it->second;
}

void schema::retire_field(std::string_view type, std::string_view field) {
    entity_def* def = changeable(type);
    auto it = def->by_name.find(field);
    if (it == def->by_name.end()) {
        throw std::invalid_argument(std::string(type) + "." + std::string(field) + " doesn't exist.");
    }
    if (field.rfind("sg_", 0) != 0) {
        throw std::invalid_argument(std::string(type) + "." + std::string(field) +
                                    " is not a custom field and cannot be deleted.");
    }
    def->by_name.erase(it);
    if (auto* t = read_.if_contains(type); t && t->is_object()) t->as_object().erase(field);
}

const field_def& schema::add_field(std::string_view type, std::string_view data_type_name,
                                   std::string_view display_name, const std::vector<std::string>& valid_values) {
    entity_def* def = changeable(type);
    const data_type dt = parse_data_type(data_type_name);
    switch (dt) {
        case data_type::text:
        case data_type::number:
        case data_type::float_:
        case data_type::checkbox:
        case data_type::date:
        case data_type::date_time:
        case data_type::duration:
        case data_type::percent:
        case data_type::url:
        case data_type::list: break;
        default:
            throw std::invalid_argument("data_type '" + std::string(data_type_name) +
                                        "' cannot be created on this site (plain types and list only)");
    }
    std::string base = "sg_";
    for (char c : display_name) {
        const auto u = static_cast<unsigned char>(c);
        base += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '_';
    }
    if (base == "sg_") throw std::invalid_argument("a new field needs a display name ('name' property)");
    std::string name = base;
    for (int n = 1; def->find(name); ++n) name = base + "_" + std::to_string(n);

    // The schema_read() entry, wrapped as a site wraps every property.
    auto wrapped = [](json::value v, bool editable) {
        return json::object{{"value", std::move(v)}, {"editable", editable}};
    };
    json::object props;
    props["default_value"] = wrapped(dt == data_type::checkbox ? json::value(false) : json::value(nullptr), false);
    props["summary_default"] = wrapped("none", true);
    if (dt == data_type::list) {
        json::array values;
        for (const auto& v : valid_values) values.emplace_back(v);
        props["valid_values"] = wrapped(std::move(values), true);
    }
    json::object fj;
    fj["name"] = wrapped(json::string(display_name), true);
    fj["description"] = wrapped("", true);
    fj["entity_type"] = wrapped(json::string(def->name), false);
    fj["data_type"] = wrapped(json::string(to_string(dt)), false);
    fj["editable"] = wrapped(true, false);
    fj["mandatory"] = wrapped(false, false);
    fj["unique"] = wrapped(false, false);
    fj["visible"] = wrapped(true, false);
    fj["ui_value_displayable"] = wrapped(true, false);
    fj["custom_metadata"] = wrapped("", true);
    fj["properties"] = std::move(props);
    // The field as the site reports it is the one it keeps: derived from that entry.
    field_def f = field_from_json(def->name, name, fj);
    f.index = def->fields.size();
    if (auto* t = read_.if_contains(def->name); t && t->is_object()) t->as_object()[name] = std::move(fj);

    def->by_name[name] = f.index;
    def->fields.push_back(std::move(f));
    return def->fields.back();
}

}  // namespace sgcache::fake_shotgun
