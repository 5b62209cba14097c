/* sim/live/live_node.h: one scenario process on a real network.
 *
 * Owns: the run of one scenario process as an OS process: core/include/link/env.h over
 * CLOCK_MONOTONIC (scenario time = wall time since the run's epoch divided
 * by the time scale), a timerfd and epoll, and the datagram layer of
 * live_net.h; the application (app.h) of its incarnation, the same workload
 * as under the simulator; its trace stream; the timeline's lines as they are
 * applied to it; and the counters it publishes.
 *
 * One input (a datagram, a timer, the workload) is one step, as in the
 * simulator: every event of a step has the step's time, and the step's trace
 * lines are written (one write) before its datagrams leave, so that a
 * process killed at any instant has traced everything the others can see of
 * it. Each event carries the process's Lamport clock (`lamport`,
 * checkers/TRACE.md): it grows by at least 1 from one event to the next,
 * every datagram carries the clock after the step that sent it, and a
 * datagram's arrival raises the clock to it; so an event that happens
 * before another has a smaller clock, across processes and hosts. It also
 * ticks with scenario time: an event's clock is the larger of the last one
 * plus 1 and the time in ns (a hybrid clock), so that the order of the
 * clocks stays close to the order in time when the hosts' clocks agree.
 *
 * Two ways to run (struct live_node_cfg):
 * - supervised (`pgroup live`, live.h): one incarnation per OS process. The
 *   supervisor tells it each line of the timeline as it applies it, over a
 *   control pipe (struct live_ctl); a crash is SIGKILL from the supervisor,
 *   a restart is a new process. Counters and group membership go to a slot
 *   of memory shared with the supervisor (struct live_shm).
 * - on its own (`pgroup node`): the process applies the timeline from its
 *   own clock; a crash of its process ends its incarnation inside the OS
 *   process (the node is freed, its socket stays), a restart starts the next
 *   one in the same OS process. One process (cfg.harness) also writes the
 *   harness's events (domains, faults).
 */
#ifndef SIM_LIVE_NODE_H
#define SIM_LIVE_NODE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "env.h"
#include "live_net.h"
#include "scenario.h"
#include "world.h"

/* Control records, supervisor to process, over a pipe (atomic writes). */
enum live_ctl_type {
    LIVE_CTL_START = 1, /* value: the epoch (CLOCK_MONOTONIC ns at scenario time 0) */
    LIVE_CTL_FAULT = 2, /* arg: the index of the timeline line just applied */
    LIVE_CTL_STOP = 3,  /* stop now (the run is over or interrupted) */
};
struct live_ctl {
    uint32_t type, arg;
    int64_t value;
};

/* What a supervised process publishes, in memory shared with the supervisor
 * and the other processes: one slot per incarnation. Written only by its
 * incarnation's process; read by the supervisor once that process is gone
 * (counters), and by the others at any time (membership bits, relaxed
 * atomic bytes). */
struct live_slot {
    int32_t pid;
    uint32_t started;           /* 1 once its `start` event is written */
    uint64_t link_retained_max; /* sampled after every input (metrics.h) */
    uint64_t pg_retained_max;
    struct sim_totals tot;     /* its counters, its node's statistics included */
    struct live_net_stats net; /* its datagram layer's own counters */
    uint8_t member[];          /* bit g: a member, not a client, of group g */
};

struct live_shm {
    uint32_t n_slots, slot_b, member_b;
    _Alignas(64) uint8_t slots[]; /* n_slots of slot_b bytes (each a multiple of 64) */
};

/* Shared memory for n_slots incarnations of a scenario with n_groups
 * groups (mmap, shared with the children forked afterwards); NULL on failure. */
struct live_shm *live_shm_new(uint32_t n_slots, uint32_t n_groups);
void live_shm_free(struct live_shm *m);
/* The slot of incarnation id (1 .. n_slots). */
struct live_slot *live_shm_slot(struct live_shm *m, pg_node_id id);

struct live_node_cfg {
    const struct scn *scn;
    uint64_t seed;
    uint32_t proc;                   /* the scenario process it runs */
    pg_node_id first;                /* the incarnation it starts with */
    int sock_fd;                     /* its bound UDP socket */
    const struct sockaddr_in *addrs; /* per scenario process */
    int trace_fd;                    /* its trace stream (header, then its events) */
    double scale;                    /* wall seconds per scenario second (> 0) */
    int64_t epoch_ns;                /* CLOCK_MONOTONIC at scenario time 0; 0: wait for
                                        LIVE_CTL_START on ctl_fd */
    /* supervised */
    int ctl_fd;           /* control pipe (read end), or -1 */
    int ready_fd;         /* one byte is written there once ready, or -1 */
    uint32_t replay;      /* timeline lines applied before it started */
    struct live_shm *shm; /* or NULL */
    /* on its own */
    bool own_timeline;         /* applies the timeline from its own clock */
    bool harness;              /* writes the domain and fault events */
    struct sim_totals *totals; /* out: its counters at the end, or NULL */
};

/* Runs the process to the end of the scenario (or LIVE_CTL_STOP, or the
 * control pipe closing). Returns 0, or 2 when its trace could not be
 * written or it could not start (after a message on stderr). */
int live_node_run(const struct live_node_cfg *cfg);

#endif
