/* sim/driver/platform.cpp: SimGrid's initialisation and the platform. See platform.h.
 * C++ only to catch SimGrid's exceptions in the child that checks a platform
 * file; it holds no protocol logic. */
#include "platform.h"

#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace
{

const size_t kTextMax = 64 * 1024; /* bytes of the child's messages kept */

enum { kChildOk = 0, kChildPlatform = 3, kChildScenario = 4 };

void init_simgrid()
{
    static char arg0[] = "pgroup", log[] = "--log=root.thres:critical",
                model[] = "--cfg=network/model:CM02", ctx[] = "--cfg=contexts/nthreads:1";
    char *argv[] = {arg0, log, model, ctx, nullptr};
    int argc = 4;
    simgrid_init(&argc, argv);
}

/* ---- the checking child: writes its message on fd 2 and _exits ---- */

[[noreturn]] void child_exit(int code, const std::string &msg)
{
    std::string line = msg + "\n";
    for (size_t at = 0; at < line.size();) {
        ssize_t n = write(2, line.data() + at, line.size() - at);
        if (n <= 0)
            break;
        at += (size_t)n;
    }
    _exit(code);
}

/* SimGrid's "Parse error at FILE:LINE: text" becomes "FILE:LINE: text". */
std::string describe(const char *path, const char *what)
{
    static const char pre[] = "Parse error at ";
    if (!strncmp(what, pre, sizeof pre - 1))
        return what + sizeof pre - 1;
    return std::string(path) + ": " + what;
}

std::string fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char *f, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return buf;
}

void check_links(const simgrid::s4u::Engine *e, const char *path)
{
    for (const simgrid::s4u::Link *l : e->get_all_links()) {
        if (!(l->get_latency() >= 0 && l->get_latency() <= (double)SCN_MAX_LATENCY_NS / 1e9))
            child_exit(kChildPlatform, fmt("%s: link '%s' has a latency of %gs; pgroup simulates "
                                           "0s to 1000s per link",
                                           path, l->get_cname(), l->get_latency()));
        if (!(l->get_bandwidth() >= SCN_MIN_BANDWIDTH))
            child_exit(kChildPlatform, fmt("%s: link '%s' has a bandwidth of %g B/s; pgroup "
                                           "simulates at least 125 B/s (1kbps) per link",
                                           path, l->get_cname(), l->get_bandwidth()));
    }
}

/* The host of every process, as run.c places them (sg_host_list order,
 * round-robin, unless placed), deduplicated; `place` hosts must exist. */
std::vector<const simgrid::s4u::Host *> used_hosts(const struct scn *s)
{
    size_t n = sg_host_count();
    sg_host_t *all = sg_host_list();
    std::vector<const simgrid::s4u::Host *> used;
    std::vector<bool> seen(n, false);
    for (uint32_t p = 0; p < s->n_procs; p++) {
        const simgrid::s4u::Host *h = all[p % n];
        if (s->procs[p].host[0]) {
            h = simgrid::s4u::Host::by_name_or_null(s->procs[p].host);
            if (!h)
                child_exit(kChildScenario,
                           fmt("%s:%u:%u: the platform %s has no host named '%s'", s->file,
                               s->procs[p].place_line, s->procs[p].place_col, s->platform_file,
                               s->procs[p].host));
        }
        size_t k = 0;
        while (k < n && all[k] != h)
            k++;
        if (k < n && !seen[k]) {
            seen[k] = true;
            used.push_back(h);
        }
    }
    free(all);
    return used;
}

/* Every host the run uses reaches the first one and back, within the latency range. */
void check_routes(const std::vector<const simgrid::s4u::Host *> &used, const char *path)
{
    for (size_t k = 1; k < used.size(); k++) {
        for (int dir = 0; dir < 2; dir++) {
            const simgrid::s4u::Host *a = dir ? used[k] : used[0], *b = dir ? used[0] : used[k];
            std::vector<simgrid::s4u::Link *> links;
            double lat = 0;
            try {
                a->route_to(b, links, &lat);
            } catch (const std::exception &ex) {
                child_exit(kChildPlatform, fmt("%s: no route from host '%s' to host '%s', which "
                                               "the run uses (SimGrid: %s)",
                                               path, a->get_cname(), b->get_cname(), ex.what()));
            }
            if (lat > (double)SCN_MAX_LATENCY_NS / 1e9)
                child_exit(kChildPlatform, fmt("%s: the route from host '%s' to host '%s' has a "
                                               "latency of %gs; pgroup simulates at most 1000s",
                                               path, a->get_cname(), b->get_cname(), lat));
        }
    }
}

