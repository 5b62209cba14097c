/* sim/sweep/explore.h: `pgroup explore`: fault schedules searched over seeds.
 *
 * Owns: the explore spec format (scenarios/explore/README.md) and its parser
 * (explore_spec.c, plain C like the scenario parser: no SimGrid, fuzzable);
 * the generator that draws one scenario per seed from a spec (explore_gen.c,
 * plain C: the same spec and seed give the same text); the runner that runs
 * every seed as its own `pgroup run` child, N at a time, and turns each
 * failure into a standalone scenario, its trace and a shrunk minimal.scn
 * (explore.c); and the summary (summary.json, summary.md) with the
 * "sometimes" coverage table, and the merge of several output directories
 * (explore_sum.c).
 *
 * Errors: xpl_parse*() report the first error as `FILE:LINE:COL: message`
 * and return 2.
 */
#ifndef SIM_EXPLORE_H
#define SIM_EXPLORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"

#define XPL_TOK_MAX    48 /* bytes of a word or value (with NUL) */
#define XPL_MAX_SETS   8  /* `set` lines */
#define XPL_MAX_CHOICE 8  /* values of one `set` line */
#define XPL_MAX_COVER  64 /* `cover` lines */
#define XPL_COVER_MAX  96 /* bytes of a situation's name (with NUL) */
#define XPL_MAX_PROCS  64 /* processes a seed may draw (members + spares + clients) */
#define XPL_MAX_GROUPS 8  /* groups a seed may draw */
#define XPL_FILE_MAX   (1u << 20)

/* The fault kinds of `fault KIND ...`, each switched on or off per seed. */
enum xpl_fault {
    XF_CRASH,
    XF_RESTART, /* a crashed process restarts and rejoins its groups */
    XF_JOIN,
    XF_LEAVE,
    XF_PARTITION,
    XF_SUSPICION, /* a live sender cut off longer than suspect_timeout, under load */
    XF_LOSS,
    XF_DUPLICATE,
    XF_DELAY,
    XF_GARBLE,
    XF_FLUSH, /* pg_flush calls */
    XF_SABOTAGE,
    XF_N
};
const char *xpl_fault_name(enum xpl_fault f);

/* The orders of `orders ...`, one drawn per group. */
enum xpl_order { XO_FIFO, XO_CBCAST, XO_ABCAST, XO_DIFFUSION, XO_P2P, XO_MIXED, XO_N };
const char *xpl_order_name(enum xpl_order o);

/* Partition shapes of `fault partition ... shapes ...`. */
enum xpl_shape { XS_HALVES, XS_ISOLATED, XS_BRIDGE, XS_ASYMMETRIC, XS_THREE, XS_N };

/* A closed range of a spec line, in the base unit of its kind (ns, bytes,
 * messages per second, probability 0..1, or a count). */
struct xpl_range {
    double lo, hi;
    uint32_t line; /* 0: not given */
};

struct xpl_fault_spec {
    double chance;           /* probability that the kind is on in a seed */
    struct xpl_range count;  /* how many (default 1..1) */
    struct xpl_range value;  /* loss, duplicate, garble: probability; delay: duration */
    struct xpl_range jitter; /* delay */
    uint32_t shapes;         /* partition: bit per enum xpl_shape (default: all) */
    uint32_t sabotage;       /* sabotage: bit per enum scn_sabotage */
    uint32_t line;           /* 0: not in the spec (off) */
};

struct xpl_set {
    char key[XPL_TOK_MAX];
    uint32_t n;                            /* choices; 0 with a range */
    char val[XPL_MAX_CHOICE][XPL_TOK_MAX]; /* as written */
    struct xpl_range range;                /* a duration range (line != 0) */
    uint32_t line;
};

