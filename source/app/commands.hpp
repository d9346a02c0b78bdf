// The sgcache commands; each returns the process exit status (0 success, 1 failure,
// 2 usage error) and prints its own errors.
#pragma once

#include <string>
#include <vector>

namespace sgcache::app {

int generate_entity_configs(const std::vector<std::string>& args);
int serve(const std::vector<std::string>& args);
int status(const std::vector<std::string>& args);
int rebuild(const std::vector<std::string>& args);
int reload(const std::vector<std::string>& args);
int validate(const std::vector<std::string>& args);
int proxy(const std::vector<std::string>& args);

}  // namespace sgcache::app
