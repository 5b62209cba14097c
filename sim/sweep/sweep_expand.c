/* sim/sweep/sweep_expand.c: a parsed sweep spec into points, one generated scenario
 * each, checked by the scenario parser. See sweep.h.
 *
 * A point's scenario is, in this order: `seed`, `processes p1..pN`, `group g
 * p1..pN`, `send p1..pK group g order O rate R size S`, `at 0s loss L`, one
 * `set KEY V` per set axis, `at T crash pN` (crash variant), then the base
 * lines verbatim. Each substituted value remembers the spec token it came
 * from, so that an error in the generated text is reported there.
 */
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sweep.h"

#define SWP_MAX_SEGS 64

/* A substituted value: where it is in the generated text, where in the spec. */
struct seg {
    uint32_t gen_line, gen_col, len;
    uint32_t line, col;
};

struct gen {
    char *buf;
    size_t cap, len;
    bool ok;
    uint32_t line, col; /* position of the next byte (1-based) */
    struct seg segs[SWP_MAX_SEGS];
    uint32_t n_segs;
    uint32_t base_first; /* generated line of the first base line */
    uint32_t loss_line, crash_line;
};

static void put(struct gen *g, const char *text)
{
    size_t n = strlen(text);
    if (g->len + n + 1 > g->cap) {
        g->ok = false;
        return;
    }
    memcpy(g->buf + g->len, text, n + 1);
    g->len += n;
    for (size_t i = 0; i < n; i++) {
        g->col++;
        if (text[i] == '\n') {
            g->line++;
            g->col = 1;
        }
    }
}

/* Appends `text`, generated from spec value v: an error in it is reported at v. */
static void put_mapped(struct gen *g, const struct swp_value *v, const char *text)
{
    if (g->n_segs < SWP_MAX_SEGS)
        g->segs[g->n_segs++] =
            (struct seg){g->line, g->col, (uint32_t)strlen(text), v->line, v->col};
    put(g, text);
}

static void put_val(struct gen *g, const struct swp_value *v)
{
    put_mapped(g, v, v->text);
}

static void put_members(struct gen *g, const struct swp_value *v, uint32_t n)
{
    char t[32];
    if (n == 1)
        snprintf(t, sizeof t, "p1");
    else
        snprintf(t, sizeof t, "p1..p%u", n);
    put_mapped(g, v, t);
}

static const struct swp_value *val(const struct swp_spec *s, const struct swp_point *p,
                                   enum swp_axis a)
{
    const struct swp_values *v = &s->grids[p->grid].axis[a];
    assert(p->idx[a] < v->n);
    return &v->v[p->idx[a]];
}

/* The group size and sender count of p (senders may exceed the size: skipped). */
static void sizes(const struct swp_spec *s, const struct swp_point *p, uint32_t *n, uint32_t *k)
{
    *n = (uint32_t)strtoul(val(s, p, SWP_A_GROUP_SIZE)->text, NULL, 10);
    const char *sv = val(s, p, SWP_A_SENDERS)->text;
    *k = !strcmp(sv, "all") ? *n : !strcmp(sv, "last") ? 1 : (uint32_t)strtoul(sv, NULL, 10);
}

