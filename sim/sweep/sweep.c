/* sim/sweep/sweep.c: the sweep runner. See sweep.h.
 *
 * Every point runs as its own process, `pgroup run OUT/runs/ID.scn --brief
 * --metrics OUT/runs/ID.metrics` (the binary execs itself), at most `jobs` at
 * a time, through the pool of jobs.h: a terminal's Ctrl-C reaches the sweep
 * alone, which then stops its children, keeps the rows already written and
 * exits 130. A finished run appends its row to OUT/results.csv at
 * once; rows with verdict PASS or FAIL are skipped when the same command runs
 * again (ERROR rows run again, and so do rows of a `dump_latency` grid whose
 * latency dump is gone). At the end the file is rewritten in spec order.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobs.h"
#include "outfile.h"
#include "sweep.h"

#define SWP_PATH_MAX 4096
#define SWP_ROW_MAX  8192

/* Metric columns of results.csv, as named in the metrics file (sim/harness/metrics.h). */
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

struct runner {
    const struct swp_spec *s;
    const struct swp_opts *o;
    char header[SWP_ROW_MAX];
    char **rows;  /* by point index: the row, or NULL */
    char **extra; /* rows of ids the spec no longer has, kept in file order */
    uint32_t n_extra;
    uint32_t *todo, n_todo;
    uint32_t running, done, failed, errors;
    double t_start, busy_s;
    FILE *csv;     /* OUT/results.csv, appended to as runs finish */
    int csv_errno; /* the first failed append's errno (sim/harness/outfile.h) */
    char csv_path[SWP_PATH_MAX];
};

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

/* Pool callback: writes point todo[task]'s scenario and fills the command
 * `pgroup run OUT/runs/ID.scn --brief --metrics ... [--latency-csv ...]`. */
static bool sweep_start(void *ctx, uint32_t task, struct job_cmd *cmd)
{
    struct runner *r = ctx;
    const struct swp_point *p = &r->s->points[r->todo[task]];
    static char text[(size_t)SWP_MAX_BASE * SCN_LINE_MAX];
    char path[SWP_PATH_MAX];
    size_t n = swp_scenario_text(r->s, p, text, sizeof text);
    assert(n > 0); /* swp_expand generated it once already */
    swp_path(path, r, p->id, ".scn");
    if (write_file(path, text) != 0)
        return false;
    swp_path(path, r, p->id, ".metrics");
    unlink(path);
    job_arg(cmd, "pgroup");
    job_arg(cmd, "run");
    job_arg(cmd, "%s/runs/%s.scn", r->o->out_dir, p->id);
    job_arg(cmd, "--brief");
    job_arg(cmd, "--metrics");
    job_arg(cmd, "%s/runs/%s.metrics", r->o->out_dir, p->id);
    if (r->s->grids[p->grid].dump_latency) {
        job_arg(cmd, "--latency-csv");
        job_arg(cmd, "%s/runs/%s.latency.csv", r->o->out_dir, p->id);
    }
    swp_path(cmd->out, r, p->id, ".log");
    swp_path(cmd->err, r, p->id, ".err");
    r->running++;
    return true;
}

/* Pool callback: a run ended; its row is appended at once. */
static void sweep_finish(void *ctx, uint32_t task, int status, bool timed_out, double wall_s)
{
    struct runner *r = ctx;
    (void)timed_out; /* the sweep sets no limit */
    uint32_t i = r->todo[task];
    r->running--;
    r->rows[i] = make_row(r, i, status);
    if (fprintf(r->csv, "%s\n", r->rows[i]) < 0 || fflush(r->csv) != 0)
        sim_out_failed(&r->csv_errno); /* reported when the file is closed */
    r->busy_s += wall_s;
    r->done++;
}

static void sweep_status(void *ctx, char *buf, size_t cap)
{
    const struct runner *r = ctx;
    snprintf(buf, cap, "%u failed, %u errors", r->failed, r->errors);
}

static void sweep_line(void *ctx, uint32_t task, char *buf, size_t cap)
{
    const struct runner *r = ctx;
    uint32_t i = r->todo[task];
    size_t vl;
    const char *v = csv_field(r->rows[i], verdict_col(r), &vl);
    snprintf(buf, cap, "%.*s %s", (int)vl, v, r->s->points[i].id);
}

/* Runs the points of r->todo; false if interrupted or a file could not be written. */
static bool run_all(struct runner *r)
{
    struct job_pool pool = {.jobs = r->o->jobs,
                            .self = r->o->self,
                            .unit = "runs",
                            .ctx = r,
                            .start = sweep_start,
                            .finish = sweep_finish,
                            .status = sweep_status,
                            .line = sweep_line};
    return job_run(&pool, r->n_todo) == JOB_DONE;
}

static int make_dirs(const char *dir)
{
    char path[SWP_PATH_MAX];
    if (job_mkdirs(dir) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/runs", dir);
    return mkdir(path, 0777) != 0 && errno != EEXIST ? -1 : 0;
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
    assert(r->rows && r->todo);
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
    r.t_start = job_now();
    bool complete = run_all(&r);
    rc = runner_close_csv(&r);
    rc |= write_sorted(&r);
    double el = job_now() - r.t_start;
    fprintf(out, "ran %u runs in %.1f s wall (%u failed a rule, %u errors)\n", r.done, el, r.failed,
            r.errors);
    if (!complete) {
        fprintf(out,
                "interrupted: %u rows kept in %s/results.csv; run the same command again to "
                "resume\n",
                r.done, o->out_dir);
        runner_free(&r);
        return job_interrupted() ? 130 : 2;
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
