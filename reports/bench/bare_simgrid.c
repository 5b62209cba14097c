/* reports/bench/bare_simgrid.c: the baseline for reports/bench.
 *
 * Sends the same application messages as pgroup's all-to-all benchmark
 * scenario on the same platform, with nothing but SimGrid: N actors, eager
 * mailboxes, fire-and-forget puts (put_init + detach), each actor sending
 * `rate` messages per second of `size` bytes to every other actor, and
 * receiving everything addressed to it. No protocol, no checking, no trace.
 *
 * usage: bare_simgrid N RATE_PER_S SIZE_B DURATION_S LATENCY_S BANDWIDTH_BPS
 * Prints one line: `bare messages=M sim_s=S wall_s=W us_per_msg=U`.
 */
#include <simgrid/actor.h>
#include <simgrid/comm.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <xbt/config.h>

#include "sg_rx.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct bare {
    int n;
    double rate, duration;
    long size;
    long sent, received;
};
static struct bare g_bare; /* the benchmark's own globals: not part of core/ */

static void bare_actor(int argc, char **argv)
{
    int me = atoi(argv[1]);
    char name[32];
    snprintf(name, sizeof name, "m%d", me);
    sg_mailbox_set_receiver(name);
    sg_mailbox_t self = sg_mailbox_by_name(name);
    sg_mailbox_t *peers = calloc((size_t)g_bare.n, sizeof *peers);
    for (int i = 0; i < g_bare.n; i++) {
        snprintf(name, sizeof name, "m%d", i);
        peers[i] = sg_mailbox_by_name(name);
    }
    double period = 1.0 / g_bare.rate;
    double next_send = period * me / g_bare.n;
    struct sg_rx *rx = sg_rx_new(self);
    for (;;) {
        double now = simgrid_get_clock();
        if (now >= g_bare.duration)
            break;
        while (next_send <= now && next_send < g_bare.duration) {
            for (int i = 0; i < g_bare.n; i++) {
                if (i == me)
                    continue;
                sg_comm_t c = sg_mailbox_put_init(peers[i], (void *)1, g_bare.size);
                sg_comm_detach(c, NULL);
                g_bare.sent++;
            }
            next_send += period;
        }
        double wake = next_send < g_bare.duration ? next_send : g_bare.duration;
        if (sg_rx_wait(rx, wake - now))
            g_bare.received++;
    }
    sg_rx_free(rx);
    free(peers);
}

static void write_platform(const char *path, int n, double lat, double bw)
{
    FILE *f = fopen(path, "w");
    assert(f);
    fprintf(f, "<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM "
               "\"https://simgrid.org/simgrid.dtd\">\n<platform version=\"4.1\">\n");
    fprintf(f,
            "<cluster id=\"cluster\" prefix=\"h\" suffix=\"\" radical=\"0-%d\" speed=\"1Gf\" "
            "bw=\"%.0fBps\" lat=\"%.9fs\"/>\n</platform>\n",
            n - 1, bw, lat);
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr, "usage: %s N RATE_PER_S SIZE_B DURATION_S LATENCY_S BANDWIDTH_BPS\n",
                argv[0]);
        return 2;
    }
    g_bare.n = atoi(argv[1]);
    g_bare.rate = atof(argv[2]);
    g_bare.size = atol(argv[3]);
    g_bare.duration = atof(argv[4]);
    double lat = atof(argv[5]), bw = atof(argv[6]);
    char *sg_argv[] = {argv[0], "--log=root.thres:critical", "--cfg=network/model:CM02", NULL};
    int sg_argc = 3;
    simgrid_init(&sg_argc, sg_argv);
    char path[] = "/tmp/pgroup-bare-XXXXXX";
    int fd = mkstemp(path);
    assert(fd >= 0);
    close(fd);
    write_platform(path, g_bare.n, lat, bw);
    simgrid_load_platform(path);
    unlink(path);
    sg_host_t *hosts = sg_host_list();
    for (int i = 0; i < g_bare.n; i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", i);
        const char *av[] = {"bare", id};
        sg_actor_create("bare", hosts[i], bare_actor, 2, (char **)av);
    }
    free(hosts);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    simgrid_run();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("bare messages=%ld received=%ld sim_s=%.6f wall_s=%.6f us_per_msg=%.3f\n", g_bare.sent,
           g_bare.received, simgrid_get_clock(), wall, wall * 1e6 / (double)g_bare.sent);
    return 0;
}
