#include "write_values.hpp"

#include "links.hpp"
#include "method_fault.hpp"
#include "values.hpp"

#include <algorithm>

namespace sgcache::fake_shotgun {

namespace {

// The class name Ruby gives a JSON value: real sites name it in their type errors.
std::string ruby_class(const json::value& v) {
    switch (v.kind()) {
        case json::kind::null: return "NilClass";
        case json::kind::bool_: return v.get_bool() ? "TrueClass" : "FalseClass";
        case json::kind::int64:
        case json::kind::uint64: return "Integer";
        case json::kind::double_: return "Float";
        case json::kind::string: return "String";
        case json::kind::array: return "Array";
        case json::kind::object: return "Hash";
    }
    return "Object";
}

const char* const max_int32_text = "2147483647";

}  // namespace

json::value normalize(const store& db, const field_def& f, const json::value& v, std::string_view method,
                      const std::string& where) {
    auto wrong = [&](std::string_view expected) {
        bad(method, where + " expected [" + std::string(expected) + "] data type(s) but got " + ruby_class(v) +
                        ": " + brief(v));
    };
    if (v.is_null()) return empty_value(f);
    switch (f.type) {
        case data_type::text:
        case data_type::color:
        case data_type::uuid:
        case data_type::footage:
        case data_type::password:
            if (!v.is_string()) wrong("String, NilClass");
            return v;
        case data_type::entity_type:
            if (!v.is_string()) wrong("String, NilClass");
            if (!db.schema().find(v.get_string())) {
                bad(method, where + " '" + std::string(v.get_string()) + "' is not a valid entity type.");
            }
            return v;
        case data_type::list:
        case data_type::status_list: {
            if (!v.is_string()) wrong("String, NilClass");
            std::string_view s = v.get_string();
            if (!f.valid_values.empty() &&
                std::find(f.valid_values.begin(), f.valid_values.end(), s) == f.valid_values.end()) {
                std::string list;
                for (const auto& x : f.valid_values) list += (list.empty() ? "" : ", ") + x;
                crud(method, 5, "Update failed for [" + where + "]: '" + std::string(s) +
                                    "' is not a valid value. Valid values: " + list);
            }
            return v;
        }
        case data_type::number:
        case data_type::duration:
        case data_type::percent:
        case data_type::timecode: {
            auto n = as_integer(v);
            if (!n) wrong("Integer, NilClass");
            if (*n > 2147483647LL || *n < -2147483648LL) {
                crud(method, 5, "Update failed for [" + where + "]: PG::NumericValueOutOfRange: ERROR:  value \"" +
                                    std::to_string(*n) + "\" is out of range for type integer (max " +
                                    max_int32_text + ")");
            }
            return *n;
        }
        case data_type::float_:
        case data_type::currency:
            if (!as_number(v)) wrong("Float, Integer, NilClass");
            return v;
        case data_type::checkbox:
            if (!v.is_bool()) wrong("TrueClass, FalseClass, NilClass");
            return v;
        case data_type::date:
            if (!v.is_string() || !parse_date(v.get_string())) wrong("Date (YYYY-MM-DD), NilClass");
            return v;
        case data_type::date_time:
            if (!v.is_string() || !parse_date_time(v.get_string())) {
                wrong("Time (YYYY-MM-DDTHH:MM:SSZ, UTC), NilClass");
            }
            return v;
        case data_type::entity:
        case data_type::multi_entity: {
            auto one = [&](const json::value& x) -> json::value {
                std::string_view t;
                std::int64_t id = 0;
                if (!read_link(x, t, id)) {
                    bad(method, where + " expected an entity hash with 'type' and 'id' but got " + brief(x));
                }
                if (!f.accepts_type(t)) {
                    std::string list;
                    for (const auto& vt : f.valid_types) list += (list.empty() ? "" : ", ") + vt;
                    bad(method, where + " does not accept entities of type '" + std::string(t) +
                                    "'. Valid types: " + list);
                }
                if (!db.find_live(t, id)) {
                    crud(method, 6, "Update failed for [" + where + "]: Entity of type [" + std::string(t) +
                                        "] with id=" + std::to_string(id) + " does not exist.");
                }
                return stored_link(t, id);
            };
            if (f.type == data_type::entity) {
                if (!v.is_object()) wrong("Hash, NilClass");
                return one(v);
            }
            if (!v.is_array()) wrong("Array, NilClass");
            json::array out;
            for (const auto& x : v.get_array()) {
                auto l = one(x);
                if (!contains_link(out, l)) out.push_back(std::move(l));
            }
            return out;
        }
        case data_type::tag_list: {
            if (!v.is_array()) wrong("Array, NilClass");
            json::array out;
            for (const auto& x : v.get_array()) {
                if (!x.is_string()) bad(method, where + " tags must be strings, got " + brief(x));
                if (std::find(out.begin(), out.end(), x) == out.end()) out.push_back(x);
            }
            return out;
        }
        case data_type::url: {
            if (!v.is_object()) wrong("Hash, NilClass");
            const auto& o = v.get_object();
            json::object out;
            const auto* name = o.if_contains("name");
            const auto* ct = o.if_contains("content_type");
            if (const auto* u = o.if_contains("url"); u && u->is_string()) {
                out["content_type"] = ct && ct->is_string() ? *ct : json::value(nullptr);
                out["link_type"] = "web";
                out["name"] = name && name->is_string() ? *name : *u;
                out["url"] = *u;
                return out;
            }
            if (const auto* lp = o.if_contains("local_path"); lp && lp->is_string()) {
                std::string p(lp->get_string());
                auto slash = p.find_last_of("/\\");
                out["content_type"] = ct && ct->is_string() ? *ct : json::value(nullptr);
                out["link_type"] = "local";
                out["name"] = name && name->is_string() ? std::string(name->get_string())
                                                        : (slash == std::string::npos ? p : p.substr(slash + 1));
                out["local_path"] = p;
                out["local_path_linux"] = p;
                out["local_path_mac"] = p;
                out["local_path_windows"] = nullptr;
                out["local_storage"] = nullptr;
                out["relative_path"] = nullptr;
                out["url"] = "file://" + p;
                return out;
            }
            bad(method, where + " invalid/missing url hash string 'url': " + brief(v));
        }
        case data_type::serializable:
            if (!v.is_object() && !v.is_array()) wrong("Hash, Array, NilClass");
            return v;
        case data_type::image:
            bad(method, where + " can only be cleared (null) through the API; images are set by uploading "
                                "a file (upload_thumbnail).");
        default:
            bad(method, where + "'s '" + std::string(to_string(f.type)) + "' data type cannot be written.");
    }
}

bool empty_stored(const json::value& v) {
    if (v.is_null()) return true;
    if (const auto* a = v.if_array()) return a->empty();
    if (v.is_bool()) return !v.get_bool();
    return false;
}

}  // namespace sgcache::fake_shotgun
