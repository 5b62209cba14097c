/* sim/live/live.h: `pgroup live`: a scenario run as real processes on this machine.
 *
 * Owns: the supervisor of a live run: one OS process per scenario process
 * (live_node.h), each with its UDP socket on 127.0.0.1 (one port per
 * process, kept by the supervisor across incarnations); the epoch they all
 * start from; the fault timeline applied in real time (a crash is SIGKILL, a
 * restart a new process forked with the timeline so far; partitions, cuts,
 * heal, loss, duplication, garbling and delay are sent to every process over
 * its control pipe and applied by its datagram filter; a sabotage goes to
 * its process's application); the harness's own trace events (domains,
 * faults, crashes); the merge of every process's trace stream by the one
 * machine's CLOCK_MONOTONIC (live_merge.h); the verdict of the same checkers
 * on the merged trace, the metrics and the summary of `pgroup run`.
 *
 * A run is bounded: it ends at the scenario's end (scaled), every process
 * stops there, and one that does not within LIVE_GRACE_S of wall time is
 * killed. Every child is reaped, on Ctrl-C (SIGINT, SIGTERM: exit 130) and
 * on a failure too; a child also dies with the supervisor (PR_SET_PDEATHSIG).
 *
 * Live runs are not deterministic: the operating system schedules the
 * processes and the real network's timing decides what the protocol does.
 * The seed still seeds every random stream (the core's draws, the filter's).
 */
#ifndef SIM_LIVE_H
#define SIM_LIVE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"

#define LIVE_GRACE_S 5.0 /* wall seconds a process has to stop after the end */

struct live_opts {
    const char *prog; /* argv[0], for the commands a run prints; NULL: "pgroup" */
    uint64_t seed;
    bool seed_given;
    double scale;             /* --time-scale: wall seconds per scenario second (> 0) */
    const char *trace_path;   /* --trace FILE (the merged trace), or NULL */
    const char *metrics_path; /* --metrics FILE (sim/harness/metrics.h keys), or NULL */
    const char *latency_csv;  /* --latency-csv FILE, or NULL */
    bool quiet;               /* --brief */
};

/* Runs scenario s live; prints the resolved configuration, the summary and
 * the verdict to `out`. Returns 0 when every rule holds (or the expected
 * violation happened), 1 when a rule was violated or a process died, 2 when
 * the run could not be carried out or a write failed, 130 when interrupted. */
int live_run(const struct scn *s, const struct live_opts *o, FILE *out);

#endif