static void gen_point(const struct swp_spec *s, const struct swp_point *p, struct gen *g)
{
    const struct swp_grid *gr = &s->grids[p->grid];
    uint32_t n, k;
    sizes(s, p, &n, &k);
    put(g, "seed ");
    put_val(g, val(s, p, SWP_A_SEED));
    put(g, "\nprocesses ");
    put_members(g, val(s, p, SWP_A_GROUP_SIZE), n);
    put(g, "\ngroup g ");
    put_members(g, val(s, p, SWP_A_GROUP_SIZE), n);
    put(g, "\nsend ");
    if (!strcmp(val(s, p, SWP_A_SENDERS)->text, "last")) { /* one sender, not the coordinator */
        char t[32];
        snprintf(t, sizeof t, "p%u", n);
        put_mapped(g, val(s, p, SWP_A_SENDERS), t);
    } else {
        put_members(g, val(s, p, SWP_A_SENDERS), k);
    }
    put(g, " group g order ");
    put_val(g, val(s, p, SWP_A_ORDER));
    put(g, " rate ");
    put_val(g, val(s, p, SWP_A_RATE));
    put(g, " size ");
    put_val(g, val(s, p, SWP_A_SIZE));
    g->loss_line = g->line + 1;
    put(g, "\nat 0s loss ");
    put_val(g, val(s, p, SWP_A_LOSS));
    put(g, "\n");
    for (uint32_t i = 0; i < gr->n_sets; i++) {
        put(g, "set ");
        put_val(g, &gr->sets[i].key);
        put(g, " ");
        put_val(g, &gr->sets[i].vals.v[p->set_idx[i]]);
        put(g, "\n");
    }
    g->crash_line = 0;
    if (strcmp(val(s, p, SWP_A_CRASH)->text, "none")) {
        g->crash_line = g->line;
        put(g, "at ");
        put_val(g, val(s, p, SWP_A_CRASH));
        put(g, " crash ");
        char t[32];
        snprintf(t, sizeof t, "p%u", n);
        put_mapped(g, val(s, p, SWP_A_CRASH), t);
        put(g, "\n");
    }
    g->base_first = g->line;
    for (uint32_t i = 0; i < s->n_base; i++) {
        put(g, s->base + s->base_off[i]);
        put(g, "\n");
    }
}

size_t swp_scenario_text(const struct swp_spec *s, const struct swp_point *p, char *buf, size_t cap)
{
    struct gen g = {.buf = buf, .cap = cap, .ok = cap > 0, .line = 1, .col = 1};
    if (cap)
        buf[0] = '\0';
    gen_point(s, p, &g);
    return g.ok ? g.len : 0;
}

const char *swp_point_set(const struct swp_spec *s, const struct swp_point *p, const char *key)
{
    const struct swp_grid *gr = &s->grids[p->grid];
    for (uint32_t i = 0; i < gr->n_sets; i++)
        if (!strcmp(gr->sets[i].key.text, key))
            return gr->sets[i].vals.v[p->set_idx[i]].text;
    return "";
}

/* ---- checking a point's scenario ---- */

/* Maps generated (line, col) to the spec; *line 0 if nothing matches. */
static void map_pos(const struct swp_spec *s, const struct gen *g, uint32_t gl, uint32_t gc,
                    uint32_t *line, uint32_t *col)
{
    *line = *col = 0;
    if (gl >= g->base_first && gl < g->base_first + s->n_base) {
        *line = s->base_line[gl - g->base_first];
        *col = gc;
        return;
    }
    for (uint32_t i = 0; i < g->n_segs; i++) {
        const struct seg *sg = &g->segs[i];
        if (sg->gen_line != gl)
            continue;
        if (!*line || (gc >= sg->gen_col && gc < sg->gen_col + sg->len)) {
            *line = sg->line;
            *col =
                sg->col + (gc >= sg->gen_col && gc < sg->gen_col + sg->len ? gc - sg->gen_col : 0);
        }
    }
}

/* Re-reports the scenario parser's message `msg` (GEN:LINE:COL: text) at the spec. */
static int report(const struct swp_spec *s, const struct swp_point *p, const struct gen *g,
                  const char *gen_path, const char *msg, FILE *err)
{
    unsigned gl = 0, gc = 0;
    int at = 0;
    size_t np = strlen(gen_path);
    const char *text = msg;
    if (!strncmp(msg, gen_path, np) && sscanf(msg + np, ":%u:%u: %n", &gl, &gc, &at) == 2 && at > 0)
        text = msg + np + at;
    uint32_t line, col;
    map_pos(s, g, gl, gc, &line, &col);
    if (!line) { /* after the last line (a missing `run`): the base block's business */
        line = s->line_base;
        col = 1;
    }
    size_t tl = strcspn(text, "\n");
    fprintf(err, "%s:%u:%u: %.*s (in the scenario of %s)\n", s->file, line, col, (int)tl, text,
            p->id);
    return 2;
}

