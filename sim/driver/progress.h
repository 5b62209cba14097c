/* sim/driver/progress.h: the progress line of a long `pgroup run`.
 *
 * Owns: one line on stderr, redrawn about twice a second once the run has
 * lasted a second of wall time: the simulated time reached out of the run's,
 * the speed (simulated seconds per wall second) and the wall time left at
 * that speed. Only when stderr is a terminal; otherwise nothing is drawn and
 * no progress object exists. It reads the wall clock and nothing of the
 * simulation but the time, so a trace is the same with or without it.
 */
#ifndef SIM_PROGRESS_H
#define SIM_PROGRESS_H

#include <stdint.h>

struct sim_progress;

/* A progress line for a run ending at end_ns (simulated), or NULL when stderr
 * is not a terminal. */
struct sim_progress *sim_progress_new(int64_t end_ns);

/* The simulation reached now_ns. Cheap: reads the wall clock every 1024th call. */
void sim_progress_tick(struct sim_progress *p, int64_t now_ns);

/* Erases the line (if one was drawn) and frees p (NULL is fine). */
void sim_progress_end(struct sim_progress *p);

#endif
