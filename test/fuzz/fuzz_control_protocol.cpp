// libFuzzer target for the control socket's request decoder: whatever bytes a client sends,
// decode() must return a request or a one-line error, never crash, hang or leak; and every
// reply it builds must be valid JSON. Built and run by scripts/fuzz-control.
#include "control/protocol.hpp"

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    for (const std::string token : {"", "s3cret"}) {
        auto d = sgcache::control::decode(input, token);
        if (!d.req && d.error.empty()) __builtin_trap();  // an error must say what is wrong
        if (d.req && d.req->command.empty()) __builtin_trap();
        if (!d.req) {
            boost::system::error_code ec;
            boost::json::parse(sgcache::control::error_reply(d.error), ec);
            if (ec) __builtin_trap();
        }
    }
    return 0;
}
