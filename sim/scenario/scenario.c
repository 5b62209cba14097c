/* sim/scenario/scenario.c: the scenario parser. See scenario.h for the API and
 * scenarios/README.md for the format, keyword by keyword.
 *
 * Two passes: a line pass (lexing, one command per line, every value and name
 * checked where it stands) and a semantic pass once the whole file is known
 * (run/quiet bounds, the default stop of workloads, the fault order, crashes
 * and restarts in time order, hosts of the built-in cluster). The semantic
 * pass reports the error nearest the top of the file.
 */
#define _POSIX_C_SOURCE 200809L
#include "scenario.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCN_MAX_PAYLOAD     8176u /* PHYS_MAX_PAYLOAD (8192) minus the app's 16-byte header */
#define SCN_MAX_DURATION_NS 1000000000000000ll /* 1e6 s */
#define SCN_MAX_RATE        1e5                /* messages per second per sender */
#define SCN_HASH_SLOTS      16384u             /* power of two, >= 2 * SCN_MAX_PROCS */
#define SCN_FILE_MAX        (16u << 20)        /* bytes of a scenario file */
#define SCN_ECHO            64                 /* bytes of a token quoted in a message */

/* "%.*s" arguments quoting a token, at most SCN_ECHO bytes of it. */
#define TK(t) (int)((t)->len > SCN_ECHO ? SCN_ECHO : (t)->len), (t)->s

struct tok {
    const char *s; /* NUL-terminated, in parser.buf */
    uint32_t len;
    uint32_t col; /* 1-based byte column */
};

struct proc_pos {
    uint32_t line;
};

struct wl_pos {
    uint32_t col_send, col_start, col_stop, col_order;
    bool stop_given;
};

struct fault_pos {
    uint32_t line, col_at, col_arg;
};

struct parser {
    const char *path;
    struct scn *s;
    char dir[SCN_PATH_MAX]; /* directory of the scenario file, "" = current */
    uint32_t line;
    uint32_t ntok;
    struct tok tok[SCN_LINE_MAX];
    char buf[2 * SCN_LINE_MAX];
    /* the error kept: the first in the line pass, the topmost in the semantic pass */
    bool failed;
    uint32_t err_line, err_col;
    char msg[768];
    /* lookups and scratch space, bounded by the limits of scenario.h */
    uint32_t hash[SCN_HASH_SLOTS]; /* proc index + 1, 0 = empty */
    uint32_t stamp[SCN_MAX_PROCS]; /* a proc is in the current set iff stamp == stamp_now */
    uint32_t stamp_now;
    const char *dup_hint; /* appended to "listed twice" for the current set */
    uint32_t set_cap;     /* processes the current set may hold (after the first cap_base) */
    uint32_t cap_base;
    const char *cap_what; /* "members", "clients": what the set holds, for the cap's message */
    uint32_t scratch[SCN_MAX_PROCS];
    struct proc_pos ppos[SCN_MAX_PROCS];
    struct wl_pos wpos[SCN_MAX_WORKLOADS];
    struct fault_pos fpos[SCN_MAX_FAULTS];
    uint32_t cap_procs, cap_groups, cap_workloads, cap_faults;
    /* where one-off commands were given (0 = not given) */
    uint32_t line_name, line_seed, line_platform, line_run, line_quiet, line_expect;
    uint32_t col_quiet;
    uint32_t line_set[SCN_SET_N], col_set[SCN_SET_N];
};

static const char *const scn_rules[] = {
    "integrity",         "view-agreement", "sending-view",  "virtual-synchrony",
    "failure-atomicity", "causal-order",   "total-order",   "flush",
    "state-transfer",    "liveness",       "fifo",          "hier-bind",
    "hier-once",         "hier-order",     "hier-liveness", "hier-global-order",
};
#define SCN_N_RULES (sizeof scn_rules / sizeof scn_rules[0])

static const uint64_t pow10_u64[] = {1ull,
                                     10ull,
                                     100ull,
                                     1000ull,
                                     10000ull,
                                     100000ull,
                                     1000000ull,
                                     10000000ull,
                                     100000000ull,
                                     1000000000ull,
                                     10000000000ull,
                                     100000000000ull,
                                     1000000000000ull,
                                     10000000000000ull,
                                     100000000000000ull,
                                     1000000000000000ull,
                                     10000000000000000ull,
                                     100000000000000000ull,
                                     1000000000000000000ull};

/* The sabotage keywords, indexed by enum scn_sabotage. */
static const char *const scn_sabotage_names[] = {
    "drop",        "duplicate",   "reorder",     "misattribute",  "late",
    "forge-view",  "swap-abcast", "early-flush", "corrupt-state", "double-bind",
    "apply-twice", "swap-apply",  "drop-reply",  "swap-global"};
#define SCN_N_SABOTAGE (sizeof scn_sabotage_names / sizeof scn_sabotage_names[0])

const char *scn_sabotage_name(enum scn_sabotage k)
{
    assert((size_t)k < SCN_N_SABOTAGE);
    return scn_sabotage_names[k];
}

const char *scn_order_name(enum scn_order o)
{
    switch (o) {
    case SCN_ORDER_FIFO:
        return "fifo";
    case SCN_ORDER_CBCAST:
        return "cbcast";
    case SCN_ORDER_ABCAST:
        return "abcast";
    case SCN_ORDER_P2P:
        return "p2p";
    case SCN_ORDER_DIFFUSION:
        return "diffusion";
    default:
        return "?";
    }
}

/* ---- errors ---- */

/* Keeps the error at (line, col) unless one nearer the top is already kept. Returns -1. */
static int perr(struct parser *p, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int perr(struct parser *p, uint32_t line, uint32_t col, const char *fmt, ...)
{
    assert(line >= 1 && col >= 1);
    if (p->failed && (p->err_line < line || (p->err_line == line && p->err_col <= col)))
        return -1;
    p->failed = true;
    p->err_line = line;
    p->err_col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof p->msg, fmt, ap);
    va_end(ap);
    return -1;
}

#define perr_tok(p, i, ...) perr((p), (p)->line, (p)->tok[(i)].col, __VA_ARGS__)

/* ---- characters, words ---- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* Process and group names: [A-Za-z_][A-Za-z0-9_-]*. Words (scenario and host
 * names): [A-Za-z0-9_.-]+. */
static bool is_name_char(char c, bool word)
{
    return is_alpha(c) || is_digit(c) || c == '-' || (word && c == '.');
}

static bool valid_name(const char *s, size_t len, bool word)
{
    if (len == 0 || (!word && !is_alpha(s[0])))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_name_char(s[i], word))
            return false;
    return true;
}

static int find_word(const char *const *list, size_t n, const char *w)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], w))
            return (int)i;
    return -1;
}

unsigned scn_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 31 || lb > 31)
        return 99;
    unsigned d[32][32];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            unsigned sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            unsigned del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    }
    return d[la][lb];
}

/* Reports token i as an unknown `what`, suggesting the closest of `list` if it is obvious. */
static int unknown_word(struct parser *p, uint32_t i, const char *what, const char *const *list,
                        size_t n)
{
    const struct tok *t = &p->tok[i];
    const char *best = NULL;
    unsigned best_d = t->len >= 4 ? 2 : 1;
    for (size_t k = 0; k < n; k++) {
        unsigned d = scn_edit_distance(t->s, list[k]);
        if (d <= best_d && (!best || d < scn_edit_distance(t->s, best)))
            best = list[k];
    }
    if (best)
        return perr_tok(p, i, "unknown %s '%.*s' (did you mean '%s'?)", what, TK(t), best);
    char all[512];
    size_t at = 0;
    for (size_t k = 0; k < n && at < sizeof all; k++)
        at += (size_t)snprintf(all + at, sizeof all - at, "%s%s", k ? ", " : "", list[k]);
    return perr_tok(p, i, "unknown %s '%.*s' (expected one of: %s)", what, TK(t), all);
}

/* ---- lexing ---- */

static bool is_sep(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '#' || c == '|' || c < 0x20 || c == 0x7f;
}

/* Splits one line (without its '\n') into p->tok. `#` starts a comment; `|` is a token of its own.
 */
static int lex_line(struct parser *p, const char *b, size_t n)
{
    p->ntok = 0;
    if (n >= SCN_LINE_MAX)
        return perr(p, p->line, SCN_LINE_MAX, "line longer than %d bytes", SCN_LINE_MAX - 1);
    for (size_t k = 0; k < n; k++) { /* comments included */
        unsigned char c = (unsigned char)b[k];
        if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
            return perr(p, p->line, (uint32_t)k + 1, "unexpected control byte 0x%02x", c);
    }
    size_t i = 0, o = 0;
    while (i < n && b[i] != '#') {
        unsigned char c = (unsigned char)b[i];
        if (c == ' ' || c == '\t' || c == '\r') {
            i++;
            continue;
        }
        struct tok *t = &p->tok[p->ntok++];
        t->col = (uint32_t)i + 1;
        t->s = p->buf + o;
        if (c == '|')
            p->buf[o++] = b[i++];
        else
            while (i < n && !is_sep((unsigned char)b[i]))
                p->buf[o++] = b[i++];
        t->len = (uint32_t)(p->buf + o - t->s);
        p->buf[o++] = '\0';
        assert(o <= sizeof p->buf && p->ntok <= SCN_LINE_MAX);
    }
    return 0;
}

/* Error unless token i exists; the message names what should follow token i-1. */
static int need(struct parser *p, uint32_t i, const char *what)
{
    assert(i >= 1);
    if (i < p->ntok)
        return 0;
    return perr_tok(p, i - 1, "expected %s after '%.*s'", what, TK(&p->tok[i - 1]));
}

/* Error if the line goes on past token i-1. */
static int no_more(struct parser *p, uint32_t i)
{
    if (i >= p->ntok)
        return 0;
    return perr_tok(p, i, "unexpected '%.*s' at the end of `%s`", TK(&p->tok[i]), p->tok[0].s);
}

/* Error if a one-off command was already given; else records its line. */
static int once(struct parser *p, uint32_t *line)
{
    if (*line)
        return perr_tok(p, 0, "`%s` given twice (first at line %u)", p->tok[0].s, *line);
    *line = p->line;
    return 0;
}

/* ---- numbers ---- */

struct num {
    uint64_t mant; /* value = mant / 10^dec */
    uint32_t dec;
    const char *unit; /* what follows the digits */
};

static int num_digit(struct num *n, char c, uint32_t *sig, bool frac)
{
    if (*sig || c != '0')
        (*sig)++;
    n->mant = n->mant * 10 + (uint64_t)(c - '0');
    n->dec += frac;
    return *sig > 18 || n->dec > 18 ? -1 : 0;
}

/* Splits "12.50ms" into 125e-1 and "ms". -1: no number there; -2: too many digits. */
static int num_split(const char *s, struct num *n)
{
    *n = (struct num){0};
    uint32_t sig = 0;
    const char *c = s;
    if (!is_digit(*c))
        return -1;
    for (; is_digit(*c); c++)
        if (num_digit(n, *c, &sig, false))
            return -2;
    if (*c == '.') {
        if (!is_digit(*++c))
            return -1;
        for (; is_digit(*c); c++)
            if (num_digit(n, *c, &sig, true))
                return -2;
    }
    while (n->dec > 0 && n->mant % 10 == 0) {
        n->mant /= 10;
        n->dec--;
    }
    n->unit = c;
    return 0;
}

/* *out = value * mult, exactly. -1: overflow; -2: not a whole number. */
static int num_scale(const struct num *n, uint64_t mult, uint64_t *out)
{
    assert(mult > 0 && n->dec <= 18);
    if (n->mant > UINT64_MAX / mult)
        return -1;
    uint64_t prod = n->mant * mult;
    if (prod % pow10_u64[n->dec])
        return -2;
    *out = prod / pow10_u64[n->dec];
    return 0;
}

static double num_value(const struct num *n)
{
    return (double)n->mant / (double)pow10_u64[n->dec];
}

struct unit {
    const char *name;
    double mult;
};

static const struct unit *find_unit(const struct unit *u, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(u[i].name, name))
            return &u[i];
    return NULL;
}

