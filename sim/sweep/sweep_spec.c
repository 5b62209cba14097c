/* sim/sweep/sweep_spec.c: the sweep spec parser (its sections, axes and values,
 * with FILE:LINE:COL errors). The expansion into points is sweep_expand.c's,
 * running them sweep.c's. See sweep.h; the format is documented in
 * scenarios/sweeps/README.md. */
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "speclex.h"
#include "sweep.h"

#define SWP_ECHO 48 /* bytes of a token quoted in a message */

static const char *const swp_axis_names[SWP_A_N] = {"order", "group_size", "senders", "rate",
                                                    "size",  "loss",       "crash",   "seed"};
/* Values of an axis a section does not give (after the defaults section). */
static const char *const swp_axis_dflt[SWP_A_N] = {NULL,  NULL, "1",    "10/s",
                                                   "64B", "0%", "none", "1"};
static const char *const swp_keywords[] = {"name",         "base",  "end",        "grid",    "set",
                                           "dump_latency", "order", "group_size", "senders", "rate",
                                           "size",         "loss",  "crash",      "seed"};
#define SWP_N_KEYWORDS (sizeof swp_keywords / sizeof swp_keywords[0])

const char *swp_axis_name(enum swp_axis a)
{
    assert(a < SWP_A_N);
    return swp_axis_names[a];
}

struct sparser {
    const char *path;
    struct swp_spec *s;
    struct swp_grid *sec; /* the section axis lines go to: defaults or the last grid */
    uint32_t line, ntok;
    struct slex_tok tok[SCN_LINE_MAX];
    char buf[SCN_LINE_MAX + 1];
    bool in_base, base_done;
    uint32_t line_name;
    size_t base_len, base_cap;
    FILE *err;
};