struct xpl_spec {
    char file[SCN_PATH_MAX];
    char name[XPL_TOK_MAX];
    uint64_t hash; /* of the spec text (and of a base scenario's): merges compare it */
    /* `base FILE.scn`, or a .scn given as the spec: processes, groups and
     * traffic kept; `active` and `quiet` come from it */
    struct scn *base;
    struct xpl_range active;  /* the part with traffic and faults */
    struct xpl_range quiet;   /* the quiet period after it */
    struct xpl_range procs;   /* processes in groups at the start */
    struct xpl_range spares;  /* processes in no group at the start (joiners) */
    struct xpl_range groups;  /* groups */
    struct xpl_range members; /* members of one group */
    struct xpl_range clients; /* clients of one process group */
    struct xpl_range senders; /* senders of one group; hi < 0: `all` */
    struct xpl_range rate, size;
    double overlap;  /* chance that groups share members */
    double domains;  /* chance that each group is in a domain of its own */
    uint32_t orders; /* bit per enum xpl_order */
    double bias;     /* chance that a fault is placed at a dangerous moment */
    uint32_t n_sets;
    struct xpl_set sets[XPL_MAX_SETS];
    struct xpl_fault_spec fault[XF_N];
    uint32_t n_cover;
    char cover[XPL_MAX_COVER][XPL_COVER_MAX];
};

/* Parses an explore spec; a path ending in `.scn` is a scenario, explored
 * with the built-in fault bounds (scenarios/explore/README.md). 0, or 2
 * after `FILE:LINE:COL: message` on err. */
int xpl_parse(const char *path, struct xpl_spec *out, FILE *err);
int xpl_parse_text(const char *path, const char *text, size_t len, struct xpl_spec *out, FILE *err);
void xpl_free(struct xpl_spec *s);

/* The scenario of `seed`: a malloc'd text that scn_parse_text accepts,
 * starting with a comment naming the spec and the seed. The same spec and
 * seed give the same text. */
char *xpl_generate(const struct xpl_spec *s, uint64_t seed, size_t *len);

/* ---- the runner (explore.c) and the summary (explore_sum.c) ---- */

struct xpl_opts {
    const char *spec_path;
    uint64_t first, last;   /* --seeds A..B */
    uint32_t shard, shards; /* --shard K/N: K in 1..N (1/1: everything) */
    const char *out_dir;
    unsigned jobs;
    bool check_determinism;
    double timeout_s;                      /* wall-clock limit of one seed's run */
    int32_t shrink_max;                    /* failures shrunk per rule; < 0: all */
    const char *self;                      /* the pgroup binary */
    int (*main_fn)(int argc, char **argv); /* fork mode (jobs.h) */
    const char *cmdline;                   /* the command, for summary.md */
};

/* Runs the seeds not already in OUT/seeds.jsonl, writes every failure as
 * OUT/failures/SEED/{scenario.scn,trace.jsonl,run.txt,minimal.scn,shrink.txt},
 * then OUT/summary.json and OUT/summary.md. Returns 0 (no violation, no
 * timeout, no error, no determinism mismatch), 1 (some), 2 (bad spec or
 * output directory: nothing run), 130 (interrupted; finished seeds kept). */
int xpl_run(const struct xpl_spec *s, const struct xpl_opts *o, FILE *out);

/* Merges the output directories dirs[0..n-1] (of one spec) into out_dir:
 * their seeds and failures, then the summary. 0, 1 as xpl_run, 2 on bad
 * input. */
int xpl_merge(const char *const *dirs, uint32_t n, const char *out_dir, FILE *out);

/* Writes out_dir/summary.json and summary.md from out_dir's explore.json,
 * seeds.jsonl and failures/; prints summary.md to `out`. Returns as xpl_run.
 * `wall_s` (of `seeds_run` seeds), `jobs` and `cmdline` go into the timing
 * part, the only part that differs between runs of the same seeds. */
int xpl_summarize(const char *out_dir, double wall_s, uint32_t seeds_run, unsigned jobs,
                  const char *cmdline, FILE *out);

/* OUT/seeds.jsonl as a cJSON array of records sorted by seed (the last
 * record of a seed wins), or NULL if there is none. */
struct cJSON *xpl_records(const char *out_dir);

/* Writes OUT/explore.json (the spec's name, file, hash and coverage targets)
 * or, if it exists, checks that it names the same spec. 0, or 2 after a
 * message on err. */
int xpl_meta_check(const struct xpl_spec *s, const struct xpl_opts *o, FILE *err);

#endif