/* The value parsers behind val_duration, val_percent, val_rate and val_size,
 * public for other formats (scenario.h). Each returns 0, or -1 with the
 * message (without FILE:LINE:COL) in msg. */
#define VAL_ECHO(s)  (int)(strlen(s) > SCN_ECHO ? SCN_ECHO : strlen(s)), (s)
#define VAL_ERR(...) (snprintf(msg, cap, __VA_ARGS__), -1)

int scn_value_duration(const char *s, int64_t *out, char *msg, size_t cap)
{
    static const struct unit units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
    struct num n;
    int rc = num_split(s, &n);
    if (rc == -1)
        return VAL_ERR("expected a duration (like 10ms, 2s, 3.6s, 50us), not '%.*s'", VAL_ECHO(s));
    if (rc == -2)
        return VAL_ERR("too many digits in '%.*s'", VAL_ECHO(s));
    if (!*n.unit)
        return VAL_ERR("duration '%.*s' needs a unit: ns, us, ms or s", VAL_ECHO(s));
    const struct unit *u = find_unit(units, 4, n.unit);
    if (!u)
        return VAL_ERR("unknown unit in '%.*s': durations take ns, us, ms or s", VAL_ECHO(s));
    uint64_t v;
    rc = num_scale(&n, (uint64_t)u->mult, &v);
    if (rc == -2)
        return VAL_ERR("'%.*s' is finer than 1ns", VAL_ECHO(s));
    if (rc == -1 || v > (uint64_t)SCN_MAX_DURATION_NS)
        return VAL_ERR("'%.*s' is longer than the longest duration, 1000000s", VAL_ECHO(s));
    *out = (int64_t)v;
    return 0;
}

int scn_value_percent(const char *s, double *prob, char *msg, size_t cap)
{
    struct num n;
    if (num_split(s, &n) != 0 || strcmp(n.unit, "%"))
        return VAL_ERR("expected a percentage (like 10%% or 0.5%%), not '%.*s'", VAL_ECHO(s));
    double v = num_value(&n);
    if (v > 100)
        return VAL_ERR("'%.*s' is over 100%%", VAL_ECHO(s));
    *prob = v / 100;
    return 0;
}

int scn_value_rate(const char *s, double *rate, char *msg, size_t cap)
{
    struct num n;
    if (num_split(s, &n) != 0 || strcmp(n.unit, "/s"))
        return VAL_ERR("expected a rate (like 50/s or 0.5/s), not '%.*s'", VAL_ECHO(s));
    double v = num_value(&n);
    if (v <= 0 || v > SCN_MAX_RATE)
        return VAL_ERR("rate '%.*s' is out of range (above 0/s, at most 100000/s)", VAL_ECHO(s));
    *rate = v;
    return 0;
}

int scn_value_size(const char *s, uint32_t *bytes, char *msg, size_t cap)
{
    static const struct unit units[] = {
        {"B", 1}, {"KB", 1e3}, {"KiB", 1024}, {"MB", 1e6}, {"MiB", 1048576}};
    struct num n;
    if (num_split(s, &n) != 0)
        return VAL_ERR("expected a size (like 64B, 1KB, 2KiB), not '%.*s'", VAL_ECHO(s));
    const struct unit *u = find_unit(units, 5, n.unit);
    if (!u)
        return VAL_ERR("size '%.*s' needs a unit: B, KB, KiB, MB or MiB", VAL_ECHO(s));
    uint64_t v;
    int rc = num_scale(&n, (uint64_t)u->mult, &v);
    if (rc == -2)
        return VAL_ERR("size '%.*s' is not a whole number of bytes", VAL_ECHO(s));
    if (rc == -1 || v > SCN_MAX_PAYLOAD)
        return VAL_ERR("size '%.*s' is over the maximum, %uB", VAL_ECHO(s), SCN_MAX_PAYLOAD);
    *bytes = (uint32_t)v;
    return 0;
}

static int val_duration(struct parser *p, uint32_t i, int64_t *out)
{
    char msg[256];
    return scn_value_duration(p->tok[i].s, out, msg, sizeof msg) ? perr_tok(p, i, "%s", msg) : 0;
}

/* A duration that must be > 0. */
static int val_positive(struct parser *p, uint32_t i, int64_t *out)
{
    if (val_duration(p, i, out))
        return -1;
    if (*out <= 0)
        return perr_tok(p, i, "`%s` must be longer than 0s", p->tok[i - 1].s);
    return 0;
}

static int val_percent(struct parser *p, uint32_t i, double *prob)
{
    char msg[256];
    return scn_value_percent(p->tok[i].s, prob, msg, sizeof msg) ? perr_tok(p, i, "%s", msg) : 0;
}

static int val_rate(struct parser *p, uint32_t i, double *rate)
{
    char msg[256];
    return scn_value_rate(p->tok[i].s, rate, msg, sizeof msg) ? perr_tok(p, i, "%s", msg) : 0;
}

static int val_size(struct parser *p, uint32_t i, uint32_t *bytes)
{
    char msg[256];
    return scn_value_size(p->tok[i].s, bytes, msg, sizeof msg) ? perr_tok(p, i, "%s", msg) : 0;
}

static int val_bandwidth(struct parser *p, uint32_t i, double *bytes_per_s)
{
    static const struct unit units[] = {
        {"bps", 1}, {"kbps", 1e3}, {"Kbps", 1e3}, {"Mbps", 1e6}, {"Gbps", 1e9}, {"Tbps", 1e12},
        {"Bps", 8}, {"kBps", 8e3}, {"KBps", 8e3}, {"MBps", 8e6}, {"GBps", 8e9}, {"TBps", 8e12},
    };
    const struct tok *t = &p->tok[i];
    struct num n;
    if (num_split(t->s, &n) != 0)
        return perr_tok(p, i, "expected a bandwidth (like 1Gbps, 100Mbps, 125MBps), not '%.*s'",
                        TK(t));
    const struct unit *u = find_unit(units, sizeof units / sizeof units[0], n.unit);
    if (!u)
        return perr_tok(p, i,
                        "bandwidth '%.*s' needs a unit: bps, kbps, Mbps, Gbps, Tbps (bits) or "
                        "Bps, kBps, MBps, GBps, TBps (bytes)",
                        TK(t));
    double v = num_value(&n) * u->mult / 8;
    if (v <= 0)
        return perr_tok(p, i, "bandwidth '%.*s' must be above 0", TK(t));
    *bytes_per_s = v;
    return 0;
}

