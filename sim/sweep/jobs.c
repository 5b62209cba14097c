/* sim/sweep/jobs.c: the pool of child processes. See jobs.h.
 *
 * The parent waits in waitpid(); SIGCHLD needs no handler. When a wall-clock
 * limit is set, an interval timer (SIGALRM, 100 ms, no SA_RESTART) wakes the
 * wait so that overdue children are killed (SIGKILL to their process group).
 * SIGINT and SIGTERM set a flag; the loop then sends SIGTERM to every running
 * child's process group and reaps them without reporting them.
 */
#define _GNU_SOURCE
#include "jobs.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t job_stop;
static volatile sig_atomic_t job_tick;
static bool job_handlers;

static void job_on_signal(int sig)
{
    (void)sig;
    job_stop = 1;
}

static void job_on_alarm(int sig)
{
    (void)sig;
    job_tick = 1;
}

void job_watch_signals(void)
{
    if (job_handlers)
        return;
    job_handlers = true;
    job_stop = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = job_on_signal; /* no SA_RESTART: waitpid returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = job_on_alarm;
    sigaction(SIGALRM, &sa, NULL);
}

bool job_interrupted(void)
{
    return job_stop != 0;
}

double job_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void job_fmt_time(char *buf, size_t cap, double s)
{
    unsigned t = s < 0 ? 0 : (unsigned)(s + 0.5);
    snprintf(buf, cap, "%u:%02u:%02u", t / 3600, t / 60 % 60, t % 60);
}

int job_mkdirs(const char *dir)
{
    char path[JOB_ARG_MAX];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *c = path + 1; *c; c++) {
        if (*c != '/')
            continue;
        *c = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return -1;
        *c = '/';
    }
    return mkdir(path, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

void job_arg(struct job_cmd *cmd, const char *fmt, ...)
{
    assert(cmd->argc < JOB_ARGV_MAX - 1);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd->arg[cmd->argc], JOB_ARG_MAX, fmt, ap);
    va_end(ap);
    assert(n >= 0 && n < JOB_ARG_MAX);
    cmd->argc++;
}

/* ---- one child ---- */

struct job_kid {
    pid_t pid; /* 0: free slot */
    uint32_t task;
    double t0;
    bool killed; /* at the wall-clock limit */
};

struct job_state {
    const struct job_pool *p;
    struct job_kid *kids;
    struct job_cmd *cmd;
    uint32_t n_tasks, next, running, done;
    double t_start, last_line;
    bool tty;
};

static void job_child(const struct job_pool *p, const struct job_cmd *cmd)
{
    setpgid(0, 0);        /* a terminal's Ctrl-C reaches the parent only; it stops us itself */
    job_handlers = false; /* a pool of the child's own installs them again */
    job_stop = 0;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGALRM, SIG_DFL);
    const char *out = cmd->out[0] ? cmd->out : "/dev/null";
    const char *err = cmd->err[0] ? cmd->err : "/dev/null";
    if (!freopen(out, "w", stdout) || !freopen(err, "w", stderr))
        _exit(127);
    char *argv[JOB_ARGV_MAX + 1];
    for (uint32_t i = 0; i < cmd->argc; i++)
        argv[i] = (char *)cmd->arg[i];
    argv[cmd->argc] = NULL;
    if (p->main_fn) { /* stdio flushed, but no library destructors: nothing they do matters */
        int rc = p->main_fn((int)cmd->argc, argv);
        fflush(NULL);
        _exit(rc);
    }
    execv(p->self, argv);
    fprintf(stderr, "cannot run %s: %s\n", p->self, strerror(errno));
    _exit(127);
}

/* Starts the next task in slot k. False if start() refused. */
static bool job_start(struct job_state *st, unsigned k)
{
    const struct job_pool *p = st->p;
    uint32_t task = st->next++;
    memset(st->cmd, 0, sizeof *st->cmd);
    if (!p->start(p->ctx, task, st->cmd))
        return false;
    assert(st->cmd->argc >= 1);
    fflush(NULL);
    pid_t pid = fork();
    assert(pid >= 0);
    if (pid == 0)
        job_child(p, st->cmd);
    setpgid(pid, pid); /* also here: no race with a kill before the child ran setpgid */
    st->kids[k] = (struct job_kid){.pid = pid, .task = task, .t0 = job_now()};
    st->running++;
    return true;
}

/* ---- progress ---- */

