/* sim/sweep/explore_spec.c: the explore spec parser. See explore.h; the format is
 * documented in scenarios/explore/README.md.
 *
 * Lexing follows scenarios (one command per line, spaces or tabs, `#`
 * comments, CRLF, no control bytes, at most 4095 bytes a line). Values use
 * the units of scenarios, through the scenario parser's value functions; a
 * `set` value is checked by the scenario parser itself, on a one-line
 * scenario, and its error is reported at the spec's token.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "explore.h"
#include "speclex.h"

#define XPL_ECHO 48

static const char *const xf_names[XF_N] = {"crash",     "restart",   "join",  "leave",
                                           "partition", "suspicion", "loss",  "duplicate",
                                           "delay",     "garble",    "flush", "sabotage"};
static const char *const xo_names[XO_N] = {"fifo", "cbcast", "abcast", "diffusion", "p2p", "mixed"};
static const char *const xs_names[XS_N] = {"halves", "isolated", "bridge", "asymmetric", "three"};
static const char *const xpl_keywords[] = {"name",   "base",   "active",  "quiet",   "processes",
                                           "spares", "groups", "members", "clients", "senders",
                                           "rate",   "size",   "overlap", "domains", "orders",
                                           "bias",   "set",    "fault",   "cover"};
#define XPL_N_KEYWORDS (sizeof xpl_keywords / sizeof xpl_keywords[0])

/* The fault bounds of a `.scn` given as the spec (scenarios/explore/README.md). */
static const char xpl_builtin_faults[] = "fault crash chance 60% count 1..2\n"
                                         "fault restart chance 30%\n"
                                         "fault join chance 40% count 1..2\n"
                                         "fault leave chance 20%\n"
                                         "fault partition chance 40%\n"
                                         "fault suspicion chance 30%\n"
                                         "fault loss chance 40% value 0.5%..5%\n"
                                         "fault duplicate chance 20% value 1%..5%\n"
                                         "fault delay chance 30% value 50us..1ms jitter 0s..500us\n"
                                         "fault garble chance 20% value 0.1%..2%\n"
                                         "fault flush chance 40% count 1..3\n";

const char *xpl_fault_name(enum xpl_fault f)
{
    assert(f < XF_N);
    return xf_names[f];
}

const char *xpl_order_name(enum xpl_order o)
{
    assert(o < XO_N);
    return xo_names[o];
}

struct xparser {
    const char *path;
    struct xpl_spec *s;
    FILE *err;
    uint32_t line, ntok;
    struct slex_tok tok[SCN_LINE_MAX];
    char buf[SCN_LINE_MAX + 1];
    uint32_t seen_line[XPL_N_KEYWORDS]; /* one-off keywords: where given */
};

static int xerr(struct xparser *p, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int xerr(struct xparser *p, uint32_t col, const char *fmt, ...)
{
    assert(col >= 1);
    fprintf(p->err, "%s:%u:%u: ", p->path, p->line, col);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(p->err, fmt, ap);
    va_end(ap);
    fputc('\n', p->err);
    return 2;
}

#define xerr_tok(p, i, ...) xerr((p), (p)->tok[(i)].col, __VA_ARGS__)
#define XT(t)               (int)((t)->len > XPL_ECHO ? XPL_ECHO : (t)->len), (t)->s

/* ---- lexing ---- */

static int xlex(struct xparser *p, const char *b, size_t n)
{
    p->ntok = 0;
    if (n >= SCN_LINE_MAX)
        return xerr(p, SCN_LINE_MAX, "line longer than %d bytes", SCN_LINE_MAX - 1);
    uint32_t col;
    unsigned char bad;
    int k = slex_split(b, n, p->buf, p->tok, &col, &bad);
    if (k < 0)
        return xerr(p, col, "unexpected control byte 0x%02x", bad);
    p->ntok = (uint32_t)k;
    return 0;
}

static int find(const char *const *list, size_t n, const char *w)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], w))
            return (int)i;
    return -1;
}

static int unknown(struct xparser *p, uint32_t i, const char *what, const char *const *list,
                   size_t n)
{
    const char *best = NULL;
    unsigned best_d = p->tok[i].len >= 4 ? 2 : 1;
    for (size_t k = 0; k < n; k++) {
        unsigned d = scn_edit_distance(p->tok[i].s, list[k]);
        if (d <= best_d) {
            best_d = d;
            best = list[k];
        }
    }
    if (best)
        return xerr_tok(p, i, "unknown %s '%.*s' (did you mean '%s'?)", what, XT(&p->tok[i]), best);
    char all[512];
    size_t at = 0;
    for (size_t k = 0; k < n && at < sizeof all; k++)
        at += (size_t)snprintf(all + at, sizeof all - at, "%s%s", k ? ", " : "", list[k]);
    return xerr_tok(p, i, "unknown %s '%.*s' (expected one of: %s)", what, XT(&p->tok[i]), all);
}

