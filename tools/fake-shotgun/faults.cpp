#include "faults.hpp"

#include "values.hpp"

#include <algorithm>
#include <stdexcept>

namespace sgcache::fake_shotgun {

namespace {

const std::vector<std::string> fail_kinds{"500", "502", "503", "504", "429", "reset", "stall", "close"};

double probability(const json::value& v, std::string_view key) {
    auto n = as_number(v);
    if (!n || *n < 0 || *n > 1) {
        throw std::invalid_argument("fault " + std::string(key) + " must be a probability between 0 and 1, got " +
                                    brief(v));
    }
    return *n;
}

std::int64_t non_negative(const json::value& v, std::string_view key) {
    auto n = as_integer(v);
    if (!n && v.is_double() && v.get_double() >= 0 && v.get_double() < 9e15) {
        n = static_cast<std::int64_t>(v.get_double());
    }
    if (!n || *n < 0) {
        throw std::invalid_argument("fault " + std::string(key) + " must be a non-negative integer, got " + brief(v));
    }
    return *n;
}

bool boolean(const json::value& v, std::string_view key) {
    if (!v.is_bool()) throw std::invalid_argument("fault " + std::string(key) + " must be true or false, got " + brief(v));
    return v.get_bool();
}

std::vector<std::string> strings(const json::value& v, std::string_view key, const std::vector<std::string>* allowed) {
    if (!v.is_array()) throw std::invalid_argument("fault " + std::string(key) + " must be a list of strings");
    std::vector<std::string> out;
    for (const auto& x : v.get_array()) {
        std::string s;
        if (x.is_string()) {
            s = std::string(x.get_string());
        } else if (auto n = as_integer(x)) {
            s = std::to_string(*n);  // fail_next: [502, 502] is fine too
        } else {
            throw std::invalid_argument("fault " + std::string(key) + " must be a list of strings, got " + brief(x));
        }
        if (allowed && std::find(allowed->begin(), allowed->end(), s) == allowed->end()) {
            throw std::invalid_argument("fault " + std::string(key) + " entry '" + s +
                                        "' is not one of 500, 502, 503, 504, 429, reset, stall, close");
        }
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace

json::object to_json(const fault_config& c) {
    json::object o;
    o["latency_ms"] = c.latency_ms;
    o["jitter_ms"] = c.jitter_ms;
    o["http_502"] = c.http_502;
    o["http_503"] = c.http_503;
    o["http_504"] = c.http_504;
    o["http_429"] = c.http_429;
    o["retry_after_s"] = c.retry_after_s;
    o["reset"] = c.reset;
    o["stall"] = c.stall;
    o["stall_ms"] = c.stall_ms;
    json::array fn, m, h;
    for (const auto& s : c.fail_next) fn.emplace_back(s);
    for (const auto& s : c.methods) m.emplace_back(s);
    for (const auto& s : c.hold) h.emplace_back(s);
    o["fail_next"] = std::move(fn);
    o["methods"] = std::move(m);
    o["hold"] = std::move(h);
    o["max_entities_per_page"] = c.knobs.max_entities_per_page;
    o["no_events"] = c.knobs.no_events;
    o["event_delay_probability"] = c.knobs.event_delay_probability;
    o["event_delay_ms"] = c.knobs.event_delay_ms;
    o["event_drop_probability"] = c.knobs.event_drop_probability;
    return o;
}

void apply_json(fault_config& c, const json::value& update) {
    const auto* o = update.if_object();
    if (!o) throw std::invalid_argument("faults must be a JSON object");
    fault_config next = c;  // all or nothing
    for (const auto& [k, v] : *o) {
        std::string_view key = k;
        if (key == "latency_ms") next.latency_ms = non_negative(v, key);
        else if (key == "jitter_ms") next.jitter_ms = non_negative(v, key);
        else if (key == "http_502") next.http_502 = probability(v, key);
        else if (key == "http_503") next.http_503 = probability(v, key);
        else if (key == "http_504") next.http_504 = probability(v, key);
        else if (key == "http_429") next.http_429 = probability(v, key);
        else if (key == "retry_after_s") next.retry_after_s = non_negative(v, key);
        else if (key == "reset") next.reset = probability(v, key);
        else if (key == "stall") next.stall = probability(v, key);
        else if (key == "stall_ms") next.stall_ms = non_negative(v, key);
        else if (key == "fail_next") next.fail_next = strings(v, key, &fail_kinds);
        else if (key == "methods") next.methods = strings(v, key, nullptr);
        else if (key == "hold") next.hold = strings(v, key, nullptr);
        else if (key == "max_entities_per_page") {
            next.knobs.max_entities_per_page = non_negative(v, key);
            if (next.knobs.max_entities_per_page < 1) {
                throw std::invalid_argument("fault max_entities_per_page must be at least 1");
            }
        } else if (key == "no_events") next.knobs.no_events = boolean(v, key);
        else if (key == "event_delay_probability") next.knobs.event_delay_probability = probability(v, key);
        else if (key == "event_delay_ms") next.knobs.event_delay_ms = non_negative(v, key);
        else if (key == "event_drop_probability") next.knobs.event_drop_probability = probability(v, key);
        else throw std::invalid_argument("unknown fault '" + std::string(key) + "'");
    }
    c = std::move(next);
}

void apply_setting(fault_config& c, std::string_view kv) {
    auto eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0) {
        throw std::invalid_argument("--fault expects KEY=VALUE, got '" + std::string(kv) + "'");
    }
    std::string key(kv.substr(0, eq));
    std::string_view text = kv.substr(eq + 1);
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) v = json::string(text);
    if (key == "fail_next" || key == "methods") {
        // Comma lists on the command line: --fault fail_next=502,502
        if (v.is_string()) {
            json::array a;
            std::string_view s = v.get_string();
            while (!s.empty()) {
                auto comma = s.find(',');
                a.emplace_back(s.substr(0, comma));
                s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
            }
            v = std::move(a);
        } else if (!v.is_array()) {
            v = json::array{v};
        }
    }
    // One substring to hold on: --fault 'hold=["\"type\":\"Shot\"", "desc"]' gives several.
    if (key == "hold" && v.is_string()) v = json::array{v};
    json::object o;
    o[key] = std::move(v);
    apply_json(c, o);
}

bool held(const fault_config& c, std::string_view body) {
    if (c.hold.empty()) return false;
    for (const auto& part : c.hold) {
        if (body.find(part) == std::string_view::npos) return false;
    }
    return true;
}

fault_decision decide(fault_config& c, std::mt19937_64& rng, std::string_view method) {
    fault_decision d;
    if (!c.methods.empty() && std::find(c.methods.begin(), c.methods.end(), method) == c.methods.end()) {
        return d;
    }
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    std::int64_t delay = c.latency_ms;
    if (c.jitter_ms > 0) delay += static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(c.jitter_ms + 1));
    d.delay = std::chrono::milliseconds(delay);
    if (!c.fail_next.empty()) {
        std::string next = c.fail_next.front();
        c.fail_next.erase(c.fail_next.begin());
        if (next == "reset") d.reset = true;
        else if (next == "stall") d.stall = true;
        else if (next == "close") d.close = true;
        else d.status = static_cast<unsigned>(std::stoi(next));
        return d;
    }
    // One draw per kind, in a fixed order, so a seed reproduces the same sequence.
    const std::pair<double, unsigned> statuses[] = {
        {c.http_502, 502}, {c.http_503, 503}, {c.http_504, 504}, {c.http_429, 429}};
    for (const auto& [p, status] : statuses) {
        if (p > 0 && coin(rng) < p) {
            d.status = status;
            return d;
        }
    }
    if (c.reset > 0 && coin(rng) < c.reset) {
        d.reset = true;
    } else if (c.stall > 0 && coin(rng) < c.stall) {
        d.stall = true;
    }
    return d;
}

}  // namespace sgcache::fake_shotgun
