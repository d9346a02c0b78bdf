#include "links.hpp"

#include "values.hpp"

#include <algorithm>

namespace sgcache::fake_shotgun {

namespace {

// The links a stored value holds: none (null), one (an entity field) or a list.
json::array links_in(const json::value& v) {
    if (v.is_null()) return {};
    if (is_stored_link(v) || v.is_object()) return json::array{v};
    if (const auto* a = v.if_array()) return *a;
    return {};
}

}  // namespace

bool contains_link(const json::array& list, const json::value& link) {
    return std::any_of(list.begin(), list.end(), [&](const json::value& x) { return same_link(x, link); });
}

json::array minus(const json::value& a, const json::value& b) {
    json::array out;
    json::array bl = links_in(b);
    for (const auto& x : links_in(a)) {
        if (!contains_link(bl, x)) out.push_back(x);
    }
    return out;
}

void propagate(store& db, event_writer& ev, const field_def& f, const row& r, const json::value& old_v,
               const json::value& new_v, std::int64_t original, bool in_create) {
    if (f.reverse.empty()) return;
    const json::value self = stored_link(f.entity_type, r.id);
    auto reverse_for = [&](const field_def& fld, std::string_view type) -> const field_def* {
        for (const auto& rv : fld.reverse) {
            if (rv.type == type) return db.schema().find(rv.type)->find(rv.field);
        }
        return nullptr;
    };
    auto removed = minus(old_v, new_v);
    auto added = minus(new_v, old_v);
    for (const auto& x : removed) {
        std::string_view t;
        std::int64_t id = 0;
        read_link(x, t, id);
        const field_def* rf = reverse_for(f, t);
        table* ot = db.find_table(t);
        row* xr = ot ? ot->find(id) : nullptr;
        if (!rf || !xr) continue;
        json::value& slot = xr->values[rf->index];
        if (rf->type == data_type::multi_entity) {
            if (!slot.is_array() || !contains_link(slot.get_array(), self)) continue;
            db.touch(*ot, *xr);
            auto& arr = slot.get_array();
            arr.erase(std::remove_if(arr.begin(), arr.end(), [&](const json::value& y) { return same_link(y, self); }),
                      arr.end());
            json::array gone{self};
            ev.back_reference(ot->def(), *xr, *rf, f, r.id, nullptr, &gone, nullptr, nullptr, original, in_create);
        } else if (same_link(slot, self)) {
            db.touch(*ot, *xr);
            json::value before = slot;
            slot = nullptr;
            json::value after = nullptr;
            ev.back_reference(ot->def(), *xr, *rf, f, r.id, nullptr, nullptr, &before, &after, original, in_create);
        }
    }
    for (const auto& x : added) {
        std::string_view t;
        std::int64_t id = 0;
        read_link(x, t, id);
        const field_def* rf = reverse_for(f, t);
        table* ot = db.find_table(t);
        row* xr = ot ? ot->find(id) : nullptr;
        if (!rf || !xr) continue;
        json::value& slot = xr->values[rf->index];
        if (rf->type == data_type::multi_entity) {
            if (!slot.is_array()) slot = json::array{};
            if (contains_link(slot.get_array(), self)) continue;
            db.touch(*ot, *xr);
            slot.get_array().push_back(self);
            json::array got{self};
            ev.back_reference(ot->def(), *xr, *rf, f, r.id, &got, nullptr, nullptr, nullptr, original, in_create);
            continue;
        }
        // The other side is a single link (Shot.tasks -> Task.entity): it moves here, and
        // the entity it pointed at before loses it from its own list.
        if (same_link(slot, self)) continue;
        db.touch(*ot, *xr);
        json::value before = slot;
        slot = self;
        ev.back_reference(ot->def(), *xr, *rf, f, r.id, nullptr, nullptr, &before, &slot, original, in_create);
        std::string_view pt;
        std::int64_t pid = 0;
        if (!read_link(before, pt, pid)) continue;
        const field_def* pf = reverse_for(*rf, pt);
        table* ptab = db.find_table(pt);
        row* pr = ptab ? ptab->find(pid) : nullptr;
        if (!pf || !pr || pf->type != data_type::multi_entity) continue;
        json::value& pslot = pr->values[pf->index];
        if (!pslot.is_array() || !contains_link(pslot.get_array(), x)) continue;
        db.touch(*ptab, *pr);
        auto& arr = pslot.get_array();
        arr.erase(std::remove_if(arr.begin(), arr.end(), [&](const json::value& y) { return same_link(y, x); }),
                  arr.end());
        json::array gone{x};
        ev.back_reference(ptab->def(), *pr, *pf, f, r.id, nullptr, &gone, nullptr, nullptr, original, in_create);
    }
}

void log_change(store& db, event_writer& ev, const entity_def& def, const row& r, const field_def& f,
                const json::value& old_v, const json::value& new_v, bool in_create) {
    std::int64_t original = 0;
    if (f.type == data_type::multi_entity) {
        original = ev.multi_change(def, r, f, minus(new_v, old_v), minus(old_v, new_v), in_create);
    } else {
        original = ev.attribute_change(def, r, f, old_v, new_v, in_create);
    }
    propagate(db, ev, f, r, old_v, new_v, original, in_create);
}

}  // namespace sgcache::fake_shotgun
