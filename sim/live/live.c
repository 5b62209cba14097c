/* sim/live/live.c: `pgroup live`, the supervisor. See live.h. */
#define _GNU_SOURCE
#include "live.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "faults.h"
#include "live_incs.h"
#include "live_judge.h"
#include "live_merge.h"
#include "live_node.h"
#include "outfile.h"

#define LV_LEAD_NS  (50 * 1000000ll) /* from the START record to scenario time 0 */
#define LV_READY_MS 20000            /* every first process is ready within this */

struct lv_child {
    pid_t pid;    /* 0: never forked */
    int ctl;      /* the control pipe's write end, or -1 */
    bool running; /* not reaped yet */
    bool killed;  /* by the supervisor (a crash) */
    int status;   /* from waitpid */
};

struct lv {
    const struct scn *scn;
    const struct live_opts *o;
    FILE *out;
    uint64_t seed;
    pid_t self;
    char dir[PATH_MAX];
    struct live_incs incs;    /* the timeline as applied so far */
    struct sim_faults faults; /* for the heal's coverage situation */
    struct live_shm *shm;
    int *socks;                /* per process */
    struct sockaddr_in *addrs; /* per process */
    struct lv_child *kids;     /* by incarnation id - 1 */
    int sigfd, ready_rd, ready_wr;
    int64_t epoch_ns;
    int64_t wall0_ns;
    FILE *harness; /* the supervisor's trace stream */
    char *line;
    size_t line_cap;
    int harness_errno;
    struct sim_totals tot; /* crashes, faults applied */
    uint64_t *proc_sends;
    bool interrupted;
    char failure[512]; /* a process that ended on its own, or could not start */
};

static int64_t lv_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Scenario time now (0 before the epoch), at most the end. */
static int64_t lv_now(const struct lv *lv)
{
    int64_t w = lv_mono_ns() - lv->epoch_ns;
    int64_t t = w <= 0 ? 0 : (int64_t)((double)w / lv->o->scale);
    return t < lv->scn->run_ns ? t : lv->scn->run_ns;
}

static int64_t lv_wall_at(const struct lv *lv, int64_t t_ns)
{
    return lv->epoch_ns + (int64_t)((double)t_ns * lv->o->scale);
}

static void lv_fail(struct lv *lv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lv_fail(struct lv *lv, const char *fmt, ...)
{
    if (lv->failure[0])
        return; /* the first one is reported */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lv->failure, sizeof lv->failure, fmt, ap);
    va_end(ap);
}

/* ---- the supervisor's trace stream ---- */

static void lv_emit(struct lv *lv, struct chk_event *e)
{
    e->t = (double)lv_now(lv) / 1e9;
    int n;
    while ((n = chk_event_write(e, lv->line, lv->line_cap)) < 0) {
        lv->line_cap *= 2;
        lv->line = realloc(lv->line, lv->line_cap);
        assert(lv->line);
    }
    if (fwrite(lv->line, 1, (size_t)n, lv->harness) != (size_t)n)
        sim_out_failed(&lv->harness_errno);
}

static void lv_sink(void *ctx, struct chk_event *e)
{
    lv_emit(ctx, e);
}

/* ---- children ---- */

static const char *lv_name(const struct lv *lv, pg_node_id id)
{
    return lv->incs.inc[id - 1].name;
}

/* Closes descriptors from..to (close_range, or one by one where the kernel lacks it). */
static void lv_close_from(int from, int to)
{
    if (close_range((unsigned)from, (unsigned)to, 0) == 0)
        return;
    long max = sysconf(_SC_OPEN_MAX);
    for (int fd = from; fd <= to && fd < (max > 0 ? max : 4096); fd++)
        close(fd);
}

/* In the child: keeps its own descriptors only (renumbered 3 .. 3 + n - 1). */
static void lv_child_fds(int *fds, int n)
{
    for (int i = 0; i < n; i++) {
        int hi = fcntl(fds[i], F_DUPFD, 1000 + i);
        if (hi < 0)
            _exit(2);
        fds[i] = hi;
    }
    lv_close_from(3, 999);
    for (int i = 0; i < n; i++) {
        if (dup2(fds[i], 3 + i) < 0)
            _exit(2);
        fds[i] = 3 + i;
    }
    lv_close_from(3 + n, INT_MAX);
}

