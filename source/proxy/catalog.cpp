#include "proxy/catalog.hpp"

#include "sync/documents.hpp"

namespace json = boost::json;

namespace sgcache::proxy {

static_assert(std::string_view(config::meta_field) == "_sgcache", "read_plan.cpp names the metadata object too");

type_info describe(const config::entity_config& cfg, const std::string& prefix) {
    type_info t;
    t.type = cfg.type;
    const auto names = sync::names_for(prefix, cfg.type);
    t.live_alias = names.live_alias;
    t.all_alias = names.all_alias;
    for (const auto& f : cfg.fields) {
        field_info fi;
        fi.kind = value_kind_of(f.data_type);
        fi.image = f.data_type == "image";
        fi.not_between = f.data_type == "number" || f.data_type == "currency";
        if (fi.kind == value_kind::text) {
            const auto* type = f.mapping.if_contains("type");
            const auto* subs = f.mapping.if_contains("fields");
            const json::object* fields = subs ? subs->if_object() : nullptr;
            auto sub = [&](const char* name) -> const json::object* {
                const auto* s = fields ? fields->if_contains(name) : nullptr;
                return s ? s->if_object() : nullptr;
            };
            const auto* lower = sub("lower");
            fi.has_lower = lower && lower->contains("normalizer") &&
                           lower->at("normalizer") == json::value("lowercase");
            if (type && *type == json::value("keyword")) {
                fi.raw_keyword = f.name;
            } else if (const auto* kw = sub("keyword"); kw && kw->contains("type") && kw->at("type") == json::value("keyword")) {
                fi.raw_keyword = f.name + ".keyword";
            } else {
                fi.has_lower = false;  // no raw keyword to break ties: forward sorts and comparisons
            }
        } else if (fi.kind == value_kind::multi_entity) {
            const auto* type = f.mapping.if_contains("type");
            if (!type || *type != json::value("nested")) fi.kind = value_kind::other;
        } else if (fi.kind == value_kind::entity) {
            if (!f.mapping.contains("properties")) fi.kind = value_kind::other;
        }
        t.fields[f.name] = fi;
    }
    if (!t.fields.count("id")) t.fields["id"] = field_info{value_kind::integer};
    const auto skip = config::generate_settings::skip_archived_projects();
    if (cfg.filters.empty()) {
        t.covers = type_info::coverage::everything;
    } else if ((cfg.type == "Project" && cfg.filters == skip.at("Project")) ||
               (cfg.type != "Project" && cfg.filters == skip.at("*"))) {
        t.covers = type_info::coverage::unarchived;
    }
    return t;
}

}  // namespace sgcache::proxy
