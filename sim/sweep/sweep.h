/* sim/sweep/sweep.h: `pgroup sweep`: a grid of runs, their metrics as CSV, plots and a report.
 *
 * Owns: the sweep spec format (scenarios/sweeps/README.md) and its parser
 * (sweep_spec.c, plain C like the scenario parser: no SimGrid, fuzzable), the
 * expansion of a spec into points (one generated scenario each, checked by
 * scn_parse_text before anything runs), the runner that executes every point
 * as its own `pgroup run` process (sweep.c) and the plots and report written
 * from results.csv (sweep_report.c).
 *
 * Errors: swp_parse*() and swp_expand() report the first error as
 * `FILE:LINE:COL: message` and return 2. An error in a generated scenario is
 * reported at the spec token it came from (a base line, or an axis value).
 */
#ifndef SIM_SWEEP_H
#define SIM_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"

/* Limits; going over one is an error at the offending token. */
#define SWP_TOK_MAX    48     /* bytes of a name or value (with NUL) */
#define SWP_MAX_VALUES 64     /* values of one axis */
#define SWP_MAX_GRIDS  32     /* grids of one spec */
#define SWP_MAX_SETS   8      /* `set KEY` axes of one grid (and distinct keys of a spec) */
#define SWP_MAX_BASE   1024   /* base lines */
#define SWP_MAX_POINTS 100000 /* runs of one spec */
#define SWP_FILE_MAX   (1u << 20)

/* The axes, in nesting order of the expansion (seed innermost). */
enum swp_axis {
    SWP_A_ORDER,
    SWP_A_GROUP_SIZE,
    SWP_A_SENDERS,
    SWP_A_RATE,
    SWP_A_SIZE,
    SWP_A_LOSS,
    SWP_A_CRASH,
    SWP_A_SEED,
    SWP_A_N
};

/* The spec keyword of an axis ("order", "group_size", ...). */
const char *swp_axis_name(enum swp_axis a);

struct swp_value {
    char text[SWP_TOK_MAX]; /* as written */
    uint32_t line, col;
};

struct swp_values {
    uint32_t n;
    struct swp_value v[SWP_MAX_VALUES];
    uint32_t line; /* where given; 0 = not given in this section */
};

struct swp_set {
    struct swp_value key; /* the key, where it is written */
    struct swp_values vals;
};

/* A grid: its own axes, the defaults' where it gives none. */
struct swp_grid {
    char name[SWP_TOK_MAX];
    uint32_t line;
    struct swp_values axis[SWP_A_N];
    uint32_t n_sets;
    struct swp_set sets[SWP_MAX_SETS];
    bool dump_latency; /* every run writes a latency dump (CDF and timeline plots) */
};

/* One run: a grid and a value index per axis. The canonical values come from
 * the generated scenario as parsed. */
struct swp_point {
    uint32_t grid;
    uint32_t idx[SWP_A_N];
    uint32_t set_idx[SWP_MAX_SETS]; /* per grid set axis */
    uint32_t group_size, senders, msg_bytes;
    uint32_t first_sender; /* 1-based member index of the first sender (`senders last`: the last) */
    double rate, loss, crash_s; /* crash_s < 0: no crash */
    uint64_t seed;
    char id[512]; /* unique, file-name safe: the key of a results.csv row */
};

struct swp_spec {
    char file[SCN_PATH_MAX];
    char name[SWP_TOK_MAX];
    char *base; /* the base lines, each NUL-terminated, verbatim */
    uint32_t n_base;
    uint32_t *base_off;  /* n_base offsets into base */
    uint32_t *base_line; /* n_base spec lines */
    uint32_t line_base;  /* line of `base` */
    struct swp_grid defaults;
    uint32_t n_grids; /* 0 until parsed: an implicit grid `main` is added if none is given */
    struct swp_grid *grids;
    uint32_t n_set_keys; /* distinct set keys over all grids: the set_KEY columns */
    char set_keys[SWP_MAX_SETS][SWP_TOK_MAX];
    uint32_t n_points; /* after swp_expand */
    struct swp_point *points;
    uint32_t n_skipped; /* grid points skipped: more senders than members */
};

/* Parses a spec. 0, or 2 after `FILE:LINE:COL: message` on err (*out empty). */
int swp_parse(const char *path, struct swp_spec *out, FILE *err);
int swp_parse_text(const char *path, const char *text, size_t len, struct swp_spec *out, FILE *err);
void swp_free(struct swp_spec *s);

/* Fills s->points, checking each generated scenario with the scenario parser.
 * `max_points` caps the expansion (0: SWP_MAX_POINTS). 0, or 2 after a message. */
int swp_expand(struct swp_spec *s, uint32_t max_points, FILE *err);

/* Writes point i's scenario into buf (NUL-terminated). Returns its length, or
 * 0 if it does not fit. */
size_t swp_scenario_text(const struct swp_spec *s, const struct swp_point *p, char *buf,
                         size_t cap);

/* The value of set key `key` at point p ("" if p's grid does not set it). */
const char *swp_point_set(const struct swp_spec *s, const struct swp_point *p, const char *key);

/* ---- the runner (sweep.c) and the report (sweep_report.c) ---- */

struct swp_opts {
    const char *out_dir;
    unsigned jobs;    /* parallel runs (>= 1) */
    const char *self; /* the pgroup binary to exec */
};

/* Runs every point not already in OUT/results.csv (with its latency dump, for
 * a `dump_latency` grid), then writes the plots and the report. Returns 0
 * (every row PASS), 1 (some row FAIL or ERROR, or gnuplot failed), 2 (bad
 * output directory, or a file could not be written: `pgroup: cannot write
 * PATH: REASON`), 130 (interrupted; finished rows kept). */
int swp_run(const struct swp_spec *s, const struct swp_opts *o, FILE *out);

/* Writes OUT/plots.gp (and its data), runs gnuplot, writes OUT/report.md from
 * OUT/results.csv. Returns 0; 1 if gnuplot failed (the report says so); 2 if
 * a file could not be written (after `pgroup: cannot write PATH: REASON`). */
int swp_report(const struct swp_spec *s, const char *out_dir, FILE *log);

#endif