/* A decimal integer in [lo, hi]. */
static int val_uint(struct parser *p, uint32_t i, uint64_t lo, uint64_t hi, uint64_t *out)
{
    const struct tok *t = &p->tok[i];
    uint64_t v = 0;
    for (uint32_t k = 0; k < t->len; k++) {
        if (!is_digit(t->s[k]))
            return perr_tok(p, i, "expected a whole number, not '%.*s'", TK(t));
        uint64_t d = (uint64_t)(t->s[k] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return perr_tok(p, i, "'%.*s' is too large", TK(t));
        v = v * 10 + d;
    }
    if (v < lo || v > hi)
        return perr_tok(p, i, "'%.*s' is out of range (%llu to %llu)", TK(t),
                        (unsigned long long)lo, (unsigned long long)hi);
    *out = v;
    return 0;
}

/* A process or group name (word = false) or a scenario or host name (word = true). */
static int val_name(struct parser *p, uint32_t i, const char *what, bool word,
                    char out[SCN_NAME_MAX])
{
    const struct tok *t = &p->tok[i];
    if (t->len >= SCN_NAME_MAX)
        return perr_tok(p, i, "%s name '%.*s' is longer than %d bytes", what, TK(t),
                        SCN_NAME_MAX - 1);
    if (!valid_name(t->s, t->len, word))
        return perr_tok(p, i, "invalid %s name '%.*s': %s", what, TK(t),
                        word ? "use letters, digits, '_', '-' and '.'"
                             : "a name starts with a letter or '_' and goes on with letters, "
                               "digits, '_' and '-'");
    memcpy(out, t->s, t->len + 1);
    return 0;
}

/* ---- processes: hash index, ranges, lists ---- */

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static int proc_lookup(const struct parser *p, const char *name)
{
    for (uint32_t k = name_hash(name) & (SCN_HASH_SLOTS - 1); p->hash[k];
         k = (k + 1) & (SCN_HASH_SLOTS - 1)) {
        uint32_t idx = p->hash[k] - 1;
        assert(idx < p->s->n_procs);
        if (!strcmp(p->s->procs[idx].name, name))
            return (int)idx;
    }
    return -1;
}

static void proc_insert(struct parser *p, uint32_t idx)
{
    uint32_t k = name_hash(p->s->procs[idx].name) & (SCN_HASH_SLOTS - 1);
    while (p->hash[k])
        k = (k + 1) & (SCN_HASH_SLOTS - 1);
    p->hash[k] = idx + 1;
}

static void *grow(void *arr, uint32_t *cap, uint32_t need_n, size_t elem)
{
    if (need_n <= *cap)
        return arr;
    uint32_t c = *cap ? *cap : 8;
    while (c < need_n)
        c *= 2;
    void *n = realloc(arr, (size_t)c * elem);
    assert(n);
    *cap = c;
    return n;
}

struct range {
    uint32_t plen, lo, hi;
};

/* Parses the number of a range end: 1-9 digits, no leading zero. */
static bool range_num(const char *s, size_t len, uint32_t *out)
{
    if (len == 0 || len > 9 || (len > 1 && s[0] == '0'))
        return false;
    uint32_t v = 0;
    for (size_t k = 0; k < len; k++) {
        if (!is_digit(s[k]))
            return false;
        v = v * 10 + (uint32_t)(s[k] - '0');
    }
    *out = v;
    return true;
}

/* 1 if token i is a range PREFIXlo..PREFIXhi, 0 if it is no range, -1 (error kept) if a bad one. */
static int tok_range(struct parser *p, uint32_t i, struct range *r)
{
    const struct tok *t = &p->tok[i];
    const char *dots = strstr(t->s, "..");
    if (!dots)
        return 0;
    size_t left = (size_t)(dots - t->s), pl = left;
    while (pl > 0 && is_digit(t->s[pl - 1]))
        pl--;
    const char *right = dots + 2;
    size_t rlen = t->len - left - 2;
    bool ok = pl > 0 && valid_name(t->s, pl, false) && rlen > pl && !memcmp(t->s, right, pl) &&
              range_num(t->s + pl, left - pl, &r->lo) && range_num(right + pl, rlen - pl, &r->hi);
    if (!ok)
        return perr_tok(p, i,
                        "bad range '%.*s': write PREFIX N..PREFIX M with one prefix and numbers "
                        "without leading zeros, like p1..p16",
                        TK(t));
    if (r->lo > r->hi)
        return perr_tok(p, i, "empty range '%.*s'", TK(t));
    if (r->hi - r->lo >= SCN_MAX_PROCS)
        return perr_tok(p, i, "range '%.*s' has more than %d names", TK(t), SCN_MAX_PROCS);
    if (pl + (rlen - pl) >= SCN_NAME_MAX)
        return perr_tok(p, i, "names of range '%.*s' are longer than %d bytes", TK(t),
                        SCN_NAME_MAX - 1);
    r->plen = (uint32_t)pl;
    return 1;
}

static void range_name(const struct tok *t, const struct range *r, uint32_t k,
                       char out[SCN_NAME_MAX])
{
    int n = snprintf(out, SCN_NAME_MAX, "%.*s%u", (int)r->plen, t->s, k);
    assert(n > 0 && n < SCN_NAME_MAX);
}

/* Index of the process `name` (from token i), or -1 with the error kept. */
static int lookup_proc(struct parser *p, uint32_t i, const char *name)
{
    int idx = proc_lookup(p, name);
    if (idx >= 0)
        return idx;
    if (scn_find_group(p->s, name) >= 0)
        return perr_tok(p, i, "'%.64s' is a group; a process is expected here", name);
    return perr_tok(p, i, "unknown process '%.64s' (declare it with `processes`)", name);
}

/* One process, from token i (no range). */
static int want_proc(struct parser *p, uint32_t i, uint32_t *out)
{
    if (strstr(p->tok[i].s, ".."))
        return perr_tok(p, i, "`%s` takes one process, not a range", p->tok[i - 1].s);
    int idx = lookup_proc(p, i, p->tok[i].s);
    if (idx < 0)
        return -1;
    *out = (uint32_t)idx;
    return 0;
}

static int want_group(struct parser *p, uint32_t i, uint32_t *out)
{
    const char *name = p->tok[i].s;
    int g = scn_find_group(p->s, name);
    if (g >= 0) {
        *out = (uint32_t)g;
        return 0;
    }
    if (proc_lookup(p, name) >= 0)
        return perr_tok(p, i, "'%.64s' is a process; a group is expected here", name);
    return perr_tok(p, i, "unknown group '%.64s' (declare it with `group`)", name);
}

/* Starts a new set of processes for duplicate detection. */
static void set_begin(struct parser *p, const char *dup_hint)
{
    p->dup_hint = dup_hint;
    p->set_cap = SCN_MAX_PROCS;
    p->cap_base = 0;
    p->cap_what = "processes";
    if (++p->stamp_now == 0) {
        memset(p->stamp, 0, sizeof p->stamp);
        p->stamp_now = 1;
    }
}

static int mark_proc(struct parser *p, uint32_t i, const char *name, uint32_t *n)
{
    int idx = lookup_proc(p, i, name);
    if (idx < 0)
        return -1;
    if (p->stamp[idx] == p->stamp_now)
        return perr_tok(p, i, "process '%s' is listed twice%s", name, p->dup_hint);
    if (*n - p->cap_base >= p->set_cap)
        return perr_tok(p, i, "a group has at most %u %s; '%s' is one more", p->set_cap,
                        p->cap_what, name);
    p->stamp[idx] = p->stamp_now;
    assert(*n < SCN_MAX_PROCS && *n < p->s->n_procs);
    p->scratch[(*n)++] = (uint32_t)idx;
    return 0;
}

/* Resolves the names and ranges of tokens [a, b) into p->scratch[*n...], each
 * process at most once in the current set (see set_begin). */
static int resolve_procs(struct parser *p, uint32_t a, uint32_t b, uint32_t *n)
{
    for (uint32_t i = a; i < b; i++) {
        struct range r;
        int kind = tok_range(p, i, &r);
        if (kind < 0)
            return -1;
        if (kind == 0 && mark_proc(p, i, p->tok[i].s, n))
            return -1;
        for (uint32_t k = r.lo; kind == 1 && k <= r.hi; k++) {
            char name[SCN_NAME_MAX];
            range_name(&p->tok[i], &r, k, name);
            if (mark_proc(p, i, name, n))
                return -1;
        }
    }
    return 0;
}

static uint32_t *copy_scratch(const struct parser *p, uint32_t n)
{
    assert(n > 0 && n <= SCN_MAX_PROCS);
    uint32_t *a = malloc(n * sizeof *a);
    assert(a);
    memcpy(a, p->scratch, n * sizeof *a);
    return a;
}

/* ---- commands ---- */

static int cmd_name(struct parser *p)
{
    if (once(p, &p->line_name) || need(p, 1, "a scenario name"))
        return -1;
    if (val_name(p, 1, "scenario", true, p->s->name))
        return -1;
    return no_more(p, 2);
}

static int cmd_seed(struct parser *p)
{
    if (once(p, &p->line_seed) || need(p, 1, "a seed (a whole number)"))
        return -1;
    if (val_uint(p, 1, 0, UINT64_MAX, &p->s->seed))
        return -1;
    return no_more(p, 2);
}

/* `platform file PATH`: PATH is resolved relative to the scenario's directory. */
static int platform_file(struct parser *p, uint32_t i)
{
    const char *path = p->tok[i].s;
    char *out = p->s->platform_file;
    int n;
    size_t dl = strlen(p->dir);
    if (path[0] == '/' || dl == 0)
        n = snprintf(out, SCN_PATH_MAX, "%s", path);
    else
        n = snprintf(out, SCN_PATH_MAX, "%s%s%s", p->dir, p->dir[dl - 1] == '/' ? "" : "/", path);
    if (n < 0 || n >= SCN_PATH_MAX)
        return perr_tok(p, i, "platform path is longer than %d bytes", SCN_PATH_MAX - 1);
    struct stat st;
    if (access(out, R_OK) != 0 || stat(out, &st) != 0)
        return perr_tok(p, i, "cannot read platform file '%s': %s", out, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return perr_tok(p, i, "platform file '%s' is not a regular file", out);
    if (st.st_size == 0)
        return perr_tok(p, i, "platform file '%s' is empty", out);
    if ((uint64_t)st.st_size > SCN_PLATFORM_MAX)
        return perr_tok(p, i, "platform file '%s' is larger than %u bytes", out, SCN_PLATFORM_MAX);
    p->s->platform_line = p->line;
    p->s->platform_col = p->tok[i].col;
    return no_more(p, i + 1);
}

/* `platform cluster [latency T] [bandwidth B]`, options in any order. */
static int platform_cluster(struct parser *p, uint32_t i)
{
    static const char *const keys[] = {"latency", "bandwidth"};
    unsigned seen = 0;
    for (; i < p->ntok; i += 2) {
        int k = find_word(keys, 2, p->tok[i].s);
        if (k < 0)
            return unknown_word(p, i, "cluster option", keys, 2);
        if (seen & (1u << k))
            return perr_tok(p, i, "`%s` given twice", keys[k]);
        seen |= 1u << k;
        if (need(p, i + 1, k ? "a bandwidth (like 1Gbps)" : "a duration (like 50us)"))
            return -1;
        if (k == 0 && val_duration(p, i + 1, &p->s->cluster_latency_ns))
            return -1;
        if (k == 1 && val_bandwidth(p, i + 1, &p->s->cluster_bandwidth_Bps))
            return -1;
        if (k == 0 && p->s->cluster_latency_ns > SCN_MAX_LATENCY_NS)
            return perr_tok(p, i + 1, "latency '%.*s' is out of range (0s to 1000s)",
                            TK(&p->tok[i + 1]));
        if (k == 1 && p->s->cluster_bandwidth_Bps < SCN_MIN_BANDWIDTH)
            return perr_tok(p, i + 1, "bandwidth '%.*s' is out of range (at least 1kbps = 125Bps)",
                            TK(&p->tok[i + 1]));
    }
    return 0;
}

static int cmd_platform(struct parser *p)
{
    if (once(p, &p->line_platform) || need(p, 1, "`cluster` or `file PATH`"))
        return -1;
    if (!strcmp(p->tok[1].s, "cluster"))
        return platform_cluster(p, 2);
    if (!strcmp(p->tok[1].s, "file"))
        return need(p, 2, "a platform file path") ? -1 : platform_file(p, 2);
    static const char *const kinds[] = {"cluster", "file"};
    return unknown_word(p, 1, "platform", kinds, 2);
}

/* ---- `set KEY VALUE` (scn_settings.h) ---- */

static const struct scn_setting scn_settings[SCN_SET_N] = {
#define SCN_X_ROW(ID, KEY, KIND, FIELD, DFLT, LO, HI, EXPECT, W0, W1, TW, WWHAT)                   \
    [SCN_SET_##                                                                                    \
        ID] = {KEY, KIND, offsetof(struct scn, FIELD), DFLT, LO, HI, EXPECT, {W0, W1}, TW, WWHAT},
    SCN_SETTINGS(SCN_X_ROW)
#undef SCN_X_ROW
};

/* Each field has the type its kind says. */
#define SCN_X_TYPE(ID, KEY, KIND, FIELD, ...)                                                      \
    _Static_assert(KIND != SCN_SK_DURATION || sizeof(((struct scn *)0)->FIELD) == sizeof(int64_t), \
                   KEY " is a duration: int64_t");                                                 \
    _Static_assert(KIND != SCN_SK_COUNT || sizeof(((struct scn *)0)->FIELD) == sizeof(uint32_t),   \
                   KEY " is a count: uint32_t");                                                   \
    _Static_assert(KIND != SCN_SK_SWITCH || sizeof(((struct scn *)0)->FIELD) == sizeof(bool),      \
                   KEY " is a switch: bool");
SCN_SETTINGS(SCN_X_TYPE)
#undef SCN_X_TYPE

const struct scn_setting *scn_setting_row(enum scn_set_key k)
{
    assert((unsigned)k < SCN_SET_N);
    return &scn_settings[k];
}

int64_t scn_setting_get(const struct scn *s, enum scn_set_key k)
{
    const struct scn_setting *st = scn_setting_row(k);
    const char *at = (const char *)s + st->offset;
    switch (st->kind) {
    case SCN_SK_DURATION:
        return *(const int64_t *)at;
    case SCN_SK_COUNT:
        return *(const uint32_t *)at;
    default:
        return *(const bool *)at;
    }
}

static void scn_setting_put(struct scn *s, enum scn_set_key k, int64_t v)
{
    const struct scn_setting *st = scn_setting_row(k);
    char *at = (char *)s + st->offset;
    assert(v >= st->lo && v <= st->hi);
    if (st->kind == SCN_SK_DURATION)
        *(int64_t *)at = v;
    else if (st->kind == SCN_SK_COUNT)
        *(uint32_t *)at = (uint32_t)v;
    else
        *(bool *)at = v != 0;
}

void scn_setting_text(const struct scn *s, enum scn_set_key k, char *buf, size_t cap)
{
    const struct scn_setting *st = scn_setting_row(k);
    int64_t v = scn_setting_get(s, k);
    if (st->kind == SCN_SK_DURATION)
        scn_fmt_duration(buf, cap, v);
    else if (st->kind == SCN_SK_COUNT)
        snprintf(buf, cap, "%llu", (unsigned long long)v);
    else
        snprintf(buf, cap, "%s", st->words[v ? st->true_word : 1 - st->true_word]);
}

/* A switch's value: one of its two words. */
static int set_switch(struct parser *p, enum scn_set_key k)
{
    const struct scn_setting *st = scn_setting_row(k);
    int w = find_word(st->words, 2, p->tok[2].s);
    if (w < 0)
        return unknown_word(p, 2, st->words_what, st->words, 2);
    scn_setting_put(p->s, k, (unsigned)w == st->true_word);
    return no_more(p, 3);
}

/* "heartbeat_period, suspect_timeout, ...": every key, for the error of an unknown one. */
static const char *set_keys_list(void)
{
    static char list[256]; /* the same text every time: built once */
    size_t at = 0;
    for (unsigned k = 0; k < SCN_SET_N && at < sizeof list; k++)
        at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", k ? ", " : "",
                               scn_settings[k].key);
    assert(at < sizeof list);
    return list;
}

static int cmd_set(struct parser *p)
{
    const char *keys[SCN_SET_N];
    for (unsigned k = 0; k < SCN_SET_N; k++)
        keys[k] = scn_settings[k].key;
    if (need(p, 1, "a setting name"))
        return -1;
    int k = find_word(keys, SCN_SET_N, p->tok[1].s);
    if (k < 0)
        return perr_tok(p, 1, "unknown setting '%.*s' (valid keys: %s)", TK(&p->tok[1]),
                        set_keys_list());
    const struct scn_setting *st = scn_setting_row((enum scn_set_key)k);
    if (p->line_set[k])
        return perr_tok(p, 1, "`set %s` given twice (first at line %u)", keys[k], p->line_set[k]);
    if (need(p, 2, st->expect))
        return -1;
    p->line_set[k] = p->line;
    p->col_set[k] = p->tok[2].col;
    if (st->kind == SCN_SK_SWITCH)
        return set_switch(p, (enum scn_set_key)k);
    if (st->kind == SCN_SK_DURATION) {
        int64_t v;
        if (val_positive(p, 2, &v))
            return -1;
        scn_setting_put(p->s, (enum scn_set_key)k, v);
        return no_more(p, 3);
    }
    uint64_t v = 0;
    if (val_uint(p, 2, (uint64_t)st->lo, (uint64_t)st->hi, &v))
        return -1;
    scn_setting_put(p->s, (enum scn_set_key)k, (int64_t)v);
    return no_more(p, 3);
}

static int add_proc(struct parser *p, uint32_t i, const char *name)
{
    struct scn *s = p->s;
    int prev = proc_lookup(p, name);
    if (prev >= 0)
        return perr_tok(p, i, "process '%s' is already declared (line %u)", name,
                        p->ppos[prev].line);
    if (scn_find_group(s, name) >= 0)
        return perr_tok(p, i, "'%s' is already the name of a group", name);
    if (s->n_procs >= SCN_MAX_PROCS)
        return perr_tok(p, i, "more than %d processes", SCN_MAX_PROCS);
    s->procs = grow(s->procs, &p->cap_procs, s->n_procs + 1, sizeof *s->procs);
    struct scn_proc *pr = &s->procs[s->n_procs];
    memset(pr, 0, sizeof *pr);
    snprintf(pr->name, sizeof pr->name, "%s", name);
    p->ppos[s->n_procs] = (struct proc_pos){.line = p->line};
    proc_insert(p, s->n_procs++);
    return 0;
}

static int cmd_processes(struct parser *p)
{
    if (need(p, 1, "process names or ranges (like p1..p5)"))
        return -1;
    for (uint32_t i = 1; i < p->ntok; i++) {
        struct range r;
        char name[SCN_NAME_MAX];
        int kind = tok_range(p, i, &r);
        if (kind < 0)
            return -1;
        for (uint32_t k = r.lo; kind == 1 && k <= r.hi; k++) {
            range_name(&p->tok[i], &r, k, name);
            if (add_proc(p, i, name))
                return -1;
        }
        if (kind == 1)
            continue;
        if (val_name(p, i, "process", false, name))
            return -1;
        if (!strcmp(name, "group"))
            return perr_tok(p, i, "'group' cannot name a process (`send` uses it as a keyword)");
        if (!strcmp(name, "clients") || !strcmp(name, "clients-in-view"))
            return perr_tok(p, i, "'%s' cannot name a process (`group` uses it as a keyword)",
                            name);
        if (add_proc(p, i, name))
            return -1;
    }
    return 0;
}

static int cmd_place(struct parser *p)
{
    uint32_t proc;
    if (need(p, 1, "a process") || want_proc(p, 1, &proc) || need(p, 2, "a host name"))
        return -1;
    struct scn_proc *pr = &p->s->procs[proc];
    if (pr->place_line)
        return perr_tok(p, 1, "process '%s' is already placed (line %u)", p->tok[1].s,
                        pr->place_line);
    if (val_name(p, 2, "host", true, pr->host))
        return -1;
    pr->place_line = p->line;
    pr->place_col = p->tok[2].col;
    return no_more(p, 3);
}

static int cmd_group(struct parser *p)
{
    struct scn *s = p->s;
    char name[SCN_NAME_MAX];
    if (need(p, 1, "a group name") || val_name(p, 1, "group", false, name))
        return -1;
    if (scn_find_group(s, name) >= 0)
        return perr_tok(p, 1, "group '%s' is already declared", name);
    if (proc_lookup(p, name) >= 0)
        return perr_tok(p, 1, "'%s' is already the name of a process", name);
    if (need(p, 2, "the members of the group"))
        return -1;
    uint32_t c = 2;
    while (c < p->ntok && strcmp(p->tok[c].s, "clients") && strcmp(p->tok[c].s, "clients-in-view"))
        c++;
    if (c == 2)
        return perr_tok(p, 2, "`group` needs at least one member before `%s`", p->tok[2].s);
    if (c < p->ntok && need(p, c + 1, "the clients of the group"))
        return -1;
    if (s->n_groups >= SCN_MAX_GROUPS)
        return perr_tok(p, 0, "more than %d groups", SCN_MAX_GROUPS);
    s->groups = grow(s->groups, &p->cap_groups, s->n_groups + 1, sizeof *s->groups);
    struct scn_group *g = &s->groups[s->n_groups++];
    memset(g, 0, sizeof *g);
    memcpy(g->name, name, sizeof g->name);
    g->line = p->line;
    g->col = p->tok[1].col;
    g->clients_in_view = c < p->ntok && !strcmp(p->tok[c].s, "clients-in-view");
    uint32_t n = 0;
    set_begin(p, "");
    p->set_cap = SCN_MAX_MEMBERS;
    p->cap_what = "members";
    if (resolve_procs(p, 2, c, &n))
        return -1;
    assert(n >= 1 && n <= SCN_MAX_MEMBERS);
    uint32_t nm = n;
    p->dup_hint = " (among the members and clients of the group)";
    p->set_cap = SCN_MAX_CLIENTS;
    p->cap_base = nm;
    p->cap_what = "clients";
    if (c < p->ntok && resolve_procs(p, c + 1, p->ntok, &n))
        return -1;
    g->members = copy_scratch(p, nm);
    g->n_members = nm;
    if (n > nm) {
        g->clients = malloc((n - nm) * sizeof *g->clients);
        assert(g->clients);
        memcpy(g->clients, p->scratch + nm, (n - nm) * sizeof *g->clients);
        g->n_clients = n - nm;
    }
    return 0;
}

static bool in_list(const uint32_t *a, uint32_t n, uint32_t x)
{
    for (uint32_t i = 0; i < n; i++)
        if (a[i] == x)
            return true;
    return false;
}

/* A client sends cbcast only (to the members); a diffusion comes from a member. */
static int check_client_sends(struct parser *p, const struct scn_workload *w,
                              const struct wl_pos *wp)
{
    const struct scn_group *g = &p->s->groups[w->group];
    for (uint32_t i = 0; i < w->n_senders; i++) {
        if (!in_list(g->clients, g->n_clients, w->senders[i]) || w->order == SCN_ORDER_CBCAST)
            continue;
        const char *who = p->s->procs[w->senders[i]].name;
        if (w->order == SCN_ORDER_DIFFUSION)
            return perr(p, p->line, wp->col_order,
                        "%s is a client of %s: a diffusion is multicast by members", who, g->name);
        return perr(p, p->line, wp->col_order ? wp->col_order : wp->col_send,
                    "%s is a client of %s: a client sends `order cbcast` only", who, g->name);
    }
    return 0;
}

static int val_order(struct parser *p, uint32_t i, enum scn_order *o)
{
    static const char *const orders[] = {"fifo", "cbcast", "abcast", "p2p", "diffusion"};
    int k = find_word(orders, SCN_ORDER_N, p->tok[i].s);
    if (k < 0)
        return unknown_word(p, i, "order", orders, SCN_ORDER_N);
    *o = (enum scn_order)k;
    return 0;
}

/* A domain name at token i: its index, declared on first use. */
static int want_domain(struct parser *p, uint32_t i, uint32_t *out)
{
    struct scn *s = p->s;
    char name[SCN_NAME_MAX];
    if (val_name(p, i, "domain", false, name))
        return -1;
    for (uint32_t d = 0; d < s->n_domains; d++) {
        if (!strcmp(s->domains[d], name)) {
            *out = d;
            return 0;
        }
    }
    if (s->n_domains == SCN_MAX_DOMAINS)
        return perr_tok(p, i, "more than %d domains", SCN_MAX_DOMAINS);
    memcpy(s->domains[s->n_domains], name, SCN_NAME_MAX);
    *out = s->n_domains++;
    return 0;
}

/* `order`, `rate`, `size`, `start`, `stop` of a `send`, from token i on, any order, once each. */
static int send_options(struct parser *p, struct scn_workload *w, struct wl_pos *wp, uint32_t i)
{
    static const char *const keys[] = {"order", "rate", "size", "start", "stop", "domain"};
    static const char *const what[] = {"fifo, cbcast, abcast, p2p or diffusion",
                                       "a rate (like 50/s)",
                                       "a size (like 64B)",
                                       "a duration",
                                       "a duration",
                                       "a domain name"};
    unsigned seen = 0;
    bool p2p = w->group == SCN_NO_GROUP;
    for (; i < p->ntok; i += 2) {
        int k = find_word(keys, p2p ? 6 : 5, p->tok[i].s);
        if (k < 0)
            return unknown_word(p, i, "send option", keys, p2p ? 6 : 5);
        if (seen & (1u << k))
            return perr_tok(p, i, "`%s` given twice", keys[k]);
        seen |= 1u << k;
        if (need(p, i + 1, what[k]))
            return -1;
        int rc = k == 0   ? val_order(p, i + 1, &w->order)
                 : k == 1 ? val_rate(p, i + 1, &w->rate_per_s)
                 : k == 2 ? val_size(p, i + 1, &w->size_bytes)
                 : k == 3 ? val_duration(p, i + 1, &w->start_ns)
                 : k == 4 ? val_duration(p, i + 1, &w->stop_ns)
                          : want_domain(p, i + 1, &w->domain);
        if (rc)
            return -1;
        if (k == 0 && (w->order == SCN_ORDER_P2P) != p2p)
            return perr_tok(p, i + 1,
                            p2p ? "`send ... to P` is point-to-point: its order is p2p"
                                : "order p2p needs `to P` instead of `group G`");
        if (k == 0)
            wp->col_order = p->tok[i + 1].col;
        if (k == 3)
            wp->col_start = p->tok[i + 1].col;
        if (k == 4)
            wp->col_stop = p->tok[i + 1].col;
        wp->stop_given |= k == 4;
    }
    return 0;
}

static int cmd_send(struct parser *p)
{
    struct scn *s = p->s;
    uint32_t g = 1;
    while (g < p->ntok && strcmp(p->tok[g].s, "group") && strcmp(p->tok[g].s, "to"))
        g++;
    if (g == p->ntok)
        return perr_tok(p, 0, "`send` needs `group G` (or `to P`) after the senders");
    bool p2p = !strcmp(p->tok[g].s, "to");
    if (g == 1)
        return perr_tok(p, 1, "`send` needs at least one sender before `%s`", p->tok[g].s);
    if (s->n_workloads >= SCN_MAX_WORKLOADS)
        return perr_tok(p, 0, "more than %d `send` lines", SCN_MAX_WORKLOADS);
    s->workloads = grow(s->workloads, &p->cap_workloads, s->n_workloads + 1, sizeof *s->workloads);
    struct wl_pos *wp = &p->wpos[s->n_workloads];
    struct scn_workload *w = &s->workloads[s->n_workloads++];
    *w = (struct scn_workload){.order = SCN_ORDER_FIFO, .rate_per_s = 10, .size_bytes = 64};
    w->line = p->line;
    *wp = (struct wl_pos){.col_send = p->tok[0].col};
    uint32_t n = 0;
    set_begin(p, "");
    if (resolve_procs(p, 1, g, &n))
        return -1;
    w->senders = copy_scratch(p, n);
    w->n_senders = n;
    if (p2p) {
        w->group = SCN_NO_GROUP;
        w->order = SCN_ORDER_P2P;
        if (need(p, g + 1, "a process name") || want_proc(p, g + 1, &w->to))
            return -1;
        for (uint32_t k = 0; k < n; k++)
            if (w->senders[k] == w->to)
                return perr_tok(p, g + 1, "a process does not send p2p to itself");
        return send_options(p, w, wp, g + 2);
    }
    if (need(p, g + 1, "a group name") || want_group(p, g + 1, &w->group))
        return -1;
    if (send_options(p, w, wp, g + 2))
        return -1;
    return check_client_sends(p, w, wp);
}

/* `domain NAME GROUPS...`: puts groups in causality domain NAME. */
static int cmd_domain(struct parser *p)
{
    struct scn *s = p->s;
    uint32_t d;
    if (need(p, 1, "a domain name") || want_domain(p, 1, &d) || need(p, 2, "groups"))
        return -1;
    for (uint32_t i = 2; i < p->ntok; i++) {
        uint32_t g;
        if (want_group(p, i, &g))
            return -1;
        if (s->groups[g].domain != 0)
            return perr_tok(p, i, "group '%s' is already in domain '%s'", s->groups[g].name,
                            s->domains[s->groups[g].domain]);
        s->groups[g].domain = d;
    }
    return 0;
}

/* The group or (p2p) process a relay names at token i. */
static int relay_end(struct parser *p, uint32_t i, uint32_t *idx, bool *proc, bool from)
{
    *proc = false;
    if (from && !strcmp(p->tok[i].s, "p2p")) {
        *idx = SCN_NO_GROUP;
        return 0;
    }
    int g = scn_find_group(p->s, p->tok[i].s);
    if (g >= 0) {
        *idx = (uint32_t)g;
        return 0;
    }
    if (from)
        return want_group(p, i, idx);
    *proc = true;
    return want_proc(p, i, idx);
}

/* `relay PROCS from G|p2p to G|P [order O] [size S] [hops N]` */
static int cmd_relay(struct parser *p)
{
    struct scn *s = p->s;
    uint32_t f = 1;
    while (f < p->ntok && strcmp(p->tok[f].s, "from"))
        f++;
    if (f == 1 || f + 3 >= p->ntok || strcmp(p->tok[f + 2].s, "to"))
        return perr_tok(p, 0, "`relay` needs PROCS `from` G|p2p `to` G|P");
    uint32_t n = 0;
    set_begin(p, "");
    if (resolve_procs(p, 1, f, &n))
        return -1;
    struct scn_relay r = {.order = SCN_ORDER_CBCAST, .size_bytes = 64, .hops = 8, .line = p->line};
    if (relay_end(p, f + 1, &r.from, &r.to_proc, true) ||
        relay_end(p, f + 3, &r.to, &r.to_proc, false))
        return -1;
    if (r.to_proc)
        r.order = SCN_ORDER_P2P;
    static const char *const keys[] = {"order", "size", "hops"};
    for (uint32_t i = f + 4; i < p->ntok; i += 2) {
        int k = find_word(keys, 3, p->tok[i].s);
        if (k < 0)
            return unknown_word(p, i, "relay option", keys, 3);
        uint64_t hops;
        if (need(p, i + 1,
                 k == 0   ? "an order"
                 : k == 1 ? "a size"
                          : "a number of hops") ||
            (k == 0 && val_order(p, i + 1, &r.order)) ||
            (k == 1 && val_size(p, i + 1, &r.size_bytes)) ||
            (k == 2 && val_uint(p, i + 1, 1, SCN_MAX_HOPS, &hops)))
            return -1;
        if (k == 2)
            r.hops = (uint32_t)hops;
        if (k == 0 && (r.order == SCN_ORDER_FIFO || (r.order == SCN_ORDER_P2P) != r.to_proc))
            return perr_tok(p, i + 1, "a relay to a %s has order %s",
                            r.to_proc ? "process" : "group",
                            r.to_proc ? "p2p" : "cbcast or abcast");
    }
    if (s->n_relays + n > SCN_MAX_RELAYS)
        return perr_tok(p, 0, "more than %d relays", SCN_MAX_RELAYS);
    s->relays = realloc(s->relays, (s->n_relays + n) * sizeof *s->relays);
    assert(s->relays);
    for (uint32_t k = 0; k < n; k++) {
        r.proc = p->scratch[k];
        s->relays[s->n_relays++] = r;
    }
    return 0;
}

/* ---- timeline events: `at T KIND ARGS`; args start at token 3 ---- */

static int ev_proc(struct parser *p, struct scn_fault *f, struct fault_pos *fp)
{
    if (need(p, 3, "a process") || want_proc(p, 3, &f->proc))
        return -1;
    fp->col_arg = p->tok[3].col;
    return no_more(p, 4);
}

static int ev_heal(struct parser *p, struct scn_fault *f, struct fault_pos *fp)
{
    return no_more(p, 3);
}

static int ev_prob(struct parser *p, struct scn_fault *f, struct fault_pos *fp)
{
    if (need(p, 3, "a percentage (like 10%)") || val_percent(p, 3, &f->prob))
        return -1;
    return no_more(p, 4);
}

static int ev_delay(struct parser *p, struct scn_fault *f, struct fault_pos *fp)
{
    if (need(p, 3, "a delay (like 1ms)") || val_duration(p, 3, &f->delay_ns))
        return -1;
    if (p->ntok <= 4)
        return 0;
    if (strcmp(p->tok[4].s, "jitter"))
        return perr_tok(p, 4, "unexpected '%.*s' (expected `jitter T`)", TK(&p->tok[4]));
    if (need(p, 5, "a jitter (like 4ms)") || val_duration(p, 5, &f->jitter_ns))
        return -1;
    return no_more(p, 6);
}

static int ev_sabotage(struct parser *p, struct scn_fault *f, struct fault_pos *fp)
{
    if (need(p, 3, "drop, duplicate, reorder, misattribute, late or forge-view"))
        return -1;
    int k = find_word(scn_sabotage_names, SCN_N_SABOTAGE, p->tok[3].s);
    if (k < 0)
        return unknown_word(p, 3, "sabotage", scn_sabotage_names, SCN_N_SABOTAGE);
    f->sabotage = (enum scn_sabotage)k;
    if (need(p, 4, "a process") || want_proc(p, 4, &f->proc))
        return -1;
    fp->col_arg = p->tok[4].col;
    return no_more(p, 5);
}

/* `join P G` / `leave P G` / `flush P G`: a membership change of a process
 * group, or a pg_flush call. */
static int ev_member(struct parser *p, struct scn_fault *f, struct fault_pos *fp)
{
    if (need(p, 3, "a process") || want_proc(p, 3, &f->proc))
        return -1;
    fp->col_arg = p->tok[3].col;
    if (need(p, 4, "a group") || want_group(p, 4, &f->group))
        return -1;
    return no_more(p, 5);
}

static int ev_cut(struct parser *p, struct scn_fault *f, struct fault_pos *fp)
{
    if (need(p, 3, "a process") || want_proc(p, 3, &f->from) || need(p, 4, "'->' or '<->'"))
        return -1;
    const char *arrow = p->tok[4].s;
    if (strcmp(arrow, "->") && strcmp(arrow, "<->"))
        return perr_tok(p, 4, "expected '->' or '<->', not '%.*s'", TK(&p->tok[4]));
    f->bidir = arrow[0] == '<';
    if (need(p, 5, "a process") || want_proc(p, 5, &f->to))
        return -1;
    if (f->from == f->to)
        return perr_tok(p, 5, "a cut needs two different processes");
    return no_more(p, 6);
}

static int ev_partition(struct parser *p, struct scn_fault *f, struct fault_pos *fp)
{
    uint32_t bars = 0;
    for (uint32_t k = 3; k < p->ntok; k++)
        bars += p->tok[k].s[0] == '|';
    if (bars == 0)
        return perr_tok(p, 2,
                        "`partition` needs at least two blocks separated by '|', like "
                        "p1 p2 | p3 p4");
    if (bars + 1 > SCN_MAX_BLOCKS)
        return perr_tok(p, 2, "a partition has at most %d blocks", SCN_MAX_BLOCKS);
    f->n_blocks = bars + 1;
    f->blocks = calloc(f->n_blocks, sizeof *f->blocks);
    f->block_len = calloc(f->n_blocks, sizeof *f->block_len);
    assert(f->blocks && f->block_len);
    set_begin(p, " (a process is in at most one block)"); /* one set over all blocks */
    uint32_t b = 0, start = 3;
    for (uint32_t k = 3; k <= p->ntok; k++) {
        if (k < p->ntok && p->tok[k].s[0] != '|')
            continue;
        if (k == start)
            return perr_tok(p, k < p->ntok ? k : k - 1, "empty block in `partition`");
        uint32_t n = 0;
        if (resolve_procs(p, start, k, &n))
            return -1;
        assert(b < f->n_blocks && n > 0);
        f->blocks[b] = copy_scratch(p, n);
        f->block_len[b++] = n;
        start = k + 1;
    }
    assert(b == f->n_blocks);
    return 0;
}

/* ---- hierarchical groups (core/include/tools/hier.h): hier, hier-clients, hier-requests,
 * hier-mcast ---- */

static int want_hier(struct parser *p, uint32_t i)
{
    if (!p->s->hier.on)
        return perr_tok(p, i, "no hierarchical group yet (declare it with `hier NAME root G ...`)");
    if (strcmp(p->tok[i].s, p->s->hier.name))
        return perr_tok(p, i, "unknown hierarchical group '%.64s' (the scenario's is '%s')",
                        p->tok[i].s, p->s->hier.name);
    return 0;
}

/* Group index at token i that a hierarchical group may use (declared, not used twice). */
static int hier_group(struct parser *p, uint32_t i, uint32_t *g)
{
    struct scn_hier *h = &p->s->hier;
    if (want_group(p, i, g))
        return -1;
    bool dup = *g == h->root && i > 3;
    for (uint32_t k = 0; k < h->n_sub; k++)
        dup |= h->subs[k] == *g;
    if (dup)
        return perr_tok(p, i, "group '%s' is used twice in the hierarchical group", p->tok[i].s);
    if (p->s->groups[*g].n_members > SCN_MAX_HIER_DIR)
        return perr_tok(p, i,
                        "group '%s' has more than %d members (a hierarchical group's root "
                        "and subgroups have at most %d)",
                        p->tok[i].s, SCN_MAX_HIER_DIR, SCN_MAX_HIER_DIR);
    if (p->s->groups[*g].n_clients > 0)
        return perr_tok(p, i, "group '%s' has clients; a hierarchical group binds its own",
                        p->tok[i].s);
    return 0;
}

static int hier_options(struct parser *p, uint32_t i)
{
    struct scn_hier *h = &p->s->hier;
    static const char *const keys[] = {"keys", "ranges", "policy"};
    for (; i < p->ntok; i += 2) {
        int k = find_word(keys, 3, p->tok[i].s);
        if (k < 0)
            return unknown_word(p, i, "hier option", keys, 3);
        uint64_t v;
        if (k == 2) {
            if (need(p, i + 1, "least-loaded or hash"))
                return -1;
            static const char *const pol[] = {"least-loaded", "hash"};
            int w = find_word(pol, 2, p->tok[i + 1].s);
            if (w < 0)
                return unknown_word(p, i + 1, "policy", pol, 2);
            h->hash_policy = w == 1;
            continue;
        }
        if (need(p, i + 1, "a whole number") || val_uint(p, i + 1, 1, k == 0 ? 1u << 20 : 256, &v))
            return -1;
        if (k == 0)
            h->n_keys = (uint32_t)v;
        else
            h->n_ranges = (uint32_t)v;
    }
    if (h->n_keys < h->n_ranges || (h->n_keys + h->n_ranges - 1) / h->n_ranges > 64)
        return perr_tok(p, 0, "%u keys in %u ranges: a range holds 1 to 64 keys", h->n_keys,
                        h->n_ranges);
    return 0;
}

/* `hier NAME root G subgroups G... [keys N] [ranges N] [policy least-loaded|hash]` */
static int cmd_hier(struct parser *p)
{
    struct scn_hier *h = &p->s->hier;
    if (h->on)
        return perr_tok(p, 0, "a scenario has at most one hierarchical group (line %u)", h->line);
    char name[SCN_NAME_MAX];
    if (need(p, 1, "a name") || val_name(p, 1, "hierarchical group", false, name))
        return -1;
    if (need(p, 2, "`root G`") || strcmp(p->tok[2].s, "root"))
        return perr_tok(p, 2, "expected `root G` after the name");
    h->on = true;
    memcpy(h->name, name, sizeof h->name);
    h->line = p->line;
    h->n_keys = 64;
    h->n_ranges = 8;
    if (need(p, 3, "the root group") || hier_group(p, 3, &h->root))
        return -1;
    if (need(p, 4, "`subgroups G...`") || strcmp(p->tok[4].s, "subgroups"))
        return perr_tok(p, 4, "expected `subgroups G...` after the root");
    uint32_t i = 5;
    h->subs = calloc(SCN_MAX_HIER_SUB, sizeof *h->subs);
    assert(h->subs);
    for (; i < p->ntok && scn_find_group(p->s, p->tok[i].s) >= 0; i++) {
        if (h->n_sub == SCN_MAX_HIER_SUB)
            return perr_tok(p, i, "more than %d subgroups", SCN_MAX_HIER_SUB);
        uint32_t g;
        if (hier_group(p, i, &g))
            return -1;
        h->subs[h->n_sub++] = g;
    }
    if (h->n_sub == 0)
        return need(p, 5, "subgroups") ? -1 : hier_group(p, 5, &h->root);
    return hier_options(p, i);
}

/* `hier-clients NAME PROCS... [stagger T]` */
static int cmd_hier_clients(struct parser *p)
{
    struct scn_hier *h = &p->s->hier;
    if (need(p, 1, "the hierarchical group's name") || want_hier(p, 1))
        return -1;
    if (h->n_clients)
        return perr_tok(p, 0, "the clients of '%s' are already listed", h->name);
    uint32_t end = 2;
    while (end < p->ntok && strcmp(p->tok[end].s, "stagger"))
        end++;
    if (end == 2)
        return perr_tok(p, 0, "`hier-clients` needs at least one process");
    uint32_t n = 0;
    set_begin(p, "");
    if (resolve_procs(p, 2, end, &n))
        return -1;
    h->clients = copy_scratch(p, n);
    h->n_clients = n;
    if (end < p->ntok &&
        (need(p, end + 1, "a duration") || val_duration(p, end + 1, &h->stagger_ns)))
        return -1;
    return no_more(p, end < p->ntok ? end + 2 : end);
}

/* `rate R start T stop T` from token i (all three required, this order). */
static int hier_rate(struct parser *p, uint32_t i, double *rate, int64_t *start, int64_t *stop)
{
    static const char *const kw[] = {"rate", "start", "stop"};
    for (int k = 0; k < 3; k++, i += 2) {
        if (need(p, i, kw[k]) || strcmp(p->tok[i].s, kw[k]))
            return perr_tok(p, i < p->ntok ? i : p->ntok - 1, "expected `%s`", kw[k]);
        if (need(p, i + 1, k ? "a duration" : "a rate (like 5/s)"))
            return -1;
        if (k == 0 ? val_rate(p, i + 1, rate) : val_duration(p, i + 1, k == 1 ? start : stop))
            return -1;
    }
    if (*stop <= *start)
        return perr_tok(p, i - 1, "`stop` must come after `start`");
    return no_more(p, i);
}

/* `hier-requests NAME rate R start T stop T`: every client, keyed requests. */
static int cmd_hier_requests(struct parser *p)
{
    struct scn_hier *h = &p->s->hier;
    if (need(p, 1, "the hierarchical group's name") || want_hier(p, 1))
        return -1;
    if (h->requests)
        return perr_tok(p, 0, "the requests of '%s' are already given", h->name);
    h->requests = true;
    return hier_rate(p, 2, &h->req_rate_per_s, &h->req_start_ns, &h->req_stop_ns);
}

static bool hier_is_sub_member(const struct scn *s, uint32_t proc)
{
    for (uint32_t k = 0; k < s->hier.n_sub; k++) {
        const struct scn_group *g = &s->groups[s->hier.subs[k]];
        for (uint32_t i = 0; i < g->n_members; i++)
            if (g->members[i] == proc)
                return true;
    }
    return false;
}

/* `hier-mcast NAME PROCS... order local|global rate R start T stop T` */
static int cmd_hier_mcast(struct parser *p)
{
    struct scn_hier *h = &p->s->hier;
    if (need(p, 1, "the hierarchical group's name") || want_hier(p, 1))
        return -1;
    if (h->n_mcast == SCN_MAX_HIER_MCAST)
        return perr_tok(p, 0, "more than %d `hier-mcast` lines", SCN_MAX_HIER_MCAST);
    uint32_t o = 2;
    while (o < p->ntok && strcmp(p->tok[o].s, "order"))
        o++;
    if (o == 2 || o == p->ntok)
        return perr_tok(p, o == p->ntok ? 0 : o,
                        "`hier-mcast` needs senders, then `order local|global`");
    struct scn_hier_mcast *m = &h->mcast[h->n_mcast];
    uint32_t n = 0;
    set_begin(p, "");
    if (resolve_procs(p, 2, o, &n))
        return -1;
    for (uint32_t k = 0; k < n; k++)
        if (!hier_is_sub_member(p->s, p->scratch[k]))
            return perr_tok(p, 2, "%s is not a member of a subgroup of '%s'",
                            p->s->procs[p->scratch[k]].name, h->name);
    static const char *const kinds[] = {"local", "global"};
    if (need(p, o + 1, "local or global"))
        return -1;
    int k = find_word(kinds, 2, p->tok[o + 1].s);
    if (k < 0)
        return unknown_word(p, o + 1, "full-set order", kinds, 2);
    *m = (struct scn_hier_mcast){.global = k == 1, .line = p->line};
    if (hier_rate(p, o + 2, &m->rate_per_s, &m->start_ns, &m->stop_ns))
        return -1;
    m->senders = copy_scratch(p, n);
    m->n_senders = n;
    h->n_mcast++;
    return 0;
}

/* `at T hier-move NAME RANGE SUBGROUP` */
static int ev_hier_move(struct parser *p, struct scn_fault *f, struct fault_pos *fp)
{
    struct scn_hier *h = &p->s->hier;
    uint64_t r;
    if (need(p, 3, "the hierarchical group's name") || want_hier(p, 3) ||
        need(p, 4, "a key range number") || val_uint(p, 4, 0, h->n_ranges - 1, &r) ||
        need(p, 5, "a subgroup") || want_group(p, 5, &f->to))
        return -1;
    bool sub = false;
    for (uint32_t k = 0; k < h->n_sub; k++)
        sub |= h->subs[k] == f->to;
    if (!sub)
        return perr_tok(p, 5, "'%s' is not a subgroup of '%s'", p->tok[5].s, h->name);
    f->from = (uint32_t)r;
    fp->col_arg = p->tok[4].col;
    return no_more(p, 6);
}

/* `at T hier-rebalance NAME` */
static int ev_hier_rebalance(struct parser *p, struct scn_fault *f, struct fault_pos *fp)
{
    (void)f, (void)fp;
    if (need(p, 3, "the hierarchical group's name") || want_hier(p, 3))
        return -1;
    return no_more(p, 4);
}

struct event_kind {
    const char *name;
    enum scn_fault_kind kind;
    int (*parse)(struct parser *p, struct scn_fault *f, struct fault_pos *fp);
};

static const struct event_kind event_kinds[] = {
    {"crash", SCN_F_CRASH, ev_proc},
    {"restart", SCN_F_RESTART, ev_proc},
    {"partition", SCN_F_PARTITION, ev_partition},
    {"cut", SCN_F_CUT, ev_cut},
    {"isolate", SCN_F_ISOLATE, ev_proc},
    {"heal", SCN_F_HEAL, ev_heal},
    {"loss", SCN_F_LOSS, ev_prob},
    {"duplicate", SCN_F_DUPLICATE, ev_prob},
    {"delay", SCN_F_DELAY, ev_delay},
    {"garble", SCN_F_GARBLE, ev_prob},
    {"sabotage", SCN_F_SABOTAGE, ev_sabotage},
    {"join", SCN_F_JOIN, ev_member},
    {"leave", SCN_F_LEAVE, ev_member},
    {"flush", SCN_F_FLUSH, ev_member},
    {"hier-move", SCN_F_HIER_MOVE, ev_hier_move},
    {"hier-rebalance", SCN_F_HIER_REBALANCE, ev_hier_rebalance},
};
#define SCN_N_EVENTS (sizeof event_kinds / sizeof event_kinds[0])

static int cmd_at(struct parser *p)
{
    struct scn *s = p->s;
    int64_t at;
    if (need(p, 1, "a time (like 2s)") || val_duration(p, 1, &at) ||
        need(p, 2, "an event (crash, restart, partition, cut, isolate, heal, loss, ...)"))
        return -1;
    int k = -1;
    for (size_t i = 0; i < SCN_N_EVENTS && k < 0; i++)
        if (!strcmp(event_kinds[i].name, p->tok[2].s))
            k = (int)i;
    if (k < 0) {
        const char *names[SCN_N_EVENTS];
        for (size_t i = 0; i < SCN_N_EVENTS; i++)
            names[i] = event_kinds[i].name;
        return unknown_word(p, 2, "event", names, SCN_N_EVENTS);
    }
    if (s->n_faults >= SCN_MAX_FAULTS)
        return perr_tok(p, 0, "more than %d timeline events", SCN_MAX_FAULTS);
    s->faults = grow(s->faults, &p->cap_faults, s->n_faults + 1, sizeof *s->faults);
    struct fault_pos *fp = &p->fpos[s->n_faults];
    struct scn_fault *f = &s->faults[s->n_faults++];
    *f = (struct scn_fault){.at_ns = at, .kind = event_kinds[k].kind, .line = p->line};
    *fp = (struct fault_pos){.line = p->line, .col_at = p->tok[1].col, .col_arg = p->tok[2].col};
    return event_kinds[k].parse(p, f, fp);
}

static int cmd_run(struct parser *p)
{
    if (once(p, &p->line_run) || need(p, 1, "a duration (like 10s)"))
        return -1;
    if (val_positive(p, 1, &p->s->run_ns))
        return -1;
    return no_more(p, 2);
}

static int cmd_quiet(struct parser *p)
{
    if (once(p, &p->line_quiet) || need(p, 1, "a duration (like 3s)"))
        return -1;
    p->col_quiet = p->tok[1].col;
    if (val_duration(p, 1, &p->s->quiet_ns))
        return -1;
    return no_more(p, 2);
}

const char *const scn_bound_names[SCN_BOUND_N] = {
    "datagrams", "link_retained_max", "pg_retained_max", "forwarded", "control",
};

/* `bound KEY N` */
static int cmd_bound(struct parser *p)
{
    struct scn *s = p->s;
    if (need(p, 1, "a counter (datagrams, link_retained_max, pg_retained_max, forwarded, control)"))
        return -1;
    int k = find_word(scn_bound_names, SCN_BOUND_N, p->tok[1].s);
    if (k < 0)
        return unknown_word(p, 1, "bound counter", scn_bound_names, SCN_BOUND_N);
    if (s->n_bounds == SCN_MAX_BOUNDS)
        return perr_tok(p, 0, "too many `bound` lines (at most %d)", SCN_MAX_BOUNDS);
    if (need(p, 2, "the largest value allowed (a whole number)"))
        return -1;
    struct scn_bound *b = &s->bounds[s->n_bounds];
    if (val_uint(p, 2, 0, UINT64_MAX, &b->max))
        return -1;
    b->key = (enum scn_bound_key)k;
    b->line = p->line;
    s->n_bounds++;
    return no_more(p, 3);
}

static int cmd_expect(struct parser *p)
{
    struct scn *s = p->s;
    if (once(p, &p->line_expect) || need(p, 1, "`pass` or `violation RULE`"))
        return -1;
    if (!strcmp(p->tok[1].s, "pass"))
        return no_more(p, 2);
    if (strcmp(p->tok[1].s, "violation"))
        return perr_tok(p, 1, "expected `pass` or `violation RULE`, not '%.*s'", TK(&p->tok[1]));
    if (need(p, 2, "a rule name or checkers/TRACE.md number"))
        return -1;
    const char *r = p->tok[2].s;
    int k = find_word(scn_rules, SCN_N_RULES, r);
    for (int n = 1; n <= 10 && k < 0; n++) { /* checkers/TRACE.md numbers rules 1-10 */
        char num[4];
        snprintf(num, sizeof num, "%d", n);
        k = strcmp(r, num) ? -1 : n - 1;
    }
    if (k < 0 && is_digit(r[0]))
        return perr_tok(p, 2,
                        "no rule numbered '%.*s' (checkers/TRACE.md numbers its rules 1 to 10)",
                        TK(&p->tok[2]));
    if (k < 0)
        return unknown_word(p, 2, "rule", scn_rules, SCN_N_RULES);
    s->expect = SCN_EXPECT_VIOLATION;
    snprintf(s->expect_rule, sizeof s->expect_rule, "%s", scn_rules[k]);
    return no_more(p, 3);
}

struct command {
    const char *name;
    int (*parse)(struct parser *p);
};

static const struct command commands[] = {
    {"name", cmd_name},
    {"seed", cmd_seed},
    {"platform", cmd_platform},
    {"set", cmd_set},
    {"processes", cmd_processes},
    {"place", cmd_place},
    {"group", cmd_group},
    {"send", cmd_send},
    {"at", cmd_at},
    {"run", cmd_run},
    {"quiet", cmd_quiet},
    {"expect", cmd_expect},
    {"domain", cmd_domain},
    {"relay", cmd_relay},
    {"bound", cmd_bound},
    {"hier", cmd_hier},
    {"hier-clients", cmd_hier_clients},
    {"hier-requests", cmd_hier_requests},
    {"hier-mcast", cmd_hier_mcast},
};
#define SCN_N_COMMANDS (sizeof commands / sizeof commands[0])

static int parse_command(struct parser *p)
{
    assert(p->ntok > 0);
    for (size_t i = 0; i < SCN_N_COMMANDS; i++)
        if (!strcmp(commands[i].name, p->tok[0].s))
            return commands[i].parse(p);
    const char *names[SCN_N_COMMANDS];
    for (size_t i = 0; i < SCN_N_COMMANDS; i++)
        names[i] = commands[i].name;
    return unknown_word(p, 0, "keyword", names, SCN_N_COMMANDS);
}

/* ---- the semantic pass ---- */

void scn_fmt_duration(char *buf, size_t cap, int64_t ns)
{
    static const struct {
        const char *unit;
        int64_t mult;
        int digits;
    } u[] = {{"s", 1000000000, 9}, {"ms", 1000000, 6}, {"us", 1000, 3}, {"ns", 1, 0}};
    size_t k = 0;
    while (k < 3 && ns < u[k].mult && ns != 0)
        k++;
    int64_t whole = ns / u[k].mult, frac = ns % u[k].mult;
    if (frac == 0) {
        snprintf(buf, cap, "%lld%s", (long long)whole, u[k].unit);
        return;
    }
    char f[16];
    snprintf(f, sizeof f, "%0*lld", u[k].digits, (long long)frac);
    for (size_t e = strlen(f); e > 0 && f[e - 1] == '0'; e--)
        f[e - 1] = '\0';
    snprintf(buf, cap, "%lld.%s%s", (long long)whole, f, u[k].unit);
}

/* The built-in cluster's hosts are h0 .. h(n_procs - 1). */
static void check_hosts(struct parser *p)
{
    const struct scn *s = p->s;
    if (s->platform_file[0])
        return;
    for (uint32_t i = 0; i < s->n_procs; i++) {
        const char *h = s->procs[i].host;
        uint32_t k;
        if (!h[0] || (h[0] == 'h' && range_num(h + 1, strlen(h + 1), &k) && k < s->n_procs))
            continue;
        perr(p, s->procs[i].place_line, s->procs[i].place_col,
             "host '%s' is not in the built-in cluster (hosts h0..h%u); use `platform file` for "
             "other hosts",
             h, s->n_procs - 1);
    }
}

/* Fills each default stop (the start of the quiet period) and checks start < stop <= end. */
static void check_workloads(struct parser *p)
{
    struct scn *s = p->s;
    int64_t end = s->run_ns - s->quiet_ns;
    char a[32], b[32], r[32], q[32];
    scn_fmt_duration(r, sizeof r, s->run_ns);
    scn_fmt_duration(q, sizeof q, s->quiet_ns);
    scn_fmt_duration(b, sizeof b, end);
    for (uint32_t i = 0; i < s->n_workloads; i++) {
        struct scn_workload *w = &s->workloads[i];
        const struct wl_pos *wp = &p->wpos[i];
        if (!wp->stop_given)
            w->stop_ns = end;
        scn_fmt_duration(a, sizeof a, w->stop_ns);
        if (w->stop_ns > s->run_ns)
            perr(p, w->line, wp->col_stop, "send stops at %s, after the run ends at %s", a, r);
        else if (w->stop_ns > end)
            perr(p, w->line, wp->col_stop,
                 "send stops at %s, inside the quiet period (from %s = run %s - quiet %s): use "
                 "`stop %s` or earlier",
                 a, b, r, q, b);
        if (w->start_ns < w->stop_ns)
            continue;
        char st[32];
        scn_fmt_duration(st, sizeof st, w->start_ns);
        perr(p, w->line, wp->col_start ? wp->col_start : wp->col_send,
             "send starts at %s, not before it stops at %s", st, a);
    }
}

static void check_fault_times(struct parser *p)
{
    const struct scn *s = p->s;
    int64_t end = s->run_ns - s->quiet_ns;
    char a[32], b[32], r[32], q[32];
    scn_fmt_duration(r, sizeof r, s->run_ns);
    scn_fmt_duration(q, sizeof q, s->quiet_ns);
    scn_fmt_duration(b, sizeof b, end);
    for (uint32_t i = 0; i < s->n_faults; i++) {
        const struct scn_fault *f = &s->faults[i];
        const struct fault_pos *fp = &p->fpos[i];
        scn_fmt_duration(a, sizeof a, f->at_ns);
        if (f->at_ns > s->run_ns)
            perr(p, fp->line, fp->col_at, "event at %s is after the run ends at %s", a, r);
        else if (s->quiet_ns > 0 && f->at_ns >= end)
            perr(p, fp->line, fp->col_at,
                 "event at %s is inside the quiet period (from %s = run %s - quiet %s); "
                 "timeline events must come before it",
                 a, b, r, q);
    }
}

struct fault_key {
    int64_t at_ns;
    uint32_t idx;
};

static int fault_key_cmp(const void *a, const void *b)
{
    const struct fault_key *x = a, *y = b;
    if (x->at_ns != y->at_ns)
        return x->at_ns < y->at_ns ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Sorts the faults (and their positions) by time, stable in file order. */
static void sort_faults(struct parser *p)
{
    struct scn *s = p->s;
    uint32_t n = s->n_faults;
    if (n < 2)
        return;
    struct fault_key *k = malloc(n * sizeof *k);
    struct scn_fault *f = malloc(n * sizeof *f);
    struct fault_pos *fp = malloc(n * sizeof *fp);
    assert(k && f && fp);
    for (uint32_t i = 0; i < n; i++)
        k[i] = (struct fault_key){s->faults[i].at_ns, i};
    qsort(k, n, sizeof *k, fault_key_cmp);
    for (uint32_t i = 0; i < n; i++) {
        f[i] = s->faults[k[i].idx];
        fp[i] = p->fpos[k[i].idx];
        assert(i == 0 || f[i - 1].at_ns <= f[i].at_ns);
    }
    memcpy(s->faults, f, n * sizeof *f);
    memcpy(p->fpos, fp, n * sizeof *fp);
    free(k);
    free(f);
    free(fp);
}

/* In time order: no crash of a crashed process, no restart of a live one. */
static void check_lives(struct parser *p)
{
    const struct scn *s = p->s;
    uint32_t *down = calloc(s->n_procs + 1, sizeof *down); /* crash fault index + 1, 0 = up */
    assert(down);
    for (uint32_t i = 0; i < s->n_faults; i++) {
        const struct scn_fault *f = &s->faults[i];
        const struct fault_pos *fp = &p->fpos[i];
        if (f->kind != SCN_F_CRASH && f->kind != SCN_F_RESTART)
            continue;
        assert(f->proc < s->n_procs);
        const char *name = s->procs[f->proc].name;
        char a[32], b[32];
        scn_fmt_duration(a, sizeof a, f->at_ns);
        uint32_t d = down[f->proc];
        if (f->kind == SCN_F_CRASH && d) {
            scn_fmt_duration(b, sizeof b, s->faults[d - 1].at_ns);
            perr(p, fp->line, fp->col_arg,
                 "%s is already crashed at %s (crash at %s, line %u); `restart` it first", name, a,
                 b, p->fpos[d - 1].line);
        } else if (f->kind == SCN_F_RESTART && !d) {
            perr(p, fp->line, fp->col_arg,
                 "%s is not crashed at %s; `restart` needs an earlier `crash`", name, a);
        } else {
            down[f->proc] = f->kind == SCN_F_CRASH ? i + 1 : 0;
        }
    }
    free(down);
}

/* Which groups run the process-group layer (scn_group.pg): those with
 * non-fifo traffic, clients, a relay, a domain, or a join, leave or flush.
 * Such a group's traffic cannot also be fifo. */
static void check_group_modes(struct parser *p)
{
    struct scn *s = p->s;
    for (uint32_t i = 0; i < s->n_workloads; i++)
        if (s->workloads[i].group != SCN_NO_GROUP)
            s->groups[s->workloads[i].group].pg |= s->workloads[i].order != SCN_ORDER_FIFO;
    for (uint32_t i = 0; i < s->n_relays; i++) {
        const struct scn_relay *r = &s->relays[i];
        if (r->from != SCN_NO_GROUP)
            s->groups[r->from].pg = true;
        if (!r->to_proc)
            s->groups[r->to].pg = true;
    }
    for (uint32_t i = 0; i < s->n_faults; i++) {
        enum scn_fault_kind k = s->faults[i].kind;
        if (k == SCN_F_JOIN || k == SCN_F_LEAVE || k == SCN_F_FLUSH)
            s->groups[s->faults[i].group].pg = true;
    }
    for (uint32_t g = 0; g < s->n_groups; g++)
        s->groups[g].pg |= s->groups[g].domain != 0 || s->groups[g].n_clients > 0;
    if (s->hier.on) {
        s->groups[s->hier.root].pg = true;
        for (uint32_t k = 0; k < s->hier.n_sub; k++)
            s->groups[s->hier.subs[k]].pg = true;
    }
    for (uint32_t i = 0; i < s->n_workloads; i++) {
        const struct scn_workload *w = &s->workloads[i];
        const struct wl_pos *wp = &p->wpos[i];
        if (w->group == SCN_NO_GROUP || !s->groups[w->group].pg || w->order != SCN_ORDER_FIFO)
            continue;
        perr(p, w->line, wp->col_order ? wp->col_order : wp->col_send,
             "group %s runs the process-group layer (it has cbcast, abcast or diffusion traffic, "
             "clients, a relay, a domain, joins, leaves or flushes); its traffic cannot also be "
             "fifo",
             s->groups[w->group].name);
    }
}

static void post_check(struct parser *p, uint32_t eof_line, uint32_t eof_col)
{
    struct scn *s = p->s;
    if (!p->line_run) {
        perr(p, eof_line, eof_col, "missing `run T`: a scenario needs a simulated duration");
        return;
    }
    if (s->quiet_ns >= s->run_ns) {
        char q[32], r[32];
        scn_fmt_duration(q, sizeof q, s->quiet_ns);
        scn_fmt_duration(r, sizeof r, s->run_ns);
        perr(p, p->line_quiet, p->col_quiet, "quiet %s is not shorter than run %s", q, r);
        return;
    }
    if (s->rto_max_ns < s->rto_initial_ns) {
        int k = p->line_set[SCN_SET_RTO_MAX] ? SCN_SET_RTO_MAX : SCN_SET_RTO_INITIAL;
        perr(p, p->line_set[k], p->col_set[k], "rto_max is shorter than rto_initial");
    }
    check_hosts(p);
    check_workloads(p);
    check_fault_times(p);
    sort_faults(p);
    check_lives(p);
    check_group_modes(p);
    if (s->n_procs == 0) /* reported when nothing above it is */
        perr(p, eof_line, eof_col, "no processes: declare them with `processes NAMES...`");
}

/* ---- entry points ---- */

static void scn_defaults(struct scn *s)
{
    s->seed = 1;
    s->cluster_latency_ns = 50000;
    s->cluster_bandwidth_Bps = 125e6;
    for (unsigned k = 0; k < SCN_SET_N; k++)
        scn_setting_put(s, (enum scn_set_key)k, scn_settings[k].dflt);
    s->expect = SCN_EXPECT_PASS;
    s->domains = calloc(SCN_MAX_DOMAINS, sizeof *s->domains);
    assert(s->domains);
    snprintf(s->domains[0], SCN_NAME_MAX, "default");
    s->n_domains = 1;
}

/* The file's basename without .scn, with bytes outside [A-Za-z0-9_.-] made '_'. */
static void default_name(const char *path, char out[SCN_NAME_MAX])
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 4 && !strcmp(base + n - 4, ".scn"))
        n -= 4;
    if (n >= SCN_NAME_MAX)
        n = SCN_NAME_MAX - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = is_name_char(base[i], true) ? base[i] : '_';
    out[n] = '\0';
    if (n == 0)
        snprintf(out, SCN_NAME_MAX, "scenario");
}