/* Canonical values of p from its parsed scenario. */
static void canon(struct swp_point *p, const struct scn *sc, const struct gen *g)
{
    p->group_size = sc->groups[0].n_members;
    p->senders = sc->workloads[0].n_senders;
    p->first_sender = sc->workloads[0].senders[0] + 1;
    p->rate = sc->workloads[0].rate_per_s;
    p->msg_bytes = sc->workloads[0].size_bytes;
    p->seed = sc->seed;
    p->loss = 0;
    p->crash_s = -1;
    for (uint32_t i = 0; i < sc->n_faults; i++) {
        const struct scn_fault *f = &sc->faults[i];
        if (f->line == g->loss_line && f->kind == SCN_F_LOSS)
            p->loss = f->prob;
        if (g->crash_line && f->line == g->crash_line && f->kind == SCN_F_CRASH)
            p->crash_s = (double)f->at_ns / 1e9;
    }
}

/* Generates and parses p's scenario; fills its canonical values. */
static int check_point(const struct swp_spec *s, struct swp_point *p, char *buf, size_t cap,
                       FILE *err)
{
    struct gen g = {.buf = buf, .cap = cap, .ok = true, .line = 1, .col = 1};
    gen_point(s, p, &g);
    if (!g.ok)
        return report(s, p, &g, "", "the generated scenario is too long", err);
    char *msg = NULL;
    size_t msg_len = 0;
    FILE *mem = open_memstream(&msg, &msg_len);
    assert(mem);
    static const char gen_path[] = "generated.scn";
    struct scn sc;
    int rc = scn_parse_text(gen_path, buf, g.len, &sc, mem);
    fclose(mem);
    if (rc == 0) {
        canon(p, &sc, &g);
        scn_free(&sc);
    } else {
        rc = report(s, p, &g, gen_path, msg ? msg : "", err);
    }
    free(msg);
    return rc;
}

/* ---- expansion ---- */

/* Appends `text` to the id, with bytes outside [A-Za-z0-9._] made '_'. */
static void id_put(char *id, size_t cap, const char *text)
{
    size_t at = strlen(id);
    for (const char *c = text; *c && at + 1 < cap; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-';
        id[at++] = ok ? *c : '_';
    }
    id[at] = '\0';
}

/* The id of p from its canonical values: the key of its results.csv row. */
static void point_id(const struct swp_spec *s, struct swp_point *p)
{
    const struct swp_grid *gr = &s->grids[p->grid];
    char t[160];
    p->id[0] = '\0';
    char snd[24];
    if (p->senders == 1 && p->first_sender > 1)
        snprintf(snd, sizeof snd, "p%u", p->first_sender);
    else
        snprintf(snd, sizeof snd, "%u", p->senders);
    snprintf(t, sizeof t, "%s-%s-n%u-s%s-r%g-b%u-l%g", gr->name, val(s, p, SWP_A_ORDER)->text,
             p->group_size, snd, p->rate, p->msg_bytes, p->loss * 100);
    id_put(p->id, sizeof p->id, t);
    if (p->crash_s >= 0) {
        snprintf(t, sizeof t, "-crash%g", p->crash_s);
        id_put(p->id, sizeof p->id, t);
    }
    for (uint32_t i = 0; i < gr->n_sets; i++) {
        snprintf(t, sizeof t, "-%s.%s", gr->sets[i].key.text,
                 gr->sets[i].vals.v[p->set_idx[i]].text);
        id_put(p->id, sizeof p->id, t);
    }
    snprintf(t, sizeof t, "-seed%llu", (unsigned long long)p->seed);
    id_put(p->id, sizeof p->id, t);
}

/* "grid NAME: order cbcast, group_size 8, ...": the point as written in the spec. */
static void describe(const struct swp_spec *s, const struct swp_point *p, char *buf, size_t cap)
{
    const struct swp_grid *gr = &s->grids[p->grid];
    size_t at = (size_t)snprintf(buf, cap, "grid %s:", gr->name);
    for (int a = 0; a < SWP_A_N && at < cap; a++)
        at += (size_t)snprintf(buf + at, cap - at, "%s %s %s", a ? "," : "", swp_axis_name(a),
                               val(s, p, (enum swp_axis)a)->text);
    for (uint32_t i = 0; i < gr->n_sets && at < cap; i++)
        at += (size_t)snprintf(buf + at, cap - at, ", set %s %s", gr->sets[i].key.text,
                               gr->sets[i].vals.v[p->set_idx[i]].text);
}

