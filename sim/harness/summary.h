/* sim/harness/summary.h: the closing lines of a run, under either driver.
 *
 * Owns: the counters' part of a run's summary (network, faults, link,
 * groups, flushes, latency per ordering, state transfer, clients, abcast,
 * domains, the "sometimes" situations reached), the `bound` lines of a
 * scenario and their verdict, and the sums of a node's link and group
 * statistics into struct sim_totals. The simulator (run.c) and the live
 * driver (live.c) print the same lines from the same totals.
 */
#ifndef SIM_SUMMARY_H
#define SIM_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "node.h"
#include "scenario.h"
#include "world.h"

#define SIM_SOMETIMES_MAX 64u /* distinct "sometimes" situations counted in one run */

/* The "sometimes" situations reached in a run, in the order first reached. */
struct sim_sometimes {
    const char *name[SIM_SOMETIMES_MAX]; /* NULL after the last */
    uint64_t n[SIM_SOMETIMES_MAX];       /* how many times (one per node that reached it) */
};

/* Counts one more `name` (which must outlive s); beyond SIM_SOMETIMES_MAX
 * distinct names the others are not counted. */
void sim_sometimes_count(struct sim_sometimes *s, const char *name);

/* Adds the link and group statistics of node n (phys_stats, pg_stats) to t. */
void sim_totals_add_node(struct sim_totals *t, struct pg_node *n);

/* Adds the counters of a (one process of a live run) to t: sums, and the
 * larger value for the maxima; times and peak memory are left alone. */
void sim_totals_add(struct sim_totals *t, const struct sim_totals *a);

/* Prints the summary lines that follow `summary:` and `resources:`, from
 * `network:` to the last `sometimes:`. `any_pg`: some group runs the
 * process-group layer (its `groups:` line is printed). */
void sim_summary_print(const struct sim_totals *t, bool any_pg, const struct sim_sometimes *st,
                       FILE *out);

/* Prints each `bound` of the scenario (`bounds:`, then `  PASS KEY V <= MAX
 * (line L)`); false if one was exceeded. */
bool sim_bounds_print(const struct scn *s, const struct sim_totals *t, FILE *out);

#endif