static int parse_lines(struct parser *p, const char *text, size_t len)
{
    size_t at = 0;
    while (at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
        p->line++;
        if (lex_line(p, text + at, n) || (p->ntok && parse_command(p)))
            return -1;
        at += n + 1;
    }
    return 0;
}

/* Where the end of the text is, for "missing ..." errors. */
static void eof_pos(const char *text, size_t len, uint32_t lines, uint32_t *line, uint32_t *col)
{
    if (len == 0 || text[len - 1] == '\n') {
        *line = lines + 1;
        *col = 1;
        return;
    }
    const char *start = text + len;
    while (start > text && start[-1] != '\n')
        start--;
    *line = lines;
    *col = (uint32_t)(text + len - start) + 1;
}

int scn_parse_text(const char *path, const char *text, size_t len, struct scn *out, FILE *err)
{
    assert(path && out && (text || len == 0));
    memset(out, 0, sizeof *out);
    struct parser *p = calloc(1, sizeof *p);
    assert(p);
    p->path = path;
    p->s = out;
    scn_defaults(out);
    if (strlen(path) >= SCN_PATH_MAX) {
        perr(p, 1, 1, "scenario path is longer than %d bytes", SCN_PATH_MAX - 1);
    } else {
        snprintf(out->file, sizeof out->file, "%s", path);
        default_name(path, out->name);
        const char *slash = strrchr(path, '/');
        if (slash)
            snprintf(p->dir, sizeof p->dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
        if (parse_lines(p, text, len) == 0) {
            uint32_t line, col;
            eof_pos(text, len, p->line, &line, &col);
            post_check(p, line, col);
        }
    }
    int rc = 0;
    if (p->failed) {
        if (err)
            fprintf(err, "%s:%u:%u: %s\n", path, p->err_line, p->err_col, p->msg);
        scn_free(out);
        rc = 2;
    }
    free(p);
    return rc;
}

int scn_parse(const char *path, struct scn *out, FILE *err)
{
    assert(path && out);
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err)
            fprintf(err, "%s:1:1: cannot open the scenario: %s\n", path, strerror(errno));
        return 2;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    assert(buf);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len, f)) > 0 && len + got <= SCN_FILE_MAX) {
        len += got;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert(buf);
        }
    }
    bool too_big = got > 0, bad = ferror(f);
    int e = errno;
    fclose(f);
    int rc = 2;
    if (too_big && err)
        fprintf(err, "%s:1:1: the scenario is larger than %u bytes\n", path, SCN_FILE_MAX);
    else if (bad && err)
        fprintf(err, "%s:1:1: cannot read the scenario: %s\n", path, strerror(e));
    if (!too_big && !bad)
        rc = scn_parse_text(path, buf, len, out, err);
    free(buf);
    return rc;
}

