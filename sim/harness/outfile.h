/* sim/harness/outfile.h: checked output files.
 *
 * Owns: opening, writing and closing the files a command writes (the trace,
 * the metrics, the latency dump, a sweep's tables and report, and standard
 * output itself) so that no failed write passes: a write, flush or close
 * that fails is reported once as `pgroup: cannot write PATH: REASON` on
 * stderr (REASON is strerror of the failing call's errno), and the command
 * exits 2. Tested with /dev/full (tests/badinput/).
 */
#ifndef SIM_OUTFILE_H
#define SIM_OUTFILE_H

#include <stdio.h>

/* fopen(path, mode) for writing; NULL after the message above. */
FILE *sim_out_open(const char *path, const char *mode);

/* Records the errno of a write on f that just failed (fwrite, fprintf,
 * fputs returned short or negative), so that the message names the first
 * failure's reason. `*saved` keeps the first one; 0 = none yet. */
void sim_out_failed(int *saved);

/* Flushes and closes f (named `path` in the message; "standard output" for
 * stdout). Returns 0, or 2 after the message when f has an error flag, or
 * the flush or close fails. `saved`: an errno recorded by sim_out_failed,
 * or 0. f is closed in every case. */
int sim_out_close(FILE *f, const char *path, int saved);

#endif
