/* sim/sweep.c: the sweep runner. See sweep.h.
 *
 * Every point runs as its own process, `pgroup run OUT/runs/ID.scn --brief
 * --metrics OUT/runs/ID.metrics` (the binary execs itself), at most `jobs` at
 * a time, each in its own process group so that a terminal's Ctrl-C reaches
 * the sweep alone: the sweep then stops its children, keeps the rows already
 * written and exits 130. A finished run appends its row to OUT/results.csv at
 * once; rows with verdict PASS or FAIL are skipped when the same command runs
 * again (ERROR rows run again, and so do rows of a `dump_latency` grid whose
 * latency dump is gone). At the end the file is rewritten in spec order.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "outfile.h"
#include "sweep.h"

#define SWP_PATH_MAX 4096
#define SWP_ROW_MAX  8192

static volatile sig_atomic_t swp_stop;

static void swp_on_signal(int sig)
{
    (void)sig;
    swp_stop = 1;
}

/* Metric columns of results.csv, as named in the metrics file (sim/metrics.h). */
static const char *const swp_metric_cols[] = {"latency_p50_ms",
                                              "latency_p99_ms",
                                              "latency_mean_ms",
                                              "latency_max_ms",
                                              "throughput_msgs_per_s",
                                              "net_msgs_per_mcast",
                                              "header_bytes_per_msg",
                                              "link_header_bytes_per_mcast",
                                              "stable_msgs_per_mcast",
                                              "control_msgs",
                                              "retained_msgs_max",
                                              "link_retained_max",
                                              "delayed_fraction",
                                              "delayed_mean_ms",
                                              "delayed_max_ms",
                                              "view_changes",
                                              "flush_ms",
                                              "view_change_ms",
                                              "sim_events",
                                              "wall_s"};
#define SWP_N_METRICS (sizeof swp_metric_cols / sizeof swp_metric_cols[0])

struct child {
    pid_t pid;
    uint32_t point;
    double t0;
};

struct runner {
    const struct swp_spec *s;
    const struct swp_opts *o;
    char header[SWP_ROW_MAX];
    char **rows;  /* by point index: the row, or NULL */
    char **extra; /* rows of ids the spec no longer has, kept in file order */
    uint32_t n_extra;
    uint32_t *todo, n_todo, next;
    struct child *kids;
    uint32_t running, done, failed, errors;
    double t_start, busy_s;
    FILE *csv;     /* OUT/results.csv, appended to as runs finish */
    int csv_errno; /* the first failed append's errno (sim/outfile.h) */
    char csv_path[SWP_PATH_MAX];
    bool tty;
};

static double swp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void swp_path(char *buf, const struct runner *r, const char *id, const char *suffix)
{
    snprintf(buf, SWP_PATH_MAX, "%s/runs/%s%s", r->o->out_dir, id, suffix);
}

/* ---- results.csv ---- */

static void build_header(struct runner *r)
{
    size_t at = (size_t)snprintf(
        r->header, sizeof r->header,
        "id,grid,order,group_size,senders,first_sender,rate,msg_bytes,loss,crash_s");
    for (uint32_t k = 0; k < r->s->n_set_keys; k++)
        at += (size_t)snprintf(r->header + at, sizeof r->header - at, ",set_%s", r->s->set_keys[k]);
    at += (size_t)snprintf(r->header + at, sizeof r->header - at, ",seed,verdict,exit");
    for (size_t k = 0; k < SWP_N_METRICS; k++)
        at += (size_t)snprintf(r->header + at, sizeof r->header - at, ",%s", swp_metric_cols[k]);
    snprintf(r->header + at, sizeof r->header - at, ",error");
}

static int find_point(const struct swp_spec *s, const char *id, size_t len)
{
    for (uint32_t i = 0; i < s->n_points; i++)
        if (strlen(s->points[i].id) == len && !strncmp(s->points[i].id, id, len))
            return (int)i;
    return -1;
}

/* Field k (0-based) of a CSV row without quoting: pointer and length. */
static const char *csv_field(const char *row, unsigned k, size_t *len)
{
    for (; k > 0; k--) {
        row = strchr(row, ',');
        if (!row)
            return *len = 0, "";
        row++;
    }
    *len = strcspn(row, ",\n");
    return row;
}