void scn_free(struct scn *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->n_groups; i++) {
        free(s->groups[i].members);
        free(s->groups[i].clients);
    }
    for (uint32_t i = 0; i < s->n_workloads; i++)
        free(s->workloads[i].senders);
    for (uint32_t i = 0; i < s->n_faults; i++) {
        for (uint32_t b = 0; b < s->faults[i].n_blocks; b++)
            free(s->faults[i].blocks[b]);
        free(s->faults[i].blocks);
        free(s->faults[i].block_len);
    }
    free(s->procs);
    free(s->groups);
    free(s->workloads);
    free(s->faults);
    free(s->domains);
    free(s->relays);
    free(s->hier.subs);
    free(s->hier.clients);
    for (uint32_t i = 0; i < s->hier.n_mcast; i++)
        free(s->hier.mcast[i].senders);
    memset(s, 0, sizeof *s);
}

int scn_find_proc(const struct scn *s, const char *name)
{
    for (uint32_t i = 0; i < s->n_procs; i++)
        if (!strcmp(s->procs[i].name, name))
            return (int)i;
    return -1;
}

int scn_find_group(const struct scn *s, const char *name)
{
    for (uint32_t i = 0; i < s->n_groups; i++)
        if (!strcmp(s->groups[i].name, name))
            return (int)i;
    return -1;
}

