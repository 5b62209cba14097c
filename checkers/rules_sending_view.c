/* checkers/rules_sending_view.c: rule 3 of TRACE.md, sending-view delivery
 * (paper section 3.1: a message is delivered in the view it was sent in).
 *
 * A group message (order other than p2p) whose sender was a member of the
 * group when it sent it and whose send names a view v must be delivered in
 * view v (the deliver's `view`) wherever it is delivered. Sends without a
 * view, sends by non-members (clients give a cached view) and delivers
 * without a view are not judged. One violation per such deliver; evidence:
 * the send and the deliver. O(1) per event.
 */
#include "chk_internal.h"

static void sv_deliver(struct chk *c, const struct chk_cur *cur)
{
    const struct chk_msg *m = cur->m;
    const struct chk_event *e = cur->e;
    if (!m || m->group == CHK_NONE || m->group != cur->group || m->order == c->order_p2p ||
        !m->by_member || m->view < 0 || e->view < 0 || e->view == m->view)
        return;
    struct chk_vio *v =
        chk_violation(c, CHK_R_SENDING_VIEW,
                      "%s delivered %s in view %lld of %s but it was sent in "
                      "view %lld",
                      e->node, e->msg, (long long)e->view, e->group, (long long)m->view);
    chk_vio_send(c, v, cur->msg);
    chk_vio_event(v, e);
}

static void sv_on_event(struct chk *c, void *st, const struct chk_cur *cur)
{
    (void)st;
    switch (cur->e->ev) {
    case CHK_EV_DELIVER:
        sv_deliver(c, cur);
        break;
    default: /* only delivers are judged */
        break;
    }
}

const struct chk_module chk_mod_sending_view = {
    .rule = CHK_R_SENDING_VIEW,
    .on_event = sv_on_event,
};