/* The columns before the set_KEY ones: id, grid, order, group_size, senders,
 * first_sender, rate, msg_bytes, loss, crash_s (build_header). */
#define SWP_FIXED_COLS 10u

static unsigned verdict_col(const struct runner *r)
{
    return SWP_FIXED_COLS + r->s->n_set_keys + 1; /* after the seed */
}

/* Whether point p's files are all there: a grid with `dump_latency` needs its
 * latency dump for the CDF and timeline plots (a copy of the output without
 * runs/ then reruns just those points). */
static bool point_files_ok(const struct runner *r, uint32_t p)
{
    const struct swp_point *pt = &r->s->points[p];
    char path[SWP_PATH_MAX];
    swp_path(path, r, pt->id, ".latency.csv");
    return !r->s->grids[pt->grid].dump_latency || access(path, R_OK) == 0;
}

/* Keeps the PASS and FAIL rows of an earlier results.csv (a row whose latency
 * dump is missing runs again). 2 if its columns differ. */
static int load_results(struct runner *r, const char *path, FILE *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    int rc = 0;
    if (n > 0 && (line[n - 1] = '\0', strcmp(line, r->header))) {
        fprintf(stderr,
                "pgroup sweep: %s has other columns than this spec gives; remove it or use "
                "another --out\n  file: %s\n  spec: %s\n",
                path, line, r->header);
        rc = 2;
    }
    while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n')
            line[n - 1] = '\0';
        size_t vl, il = strcspn(line, ",");
        const char *v = csv_field(line, verdict_col(r), &vl);
        if (!(vl == 4 && (!strncmp(v, "PASS", 4) || !strncmp(v, "FAIL", 4))))
            continue; /* ERROR rows run again */
        int p = find_point(r->s, line, il);
        if (p >= 0 && !point_files_ok(r, (uint32_t)p))
            continue;
        if (p >= 0 && !r->rows[p]) {
            r->rows[p] = strdup(line);
        } else if (p < 0) {
            r->extra = realloc(r->extra, (r->n_extra + 1) * sizeof *r->extra);
            r->extra[r->n_extra++] = strdup(line);
        }
    }
    free(line);
    fclose(f);
    (void)out;
    return rc;
}

/* Rewrites results.csv: the header, the rows in spec order, then the extra rows. */
static int write_sorted(const struct runner *r)
{
    char path[SWP_PATH_MAX], tmp[SWP_PATH_MAX + 8];
    snprintf(path, sizeof path, "%s/results.csv", r->o->out_dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = sim_out_open(tmp, "w");
    if (!f)
        return 2;
    fprintf(f, "%s\n", r->header);
    for (uint32_t i = 0; i < r->s->n_points; i++)
        if (r->rows[i])
            fprintf(f, "%s\n", r->rows[i]);
    for (uint32_t i = 0; i < r->n_extra; i++)
        fprintf(f, "%s\n", r->extra[i]);
    if (sim_out_close(f, tmp, 0) != 0)
        return 2;
    if (rename(tmp, path) != 0) {
        fprintf(stderr, "pgroup: cannot write %s: %s\n", path, strerror(errno));
        return 2;
    }
    return 0;
}

/* ---- one row ---- */

/* Reads `key=value` lines into vals[] for the metric columns (missing: ""). */
static bool read_metrics(const char *path, char vals[][48], const char **verdict_out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[512];
    static char verdict[16];
    verdict[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        if (!strcmp(line, "verdict"))
            snprintf(verdict, sizeof verdict, "%s", eq + 1);
        for (size_t k = 0; k < SWP_N_METRICS; k++)
            if (!strcmp(line, swp_metric_cols[k]))
                snprintf(vals[k], 48, "%s", eq + 1);
    }
    fclose(f);
    *verdict_out = verdict;
    return verdict[0] != '\0';
}

/* The first non-empty line of the run's stderr, made CSV-safe. */
static void read_error(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f) && !buf[0]) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(buf, cap, "%.*s", (int)cap - 1, line);
    }
    fclose(f);
    for (char *c = buf; *c; c++)
        if (*c == ',' || *c == '"' || *c == '\r')
            *c = ';';
}

