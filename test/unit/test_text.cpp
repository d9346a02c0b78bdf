// Excerpts of foreign text for errors, logs and JSON replies: one line, valid UTF-8, bounded.
#include "common/text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <doctest/doctest.h>

using sgcache::text::excerpt;
using sgcache::text::utf8_cut;

namespace {
// What a JSON consumer would see: the excerpt serialized as a JSON string, parsed back.
bool round_trips(const std::string& s) {
    boost::system::error_code ec;
    auto v = boost::json::parse(boost::json::serialize(boost::json::string(s)), ec);
    return !ec && v.is_string() && v.get_string() == s;
}
}  // namespace

TEST_CASE("text: utf8_cut never ends inside a character") {
    const std::string s = "ab\xc3\xa9" "cd";  // a b é c d
    CHECK(utf8_cut(s, 100) == s.size());
    CHECK(utf8_cut(s, 2) == 2);
    CHECK(utf8_cut(s, 3) == 2);  // inside é
    CHECK(utf8_cut(s, 4) == 4);
    CHECK(utf8_cut("\xf0\x9f\x8e\xac", 3) == 0);  // a 4-byte character does not fit
    CHECK(utf8_cut("", 5) == 0);
}

TEST_CASE("text: excerpt is one line of valid UTF-8, cut with an ellipsis") {
    CHECK(excerpt("short", 160) == "short");
    CHECK(excerpt("a\nb\r\tc", 160) == "a b  c");
    CHECK(excerpt(std::string(10, 'x'), 4) == "xxxx...");
    // A character is never split, whatever the limit.
    const std::string accented = std::string(3, 'x') + "\xc3\xa9" + "yz";
    CHECK(excerpt(accented, 4) == "xxx...");
    CHECK(excerpt(accented, 5) == "xxx\xc3\xa9...");
    // Bytes that are not UTF-8 (a Latin-1 page, a reply cut short, an overlong form, a
    // surrogate) and control characters become '?'.
    CHECK(excerpt("caf\xe9 ok", 160) == "caf? ok");
    CHECK(excerpt("end\xe2\x82", 160) == "end??");
    CHECK(excerpt("\xc0\xaf", 160) == "??");
    CHECK(excerpt("\xed\xa0\x80", 160) == "???");
    CHECK(excerpt(std::string("a\0b\x1b", 4), 160) == "a?b?");
    for (const std::string& s : {std::string("caf\xe9"), std::string("\xff\xfe<html>\n"), accented,
                                std::string(200, '\x80'), std::string("\xf4\x90\x80\x80")}) {
        CHECK(round_trips(excerpt(s, 7)));
        CHECK(round_trips(excerpt(s, 160)));
    }
}