/* ---- printing ---- */

/* Splits "p12" into prefix length 1 and 12; false unless the name ends in a number. */
static bool name_num(const char *name, size_t *plen, uint32_t *num)
{
    size_t n = strlen(name), pl = n;
    while (pl > 0 && is_digit(name[pl - 1]))
        pl--;
    *plen = pl;
    return pl > 0 && range_num(name + pl, n - pl, num);
}

/* Prints process names, runs of 3 or more consecutive numbers as ranges (p1..p5). */
void scn_print_names(FILE *out, const struct scn *s, const uint32_t *idx, uint32_t n)
{
    for (uint32_t i = 0; i < n;) {
        const char *first = s->procs[idx[i]].name;
        uint32_t j = i + 1, a, b;
        size_t pl, ql;
        if (name_num(first, &pl, &a))
            while (j < n && name_num(s->procs[idx[j]].name, &ql, &b) && ql == pl &&
                   !memcmp(first, s->procs[idx[j]].name, pl) && b == a + (j - i))
                j++;
        if (j - i < 3)
            j = i + 1;
        fprintf(out, "%s%s", i ? " " : "", first);
        if (j - i >= 3)
            fprintf(out, "..%s", s->procs[idx[j - 1]].name);
        i = j;
    }
}

static void print_settings(const struct scn *s, FILE *out)
{
    char d[32];
    fprintf(out, "  seed: %llu\n", (unsigned long long)s->seed);
    if (s->platform_file[0]) {
        fprintf(out, "  platform: file %s\n", s->platform_file);
    } else {
        scn_fmt_duration(d, sizeof d, s->cluster_latency_ns);
        fprintf(out, "  platform: cluster latency %s bandwidth %.15g B/s\n", d,
                s->cluster_bandwidth_Bps);
    }
    for (unsigned k = 0; k < SCN_SET_N; k++) {
        scn_setting_text(s, (enum scn_set_key)k, d, sizeof d);
        fprintf(out, "  %s: %s\n", scn_settings[k].key, d);
    }
    scn_fmt_duration(d, sizeof d, s->run_ns);
    fprintf(out, "  run: %s\n", d);
    char e[32];
    scn_fmt_duration(d, sizeof d, s->quiet_ns);
    scn_fmt_duration(e, sizeof e, s->run_ns - s->quiet_ns);
    if (s->quiet_ns > 0)
        fprintf(out, "  quiet: %s (no faults and no sends from %s)\n", d, e);
    else
        fprintf(out, "  quiet: none\n");
    if (s->expect == SCN_EXPECT_VIOLATION)
        fprintf(out, "  expect: violation %s\n", s->expect_rule);
    else
        fprintf(out, "  expect: pass\n");
    for (uint32_t i = 0; i < s->n_bounds; i++)
        fprintf(out, "  bound %s %llu\n", scn_bound_names[s->bounds[i].key],
                (unsigned long long)s->bounds[i].max);
}

