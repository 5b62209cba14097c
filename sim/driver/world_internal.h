/* sim/driver/world_internal.h: state shared by the simulator's modules (world.c, timeline.c,
 * run.c).
 *
 * Owns: the layout of struct sim_world and struct sim_inc. Not a public header.
 */
#ifndef SIM_WORLD_INTERNAL_H
#define SIM_WORLD_INTERNAL_H

#include <simgrid/forward.h>

#include "app.h"
#include "dheap.h"
#include "faults.h"
#include "metrics.h"
#include "progress.h"
#include "summary.h"
#include "node.h"
#include "pg.h"
#include "phys.h"
#include "world.h"

#define SIM_DELAYQ_MAX     65536u /* datagrams held back by delay/jitter at one incarnation */
#define SIM_UDP_OVERHEAD_B 28     /* IPv4 + UDP headers added to each datagram's simulated size */

#define SIM_DGRAM_POOL_MAX 4096u /* free datagram buffers kept for reuse */
#define SIM_DGRAM_SMALL_B  512u  /* bytes a reusable buffer holds; bigger ones are malloc'd */

struct sim_dgram_pool;

/* A datagram in flight through SimGrid (or held back by delay at the receiver). */
struct sim_dgram {
    struct sim_dgram_pool *pool;           /* it goes back there (sim_dgram_release) */
    struct sim_dgram *next;                /* in the pool's free list */
    struct sim_dgram *out_prev, *out_next; /* in the pool's list of buffers handed out */
    pg_node_id from;
    int64_t extra_delay_ns; /* drawn by the sender's stream; applied on arrival */
    uint32_t len, cap;      /* cap: bytes[] allocated */
    uint8_t bytes[];
};

/* Datagram buffers: a bounded LIFO free list, so a datagram reuses a buffer
 * that is warm in cache instead of going through malloc and free. Buffers
 * handed out are listed, so that closing the pool frees the ones never
 * received (sent to an incarnation that died first): SimGrid holds their
 * comms but never frees a payload (they are not detached: sim/sg_rx.h, sg_tx). */
struct sim_dgram_pool {
    struct sim_dgram *free_list;
    uint32_t n_free;            /* <= SIM_DGRAM_POOL_MAX */
    uint64_t out;               /* buffers handed out and not yet released */
    struct sim_dgram *out_head; /* the `out` buffers */
    bool closed;
};

/* A datagram held back by delay (key.t_ns: when it is released; ties: arrival order). */
struct sim_delayed {
    struct dheap_key key;
    struct sim_dgram *d;
};

struct sim_inc {
    struct sim_world *w;
    char name[SIM_INC_NAME_MAX]; /* p3, p3#2, ... */
    uint32_t proc;               /* index into scn->procs */
    pg_node_id id;               /* index + 1 into w->incs */
    bool alive;
    bool in_step;       /* the actor is processing one input (a step takes no simulated time) */
    bool crash_pending; /* crashed during a step: applied when the step ends */
    sg_host_t host;
    sg_mailbox_t mbox;
    struct sg_rx *rx;
    struct sg_tx *tx; /* its datagrams' comms, until SimGrid finished them */
    struct env env;
    struct pg_node *node;
    int64_t timer_ns[PG_TIMER_SLOTS];
    uint64_t rng_core, rng_net;
    struct dheap delayq; /* of struct sim_delayed */
    struct sim_app app;
};

struct sim_world {
    const struct scn *scn;
    struct sim_opts opts;
    uint64_t seed;
    int64_t end_ns;
    int64_t now_ns;      /* see sim_world_sync */
    double now_s;        /* the same instant as SimGrid's double (trace timestamps) */
    uint32_t now_checks; /* calls of sim_world_now_ns, for its sampled assert */
    FILE *out;

    /* trace */
    struct chk *chk;
    FILE *trace;     /* --trace FILE, or NULL */
    int trace_errno; /* the first failed write's errno (sim_out_failed); writing then stops */
    uint64_t line;   /* lines written so far (the header is line 1) */
    char *linebuf;
    size_t linecap;

    /* incarnations, by node id - 1 */
    struct sim_inc **incs;
    uint32_t n_incs, cap_incs;
    pg_node_id *current;  /* per proc: the live incarnation, or PG_NODE_NONE */
    uint32_t *generation; /* per proc: incarnations so far */

    /* hosts */
    sg_host_t *hosts;
    size_t n_hosts;

    /* faults, applied where datagrams enter the network */
    bool *group_pg; /* per scenario group: runs the process-group layer (else link level) */
    struct pg_config pg_cfg; /* every incarnation's group layer (run_pg_config) */
    bool any_pg;             /* some group does (else the pg layer stays idle and is not sampled) */

    struct sim_faults faults; /* the timeline's network faults (faults.h) */
    uint64_t *proc_sends;     /* per proc: application sends so far (all incarnations) */
    uint64_t rng_ctl;

    struct sim_app_host app_host;  /* what every incarnation's application uses (app.h) */
    struct sim_metrics *metrics;   /* NULL unless --metrics or --latency-csv */
    struct sim_progress *progress; /* the progress line while simulating, or NULL */
    struct sim_dgram_pool *pool;

    struct sim_totals tot;
    struct sim_sometimes sometimes;
};

/* world.c */
struct sim_dgram_pool *sim_dgram_pool_new(void);
/* Frees the pool, its buffers (those never received too) and its comms.
 * Precondition: simgrid_run returned (every transfer ended). */
void sim_dgram_pool_close(struct sim_dgram_pool *p);
void sim_emit(struct sim_world *w, struct chk_event *e);
/* As sim_emit for an event of incarnation `inc`; dropped if it has crashed. A
 * crash lands at a SimGrid scheduling point, which may be in the middle of the
 * incarnation's step: what the step does after it is lost, as in a real crash. */
void sim_inc_emit(struct sim_inc *inc, struct chk_event *e);
/* Counts a "sometimes" situation (`name` must outlive the run: a literal)
 * reached by node (an incarnation's name, or NULL for the harness) and
 * writes its `sometimes` event. The core's arrive through env->trace. */
void sim_sometimes(struct sim_world *w, const char *node, const char *name);
/* SimGrid's clock (a simcall-free read, but not a cheap one). */
double sim_now_s(void);
int64_t sim_now_ns(void);
/* Records the clock in w: called wherever an actor resumes (its start, and
 * after every blocking SimGrid call), the only points where time advances
 * for the code that runs next. */
void sim_world_sync(struct sim_world *w);
/* The clock as of the running actor's last resume (sim_world_sync); every
 * 1024th call asserts that it is still SimGrid's. */
int64_t sim_world_now_ns(struct sim_world *w);
const char *sim_inc_name(const struct sim_world *w, pg_node_id id);
/* Fills w->app_host: called once w->metrics is set, before any incarnation starts. */
void sim_world_app_host(struct sim_world *w);
struct sim_inc *sim_inc_create(struct sim_world *w, uint32_t proc);
void sim_inc_start(struct sim_inc *inc, const struct phys_config *cfg);
void sim_inc_crash(struct sim_inc *inc);

/* timeline.c */
void sim_timeline_start(struct sim_world *w, const struct phys_config *cfg);

#endif
