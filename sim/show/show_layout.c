/* sim/show/show_layout.c: the layout of a space-time picture (struct show_layout
 * in show_internal.h): window, lanes, thinning, and the x of every mark.
 */
#define _GNU_SOURCE /* qsort_r */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "show_internal.h"

/* ---- the window ---- */

/* The events around the evidence of the first violation (SHOW_CONTEXT_EVENTS
 * per incarnation before and after it). False when there is none. */
static bool window_violation(const struct show_model *m, double *from, double *to)
{
    uint32_t context = SHOW_CONTEXT_EVENTS * (m->nodes.n ? m->nodes.n : 1);
    uint32_t lo = SHOW_NONE, hi = 0;
    for (uint32_t k = 0; k < m->n_evidence; k++) {
        uint32_t i = m->evidence_ev[k];
        if (i == SHOW_NONE)
            continue;
        lo = i < lo ? i : lo;
        hi = i > hi ? i : hi;
    }
    if (lo == SHOW_NONE)
        return false;
    double span = m->ev[hi].t - m->ev[lo].t;
    uint32_t a = lo > context ? lo - context : 0;
    uint32_t b = hi + context < m->n_ev ? hi + context : m->n_ev - 1;
    *from = fmin(m->ev[a].t, m->ev[lo].t - span / 4);
    *to = fmax(m->ev[b].t, m->ev[hi].t + span / 4);
    *from = fmax(*from, 0);
    return true;
}

static int pick_window(struct show_layout *l, const struct show_model *m, const struct show_opts *o,
                       FILE *err)
{
    double end = m->n_ev ? fmax(m->end_s, m->ev[m->n_ev - 1].t) : m->end_s;
    if (o->from_s >= 0 || o->to_s >= 0) {
        l->from = o->from_s >= 0 ? o->from_s : 0;
        l->to = o->to_s >= 0 ? o->to_s : end;
    } else if (m->n_ev <= SHOW_SHORT_EVENTS || !window_violation(m, &l->from, &l->to)) {
        l->from = 0;
        l->to = end;
    }
    if (!(l->to >= l->from)) {
        if (err)
            fprintf(err, "pgroup show: the window ends (%g s) before it starts (%g s)\n", l->to,
                    l->from);
        return SHOW_E_USAGE;
    }
    if (l->to - l->from < 1e-6) { /* one instant: a microsecond around it */
        l->from = fmax(0, l->from - 5e-7);
        l->to = l->from + 1e-6;
    }
    uint32_t i = 0;
    while (i < m->n_ev && m->ev[i].t < l->from)
        i++;
    l->i_lo = i;
    while (i < m->n_ev && m->ev[i].t <= l->to)
        i++;
    l->i_hi = i;
    return SHOW_OK;
}

/* ---- lanes ---- */

static int lane_cmp(const void *a, const void *b, void *ctx)
{
    const struct show_model *m = ctx;
    return show_node_cmp(show_node_name(m, *(const uint32_t *)a),
                         show_node_name(m, *(const uint32_t *)b));
}

/* Nodes with an event in group g (all nodes when g is SHOW_NONE). */
static bool *nodes_in_group(const struct show_model *m, uint32_t g)
{
    bool *in = calloc(m->nodes.n ? m->nodes.n : 1, sizeof *in);
    for (uint32_t i = 0; in && i < m->n_ev; i++)
        if (m->ev[i].node != SHOW_NONE && (g == SHOW_NONE || m->ev[i].group == g))
            in[m->ev[i].node] = true;
    return in;
}

static int pick_lanes(struct show_layout *l, const struct show_model *m, const struct show_opts *o,
                      FILE *err)
{
    uint32_t n = m->nodes.n;
    l->lane_of = malloc((n ? n : 1) * sizeof *l->lane_of);
    l->lanes = malloc((n ? n : 1) * sizeof *l->lanes);
    bool *in = nodes_in_group(m, l->group);
    if (!l->lane_of || !l->lanes || !in) {
        free(in);
        return SHOW_E_LIMIT;
    }
    bool listed = false;
    for (uint32_t k = 0; k < n; k++) {
        bool named = show_node_listed(m, k, o->nodes);
        listed |= named;
        l->lane_of[k] = SHOW_NONE;
        if (named && in[k] && m->nodev[k].t1 >= l->from && m->nodev[k].t0 <= l->to)
            l->lanes[l->n_lanes++] = k;
    }
    free(in);
    if (o->nodes && !listed) {
        if (err)
            fprintf(err, "pgroup show: --nodes %s names no node of the trace\n", o->nodes);
        return SHOW_E_USAGE;
    }
    qsort_r(l->lanes, l->n_lanes, sizeof *l->lanes, lane_cmp, (void *)m);
    for (uint32_t k = 0; k < l->n_lanes; k++)
        l->lane_of[l->lanes[k]] = k;
    return SHOW_OK;
}