static void lv_child(struct lv *lv, pg_node_id id, uint32_t replay, int ctl, int tfd)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != lv->self)
        _exit(2);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_UNBLOCK, &all, NULL);
    uint32_t proc = lv->incs.inc[id - 1].proc;
    int fds[4] = {lv->socks[proc], ctl, tfd, lv->ready_wr};
    lv_child_fds(fds, 4);
    struct live_node_cfg cfg = {.scn = lv->scn,
                                .seed = lv->seed,
                                .proc = proc,
                                .first = id,
                                .sock_fd = fds[0],
                                .addrs = lv->addrs,
                                .trace_fd = fds[2],
                                .scale = lv->o->scale,
                                .epoch_ns = lv->epoch_ns,
                                .ctl_fd = fds[1],
                                .ready_fd = fds[3],
                                .replay = replay,
                                .shm = lv->shm};
    _exit(live_node_run(&cfg));
}

/* Starts incarnation id as a new process, the timeline's first `replay`
 * lines already applied. 0, or 2 after a message. */
static int lv_fork(struct lv *lv, pg_node_id id, uint32_t replay)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/inc-%u.jsonl", lv->dir, id);
    int ctl[2];
    if (pipe2(ctl, O_CLOEXEC) != 0) {
        perror("pgroup live: pipe");
        return 2;
    }
    int tfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (tfd < 0) {
        fprintf(stderr, "pgroup: cannot write %s: %s\n", path, strerror(errno));
        close(ctl[0]);
        close(ctl[1]);
        return 2;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        lv_child(lv, id, replay, ctl[0], tfd);
    close(ctl[0]);
    close(tfd);
    if (pid < 0) {
        perror("pgroup live: fork");
        close(ctl[1]);
        return 2;
    }
    lv->kids[id - 1] = (struct lv_child){.pid = pid, .ctl = ctl[1], .running = true};
    return 0;
}

static void lv_reaped(struct lv *lv, struct lv_child *k, int status)
{
    k->running = false;
    k->status = status;
    if (k->ctl >= 0)
        close(k->ctl);
    k->ctl = -1;
    pg_node_id id = (pg_node_id)(k - lv->kids) + 1;
    bool at_end = lv_now(lv) >= lv->scn->run_ns;
    if (k->killed || (at_end && WIFEXITED(status) && WEXITSTATUS(status) == 0))
        return;
    if (WIFSIGNALED(status))
        lv_fail(lv, "%s (pid %d) died of signal %d (%s) at %.3f s", lv_name(lv, id), (int)k->pid,
                WTERMSIG(status), strsignal(WTERMSIG(status)), (double)lv_now(lv) / 1e9);
    else
        lv_fail(lv, "%s (pid %d) exited with status %d at %.3f s", lv_name(lv, id), (int)k->pid,
                WEXITSTATUS(status), (double)lv_now(lv) / 1e9);
}

static void lv_reap(struct lv *lv)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (uint32_t i = 0; i < lv->incs.n; i++)
            if (lv->kids[i].pid == pid && lv->kids[i].running)
                lv_reaped(lv, &lv->kids[i], status);
}

/* SIGKILL, and waits for it: once this returns, the process wrote its last line. */
static void lv_kill(struct lv *lv, struct lv_child *k)
{
    if (!k->running)
        return;
    k->killed = true;
    kill(k->pid, SIGKILL);
    int status;
    while (waitpid(k->pid, &status, 0) < 0 && errno == EINTR)
        ;
    lv_reaped(lv, k, status);
}

static void lv_kill_all(struct lv *lv)
{
    for (uint32_t i = 0; i < lv->incs.n; i++)
        lv_kill(lv, &lv->kids[i]);
}

static void lv_send(struct lv *lv, struct lv_child *k, enum live_ctl_type type, uint32_t arg,
                    int64_t value)
{
    struct live_ctl c = {.type = type, .arg = arg, .value = value};
    if (k->running && k->ctl >= 0 && write(k->ctl, &c, sizeof c) != (ssize_t)sizeof c)
        lv_reap(lv); /* it is gone: EPIPE (SIGPIPE is ignored) */
}

