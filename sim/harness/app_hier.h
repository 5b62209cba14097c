/* sim/app_hier.h: the application's side of a hierarchical group (core/include/tools/hier.h)
 * at one incarnation.
 *
 * Owns: the scenario's hierarchical group as this process takes part in it
 * (root member, subgroup member or client), its workload (keyed requests,
 * full-set multicasts, the root's range moves and rebalances), the hier_*
 * trace events (checkers/TRACE.md rules 11-15) and the test-only sabotage of
 * those events (double-bind, apply-twice, swap-apply, drop-reply,
 * swap-global). First incarnations only: a restarted process is in no group.
 */
#ifndef SIM_APP_HIER_H
#define SIM_APP_HIER_H

#include <stdbool.h>
#include <stdint.h>

#include "scenario.h"

struct sim_app;
struct sim_hier;
struct pg_view;

/* Sets up the tool when this incarnation takes part (else a->hier stays NULL).
 * After app_join_static_groups. */
void sim_hier_start(struct sim_app *a);
void sim_hier_stop(struct sim_app *a);
/* When the tool or its workload is next due (PG_TIMER_NEVER: never). */
int64_t sim_hier_next_ns(const struct sim_app *a);
void sim_hier_run_due(struct sim_app *a, int64_t now_ns);
/* Whether pg group `gid` is one of the hierarchical group's (the entry and
 * monitor upcalls go to the tool). */
bool sim_hier_owns(const struct sim_app *a, uint32_t gid);
void sim_hier_entry(struct sim_app *a, uint32_t gid, uint32_t from, const uint8_t *p, size_t len);
void sim_hier_view(struct sim_app *a, const struct pg_view *v, bool excluded);
/* Arms a hierarchical-group sabotage; false if `what` is not one. */
bool sim_hier_sabotage(struct sim_app *a, enum scn_sabotage what);

#endif