/* ---- messages and thinning ---- */

static bool msg_shown(const struct show_layout *l, const struct show_model *m, uint32_t msg)
{
    return msg != SHOW_NONE && (l->group == SHOW_NONE || m->msgv[msg].group == l->group);
}

/* Whether the delivery at event d of msg is an arrow the window holds (part of it). */
static bool arrow_in_window(const struct show_layout *l, const struct show_model *m,
                            const struct show_msg *g, uint32_t d)
{
    const struct show_ev *v = &m->ev[d];
    if (g->send == SHOW_NONE || v->node == g->sender || g->sender == SHOW_NONE)
        return false;
    if (l->lane_of[v->node] == SHOW_NONE || l->lane_of[g->sender] == SHOW_NONE)
        return false;
    return v->t >= l->from && m->ev[g->send].t <= l->to; /* it crosses the window */
}

/* Marks the messages the window holds (in msg_drawn, before thinning) and
 * those named by evidence events; counts the arrows. */
static void mark_msgs(struct show_layout *l, const struct show_model *m)
{
    for (uint32_t i = l->i_lo; i < l->i_hi; i++)
        if ((m->ev[i].ev == CHK_EV_SEND || m->ev[i].ev == CHK_EV_DELIVER) &&
            msg_shown(l, m, m->ev[i].msg))
            l->msg_drawn[m->ev[i].msg] = true;
    for (uint32_t k = 0; k < m->n_evidence; k++) {
        uint32_t i = m->evidence_ev[k];
        if (i != SHOW_NONE && m->ev[i].msg != SHOW_NONE)
            l->msg_evidence[m->ev[i].msg] = true;
    }
    for (uint32_t msg = 0; msg < m->msgs.n; msg++) {
        const struct show_msg *g = &m->msgv[msg];
        for (uint32_t k = 0; l->msg_drawn[msg] && k < g->n_dlv; k++)
            l->arrows_all += arrow_in_window(l, m, g, m->dlv[g->dlv0 + k]);
    }
}

/* Keeps about one message in k (by a hash of its id, so that no sender is
 * dropped whole), and every message an evidence event names. */
static void thin_msgs(struct show_layout *l, const struct show_model *m)
{
    l->thin_k = l->arrows_all > SHOW_ARROWS_MAX
                    ? (l->arrows_all + SHOW_ARROWS_MAX - 1) / SHOW_ARROWS_MAX
                    : 1;
    for (uint32_t msg = 0; msg < m->msgs.n; msg++) {
        if (!l->msg_drawn[msg])
            continue;
        uint32_t h = msg * 2654435761u;
        h ^= h >> 16;
        l->msg_drawn[msg] = l->msg_evidence[msg] || h % l->thin_k == 0;
        const struct show_msg *g = &m->msgv[msg];
        for (uint32_t k = 0; l->msg_drawn[msg] && k < g->n_dlv; k++)
            l->arrows += arrow_in_window(l, m, g, m->dlv[g->dlv0 + k]);
    }
}

/* ---- x ---- */

bool show_positioned(const struct show_layout *l, const struct show_model *m, uint32_t i)
{
    const struct show_ev *v = &m->ev[i];
    if (v->node == SHOW_NONE || l->lane_of[v->node] == SHOW_NONE)
        return false;
    switch (v->ev) {
    case CHK_EV_SEND:
    case CHK_EV_DELIVER:
        return v->msg != SHOW_NONE && l->msg_drawn[v->msg];
    case CHK_EV_VIEW:
    case CHK_EV_EXCLUDED:
        return l->group == SHOW_NONE || v->group == l->group;
    case CHK_EV_CRASH:
    case CHK_EV_START:
        return true;
    default:
        return false;
    }
}

