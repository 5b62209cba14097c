/* sim/sweep/sweep_table.c: results.csv in memory, selections and means. See sweep_table.h. */
#define _GNU_SOURCE
#include "sweep_table.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t swt_split(char *line, char **out, uint32_t max)
{
    uint32_t n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *c = line; n < max;) {
        out[n++] = c;
        c = strchr(c, ',');
        if (!c)
            break;
        *c++ = '\0';
    }
    return n;
}

static void swt_refs(struct swt *t)
{
    t->ref_loss = INFINITY;
    for (uint32_t r = 0; r < t->n_rows; r++) {
        if (strcmp(swt_cell(t, r, "crash_s"), "none"))
            continue;
        double l = swt_num(t, r, "loss");
        t->ref_loss = l < t->ref_loss ? l : t->ref_loss;
        if (t->ref_rate == 0) {
            t->ref_rate = swt_num(t, r, "rate");
            t->ref_bytes = swt_num(t, r, "msg_bytes");
        }
    }
}

bool swt_load(struct swt *t, const char *path)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char *line = NULL;
    size_t cap = 0;
    if (getline(&line, &cap, f) <= 0) {
        free(line);
        fclose(f);
        return false;
    }
    char *tmp[SWT_MAX_COLS];
    t->n_cols = swt_split(line, tmp, SWT_MAX_COLS);
    for (uint32_t c = 0; c < t->n_cols; c++)
        t->names[c] = strdup(tmp[c]);
    uint32_t cap_rows = 0;
    while (getline(&line, &cap, f) > 0) {
        if (t->n_rows == cap_rows) {
            cap_rows = cap_rows ? 2 * cap_rows : 256;
            t->cells = realloc(t->cells, cap_rows * sizeof *t->cells);
            assert(t->cells);
        }
        char **row = calloc(t->n_cols, sizeof *row);
        assert(row);
        uint32_t n = swt_split(line, tmp, SWT_MAX_COLS);
        for (uint32_t c = 0; c < t->n_cols; c++)
            row[c] = strdup(c < n ? tmp[c] : "");
        t->cells[t->n_rows++] = row;
    }
    free(line);
    fclose(f);
    swt_refs(t);
    return true;
}

