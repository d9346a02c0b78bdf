#include "store.hpp"

#include "values.hpp"

#include <algorithm>
#include <stdexcept>

namespace sgcache::fake_shotgun {

json::value empty_value(const field_def& f) {
    switch (f.type) {
        case data_type::multi_entity:
        case data_type::tag_list: return json::array{};
        case data_type::checkbox: return false;
        default: return nullptr;
    }
}

json::value initial_value(const field_def& f) {
    return f.default_value.is_null() ? empty_value(f) : f.default_value;
}

std::size_t table::lower_bound(std::int64_t id) const noexcept {
    auto it = std::lower_bound(rows_.begin(), rows_.end(), id,
                               [](const row& r, std::int64_t v) { return r.id < v; });
    return static_cast<std::size_t>(it - rows_.begin());
}

row* table::find(std::int64_t id) noexcept {
    auto i = lower_bound(id);
    return i < rows_.size() && rows_[i].id == id ? &rows_[i] : nullptr;
}

const row* table::find(std::int64_t id) const noexcept {
    auto i = lower_bound(id);
    return i < rows_.size() && rows_[i].id == id ? &rows_[i] : nullptr;
}

store::store(fake_shotgun::schema& s) : schema_(&s) {
    for (const auto& t : s.types()) tables_.emplace(t->name, table(*t));
}

table* store::find_table(std::string_view type) noexcept {
    auto it = tables_.find(type);
    return it == tables_.end() ? nullptr : &it->second;
}

const table* store::find_table(std::string_view type) const noexcept {
    auto it = tables_.find(type);
    return it == tables_.end() ? nullptr : &it->second;
}

row* store::find(std::string_view type, std::int64_t id) noexcept {
    auto* t = find_table(type);
    return t ? t->find(id) : nullptr;
}

const row* store::find(std::string_view type, std::int64_t id) const noexcept {
    const auto* t = find_table(type);
    return t ? t->find(id) : nullptr;
}

const row* store::find_live(std::string_view type, std::int64_t id) const noexcept {
    const auto* r = find(type, id);
    return r && !r->retired ? r : nullptr;
}

const field_def& store::add_field(std::string_view type, std::string_view data_type, std::string_view display_name,
                                  const std::vector<std::string>& valid_values) {
    const field_def& f = schema_->add_field(type, data_type, display_name, valid_values);
    if (table* t = find_table(type)) {
        for (auto& r : t->rows_) {
            r.values.resize(f.index + 1);
            r.values[f.index] = initial_value(f);
        }
    }
    return f;
}

row& store::insert(table& t) {
    row r;
    r.id = t.next_id_++;
    const auto& fields = t.def().fields;
    r.values.reserve(fields.size());
    for (const auto& f : fields) {
        r.values.push_back(initial_value(f));
    }
    if (auto* idf = t.def().find("id")) r.values[idf->index] = r.id;
    t.rows_.push_back(std::move(r));
    if (in_txn_) undo_.push_back({&t, t.rows_.back().id, std::nullopt});
    return t.rows_.back();
}

void store::touch(table& t, const row& r) {
    if (!in_txn_) return;
    if (!touched_.emplace(&r, true).second) return;
    undo_.push_back({&t, r.id, r});
}

void store::begin() {
    if (in_txn_) throw std::logic_error("store: nested transaction");
    in_txn_ = true;
}

void store::commit() noexcept {
    in_txn_ = false;
    undo_.clear();
    touched_.clear();
}

void store::rollback() noexcept {
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
        auto& rows = it->t->rows_;
        if (!it->saved) {
            // Inserts happen at the back and are undone newest first, so the row to drop
            // is always the last one.
            if (!rows.empty() && rows.back().id == it->id) rows.pop_back();
        } else if (auto* r = it->t->find(it->id)) {
            *r = std::move(*it->saved);
        }
    }
    in_txn_ = false;
    undo_.clear();
    touched_.clear();
}

std::string_view store::name_of(std::string_view type, std::int64_t id) const noexcept {
    const auto* t = find_table(type);
    if (!t || t->def().name_field == entity_def::npos) return {};
    const auto* r = t->find(id);
    if (!r) return {};
    const auto& v = r->values[t->def().name_field];
    return v.is_string() ? std::string_view(v.get_string()) : std::string_view{};
}

json::value store::render_link(const json::value& stored, json::storage_ptr sp, bool valid) const {
    std::string_view type;
    std::int64_t id = 0;
    if (!read_link(stored, type, id)) return nullptr;
    const auto* t = find_table(type);
    if (!t) return nullptr;
    const auto* r = t->find(id);
    if (!r || r->retired) return nullptr;
    json::object o(sp);
    o.reserve(4);
    o.emplace("type", type);
    o.emplace("id", id);
    const auto nf = t->def().name_field;
    if (nf != entity_def::npos && r->values[nf].is_string()) {
        o.emplace("name", r->values[nf]);
    } else {
        o.emplace("name", nullptr);
    }
    if (valid) o.emplace("valid", "valid");
    return o;
}

json::value store::meta_link(std::string_view type, std::int64_t id) const {
    json::object o;
    o.emplace("type", type);
    o.emplace("id", id);
    o.emplace("name", name_of(type, id));
    const auto* t = find_table(type);
    const auto* r = t ? t->find(id) : nullptr;
    o.emplace("valid", r && !r->retired ? "valid" : "retired");
    if (t && r && t->def().status_field != entity_def::npos) {
        o.emplace("status", r->values[t->def().status_field]);
    }
    return o;
}

json::value store::render(const field_def& f, const json::value& stored, json::storage_ptr sp, bool valid) const {
    switch (f.type) {
        case data_type::entity:
            return stored.is_null() ? json::value(nullptr, sp) : render_link(stored, sp, valid);
        case data_type::multi_entity: {
            json::array out(sp);
            if (const auto* a = stored.if_array()) {
                out.reserve(a->size());
                for (const auto& l : *a) {
                    auto r = render_link(l, sp, valid);
                    if (!r.is_null()) out.push_back(std::move(r));
                }
            }
            return out;
        }
        case data_type::tag_list:
            return stored.is_array() ? json::value(stored, sp) : json::value(json::array(sp));
        case data_type::checkbox:
            return stored.is_bool() ? json::value(stored, sp) : json::value(false, sp);
        case data_type::password:
            return stored.is_null() ? json::value(nullptr, sp) : json::value("*******", sp);
        default: return json::value(stored, sp);
    }
}

std::size_t store::live_count(std::string_view type) const noexcept {
    const auto* t = find_table(type);
    if (!t) return 0;
    std::size_t n = 0;
    for (const auto& r : t->rows()) n += !r.retired;
    return n;
}

}  // namespace sgcache::fake_shotgun