/* Places the events with the current scale and gap; returns the total stretch. */
static double place(struct show_layout *l, const struct show_model *m, double *last)
{
    for (uint32_t k = 0; k < l->n_lanes; k++)
        last[k] = -INFINITY;
    double shift = 0;
    l->n_bp = 0;
    for (uint32_t i = l->i_lo; i < l->i_hi; i++) {
        l->xs[i - l->i_lo] = NAN;
        if (!show_positioned(l, m, i))
            continue;
        uint32_t lane = l->lane_of[m->ev[i].node];
        double base = (m->ev[i].t - l->from) * l->scale, x = base + shift;
        if (x < last[lane] + l->gap) {
            x = last[lane] + l->gap;
            shift = x - base;
            l->bp_t[l->n_bp] = m->ev[i].t;
            l->bp_s[l->n_bp++] = shift;
        }
        last[lane] = x;
        l->xs[i - l->i_lo] = x;
    }
    return shift;
}

/* Scale and gap so that the time axis and its stretches fill about SHOW_PLOT_W. */
static void place_all(struct show_layout *l, const struct show_model *m, double *last)
{
    double span = l->to - l->from, w = SHOW_PLOT_W;
    l->gap = SHOW_MIN_GAP;
    l->scale = w / span;
    for (int pass = 0; pass < 3; pass++) {
        double s = place(l, m, last);
        if (s > SHOW_STRETCH_MAX * w) { /* too many stretches: smaller gaps */
            l->gap *= SHOW_STRETCH_MAX * w / s;
            s = place(l, m, last);
        }
        l->scale = fmax(w - s, (1 - SHOW_STRETCH_MAX) * w) / span;
    }
    double s = place(l, m, last);
    l->plot_w = span * l->scale + s;
}

double show_x_of_t(const struct show_layout *l, double t)
{
    double x = l->x0 + (t - l->from) * l->scale;
    uint32_t lo = 0, hi = l->n_bp; /* the last breakpoint before t */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (l->bp_t[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return x + (lo ? l->bp_s[lo - 1] : 0);
}

double show_x_of_ev(const struct show_layout *l, const struct show_model *m, uint32_t i)
{
    if (i >= l->i_lo && i < l->i_hi && !isnan(l->xs[i - l->i_lo]))
        return l->x0 + l->xs[i - l->i_lo];
    return show_x_of_t(l, m->ev[i].t);
}

int show_layout_build(struct show_layout *l, const struct show_model *m, const struct show_opts *o,
                      FILE *err)
{
    *l = (struct show_layout){.group = SHOW_NONE, .thin_k = 1};
    if (o->group && (l->group = show_tab_find(&m->groups, o->group)) == SHOW_NONE) {
        if (err)
            fprintf(err, "pgroup show: the trace has no group '%s'\n", o->group);
        return SHOW_E_USAGE;
    }
    int rc = pick_window(l, m, o, err);
    if (rc == SHOW_OK)
        rc = pick_lanes(l, m, o, err);
    if (rc != SHOW_OK)
        return rc;
    uint32_t n = l->i_hi - l->i_lo;
    l->msg_drawn = calloc(m->msgs.n ? m->msgs.n : 1, sizeof *l->msg_drawn);
    l->msg_evidence = calloc(m->msgs.n ? m->msgs.n : 1, sizeof *l->msg_evidence);
    l->xs = malloc((n ? n : 1) * sizeof *l->xs);
    l->bp_t = malloc((n ? n : 1) * sizeof *l->bp_t);
    l->bp_s = malloc((n ? n : 1) * sizeof *l->bp_s);
    double *last = malloc((l->n_lanes ? l->n_lanes : 1) * sizeof *last);
    if (!l->msg_drawn || !l->msg_evidence || !l->xs || !l->bp_t || !l->bp_s || !last) {
        free(last);
        if (err)
            fprintf(err, "pgroup show: out of memory\n");
        return SHOW_E_LIMIT;
    }
    mark_msgs(l, m);
    thin_msgs(l, m);
    place_all(l, m, last);
    free(last);
    return SHOW_OK;
}

void show_layout_free(struct show_layout *l)
{
    free(l->lane_of);
    free(l->lanes);
    free(l->msg_drawn);
    free(l->msg_evidence);
    free(l->xs);
    free(l->bp_t);
    free(l->bp_s);
    memset(l, 0, sizeof *l);
}