static void lv_broadcast(struct lv *lv, enum live_ctl_type type, uint32_t arg, int64_t value)
{
    for (uint32_t i = 0; i < lv->incs.n; i++)
        lv_send(lv, &lv->kids[i], type, arg, value);
}

/* ---- signals and waiting ---- */

static void lv_on_signals(struct lv *lv)
{
    struct signalfd_siginfo si;
    while (read(lv->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGCHLD)
            lv_reap(lv);
        else
            lv->interrupted = true;
    }
}

/* Sleeps until CLOCK_MONOTONIC reaches wall_ns, handling signals. False if interrupted. */
static bool lv_sleep_until(struct lv *lv, int64_t wall_ns)
{
    while (!lv->interrupted) {
        int64_t left = wall_ns - lv_mono_ns();
        if (left <= 0)
            return true;
        struct timespec ts = {.tv_sec = left / 1000000000, .tv_nsec = left % 1000000000};
        struct pollfd p = {.fd = lv->sigfd, .events = POLLIN};
        if (ppoll(&p, 1, &ts, NULL) > 0)
            lv_on_signals(lv);
    }
    return false;
}

static bool lv_any_running(const struct lv *lv)
{
    for (uint32_t i = 0; i < lv->incs.n; i++)
        if (lv->kids[i].running)
            return true;
    return false;
}

/* ---- set-up ---- */

/* One UDP socket per scenario process on 127.0.0.1, on a port the kernel
 * picks; the supervisor keeps them across incarnations. 0, or 2. */
static int lv_sockets(struct lv *lv)
{
    uint32_t n = lv->scn->n_procs;
    lv->socks = malloc(n * sizeof *lv->socks);
    lv->addrs = calloc(n, sizeof *lv->addrs);
    assert(lv->socks && lv->addrs);
    for (uint32_t p = 0; p < n; p++)
        lv->socks[p] = -1;
    for (uint32_t p = 0; p < n; p++) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof a;
        int buf = (int)LIVE_RCVBUF_B;
        if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) != 0)
            (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
        if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
            getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
            perror("pgroup live: UDP socket on 127.0.0.1");
            if (fd >= 0)
                close(fd);
            return 2;
        }
        lv->socks[p] = fd;
        lv->addrs[p] = a;
    }
    return 0;
}

/* A private directory for the trace streams. 0, or 2. */
static int lv_dir(struct lv *lv)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(lv->dir, sizeof lv->dir, "%s/pgroup-live-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(lv->dir)) {
        fprintf(stderr, "pgroup live: cannot make a directory %s: %s\n", lv->dir, strerror(errno));
        lv->dir[0] = '\0';
        return 2;
    }
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/harness.jsonl", lv->dir);
    lv->harness = sim_out_open(path, "w");
    return lv->harness ? 0 : 2;
}

static int lv_signals(struct lv *lv)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    lv->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    int p[2];
    if (lv->sigfd < 0 || pipe2(p, O_CLOEXEC) != 0) {
        perror("pgroup live: signalfd");
        return 2;
    }
    lv->ready_rd = p[0];
    lv->ready_wr = p[1];
    return 0;
}

