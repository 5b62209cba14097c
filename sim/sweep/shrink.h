/* sim/sweep/shrink.h: `pgroup shrink`: a failing scenario made minimal by delta
 * debugging.
 *
 * Owns: the choice of the failure to keep (the rule), the search over edits
 * of the scenario (scn_edit: fault lines, send lines, relays, groups,
 * processes, settings, placements, the length of the run, the rates), each
 * candidate judged by a `pgroup run` child under the same seed, and the
 * minimal scenario written at the end.
 *
 * The failure kept: the rule given by --rule; else, when the scenario says
 * `expect violation RULE` and RULE fails, that rule (the run then passes, as
 * the scenario wants: the shrunk file keeps its `expect` line and passes
 * too); else the first rule that fails, in TRACE.md order. A candidate keeps
 * the failure when that rule fails in its run, whatever else fails.
 *
 * The search, repeated until a whole round changes nothing: for fault lines,
 * send lines, relays, groups and processes in turn, ddmin by removal (try
 * removing all of them, then halves, quarters, ... down to single ones; a
 * removal that keeps the failure is accepted at once); then each `set` key
 * back to its default, the `place` lines, a shorter run (the active part cut
 * to 1/8 .. 7/8, then no quiet period or a shorter one) and halved rates. Candidates
 * are tried `jobs` at a time in a fixed order and the first that keeps the
 * failure wins, so the result does not depend on `jobs`.
 *
 * Liveness is judged after the quiet period: when the kept rule is liveness
 * and the input ends its partitions before a quiet period of at least 4 x
 * suspect_timeout + 200ms, every candidate must too (else a candidate would
 * fail liveness only because a partition stays in force, or because the
 * quiet period is too short for a view change); and suspect_timeout stays at
 * least 3 heartbeat periods.
 */
#ifndef SIM_SHRINK_H
#define SIM_SHRINK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct shr_opts {
    const char *path; /* the failing scenario */
    uint64_t seed;    /* used when seed_given; else the scenario's */
    bool seed_given;
    const char *rule;  /* the rule to keep failing, or NULL (see above) */
    const char *out;   /* where the minimal scenario goes */
    unsigned jobs;     /* candidates at a time */
    double timeout_s;  /* wall-clock limit of a candidate; 0: 10 x the input's run, >= 10 s */
    uint32_t max_runs; /* candidates run at most (0: 5000) */
    const char *self;  /* the pgroup binary */
    int (*main_fn)(int argc, char **argv); /* fork mode (jobs.h), or NULL: exec self */
};

/* Shrinks o->path and writes o->out. Prints each accepted step and, at the
 * end, the command that reproduces the minimal run. Returns 0; 2 for bad
 * input (FILE:LINE:COL), an unwritable output, a scenario that does not run,
 * or one in which every rule holds ("nothing to shrink: every rule holds");
 * 130 when interrupted (the smallest scenario so far is written). */
int shr_run(const struct shr_opts *o, FILE *out);

#endif
