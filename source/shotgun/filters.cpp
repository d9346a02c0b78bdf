#include "shotgun/filters.hpp"

#include <array>
#include <stdexcept>

namespace sgcache::shotgun {

namespace json = boost::json;

namespace {

// The relations of the api3 reference, section 8.1.
constexpr std::array<std::string_view, 28> relations{
    "is",           "is_not",           "less_than",        "greater_than",     "contains",
    "not_contains", "starts_with",      "ends_with",        "between",          "not_between",
    "in",           "not_in",           "type_is",          "type_is_not",      "name_contains",
    "name_not_contains", "name_starts_with", "name_ends_with", "name_is",       "in_last",
    "not_in_last",  "in_next",          "not_in_next",      "in_calendar_day",  "in_calendar_week",
    "in_calendar_month", "in_calendar_year", "name_id"};

[[noreturn]] void bad(const std::string& where, const std::string& what) {
    throw std::invalid_argument(where + ": " + what);
}

std::string logical(std::string_view op, const std::string& where) {
    if (op == "all" || op == "and") return "and";
    if (op == "any" || op == "or") return "or";
    bad(where, "unknown operator '" + std::string(op) + "' (use all, any, and or or)");
}

json::object translate_group(const json::value& list, const std::string& op, const std::string& where);

json::value translate_item(const json::value& item, const std::string& where) {
    if (const json::array* cond = item.if_array()) {
        if (cond->size() < 2) bad(where, "a condition needs at least a path and a relation");
        if (!(*cond)[0].is_string() || (*cond)[0].get_string().empty()) bad(where + "[0]", "the path must be a non-empty string");
        if (!(*cond)[1].is_string()) bad(where + "[1]", "the relation must be a string");
        const std::string relation((*cond)[1].get_string());
        if (!is_known_relation(relation)) bad(where + "[1]", "unknown relation '" + relation + "'");
        json::array values;
        // shotgun_api3's rule: exactly one value that is itself a list is the value list.
        if (cond->size() == 3 && (*cond)[2].is_array()) {
            values = (*cond)[2].get_array();
        } else {
            for (std::size_t i = 2; i < cond->size(); ++i) values.push_back((*cond)[i]);
        }
        return condition(std::string((*cond)[0].get_string()), relation, std::move(values));
    }
    if (const json::object* group = item.if_object()) {
        if (group->contains("logical_operator")) {
            check_wire_form(item, where);
            return *group;
        }
        const json::value* op = group->if_contains("filter_operator");
        const json::value* filters = group->if_contains("filters");
        if (!op || !op->is_string()) bad(where, "a nested group needs \"filter_operator\" (all or any)");
        if (!filters) bad(where, "a nested group needs \"filters\"");
        return translate_group(*filters, logical(op->get_string(), where + ".filter_operator"), where + ".filters");
    }
    bad(where, "expected a condition [path, relation, values...] or a group {\"filter_operator\", \"filters\"}");
}

json::object translate_group(const json::value& list, const std::string& op, const std::string& where) {
    const json::array* items = list.if_array();
    if (!items) bad(where, "expected a list of conditions");
    json::array conditions;
    for (std::size_t i = 0; i < items->size(); ++i) {
        conditions.push_back(translate_item((*items)[i], where + "[" + std::to_string(i) + "]"));
    }
    json::object g;
    g["logical_operator"] = op;
    g["conditions"] = std::move(conditions);
    return g;
}

}  // namespace

bool is_known_relation(std::string_view relation) noexcept {
    for (auto r : relations) {
        if (r == relation) return true;
    }
    return false;
}

json::object condition(std::string path, std::string relation, json::array values) {
    json::object c;
    c["path"] = std::move(path);
    c["relation"] = std::move(relation);
    c["values"] = std::move(values);
    return c;
}

json::object all_of(json::array conditions) {
    json::object g;
    g["logical_operator"] = "and";
    g["conditions"] = std::move(conditions);
    return g;
}

json::object any_of(json::array conditions) {
    json::object g;
    g["logical_operator"] = "or";
    g["conditions"] = std::move(conditions);
    return g;
}

json::object both(const json::object& a, const json::object& b) {
    const auto empty = [](const json::object& g) {
        auto c = g.if_contains("conditions");
        return g.empty() || (c && c->is_array() && c->get_array().empty());
    };
    if (empty(a)) return b.empty() ? all_of() : b;
    if (empty(b)) return a;
    json::array conditions;
    conditions.push_back(a);
    conditions.push_back(b);
    return all_of(std::move(conditions));
}

json::object id_range(const json::object& filters, std::int64_t after, std::int64_t up_to) {
    json::array range;
    range.push_back(condition("id", "greater_than", json::array{after}));
    range.push_back(condition("id", "less_than", json::array{up_to + 1}));
    return both(filters, all_of(std::move(range)));
}

json::object from_list_form(const json::value& filters, std::string_view op) {
    if (filters.is_object() && filters.get_object().contains("logical_operator")) {
        check_wire_form(filters, "filters");
        return filters.get_object();
    }
    return translate_group(filters, logical(op, "filter_operator"), "filters");
}

void check_wire_form(const json::value& group, const std::string& where) {
    const json::object* g = group.if_object();
    if (!g) bad(where, "expected a group object");
    const json::value* op = g->if_contains("logical_operator");
    if (!op || !op->is_string() || (op->get_string() != "and" && op->get_string() != "or")) {
        bad(where, "logical_operator must be \"and\" or \"or\"");
    }
    const json::value* conditions = g->if_contains("conditions");
    if (!conditions || !conditions->is_array()) bad(where, "conditions must be a list");
    const auto& list = conditions->get_array();
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string at = where + ".conditions[" + std::to_string(i) + "]";
        const json::object* c = list[i].if_object();
        if (!c) bad(at, "expected an object");
        if (c->contains("logical_operator")) {
            check_wire_form(list[i], at);
            continue;
        }
        auto path = c->if_contains("path");
        auto relation = c->if_contains("relation");
        auto values = c->if_contains("values");
        if (!path || !path->is_string() || path->get_string().empty()) bad(at, "path must be a non-empty string");
        if (!relation || !relation->is_string() || !is_known_relation(relation->get_string())) {
            bad(at, "unknown relation");
        }
        if (!values || !values->is_array()) bad(at, "values must be a list");
    }
}

}  // namespace sgcache::shotgun
