/* sim/live/live_host.h: a scenario across hosts: `pgroup node` and `pgroup merge`.
 *
 * Owns: running one process of a scenario on its own (live_node.h, its own
 * timeline: each host applies the scenario's faults from its own clock),
 * with the peers' addresses from a peers file (live_peers.h) and a start
 * instant that every host is given (wall clock, UNIX time: the hosts'
 * clocks must agree to well under the scenario's timers, as NTP keeps
 * them); and merging the per-host traces by their Lamport clocks into one
 * trace that the checkers judge (live_merge.h). The scenario's first
 * process also writes the harness's events (domains, faults).
 */
#ifndef SIM_LIVE_HOST_H
#define SIM_LIVE_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"

struct live_host_opts {
    const char *proc;       /* --id: the scenario process this host runs */
    const char *peers;      /* --peers FILE */
    const char *trace_path; /* --trace FILE (default: PROC.jsonl) */
    uint64_t seed;
    bool seed_given;
    double scale;   /* --time-scale */
    double start_s; /* --start: UNIX time of scenario time 0; < 0: one second from now */
};

/* `pgroup node`: runs process o->proc of s until the scenario's end and
 * writes its trace. Returns 0, or 2 after a message (bad peers file, a
 * socket that cannot be bound, a failed write). */
int live_host_node(const struct scn *s, const struct live_host_opts *o, FILE *out);

/* `pgroup merge`: merges the traces paths[0 .. n) by Lamport clock into
 * out_path and judges it as `pgroup check` does. Returns 0 (every rule
 * holds), 1 (a rule was violated) or 2 (unreadable or mismatched traces, a
 * failed write). */
int live_host_merge(const char *const *paths, uint32_t n, const char *out_path, FILE *out);

#endif