static int lv_init(struct lv *lv, const struct scn *s, const struct live_opts *o, FILE *out)
{
    *lv = (struct lv){.scn = s,
                      .o = o,
                      .out = out,
                      .self = getpid(),
                      .sigfd = -1,
                      .ready_rd = -1,
                      .ready_wr = -1};
    lv->seed = o->seed_given ? o->seed : s->seed;
    live_incs_init(&lv->incs, s);
    sim_faults_init(&lv->faults, s->n_procs);
    lv->kids = calloc(lv->incs.n + 1, sizeof *lv->kids);
    lv->proc_sends = calloc(s->n_procs + 1, sizeof *lv->proc_sends);
    lv->line_cap = 4096;
    lv->line = malloc(lv->line_cap);
    assert(lv->kids && lv->proc_sends && lv->line);
    for (uint32_t i = 0; i < lv->incs.n; i++)
        lv->kids[i].ctl = -1;
    lv->shm = live_shm_new(lv->incs.n, s->n_groups);
    if (!lv->shm) {
        perror("pgroup live: shared memory");
        return 2;
    }
    if (lv_signals(lv) || lv_sockets(lv) || lv_dir(lv))
        return 2;
    struct chk_header h = {.scenario = s->name, .seed = lv->seed, .end_s = (double)s->run_ns / 1e9};
    h.quiet_from_s = s->quiet_ns > 0 ? (double)(s->run_ns - s->quiet_ns) / 1e9 : -1;
    h.expect = s->expect == SCN_EXPECT_VIOLATION ? s->expect_rule : NULL;
    int n = chk_header_write(&h, lv->line, lv->line_cap);
    assert(n > 0);
    if (fwrite(lv->line, 1, (size_t)n, lv->harness) != (size_t)n)
        sim_out_failed(&lv->harness_errno);
    return 0;
}

/* Forks every first incarnation, waits until each is ready, and sends them
 * the epoch. 0, or 2 after a message. */
static int lv_start(struct lv *lv)
{
    uint32_t n = lv->scn->n_procs;
    for (pg_node_id id = 1; id <= n; id++)
        if (lv_fork(lv, id, 0) != 0)
            return 2;
    int64_t deadline = lv_mono_ns() + (int64_t)LV_READY_MS * 1000000;
    for (uint32_t ready = 0; ready < n;) {
        struct pollfd p[2] = {{.fd = lv->ready_rd, .events = POLLIN},
                              {.fd = lv->sigfd, .events = POLLIN}};
        int left_ms = (int)((deadline - lv_mono_ns()) / 1000000);
        if (left_ms <= 0 || poll(p, 2, left_ms) <= 0) {
            fprintf(stderr, "pgroup live: %u of %u processes ready after %d s\n", ready, n,
                    LV_READY_MS / 1000);
            return 2;
        }
        if (p[1].revents)
            lv_on_signals(lv);
        if (lv->interrupted || lv->failure[0])
            return lv->interrupted ? 130 : 2;
        char b[64];
        ssize_t r = p[0].revents ? read(lv->ready_rd, b, sizeof b) : 0;
        ready += r > 0 ? (uint32_t)r : 0;
    }
    lv->epoch_ns = lv_mono_ns() + LV_LEAD_NS;
    lv->wall0_ns = lv->epoch_ns;
    lv_broadcast(lv, LIVE_CTL_START, 0, lv->epoch_ns);
    return 0;
}

/* ---- the timeline ---- */

/* Each process's application sends so far: the published counters. */
static void lv_proc_sends(struct lv *lv)
{
    memset(lv->proc_sends, 0, lv->scn->n_procs * sizeof *lv->proc_sends);
    for (pg_node_id id = 1; id <= lv->incs.n; id++)
        if (lv->kids[id - 1].pid)
            lv->proc_sends[lv->incs.inc[id - 1].proc] += live_shm_slot(lv->shm, id)->tot.sends;
}

static void lv_crash(struct lv *lv, const struct scn_fault *f)
{
    pg_node_id id = lv->incs.current[f->proc];
    assert(id != PG_NODE_NONE); /* the parser rejects crashing a crashed process */
    lv_kill(lv, &lv->kids[id - 1]);
    struct chk_event e = {.ev = CHK_EV_CRASH, .ev_name = "crash", .view = -1};
    e.node = lv_name(lv, id);
    lv_emit(lv, &e);
    lv->tot.crashes++;
}

/* Applies timeline line k now, and tells every process. 0, or 2 when a
 * restart could not be forked. */
