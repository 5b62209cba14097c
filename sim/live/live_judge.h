/* sim/live/live_judge.h: the verdict and the measurements of a merged live trace.
 *
 * Owns: reading the merged trace of a live run once and feeding every event
 * to the checkers (the same verdict as `pgroup check` of that trace), to the
 * metrics (metrics.h: its send and delivery hooks get the ids and sequence
 * numbers named by the `msg` ids, its event hook every event), and to the
 * run's totals that the simulator measures inside the application but a
 * live run can only measure from the trace: latency per ordering (send to
 * delivery, on the one machine's clock) and the "sometimes" situations.
 */
#ifndef SIM_LIVE_JUDGE_H
#define SIM_LIVE_JUDGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chk.h"
#include "live_incs.h"
#include "metrics.h"
#include "summary.h"
#include "world.h"

struct live_judge {
    struct chk *chk;                /* judged and finished */
    struct sim_sometimes sometimes; /* names owned by the judge */
    uint64_t events;
};

/* Judges trace buf[0 .. len) (`name` in messages) of a run whose
 * incarnations are `incs`: fills j, adds latency to *t, feeds m (NULL:
 * none). Returns 0, or 2 after `NAME:LINE: message` on err. */
int live_judge_trace(const char *name, const char *buf, size_t len, const struct live_incs *incs,
                     struct sim_metrics *m, struct sim_totals *t, struct live_judge *j, FILE *err);
void live_judge_free(struct live_judge *j);

#endif