static int sperr(const char *path, FILE *err, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int sperr(const char *path, FILE *err, uint32_t line, uint32_t col, const char *fmt, ...)
{
    assert(line >= 1 && col >= 1);
    fprintf(err, "%s:%u:%u: ", path, line, col);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(err, fmt, ap);
    va_end(ap);
    fputc('\n', err);
    return 2;
}

#define perr_tok(p, i, ...) sperr((p)->path, (p)->err, (p)->line, (p)->tok[(i)].col, __VA_ARGS__)
#define TOKS(t)             (int)((t)->len > SWP_ECHO ? SWP_ECHO : (t)->len), (t)->s

/* ---- lexing: like scenarios (README): spaces, tabs, `#` comments, no control bytes ---- */

static int lex(struct sparser *p, const char *b, size_t n)
{
    uint32_t col;
    unsigned char bad;
    int k = slex_split(b, n, p->buf, p->tok, &col, &bad);
    if (k < 0)
        return sperr(p->path, p->err, p->line, col, "control byte 0x%02x", bad);
    p->ntok = (uint32_t)k;
    return 0;
}

/* ---- words ---- */

static bool swp_word(const char *s, size_t len)
{
    if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

static bool swp_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!isdigit((unsigned char)s[0]) || (s[0] == '0' && s[1]))
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static int unknown_keyword(struct sparser *p)
{
    const char *best = NULL;
    unsigned best_d = p->tok[0].len >= 4 ? 2 : 1;
    for (size_t k = 0; k < SWP_N_KEYWORDS; k++) {
        unsigned d = scn_edit_distance(p->tok[0].s, swp_keywords[k]);
        if (d <= best_d) {
            best_d = d;
            best = swp_keywords[k];
        }
    }
    if (best)
        return perr_tok(p, 0, "unknown keyword '%.*s' (did you mean '%s'?)", TOKS(&p->tok[0]),
                        best);
    return perr_tok(p, 0,
                    "unknown keyword '%.*s' (expected name, base, grid, order, group_size, "
                    "senders, rate, size, loss, crash, seed, set or dump_latency)",
                    TOKS(&p->tok[0]));
}

/* ---- axis values ---- */

static int check_value(struct sparser *p, enum swp_axis a, uint32_t i)
{
    const struct slex_tok *t = &p->tok[i];
    uint64_t v;
    static const char *const orders[] = {"fifo", "cbcast", "abcast"};
    switch (a) {
    case SWP_A_ORDER:
        for (size_t k = 0; k < 3; k++)
            if (!strcmp(t->s, orders[k]))
                return 0;
        return perr_tok(p, i, "unknown order '%.*s' (expected fifo, cbcast or abcast)", TOKS(t));
    case SWP_A_GROUP_SIZE:
        if (swp_uint(t->s, 1, SCN_MAX_MEMBERS, &v))
            return 0;
        return perr_tok(p, i, "group_size '%.*s': expected a whole number from 1 to %u", TOKS(t),
                        SCN_MAX_MEMBERS);
    case SWP_A_SENDERS:
        if (!strcmp(t->s, "all") || !strcmp(t->s, "last") || swp_uint(t->s, 1, SCN_MAX_MEMBERS, &v))
            return 0;
        return perr_tok(p, i,
                        "senders '%.*s': expected `all`, `last` or a whole number from 1 to %u",
                        TOKS(t), SCN_MAX_MEMBERS);
    case SWP_A_SEED:
        if (swp_uint(t->s, 0, UINT64_MAX, &v))
            return 0;
        return perr_tok(p, i, "seed '%.*s': expected a whole number", TOKS(t));
    default: /* rate, size, loss, crash: checked by the scenario parser at expansion */
        return 0;
    }
}

static int read_values(struct sparser *p, uint32_t from, struct swp_values *vals, const char *what,
                       enum swp_axis a)
{
    if (from >= p->ntok)
        return perr_tok(p, from - 1, "`%s` needs at least one value", what);
    if (p->ntok - from > SWP_MAX_VALUES)
        return perr_tok(p, from + SWP_MAX_VALUES, "`%s` has more than %u values", what,
                        SWP_MAX_VALUES);
    vals->n = 0;
    vals->line = p->line;
    for (uint32_t i = from; i < p->ntok; i++) {
        const struct slex_tok *t = &p->tok[i];
        if (t->len >= SWP_TOK_MAX)
            return perr_tok(p, i, "value '%.*s...' is longer than %u bytes", SWP_ECHO, t->s,
                            SWP_TOK_MAX - 1);
        if (a != SWP_A_N && check_value(p, a, i))
            return 2;
        for (uint32_t k = 0; k < vals->n; k++)
            if (!strcmp(vals->v[k].text, t->s))
                return perr_tok(p, i, "`%s` lists '%.*s' twice", what, TOKS(t));
        struct swp_value *v = &vals->v[vals->n++];
        memcpy(v->text, t->s, t->len + 1);
        v->line = p->line;
        v->col = t->col;
    }
    return 0;
}

static const char *section_name(const struct sparser *p)
{
    return p->sec == &p->s->defaults ? "the defaults" : p->sec->name;
}

static int cmd_axis(struct sparser *p, enum swp_axis a)
{
    struct swp_values *vals = &p->sec->axis[a];
    if (vals->line)
        return perr_tok(p, 0, "`%s` given twice in %s (first at line %u)", swp_axis_names[a],
                        section_name(p), vals->line);
    return read_values(p, 1, vals, swp_axis_names[a], a);
}

static int set_key_register(struct sparser *p, const char *key)
{
    struct swp_spec *s = p->s;
    for (uint32_t k = 0; k < s->n_set_keys; k++)
        if (!strcmp(s->set_keys[k], key))
            return 0;
    if (s->n_set_keys == SWP_MAX_SETS)
        return perr_tok(p, 1, "more than %u distinct `set` keys in one spec", SWP_MAX_SETS);
    snprintf(s->set_keys[s->n_set_keys++], SWP_TOK_MAX, "%s", key);
    return 0;
}

static int cmd_set(struct sparser *p)
{
    if (p->ntok < 2)
        return perr_tok(p, 0, "`set` needs a key and at least one value");
    const struct slex_tok *k = &p->tok[1];
    if (!swp_word(k->s, k->len) || k->len >= SWP_TOK_MAX)
        return perr_tok(p, 1, "'%.*s' is not a setting name", TOKS(k));
    for (uint32_t i = 0; i < p->sec->n_sets; i++)
        if (!strcmp(p->sec->sets[i].key.text, k->s))
            return perr_tok(p, 1, "`set %s` given twice in %s (first at line %u)", k->s,
                            section_name(p), p->sec->sets[i].vals.line);
    if (p->sec->n_sets == SWP_MAX_SETS)
        return perr_tok(p, 0, "more than %u `set` axes in %s", SWP_MAX_SETS, section_name(p));
    if (set_key_register(p, k->s))
        return 2;
    struct swp_set *st = &p->sec->sets[p->sec->n_sets];
    memcpy(st->key.text, k->s, k->len + 1);
    st->key.line = p->line;
    st->key.col = k->col;
    if (read_values(p, 2, &st->vals, "set", SWP_A_N))
        return 2;
    p->sec->n_sets++;
    return 0;
}

static int cmd_grid(struct sparser *p)
{
    struct swp_spec *s = p->s;
    if (p->ntok != 2 || !swp_word(p->tok[1].s, p->tok[1].len) || p->tok[1].len >= SWP_TOK_MAX)
        return perr_tok(p, p->ntok > 2 ? 2 : 0, "expected `grid NAME` (a word of at most %u bytes)",
                        SWP_TOK_MAX - 1);
    for (uint32_t g = 0; g < s->n_grids; g++)
        if (!strcmp(s->grids[g].name, p->tok[1].s))
            return perr_tok(p, 1, "grid '%s' defined twice (first at line %u)", p->tok[1].s,
                            s->grids[g].line);
    if (s->n_grids == SWP_MAX_GRIDS)
        return perr_tok(p, 0, "more than %u grids", SWP_MAX_GRIDS);
    struct swp_grid *g = &s->grids[s->n_grids++];
    memset(g, 0, sizeof *g);
    memcpy(g->name, p->tok[1].s, p->tok[1].len + 1);
    g->line = p->line;
    p->sec = g;
    return 0;
}

static int cmd_name(struct sparser *p)
{
    if (p->line_name)
        return perr_tok(p, 0, "`name` given twice (first at line %u)", p->line_name);
    if (p->ntok != 2 || !swp_word(p->tok[1].s, p->tok[1].len) || p->tok[1].len >= SWP_TOK_MAX)
        return perr_tok(p, p->ntok > 2 ? 2 : 0, "expected `name NAME` (a word of at most %u bytes)",
                        SWP_TOK_MAX - 1);
    p->line_name = p->line;
    memcpy(p->s->name, p->tok[1].s, p->tok[1].len + 1);
    return 0;
}

static int cmd_base(struct sparser *p)
{
    if (p->s->line_base)
        return perr_tok(p, 0, "`base` given twice (first at line %u)", p->s->line_base);
    if (p->ntok > 1)
        return perr_tok(p, 1, "`base` stands alone on its line; scenario lines follow, then `end`");
    p->s->line_base = p->line;
    p->in_base = true;
    return 0;
}

/* One command line outside the base block. */
static int command(struct sparser *p)
{
    const char *w = p->tok[0].s;
    for (int a = 0; a < SWP_A_N; a++)
        if (!strcmp(w, swp_axis_names[a]))
            return cmd_axis(p, (enum swp_axis)a);
    if (!strcmp(w, "set"))
        return cmd_set(p);
    if (!strcmp(w, "grid"))
        return cmd_grid(p);
    if (!strcmp(w, "name"))
        return cmd_name(p);
    if (!strcmp(w, "base"))
        return cmd_base(p);
    if (!strcmp(w, "dump_latency")) {
        if (p->ntok > 1)
            return perr_tok(p, 1, "`dump_latency` takes no value");
        p->sec->dump_latency = true;
        return 0;
    }
    if (!strcmp(w, "end"))
        return perr_tok(p, 0, "`end` without `base`");
    return unknown_keyword(p);
}

/* ---- the base block ---- */

/* Keywords the sweep writes itself; a base line may not use them. */
static int base_check(struct sparser *p)
{
    static const char *const owned[] = {"processes", "group", "send", "seed", "place"};
    static const char *const by[] = {"the group_size axis", "the group_size axis",
                                     "the order, senders, rate and size axes", "the seed axis",
                                     "the sweep (one host per process)"};
    for (size_t k = 0; k < 5; k++)
        if (!strcmp(p->tok[0].s, owned[k]))
            return perr_tok(p, 0, "base: `%s` is written by %s; remove it from base", owned[k],
                            by[k]);
    if (!strcmp(p->tok[0].s, "platform") && p->ntok > 2 && !strcmp(p->tok[1].s, "file") &&
        p->tok[2].s[0] != '/')
        return perr_tok(p, 2,
                        "base: `platform file` needs an absolute path here (the generated "
                        "scenarios live in the output directory)");
    return 0;
}

static int base_line(struct sparser *p, const char *b, size_t n)
{
    struct swp_spec *s = p->s;
    if (p->ntok == 1 && !strcmp(p->tok[0].s, "end")) {
        p->in_base = false;
        p->base_done = true;
        return 0;
    }
    if (p->ntok == 0)
        return 0;
    if (base_check(p))
        return 2;
    if (s->n_base == SWP_MAX_BASE)
        return perr_tok(p, 0, "base has more than %u lines", SWP_MAX_BASE);
    if (p->base_len + n + 1 > p->base_cap) {
        p->base_cap = (p->base_len + n + 1) * 2;
        s->base = realloc(s->base, p->base_cap);
        assert(s->base);
    }
    s->base_off[s->n_base] = (uint32_t)p->base_len;
    s->base_line[s->n_base++] = p->line;
    memcpy(s->base + p->base_len, b, n);
    s->base[p->base_len + n] = '\0';
    p->base_len += n + 1;
    return 0;
}

/* ---- the file ---- */

static int parse_line(struct sparser *p, const char *b, size_t n)
{
    if (n > SCN_LINE_MAX - 1)
        return sperr(p->path, p->err, p->line, SCN_LINE_MAX, "line longer than %u bytes",
                     SCN_LINE_MAX - 1);
    if (lex(p, b, n))
        return 2;
    if (p->in_base)
        return base_line(p, b, n);
    if (p->ntok == 0)
        return 0;
    return command(p);
}

/* Gives grid g every axis, set axis and flag of the defaults section it does
 * not give itself, and the built-in default of the other axes. */
static void merge_defaults(const struct swp_spec *s, struct swp_grid *g)
{
    const struct swp_grid *d = &s->defaults;
    for (int a = 0; a < SWP_A_N; a++) {
        if (g->axis[a].line)
            continue;
        if (d->axis[a].line) {
            g->axis[a] = d->axis[a];
            continue;
        }
        assert(swp_axis_dflt[a]);
        g->axis[a].n = 1;
        g->axis[a].line = g->line;
        snprintf(g->axis[a].v[0].text, SWP_TOK_MAX, "%s", swp_axis_dflt[a]);
        g->axis[a].v[0].line = g->line;
        g->axis[a].v[0].col = 1;
    }
    for (uint32_t k = 0; k < d->n_sets && g->n_sets < SWP_MAX_SETS; k++) {
        bool own = false;
        for (uint32_t i = 0; i < g->n_sets; i++)
            own |= !strcmp(g->sets[i].key.text, d->sets[k].key.text);
        if (!own)
            g->sets[g->n_sets++] = d->sets[k];
    }
    g->dump_latency |= d->dump_latency;
}

/* Checks after the last line: base given and closed, every grid has order and group_size. */
static int post_check(struct sparser *p, uint32_t eof_line)
{
    struct swp_spec *s = p->s;
    if (p->in_base)
        return sperr(p->path, p->err, s->line_base, 1, "`base` is never closed by `end`");
    if (!s->line_base)
        return sperr(
            p->path, p->err, eof_line, 1,
            "missing `base ... end`: the scenario lines every run shares (at least `run`)");
    if (s->n_grids == 0) {
        memset(&s->grids[0], 0, sizeof s->grids[0]);
        snprintf(s->grids[0].name, SWP_TOK_MAX, "main");
        s->grids[0].line = eof_line;
        s->n_grids = 1;
    }
    for (uint32_t g = 0; g < s->n_grids; g++) {
        const struct swp_grid *gr = &s->grids[g];
        for (int a = SWP_A_ORDER; a <= SWP_A_GROUP_SIZE; a++)
            if (!gr->axis[a].line && !s->defaults.axis[a].line)
                return sperr(p->path, p->err, gr->line, 1,
                             "grid %s has no `%s` (give it in the grid or before the first grid)",
                             gr->name, swp_axis_names[a]);
        merge_defaults(s, &s->grids[g]);
    }
    return 0;
}

static int parse_all(struct sparser *p, const char *text, size_t len)
{
    size_t at = 0;
    p->line = 0;
    while (at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
        p->line++;
        if (parse_line(p, text + at, n))
            return 2;
        at += n + (nl ? 1 : 0);
    }
    return post_check(p, p->line + 1);
}

int swp_parse_text(const char *path, const char *text, size_t len, struct swp_spec *out, FILE *err)
{
    assert(path && (text || len == 0) && out && err);
    memset(out, 0, sizeof *out);
    snprintf(out->file, sizeof out->file, "%s", path);
    struct sparser *p = calloc(1, sizeof *p);
    out->grids = calloc(SWP_MAX_GRIDS, sizeof *out->grids);
    out->base_off = calloc(SWP_MAX_BASE, sizeof *out->base_off);
    out->base_line = calloc(SWP_MAX_BASE, sizeof *out->base_line);
    assert(p && out->grids && out->base_off && out->base_line);
    p->path = path;
    p->s = out;
    p->sec = &out->defaults;
    p->err = err;
    int rc = 0;
    if (len > SWP_FILE_MAX)
        rc = sperr(path, err, 1, 1, "spec larger than %u bytes", SWP_FILE_MAX);
    else if (memchr(text, '\0', len))
        rc = sperr(path, err, 1, 1, "NUL byte in spec");
    if (rc == 0)
        rc = parse_all(p, text, len);
    free(p);
    if (rc)
        swp_free(out);
    if (rc == 0 && !out->name[0]) {
        const char *b = strrchr(path, '/');
        b = b ? b + 1 : path;
        size_t n = strcspn(b, ".");
        snprintf(out->name, sizeof out->name, "%.*s", (int)(n < SWP_TOK_MAX ? n : SWP_TOK_MAX - 1),
                 b);
    }
    return rc;
}

int swp_parse(const char *path, struct swp_spec *out, FILE *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        memset(out, 0, sizeof *out);
        return sperr(path, err, 1, 1, "cannot open: %s", strerror(errno));
    }
    char *text = malloc(SWP_FILE_MAX + 1);
    assert(text);
    size_t n = fread(text, 1, SWP_FILE_MAX + 1, f);
    bool bad = ferror(f);
    fclose(f);
    int rc;
    if (bad) {
        memset(out, 0, sizeof *out);
        rc = sperr(path, err, 1, 1, "cannot read");
    } else {
        rc = swp_parse_text(path, text, n, out, err);
    }
    free(text);
    return rc;
}

void swp_free(struct swp_spec *s)
{
    free(s->base);
    free(s->base_off);
    free(s->base_line);
    free(s->grids);
    free(s->points);
    memset(s, 0, sizeof *s);
}
