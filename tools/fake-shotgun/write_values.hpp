// The values a write sends, as the site checks and stores them: normalize() turns the
// value sent for a field into its stored form (links as stored links, url hashes filled
// in, duplicates dropped from lists) or refuses it with the fault a real site answers, in
// its wording; empty_stored() says whether a stored value is empty. No I/O.
//
// Errors: normalize() throws api_fault (fault_code::bad_request for a value of the wrong
// shape, fault_code::crud for a value the field refuses: not a valid list value, out of
// range, a link to an entity that does not exist).
#pragma once

#include "schema.hpp"
#include "store.hpp"

#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace sgcache::fake_shotgun {

/// Checks a value sent for field `f` and turns it into the stored form. `where` is
/// "Shot.code" and `method` "update" for messages. Null becomes the field's empty value.
json::value normalize(const store& db, const field_def& f, const json::value& v, std::string_view method,
                      const std::string& where);

/// True for a stored value that holds nothing: null, an empty list, false.
bool empty_stored(const json::value& v);

}  // namespace sgcache::fake_shotgun