[[noreturn]] void child_check(const struct scn *s)
{
    init_simgrid();
    simgrid::s4u::Engine *e = simgrid::s4u::Engine::get_instance();
    const char *path = s->platform_file;
    try {
        e->load_platform(path);
        e->seal_platform();
    } catch (const std::exception &ex) {
        child_exit(kChildPlatform, describe(path, ex.what()));
    }
    if (sg_host_count() == 0)
        child_exit(kChildPlatform, fmt("%s: the platform has no host", path));
    check_links(e, path);
    check_routes(used_hosts(s), path);
    _exit(kChildOk);
}

/* ---- the parent ---- */

/* The last non-empty line of `text`, without SimGrid's log prefix
 * ("[0.000000] ./src/surf/sg_platf.cpp:529: [root/CRITICAL] "). */
std::string last_line(const std::string &text)
{
    size_t end = text.find_last_not_of("\n ");
    if (end == std::string::npos)
        return "";
    size_t start = text.rfind('\n', end);
    start = start == std::string::npos ? 0 : start + 1;
    std::string line = text.substr(start, end + 1 - start);
    static const char tag[] = "/CRITICAL] ";
    size_t at = line.find(tag);
    if (at != std::string::npos)
        line.erase(0, at + sizeof tag - 1);
    return line;
}

std::string read_all(int fd)
{
    std::string text;
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (text.size() < kTextMax)
            text.append(buf, (size_t)n);
    }
    return text;
}

int check_file(const struct scn *s, FILE *err)
{
    int fds[2];
    if (pipe(fds) != 0) {
        fprintf(err, "%s: cannot check the platform: pipe: %s\n", s->platform_file,
                strerror(errno));
        return 2;
    }
    fflush(stdout);
    fflush(err);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(err, "%s: cannot check the platform: fork: %s\n", s->platform_file,
                strerror(errno));
        return 2;
    }
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 1);
        child_check(s);
    }
    close(fds[1]);
    std::string text = read_all(fds[0]);
    close(fds[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == kChildOk)
        return 0;
    if (WIFEXITED(st) && WEXITSTATUS(st) == kChildScenario) {
        fputs(text.c_str(), err);
        return 2;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == kChildPlatform) {
        fputs(text.c_str(), err);
    } else {
        std::string why = WIFSIGNALED(st) ? fmt("killed by signal %d", WTERMSIG(st))
                                          : fmt("exit status %d", WEXITSTATUS(st));
        std::string line = last_line(text);
        fprintf(err, "%s: SimGrid failed loading the platform (%s)%s%s\n", s->platform_file,
                why.c_str(), line.empty() ? "" : ": ", line.c_str());
    }
    fprintf(err, "  (the platform file of %s:%u:%u)\n", s->file, s->platform_line, s->platform_col);
    return 2;
}

/* The built-in cluster: one host per process (h0 ..), as an XML file. */
int load_cluster(const struct scn *s, FILE *err)
{
    const char *dir = getenv("TMPDIR");
    std::string path = std::string(dir && dir[0] ? dir : "/tmp") + "/pgroup-platform-XXXXXX";
    std::vector<char> buf(path.begin(), path.end());
    buf.push_back('\0');
    int fd = mkstemp(buf.data());
    FILE *f = fd >= 0 ? fdopen(fd, "w") : nullptr;
    if (!f) {
        fprintf(err, "pgroup: cannot write the built-in platform %s: %s\n", buf.data(),
                strerror(errno));
        return 2;
    }
    uint32_t n = s->n_procs ? s->n_procs : 1;
    fprintf(f, "<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM "
               "\"https://simgrid.org/simgrid.dtd\">\n<platform version=\"4.1\">\n");
    fprintf(f,
            "<cluster id=\"cluster\" prefix=\"h\" suffix=\"\" radical=\"0-%u\" speed=\"1Gf\" "
            "bw=\"%.0fBps\" lat=\"%.9fs\"/>\n</platform>\n",
            n - 1, s->cluster_bandwidth_Bps, (double)s->cluster_latency_ns / 1e9);
    if (ferror(f) | (fclose(f) != 0)) {
        fprintf(err, "pgroup: cannot write the built-in platform %s: %s\n", buf.data(),
                strerror(errno));
        unlink(buf.data());
        return 2;
    }
    simgrid_load_platform(buf.data());
    unlink(buf.data());
    return 0;
}

} // namespace

extern "C" int sim_platform_load(const struct scn *s, FILE *err)
{
    if (s->platform_file[0] && check_file(s, err) != 0)
        return 2;
    init_simgrid();
    if (!s->platform_file[0])
        return load_cluster(s, err);
    simgrid_load_platform(s->platform_file);
    return 0;
}