void swt_free(struct swt *t)
{
    for (uint32_t r = 0; r < t->n_rows; r++) {
        for (uint32_t c = 0; c < t->n_cols; c++)
            free(t->cells[r][c]);
        free(t->cells[r]);
    }
    for (uint32_t c = 0; c < t->n_cols; c++)
        free(t->names[c]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

static int swt_col(const struct swt *t, const char *col)
{
    for (uint32_t c = 0; c < t->n_cols; c++)
        if (!strcmp(t->names[c], col))
            return (int)c;
    return -1;
}

bool swt_has(const struct swt *t, const char *col)
{
    return swt_col(t, col) >= 0;
}

const char *swt_cell(const struct swt *t, uint32_t r, const char *col)
{
    assert(r < t->n_rows);
    int c = swt_col(t, col);
    return c < 0 ? "" : t->cells[r][c];
}

double swt_num(const struct swt *t, uint32_t r, const char *col)
{
    return strtod(swt_cell(t, r, col), NULL);
}

static bool swt_sets_ok(const struct swt *t, uint32_t r, const char *allow)
{
    for (uint32_t c = 0; c < t->n_cols; c++)
        if (!strncmp(t->names[c], "set_", 4) && t->cells[r][c][0] &&
            !(allow && !strcmp(t->names[c], allow)))
            return false;
    return true;
}

bool swt_keep(const struct swt *t, uint32_t r, const struct swt_filter *f)
{
    const char *v = swt_cell(t, r, "verdict");
    if (strcmp(v, "PASS") && (f->pass_only || strcmp(v, "FAIL")))
        return false;
    bool crash = strcmp(swt_cell(t, r, "crash_s"), "none") != 0;
    if ((f->crash == 0 && crash) || (f->crash == 1 && !crash))
        return false;
    const char *o = swt_cell(t, r, "order");
    if ((f->order && strcmp(o, f->order)) || (f->not_order && !strcmp(o, f->not_order)))
        return false;
    if (f->reference &&
        (swt_num(t, r, "loss") != t->ref_loss || swt_num(t, r, "rate") != t->ref_rate ||
         swt_num(t, r, "msg_bytes") != t->ref_bytes))
        return false;
    return f->any_set || swt_sets_ok(t, r, f->allow_set);
}

void swt_senders_label(const struct swt *t, uint32_t r, char *buf, size_t cap)
{
    double k = swt_num(t, r, "senders"), n = swt_num(t, r, "group_size");
    if (k == 1 && swt_num(t, r, "first_sender") > 1)
        snprintf(buf, cap, "1 sender (not p1)");
    else if (k == 1)
        snprintf(buf, cap, "1 sender");
    else if (k == n)
        snprintf(buf, cap, "all send");
    else
        snprintf(buf, cap, "%g senders", k);
}

static void swt_label(const struct swt *t, uint32_t r, enum swt_series by, const char *set,
                      char *buf, size_t cap)
{
    char snd[48];
    swt_senders_label(t, r, snd, sizeof snd);
    const char *o = swt_cell(t, r, "order");
    const char *sv = set ? swt_cell(t, r, set) : "";
    switch (by) {
    case SWT_BY_ORDER:
        snprintf(buf, cap, "%s", o);
        break;
    case SWT_BY_ORDER_SENDERS:
        snprintf(buf, cap, "%s, %s", o, snd);
        break;
    case SWT_BY_ORDER_SENDERS_SET:
        snprintf(buf, cap, "%s, %s, %s %s", o, snd, set ? set + 4 : "", sv[0] ? sv : "default");
        break;
    case SWT_BY_LOSS_SENDERS:
        snprintf(buf, cap, "loss %g%%, %s", swt_num(t, r, "loss") * 100, snd);
        break;
    }
}

/* The parameters of row r without id and grid: equal for the same run in two grids. */
static void swt_params(const struct swt *t, uint32_t r, char *buf, size_t cap)
{
    size_t at = 0;
    int v = swt_col(t, "verdict");
    for (int c = 2; c < v && at < cap; c++)
        at += (size_t)snprintf(buf + at, cap - at, "%s,", t->cells[r][c]);
}

static struct swt_group *swt_slot(struct swt_groups *gs, const char *series, double x)
{
    for (uint32_t i = 0; i < gs->n; i++)
        if (gs->g[i].x == x && !strcmp(gs->g[i].series, series))
            return &gs->g[i];
    if (gs->n == SWT_MAX_GROUPS)
        return NULL;
    struct swt_group *g = &gs->g[gs->n++];
    memset(g, 0, sizeof *g);
    snprintf(g->series, sizeof g->series, "%s", series);
    g->x = x;
    uint32_t s = 0;
    while (s < gs->n_series && strcmp(gs->series[s], series))
        s++;
    if (s == gs->n_series && s < 64)
        snprintf(gs->series[gs->n_series++], sizeof gs->series[0], "%s", series);
    return g;
}

static int swt_series_index(const struct swt_groups *gs, const char *series)
{
    for (uint32_t s = 0; s < gs->n_series; s++)
        if (!strcmp(gs->series[s], series))
            return (int)s;
    return 64;
}

static const struct swt_groups *swt_sort_ctx;

static int swt_group_cmp(const void *a, const void *b)
{
    const struct swt_group *x = a, *y = b;
    int sx = swt_series_index(swt_sort_ctx, x->series),
        sy = swt_series_index(swt_sort_ctx, y->series);
    if (sx != sy)
        return sx - sy;
    return (x->x > y->x) - (x->x < y->x);
}

void swt_group(const struct swt *t, const struct swt_filter *f, enum swt_series by,
               const char *const *cols, uint32_t n_cols, struct swt_groups *out)
{
    assert(n_cols <= SWT_MAX_VALS);
    memset(out, 0, sizeof *out);
    char(*seen)[512] = calloc(t->n_rows + 1, sizeof *seen);
    assert(seen);
    uint32_t n_seen = 0;
    for (uint32_t r = 0; r < t->n_rows; r++) {
        if (!swt_keep(t, r, f))
            continue;
        char key[512], label[128];
        swt_params(t, r, key, sizeof key);
        bool dup = false;
        for (uint32_t i = 0; i < n_seen && !dup; i++)
            dup = !strcmp(seen[i], key);
        if (dup)
            continue;
        memcpy(seen[n_seen++], key, sizeof key);
        swt_label(t, r, by, f->allow_set, label, sizeof label);
        struct swt_group *g = swt_slot(out, label, swt_num(t, r, "group_size"));
        if (!g)
            continue;
        for (uint32_t c = 0; c < n_cols; c++)
            g->mean[c] = (g->mean[c] * g->n + swt_num(t, r, cols[c])) / (g->n + 1);
        g->n++;
    }
    free(seen);
    swt_sort_ctx = out;
    qsort(out->g, out->n, sizeof out->g[0], swt_group_cmp);
}

const struct swt_group *swt_find(const struct swt_groups *gs, const char *series, double x)
{
    for (uint32_t i = 0; i < gs->n; i++)
        if (gs->g[i].x == x && !strcmp(gs->g[i].series, series))
            return &gs->g[i];
    return NULL;
}
