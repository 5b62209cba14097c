/* sim/sweep_report.c: the plots (gnuplot) and report.md of a sweep, drawn
 * from OUT/results.csv and the runs' latency dumps. See sweep.h.
 *
 * Every number in the report is printed here from the CSV or a run's files:
 * nothing is typed by hand. Plots over group size use the reference rows
 * (sweep_table.h: no crash, the smallest loss, the first rate and size) and
 * the mean over seeds; the CDF and the timeline use the runs of grids with
 * `dump_latency`.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "outfile.h"
#include "sweep.h"
#include "sweep_table.h"

#define SWR_PATH_MAX  4096
#define SWR_CDF_PTS   400   /* points of one CDF curve */
#define SWR_TL_POINTS 20000 /* points of one timeline (every k-th delivery) */

struct rep {
    const struct swp_spec *s;
    const char *dir;
    struct swt t;
    FILE *gp, *md;
    struct swt_groups *gs;
    uint32_t n_plots;
    char plots[64][64]; /* plot names, for the report */
    char captions[64][160];
    bool write_failed; /* a file could not be written (reported): exit 2 */
};

static FILE *swr_open(struct rep *r, const char *name, const char *mode)
{
    char path[SWR_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    FILE *f = sim_out_open(path, mode);
    r->write_failed |= !f;
    return f;
}

/* Flushes and closes a file of swr_open, its errors checked (sim/outfile.h). */
static void swr_close(struct rep *r, FILE *f, const char *name)
{
    char path[SWR_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    r->write_failed |= sim_out_close(f, path, 0) != 0;
}

/* ---- gnuplot ---- */

static void gp_begin(struct rep *r, const char *name, const char *title, const char *xlabel,
                     const char *ylabel, bool logx)
{
    fprintf(r->gp, "\n# ---- %s ----\nreset\nset datafile separator ','\nset grid\n", name);
    fprintf(r->gp, "set key outside right top\nset title \"%s\"\n", title);
    fprintf(r->gp, "set xlabel \"%s\"\nset ylabel \"%s\"\n", xlabel, ylabel);
    if (logx)
        fprintf(r->gp, "set logscale x 2\n");
    fprintf(r->gp, "set terminal svg size 960,540 background rgb 'white'\n");
    fprintf(r->gp, "set output '%s.svg'\n", name);
}

static void gp_end(struct rep *r, const char *name, const char *caption)
{
    fprintf(r->gp, "set terminal pngcairo size 960,540\nset output '%s.png'\nreplot\n", name);
    fprintf(r->gp, "set output\n");
    if (r->n_plots < 64) {
        snprintf(r->plots[r->n_plots], sizeof r->plots[0], "%s", name);
        snprintf(r->captions[r->n_plots++], sizeof r->captions[0], "%s", caption);
    }
}

/* Writes one data file per series of r->gs (x, then the mean of value k) and
 * the plot command. False if there is nothing to plot. */
static bool gp_series(struct rep *r, const char *name, uint32_t k)
{
    if (r->gs->n == 0)
        return false;
    fprintf(r->gp, "plot ");
    for (uint32_t s = 0; s < r->gs->n_series; s++) {
        char file[256];
        snprintf(file, sizeof file, "data/%s_%u.csv", name, s);
        FILE *f = swr_open(r, file, "w");
        if (!f)
            return false;
        for (uint32_t i = 0; i < r->gs->n; i++)
            if (!strcmp(r->gs->g[i].series, r->gs->series[s]))
                fprintf(f, "%g,%.9g\n", r->gs->g[i].x, r->gs->g[i].mean[k]);
        swr_close(r, f, file);
        fprintf(r->gp, "%s'%s' using 1:2 with linespoints lw 2 title \"%s\"",
                s ? ", \\\n     " : "", file, r->gs->series[s]);
    }
    fprintf(r->gp, "\n");
    return true;
}

static void plot_vs_n(struct rep *r, const char *name, const char *col, const char *ylabel,
                      const struct swt_filter *f, enum swt_series by, const char *caption)
{
    const char *cols[] = {col};
    swt_group(&r->t, f, by, cols, 1, r->gs);
    if (r->gs->n == 0)
        return;
    char title[160];
    snprintf(title, sizeof title, "%s vs group size", ylabel);
    gp_begin(r, name, title, "group size (members)", ylabel, true);
    gp_series(r, name, 0);
    gp_end(r, name, caption);
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Latencies (column 3) of a latency dump; NULL if it cannot be read. */
static double *read_latencies(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 4096;
    double *v = malloc(cap * sizeof *v);
    assert(v);
    char line[512];
    *n = 0;
    while (fgets(line, sizeof line, f)) {
        char *c = line;
        for (int k = 0; k < 2 && c; k++)
            c = strchr(c + 1, ',');
        if (!c || line[0] == 't')
            continue;
        if (*n == cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
            assert(v);
        }
        v[(*n)++] = strtod(c + 1, NULL);
    }
    fclose(f);
    return v;
}

static void dump_path(const struct rep *r, uint32_t row, const char *suffix, char *buf)
{
    snprintf(buf, SWR_PATH_MAX, "%s/runs/%s%s", r->dir, swt_cell(&r->t, row, "id"), suffix);
}

static bool cdf_row(struct rep *r, uint32_t row, uint32_t k)
{
    char path[SWR_PATH_MAX], file[256];
    dump_path(r, row, ".latency.csv", path);
    size_t n;
    double *v = read_latencies(path, &n);
    if (!v || n == 0) {
        free(v);
        return false;
    }
    qsort(v, n, sizeof *v, dbl_cmp);
    snprintf(file, sizeof file, "data/latency_cdf_%u.csv", k);
    FILE *f = swr_open(r, file, "w");
    for (uint32_t i = 0; f && i <= SWR_CDF_PTS; i++) {
        size_t at = (size_t)((double)i / SWR_CDF_PTS * (double)(n - 1));
        fprintf(f, "%.9g,%.6f\n", v[at], (double)(at + 1) / (double)n);
    }
    if (f)
        swr_close(r, f, file);
    free(v);
    const struct swt *t = &r->t;
    fprintf(r->gp, "%s'%s' using 1:2 with lines lw 2 title \"%s, n=%s, %s sender(s), seed %s\"",
            k ? ", \\\n     " : "", file, swt_cell(t, row, "order"), swt_cell(t, row, "group_size"),
            swt_cell(t, row, "senders"), swt_cell(t, row, "seed"));
    return true;
}

static void plot_cdf(struct rep *r)
{
    struct swt_filter f = {.crash = 0, .any_set = true};
    uint32_t k = 0;
    for (uint32_t row = 0; row < r->t.n_rows; row++) {
        char path[SWR_PATH_MAX];
        dump_path(r, row, ".latency.csv", path);
        if (!swt_keep(&r->t, row, &f) || access(path, R_OK) != 0)
            continue;
        if (k == 0) {
            gp_begin(r, "latency_cdf", "Latency CDF (remote deliveries)", "latency (ms)",
                     "fraction of deliveries", false);
            fprintf(r->gp, "set logscale x 10\nset key right bottom inside\nplot ");
        }
        k += cdf_row(r, row, k);
    }
    if (k == 0)
        return;
    fprintf(r->gp, "\n");
    gp_end(r, "latency_cdf",
           "Latency CDF: every remote delivery of the runs of the grids with `dump_latency`");
}

/* ---- the timeline of a run with a crash ---- */

/* Value of `key` in a run's metrics file, or `dflt`. */
static double metric(const struct rep *r, uint32_t row, const char *key, double dflt)
{
    char path[SWR_PATH_MAX], line[512];
    dump_path(r, row, ".metrics", path);
    FILE *f = fopen(path, "r");
    if (!f)
        return dflt;
    size_t kl = strlen(key);
    double v = dflt;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, kl) && line[kl] == '=')
            v = strtod(line + kl + 1, NULL);
    fclose(f);
    return v;
}

static bool timeline_data(struct rep *r, uint32_t row, const char *file)
{
    char path[SWR_PATH_MAX], line[512];
    dump_path(r, row, ".latency.csv", path);
    size_t n = 0;
    double *v = read_latencies(path, &n);
    free(v);
    FILE *in = fopen(path, "r"), *out = swr_open(r, file, "w");
    size_t every = n / SWR_TL_POINTS + 1, i = 0;
    while (in && out && fgets(line, sizeof line, in)) {
        if (line[0] == 't' || i++ % every)
            continue;
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        if (c2)
            fprintf(out, "%.9g,%.9g\n", strtod(c1 + 1, NULL), strtod(c2 + 1, NULL));
    }
    if (in)
        fclose(in);
    if (out)
        swr_close(r, out, file);
    return in && out && n > 0;
}

static void plot_timeline(struct rep *r, uint32_t row)
{
    const struct swt *t = &r->t;
    char name[96], file[160], title[256];
    snprintf(name, sizeof name, "timeline_%u", r->n_plots);
    snprintf(file, sizeof file, "data/%s.csv", name);
    if (!timeline_data(r, row, file))
        return;
    double tc = metric(r, row, "crash.0.t_s", -1), ts = metric(r, row, "crash.0.suspect_s", -1),
           tv = metric(r, row, "crash.0.view_s", -1);
    snprintf(title, sizeof title, "Latency over time, %s, n=%s, %s sender(s), crash at %s s",
             swt_cell(t, row, "order"), swt_cell(t, row, "group_size"), swt_cell(t, row, "senders"),
             swt_cell(t, row, "crash_s"));
    gp_begin(r, name, title, "delivery time (s, simulated)", "latency (ms)", false);
    fprintf(r->gp, "set logscale y 10\n");
    double end = ts >= 0 ? ts : tc;
    if (tc >= 0 && end > tc)
        fprintf(r->gp,
                "set object 1 rect from %.9g, graph 0 to %.9g, graph 1 behind "
                "fc rgb '#ffe0b0' fs solid 0.6 noborder\n",
                tc, end);
    if (ts >= 0 && tv > ts)
        fprintf(r->gp,
                "set object 2 rect from %.9g, graph 0 to %.9g, graph 1 behind "
                "fc rgb '#ff9090' fs solid 0.6 noborder\n",
                ts, tv);
    fprintf(r->gp,
            "plot '%s' using 1:2 with points pt 7 ps 0.3 title \"remote deliveries\", \\\n"
            "     NaN with boxes fc rgb '#ffe0b0' fs solid title \"crash to suspicion\", \\\n"
            "     NaN with boxes fc rgb '#ff9090' fs solid title \"view change (flush)\"\n",
            file);
    char cap[160];
    snprintf(cap, sizeof cap,
             "Latency over time in run `%s`: crash, detection and view change shaded",
             swt_cell(t, row, "id"));
    gp_end(r, name, cap);
}

static void plot_timelines(struct rep *r)
{
    struct swt_filter f = {.crash = 1, .any_set = true};
    uint32_t n = 0;
    for (uint32_t row = 0; row < r->t.n_rows && n < 8; row++) {
        char path[SWR_PATH_MAX];
        dump_path(r, row, ".latency.csv", path);
        if (!swt_keep(&r->t, row, &f) || access(path, R_OK) != 0)
            continue;
        plot_timeline(r, row);
        n++;
    }
}

static void plot_all(struct rep *r)
{
    struct swt_filter ref = {.crash = 0, .reference = true};
    plot_vs_n(r, "latency_mean_vs_n", "latency_mean_ms", "mean latency (ms)", &ref,
              SWT_BY_ORDER_SENDERS, "Mean latency send to remote delivery vs group size");
    plot_vs_n(r, "latency_p99_vs_n", "latency_p99_ms", "p99 latency (ms)", &ref,
              SWT_BY_ORDER_SENDERS, "99th percentile latency vs group size");
    plot_vs_n(r, "throughput_vs_n", "throughput_msgs_per_s", "deliveries per second per member",
              &ref, SWT_BY_ORDER_SENDERS,
              "Throughput: deliveries per simulated second per member vs group size");
    struct swt_filter hdr = {
        .crash = 0, .reference = true, .not_order = "fifo", .allow_set = "set_vt_compress"};
    plot_vs_n(r, "header_bytes_vs_n", "header_bytes_per_msg", "pg header bytes per multicast", &hdr,
              swt_has(&r->t, "set_vt_compress") ? SWT_BY_ORDER_SENDERS_SET : SWT_BY_ORDER_SENDERS,
              "Ordering and stability metadata (pg header) per multicast vs group size, "
              "VT compression on (default) and off");
    struct swt_filter cr = {.crash = 1, .any_set = true};
    plot_vs_n(
        r, "flush_vs_n", "flush_ms", "flush duration (ms)", &cr, SWT_BY_ORDER,
        "View change after a crash: the coordinator's suspicion to the last member's install");
    plot_cdf(r);
    plot_timelines(r);
}

/* Runs gnuplot on OUT/plots.gp in OUT. 0, or -1 after a message. */
static int run_gnuplot(const char *dir, FILE *log)
{
    pid_t pid = fork();
    assert(pid >= 0);
    if (pid == 0) {
        if (chdir(dir) != 0 || !freopen("gnuplot.log", "w", stderr))
            _exit(127);
        execlp("gnuplot", "gnuplot", "plots.gp", (char *)NULL);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        ;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    fprintf(log, "gnuplot failed (see %s/gnuplot.log)\n", dir);
    return -1;
}

/* ---- report.md ---- */

/* A markdown table: one row per group size, one column per series of r->gs,
 * cells the mean of value k. */
static void md_pivot(struct rep *r, uint32_t k, const char *unit)
{
    const struct swt_groups *gs = r->gs;
    fprintf(r->md, "\n| group size |");
    for (uint32_t s = 0; s < gs->n_series; s++)
        fprintf(r->md, " %s |", gs->series[s]);
    fprintf(r->md, "\n|---:|");
    for (uint32_t s = 0; s < gs->n_series; s++)
        fprintf(r->md, "---:|");
    double xs[SWT_MAX_GROUPS];
    uint32_t nx = 0;
    for (uint32_t i = 0; i < gs->n; i++) {
        bool seen = false;
        for (uint32_t j = 0; j < nx; j++)
            seen |= xs[j] == gs->g[i].x;
        if (!seen)
            xs[nx++] = gs->g[i].x;
    }
    qsort(xs, nx, sizeof xs[0], dbl_cmp);
    for (uint32_t j = 0; j < nx; j++) {
        fprintf(r->md, "\n| %g |", xs[j]);
        for (uint32_t s = 0; s < gs->n_series; s++) {
            const struct swt_group *g = swt_find(gs, gs->series[s], xs[j]);
            if (g)
                fprintf(r->md, " %.4g%s |", g->mean[k], unit);
            else
                fprintf(r->md, " - |");
        }
    }
    fprintf(r->md, "\n");
}

static void md_head(struct rep *r)
{
    const struct swt *t = &r->t;
    uint32_t pass = 0, fail = 0, err = 0;
    for (uint32_t i = 0; i < t->n_rows; i++) {
        const char *v = swt_cell(t, i, "verdict");
        pass += !strcmp(v, "PASS");
        fail += !strcmp(v, "FAIL");
        err += !strcmp(v, "ERROR");
    }
    fprintf(r->md,
            "# Sweep `%s`\n\nGenerated by `pgroup sweep %s --out %s` from `results.csv` "
            "(one row per run) and the runs' files in `runs/`. Every number below is "
            "printed by the tool from that data.\n\n",
            r->s->name, r->s->file, r->dir);
    fprintf(r->md,
            "Runs: %u (%u PASS, %u FAIL, %u ERROR). Latency is send to delivery in "
            "simulated time over remote deliveries (the sender's own delivery, made inside "
            "the multicast call, is excluded). Figures over group size are means over "
            "seeds of the reference rows: no crash, loss %g%%, rate %g/s per sender, "
            "%g-byte messages, no `set` axis.\n",
            t->n_rows, pass, fail, err, t->ref_loss * 100, t->ref_rate, t->ref_bytes);
}

static void md_tables(struct rep *r)
{
    static const char *const cols[] = {
        "latency_p50_ms",     "latency_p99_ms",       "latency_mean_ms",   "throughput_msgs_per_s",
        "net_msgs_per_mcast", "header_bytes_per_msg", "retained_msgs_max", "wall_s"};
    static const char *const titles[] = {"Latency p50 (ms)",
                                         "Latency p99 (ms)",
                                         "Latency mean (ms)",
                                         "Throughput (deliveries per second per member)",
                                         "Network datagrams per multicast (acks and control "
                                         "included)",
                                         "Header bytes per multicast (pg layer: pg header of a "
                                         "DATA message; fifo: every link-level non-payload byte)",
                                         "Retained messages, max over nodes and time",
                                         "Wall-clock seconds per run"};
    struct swt_filter ref = {.crash = 0, .reference = true};
    swt_group(&r->t, &ref, SWT_BY_ORDER_SENDERS, cols, 8, r->gs);
    fprintf(r->md, "\n## Tables\n");
    if (r->gs->n == 0) {
        fprintf(r->md, "\nNo reference row passed: no table.\n");
        return;
    }
    for (uint32_t k = 0; k < 8; k++) {
        fprintf(r->md, "\n### %s\n", titles[k]);
        md_pivot(r, k, "");
    }
}

static void md_plots(struct rep *r)
{
    fprintf(r->md, "\n## Plots\n\nSVG and PNG of each plot are in this directory; `plots.gp` "
                   "draws them from `data/`.\n");
    for (uint32_t i = 0; i < r->n_plots; i++)
        fprintf(r->md, "\n%s\n\n![%s](%s.svg)\n", r->captions[i], r->plots[i], r->plots[i]);
    if (r->n_plots == 0)
        fprintf(r->md, "\nNo plot: no passing row.\n");
}

/* The senders part of a series label ("cbcast, 1 sender, ..." -> "1 sender"). */
static void senders_part(const char *label, char *buf, size_t cap)
{
    const char *a = strstr(label, ", ");
    a = a ? a + 2 : label;
    size_t n = strcspn(a, ",");
    snprintf(buf, cap, "%.*s", (int)n, a);
}

/* Why there is no abcast row: the first abcast run's verdict and error. */
static void md_no_abcast(struct rep *r)
{
    const struct swt *t = &r->t;
    uint32_t n = 0, first = 0;
    for (uint32_t i = 0; i < t->n_rows; i++)
        if (!strcmp(swt_cell(t, i, "order"), "abcast") && !n++)
            first = i;
    if (n == 0) {
        fprintf(r->md, "\nThis sweep has no abcast run: the claim is not measured here.\n");
        return;
    }
    fprintf(r->md,
            "\nNo abcast run has metrics: %u abcast runs, the first (`%s`) ended %s: "
            "`%s`. The claim is not measured here.\n",
            n, swt_cell(t, first, "id"), swt_cell(t, first, "verdict"),
            swt_cell(t, first, "error"));
}

static void md_claim_speed(struct rep *r)
{
    static const char *const cols[] = {"latency_mean_ms", "latency_p50_ms", "throughput_msgs_per_s",
                                       "net_msgs_per_mcast"};
    fprintf(r->md, "\n## Claim: \"cbcast is at least a factor of two faster than abcast\"\n");
    struct swt_groups *cb = malloc(sizeof *cb);
    assert(cb);
    struct swt_filter fc = {.crash = 0, .reference = true, .order = "cbcast"};
    swt_group(&r->t, &fc, SWT_BY_ORDER_SENDERS, cols, 4, cb);
    bool tok = swt_has(&r->t, "set_abcast_token");
    struct swt_filter fa = {.crash = 0,
                            .reference = true,
                            .order = "abcast",
                            .allow_set = tok ? "set_abcast_token" : NULL};
    swt_group(&r->t, &fa, tok ? SWT_BY_ORDER_SENDERS_SET : SWT_BY_ORDER_SENDERS, cols, 4, r->gs);
    if (r->gs->n == 0 || cb->n == 0) {
        md_no_abcast(r);
        free(cb);
        return;
    }
    fprintf(r->md,
            "\nabcast / cbcast ratios at equal group size and senders (mean over seeds). "
            "`1 sender`: only p1 sends (rank 0, the view's coordinator, which holds the abcast "
            "token first); `1 sender (not p1)`: only the last member sends; `all send`: every "
            "member sends. Holds: mean latency ratio >= 2.\n\n"
            "| abcast series | group size | cbcast mean ms | abcast mean ms | mean ratio | "
            "p50 ratio | throughput ratio | datagrams ratio | holds |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
    uint32_t holds = 0, total = 0;
    for (uint32_t i = 0; i < r->gs->n; i++) {
        const struct swt_group *a = &r->gs->g[i];
        char snd[64], label[96];
        senders_part(a->series, snd, sizeof snd);
        snprintf(label, sizeof label, "cbcast, %s", snd);
        const struct swt_group *c = swt_find(cb, label, a->x);
        if (!c || c->mean[0] <= 0 || c->mean[1] <= 0)
            continue;
        double ratio = a->mean[0] / c->mean[0];
        total++;
        holds += ratio >= 2;
        fprintf(r->md, "| %s | %g | %.4g | %.4g | %.3g | %.3g | %.3g | %.3g | %s |\n", a->series,
                a->x, c->mean[0], a->mean[0], ratio, a->mean[1] / c->mean[1],
                c->mean[2] > 0 ? a->mean[2] / c->mean[2] : 0,
                c->mean[3] > 0 ? a->mean[3] / c->mean[3] : 0, ratio >= 2 ? "yes" : "no");
    }
    fprintf(r->md, "\nThe claim holds at %u of %u points.\n", holds, total);
    free(cb);
}

static void md_claim_delays(struct rep *r)
{
    static const char *const cols[] = {"delayed_fraction", "delayed_mean_ms", "delayed_max_ms"};
    fprintf(r->md, "\n## Claim: \"cbcast never delays a message unless it arrives out of "
                   "order\"\n\nThe core counts a message as delayed when it is not deliverable "
                   "on arrival (a message it causally depends on has not arrived yet), and times "
                   "its wait from arrival to delivery. Fraction: delayed messages / remote "
                   "deliveries. Loss (and the retransmissions it causes) is what makes messages "
                   "arrive out of causal order here.\n");
    struct swt_filter f = {.crash = 0, .order = "cbcast"};
    swt_group(&r->t, &f, SWT_BY_LOSS_SENDERS, cols, 3, r->gs);
    if (r->gs->n == 0) {
        fprintf(r->md, "\nNo cbcast run without a crash passed: not measured.\n");
        return;
    }
    const char *names[] = {"Fraction of messages delayed", "Mean wait of a delayed message",
                           "Longest wait"};
    const char *units[] = {"", " ms", " ms"};
    for (uint32_t k = 0; k < 3; k++) {
        fprintf(r->md, "\n### %s\n", names[k]);
        md_pivot(r, k, units[k]);
    }
    for (uint32_t s = 0; s < r->gs->n_series; s++) {
        double worst = 0, maxw = 0;
        for (uint32_t i = 0; i < r->gs->n; i++) {
            if (strcmp(r->gs->g[i].series, r->gs->series[s]))
                continue;
            worst = r->gs->g[i].mean[0] > worst ? r->gs->g[i].mean[0] : worst;
            maxw = r->gs->g[i].mean[2] > maxw ? r->gs->g[i].mean[2] : maxw;
        }
        fprintf(r->md,
                "\n- %s: at most %.4g%% of messages delayed at any group size, the "
                "longest wait %.4g ms.",
                r->gs->series[s], worst * 100, maxw);
    }
    fprintf(r->md, "\n");
}

static void md_growth(struct rep *r)
{
    for (uint32_t s = 0; s < r->gs->n_series; s++) {
        const struct swt_group *lo = NULL, *hi = NULL;
        for (uint32_t i = 0; i < r->gs->n; i++) {
            const struct swt_group *g = &r->gs->g[i];
            if (strcmp(g->series, r->gs->series[s]))
                continue;
            lo = !lo || g->x < lo->x ? g : lo;
            hi = !hi || g->x > hi->x ? g : hi;
        }
        if (lo && hi && lo != hi && lo->mean[0] > 0)
            fprintf(r->md,
                    "\n- %s: %.4g bytes at %g members, %.4g at %g (x%.3g for x%.3g "
                    "members).",
                    r->gs->series[s], lo->mean[0], lo->x, hi->mean[0], hi->x,
                    hi->mean[0] / lo->mean[0], hi->x / lo->x);
    }
    fprintf(r->md, "\n");
}

static void md_claim_headers(struct rep *r)
{
    static const char *const cols[] = {"header_bytes_per_msg"};
    fprintf(r->md, "\n## Header bytes vs group size, with and without VT compression\n\n"
                   "Bytes of pg header (type, view, sender rank, vector timestamp) in each "
                   "DATA message, mean per multicast. With compression (the default) a "
                   "message carries only the VT entries that changed since the sender's "
                   "previous message; `vt_compress off` sends every entry.\n");
    struct swt_filter f = {
        .crash = 0, .reference = true, .not_order = "fifo", .allow_set = "set_vt_compress"};
    bool has = swt_has(&r->t, "set_vt_compress");
    swt_group(&r->t, &f, has ? SWT_BY_ORDER_SENDERS_SET : SWT_BY_ORDER_SENDERS, cols, 1, r->gs);
    if (r->gs->n == 0) {
        fprintf(r->md, "\nNo process-group run passed: not measured.\n");
        return;
    }
    md_pivot(r, 0, "");
    md_growth(r);
    if (!has)
        fprintf(r->md, "\nThis sweep has no `set vt_compress` axis: no uncompressed figure.\n");
}

/* The token scheme (Isis): the token moves toward a sole active sender. */
static void md_claim_token(struct rep *r)
{
    static const char *const cols[] = {"latency_mean_ms", "latency_p50_ms"};
    if (!swt_has(&r->t, "set_abcast_token"))
        return;
    fprintf(r->md, "\n## abcast: the token following the active sender\n\n"
                   "Grids with `set abcast_token follow|fixed`. With `follow` the token holder "
                   "(the sequencer) passes the token to a member whose abcasts it ordered 8 "
                   "times in a row, so a sole active sender orders its own messages; with "
                   "`fixed` it stays with the coordinator p1, and every abcast of another "
                   "sender waits for p1's order (one more hop).\n");
    struct swt_filter f = {
        .crash = 0, .reference = true, .order = "abcast", .allow_set = "set_abcast_token"};
    swt_group(&r->t, &f, SWT_BY_ORDER_SENDERS_SET, cols, 2, r->gs);
    fprintf(r->md, "\n### Mean latency (ms)\n");
    md_pivot(r, 0, "");
    fprintf(r->md, "\n### Median latency (ms)\n");
    md_pivot(r, 1, "");
    fprintf(r->md, "\nThe ratios to cbcast with the same senders are in the table of the claim "
                   "above.\n");
}

static void md_claim_flush(struct rep *r)
{
    static const char *const cols[] = {"flush_ms", "view_change_ms", "view_changes"};
    fprintf(r->md, "\n## Flush duration (cost of a view change) vs group size\n\n"
                   "Runs of the crash variant: member pN crashes. Flush: from the moment the "
                   "coordinator of the next view suspects the crashed member (it starts the "
                   "flush then) to the last member's install of the first view without it. "
                   "View change: from the crash itself (includes failure detection, the "
                   "suspect timeout, and the spread of the members' heartbeat phases).\n");
    struct swt_filter f = {.crash = 1, .any_set = true};
    swt_group(&r->t, &f, SWT_BY_ORDER, cols, 3, r->gs);
    if (r->gs->n == 0) {
        fprintf(r->md, "\nNo crash run has metrics: not measured.\n");
        return;
    }
    fprintf(r->md, "\n### Flush (ms)\n");
    md_pivot(r, 0, "");
    fprintf(r->md, "\n### Crash to new view (ms)\n");
    md_pivot(r, 1, "");
}

static void md_problems(struct rep *r)
{
    const struct swt *t = &r->t;
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->n_rows; i++) {
        if (!strcmp(swt_cell(t, i, "verdict"), "PASS"))
            continue;
        if (n++ == 0)
            fprintf(r->md, "\n## Runs that did not pass\n\n| run | verdict | exit | error |\n"
                           "|---|---|---:|---|\n");
        if (n <= 50)
            fprintf(r->md, "| %s | %s | %s | %s |\n", swt_cell(t, i, "id"),
                    swt_cell(t, i, "verdict"), swt_cell(t, i, "exit"), swt_cell(t, i, "error"));
    }
    if (n > 50)
        fprintf(r->md, "\n(%u more in results.csv)\n", n - 50);
}

static int swr_mkdir(const char *dir, const char *sub)
{
    char path[SWR_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    return mkdir(path, 0777) == 0 || access(path, W_OK) == 0 ? 0 : -1;
}

/* Whether OUT/NAME is a regular, non-empty file whose last bytes are `tail`
 * (an SVG's closing tag, a PNG's IEND chunk): gnuplot exits 0 even when it
 * could not write a plot (a full disk), so its files are checked here. */
static bool swr_complete(const struct rep *r, const char *name, const char *tail, size_t n)
{
    char path[SWR_PATH_MAX], buf[64];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof buf)
        return false;
    FILE *f = fopen(path, "rb");
    bool ok = f && fseek(f, -(long)sizeof buf, SEEK_END) == 0 &&
              fread(buf, 1, sizeof buf, f) == sizeof buf;
    if (f)
        fclose(f);
    size_t end = sizeof buf;
    while (ok && end > 0 && (buf[end - 1] == '\n' || buf[end - 1] == ' '))
        end--;
    return ok && end >= n && !memcmp(buf + end - n, tail, n);
}

/* Every plot gnuplot was asked for is complete, SVG and PNG; else a write failure. */
static void swr_check_plots(struct rep *r)
{
    static const char svg_end[] = "</svg>", png_end[] = "IEND\xae\x42\x60\x82";
    for (uint32_t i = 0; i < r->n_plots; i++) {
        char svg[96], png[96];
        snprintf(svg, sizeof svg, "%s.svg", r->plots[i]);
        snprintf(png, sizeof png, "%s.png", r->plots[i]);
        const char *bad = !swr_complete(r, svg, svg_end, sizeof svg_end - 1)   ? svg
                          : !swr_complete(r, png, png_end, sizeof png_end - 1) ? png
                                                                               : NULL;
        if (!bad)
            continue;
        fprintf(stderr,
                "pgroup: cannot write %s/%s: gnuplot did not write it whole (see %s/gnuplot.log)\n",
                r->dir, bad, r->dir);
        r->write_failed = true;
    }
}

int swp_report(const struct swp_spec *s, const char *out_dir, FILE *log)
{
    struct rep r = {.s = s, .dir = out_dir};
    char path[SWR_PATH_MAX];
    snprintf(path, sizeof path, "%s/results.csv", out_dir);
    if (!swt_load(&r.t, path) || swr_mkdir(out_dir, "data") != 0) {
        fprintf(log, "cannot read %s\n", path);
        return 1;
    }
    r.gs = malloc(sizeof *r.gs);
    r.gp = swr_open(&r, "plots.gp", "w");
    assert(r.gs);
    int rc = 1;
    if (r.gp) {
        fprintf(r.gp, "# Generated by pgroup sweep from results.csv; run `gnuplot plots.gp` "
                      "here to redraw.\n");
        plot_all(&r);
        swr_close(&r, r.gp, "plots.gp");
        rc = run_gnuplot(out_dir, log) == 0 ? 0 : 1;
        if (rc == 0)
            swr_check_plots(&r);
    }
    r.md = swr_open(&r, "report.md", "w");
    if (r.md) {
        md_head(&r);
        if (rc)
            fprintf(r.md, "\n**gnuplot failed: the plots below may be missing (see "
                          "gnuplot.log).**\n");
        md_claim_speed(&r);
        md_claim_token(&r);
        md_claim_delays(&r);
        md_claim_headers(&r);
        md_claim_flush(&r);
        md_plots(&r);
        md_tables(&r);
        md_problems(&r);
        swr_close(&r, r.md, "report.md");
    }
    if (!r.write_failed)
        fprintf(log, "wrote %s/report.md, %u plots (SVG and PNG), %s/plots.gp\n", out_dir,
                r.n_plots, out_dir);
    free(r.gs);
    swt_free(&r.t);
    return r.write_failed ? 2 : rc;
}