static int need(struct xparser *p, uint32_t i, const char *what)
{
    assert(i >= 1);
    if (i < p->ntok)
        return 0;
    return xerr_tok(p, i - 1, "expected %s after '%.*s'", what, XT(&p->tok[i - 1]));
}

static int no_more(struct xparser *p, uint32_t i)
{
    if (i >= p->ntok)
        return 0;
    return xerr_tok(p, i, "unexpected '%.*s' at the end of `%s`", XT(&p->tok[i]), p->tok[0].s);
}

/* ---- values and ranges ---- */

enum xkind { XK_DURATION, XK_PERCENT, XK_RATE, XK_SIZE, XK_COUNT };

/* One value of kind k in text s (NUL-terminated); -1 with msg. */
static int xvalue(enum xkind k, const char *s, double *out, char *msg, size_t cap)
{
    int64_t ns;
    uint32_t bytes;
    switch (k) {
    case XK_DURATION:
        if (scn_value_duration(s, &ns, msg, cap))
            return -1;
        *out = (double)ns;
        return 0;
    case XK_PERCENT:
        return scn_value_percent(s, out, msg, cap);
    case XK_RATE:
        return scn_value_rate(s, out, msg, cap);
    case XK_SIZE:
        if (scn_value_size(s, &bytes, msg, cap))
            return -1;
        *out = bytes;
        return 0;
    default: {
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (!isdigit((unsigned char)s[0]) || errno || *end || v > 1000000) {
            snprintf(msg, cap, "expected a whole number, not '%.*s'",
                     (int)(strlen(s) > XPL_ECHO ? XPL_ECHO : strlen(s)), s);
            return -1;
        }
        *out = (double)v;
        return 0;
    }
    }
}

/* Token i as `A..B` or `A` of kind k into r; `all` allowed as B when all_ok. */
static int xrange(struct xparser *p, uint32_t i, enum xkind k, struct xpl_range *r, bool all_ok)
{
    char a[SCN_LINE_MAX], msg[300];
    const struct slex_tok *t = &p->tok[i];
    const char *dots = strstr(t->s, "..");
    size_t al = dots ? (size_t)(dots - t->s) : t->len;
    memcpy(a, t->s, al);
    a[al] = '\0';
    if (xvalue(k, a, &r->lo, msg, sizeof msg))
        return xerr_tok(p, i, "%s", msg);
    r->hi = r->lo;
    if (dots && all_ok && !strcmp(dots + 2, "all"))
        r->hi = -1;
    else if (dots && xvalue(k, dots + 2, &r->hi, msg, sizeof msg))
        return xerr(p, t->col + (uint32_t)al + 2, "%s", msg);
    if (r->hi >= 0 && r->hi < r->lo)
        return xerr_tok(p, i, "range '%.*s' ends below its start", XT(t));
    r->line = p->line;
    return 0;
}

static int xchance(struct xparser *p, uint32_t i, double *out)
{
    char msg[300];
    return scn_value_percent(p->tok[i].s, out, msg, sizeof msg) ? xerr_tok(p, i, "%s", msg) : 0;
}

/* ---- commands ---- */

static int once(struct xparser *p, int kw)
{
    if (p->seen_line[kw])
        return xerr_tok(p, 0, "`%s` given twice (first at line %u)", p->tok[0].s, p->seen_line[kw]);
    p->seen_line[kw] = p->line;
    return 0;
}

static int cmd_name(struct xparser *p)
{
    const struct slex_tok *t = &p->tok[1];
    if (need(p, 1, "a name") || no_more(p, 2))
        return 2;
    for (uint32_t k = 0; k < t->len; k++)
        if (!isalnum((unsigned char)t->s[k]) && !strchr("_-.", t->s[k]))
            return xerr_tok(p, 1, "invalid name '%.*s': use letters, digits, '_', '-' and '.'",
                            XT(t));
    if (t->len >= XPL_TOK_MAX)
        return xerr_tok(p, 1, "name '%.*s' is longer than %d bytes", XT(t), XPL_TOK_MAX - 1);
    memcpy(p->s->name, t->s, t->len + 1);
    return 0;
}