static void print_procs(const struct scn *s, FILE *out)
{
    uint32_t *all = malloc((s->n_procs + 1) * sizeof *all);
    assert(all);
    for (uint32_t i = 0; i < s->n_procs; i++)
        all[i] = i;
    fprintf(out, "  processes (%u): ", s->n_procs);
    scn_print_names(out, s, all, s->n_procs);
    fprintf(out, "\n");
    free(all);
    bool placed = false;
    for (uint32_t i = 0; i < s->n_procs; i++) {
        if (!s->procs[i].host[0])
            continue;
        fprintf(out, "  place: %s on %s\n", s->procs[i].name, s->procs[i].host);
        placed = true;
    }
    fprintf(out, "  placement: %s round-robin on the platform's hosts\n",
            placed ? "the others" : "every process");
    for (uint32_t g = 0; g < s->n_groups; g++) {
        fprintf(out, "  group %s (%u members): ", s->groups[g].name, s->groups[g].n_members);
        scn_print_names(out, s, s->groups[g].members, s->groups[g].n_members);
        if (s->groups[g].domain)
            fprintf(out, " (domain %s)", s->domains[s->groups[g].domain]);
        if (s->groups[g].n_clients) {
            fprintf(out, " clients (%u%s): ", s->groups[g].n_clients,
                    s->groups[g].clients_in_view ? ", in view 1" : "");
            scn_print_names(out, s, s->groups[g].clients, s->groups[g].n_clients);
        }
        fprintf(out, "\n");
    }
}

