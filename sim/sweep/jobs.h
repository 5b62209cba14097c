/* sim/sweep/jobs.h: a pool of child processes, N at a time, shared by `pgroup
 * sweep`, `pgroup explore` and `pgroup shrink`.
 *
 * Owns: starting each task as its own child process (in its own process
 * group, stdout and stderr to files), at most `jobs` at once; an optional
 * wall-clock limit per child (the child is killed, the task reported as timed
 * out); SIGINT and SIGTERM (the running children are stopped, what finished
 * is kept, the caller exits 130); and the progress line (a bar on a terminal,
 * plain lines otherwise).
 *
 * A child either execs `self` with the task's argv (the sweep), or, in fork
 * mode (`main_fn` set), calls main_fn(argc, argv) in the forked copy of this
 * process and exits with its result: the same code path as `pgroup ARGV...`
 * without loading the binary and its libraries again, which costs about 50 ms
 * per process here (SimGrid and its dependencies), more than a short run. The
 * forked child flushes stdio and leaves with _exit: the libraries' static
 * destructors (ns-3's among them) would cost it a third of its time. A main_fn
 * must therefore close the files it writes before it returns.
 * The pool never looks at what a child does: the caller's callbacks read the
 * child's files.
 */
#ifndef SIM_JOBS_H
#define SIM_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JOB_ARGV_MAX 24
#define JOB_ARG_MAX  4096 /* bytes of one argument (paths) */

/* What one child runs. */
struct job_cmd {
    uint32_t argc;
    char arg[JOB_ARGV_MAX][JOB_ARG_MAX]; /* arg[0] is the program name ("pgroup") */
    char out[JOB_ARG_MAX];               /* the child's stdout ("" = /dev/null) */
    char err[JOB_ARG_MAX];               /* the child's stderr ("" = /dev/null) */
};

/* Appends one argument (printf-style) to cmd. */
void job_arg(struct job_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct job_pool {
    unsigned jobs;                         /* children at a time, >= 1 */
    double timeout_s;                      /* wall-clock limit of one child; 0: none */
    const char *self;                      /* the binary to exec (when main_fn is NULL) */
    int (*main_fn)(int argc, char **argv); /* fork mode: the child's entry point */
    const char *unit; /* what a task is called in the progress line ("runs", "seeds") */
    bool quiet;       /* no progress output at all */
    void *ctx;
    /* Fills cmd for task i. False (after a message) stops the pool: job_run returns JOB_FAILED. */
    bool (*start)(void *ctx, uint32_t task, struct job_cmd *cmd);
    /* Task i ended: `status` as from waitpid; `timed_out`: killed at the limit. */
    void (*finish)(void *ctx, uint32_t task, int status, bool timed_out, double wall_s);
    /* Optional: the middle of the progress bar ("3 failed, 0 errors"). */
    void (*status)(void *ctx, char *buf, size_t cap);
    /* Optional: the line printed when task i finished and stderr is not a terminal
     * ("PASS id"); without it such a line is printed at most every 5 s. */
    void (*line)(void *ctx, uint32_t task, char *buf, size_t cap);
};

enum job_result {
    JOB_DONE = 0,        /* every task ran and finished */
    JOB_INTERRUPTED = 1, /* SIGINT or SIGTERM: running children stopped, not reported */
    JOB_FAILED = 2,      /* start() returned false: running children stopped */
};

/* Runs tasks 0 .. n_tasks-1 in order, `jobs` at a time. The signal handlers
 * stay installed afterwards, so that a Ctrl-C between two pools is seen by
 * job_interrupted(). */
enum job_result job_run(const struct job_pool *p, uint32_t n_tasks);

/* Whether SIGINT or SIGTERM arrived since the first job_run (or job_watch_signals). */
bool job_interrupted(void);

/* Installs the SIGINT and SIGTERM handlers of the pool now. */
void job_watch_signals(void);

/* "h:mm:ss" of s seconds. */
void job_fmt_time(char *buf, size_t cap, double s);

/* Monotonic wall clock, seconds. */
double job_now(void);

/* Creates dir and its parents (like mkdir -p). 0, or -1 with errno set. */
int job_mkdirs(const char *dir);

#endif