static void job_progress(struct job_state *st, uint32_t task)
{
    const struct job_pool *p = st->p;
    if (p->quiet)
        return;
    double el = job_now() - st->t_start;
    char e[32], eta[32], mid[256] = "";
    job_fmt_time(e, sizeof e, el);
    job_fmt_time(eta, sizeof eta, st->done ? el / st->done * (st->n_tasks - st->done) : 0);
    const char *left = st->done ? eta : "?";
    if (!st->tty) {
        if (p->line) {
            p->line(p->ctx, task, mid, sizeof mid);
            fprintf(stderr, "[%u/%u] %s (elapsed %s, about %s left)\n", st->done, st->n_tasks, mid,
                    e, left);
        } else if (el - st->last_line >= 5 || st->done == st->n_tasks) {
            if (p->status)
                p->status(p->ctx, mid, sizeof mid);
            fprintf(stderr, "[%u/%u %s] %s (elapsed %s, about %s left)\n", st->done, st->n_tasks,
                    p->unit, mid, e, left);
            st->last_line = el;
        }
        return;
    }
    unsigned width = 30, fill = st->n_tasks ? (unsigned)(width * st->done / st->n_tasks) : width;
    char bar[64];
    for (unsigned k = 0; k < width; k++)
        bar[k] = k < fill ? '#' : '.';
    bar[width] = '\0';
    if (p->status)
        p->status(p->ctx, mid, sizeof mid);
    fprintf(stderr, "\r\033[K[%s] %u/%u %s, %u running, %s%s%s elapsed, ~%s left", bar, st->done,
            st->n_tasks, p->unit, st->running, mid, mid[0] ? ", " : "", e, left);
    if (st->done == st->n_tasks)
        fputc('\n', stderr);
}

/* ---- the loop ---- */

static void job_reap(struct job_state *st, pid_t pid, int status, bool report)
{
    for (unsigned k = 0; k < st->p->jobs; k++) {
        struct job_kid *c = &st->kids[k];
        if (c->pid != pid)
            continue;
        c->pid = 0;
        st->running--;
        if (!report)
            return;
        st->done++;
        st->p->finish(st->p->ctx, c->task, status, c->killed, job_now() - c->t0);
        job_progress(st, c->task);
        return;
    }
}

static void job_kill_overdue(struct job_state *st)
{
    double now = job_now();
    for (unsigned k = 0; k < st->p->jobs; k++) {
        struct job_kid *c = &st->kids[k];
        if (c->pid > 0 && !c->killed && now - c->t0 > st->p->timeout_s) {
            kill(-c->pid, SIGKILL);
            c->killed = true;
        }
    }
}

static void job_stop_all(struct job_state *st)
{
    for (unsigned k = 0; k < st->p->jobs; k++)
        if (st->kids[k].pid > 0)
            kill(-st->kids[k].pid, SIGTERM);
    while (st->running > 0) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0 && errno != EINTR)
            break;
        if (pid > 0)
            job_reap(st, pid, status, false);
    }
}

static void job_timer(double period_s)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_interval.tv_usec = it.it_value.tv_usec = (suseconds_t)(period_s * 1e6);
    setitimer(ITIMER_REAL, &it, NULL);
}

enum job_result job_run(const struct job_pool *p, uint32_t n_tasks)
{
    assert(p && p->jobs >= 1 && p->start && p->finish && p->unit);
    assert(p->main_fn || p->self);
    job_watch_signals();
    struct job_state st = {.p = p, .n_tasks = n_tasks, .t_start = job_now()};
    st.kids = calloc(p->jobs, sizeof *st.kids);
    st.cmd = malloc(sizeof *st.cmd);
    assert(st.kids && st.cmd);
    st.tty = isatty(STDERR_FILENO);
    if (p->timeout_s > 0)
        job_timer(0.1);
    enum job_result rc = JOB_DONE;
    while (!job_stop && rc == JOB_DONE && (st.next < n_tasks || st.running > 0)) {
        for (unsigned k = 0; k < p->jobs && st.next < n_tasks && !job_stop; k++)
            if (!st.kids[k].pid && !job_start(&st, k))
                rc = JOB_FAILED;
        if (rc != JOB_DONE || st.running == 0)
            continue;
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid > 0)
            job_reap(&st, pid, status, true);
        else if (errno != EINTR)
            break;
        if (job_tick && p->timeout_s > 0)
            job_kill_overdue(&st);
        job_tick = 0;
    }
    if (job_stop && rc == JOB_DONE)
        rc = JOB_INTERRUPTED;
    if (rc != JOB_DONE)
        job_stop_all(&st);
    if (p->timeout_s > 0)
        job_timer(0);
    if (st.tty && !p->quiet && st.done > 0 && st.done < n_tasks)
        fputc('\n', stderr);
    free(st.kids);
    free(st.cmd);
    return rc;
}
