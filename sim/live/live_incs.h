/* sim/live/live_incs.h: the incarnations of a scenario, known before it runs.
 *
 * Owns: the table of every process incarnation a scenario will have, with
 * the ids and names the simulator gives them (first incarnations p1..pN get
 * ids 1..N; each `restart` line, in timeline order, the next id and the name
 * P#GEN), and which incarnation of each process is live as the timeline's
 * crash and restart lines are applied. The live driver's processes each
 * hold one, so that every process names and addresses the others as the
 * simulator would, without asking anyone.
 */
#ifndef SIM_LIVE_INCS_H
#define SIM_LIVE_INCS_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "env.h"
#include "scenario.h"

struct live_inc {
    uint32_t proc;  /* scenario process */
    uint32_t gen;   /* 1 for the first incarnation, then 2, 3, ... */
    uint32_t fault; /* index of its `restart` line in scn->faults, or UINT32_MAX */
    char name[SIM_INC_NAME_MAX];
};

struct live_incs {
    const struct scn *scn;
    uint32_t n;           /* incarnations: processes plus restarts */
    struct live_inc *inc; /* by id - 1 */
    pg_node_id *current;  /* per process: its live incarnation, or PG_NODE_NONE */
    uint32_t applied;     /* timeline lines applied so far (scn->faults[0 .. applied)) */
};

/* The table of scenario s (which must outlive it), before any line of the
 * timeline: every process runs its first incarnation. */
void live_incs_init(struct live_incs *t, const struct scn *s);
void live_incs_free(struct live_incs *t);

/* Applies timeline line `applied` (crash: the process has no live
 * incarnation; restart: its next one is live; other kinds change nothing
 * here) and counts it. Precondition: t->applied < scn->n_faults. */
void live_incs_apply_next(struct live_incs *t);

/* The incarnation of a restart line (index into scn->faults). */
pg_node_id live_incs_of_restart(const struct live_incs *t, uint32_t fault);

/* Whether incarnation id is the live one of its process. */
bool live_incs_alive(const struct live_incs *t, pg_node_id id);

/* The id of the incarnation named `name` (p3, p3#2), or PG_NODE_NONE. */
pg_node_id live_incs_find(const struct live_incs *t, const char *name);

#endif