static int lv_apply(struct lv *lv, uint32_t k)
{
    const struct scn_fault *f = &lv->scn->faults[k];
    if (f->kind == SCN_F_CRASH)
        lv_crash(lv, f);
    live_incs_apply_next(&lv->incs);
    if (f->kind == SCN_F_RESTART && lv_fork(lv, lv->incs.current[f->proc], k + 1) != 0)
        return 2;
    if (sim_fault_is_net(f->kind)) {
        lv_proc_sends(lv);
        if (sim_faults_apply(&lv->faults, lv->scn, f, lv->proc_sends)) {
            struct chk_event e = {.ev = CHK_EV_OTHER, .ev_name = "sometimes", .view = -1};
            e.detail = "partition healed with traffic on both sides";
            lv_emit(lv, &e);
        }
    }
    lv->tot.faults_applied += (uint32_t)sim_fault_emit(lv->scn, f, lv_sink, lv);
    lv_broadcast(lv, LIVE_CTL_FAULT, k, 0);
    return 0;
}

/* Runs the timeline in real time, then waits for the processes to stop at
 * the end. 0, 2 (a restart failed) or 130 (interrupted). */
static int lv_timeline(struct lv *lv)
{
    const struct scn *s = lv->scn;
    for (uint32_t k = 0; k < s->n_faults && s->faults[k].at_ns < s->run_ns; k++) {
        if (!lv_sleep_until(lv, lv_wall_at(lv, s->faults[k].at_ns)))
            return 130;
        if (lv_apply(lv, k) != 0)
            return 2;
    }
    if (!lv_sleep_until(lv, lv_wall_at(lv, s->run_ns)))
        return 130;
    int64_t grace = lv_mono_ns() + (int64_t)(LIVE_GRACE_S * 1e9);
    while (lv_any_running(lv) && lv_mono_ns() < grace && !lv->interrupted)
        lv_sleep_until(lv, lv_mono_ns() + 10000000);
    for (uint32_t i = 0; i < lv->incs.n; i++)
        if (lv->kids[i].running)
            lv_fail(lv, "%s did not stop within %.0f s of the end: killed",
                    lv_name(lv, (pg_node_id)i + 1), LIVE_GRACE_S);
    lv_kill_all(lv);
    return lv->interrupted ? 130 : 0;
}

/* ---- the end: merge, judge, summary ---- */

/* Datagrams the kernel dropped because a receive buffer was full, over this
 * run's sockets (/proc/net/udp, `drops`); -1 when it cannot be read. */
static long long lv_kernel_drops(const struct lv *lv)
{
    FILE *f = fopen("/proc/net/udp", "r");
    if (!f)
        return -1;
    char line[512];
    long long drops = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned addr, port;
        if (sscanf(line, " %*d: %x:%x", &addr, &port) != 2)
            continue;
        char *last = strrchr(line, ' ');
        for (uint32_t p = 0; last && p < lv->scn->n_procs; p++)
            if (port == ntohs(lv->addrs[p].sin_port))
                drops += atoll(last + 1);
    }
    fclose(f);
    return drops;
}

/* The counters every process published, and the supervisor's own. */
static void lv_totals(struct lv *lv, struct sim_totals *t, struct live_net_stats *net,
                      struct sim_metrics *m)
{
    *t = (struct sim_totals){0};
    for (pg_node_id id = 1; id <= lv->incs.n; id++) {
        const struct live_slot *s = live_shm_slot(lv->shm, id);
        if (!lv->kids[id - 1].pid || !s->started)
            continue;
        sim_totals_add(t, &s->tot);
        net->malformed += s->net.malformed;
        net->stale += s->net.stale;
        net->send_errors += s->net.send_errors;
        net->outq_full += s->net.outq_full;
        if (m)
            sim_metrics_retained(m, s->pg_retained_max, s->link_retained_max);
    }
    t->crashes += lv->tot.crashes;
    t->faults_applied += lv->tot.faults_applied;
}

/* The command that runs this again (not the same run: live runs are not deterministic). */
static void lv_print_command(const struct lv *lv, FILE *out)
{
    cli_quote(out, lv->o->prog ? lv->o->prog : "pgroup");
    fputs(" live ", out);
    cli_quote(out, lv->scn->file);
    fprintf(out, " --seed %llu", (unsigned long long)lv->seed);
    if (lv->o->scale != 1.0)
        fprintf(out, " --time-scale %g", lv->o->scale);
    if (lv->o->trace_path) {
        fputs(" --trace ", out);
        cli_quote(out, lv->o->trace_path);
    }
    fputc('\n', out);
}

