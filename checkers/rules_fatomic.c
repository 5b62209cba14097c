/* checkers/rules_fatomic.c: rule 5 of TRACE.md, failure atomicity and validity
 * (paper section 3.1: a message is delivered to all survivors or to none).
 *
 * For each (group g, view v) the checker keeps
 *  - W(g, v), the msgs owed in v: a msg enters W when a node that installs
 *    v + 1 from v had delivered it in v (while its latest view was v), or had
 *    sent it in v (the send's `view`, else the sender's view then: a send
 *    held through a flush names the view it goes out in), so the sender
 *    survived into v + 1; each entry remembers that trigger;
 *  - the closers: the nodes that installed v + 1 from v (chk_view_closes),
 *    with the lines of their view v and v + 1 events.
 * A violation is a pair (closer C, msg m in W) where C did not deliver m in v
 * (C's first delivery of m does not lie between its view v and v + 1 events).
 * Each pair is found exactly once, whichever fact comes last:
 *  - when a node closes v, the msgs it delivered and sent in v enter W; each
 *    msg new to W is checked against every earlier closer (the retroactive
 *    case: a delivery in v recorded after another node already moved on);
 *  - then the closer itself is checked against all of W: its set is a subset
 *    of W, so only when |W| exceeds its set size is W walked for the missing.
 * Evidence: the trigger (deliver or send), the trigger's view v + 1 event
 * and the closer's view v + 1 event.
 *
 * Cost: each msg delivered or sent in v is added to W once per closer (a
 * hash probe) and, when new, checked against the closers so far: O(closers)
 * per msg per view, O(1) per deliver. Memory: one W entry per (msg, view of
 * delivery) and one record per closer.
 */
#include <stdlib.h>

#include "chk_internal.h"

struct fa_w { /* one msg of W(g, v) */
    uint32_t msg, next;
    uint32_t trig_node;
    bool by_send; /* the trigger sent it (else delivered it) */
    uint64_t trig_close_line;
};

struct fa_closer {
    uint32_t node, next;
    uint64_t install_line, close_line;
};

struct fa_gv {
    uint32_t group, w_head, c_head;
    int64_t view;
    size_t n_w;
    bool has_first; /* the first closer's delivered set is in W: */
    uint64_t first_hash, first_count;
};

struct fa_st {
    struct chk_map gv_map; /* (group, view) -> index into gvs */
    struct fa_gv *gvs;
    size_t n_gvs, gvs_cap;
    struct chk_map w_map; /* (gv, msg) -> index into ws */
    struct fa_w *ws;
    size_t n_ws, ws_cap;
    struct fa_closer *cls;
    size_t n_cls, cls_cap;
};

static void *fa_init(struct chk *c)
{
    (void)c;
    return calloc(1, sizeof(struct fa_st));
}

static void fa_fini(void *st)
{
    struct fa_st *s = st;
    chk_map_free(&s->gv_map);
    free(s->gvs);
    chk_map_free(&s->w_map);
    free(s->ws);
    free(s->cls);
    free(s);
}

static bool fa_in(const struct chk *c, uint32_t node, uint64_t install, uint64_t close,
                  uint32_t msg)
{
    uint64_t line = chk_delivered_line(c, node, msg);
    return line > install && line < close;
}

/* One (closer, msg) violation. `cur` is the view event being judged. */
static void fa_report(struct chk *c, const struct chk_cur *cur, const struct fa_gv *gv,
                      uint32_t node, uint64_t close_line, const struct fa_w *w)
{
    long long v = (long long)gv->view;
    const char *g = chk_group_name(c, gv->group), *who = chk_node_name(c, w->trig_node);
    const char *m = chk_msg_name(c, w->msg);
    struct chk_vio *vio;
    if (w->by_send)
        vio = chk_violation(c, CHK_R_FAILURE_ATOMIC,
                            "%s installed view %lld of %s without delivering %s in view %lld, "
                            "which its sender %s sent in view %lld before installing view %lld",
                            chk_node_name(c, node), v + 1, g, m, v, who, v, v + 1);
    else
        vio = chk_violation(c, CHK_R_FAILURE_ATOMIC,
                            "%s installed view %lld of %s without delivering %s in view %lld, "
                            "which %s delivered in view %lld before installing view %lld",
                            chk_node_name(c, node), v + 1, g, m, v, who, v, v + 1);
    if (!vio)
        return;
    chk_vio_event(vio, cur->e);
    if (w->by_send)
        chk_vio_send(c, vio, w->msg);
    else
        chk_vio_text(vio, chk_delivered_line(c, w->trig_node, w->msg), "deliver node=%s msg=%s",
                     who, m);
    const struct chk_view *next = chk_view_find(c, gv->group, gv->view + 1);
    chk_vio_view_rec(c, vio, w->trig_node, next, w->trig_close_line);
    chk_vio_view_rec(c, vio, node, next, close_line);
}

