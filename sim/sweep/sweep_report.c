/* sim/sweep/sweep_report.c: the plots (gnuplot) and report.md of a sweep, drawn
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
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "outfile.h"
#include "sweep.h"
#include "sweep_table.h"

#define SWR_PATH_MAX    4096
#define SWR_CDF_PTS     400   /* points of one CDF curve */
#define SWR_TL_POINTS   20000 /* points of one timeline (every k-th delivery) */
#define SWR_CAPTION_MAX 1024
#define SWR_COINCIDE    0.01 /* series closer than this (relative) coincide */
#define SWR_PLOT_W      960
#define SWR_PLOT_H      600

struct rep {
    const struct swp_spec *s;
    const char *dir;
    struct swt t;
    FILE *gp, *md;
    struct swt_groups *gs;
    uint32_t n_plots;
    char plots[64][64]; /* plot names, for the report */
    char captions[64][SWR_CAPTION_MAX];
    char xlabel[128];  /* of the plot being written */
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

/* Flushes and closes a file of swr_open, its errors checked (sim/harness/outfile.h). */
static void swr_close(struct rep *r, FILE *f, const char *name)
{
    char path[SWR_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    r->write_failed |= sim_out_close(f, path, 0) != 0;
}

/* ---- gnuplot ---- */

/* Every series has its own colour, dash type and point type: colours repeat
 * after 16 series, (dash, point) pairs after 65. Text is not "enhanced" (no
 * `_` subscripts): the terminals are set `noenhanced`. */
static const char *const swr_colours[] = {
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#882255",
    "#117733", "#332288", "#999933", "#aa4499", "#44aa99", "#7f7f7f", "#661100", "#6699cc",
};
static const unsigned swr_points[] = {7, 5, 9, 11, 13, 6, 4, 8, 10, 12, 1, 2, 14};
#define SWR_N_COLOURS (sizeof swr_colours / sizeof swr_colours[0])
#define SWR_N_POINTS  (sizeof swr_points / sizeof swr_points[0])
#define SWR_N_DASHES  5

static void gp_styles(struct rep *r, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++)
        fprintf(r->gp, "set style line %u lc rgb '%s' dt %u pt %u ps 1.2 lw 2\n", k + 1,
                swr_colours[k % SWR_N_COLOURS], k % SWR_N_DASHES + 1, swr_points[k % SWR_N_POINTS]);
}

static void gp_begin(struct rep *r, const char *name, const char *title, const char *xlabel,
                     const char *ylabel, bool logx)
{
    fprintf(r->gp, "\n# ---- %s ----\nreset\nset encoding utf8\nset datafile separator ','\n",
            name);
    fprintf(
        r->gp,
        "set grid\nset key below center horizontal Left reverse samplen 4 spacing 1.15 height 1.5 "
        "width 1 font ',10'\n");
    fprintf(r->gp, "set title \"%s\" font ',13'\nset xlabel \"%s\"\nset ylabel \"%s\"\n", title,
            xlabel, ylabel);
    snprintf(r->xlabel, sizeof r->xlabel, "%s", xlabel);
    fprintf(r->gp, "set format y '%%g'\nset format x '%%g'\n");
    if (logx)
        fprintf(r->gp, "set logscale x 2\n");
    fprintf(r->gp,
            "set terminal svg size %d,%d noenhanced background rgb 'white' font "
            "'DejaVu Sans,12'\nset output '%s.svg'\n",
            SWR_PLOT_W, SWR_PLOT_H, name);
}

static void gp_end(struct rep *r, const char *name, const char *caption)
{
    fprintf(r->gp,
            "set terminal pngcairo size %d,%d noenhanced font 'DejaVu Sans,11'\n"
            "set output '%s.png'\nreplot\nset output\n",
            SWR_PLOT_W, SWR_PLOT_H, name);
    if (r->n_plots < 64) {
        snprintf(r->plots[r->n_plots], sizeof r->plots[0], "%s", name);
        snprintf(r->captions[r->n_plots++], sizeof r->captions[0], "%s", caption);
    }
}

/* An axis of values from lo to hi (> 0): linear (from 0 when from_zero,
 * with room above the data), or, when the values span more than a factor of
 * 30, logarithmic with ticks at 1, 2 and 5 times the powers of ten the data
 * covers (gnuplot's own log ticks label only the powers of ten). Returns
 * whether it is logarithmic. */
static bool gp_value_axis(struct rep *r, char axis, double lo, double hi, bool from_zero)
{
    if (hi <= 30 * lo) {
        if (from_zero)
            fprintf(r->gp, "set %crange [0:%g]\n", axis, hi * 1.2);
        else
            fprintf(r->gp, "set %crange [%g:%g]\n", axis, lo - (hi - lo) * 0.08 - hi * 1e-3,
                    hi + (hi - lo) * 0.08 + hi * 1e-3);
        return false;
    }
    fprintf(r->gp, "set logscale %c 10\nset %ctics (", axis, axis);
    bool first = true;
    for (double d = pow(10, floor(log10(lo))); d <= hi * 10; d *= 10)
        for (int k = 0; k < 3; k++) {
            double v = d * (k == 0 ? 1 : k == 1 ? 2 : 5);
            if (v < lo / 2.5 || v > hi * 2.5)
                continue;
            fprintf(r->gp, "%s\"%g\" %g", first ? "" : ", ", v, v);
            first = false;
        }
    fprintf(r->gp, ")\nset %crange [%g:%g]\n", axis, lo / 1.5, hi * 1.5);
    return true;
}

/* Whether two curves coincide: the same x (or quantiles), each y within
 * SWR_COINCIDE of the larger. */
static bool curves_coincide(const double *xa, const double *ya, uint32_t na, const double *xb,
                            const double *yb, uint32_t nb)
{
    if (na != nb || na == 0)
        return false;
    for (uint32_t i = 0; i < na; i++) {
        double m = fmax(fabs(ya[i]), fabs(yb[i]));
        if (xa[i] != xb[i] || fabs(ya[i] - yb[i]) > SWR_COINCIDE * m)
            return false;
    }
    return true;
}

/* The letter that names series k in a legend: a, b, ..., z, aa, ab, ... */
static void series_letter(uint32_t k, char *buf)
{
    if (k < 26)
        snprintf(buf, 4, "%c", 'a' + k);
    else
        snprintf(buf, 4, "%c%c", 'a' + (k / 26 - 1) % 26, 'a' + k % 26);
}

/* Groups of series that coincide (each with the first of its group): the
 * number of groups; `full` names them ("A = B; C = D"), `letters` by their
 * legend letters ("a = c; b = d"). */
static uint32_t coincide_groups(const char (*names)[128], const double *const *xs,
                                const double *const *ys, const uint32_t *ns, uint32_t n, char *full,
                                char *letters, size_t cap)
{
    bool taken[64] = {false};
    uint32_t groups = 0;
    size_t at = 0, al = 0;
    full[0] = letters[0] = '\0';
    for (uint32_t a = 0; a < n && a < 64; a++) {
        bool any = false;
        for (uint32_t b = a + 1; !taken[a] && b < n && b < 64; b++) {
            if (taken[b] || !curves_coincide(xs[a], ys[a], ns[a], xs[b], ys[b], ns[b]))
                continue;
            char la[4], lb[4];
            series_letter(a, la);
            series_letter(b, lb);
            if (!any && at < cap && al < cap) {
                at += (size_t)snprintf(full + at, cap - at, "%s%s", groups ? "; " : "", names[a]);
                al += (size_t)snprintf(letters + al, cap - al, "%s%s", groups ? "; " : "", la);
            }
            if (at < cap && al < cap) {
                at += (size_t)snprintf(full + at, cap - at, " = %s", names[b]);
                al += (size_t)snprintf(letters + al, cap - al, " = %s", lb);
            }
            taken[b] = any = true;
        }
        groups += any;
    }
    return groups;
}

/* The caption's sentence saying which series lie on each other ("" if none). */
static void coincide_sentence(uint32_t groups, const char *names, char *buf, size_t cap)
{
    if (groups)
        snprintf(buf, cap,
                 "Series that coincide within 1%% at every point, drawn on top of each other: "
                 "%.900s.",
                 names);
    else
        buf[0] = '\0';
}

/* The same under the x label of the plot, by legend letters, wrapped. */
static void gp_footnote(struct rep *r, uint32_t groups, const char *letters)
{
    if (!groups)
        return;
    char buf[SWR_CAPTION_MAX];
    size_t n = (size_t)snprintf(buf, sizeof buf,
                                "Within 1%% at every point, drawn on top of each other: ");
    size_t line = n;
    for (const char *p = letters; *p && n + 4 < sizeof buf; p++, line++) {
        if (*p == ' ' && p[-1] == ';' && line > 90) {
            memcpy(buf + n, "\\n", 2);
            n += 2;
            line = 0;
            continue;
        }
        buf[n++] = *p;
    }
    buf[n] = '\0';
    fprintf(r->gp, "set xlabel \"%s\\n\\n%s\"\n", r->xlabel, buf);
}

/* A series' legend title: prefixed by its letter when a footnote names it. */
static void series_title(uint32_t k, const char *name, bool lettered, char *buf, size_t cap)
{
    char l[4];
    series_letter(k, l);
    if (lettered)
        snprintf(buf, cap, "%s: %s", l, name);
    else
        snprintf(buf, cap, "%s", name);
}

/* Writes curve k's points (x, y) to the data file `file` and its clause of the
 * plot command (`with` adds to its style, e.g. " pi 40"). */
static void gp_curve(struct rep *r, const char *file, uint32_t k, const double *xs,
                     const double *ys, uint32_t n, const char *name, bool lettered,
                     const char *with)
{
    FILE *f = swr_open(r, file, "w");
    for (uint32_t i = 0; f && i < n; i++)
        fprintf(f, "%.9g,%.9g\n", xs[i], ys[i]);
    if (f)
        swr_close(r, f, file);
    char title[160];
    series_title(k, name, lettered, title, sizeof title);
    fprintf(r->gp, "%s'%s' using 1:2 with linespoints ls %u%s title \"%s\"", k ? ", \\\n     " : "",
            file, k + 1, with, title);
}

/* Writes one data file per series of r->gs (x, then the mean of value k),
 * the styles, the footnote and the plot command; the coincidence sentence
 * into `note` for the caption. False if there is nothing to plot. */
static bool gp_series(struct rep *r, const char *name, uint32_t k, char *note, size_t cap)
{
    const struct swt_groups *gs = r->gs;
    if (gs->n == 0)
        return false;
    enum { PTS = SWT_MAX_GROUPS / 8 };
    double(*xs)[PTS] = malloc(64 * sizeof *xs), (*ys)[PTS] = malloc(64 * sizeof *ys);
    assert(xs && ys);
    const double *xp[64], *yp[64];
    uint32_t ns[64] = {0};
    for (uint32_t s = 0; s < gs->n_series && s < 64; s++) {
        xp[s] = xs[s];
        yp[s] = ys[s];
        for (uint32_t i = 0; i < gs->n && ns[s] < PTS; i++)
            if (!strcmp(gs->g[i].series, gs->series[s])) {
                xs[s][ns[s]] = gs->g[i].x;
                ys[s][ns[s]++] = gs->g[i].mean[k];
            }
    }
    char full[SWR_CAPTION_MAX], letters[SWR_CAPTION_MAX];
    uint32_t g = coincide_groups((const char(*)[128])gs->series, xp, yp, ns, gs->n_series, full,
                                 letters, sizeof full);
    coincide_sentence(g, full, note, cap);
    gp_styles(r, gs->n_series);
    gp_footnote(r, g, letters);
    fprintf(r->gp, "plot ");
    for (uint32_t s = 0; s < gs->n_series; s++) {
        char file[256];
        snprintf(file, sizeof file, "data/%s_%u.csv", name, s);
        gp_curve(r, file, s, xs[s], ys[s], ns[s], gs->series[s], g > 0, "");
    }
    fprintf(r->gp, "\n");
    free(xs);
    free(ys);
    return true;
}

static void plot_vs_n(struct rep *r, const char *name, const char *col, const char *ylabel,
                      const struct swt_filter *f, enum swt_series by, const char *caption)
{
    const char *cols[] = {col};
    swt_group(&r->t, f, by, cols, 1, r->gs);
    if (r->gs->n == 0)
        return;
    char title[160], note[SWR_CAPTION_MAX], cap[SWR_CAPTION_MAX];
    snprintf(title, sizeof title, "%s vs group size", ylabel);
    gp_begin(r, name, title, "group size (members)", ylabel, true);
    double lo = INFINITY, hi = 0;
    for (uint32_t i = 0; i < r->gs->n; i++)
        if (r->gs->g[i].mean[0] > 0) {
            lo = fmin(lo, r->gs->g[i].mean[0]);
            hi = fmax(hi, r->gs->g[i].mean[0]);
        }
    if (hi > 30 * lo) { /* both the flat and the growing series readable */
        gp_value_axis(r, 'y', lo, hi, false);
        fprintf(r->gp, "set ylabel \"%s, log scale\"\n", ylabel);
    }
    gp_series(r, name, 0, note, sizeof note);
    snprintf(cap, sizeof cap, "%s.%s%s", caption, note[0] ? " " : "", note);
    gp_end(r, name, cap);
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

/* ---- the latency CDF ---- */

#define SWR_CDF_MAX 16 /* curves of the CDF plot */

struct cdf {
    uint32_t n;
    uint32_t rows[SWR_CDF_MAX];
    char names[SWR_CDF_MAX][128];
    double q[SWR_CDF_MAX][SWR_CDF_PTS + 1]; /* quantile i/SWR_CDF_PTS of each curve */
    double p[SWR_CDF_PTS + 1];              /* the fraction of deliveries at or below it */
};

/* Reads row's dump into curve c->n; false when there is none. */
static bool cdf_curve(struct rep *r, struct cdf *c, uint32_t row)
{
    char path[SWR_PATH_MAX], snd[48];
    dump_path(r, row, ".latency.csv", path);
    size_t n;
    double *v = read_latencies(path, &n);
    if (!v || n == 0) {
        free(v);
        return false;
    }
    qsort(v, n, sizeof *v, dbl_cmp);
    for (uint32_t i = 0; i <= SWR_CDF_PTS; i++) {
        size_t at = (size_t)((double)i / SWR_CDF_PTS * (double)(n - 1));
        c->q[c->n][i] = v[at];
        c->p[i] = (double)i / SWR_CDF_PTS; /* the same fractions for every curve */
    }
    free(v);
    const struct swt *t = &r->t;
    swt_senders_label(t, row, snd, sizeof snd);
    snprintf(c->names[c->n], sizeof c->names[0], "%s, %s members, %s, seed %s",
             swt_cell(t, row, "order"), swt_cell(t, row, "group_size"), snd,
             swt_cell(t, row, "seed"));
    c->rows[c->n++] = row;
    return true;
}

static void cdf_write(struct rep *r, const struct cdf *c, uint32_t groups, const char *letters)
{
    double lo = INFINITY, hi = 0;
    for (uint32_t k = 0; k < c->n; k++)
        for (uint32_t i = 0; i <= SWR_CDF_PTS; i++)
            if (c->q[k][i] > 0) {
                lo = fmin(lo, c->q[k][i]);
                hi = fmax(hi, c->q[k][i]);
            }
    gp_begin(r, "latency_cdf", "Latency CDF of remote deliveries", "latency (ms)",
             "fraction of deliveries", false);
    if (hi > 0 && gp_value_axis(r, 'x', lo, hi, false)) {
        fprintf(r->gp, "set xlabel \"latency (ms, log scale)\"\n");
        snprintf(r->xlabel, sizeof r->xlabel, "latency (ms, log scale)");
    }
    fprintf(r->gp, "set yrange [0:1.02]\n");
    gp_styles(r, c->n);
    gp_footnote(r, groups, letters);
    fprintf(r->gp, "plot ");
    for (uint32_t k = 0; k < c->n; k++) {
        char file[256];
        snprintf(file, sizeof file, "data/latency_cdf_%u.csv", k);
        gp_curve(r, file, k, c->q[k], c->p, SWR_CDF_PTS + 1, c->names[k], groups > 0, " pi 40");
    }
    fprintf(r->gp, "\n");
}

static void plot_cdf(struct rep *r)
{
    struct swt_filter f = {.crash = 0, .any_set = true};
    struct cdf *c = calloc(1, sizeof *c);
    assert(c);
    for (uint32_t row = 0; row < r->t.n_rows && c->n < SWR_CDF_MAX; row++) {
        char path[SWR_PATH_MAX];
        dump_path(r, row, ".latency.csv", path);
        if (swt_keep(&r->t, row, &f) && access(path, R_OK) == 0)
            cdf_curve(r, c, row);
    }
    if (c->n) {
        const double *xs[SWR_CDF_MAX], *ys[SWR_CDF_MAX];
        uint32_t ns[SWR_CDF_MAX];
        for (uint32_t k = 0; k < c->n; k++) { /* compare the quantiles at equal fractions */
            xs[k] = c->p;
            ys[k] = c->q[k];
            ns[k] = SWR_CDF_PTS + 1;
        }
        char full[SWR_CAPTION_MAX], letters[SWR_CAPTION_MAX], note[SWR_CAPTION_MAX];
        char cap[SWR_CAPTION_MAX];
        uint32_t g = coincide_groups((const char(*)[128])c->names, xs, ys, ns, c->n, full, letters,
                                     sizeof full);
        coincide_sentence(g, full, note, sizeof note);
        cdf_write(r, c, g, letters);
        snprintf(cap, sizeof cap,
                 "Latency CDF: every remote delivery of the runs of the grids with "
                 "`dump_latency` and no crash.%s%s",
                 note[0] ? " " : "", note);
        gp_end(r, "latency_cdf", cap);
    }
    free(c);
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

struct timeline {
    size_t n, every; /* deliveries in the dump; one in `every` is plotted */
    double lo, hi;   /* the smallest and largest latency plotted (ms) */
};

/* Writes every k-th remote delivery (time, latency) of row's dump to file. */
static bool timeline_data(struct rep *r, uint32_t row, const char *file, struct timeline *tl)
{
    char path[SWR_PATH_MAX], line[512];
    dump_path(r, row, ".latency.csv", path);
    double *v = read_latencies(path, &tl->n);
    free(v);
    FILE *in = fopen(path, "r"), *out = swr_open(r, file, "w");
    tl->every = tl->n / SWR_TL_POINTS + 1;
    tl->lo = INFINITY;
    tl->hi = 0;
    size_t i = 0;
    while (in && out && fgets(line, sizeof line, in)) {
        if (line[0] == 't' || i++ % tl->every)
            continue;
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        if (!c2)
            continue;
        double lat = strtod(c2 + 1, NULL);
        tl->lo = lat > 0 && lat < tl->lo ? lat : tl->lo;
        tl->hi = fmax(tl->hi, lat);
        fprintf(out, "%.9g,%.9g\n", strtod(c1 + 1, NULL), lat);
    }
    if (in)
        fclose(in);
    if (out)
        swr_close(r, out, file);
    return in && out && tl->n > 0 && tl->hi > 0;
}

/* A file name that says what the plot is: latency_over_time_cbcast_n8_all_send. */
static void timeline_name(const struct swt *t, uint32_t row, char *buf, size_t cap)
{
    char snd[48];
    swt_senders_label(t, row, snd, sizeof snd);
    int n = snprintf(buf, cap, "latency_over_time_%s_n%s_%s", swt_cell(t, row, "order"),
                     swt_cell(t, row, "group_size"), snd);
    for (int i = 0; i < n && (size_t)i < cap; i++)
        if (!((buf[i] >= 'a' && buf[i] <= 'z') || (buf[i] >= '0' && buf[i] <= '9')))
            buf[i] = '_';
    while (n > 0 && buf[n - 1] == '_') /* "(not p1)" ends in "_" */
        buf[--n] = '\0';
}

/* The crash (tc), the suspicion (ts) and the new view (tv) as shaded bands
 * drawn to scale; the flush band has a border so that a short one stays
 * visible; the legend gives each duration. */
static void timeline_bands(struct rep *r, double tc, double ts, double tv, char *keys, size_t cap)
{
    size_t at = 0;
    keys[0] = '\0';
    if (tc >= 0 && ts > tc) {
        fprintf(r->gp,
                "set object 1 rect from %.9g, graph 0 to %.9g, graph 1 behind "
                "fc rgb '#ffd8a0' fs solid 0.6 noborder\n",
                tc, ts);
        at += (size_t)snprintf(keys + at, cap - at,
                               ", \\\n     NaN with boxes fc rgb '#ffd8a0' fs solid 0.6 noborder "
                               "title \"crash to suspicion (%.0f ms)\"",
                               (ts - tc) * 1e3);
    }
    if (ts < 0 || tv <= ts || at >= cap)
        return;
    fprintf(r->gp,
            "set object 2 rect from %.9g, graph 0 to %.9g, graph 1 front "
            "fc rgb '#e03030' fs transparent solid 0.35 border lc rgb '#b00000' lw 2\n",
            ts, tv);
    snprintf(keys + at, cap - at,
             ", \\\n     NaN with boxes fc rgb '#e03030' fs transparent solid 0.35 "
             "border lc rgb '#b00000' title \"view change (flush): suspicion to the last "
             "install, %.1f ms\"",
             (tv - ts) * 1e3);
}

static void plot_timeline(struct rep *r, uint32_t row)
{
    const struct swt *t = &r->t;
    char name[128], file[192], title[256], snd[48], keys[1024], cap[SWR_CAPTION_MAX];
    timeline_name(t, row, name, sizeof name);
    snprintf(file, sizeof file, "data/%s.csv", name);
    struct timeline tl;
    if (!timeline_data(r, row, file, &tl))
        return;
    double tc = metric(r, row, "crash.0.t_s", -1), ts = metric(r, row, "crash.0.suspect_s", -1),
           tv = metric(r, row, "crash.0.view_s", -1);
    swt_senders_label(t, row, snd, sizeof snd);
    snprintf(title, sizeof title, "Latency over time: %s, %s members, %s, a member crashes at %s s",
             swt_cell(t, row, "order"), swt_cell(t, row, "group_size"), snd,
             swt_cell(t, row, "crash_s"));
    gp_begin(r, name, title, "delivery time (s, simulated)", "latency (ms)", false);
    if (gp_value_axis(r, 'y', tl.lo, tl.hi, true))
        fprintf(r->gp, "set ylabel \"latency (ms, log scale)\"\n");
    timeline_bands(r, tc, ts, tv, keys, sizeof keys);
    char what[96] = "remote deliveries";
    if (tl.every > 1)
        snprintf(what, sizeof what, "remote deliveries (1 in %zu of %zu)", tl.every, tl.n);
    fprintf(r->gp, "plot '%s' using 1:2 with points pt 7 ps 0.35 lc rgb '#0072b2' title \"%s\"%s\n",
            file, what, keys);
    snprintf(cap, sizeof cap,
             "Latency over time in run `%s`: the crash, its detection (suspicion) and the view "
             "change, shaded to scale.",
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
            "(one row per run); the latency CDF and the timelines also read the latency dumps "
            "and metrics the runs wrote in `runs/` (their plotted points are kept in `data/`). "
            "Every number below is printed by the tool from that data.\n\n",
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
