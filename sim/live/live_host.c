/* sim/live/live_host.c: a scenario across hosts. See live_host.h. */
#define _GNU_SOURCE
#include "live_host.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "chk.h"
#include "live_merge.h"
#include "live_net.h"
#include "live_node.h"
#include "live_peers.h"
#include "outfile.h"
#include "summary.h"

static int64_t lh_clock_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* This host's socket: its peers-file port on every local address. -1 after a message. */
static int lh_socket(const struct sockaddr_in *own, const char *name)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY), .sin_port = own->sin_port};
    int buf = (int)LIVE_RCVBUF_B;
    if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) != 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        fprintf(stderr, "pgroup node: cannot bind UDP port %u for %s: %s\n", ntohs(own->sin_port),
                name, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void lh_print(const struct scn *s, const struct live_host_opts *o, const char *trace,
                     const struct sim_totals *t, FILE *out)
{
    fprintf(out,
            "\nsummary: node %s ran %.3f s of scenario %s; %llu sends; %llu deliveries; "
            "trace %s\n",
            o->proc, (double)s->run_ns / 1e9, s->name, (unsigned long long)t->sends,
            (unsigned long long)t->deliveries, trace);
    struct sim_sometimes none = {0};
    bool any_pg = false;
    for (uint32_t g = 0; g < s->n_groups; g++)
        any_pg |= s->groups[g].pg;
    sim_summary_print(t, any_pg, &none, out);
    fprintf(out, "merge every host's trace with: pgroup merge TRACE... --out FILE\n");
}

int live_host_node(const struct scn *s, const struct live_host_opts *o, FILE *out)
{
    int p = scn_find_proc(s, o->proc);
    if (p < 0) {
        fprintf(stderr, "pgroup node: --id %s is not a process of %s\n", o->proc, s->file);
        return 2;
    }
    struct sockaddr_in *addrs = calloc(s->n_procs, sizeof *addrs);
    assert(addrs);
    char trace[4096];
    snprintf(trace, sizeof trace, "%s", o->trace_path ? o->trace_path : o->proc);
    if (!o->trace_path)
        strncat(trace, ".jsonl", sizeof trace - strlen(trace) - 1);
    int fd = -1, tfd = -1, rc = live_peers_parse(o->peers, s, addrs, stderr);
    if (rc == 0 && (fd = lh_socket(&addrs[p], o->proc)) < 0)
        rc = 2;
    if (rc == 0 && (tfd = open(trace, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
        fprintf(stderr, "pgroup: cannot write %s: %s\n", trace, strerror(errno));
        rc = 2;
    }
    if (rc == 0) {
        int64_t real = lh_clock_ns(CLOCK_REALTIME), mono = lh_clock_ns(CLOCK_MONOTONIC);
        int64_t start = o->start_s < 0 ? real + 1000000000 : (int64_t)(o->start_s * 1e9);
        struct sim_totals t;
        struct live_node_cfg cfg = {.scn = s,
                                    .seed = o->seed_given ? o->seed : s->seed,
                                    .proc = (uint32_t)p,
                                    .first = (pg_node_id)p + 1,
                                    .sock_fd = fd,
                                    .addrs = addrs,
                                    .trace_fd = tfd,
                                    .scale = o->scale,
                                    .epoch_ns = mono + (start - real),
                                    .ctl_fd = -1,
                                    .ready_fd = -1,
                                    .own_timeline = true,
                                    .harness = p == 0,
                                    .totals = &t};
        fprintf(out, "pgroup node %s of %s: %u processes, UDP port %u, start at %.3f (UNIX time)\n",
                o->proc, s->file, s->n_procs, ntohs(addrs[p].sin_port), (double)start / 1e9);
        fflush(out);
        if (cfg.epoch_ns <= 0)
            fprintf(stderr, "pgroup node: --start %.3f is before this host started\n",
                    (double)start / 1e9);
        rc = cfg.epoch_ns > 0 ? live_node_run(&cfg) : 2;
        if (rc == 0 && close(tfd) != 0) {
            fprintf(stderr, "pgroup: cannot write %s: %s\n", trace, strerror(errno));
            rc = 2;
        }
        tfd = -1;
        if (rc == 0)
            lh_print(s, o, trace, &t, out);
    }
    if (tfd >= 0)
        close(tfd);
    if (fd >= 0)
        close(fd);
    free(addrs);
    return rc;
}

int live_host_merge(const char *const *paths, uint32_t n, const char *out_path, FILE *out)
{
    struct live_merged m;
    if (live_merge_files(paths, n, LIVE_MERGE_BY_LAMPORT, &m, stderr) != 0)
        return 2;
    FILE *f = sim_out_open(out_path, "w");
    int err = 0;
    if (f && fwrite(m.buf, 1, m.len, f) != m.len)
        sim_out_failed(&err);
    if (!f || sim_out_close(f, out_path, err) != 0) {
        free(m.buf);
        return 2;
    }
    fprintf(out,
            "merged %u traces by Lamport clock into %s: %llu events; t raised on %llu lines to "
            "keep it from going back (the hosts' clocks differ); %llu last lines cut short "
            "left out\n",
            n, out_path, (unsigned long long)m.events, (unsigned long long)m.raised,
            (unsigned long long)m.torn);
    struct chk *ck = chk_read_trace_buf(out_path, m.buf, m.len, stderr);
    free(m.buf);
    if (!ck)
        return 2;
    fprintf(out, "rules:\n");
    chk_report(ck, out);
    bool ok = chk_verdict(ck, out);
    chk_free(ck);
    return ok ? 0 : 1;
}