static size_t row_params(const struct runner *r, const struct swp_point *p, char *row, size_t cap)
{
    const struct swp_spec *s = r->s;
    const struct swp_grid *g = &s->grids[p->grid];
    char crash[32] = "none";
    if (p->crash_s >= 0)
        snprintf(crash, sizeof crash, "%g", p->crash_s);
    size_t at =
        (size_t)snprintf(row, cap, "%s,%s,%s,%u,%u,%u,%g,%u,%g,%s", p->id, g->name,
                         g->axis[SWP_A_ORDER].v[p->idx[SWP_A_ORDER]].text, p->group_size,
                         p->senders, p->first_sender, p->rate, p->msg_bytes, p->loss, crash);
    for (uint32_t k = 0; k < s->n_set_keys; k++)
        at += (size_t)snprintf(row + at, cap - at, ",%s", swp_point_set(s, p, s->set_keys[k]));
    at += (size_t)snprintf(row + at, cap - at, ",%llu", (unsigned long long)p->seed);
    return at;
}

/* Builds point i's row from its exit status and files. */
static char *make_row(struct runner *r, uint32_t i, int status)
{
    const struct swp_point *p = &r->s->points[i];
    char path[SWP_PATH_MAX], err[512] = "", row[SWP_ROW_MAX];
    char vals[SWP_N_METRICS][48];
    memset(vals, 0, sizeof vals);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const char *verdict = "ERROR";
    swp_path(path, r, p->id, ".metrics");
    bool have = (code == 0 || code == 1) && read_metrics(path, vals, &verdict);
    if (!have) {
        verdict = "ERROR";
        swp_path(path, r, p->id, ".err");
        read_error(path, err, sizeof err);
        /* the output directory is not part of the row (it names the run's files) */
        snprintf(path, sizeof path, "%s/runs/", r->o->out_dir);
        char *dir = strstr(err, path);
        if (dir)
            memmove(dir, dir + strlen(path), strlen(dir + strlen(path)) + 1);
        if (WIFSIGNALED(status))
            snprintf(err, sizeof err, "killed by signal %d", WTERMSIG(status));
        else if (!err[0])
            snprintf(err, sizeof err, "exit status %d and no metrics", code);
    }
    size_t at = row_params(r, p, row, sizeof row);
    at += (size_t)snprintf(row + at, sizeof row - at, ",%s,%d", verdict, code);
    for (size_t k = 0; k < SWP_N_METRICS; k++)
        at += (size_t)snprintf(row + at, sizeof row - at, ",%s", vals[k]);
    snprintf(row + at, sizeof row - at, ",%s", err);
    r->failed += !strcmp(verdict, "FAIL");
    r->errors += !strcmp(verdict, "ERROR");
    char *dup = strdup(row);
    assert(dup);
    return dup;
}

/* ---- children ---- */

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

static void child_exec(const struct runner *r, const struct swp_point *p)
{
    char scn[SWP_PATH_MAX], met[SWP_PATH_MAX], lat[SWP_PATH_MAX], log[SWP_PATH_MAX],
        err[SWP_PATH_MAX];
    swp_path(scn, r, p->id, ".scn");
    swp_path(met, r, p->id, ".metrics");
    swp_path(lat, r, p->id, ".latency.csv");
    swp_path(log, r, p->id, ".log");
    swp_path(err, r, p->id, ".err");
    setpgid(0, 0); /* Ctrl-C reaches the sweep, which stops its children itself */
    if (!freopen(log, "w", stdout) || !freopen(err, "w", stderr))
        _exit(127);
    char *argv[] = {(char *)r->o->self, "run", scn, "--brief", "--metrics", met,
                    "--latency-csv",    lat,   NULL};
    if (!r->s->grids[p->grid].dump_latency)
        argv[6] = NULL;
    execv(r->o->self, argv);
    fprintf(stderr, "cannot run %s: %s\n", r->o->self, strerror(errno));
    _exit(127);
}