static void print_workloads(const struct scn *s, FILE *out)
{
    for (uint32_t i = 0; i < s->n_workloads; i++) {
        const struct scn_workload *w = &s->workloads[i];
        char a[32], b[32];
        scn_fmt_duration(a, sizeof a, w->start_ns);
        scn_fmt_duration(b, sizeof b, w->stop_ns);
        fprintf(out, "  send ");
        scn_print_names(out, s, w->senders, w->n_senders);
        if (w->group == SCN_NO_GROUP)
            fprintf(out, " to %s order p2p domain %s", s->procs[w->to].name, s->domains[w->domain]);
        else
            fprintf(out, " group %s order %s", s->groups[w->group].name, scn_order_name(w->order));
        fprintf(out, " rate %g/s size %uB start %s stop %s\n", w->rate_per_s, w->size_bytes, a, b);
    }
    for (uint32_t i = 0; i < s->n_relays; i++) {
        const struct scn_relay *r = &s->relays[i];
        fprintf(out, "  relay %s from %s to %s order %s size %uB hops %u\n", s->procs[r->proc].name,
                r->from == SCN_NO_GROUP ? "p2p" : s->groups[r->from].name,
                r->to_proc ? s->procs[r->to].name : s->groups[r->to].name, scn_order_name(r->order),
                r->size_bytes, r->hops);
    }
}

static void print_fault_args(const struct scn *s, const struct scn_fault *f, FILE *out)
{
    char a[32], b[32];
    switch (f->kind) {
    case SCN_F_PARTITION:
        for (uint32_t k = 0; k < f->n_blocks; k++) {
            fprintf(out, "%s", k ? " | " : " ");
            scn_print_names(out, s, f->blocks[k], f->block_len[k]);
        }
        break;
    case SCN_F_CUT:
        fprintf(out, " %s %s %s", s->procs[f->from].name, f->bidir ? "<->" : "->",
                s->procs[f->to].name);
        break;
    case SCN_F_LOSS:
    case SCN_F_DUPLICATE:
    case SCN_F_GARBLE:
        fprintf(out, " %g%%", f->prob * 100);
        break;
    case SCN_F_DELAY:
        scn_fmt_duration(a, sizeof a, f->delay_ns);
        scn_fmt_duration(b, sizeof b, f->jitter_ns);
        fprintf(out, " %s jitter %s", a, b);
        break;
    case SCN_F_SABOTAGE:
        fprintf(out, " %s %s", scn_sabotage_name(f->sabotage), s->procs[f->proc].name);
        break;
    case SCN_F_HEAL:
        break;
    case SCN_F_JOIN:
    case SCN_F_LEAVE:
    case SCN_F_FLUSH:
        fprintf(out, " %s %s", s->procs[f->proc].name, s->groups[f->group].name);
        break;
    default: /* crash, restart, isolate */
        fprintf(out, " %s", s->procs[f->proc].name);
        break;
    }
}

static void print_faults(const struct scn *s, FILE *out)
{
    for (uint32_t i = 0; i < s->n_faults; i++) {
        const struct scn_fault *f = &s->faults[i];
        assert(f->kind < SCN_N_EVENTS && event_kinds[f->kind].kind == f->kind);
        char a[32];
        scn_fmt_duration(a, sizeof a, f->at_ns);
        fprintf(out, "  at %s %s", a, event_kinds[f->kind].name);
        print_fault_args(s, f, out);
        if (f->kind == SCN_F_RESTART) {
            uint32_t gen = 1;
            for (uint32_t k = 0; k <= i; k++)
                gen += s->faults[k].kind == SCN_F_RESTART && s->faults[k].proc == f->proc;
            fprintf(out, " (as %s#%u)", s->procs[f->proc].name, gen);
        }
        fprintf(out, "\n");
    }
}

void scn_print(const struct scn *s, FILE *out)
{
    fprintf(out, "scenario: %s (%s)\n", s->name, s->file);
    print_settings(s, out);
    print_procs(s, out);
    print_workloads(s, out);
    print_faults(s, out);
}