/* Adds msg to W(gv); when new, checks it against the earlier closers. */
static bool fa_w_add(struct chk *c, struct fa_st *s, const struct chk_cur *cur, uint32_t gvi,
                     struct fa_w w)
{
    bool created;
    uint64_t *at = chk_map_upsert(&s->w_map, gvi, w.msg, s->n_ws, &created);
    if (!at)
        return false;
    if (!created)
        return true;
    if (!chk_vec_reserve((void **)&s->ws, &s->ws_cap, s->n_ws + 1, sizeof *s->ws))
        return false;
    struct fa_gv *gv = &s->gvs[gvi];
    w.next = gv->w_head;
    gv->w_head = (uint32_t)s->n_ws;
    s->ws[s->n_ws++] = w;
    gv->n_w++;
    for (uint32_t i = gv->c_head; i != CHK_NONE; i = s->cls[i].next) {
        const struct fa_closer *cl = &s->cls[i];
        if (!fa_in(c, cl->node, cl->install_line, cl->close_line, w.msg))
            fa_report(c, cur, gv, cl->node, cl->close_line, &w);
    }
    return true;
}

static uint32_t fa_gv_get(struct fa_st *s, uint32_t group, int64_t view)
{
    bool created;
    uint64_t *at = chk_map_upsert(&s->gv_map, group, (uint64_t)view, s->n_gvs, &created);
    if (!at)
        return CHK_NONE;
    if (created) {
        if (!chk_vec_reserve((void **)&s->gvs, &s->gvs_cap, s->n_gvs + 1, sizeof *s->gvs))
            return CHK_NONE;
        s->gvs[s->n_gvs++] =
            (struct fa_gv){.group = group, .view = view, .w_head = CHK_NONE, .c_head = CHK_NONE};
    }
    return (uint32_t)*at;
}

/* The view a msg was sent in: its send's `view`, else the sender's view then. */
static int64_t fa_sent_in(const struct chk *c, uint32_t msg)
{
    const struct chk_msg *m = &c->msgv[msg];
    if (m->view >= 0)
        return m->view;
    return m->sender_view != CHK_NONE ? c->views[m->sender_view].view : -1;
}

/* The closing node's deliveries and sends of view v enter W. A delivered set
 * equal (count and order-independent hash) to the first closer's is in W
 * already and is not added again: the common case costs no hash probe. */
static bool fa_add_own(struct chk *c, struct fa_st *s, const struct chk_cur *cur, uint32_t gvi)
{
    const struct chk_ng *ng = cur->ng;
    struct fa_gv *gv = &s->gvs[gvi];
    uint64_t hash = 0, count = ng->n_dlog - ng->dlog_view;
    for (size_t i = ng->dlog_view; i < ng->n_dlog; i++)
        hash += chk_mix64(ng->dlog[i]);
    bool known = gv->has_first && gv->first_hash == hash && gv->first_count == count;
    if (!gv->has_first) {
        gv->has_first = true;
        gv->first_hash = hash;
        gv->first_count = count;
    }
    struct fa_w w = {.trig_node = cur->node, .trig_close_line = cur->e->line};
    for (size_t i = ng->dlog_view; !known && i < ng->n_dlog; i++) {
        w.msg = ng->dlog[i];
        if (!fa_w_add(c, s, cur, gvi, w))
            return false;
    }
    w.by_send = true; /* its sends whose view is v: scanned back while views are >= v */
    for (size_t i = ng->n_slog; i-- > 0;) {
        w.msg = ng->slog[i];
        int64_t sent_in = fa_sent_in(c, w.msg);
        if (sent_in < gv->view)
            break;
        if (sent_in == gv->view && !fa_w_add(c, s, cur, gvi, w))
            return false;
    }
    return true;
}

static bool fa_close(struct chk *c, struct fa_st *s, const struct chk_cur *cur)
{
    const struct chk_ng *ng = cur->ng;
    int64_t v = cur->e->view - 1;
    uint32_t gvi = fa_gv_get(s, cur->group, v);
    if (gvi == CHK_NONE || !fa_add_own(c, s, cur, gvi))
        return false;
    struct fa_gv *gv = &s->gvs[gvi];
    if (gv->n_w > ng->n_dlog - ng->dlog_view) /* W holds msgs it did not deliver in v */
        for (uint32_t i = gv->w_head; i != CHK_NONE; i = s->ws[i].next)
            if (!fa_in(c, cur->node, ng->view_line, cur->e->line, s->ws[i].msg))
                fa_report(c, cur, gv, cur->node, cur->e->line, &s->ws[i]);
    if (!chk_vec_reserve((void **)&s->cls, &s->cls_cap, s->n_cls + 1, sizeof *s->cls))
        return false;
    s->cls[s->n_cls] = (struct fa_closer){.node = cur->node,
                                          .next = gv->c_head,
                                          .install_line = ng->view_line,
                                          .close_line = cur->e->line};
    gv->c_head = (uint32_t)s->n_cls++;
    return true;
}

static void fa_on_event(struct chk *c, void *st, const struct chk_cur *cur)
{
    switch (cur->e->ev) {
    case CHK_EV_VIEW:
        if (chk_view_closes(c, cur) && !fa_close(c, st, cur))
            chk_set_full(c, "failure-atomicity: a table limit was reached or memory ran out");
        break;
    default: /* deliveries and sends are chk.c's logs; only view changes are judged */
        break;
    }
}

const struct chk_module chk_mod_fatomic = {
    .rule = CHK_R_FAILURE_ATOMIC,
    .init = fa_init,
    .fini = fa_fini,
    .on_event = fa_on_event,
};
