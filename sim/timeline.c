/* sim/timeline.c: the fault timeline of a scenario, applied by one controller actor.
 *
 * Owns: turning each `at T ...` line into a change of the world's fault state
 * (drop matrix, loss, duplication, delay, garbling), a crash or restart, or a
 * sabotage, at simulated time T, and writing the matching `fault` event.
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

/* Appends `text` to the JSON of a fault's details at buf[*at], growing buf. */
static void tl_append(char **buf, size_t *cap, size_t *at, const char *text)
{
    size_t n = strlen(text);
    if (*at + n + 1 > *cap) {
        *cap = 2 * (*at + n + 1);
        *buf = realloc(*buf, *cap);
        assert(*buf);
    }
    memcpy(*buf + *at, text, n + 1);
    *at += n;
}

static void tl_emit_fault(struct sim_world *w, const char *kind, const char *extra)
{
    struct chk_event e = {.ev = CHK_EV_FAULT, .ev_name = "fault", .view = -1};
    e.kind = kind;
    e.extra_json = extra && extra[0] ? extra : NULL;
    sim_emit(w, &e);
    w->tot.faults_applied++;
}

static void tl_set_drop(struct sim_world *w, uint32_t from, uint32_t to)
{
    if (!w->any_drop) /* a split begins: who sends from now on */
        memcpy(w->sends_at_split, w->proc_sends, w->scn->n_procs * sizeof *w->proc_sends);
    w->drop[(size_t)from * w->scn->n_procs + to] = 1;
    w->any_drop = true;
}

/* At a heal: two processes that could not talk to each other both sent
 * since the split began ("a partition healed with traffic on both sides",
 * a coverage situation of pgroup explore, judged here from the timeline). */
static void tl_heal_sometimes(struct sim_world *w)
{
    uint32_t n = w->scn->n_procs;
    for (uint32_t a = 0; a < n; a++) {
        if (w->proc_sends[a] == w->sends_at_split[a])
            continue;
        for (uint32_t b = a + 1; b < n; b++) {
            if (w->proc_sends[b] == w->sends_at_split[b] ||
                !(w->drop[(size_t)a * n + b] || w->drop[(size_t)b * n + a]))
                continue;
            sim_sometimes(w, NULL, "partition healed with traffic on both sides");
            return;
        }
    }
}

static void tl_partition(struct sim_world *w, const struct scn_fault *f)
{
    uint32_t n = w->scn->n_procs;
    static const uint32_t none = UINT32_MAX;
    uint32_t *block_of = malloc(n * sizeof *block_of);
    assert(block_of);
    for (uint32_t i = 0; i < n; i++)
        block_of[i] = none;
    /* every name of every block: the trace must say which partition was applied */
    char *extra = NULL;
    size_t cap = 0, at = 0;
    tl_append(&extra, &cap, &at, "\"blocks\":[");
    for (uint32_t b = 0; b < f->n_blocks; b++) {
        tl_append(&extra, &cap, &at, b ? ",[" : "[");
        for (uint32_t k = 0; k < f->block_len[b]; k++) {
            uint32_t p = f->blocks[b][k];
            block_of[p] = b;
            char item[SCN_NAME_MAX + 8];
            snprintf(item, sizeof item, "%s\"%s\"", k ? "," : "", w->scn->procs[p].name);
            tl_append(&extra, &cap, &at, item);
        }
        tl_append(&extra, &cap, &at, "]");
    }
    tl_append(&extra, &cap, &at, "]");
    for (uint32_t a = 0; a < n; a++)
        for (uint32_t b = 0; b < n; b++)
            if (block_of[a] != none && block_of[b] != none && block_of[a] != block_of[b])
                tl_set_drop(w, a, b);
    free(block_of);
    tl_emit_fault(w, "partition", extra);
    free(extra);
}

static void tl_cut(struct sim_world *w, const struct scn_fault *f)
{
    tl_set_drop(w, f->from, f->to);
    if (f->bidir)
        tl_set_drop(w, f->to, f->from);
    char extra[3 * SCN_NAME_MAX];
    snprintf(extra, sizeof extra, "\"src\":\"%s\",\"dst\":\"%s\",\"both\":%s",
             w->scn->procs[f->from].name, w->scn->procs[f->to].name, f->bidir ? "true" : "false");
    tl_emit_fault(w, "cut", extra);
}

