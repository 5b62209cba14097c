/* sim/show/show_shiviz.c: the ShiViz log of sim/show/show.h.
 *
 * Fidge/Mattern vector clocks over the trace's happens-before relation
 * (TRACE.md rule 6: each node's local order, and send(m) before every
 * deliver(m)): every event of node n increments n's own entry; a delivery
 * first merges (entry-wise maximum) the clock the send carried. Then
 * e1 -> e2 exactly when VC(e1) <= VC(e2) entry by entry and e1 != e2, and
 * ShiViz, which draws an edge to the event whose own entry a clock raises,
 * draws every delivery's arrow from its send.
 */
#include <stdlib.h>
#include <string.h>

#include "show_internal.h"

#define SHIVIZ_NODES_MAX (1u << 12) /* nodes: the dense clocks are nodes^2 entries */
#define SHIVIZ_POOL_MAX  (1u << 27) /* clock entries stored for the sends */

struct shiviz {
    const struct show_model *m;
    uint32_t n;       /* nodes */
    uint32_t *vc;     /* [node * n + node]: each node's current clock */
    uint64_t *snap;   /* by msg: offset + 1 into pool of the send's clock, 0 when none */
    uint32_t *snap_n; /* by msg: entries of it */
    uint32_t *pool;   /* pairs (node, value) */
    uint32_t n_pool, pool_cap;
};

/* Stores the nonzero entries of node's clock as msg's send clock. */
static bool snapshot(struct shiviz *z, uint32_t node, uint32_t msg)
{
    const uint32_t *vc = &z->vc[(size_t)node * z->n];
    uint32_t nz = 0;
    for (uint32_t k = 0; k < z->n; k++)
        nz += vc[k] != 0;
    while (z->n_pool + 2 * nz > z->pool_cap)
        if (z->pool_cap >= SHIVIZ_POOL_MAX ||
            !show_grow((void **)&z->pool, &z->pool_cap, sizeof *z->pool))
            return false;
    z->snap[msg] = (uint64_t)z->n_pool + 1;
    z->snap_n[msg] = nz;
    for (uint32_t k = 0; k < z->n; k++)
        if (vc[k]) {
            z->pool[z->n_pool++] = k;
            z->pool[z->n_pool++] = vc[k];
        }
    return true;
}

static void merge(struct shiviz *z, uint32_t node, uint32_t msg)
{
    if (!z->snap[msg])
        return;
    uint32_t *vc = &z->vc[(size_t)node * z->n];
    const uint32_t *p = &z->pool[z->snap[msg] - 1];
    for (uint32_t k = 0; k < z->snap_n[msg]; k++, p += 2)
        vc[p[0]] = p[1] > vc[p[0]] ? p[1] : vc[p[0]];
}

static void write_clock(const struct shiviz *z, uint32_t node, FILE *f)
{
    const uint32_t *vc = &z->vc[(size_t)node * z->n];
    fputc('{', f);
    bool first = true;
    for (uint32_t k = 0; k < z->n; k++) {
        if (!vc[k])
            continue;
        fprintf(f, "%s", first ? "" : ",");
        show_json_str(f, show_node_name(z->m, k));
        fprintf(f, ":%u", vc[k]);
        first = false;
    }
    fputc('}', f);
}

static bool write_events(struct shiviz *z, FILE *f)
{
    const struct show_model *m = z->m;
    char text[2048];
    for (uint32_t i = 0; i < m->n_ev; i++) {
        const struct show_ev *v = &m->ev[i];
        if (v->node == SHOW_NONE)
            continue;
        if (v->ev == CHK_EV_DELIVER && v->msg != SHOW_NONE)
            merge(z, v->node, v->msg);
        z->vc[(size_t)v->node * z->n + v->node]++;
        if (v->ev == CHK_EV_SEND && v->msg != SHOW_NONE && !z->snap[v->msg] &&
            !snapshot(z, v->node, v->msg))
            return false;
        char t[32];
        snprintf(t, sizeof t, "%.9f", v->t);
        fprintf(f, "%s ", show_node_name(m, v->node));
        write_clock(z, v->node, f);
        fprintf(f, " %llu %s %s\n", (unsigned long long)v->line, t,
                show_ev_describe(m, i, text, sizeof text));
    }
    return true;
}

/* A name ShiViz's regex and JSON clock both take as it is. */
static bool plain_name(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == '"' || *s == '\\' || *s == '{' || *s == '}')
            return false;
    return true;
}

static int shiviz_check(const struct show_model *m, FILE *err)
{
    if (m->nodes.n > SHIVIZ_NODES_MAX) {
        if (err)
            fprintf(err, "pgroup show: %u nodes: the ShiViz export takes at most %u\n", m->nodes.n,
                    SHIVIZ_NODES_MAX);
        return SHOW_E_LIMIT;
    }
    for (uint32_t k = 0; k < m->nodes.n; k++)
        if (!plain_name(m->nodes.names[k])) {
            if (err)
                fprintf(err,
                        "pgroup show: node name '%s' has a character ShiViz's log cannot "
                        "carry (space, quote, backslash or brace)\n",
                        m->nodes.names[k]);
            return SHOW_E_LIMIT;
        }
    return SHOW_OK;
}

int show_shiviz_file(const char *trace_path, const char *out_path, FILE *err)
{
    struct show_model m;
    int rc = show_model_load(&m, trace_path, err);
    rc = rc == SHOW_OK ? shiviz_check(&m, err) : rc;
    struct shiviz z = {.m = &m, .n = m.nodes.n};
    if (rc == SHOW_OK) {
        z.vc = calloc((size_t)(z.n ? z.n : 1) * (z.n ? z.n : 1), sizeof *z.vc);
        z.snap = calloc(m.msgs.n ? m.msgs.n : 1, sizeof *z.snap);
        z.snap_n = calloc(m.msgs.n ? m.msgs.n : 1, sizeof *z.snap_n);
        rc = z.vc && z.snap && z.snap_n ? SHOW_OK : SHOW_E_LIMIT;
    }
    FILE *f = rc == SHOW_OK ? show_out_open(out_path, err) : NULL;
    if (rc == SHOW_OK && !f)
        rc = SHOW_E_OUTPUT;
    if (f) {
        fprintf(f, "%s\n\n", SHOW_SHIVIZ_REGEX);
        if (!write_events(&z, f)) {
            if (err)
                fprintf(err, "pgroup show: too many clock entries for the ShiViz export\n");
            rc = SHOW_E_LIMIT;
        }
        rc = show_out_close(f, out_path, err, rc);
    }
    free(z.vc);
    free(z.snap);
    free(z.snap_n);
    free(z.pool);
    show_model_free(&m);
    return rc;
}
