// libFuzzer target for the proxy's request path up to Elasticsearch: whatever bytes a client
// posts to /api3/json, decode() returns a call or an error, never crashing; plan_read() turns
// any read payload into a search or a reason to forward, never throwing; a planned search
// serializes, and renders hits it could get back. Built and run by scripts/fuzz-proxy.
#include "proxy/envelope.hpp"
#include "proxy/read_plan.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

sgcache::proxy::catalog make_catalog() {
    using namespace sgcache::proxy;
    type_info t;
    t.type = "Shot";
    t.live_alias = "sgcache-entity-shot";
    t.covers = type_info::coverage::everything;
    t.fields["id"] = {value_kind::integer};
    t.fields["code"] = {value_kind::text, false, false, true, "code"};
    t.fields["description"] = {value_kind::text, false, false, true, "description.keyword"};
    t.fields["sg_status_list"] = {value_kind::exact};
    t.fields["sg_cut_in"] = {value_kind::integer, false, true};
    t.fields["sg_frame_rate"] = {value_kind::number};
    t.fields["sg_closed"] = {value_kind::checkbox};
    t.fields["due"] = {value_kind::date};
    t.fields["created_at"] = {value_kind::date_time};
    t.fields["project"] = {value_kind::entity};
    t.fields["assets"] = {value_kind::multi_entity};
    t.fields["image"] = {value_kind::other, true};
    catalog c;
    c.types["Shot"] = t;
    c.site_types = {"Shot", "Asset", "Project"};
    return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto cat = make_catalog();
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string error;
    auto call = sgcache::proxy::decode(input, error);
    if (!call) {
        if (error.empty()) __builtin_trap();  // an error must say what is wrong
        return 0;
    }
    if (call->method.empty()) __builtin_trap();
    (void)sgcache::proxy::script_of(call->auth);
    if (!call->payload.is_object()) return 0;
    auto plan = sgcache::proxy::plan_read(cat, call->payload.get_object());
    if (!plan.cached) {
        if (plan.forward_reason.empty()) __builtin_trap();
        return 0;
    }
    boost::system::error_code ec;
    boost::json::parse(boost::json::serialize(plan.cached->body), ec);
    if (ec) __builtin_trap();
    const auto hits = boost::json::parse(R"([{"_source":{"type":"Shot","id":1,"code":"a"}},{"_source":{}},{}])").as_array();
    (void)boost::json::serialize(sgcache::proxy::render(*plan.cached, hits, 3));
    return 0;
}
