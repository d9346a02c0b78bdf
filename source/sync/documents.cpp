#include "sync/documents.hpp"

#include "config/entity_config.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cctype>
#include <cstdio>
#include <ctime>

namespace sgcache::sync {

namespace json = boost::json;

std::string iso_time_us(std::int64_t us) {
    const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(us % 1'000'000));
    return buf;
}

namespace {

// read_at of a version: a page's entities share their read version, so the text is made
// once per page instead of once per entity (formatting a time was 5 % of a download's CPU).
const std::string& read_at_of(std::int64_t version) {
    thread_local std::int64_t last = -1;
    thread_local std::string text;
    if (version != last) {
        text = iso_time_us(version);
        last = version;
    }
    return text;
}

}  // namespace

std::string entity_document(const json::object& entity, std::int64_t version, bool site_retired) {
    // One pass for the two keys this needs: an entity has 20 to 40 fields, and hashing
    // each key looked up cost more than comparing lengths along the way.
    const json::value* updated = nullptr;
    bool has_meta = false;
    const std::string_view meta_key = config::meta_field;
    for (const auto& kv : entity) {
        const std::string_view k = kv.key();
        if (k.size() == 10 && k == "updated_at") {
            updated = &kv.value();
        } else if (k.size() == meta_key.size() && k == meta_key) {
            has_meta = true;
        }
    }
    if (entity.empty() || has_meta) {
        json::object meta;
        meta["retired"] = site_retired;
        meta["read_version"] = version;
        meta["read_at"] = read_at_of(version);
        meta["updated_at"] = updated && updated->is_string() ? *updated : json::value(nullptr);
        if (site_retired) meta["site_retired"] = true;
        json::object doc = entity;
        doc[config::meta_field] = std::move(meta);
        return json::serialize(doc);
    }
    // The entity's text with the metadata spliced in before its closing brace: a full
    // download writes every entity once, and copying each into a new object first was
    // most of sgcache's allocations. The metadata is written as text, in the order and
    // form json::serialize gives the object of the branch above.
    std::string out = json::serialize(entity);
    out.pop_back();
    out += ",\"";
    out += meta_key;
    out += site_retired ? "\":{\"retired\":true,\"read_version\":" : "\":{\"retired\":false,\"read_version\":";
    out += std::to_string(version);
    out += ",\"read_at\":\"";
    out += read_at_of(version);
    out += "\",\"updated_at\":";
    if (updated && updated->is_string()) {
        out += json::serialize(updated->get_string());
    } else {
        out += "null";
    }
    out += site_retired ? ",\"site_retired\":true}}" : "}}";
    return out;
}

std::string tombstone_document(const std::string& type, std::int64_t id, std::int64_t version) {
    json::object doc;
    doc["type"] = type;
    doc["id"] = id;
    json::object meta;
    meta["retired"] = true;
    meta["read_version"] = version;
    meta["read_at"] = iso_time_us(version);
    meta["updated_at"] = nullptr;
    doc[config::meta_field] = std::move(meta);
    return json::serialize(doc);
}

type_names names_for(const std::string& prefix, const std::string& type) {
    std::string lower;
    for (char c : type) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    type_names n;
    n.live_alias = prefix + "entity-" + lower;
    n.all_alias = n.live_alias + "-all";
    n.generation_prefix = n.live_alias + "-g";
    return n;
}

std::string type_names::generation(int n) const {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%06d", n);
    return generation_prefix + buf;
}

int type_names::generation_of(const std::string& index) const {
    if (index.size() != generation_prefix.size() + 6 || index.compare(0, generation_prefix.size(), generation_prefix) != 0) {
        return -1;
    }
    int n = 0;
    for (std::size_t i = generation_prefix.size(); i < index.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(index[i]))) return -1;
        n = n * 10 + (index[i] - '0');
    }
    return n;
}

std::string state_index(const std::string& prefix) { return prefix + "state"; }

json::object live_filter() {
    return json::parse(std::string(R"({"bool":{"must_not":{"term":{")") + config::meta_field + R"(.retired":true}}}})")
        .as_object();
}

std::vector<std::pair<std::int64_t, std::int64_t>> plan_ranges(std::int64_t min_id, std::int64_t max_id,
                                                               std::int64_t size) {
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    if (max_id < min_id || size <= 0) return out;
    for (std::int64_t after = min_id - 1; after < max_id; after += size) {
        out.emplace_back(after, std::min(after + size, max_id));
    }
    return out;
}

}  // namespace sgcache::sync
