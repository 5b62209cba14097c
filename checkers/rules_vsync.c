/* checkers/rules_vsync.c: rule 4 of TRACE.md, virtual synchrony (paper section 3.1).
 *
 * Two nodes that both install view v and view v + 1 of g delivered the same
 * set of g-msgs while in view v. Judged when a node installs v + 1 from v
 * (chk_view_closes): its set (the slice of its delivery log for view v) is
 * compared with that of the first node that did so, the reference: first by
 * count and an order-independent hash (sum of mixed msg ids), and only when
 * they differ, element by element to name one msg in the symmetric
 * difference. Membership "X delivered m in v" is answered without sets: X's
 * first delivery of m (chk_delivered_line) lies between X's view v event and
 * its view v + 1 event. One violation per node whose set differs; evidence:
 * the delivery of that msg and both view v + 1 events.
 *
 * Cost: O(1) per deliver (the log append is chk.c's), O(|set|) per view
 * install; memory one record per (group, view) with a closing node.
 */
#include <stdlib.h>

#include "chk_internal.h"

/* A node's stay in one view: its install and close lines and log slice. */
struct vs_stay {
    uint32_t node;
    uint64_t install_line, close_line;
    uint32_t ng; /* index into chk.ngv */
    size_t from, to;
};

struct vs_ref {
    struct vs_stay stay;
    uint64_t hash;
};

struct vs_st {
    struct chk_map ref_map; /* (group, view v) -> index into refs */
    struct vs_ref *refs;
    size_t n_refs, refs_cap;
};

static void *vs_init(struct chk *c)
{
    (void)c;
    return calloc(1, sizeof(struct vs_st));
}

static void vs_fini(void *st)
{
    struct vs_st *s = st;
    chk_map_free(&s->ref_map);
    free(s->refs);
    free(s);
}

static bool vs_in(const struct chk *c, const struct vs_stay *s, uint32_t msg)
{
    uint64_t line = chk_delivered_line(c, s->node, msg);
    return line > s->install_line && line < s->close_line;
}

/* Names one msg that `a` delivered in the view and `b` did not; CHK_NONE if none. */
static uint32_t vs_extra(const struct chk *c, const struct vs_stay *a, const struct vs_stay *b)
{
    const uint32_t *log = c->ngv[a->ng].dlog;
    for (size_t i = a->from; i < a->to; i++)
        if (!vs_in(c, b, log[i]))
            return log[i];
    return CHK_NONE;
}

static void vs_differ(struct chk *c, const struct chk_cur *cur, const struct vs_stay *mine,
                      const struct vs_stay *ref)
{
    const struct vs_stay *has = mine, *lacks = ref;
    uint32_t msg = vs_extra(c, mine, ref);
    if (msg == CHK_NONE) {
        has = ref, lacks = mine;
        msg = vs_extra(c, ref, mine);
    }
    const struct chk_event *e = cur->e;
    const char *g = e->group;
    long long v = (long long)e->view - 1;
    struct chk_vio *vio;
    if (msg == CHK_NONE) { /* equal sets with a different count: cannot happen, said plainly */
        vio = chk_violation(c, CHK_R_VSYNC, "%s and %s delivered different sets in view %lld of %s",
                            e->node, chk_node_name(c, ref->node), v, g);
    } else {
        vio = chk_violation(c, CHK_R_VSYNC,
                            "%s delivered %s in view %lld of %s but %s did not (both installed "
                            "views %lld and %lld)",
                            chk_node_name(c, has->node), chk_msg_name(c, msg), v, g,
                            chk_node_name(c, lacks->node), v, v + 1);
        chk_vio_text(vio, chk_delivered_line(c, has->node, msg), "deliver node=%s msg=%s",
                     chk_node_name(c, has->node), chk_msg_name(c, msg));
    }
    chk_vio_event(vio, e);
    chk_vio_view_rec(c, vio, ref->node, chk_view_find(c, cur->group, e->view), ref->close_line);
}

static void vs_close(struct chk *c, struct vs_st *s, const struct chk_cur *cur)
{
    const struct chk_ng *ng = cur->ng;
    struct vs_stay mine = {.node = cur->node,
                           .install_line = ng->view_line,
                           .close_line = cur->e->line,
                           .ng = (uint32_t)(ng - c->ngv),
                           .from = ng->dlog_view,
                           .to = ng->n_dlog};
    uint64_t hash = 0;
    for (size_t i = mine.from; i < mine.to; i++)
        hash += chk_mix64(ng->dlog[i]);
    bool created;
    uint64_t *at =
        chk_map_upsert(&s->ref_map, cur->group, (uint64_t)cur->e->view - 1, s->n_refs, &created);
    if (!at || (created && !chk_vec_reserve((void **)&s->refs, &s->refs_cap, s->n_refs + 1,
                                            sizeof *s->refs))) {
        chk_set_full(c, "virtual-synchrony: a table limit was reached or memory ran out");
        return;
    }
    if (created) {
        s->refs[s->n_refs++] = (struct vs_ref){.stay = mine, .hash = hash};
        return;
    }
    const struct vs_ref *ref = &s->refs[*at];
    if (ref->hash != hash || ref->stay.to - ref->stay.from != mine.to - mine.from)
        vs_differ(c, cur, &mine, &ref->stay);
}

static void vs_on_event(struct chk *c, void *st, const struct chk_cur *cur)
{
    switch (cur->e->ev) {
    case CHK_EV_VIEW:
        if (chk_view_closes(c, cur))
            vs_close(c, st, cur);
        break;
    default: /* the sets are chk.c's delivery logs; only view changes are judged */
        break;
    }
}

const struct chk_module chk_mod_vsync = {
    .rule = CHK_R_VSYNC,
    .init = vs_init,
    .fini = vs_fini,
    .on_event = vs_on_event,
};
