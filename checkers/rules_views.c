/* checkers/rules_views.c: rule 2 of TRACE.md, view agreement (paper section 3.1).
 *
 * Judged at each `view` event of node n for group g, view v:
 *  - agreement: the members list equals the reference list of (g, v), the
 *    first one any node wrote (the view records of chk.c keep it);
 *  - increase: v is greater than n's previous view of g;
 *  - no skipping: when n was a member of its previous view w (listed, not
 *    excluded) and the new view lists it too, v == w + 1. A node that joins
 *    may start at any view;
 *  - finality: after `excluded` from g the incarnation writes no view of g
 *    (after a crash integrity judges every event).
 * Each broken condition is one violation; evidence is the two view events
 * (or the `excluded` event). Cost: O(members) per view event.
 */
#include <string.h>

#include "chk_internal.h"

static bool vw_lists(const struct chk_event *e, const char *node)
{
    for (size_t i = 0; i < e->n_members; i++)
        if (!strcmp(e->members[i], node))
            return true;
    return false;
}

static bool vw_ref_lists(const struct chk *c, const struct chk_view *w, const char *node)
{
    for (uint32_t i = 0; i < w->n_members; i++)
        if (!strcmp(chk_node_name(c, c->pool[w->members + i]), node))
            return true;
    return false;
}

static bool vw_same(const struct chk *c, const struct chk_view *w, const struct chk_event *e)
{
    if (w->n_members != e->n_members)
        return false;
    for (uint32_t i = 0; i < w->n_members; i++)
        if (strcmp(chk_node_name(c, c->pool[w->members + i]), e->members[i]) != 0)
            return false;
    return true;
}

/* The members lists agree with the first list written for (group, view). */
static void vw_agreement(struct chk *c, const struct chk_cur *cur)
{
    const struct chk_event *e = cur->e;
    const struct chk_view *ref = chk_view_find(c, cur->group, e->view);
    if (!ref || vw_same(c, ref, e))
        return;
    const char *odd = NULL, *where = NULL;
    for (size_t i = 0; i < e->n_members && !odd; i++)
        if (!vw_ref_lists(c, ref, e->members[i]))
            odd = e->members[i], where = e->node;
    for (uint32_t i = 0; i < ref->n_members && !odd; i++) {
        const char *name = chk_node_name(c, c->pool[ref->members + i]);
        if (!vw_lists(e, name))
            odd = name, where = chk_node_name(c, ref->node);
    }
    struct chk_vio *v;
    if (odd)
        v = chk_violation(c, CHK_R_VIEW_AGREEMENT,
                          "%s installed view %lld of %s with other members than %s did (%s is "
                          "listed only by %s)",
                          e->node, (long long)e->view, e->group, chk_node_name(c, ref->node), odd,
                          where);
    else
        v = chk_violation(c, CHK_R_VIEW_AGREEMENT,
                          "%s installed view %lld of %s with its members in another order than %s",
                          e->node, (long long)e->view, e->group, chk_node_name(c, ref->node));
    chk_vio_view_rec(c, v, ref->node, ref, ref->line);
    chk_vio_event(v, e);
}

/* Views of one node increase, without gaps while it stays a member. */
static void vw_sequence(struct chk *c, const struct chk_cur *cur)
{
    const struct chk_event *e = cur->e;
    const struct chk_ng *ng = cur->ng;
    if (ng->view == CHK_NONE)
        return;
    long long prev = (long long)c->views[ng->view].view, now = (long long)e->view;
    struct chk_vio *v = NULL;
    if (now <= prev)
        v = chk_violation(c, CHK_R_VIEW_AGREEMENT,
                          "%s installed view %lld of %s after view %lld (views must increase)",
                          e->node, now, e->group, prev);
    else if (now > prev + 1 && chk_ng_member(ng) && vw_lists(e, e->node))
        v = chk_violation(c, CHK_R_VIEW_AGREEMENT,
                          "%s skipped view %lld of %s: it installed view %lld, then view %lld, "
                          "a member of both",
                          e->node, prev + 1, e->group, prev, now);
    else
        return;
    chk_vio_view(c, v, ng);
    chk_vio_event(v, e);
}

static void vw_view(struct chk *c, const struct chk_cur *cur)
{
    const struct chk_event *e = cur->e;
    if (cur->ng->excluded_line) {
        struct chk_vio *v = chk_violation(
            c, CHK_R_VIEW_AGREEMENT, "%s installed view %lld of %s after it was excluded from it",
            e->node, (long long)e->view, e->group);
        chk_vio_text(v, cur->ng->excluded_line, "excluded node=%s group=%s", e->node, e->group);
        chk_vio_event(v, e);
        return;
    }
    vw_agreement(c, cur);
    vw_sequence(c, cur);
}

static void vw_on_event(struct chk *c, void *st, const struct chk_cur *cur)
{
    (void)st;
    switch (cur->e->ev) {
    case CHK_EV_VIEW:
        vw_view(c, cur);
        break;
    default: /* only view events can break view agreement */
        break;
    }
}

const struct chk_module chk_mod_views = {
    .rule = CHK_R_VIEW_AGREEMENT,
    .on_event = vw_on_event,
};
