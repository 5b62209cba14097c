/* sim/sweep/sweep_table.h: results.csv in memory, and the row selections and
 * per-point means the plots and the report are drawn from.
 *
 * Owns: reading a CSV without quoting (the sweep writes none) into cells,
 * the reference selection of rows (no crash, the smallest loss, the first
 * rate and size, no `set` column other than an allowed one) and grouping rows
 * into series x group size with the mean over seeds of chosen columns.
 * Identical parameter sets from two grids count once.
 */
#ifndef SIM_SWEEP_TABLE_H
#define SIM_SWEEP_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SWT_MAX_COLS   96
#define SWT_MAX_GROUPS 4096
#define SWT_MAX_VALS   8

struct swt {
    uint32_t n_cols, n_rows;
    char *names[SWT_MAX_COLS];
    char ***cells; /* [row][col] */
    double ref_loss, ref_rate, ref_bytes;
};

/* Reads `path`; false if it cannot be read or has no header. */
bool swt_load(struct swt *t, const char *path);
void swt_free(struct swt *t);
/* Cell of `col` in row r ("" if no such column). */
const char *swt_cell(const struct swt *t, uint32_t r, const char *col);
double swt_num(const struct swt *t, uint32_t r, const char *col);
bool swt_has(const struct swt *t, const char *col);

/* Which rows a selection keeps. */
struct swt_filter {
    int crash;             /* 0 no crash, 1 a crash, -1 either */
    bool reference;        /* the smallest loss, the first rate and size */
    bool pass_only;        /* verdict PASS (else PASS or FAIL: both have metrics) */
    const char *order;     /* only this order, or NULL */
    const char *not_order; /* not this order, or NULL */
    const char *allow_set; /* a set_KEY column that may be non-empty (NULL: none may be) */
    bool any_set;          /* every set_KEY column may be non-empty */
};

/* How rows are labelled into series. */
enum swt_series {
    SWT_BY_ORDER_SENDERS,     /* "cbcast, 1 sender", "abcast, all send" */
    SWT_BY_ORDER_SENDERS_SET, /* the same plus the allowed set column's value */
    SWT_BY_ORDER,
    SWT_BY_LOSS_SENDERS, /* "loss 1%, 1 sender" */
};

struct swt_group {
    char series[128];
    double x; /* group size */
    double mean[SWT_MAX_VALS];
    uint32_t n; /* rows averaged */
};

struct swt_groups {
    uint32_t n;
    struct swt_group g[SWT_MAX_GROUPS];
    uint32_t n_series;
    char series[64][128]; /* in order of first appearance */
};

bool swt_keep(const struct swt *t, uint32_t r, const struct swt_filter *f);
/* Who sends in row r, as series labels say it: "1 sender", "1 sender (not p1)"
 * (only the last member sends), "all send", "3 senders". */
void swt_senders_label(const struct swt *t, uint32_t r, char *buf, size_t cap);
/* Groups the kept rows by series and group size, averaging `cols` (n_cols <=
 * SWT_MAX_VALS). Groups come sorted by series (first appearance) then x. */
void swt_group(const struct swt *t, const struct swt_filter *f, enum swt_series by,
               const char *const *cols, uint32_t n_cols, struct swt_groups *out);
/* The group of `series` at x, or NULL. */
const struct swt_group *swt_find(const struct swt_groups *gs, const char *series, double x);

#endif
