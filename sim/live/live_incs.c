/* sim/live/live_incs.c: the incarnations of a scenario. See live_incs.h. */
#include "live_incs.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void live_incs_init(struct live_incs *t, const struct scn *s)
{
    uint32_t n = s->n_procs;
    for (uint32_t f = 0; f < s->n_faults; f++)
        n += s->faults[f].kind == SCN_F_RESTART;
    *t = (struct live_incs){.scn = s, .n = n};
    t->inc = calloc(n + 1, sizeof *t->inc);
    t->current = calloc(s->n_procs + 1, sizeof *t->current);
    uint32_t *gen = calloc(s->n_procs + 1, sizeof *gen);
    assert(t->inc && t->current && gen);
    for (uint32_t p = 0; p < s->n_procs; p++) {
        t->inc[p] = (struct live_inc){.proc = p, .gen = 1, .fault = UINT32_MAX};
        snprintf(t->inc[p].name, sizeof t->inc[p].name, "%s", s->procs[p].name);
        t->current[p] = p + 1;
        gen[p] = 1;
    }
    uint32_t id = s->n_procs;
    for (uint32_t f = 0; f < s->n_faults; f++) {
        const struct scn_fault *sf = &s->faults[f];
        if (sf->kind != SCN_F_RESTART)
            continue;
        struct live_inc *in = &t->inc[id++];
        *in = (struct live_inc){.proc = sf->proc, .gen = ++gen[sf->proc], .fault = f};
        snprintf(in->name, sizeof in->name, "%s#%u", s->procs[sf->proc].name, in->gen);
    }
    assert(id == n);
    free(gen);
}

void live_incs_free(struct live_incs *t)
{
    free(t->inc);
    free(t->current);
    t->inc = NULL;
    t->current = NULL;
}

pg_node_id live_incs_of_restart(const struct live_incs *t, uint32_t fault)
{
    for (uint32_t i = t->scn->n_procs; i < t->n; i++)
        if (t->inc[i].fault == fault)
            return i + 1;
    assert(!"not a restart line");
    return PG_NODE_NONE;
}

void live_incs_apply_next(struct live_incs *t)
{
    assert(t->applied < t->scn->n_faults);
    const struct scn_fault *f = &t->scn->faults[t->applied];
    if (f->kind == SCN_F_CRASH)
        t->current[f->proc] = PG_NODE_NONE;
    else if (f->kind == SCN_F_RESTART)
        t->current[f->proc] = live_incs_of_restart(t, t->applied);
    t->applied++;
}

bool live_incs_alive(const struct live_incs *t, pg_node_id id)
{
    return id >= 1 && id <= t->n && t->current[t->inc[id - 1].proc] == id;
}

pg_node_id live_incs_find(const struct live_incs *t, const char *name)
{
    char proc[SCN_NAME_MAX];
    size_t n = strcspn(name, "#");
    if (n >= sizeof proc)
        return PG_NODE_NONE;
    memcpy(proc, name, n);
    proc[n] = '\0';
    int p = scn_find_proc(t->scn, proc);
    if (p < 0)
        return PG_NODE_NONE;
    if (!name[n])
        return (pg_node_id)p + 1;
    for (uint32_t i = t->scn->n_procs; i < t->n; i++)
        if (t->inc[i].proc == (uint32_t)p && !strcmp(t->inc[i].name, name))
            return i + 1;
    return PG_NODE_NONE;
}
