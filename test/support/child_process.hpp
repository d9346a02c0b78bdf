// A child process for integration tests (sgcache serve, the workload driver): started with
// its output in a log file, dies with the test process, and can be stopped politely or
// killed with SIGKILL.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace sgcache::test {

class child_process {
public:
    /// Starts argv[0] with the arguments; stdout and stderr go to `log_file`.
    child_process(std::vector<std::string> argv, std::string log_file);
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    /// Whether it has not exited yet (reaps it when it has: hence the mutable status).
    bool running() const;
    /// SIGKILL, then reap.
    void kill9();
    /// Sends `sig` and waits up to `limit`; returns the exit status (128+signal when killed),
    /// or nothing when it did not exit in time (it is then killed).
    std::optional<int> stop(int sig, std::chrono::milliseconds limit);
    /// Waits for the process to exit on its own.
    std::optional<int> wait(std::chrono::milliseconds limit);
    /// The log so far.
    std::string log() const;
    int pid() const { return pid_; }

private:
    int pid_ = -1;
    mutable std::optional<int> status_;
    std::string log_file_;
};

/// The sgcache executable of this build.
std::string sgcache_binary();

}  // namespace sgcache::test
