// Starts the project's fake Shotgun site (build/tools/fake-shotgun/fake-shotgun) as a child
// process on a free port for one test, and stops it when the test ends.
#pragma once

#include <string>
#include <vector>

namespace sgcache::test {

class fake_site {
public:
    /// `args` are passed after `--listen 127.0.0.1:0`; give at least one `--script`.
    /// Throws std::runtime_error with the site's stderr when it does not start.
    explicit fake_site(std::vector<std::string> args);
    ~fake_site();
    fake_site(const fake_site&) = delete;
    fake_site& operator=(const fake_site&) = delete;

    /// "http://127.0.0.1:PORT" or "https://..." as the site printed it.
    const std::string& url() const { return url_; }
    int pid() const { return pid_; }

    /// The fake-shotgun binary of this build.
    static std::string binary();

private:
    std::string url_;
    std::string log_path_;
    int pid_ = -1;
    int stdout_fd_ = -1;
};

}  // namespace sgcache::test