static void lv_print_config(const struct lv *lv, FILE *out)
{
    const struct scn *s = lv->scn;
    lv_print_command(lv, out);
    fprintf(out,
            "live: %u processes, UDP on 127.0.0.1, CLOCK_MONOTONIC, time scale %g (wall seconds "
            "per scenario second); not deterministic%s\n",
            s->n_procs, lv->o->scale, s->platform_file[0] ? "; the platform file is not used" : "");
    fprintf(out, "ports:");
    for (uint32_t p = 0; p < s->n_procs && p < 16; p++)
        fprintf(out, " %s:%u", s->procs[p].name, ntohs(lv->addrs[p].sin_port));
    fprintf(out, "%s\n", s->n_procs > 16 ? " ..." : "");
    fprintf(out, "trace: %s\n", lv->o->trace_path ? lv->o->trace_path : "(checked after the run)");
    if (!lv->o->quiet)
        scn_print(s, out);
}

/* Some group runs the process-group layer (else the link layer alone). */
static bool lv_any_pg(const struct scn *s)
{
    for (uint32_t g = 0; g < s->n_groups; g++)
        if (s->groups[g].pg)
            return true;
    return false;
}

static void lv_summary(const struct lv *lv, const struct sim_totals *t,
                       const struct live_net_stats *net, const struct live_merged *mg,
                       const struct live_judge *j, FILE *out)
{
    fprintf(out,
            "\nsummary: live %.3f s in %.3f s wall; %llu events; %llu sends; %llu deliveries\n",
            t->sim_s, t->wall_s, (unsigned long long)t->events, (unsigned long long)t->sends,
            (unsigned long long)t->deliveries);
    fprintf(out, "resources: peak memory %.1f MiB (resident, the largest process)\n",
            (double)t->peak_rss_kib / 1024.0);
    sim_summary_print(t, lv_any_pg(lv->scn), &j->sometimes, out);
    long long drops = lv_kernel_drops(lv);
    fprintf(out,
            "udp: %lld datagrams dropped by full receive buffers, %llu refused by the kernel, "
            "%llu malformed, %llu for an earlier incarnation; %llu trace lines of killed "
            "processes cut short\n",
            drops, (unsigned long long)net->send_errors, (unsigned long long)net->malformed,
            (unsigned long long)net->stale, (unsigned long long)mg->torn);
}

/* Prints the rules, the bounds and the verdict; returns the exit status. */
static int lv_verdict(const struct lv *lv, const struct sim_totals *t, const struct live_judge *j,
                      FILE *out)
{
    fprintf(out, "rules:\n");
    chk_report(j->chk, out);
    bool bounds_ok = sim_bounds_print(lv->scn, t, out);
    bool ok = chk_verdict(j->chk, out) && bounds_ok && !lv->failure[0];
    if (!bounds_ok)
        fprintf(out, "verdict: FAIL (a bound was exceeded)\n");
    if (lv->failure[0])
        fprintf(out, "verdict: FAIL (%s)\n", lv->failure);
    if (ok)
        return 0;
    fputs("run again with: ", out);
    lv_print_command(lv, out);
    fprintf(out, "(a live run is not deterministic: it may not fail again; the simulator's run is "
                 "`pgroup run` with the same seed)\n");
    return 1;
}

static int lv_write_trace(const char *path, const struct live_merged *mg)
{
    FILE *f = sim_out_open(path, "w");
    if (!f)
        return 2;
    int err = 0;
    if (fwrite(mg->buf, 1, mg->len, f) != mg->len)
        sim_out_failed(&err);
    return sim_out_close(f, path, err);
}

/* Merges the streams (the supervisor's, then each incarnation's). 0, or 2. */
static int lv_merge(struct lv *lv, struct live_merged *mg)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/harness.jsonl", lv->dir);
    int rc = sim_out_close(lv->harness, path, lv->harness_errno);
    lv->harness = NULL;
    if (rc != 0)
        return 2;
    char **paths = calloc(lv->incs.n + 1, sizeof *paths);
    assert(paths);
    uint32_t n = 0;
    paths[n++] = strdup(path);
    for (pg_node_id id = 1; id <= lv->incs.n; id++) {
        if (!lv->kids[id - 1].pid)
            continue;
        snprintf(path, sizeof path, "%s/inc-%u.jsonl", lv->dir, id);
        paths[n++] = strdup(path);
    }
    rc = live_merge_files((const char *const *)paths, n, LIVE_MERGE_BY_TIME, mg, stderr);
    for (uint32_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    return rc;
}