/* A one-range line: `KEYWORD RANGE`. */
static int cmd_range(struct xparser *p, enum xkind k, struct xpl_range *r, bool all_ok, double min,
                     double max)
{
    if (need(p, 1, "a value or range (A..B)") || xrange(p, 1, k, r, all_ok) || no_more(p, 2))
        return 2;
    if (r->lo < min || (r->hi > max && max > 0))
        return xerr_tok(p, 1, "`%s` %.*s is out of range (%g to %g)", p->tok[0].s, XT(&p->tok[1]),
                        min, max);
    return 0;
}

static int cmd_chance(struct xparser *p, double *out)
{
    return need(p, 1, "a chance (like 50%)") || xchance(p, 1, out) || no_more(p, 2) ? 2 : 0;
}

static int cmd_orders(struct xparser *p)
{
    if (need(p, 1, "orders (fifo, cbcast, abcast, diffusion, p2p, mixed)"))
        return 2;
    p->s->orders = 0;
    for (uint32_t i = 1; i < p->ntok; i++) {
        int o = find(xo_names, XO_N, p->tok[i].s);
        if (o < 0)
            return unknown(p, i, "order", xo_names, XO_N);
        if (p->s->orders & (1u << o))
            return xerr_tok(p, i, "`orders` lists '%s' twice", xo_names[o]);
        p->s->orders |= 1u << o;
    }
    return 0;
}

/* Checks `set KEY VALUE` with the scenario parser; its error goes to token vi. */
static int check_set(struct xparser *p, uint32_t vi, const char *key, const char *val)
{
    char text[256], *msg = NULL;
    size_t ml = 0;
    snprintf(text, sizeof text, "set %s %s\nprocesses p\nrun 1s\n", key, val);
    FILE *e = open_memstream(&msg, &ml);
    assert(e);
    struct scn tmp;
    int rc = scn_parse_text("x.scn", text, strlen(text), &tmp, e);
    fclose(e);
    if (rc == 0) {
        scn_free(&tmp);
        free(msg);
        return 0;
    }
    unsigned line = 0, col = 0;
    int off = 0;
    sscanf(msg, "x.scn:%u:%u: %n", &line, &col, &off); /* the parser's FILE:LINE:COL: */
    msg[strcspn(msg, "\n")] = '\0';
    xerr_tok(p, col == 5 ? 1 : vi, "%s", off > 0 ? msg + off : "bad setting");
    free(msg);
    return 2;
}

static int cmd_set(struct xparser *p)
{
    struct xpl_spec *s = p->s;
    if (need(p, 1, "a setting") || need(p, 2, "a value, a duration range or choices"))
        return 2;
    if (p->tok[1].len >= XPL_TOK_MAX)
        return xerr_tok(p, 1, "unknown setting '%.*s'", XT(&p->tok[1]));
    for (uint32_t k = 0; k < s->n_sets; k++)
        if (!strcmp(s->sets[k].key, p->tok[1].s))
            return xerr_tok(p, 1, "`set %s` given twice (first at line %u)", p->tok[1].s,
                            s->sets[k].line);
    if (s->n_sets == XPL_MAX_SETS)
        return xerr_tok(p, 0, "more than %d `set` lines", XPL_MAX_SETS);
    struct xpl_set *st = &s->sets[s->n_sets];
    memset(st, 0, sizeof *st);
    memcpy(st->key, p->tok[1].s, p->tok[1].len + 1);
    st->line = p->line;
    if (p->ntok == 3 && strstr(p->tok[2].s, "..")) {
        if (xrange(p, 2, XK_DURATION, &st->range, false))
            return 2;
        char v[64];
        snprintf(v, sizeof v, "%.0fns", st->range.lo);
        if (check_set(p, 2, st->key, v))
            return 2;
        snprintf(v, sizeof v, "%.0fns", st->range.hi);
        if (check_set(p, 2, st->key, v))
            return 2;
    } else {
        if (p->ntok - 2 > XPL_MAX_CHOICE)
            return xerr_tok(p, 2 + XPL_MAX_CHOICE, "more than %d values", XPL_MAX_CHOICE);
        for (uint32_t i = 2; i < p->ntok; i++) {
            if (p->tok[i].len >= XPL_TOK_MAX || check_set(p, i, st->key, p->tok[i].s))
                return p->tok[i].len >= XPL_TOK_MAX
                           ? xerr_tok(p, i, "value '%.*s' is too long", XT(&p->tok[i]))
                           : 2;
            memcpy(st->val[st->n++], p->tok[i].s, p->tok[i].len + 1);
        }
    }
    s->n_sets++;
    return 0;
}

