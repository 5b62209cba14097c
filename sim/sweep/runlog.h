/* sim/sweep/runlog.h: what a `pgroup run --brief` printed, read back by the tools
 * that run it as a child (explore, shrink).
 *
 * Owns: the reading of a run's stdout: the `summary:` line (simulated time,
 * wall time, events), the `sometimes:` lines, the rule lines (`  FAIL RULE
 * (...)`), each failed rule's `first violation of RULE: ...` line and the
 * `verdict:` line. It reads only what sim/driver/run.c and checkers/chk_vio.c print
 * for every run; it judges nothing.
 */
#ifndef SIM_RUNLOG_H
#define SIM_RUNLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "chk.h"

#define RLOG_MAX_SOMETIMES 64  /* situations one run names */
#define RLOG_NAME_MAX      96  /* bytes of a situation's name */
#define RLOG_WHY_MAX       300 /* bytes kept of a first violation's words */

struct rlog {
    bool ended;                          /* a `verdict:` line was read: the run finished */
    uint32_t failed;                     /* bit r: rule r (enum chk_rule) failed */
    char why[CHK_R_COUNT][RLOG_WHY_MAX]; /* the first violation of each failed rule */
    uint32_t n_sometimes;
    char sometimes[RLOG_MAX_SOMETIMES][RLOG_NAME_MAX];
    double sim_s, wall_s; /* the summary line's (wall_s: the simulation alone) */
    uint64_t events;
};

/* Reads the stdout of a run from path. False if it cannot be opened; else
 * *r is filled (r->ended false: the run stopped before its verdict). */
bool rlog_read(const char *path, struct rlog *r);

/* The lowest failed rule of mask, or -1. */
int rlog_first_rule(uint32_t mask);

#endif
