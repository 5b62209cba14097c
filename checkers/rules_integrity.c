/* checkers/rules_integrity.c: rule 1 of TRACE.md, integrity.
 *
 * Every delivered msg was sent (its send seen earlier) by the node named
 * `from`, to the group (or node) and with the order the deliver names; no
 * node delivers a msg twice; a node delivers a group message only while it is
 * a member of the group (the members list of the latest view it wrote for
 * the group lists it, and it wrote no `excluded` since), or, for a message
 * sent to members and clients (order `diffusion`), while it is a client (the
 * client list of that view lists it); a msg id is sent once; a crashed node
 * writes no later event. Paper sections 2.3 and 3.
 */
#include <string.h>

#include "chk_internal.h"

void chk_integrity_after_crash(struct chk *c, const struct chk_cur *cur)
{
    const char *who = chk_node_name(c, cur->node);
    struct chk_vio *v = chk_violation(c, CHK_R_INTEGRITY, "%s wrote a %s event after it crashed",
                                      who, chk_ev_string(cur->e));
    chk_vio_text(v, cur->n->crash_line, "crash node=%s", who);
    chk_vio_event(v, cur->e);
}

static void integ_send(struct chk *c, const struct chk_cur *cur)
{
    if (!cur->m)
        return;
    struct chk_vio *v =
        chk_violation(c, CHK_R_INTEGRITY, "msg %s was sent twice (by %s, then by %s)", cur->e->msg,
                      chk_node_name(c, cur->m->sender), cur->e->node);
    chk_vio_send(c, v, cur->msg);
    chk_vio_event(v, cur->e);
}

static const char *integ_dest(const struct chk *c, uint32_t group, uint32_t to, const char *none)
{
    if (group != CHK_NONE)
        return chk_group_name(c, group);
    return to != CHK_NONE ? chk_node_name(c, to) : none;
}

/* The deliver names the sender, group and order of the send. */
static void integ_matches_send(struct chk *c, const struct chk_cur *cur)
{
    const struct chk_event *e = cur->e;
    const struct chk_msg *m = cur->m;
    const char *sender = chk_node_name(c, m->sender);
    if (strcmp(e->from, sender) != 0) {
        struct chk_vio *v =
            chk_violation(c, CHK_R_INTEGRITY, "%s delivered %s from %s, but %s sent it", e->node,
                          e->msg, e->from, sender);
        chk_vio_send(c, v, cur->msg);
        chk_vio_event(v, e);
    }
    if (cur->group != m->group || cur->order != m->order) {
        struct chk_vio *v = chk_violation(
            c, CHK_R_INTEGRITY, "%s delivered %s as %s to %s, but it was sent as %s to %s", e->node,
            e->msg, e->order, e->group ? e->group : "no group", chk_order_name(c, m->order),
            integ_dest(c, m->group, m->to, "nobody"));
        chk_vio_send(c, v, cur->msg);
        chk_vio_event(v, e);
    }
    if (m->to != CHK_NONE && m->to != cur->node) {
        struct chk_vio *v =
            chk_violation(c, CHK_R_INTEGRITY, "%s delivered %s, which %s sent to %s", e->node,
                          e->msg, sender, chk_node_name(c, m->to));
        chk_vio_send(c, v, cur->msg);
        chk_vio_event(v, e);
    }
}

/* The deliver happens while its node is a member of the deliver's group. */
static void integ_membership(struct chk *c, const struct chk_cur *cur)
{
    const struct chk_event *e = cur->e;
    const struct chk_ng *ng = cur->ng;
    if (cur->group == CHK_NONE || chk_ng_member(ng))
        return;
    if (cur->m->order == c->order_diffusion && chk_ng_client(c, ng))
        return; /* a diffusion goes to members and clients */
    struct chk_vio *v;
    if (ng->excluded_line) {
        v = chk_violation(c, CHK_R_INTEGRITY, "%s delivered %s in %s after it was excluded from it",
                          e->node, e->msg, e->group);
        chk_vio_text(v, ng->excluded_line, "excluded node=%s group=%s", e->node, e->group);
    } else if (ng->view == CHK_NONE) {
        v = chk_violation(c, CHK_R_INTEGRITY,
                          "%s delivered %s in %s before installing a view of it", e->node, e->msg,
                          e->group);
    } else {
        v = chk_violation(c, CHK_R_INTEGRITY,
                          "%s delivered %s in %s, but its latest view of %s (view %lld) does not "
                          "list it",
                          e->node, e->msg, e->group, e->group, (long long)c->views[ng->view].view);
        chk_vio_view(c, v, ng);
    }
    chk_vio_event(v, e);
}

static void integ_deliver(struct chk *c, const struct chk_cur *cur)
{
    const struct chk_event *e = cur->e;
    if (!cur->m) {
        struct chk_vio *v = chk_violation(c, CHK_R_INTEGRITY,
                                          "%s delivered %s, which was never sent", e->node, e->msg);
        chk_vio_event(v, e);
        return;
    }
    integ_matches_send(c, cur);
    if (cur->first_delivery) {
        struct chk_vio *v =
            chk_violation(c, CHK_R_INTEGRITY, "%s delivered %s twice", e->node, e->msg);
        chk_vio_text(v, cur->first_delivery, "deliver node=%s msg=%s", e->node, e->msg);
        chk_vio_event(v, e);
    }
    integ_membership(c, cur);
}

static void integ_on_event(struct chk *c, void *st, const struct chk_cur *cur)
{
    (void)st;
    switch (cur->e->ev) {
    case CHK_EV_SEND:
        integ_send(c, cur);
        break;
    case CHK_EV_DELIVER:
        integ_deliver(c, cur);
        break;
    default: /* other events cannot break integrity unless written after a crash (chk.c) */
        break;
    }
}

const struct chk_module chk_mod_integrity = {
    .rule = CHK_R_INTEGRITY,
    .on_event = integ_on_event,
};