static int cmd_cover(struct xparser *p)
{
    struct xpl_spec *s = p->s;
    if (need(p, 1, "the name of a situation (as its `sometimes:` line prints it)"))
        return 2;
    if (s->n_cover == XPL_MAX_COVER)
        return xerr_tok(p, 0, "more than %d `cover` lines", XPL_MAX_COVER);
    char *c = s->cover[s->n_cover];
    size_t at = 0;
    for (uint32_t i = 1; i < p->ntok; i++) {
        if (at + p->tok[i].len + 2 > XPL_COVER_MAX)
            return xerr_tok(p, i, "situation name longer than %d bytes", XPL_COVER_MAX - 1);
        at += (size_t)snprintf(c + at, XPL_COVER_MAX - at, "%s%s", i > 1 ? " " : "", p->tok[i].s);
    }
    for (uint32_t k = 0; k < s->n_cover; k++)
        if (!strcmp(s->cover[k], c))
            return xerr_tok(p, 1, "situation '%s' is already covered", c);
    s->n_cover++;
    return 0;
}

/* ---- fault lines ---- */

static int fault_words(struct xparser *p, uint32_t *i, uint32_t *mask, const char *const *names,
                       size_t n, const char *what)
{
    *mask = 0;
    uint32_t start = *i;
    while (*i < p->ntok) {
        int k = find(names, n, p->tok[*i].s);
        if (k < 0)
            break;
        *mask |= 1u << k;
        (*i)++;
    }
    if (*i == start)
        return *i < p->ntok
                   ? unknown(p, *i, what, names, n)
                   : xerr_tok(p, start - 1, "expected a %s after '%s'", what, p->tok[start - 1].s);
    return 0;
}

static int fault_option(struct xparser *p, uint32_t *i, enum xpl_fault kind,
                        struct xpl_fault_spec *f)
{
    static const char *const keys[] = {"chance", "count", "value", "jitter", "shapes", "kinds"};
    int k = find(keys, 6, p->tok[*i].s);
    if (k < 0)
        return unknown(p, *i, "fault option", keys, 6);
    bool ok = k <= 1 || (k == 2 && (kind >= XF_LOSS && kind <= XF_GARBLE)) ||
              (k == 3 && kind == XF_DELAY) || (k == 4 && kind == XF_PARTITION) ||
              (k == 5 && kind == XF_SABOTAGE);
    if (!ok)
        return xerr_tok(p, *i, "`fault %s` takes no `%s`", xf_names[kind], keys[k]);
    (*i)++;
    if (need(p, *i, k == 0 ? "a chance (like 50%)" : "a value or range (A..B)"))
        return 2;
    enum xkind vk = kind == XF_DELAY ? XK_DURATION : XK_PERCENT;
    switch (k) {
    case 0:
        return xchance(p, (*i)++, &f->chance);
    case 1:
        return xrange(p, (*i)++, XK_COUNT, &f->count, false);
    case 2:
        return xrange(p, (*i)++, vk, &f->value, false);
    case 3:
        return xrange(p, (*i)++, XK_DURATION, &f->jitter, false);
    default:
        assert(k == 4); /* `kinds` is read by cmd_fault */
        return fault_words(p, i, &f->shapes, xs_names, XS_N, "partition shape");
    }
}

static int sabotage_kinds(struct xparser *p, uint32_t *i, uint32_t *mask)
{
    const char *names[16];
    size_t n = 0;
    for (; n < 9; n++)
        names[n] = scn_sabotage_name((enum scn_sabotage)n);
    return fault_words(p, i, mask, names, n, "sabotage kind");
}