/* Merges, judges, prints the summary and the verdict, writes the outputs. */
static int lv_finish(struct lv *lv, double wall_s)
{
    const struct live_opts *o = lv->o;
    struct live_merged mg;
    if (lv_merge(lv, &mg) != 0)
        return 2;
    struct sim_metrics *m = NULL;
    if ((o->metrics_path || o->latency_csv) && !(m = sim_metrics_new(lv->scn, o->latency_csv))) {
        free(mg.buf);
        return 2;
    }
    struct sim_totals t;
    struct live_net_stats net = {0};
    lv_totals(lv, &t, &net, m);
    struct live_judge j;
    int rc = live_judge_trace(o->trace_path ? o->trace_path : "the merged trace", mg.buf, mg.len,
                              &lv->incs, m, &t, &j, stderr);
    if (rc == 0) {
        struct rusage ru;
        t.events = j.events;
        t.sim_s = (double)lv->scn->run_ns / 1e9;
        t.wall_s = wall_s;
        t.peak_rss_kib = getrusage(RUSAGE_CHILDREN, &ru) == 0 ? (uint64_t)ru.ru_maxrss : 0;
        lv_summary(lv, &t, &net, &mg, &j, lv->out);
        rc = lv_verdict(lv, &t, &j, lv->out);
        if (o->trace_path && lv_write_trace(o->trace_path, &mg) != 0)
            rc = 2;
        if (sim_metrics_close_csv(m) != 0)
            rc = 2;
        if (o->metrics_path &&
            sim_metrics_write(m, &t, lv_any_pg(lv->scn), rc, o->metrics_path) != 0)
            rc = 2;
    }
    live_judge_free(&j);
    sim_metrics_free(m);
    free(mg.buf);
    return rc;
}

static void lv_free(struct lv *lv)
{
    lv_kill_all(lv);
    if (lv->harness)
        fclose(lv->harness);
    for (uint32_t i = 0; lv->kids && i < lv->incs.n; i++) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/inc-%u.jsonl", lv->dir, i + 1);
        if (lv->kids[i].pid && lv->dir[0])
            unlink(path);
    }
    if (lv->dir[0]) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/harness.jsonl", lv->dir);
        unlink(path);
        rmdir(lv->dir);
    }
    for (uint32_t p = 0; lv->socks && p < lv->scn->n_procs; p++)
        if (lv->socks[p] >= 0)
            close(lv->socks[p]);
    int fds[3] = {lv->sigfd, lv->ready_rd, lv->ready_wr};
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    live_shm_free(lv->shm);
    live_incs_free(&lv->incs);
    sim_faults_free(&lv->faults);
    free(lv->kids);
    free(lv->proc_sends);
    free(lv->socks);
    free(lv->addrs);
    free(lv->line);
}

int live_run(const struct scn *s, const struct live_opts *o, FILE *out)
{
    assert(o->scale > 0 && s->n_procs > 0);
    struct lv lv;
    int rc = lv_init(&lv, s, o, out);
    if (rc == 0) {
        lv_print_config(&lv, out);
        fflush(out);
        rc = lv_start(&lv);
    }
    if (rc == 0) {
        sim_domain_emit(s, lv_sink, &lv);
        rc = lv_timeline(&lv);
    }
    lv_kill_all(&lv);
    double wall_s = (double)(lv_mono_ns() - lv.wall0_ns) / 1e9;
    if (rc == 0)
        rc = lv_finish(&lv, wall_s);
    if (rc == 130)
        fprintf(stderr, "pgroup live: interrupted; every process stopped\n");
    else if (rc == 2 && lv.failure[0])
        fprintf(stderr, "pgroup live: %s\n", lv.failure);
    lv_free(&lv);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    return rc;
}
