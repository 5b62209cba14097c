/* sim/harness/app.h: the simulated application of one process incarnation, and what
 * it needs from the driver that runs it.
 *
 * Owns: `struct sim_app` (the workload of one incarnation, its membership
 * operations, its replicated object, the sabotage layer; app.c says more) and
 * `struct sim_app_host`, the small interface between the application and a
 * driver: the simulator (world.c, SimGrid) or the live driver (live_node.c,
 * UDP). The application knows nothing of SimGrid, sockets or clocks: it reads
 * the time, writes its trace events and learns about other incarnations only
 * through the host, so that one scenario line means the same workload under
 * both drivers.
 */
#ifndef SIM_APP_H
#define SIM_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "chk.h"
#include "metrics.h"
#include "node.h"
#include "scenario.h"
#include "world.h"

#define SIM_INC_NAME_MAX (SCN_NAME_MAX + 12) /* p3, p3#2, ... */

/* What the application needs from its driver. One host serves every
 * incarnation of a run (the simulator) or the one incarnation of a process
 * (the live driver). Every callback gets the incarnation's driver object
 * (sim_app.drv). */
struct sim_app_host {
    const struct scn *scn;
    const bool *group_pg;        /* per scenario group: runs the process-group layer */
    struct sim_totals *tot;      /* the counters the application adds to */
    struct sim_metrics *metrics; /* or NULL: no per-delivery metrics hooks */
    uint64_t *proc_sends;        /* per process: application sends, or NULL */
    /* The current time in ns (the time of the input being processed). */
    int64_t (*now_ns)(void *drv);
    /* Writes one trace event of this incarnation (the driver fills `t`); the
     * driver drops it if the incarnation has crashed. */
    void (*emit)(void *drv, struct chk_event *e);
    /* The trace name of incarnation `id` (p3, p3#2). */
    const char *(*inc_name)(void *drv, pg_node_id id);
    /* The live incarnation of scenario process `proc`, or PG_NODE_NONE. */
    pg_node_id (*current)(void *drv, uint32_t proc);
    /* A live member of process group `group` (scenario index) other than this
     * incarnation, to ask for a join; PG_NODE_NONE if there is none. */
    pg_node_id (*contact)(void *drv, uint32_t group);
    /* When incarnation `from` sent its message `seq`, for the latency totals;
     * NULL when the driver measures latency elsewhere (the live driver: from
     * the merged trace). */
    int64_t (*sent_ns)(void *drv, pg_node_id from, uint64_t seq);
};

/* A delivery on its way through the sabotage layer. */
struct sim_delivery {
    char msg[SIM_INC_NAME_MAX + 24];
    char from[SIM_INC_NAME_MAX];
    pg_node_id from_id; /* the real sender and its seq (metrics; sabotage may forge `from`) */
    uint64_t seq;
    uint32_t group;
    const char *order;
    int64_t view;
};

/* Sabotage: a test-only layer between the core's delivery upcall and the
 * application, which corrupts the delivery stream on purpose. */
struct sim_sabotage {
    int pending;   /* -1: none, else enum scn_sabotage */
    bool holding;  /* reorder: a delivery is held back */
    bool late;     /* late: a delivery is held until the next view install */
    bool forge;    /* forge-view: the next view event loses its last member */
    bool swapping; /* swap-abcast: an abcast delivery is held back */
    bool early;    /* early-flush: the next pg_flush is reported done at once */
    bool corrupt;  /* corrupt-state: the next state received by transfer is altered */
    struct sim_delivery held;
};

/* The application's side of one group at one incarnation. */
struct sim_app_group {
    bool joined;    /* a member (static, or joined by pg_join) */
    bool has_state; /* the replicated object is valid (initial members; joiners once their
                       state transfer is done) */
    bool client;    /* a client of the group (pg_client), not a member */
    int64_t view;   /* current view id, or -1 */
    uint64_t n_applied, sum_applied; /* the replicated object: commutative counters */
};

/* A relay (scn_relay index) to send with hop count `hop`, in domain `domain`. */
struct sim_relay_due {
    uint32_t relay, hop, domain;
};
#define SIM_RELAY_DUE_MAX 256

struct sim_sender {
    uint32_t workload; /* index into scn->workloads */
    int64_t next_ns;
    int64_t period_ns;
};

/* The simulated application of one incarnation. */
struct sim_app {
    /* set by the driver before sim_app_start */
    const struct sim_app_host *host;
    void *drv;        /* the driver's object of this incarnation (callbacks' argument) */
    const char *name; /* its trace name, valid as long as the app */
    pg_node_id id;    /* its incarnation id: first incarnations have id = proc + 1 */
    uint32_t proc;    /* index into scn->procs */
    struct pg_node *node;
    const bool *alive; /* false once crashed: the application then does nothing more */

    uint64_t next_seq; /* per incarnation, for msg ids NAME/SEQ */
    uint32_t n_senders;
    struct sim_sender *senders;
    bool in_mcast; /* self-delivery during phys_mcast/cbcast is deferred */
    bool self_pending;
    int64_t self_view;
    struct sim_sabotage sab;
    struct sim_app_group *groups;    /* n_groups */
    uint32_t next_op;                /* next join/leave/flush fault to examine */
    bool in_flush;                   /* inside pg_flush: a done upcall is written after the call */
    bool flush_done_early;           /* the done upcall came during the call */
    int64_t *send_ns;                /* send time of own message seq (index seq - 1), for latency */
    struct sim_relay_due *relay_due; /* relays to send once the current send returns */
    uint32_t n_relay_due;
    uint64_t n_send_ns, cap_send_ns; /* kept after a crash: others may still deliver */
    struct sim_hier *hier;           /* its part in the hierarchical group (app_hier.h), or NULL */
};

/* Starts the application of a new incarnation at the host's current time:
 * joins its static groups (first incarnations), plans its sends and its
 * join/leave/flush calls. Preconditions: the driver fields of `a` are set,
 * the rest is zero, the node exists. */
void sim_app_start(struct sim_app *a);
/* The time of its next workload send or membership call (PG_TIMER_NEVER: none). */
int64_t sim_app_next_ns(const struct sim_app *a);
/* Runs every send and membership call due at `now_ns`. */
void sim_app_run_due(struct sim_app *a, int64_t now_ns);
/* Arms a sabotage of the timeline (`at T sabotage P WHAT`) at this incarnation. */
void sim_app_sabotage(struct sim_app *a, enum scn_sabotage what);
/* The `ev` of a diagnostic of the core (env.h's trace kinds: "suspect",
 * "garbled", "dropped", "sometimes", else "core"): events the checkers keep
 * but do not judge. */
const char *sim_core_ev_name(enum env_trace_kind kind);
/* Registers the application's entry and monitor upcalls of process group g
 * (index into scn->groups) at this incarnation (app_hier.c: after the tool's
 * pg_client). */
void sim_app_register_pg(struct sim_app *a, uint32_t g);
/* Frees what sim_app_start allocated, except send_ns (others may still
 * deliver this incarnation's messages: the driver frees it at the end). */
void sim_app_stop(struct sim_app *a);

#endif