static int cmd_fault(struct xparser *p)
{
    if (need(p, 1, "a fault kind"))
        return 2;
    int kind = find(xf_names, XF_N, p->tok[1].s);
    if (kind < 0)
        return unknown(p, 1, "fault kind", xf_names, XF_N);
    struct xpl_fault_spec *f = &p->s->fault[kind];
    if (f->line)
        return xerr_tok(p, 1, "`fault %s` given twice (first at line %u)", xf_names[kind], f->line);
    *f = (struct xpl_fault_spec){.chance = 1, .count = {1, 1, 0}, .shapes = (1u << XS_N) - 1};
    f->line = p->line;
    for (uint32_t i = 2; i < p->ntok;) {
        int rc = !strcmp(p->tok[i].s, "kinds") && kind == XF_SABOTAGE
                     ? (i++, need(p, i, "sabotage kinds") || sabotage_kinds(p, &i, &f->sabotage))
                     : fault_option(p, &i, (enum xpl_fault)kind, f);
        if (rc)
            return 2;
    }
    if (kind == XF_SABOTAGE && !f->sabotage)
        return xerr_tok(p, 1, "`fault sabotage` needs `kinds` (e.g. kinds duplicate drop)");
    if (f->count.hi > 16)
        return xerr_tok(p, 1, "`fault %s`: count at most 16", xf_names[kind]);
    if (!f->value.line && kind == XF_DELAY)
        f->value = (struct xpl_range){1e6, 1e6, p->line}; /* 1ms */
    else if (!f->value.line && kind >= XF_LOSS && kind <= XF_GARBLE)
        f->value = (struct xpl_range){0.01, 0.01, p->line}; /* 1% */
    return 0;
}

/* ---- the spec ---- */

static int cmd_base(struct xparser *p);

static int dispatch(struct xparser *p, int kw)
{
    struct xpl_spec *s = p->s;
    switch (kw) {
    case 0:
        return cmd_name(p);
    case 1:
        return cmd_base(p);
    case 2:
        return cmd_range(p, XK_DURATION, &s->active, false, 1e6, 1e12);
    case 3:
        return cmd_range(p, XK_DURATION, &s->quiet, false, 1e6, 1e12);
    case 4:
        return cmd_range(p, XK_COUNT, &s->procs, false, 1, 32);
    case 5:
        return cmd_range(p, XK_COUNT, &s->spares, false, 0, 8);
    case 6:
        return cmd_range(p, XK_COUNT, &s->groups, false, 1, XPL_MAX_GROUPS);
    case 7:
        return cmd_range(p, XK_COUNT, &s->members, true, 1, 32);
    case 8:
        return cmd_range(p, XK_COUNT, &s->clients, false, 0, 8);
    case 9:
        return cmd_range(p, XK_COUNT, &s->senders, true, 1, 32);
    case 10:
        return cmd_range(p, XK_RATE, &s->rate, false, 0, 2000);
    case 11:
        return cmd_range(p, XK_SIZE, &s->size, false, 0, 8176);
    case 12:
        return cmd_chance(p, &s->overlap);
    case 13:
        return cmd_chance(p, &s->domains);
    case 14:
        return cmd_orders(p);
    case 15:
        return cmd_chance(p, &s->bias);
    case 16:
        return cmd_set(p);
    case 17:
        return cmd_fault(p);
    default:
        return cmd_cover(p);
    }
}

static int xcommand(struct xparser *p)
{
    int kw = find(xpl_keywords, XPL_N_KEYWORDS, p->tok[0].s);
    if (kw < 0)
        return unknown(p, 0, "keyword", xpl_keywords, XPL_N_KEYWORDS);
    bool repeatable = kw == 16 || kw == 17 || kw == 18;
    if (!repeatable && once(p, kw))
        return 2;
    if (p->s->base && (kw == 2 || (kw >= 4 && kw <= 16)))
        return xerr_tok(p, 0, "`%s` cannot be used with `base`: the base scenario gives it",
                        p->tok[0].s);
    return dispatch(p, kw);
}

static int xlines(struct xparser *p, const char *text, size_t len)
{
    size_t at = 0;
    p->line = 0;
    while (at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
        p->line++;
        if (xlex(p, text + at, n) || (p->ntok && xcommand(p)))
            return 2;
        at += n + 1;
    }
    return 0;
}

static void xdefaults(struct xpl_spec *s)
{
    s->active = (struct xpl_range){1e9, 2e9, 0};
    s->quiet = (struct xpl_range){1e9, 1e9, 0};
    s->procs = (struct xpl_range){3, 6, 0};
    s->spares = (struct xpl_range){0, 1, 0};
    s->groups = (struct xpl_range){1, 2, 0};
    s->members = (struct xpl_range){2, -1, 0};
    s->clients = (struct xpl_range){0, 0, 0};
    s->senders = (struct xpl_range){1, -1, 0};
    s->rate = (struct xpl_range){20, 100, 0};
    s->size = (struct xpl_range){16, 256, 0};
    s->overlap = 0.5;
    s->domains = 0;
    s->orders = 1u << XO_CBCAST;
    s->bias = 0.6;
}

static uint64_t fnv(uint64_t h, const char *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)t[i]) * 0x100000001b3ull;
    return h;
}

