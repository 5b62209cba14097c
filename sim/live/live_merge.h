/* sim/live/live_merge.h: one trace from the trace streams of a live run.
 *
 * Owns: merging the trace streams that the processes of a live run write
 * (each a trace of its own: the run's header, then its events in its local
 * order) into one trace that the checkers judge, two ways:
 * - by time (`pgroup live`: every stream was written on one machine, whose
 *   CLOCK_MONOTONIC gave every `t`): events in order of `t`, ties broken by
 *   the Lamport clock, then by stream;
 * - by Lamport clock (`pgroup merge`, the streams of `pgroup node` on several
 *   hosts, whose clocks differ): events in order of `lamport`, ties broken by
 *   stream; an event that happens before another has a smaller clock, so
 *   every send comes before its deliveries. A `t` smaller than the previous
 *   line's is raised to it (the hosts' clocks disagree; the trace contract
 *   wants `t` never to decrease) and the lines raised are counted.
 * Either way each stream's own order is kept. A stream's last line without
 * its line end (a process killed while writing it) is left out and counted.
 */
#ifndef SIM_LIVE_MERGE_H
#define SIM_LIVE_MERGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum live_merge_by { LIVE_MERGE_BY_TIME, LIVE_MERGE_BY_LAMPORT };

struct live_merged {
    char *buf; /* the merged trace: the streams' header, then every event */
    size_t len;
    uint64_t events;
    uint64_t torn;   /* last lines left out (no line end) */
    uint64_t raised; /* by Lamport clock: lines whose `t` was raised */
};

/* Merges the trace files paths[0 .. n). Every stream must start with the
 * same header line (the same run), and every event of a stream merged by
 * Lamport clock must carry one, increasing along the stream. Returns 0 and
 * fills *m (free m->buf), or 2 after `PATH:LINE: message` on err. */
int live_merge_files(const char *const *paths, uint32_t n, enum live_merge_by by,
                     struct live_merged *m, FILE *err);

#endif