/* Starts point i. False (after a message) if its files cannot be written. */
static bool start_child(struct runner *r, uint32_t i, struct child *c)
{
    const struct swp_point *p = &r->s->points[i];
    static char text[(size_t)SWP_MAX_BASE * SCN_LINE_MAX];
    char path[SWP_PATH_MAX];
    size_t n = swp_scenario_text(r->s, p, text, sizeof text);
    assert(n > 0); /* swp_expand generated it once already */
    swp_path(path, r, p->id, ".scn");
    if (write_file(path, text) != 0)
        return false;
    swp_path(path, r, p->id, ".metrics");
    unlink(path);
    fflush(NULL);
    pid_t pid = fork();
    assert(pid >= 0);
    if (pid == 0)
        child_exec(r, p);
    *c = (struct child){.pid = pid, .point = i, .t0 = swp_now()};
    r->running++;
    return true;
}

/* ---- progress ---- */

static void fmt_time(char *buf, size_t cap, double s)
{
    unsigned t = s < 0 ? 0 : (unsigned)(s + 0.5);
    snprintf(buf, cap, "%u:%02u:%02u", t / 3600, t / 60 % 60, t % 60);
}

static void progress(struct runner *r, const struct swp_point *p, const char *row)
{
    double el = swp_now() - r->t_start;
    uint32_t left = r->n_todo - r->done;
    char e[32], eta[32];
    fmt_time(e, sizeof e, el);
    double per = r->done ? el / r->done : 0;
    fmt_time(eta, sizeof eta, per * left);
    if (!r->tty) {
        size_t vl;
        const char *v = csv_field(row, verdict_col(r), &vl);
        fprintf(stderr, "[%u/%u] %.*s %s (elapsed %s, about %s left)\n", r->done, r->n_todo,
                (int)vl, v, p->id, e, r->done ? eta : "?");
        return;
    }
    unsigned width = 30, fill = r->n_todo ? (unsigned)(width * r->done / r->n_todo) : width;
    char bar[64];
    for (unsigned k = 0; k < width; k++)
        bar[k] = k < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr,
            "\r\033[K[%s] %u/%u runs, %u running, %u failed, %u errors, %s elapsed, ~%s left", bar,
            r->done, r->n_todo, r->running, r->failed, r->errors, e, r->done ? eta : "?");
    if (r->done == r->n_todo)
        fputc('\n', stderr);
}

/* ---- the loop ---- */

static void finish_child(struct runner *r, pid_t pid, int status)
{
    for (unsigned k = 0; k < r->o->jobs; k++) {
        struct child *c = &r->kids[k];
        if (c->pid != pid)
            continue;
        c->pid = 0;
        r->running--;
        if (swp_stop)
            return; /* interrupted: its row is not kept */
        uint32_t i = c->point;
        r->rows[i] = make_row(r, i, status);
        if (fprintf(r->csv, "%s\n", r->rows[i]) < 0 || fflush(r->csv) != 0)
            sim_out_failed(&r->csv_errno); /* reported when the file is closed */
        r->busy_s += swp_now() - c->t0;
        r->done++;
        progress(r, &r->s->points[i], r->rows[i]);
        return;
    }
}

static void stop_children(struct runner *r)
{
    for (unsigned k = 0; k < r->o->jobs; k++)
        if (r->kids[k].pid > 0)
            kill(-r->kids[k].pid, SIGTERM);
    while (r->running > 0) {
        int st;
        pid_t pid = waitpid(-1, &st, 0);
        if (pid < 0 && errno != EINTR)
            break;
        if (pid > 0)
            finish_child(r, pid, st);
    }
}

/* Runs the points of r->todo; false if interrupted or a file could not be written. */
static bool run_all(struct runner *r)
{
    while (!swp_stop && (r->next < r->n_todo || r->running > 0)) {
        for (unsigned k = 0; k < r->o->jobs && r->next < r->n_todo && !swp_stop; k++) {
            if (r->kids[k].pid)
                continue;
            if (!start_child(r, r->todo[r->next++], &r->kids[k]))
                return stop_children(r), false;
            setpgid(r->kids[k].pid, r->kids[k].pid);
        }
        int st;
        pid_t pid = waitpid(-1, &st, 0);
        if (pid > 0)
            finish_child(r, pid, st);
        else if (errno != EINTR)
            break;
    }
    if (swp_stop)
        stop_children(r);
    return !swp_stop;
}