/* The checks once the whole spec is read. */
static int xpost(struct xparser *p, uint32_t lines)
{
    struct xpl_spec *s = p->s;
    p->line = lines + 1;
    if (!s->base && s->procs.hi + s->spares.hi + s->clients.hi * s->groups.hi > XPL_MAX_PROCS)
        return xerr(p, 1, "processes, spares and clients could make more than %d processes",
                    XPL_MAX_PROCS);
    if (!s->base && s->members.hi >= 0 && s->members.lo > s->procs.hi)
        return xerr(p, 1, "`members` starts above the largest `processes`");
    return 0;
}

int xpl_parse_text(const char *path, const char *text, size_t len, struct xpl_spec *out, FILE *err)
{
    assert(path && out && (text || len == 0));
    memset(out, 0, sizeof *out);
    xdefaults(out);
    struct xparser *p = calloc(1, sizeof *p);
    assert(p);
    p->path = path;
    p->s = out;
    p->err = err;
    snprintf(out->file, sizeof out->file, "%s", path);
    const char *base = strrchr(path, '/');
    snprintf(out->name, sizeof out->name, "%.*s", (int)strcspn(base ? base + 1 : path, "."),
             base ? base + 1 : path);
    out->hash = fnv(0xcbf29ce484222325ull, text, len);
    int rc = strlen(path) >= SCN_PATH_MAX ? xerr(p, 1, "path too long") : xlines(p, text, len);
    if (rc == 0)
        rc = xpost(p, p->line);
    free(p);
    if (rc)
        xpl_free(out);
    return rc;
}

/* `base FILE.scn`: the scenario's processes, groups and traffic. */
static int cmd_base(struct xparser *p)
{
    struct xpl_spec *s = p->s;
    if (need(p, 1, "a scenario file") || no_more(p, 2))
        return 2;
    for (int kw = 2; kw <= 16; kw++)
        if (p->seen_line[kw] && kw != 3)
            return xerr_tok(p, 0, "`base` after `%s` (line %u): the base scenario gives it",
                            xpl_keywords[kw], p->seen_line[kw]);
    char path[SCN_PATH_MAX * 2];
    const char *slash = strrchr(p->path, '/');
    if (p->tok[1].s[0] != '/' && slash)
        snprintf(path, sizeof path, "%.*s/%s", (int)(slash - p->path), p->path, p->tok[1].s);
    else
        snprintf(path, sizeof path, "%s", p->tok[1].s);
    s->base = calloc(1, sizeof *s->base);
    assert(s->base);
    char *msg = NULL;
    size_t ml = 0;
    FILE *e = open_memstream(&msg, &ml);
    assert(e);
    int rc = scn_parse(path, s->base, e);
    fclose(e);
    if (rc != 0) {
        free(s->base);
        s->base = NULL;
        xerr_tok(p, 1, "the base scenario does not parse: %.*s", (int)strcspn(msg, "\n"), msg);
        free(msg);
        return 2;
    }
    free(msg);
    s->base->expect = SCN_EXPECT_PASS; /* its own faults are left out when generating */
    char *canon = scn_write(s->base, NULL, NULL);
    s->hash = fnv(s->hash, canon, strlen(canon));
    free(canon);
    return 0;
}

int xpl_parse(const char *path, struct xpl_spec *out, FILE *err)
{
    size_t n = strlen(path);
    char *text = NULL;
    size_t len = 0;
    if (n > 4 && !strcmp(path + n - 4, ".scn")) { /* a scenario: the built-in fault bounds */
        const char *slash = strrchr(path, '/');
        FILE *m = open_memstream(&text, &len);
        assert(m);
        fprintf(m, "%sbase %s\n", xpl_builtin_faults, slash ? slash + 1 : path);
        fclose(m);
        int rc = xpl_parse_text(path, text, len, out, err);
        free(text);
        return rc;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(err, "%s:1:1: cannot open the spec: %s\n", path, strerror(errno));
        return 2;
    }
    ssize_t got = getdelim(&text, &len, '\0', f);
    fclose(f);
    if (got < 0 || (size_t)got > XPL_FILE_MAX) {
        fprintf(err, "%s:1:1: %s\n", path, got < 0 ? "cannot read the spec" : "spec too large");
        free(text);
        return 2;
    }
    int rc = xpl_parse_text(path, text, (size_t)got, out, err);
    free(text);
    return rc;
}

void xpl_free(struct xpl_spec *s)
{
    if (s->base) {
        scn_free(s->base);
        free(s->base);
    }
    s->base = NULL;
}