/* Advances the odometer of p over grid gr (seed innermost). False when done. */
static bool next_point(const struct swp_grid *gr, struct swp_point *p)
{
    if (++p->idx[SWP_A_SEED] < gr->axis[SWP_A_SEED].n)
        return true;
    p->idx[SWP_A_SEED] = 0;
    for (uint32_t i = gr->n_sets; i-- > 0;) {
        if (++p->set_idx[i] < gr->sets[i].vals.n)
            return true;
        p->set_idx[i] = 0;
    }
    for (int a = SWP_A_CRASH; a >= 0; a--) {
        if (++p->idx[a] < gr->axis[a].n)
            return true;
        p->idx[a] = 0;
    }
    return false;
}

static int id_cmp(const void *a, const void *b)
{
    const struct swp_point *x = *(const struct swp_point *const *)a;
    const struct swp_point *y = *(const struct swp_point *const *)b;
    return strcmp(x->id, y->id);
}

/* Two points of one spec must not be the same run (e.g. `size 1KB 1000B`). */
static int check_unique(const struct swp_spec *s, FILE *err)
{
    const struct swp_point **v = malloc((s->n_points + 1) * sizeof *v);
    assert(v);
    for (uint32_t i = 0; i < s->n_points; i++)
        v[i] = &s->points[i];
    qsort(v, s->n_points, sizeof *v, id_cmp);
    int rc = 0;
    for (uint32_t i = 1; i < s->n_points && !rc; i++) {
        if (strcmp(v[i - 1]->id, v[i]->id))
            continue;
        const struct swp_grid *gr = &s->grids[v[i]->grid];
        fprintf(err, "%s:%u:1: grid %s gives run %s twice (two values of an axis are equal)\n",
                s->file, gr->line, gr->name, v[i]->id);
        rc = 2;
    }
    free(v);
    return rc;
}

static int expand_grid(struct swp_spec *s, uint32_t g, uint32_t max, uint32_t *cap_points,
                       char *buf, size_t cap, FILE *err)
{
    const struct swp_grid *gr = &s->grids[g];
    struct swp_point p;
    memset(&p, 0, sizeof p);
    p.grid = g;
    do {
        uint32_t n, k;
        sizes(s, &p, &n, &k);
        if (k > n) {
            s->n_skipped++;
            continue;
        }
        if (s->n_points == max)
            return fprintf(err, "%s:%u:1: the spec has more than %u runs\n", s->file, gr->line,
                           max),
                   2;
        describe(s, &p, p.id, sizeof p.id); /* the id proper needs the parsed values */
        if (check_point(s, &p, buf, cap, err))
            return 2;
        point_id(s, &p);
        if (s->n_points == *cap_points) {
            *cap_points = *cap_points ? 2 * *cap_points : 64;
            s->points = realloc(s->points, *cap_points * sizeof *s->points);
            assert(s->points);
        }
        s->points[s->n_points++] = p;
    } while (next_point(gr, &p));
    return 0;
}

int swp_expand(struct swp_spec *s, uint32_t max_points, FILE *err)
{
    assert(s && s->n_grids > 0 && !s->points);
    uint32_t max = max_points ? max_points : SWP_MAX_POINTS;
    uint32_t cap_points = 0;
    size_t cap = (size_t)SWP_MAX_BASE * SCN_LINE_MAX;
    char *buf = malloc(cap);
    assert(buf);
    int rc = 0;
    for (uint32_t g = 0; g < s->n_grids && !rc; g++)
        rc = expand_grid(s, g, max, &cap_points, buf, cap, err);
    free(buf);
    if (!rc && s->n_points == 0) {
        fprintf(err, "%s:%u:1: the spec gives no run (every point has more senders than members)\n",
                s->file, s->grids[0].line);
        rc = 2;
    }
    return rc ? rc : check_unique(s, err);
}
