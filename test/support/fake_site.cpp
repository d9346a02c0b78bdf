#include "support/fake_site.hpp"

#include "support/env.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace sgcache::test {

std::string fake_site::binary() {
    const char* build = std::getenv("SGCACHE_BUILD_DIR");
    return std::string(build && *build ? build : repo_root() + "/build") + "/tools/fake-shotgun/fake-shotgun";
}

fake_site::fake_site(std::vector<std::string> args) {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
    log_path_ = "/tmp/" + unique_name("sgct-fake-site") + ".log";
    std::vector<std::string> argv{binary(), "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());

    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        // Dies with the test process, even when that one is killed.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::dup2(out[1], 1);
        int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (log >= 0) ::dup2(log, 2);
        ::close(out[0]);
        std::vector<char*> cargv;
        for (auto& a : argv) cargv.push_back(a.data());
        cargv.push_back(nullptr);
        ::execv(cargv[0], cargv.data());
        std::fprintf(stderr, "cannot run %s: %s\n", cargv[0], std::strerror(errno));
        ::_exit(127);
    }
    ::close(out[1]);
    // The first line of stdout is the URL. Wait up to 60 s (a large generated studio).
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
        pollfd p{out[0], POLLIN, 0};
        if (::poll(&p, 1, 200) <= 0) continue;
        char buf[256];
        const ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        line.append(buf, static_cast<std::size_t>(n));
    }
    // Keep the pipe open: a write to a closed stdout would kill the site with SIGPIPE.
    stdout_fd_ = out[0];
    if (line.find('\n') == std::string::npos) {
        ::close(out[0]);
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        std::ifstream log(log_path_);
        std::stringstream err;
        err << log.rdbuf();
        throw std::runtime_error("fake Shotgun site did not start: " + err.str());
    }
    url_ = line.substr(0, line.find('\n'));
}

fake_site::~fake_site() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 50; ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
    std::remove(log_path_.c_str());
}

}  // namespace sgcache::test
