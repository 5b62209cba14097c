/* sim/driver/timeline.c: the fault timeline of a scenario, applied by one controller actor.
 *
 * Owns: turning each `at T ...` line into a change of the world's fault state
 * (faults.h: drop matrix, loss, duplication, delay, garbling), a crash or
 * restart, or a sabotage, at simulated time T, and writing the matching
 * `fault` event.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>

#include "world_internal.h"

struct timeline {
    struct sim_world *w;
    const struct phys_config *cfg;
};

static void tl_sink(void *ctx, struct chk_event *e)
{
    sim_emit(ctx, e);
}

/* Writes the `fault` event of f (faults.h), if it has one. */
static void tl_emit_fault(struct sim_world *w, const struct scn_fault *f)
{
    w->tot.faults_applied += (uint32_t)sim_fault_emit(w->scn, f, tl_sink, w);
}

static void tl_crash(struct sim_world *w, const struct scn_fault *f)
{
    pg_node_id id = w->current[f->proc];
    assert(id != PG_NODE_NONE); /* the parser rejects crashing a crashed process */
    sim_inc_crash(w->incs[id - 1]);
}

static void tl_restart(struct timeline *tl, const struct scn_fault *f)
{
    assert(tl->w->current[f->proc] == PG_NODE_NONE);
    sim_inc_start(sim_inc_create(tl->w, f->proc), tl->cfg);
}

/* The sabotage is armed at the process's live incarnation, if any. */
static void tl_sabotage(struct sim_world *w, const struct scn_fault *f)
{
    pg_node_id id = w->current[f->proc];
    tl_emit_fault(w, f);
    if (id != PG_NODE_NONE)
        sim_app_sabotage(&w->incs[id - 1]->app, f->sabotage);
}

/* join/leave are carried out by the process's own actor (app.c) at the same
 * instant, and flush is an application call traced as flush_call/flush_done:
 * the timeline only records join and leave. */
static void tl_apply(struct timeline *tl, const struct scn_fault *f)
{
    struct sim_world *w = tl->w;
    if (sim_fault_is_net(f->kind)) {
        if (sim_faults_apply(&w->faults, w->scn, f, w->proc_sends))
            sim_sometimes(w, NULL, "partition healed with traffic on both sides");
        tl_emit_fault(w, f);
        return;
    }
    switch (f->kind) {
    case SCN_F_CRASH:
        tl_crash(w, f);
        break;
    case SCN_F_RESTART:
        tl_restart(tl, f);
        break;
    case SCN_F_SABOTAGE:
        tl_sabotage(w, f);
        break;
    case SCN_F_JOIN:
    case SCN_F_LEAVE:
    case SCN_F_FLUSH:
    case SCN_F_HIER_MOVE:
    case SCN_F_HIER_REBALANCE:
        tl_emit_fault(w, f);
        break;
    default:
        assert(!"unknown fault kind");
    }
}

static void tl_actor(int argc, char **argv)
{
    struct timeline *tl = sg_actor_self_get_data();
    assert(tl && argc >= 1);
    const struct scn *s = tl->w->scn;
    for (uint32_t i = 0; i < s->n_faults; i++) {
        double at_s = (double)s->faults[i].at_ns / 1e9;
        if (at_s > simgrid_get_clock())
            sg_actor_sleep_until(at_s);
        sim_world_sync(tl->w);
        tl_apply(tl, &s->faults[i]);
    }
    free(tl);
}

void sim_timeline_start(struct sim_world *w, const struct phys_config *cfg)
{
    if (w->scn->n_faults == 0)
        return;
    struct timeline *tl = malloc(sizeof *tl);
    assert(tl);
    *tl = (struct timeline){w, cfg};
    sg_actor_t a = sg_actor_init("timeline", w->hosts[0]);
    sg_actor_set_data(a, tl);
    const char *argv[] = {"timeline"};
    sg_actor_start(a, tl_actor, 1, (char *const *)argv);
}