static int make_dirs(const char *dir)
{
    char path[SWP_PATH_MAX];
    snprintf(path, sizeof path, "%s", dir);
    for (char *c = path + 1; *c; c++) {
        if (*c != '/')
            continue;
        *c = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return -1;
        *c = '/';
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return -1;
    snprintf(path, sizeof path, "%s/runs", dir);
    return mkdir(path, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

static void install_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = swp_on_signal; /* no SA_RESTART: waitpid returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void runner_free(struct runner *r)
{
    for (uint32_t i = 0; i < r->s->n_points; i++)
        free(r->rows[i]);
    for (uint32_t i = 0; i < r->n_extra; i++)
        free(r->extra[i]);
    free(r->rows);
    free(r->extra);
    free(r->todo);
    free(r->kids);
    if (r->csv)
        fclose(r->csv); /* not closed by runner_close_csv: the sweep failed anyway */
}

/* Closes OUT/results.csv, its appends checked: 0, or 2 after the message. */
static int runner_close_csv(struct runner *r)
{
    FILE *f = r->csv;
    r->csv = NULL;
    return f ? sim_out_close(f, r->csv_path, r->csv_errno) : 0;
}

static int runner_init(struct runner *r, const struct swp_spec *s, const struct swp_opts *o,
                       FILE *out)
{
    memset(r, 0, sizeof *r);
    r->s = s;
    r->o = o;
    r->rows = calloc(s->n_points + 1, sizeof *r->rows);
    r->todo = calloc(s->n_points + 1, sizeof *r->todo);
    r->kids = calloc(o->jobs, sizeof *r->kids);
    assert(r->rows && r->todo && r->kids);
    build_header(r);
    if (make_dirs(o->out_dir) != 0) {
        fprintf(stderr, "pgroup sweep: cannot create %s/runs: %s\n", o->out_dir, strerror(errno));
        return 2;
    }
    char *path = r->csv_path;
    snprintf(path, sizeof r->csv_path, "%s/results.csv", o->out_dir);
    if (load_results(r, path, out) != 0 || write_sorted(r) != 0)
        return 2;
    r->csv = sim_out_open(path, "a");
    if (!r->csv)
        return 2;
    for (uint32_t i = 0; i < s->n_points; i++)
        if (!r->rows[i])
            r->todo[r->n_todo++] = i;
    r->tty = isatty(STDERR_FILENO);
    return 0;
}

int swp_run(const struct swp_spec *s, const struct swp_opts *o, FILE *out)
{
    assert(s && o && o->jobs >= 1 && o->out_dir && o->self);
    struct runner r;
    int rc = runner_init(&r, s, o, out);
    if (rc) {
        runner_free(&r);
        return rc;
    }
    fprintf(out, "sweep %s (%s): %u runs, %u already in %s/results.csv, %u to run", s->name,
            s->file, s->n_points, s->n_points - r.n_todo, o->out_dir, r.n_todo);
    if (s->n_skipped)
        fprintf(out, " (%u grid points skipped: more senders than members)", s->n_skipped);
    fprintf(out, "; %u at a time\n", o->jobs);
    fflush(out);
    swp_stop = 0;
    install_handlers();
    r.t_start = swp_now();
    bool complete = run_all(&r);
    if (r.tty && r.done < r.n_todo)
        fputc('\n', stderr);
    rc = runner_close_csv(&r);
    rc |= write_sorted(&r);
    double el = swp_now() - r.t_start;
    fprintf(out, "ran %u runs in %.1f s wall (%u failed a rule, %u errors)\n", r.done, el, r.failed,
            r.errors);
    if (!complete) {
        fprintf(out,
                "interrupted: %u rows kept in %s/results.csv; run the same command again to "
                "resume\n",
                r.done, o->out_dir);
        runner_free(&r);
        return swp_stop ? 130 : 2;
    }
    uint32_t bad = 0;
    for (uint32_t i = 0; i < s->n_points; i++) {
        size_t vl;
        const char *v = r.rows[i] ? csv_field(r.rows[i], verdict_col(&r), &vl) : "ERROR";
        bad += strncmp(v, "PASS", 4) != 0;
    }
    runner_free(&r);
    if (rc)
        return rc;
    if (bad)
        fprintf(out, "%u of %u rows are not PASS (see the verdict and error columns)\n", bad,
                s->n_points);
    int rep = swp_report(s, o->out_dir, out);
    return rep == 2 ? 2 : bad || rep ? 1 : 0;
}