static void tl_isolate(struct sim_world *w, const struct scn_fault *f)
{
    for (uint32_t q = 0; q < w->scn->n_procs; q++) {
        if (q == f->proc)
            continue;
        tl_set_drop(w, f->proc, q);
        tl_set_drop(w, q, f->proc);
    }
    char extra[2 * SCN_NAME_MAX];
    snprintf(extra, sizeof extra, "\"proc\":\"%s\"", w->scn->procs[f->proc].name);
    tl_emit_fault(w, "isolate", extra);
}

static void tl_set_prob(struct sim_world *w, const char *kind, double *field, double p)
{
    *field = p;
    char extra[64];
    snprintf(extra, sizeof extra, "\"p\":%.6f", p);
    tl_emit_fault(w, kind, extra);
}

static void tl_delay(struct sim_world *w, const struct scn_fault *f)
{
    w->delay_ns = f->delay_ns;
    w->jitter_ns = f->jitter_ns;
    char extra[96];
    snprintf(extra, sizeof extra, "\"delay_s\":%.9f,\"jitter_s\":%.9f", (double)f->delay_ns / 1e9,
             (double)f->jitter_ns / 1e9);
    tl_emit_fault(w, "delay", extra);
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

static void tl_sabotage(struct sim_world *w, const struct scn_fault *f)
{
    pg_node_id id = w->current[f->proc];
    char extra[2 * SCN_NAME_MAX + 32];
    snprintf(extra, sizeof extra, "\"proc\":\"%s\",\"what\":\"%s\"", w->scn->procs[f->proc].name,
             scn_sabotage_name(f->sabotage));
    tl_emit_fault(w, "sabotage", extra);
    if (id == PG_NODE_NONE)
        return;
    sim_app_sabotage(&w->incs[id - 1]->app, f->sabotage);
}

/* join/leave are carried out by the process's own actor (app.c) at the same
 * instant; the timeline only records them. */
static void tl_member(struct sim_world *w, const struct scn_fault *f)
{
    char extra[3 * SCN_NAME_MAX];
    snprintf(extra, sizeof extra, "\"proc\":\"%s\",\"group\":\"%s\"", w->scn->procs[f->proc].name,
             w->scn->groups[f->group].name);
    tl_emit_fault(w, f->kind == SCN_F_JOIN ? "join" : "leave", extra);
}

static void tl_apply(struct timeline *tl, const struct scn_fault *f)
{
    struct sim_world *w = tl->w;
    switch (f->kind) {
    case SCN_F_CRASH:
        tl_crash(w, f);
        break;
    case SCN_F_RESTART:
        tl_restart(tl, f);
        break;
    case SCN_F_PARTITION:
        tl_partition(w, f);
        break;
    case SCN_F_CUT:
        tl_cut(w, f);
        break;
    case SCN_F_ISOLATE:
        tl_isolate(w, f);
        break;
    case SCN_F_HEAL:
        if (w->any_drop)
            tl_heal_sometimes(w);
        memset(w->drop, 0, (size_t)w->scn->n_procs * w->scn->n_procs);
        w->any_drop = false;
        tl_emit_fault(w, "heal", NULL);
        break;
    case SCN_F_LOSS:
        tl_set_prob(w, "loss", &w->loss, f->prob);
        break;
    case SCN_F_DUPLICATE:
        tl_set_prob(w, "duplicate", &w->dup, f->prob);
        break;
    case SCN_F_GARBLE:
        tl_set_prob(w, "garble", &w->garble, f->prob);
        break;
    case SCN_F_DELAY:
        tl_delay(w, f);
        break;
    case SCN_F_SABOTAGE:
        tl_sabotage(w, f);
        break;
    case SCN_F_JOIN:
    case SCN_F_LEAVE:
        tl_member(w, f);
        break;
    case SCN_F_FLUSH: /* an application call (app.c), traced as flush_call/flush_done */
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
