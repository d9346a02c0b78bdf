#include "sync/schema_drift.hpp"

namespace sgcache::sync {

schema_drift compare_with_site(const config::entity_config& cfg, const shotgun::site_schema& site) {
    schema_drift out;
    const std::string& t = cfg.type;
    auto it = site.types.find(t);
    if (it == site.types.end()) {
        out.type_gone = true;
        out.failure = "the site has no entity type " + t + " any more; remove " + cfg.file.string();
        return out;
    }
    for (const auto& f : cfg.fields) {
        auto fit = it->second.fields.find(f.name);
        if (fit == it->second.fields.end()) {
            out.warnings.push_back(t + "." + f.name + " no longer exists on the site: regenerate " + cfg.file.string());
            continue;
        }
        if (fit->second.data_type != f.data_type) {
            out.warnings.push_back(t + "." + f.name + " is '" + fit->second.data_type + "' on the site but '" +
                                   f.data_type + "' in the entity config: regenerate " + cfg.file.string());
        }
        out.fields.push_back(f.name);
    }
    return out;
}

}  // namespace sgcache::sync
