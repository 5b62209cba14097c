/* checkers/rules_liveness.c: rule 10 of TRACE.md, liveness after quiet.
 *
 * Judged once, at chk_finish, when the header declares a quiet period
 * (quiet_from_s >= 0). Live nodes started and did not crash. For each group,
 * all live members end in the same view (view number and members list). Every
 * message that a live member sent to a group (its sender is still a live
 * member of the group at the end: an excluded sender's messages may be
 * legitimately lost with its minority view), or that a live client sent to it
 * (still a client at the end), was delivered by every live node that was a
 * member of the view it was sent in (the send's `view`, for a client the view
 * it cached until a member delivered it, and then the view of that delivery:
 * chk_msg_view; else the sender's view when it sent) and is still a live
 * member at the end; a p2p message was delivered by its `to` node if that
 * node is live, neither of the two wrote a `suspect` event naming the
 * other, and the `to` node was not excluded from a group of the message's
 * domain (fail-stop conversion: a process deemed failed, or excluded as
 * failed, may lose what is sent to it, and may lack what it depends on). Each missing (node, msg)
 * delivery and each node ending in another view is one violation.
 */
#include <stdlib.h>
#include <string.h>

#include "chk_internal.h"

static bool live_member(const struct chk *c, const struct chk_ng *ng)
{
    return chk_node_live(c, ng->node) && chk_ng_member(ng);
}

static bool live_same_members(const struct chk *c, const struct chk_view *a,
                              const struct chk_view *b)
{
    return a->n_members == b->n_members &&
           !memcmp(&c->pool[a->members], &c->pool[b->members], a->n_members * sizeof *c->pool);
}

/* All live members of each group end in the reference member's view: the
 * live member with the highest view number (the first such one). */
static void live_views(struct chk *c)
{
    uint32_t *ref = malloc((c->groups.n ? c->groups.n : 1) * sizeof *ref);
    if (!ref) {
        chk_set_full(c, "liveness: out of memory");
        return;
    }
    memset(ref, 0xff, (c->groups.n ? c->groups.n : 1) * sizeof *ref);
    for (size_t i = 0; i < c->n_ng; i++) {
        const struct chk_ng *ng = &c->ngv[i];
        uint32_t *r = &ref[ng->group];
        if (live_member(c, ng) &&
            (*r == CHK_NONE || c->views[ng->view].view > c->views[c->ngv[*r].view].view))
            *r = (uint32_t)i;
    }
    for (size_t i = 0; i < c->n_ng; i++) {
        const struct chk_ng *ng = &c->ngv[i];
        if (!live_member(c, ng) || ref[ng->group] == i)
            continue;
        const struct chk_ng *rg = &c->ngv[ref[ng->group]];
        const struct chk_view *mine = &c->views[ng->view], *theirs = &c->views[rg->view];
        if (mine->view == theirs->view && live_same_members(c, mine, theirs))
            continue;
        struct chk_vio *v = chk_violation(
            c, CHK_R_LIVENESS, "%s ends in view %lld of %s, but %s ends in view %lld%s",
            chk_node_name(c, ng->node), (long long)mine->view, chk_group_name(c, ng->group),
            chk_node_name(c, rg->node), (long long)theirs->view,
            mine->view == theirs->view ? " with other members" : "");
        chk_vio_view(c, v, ng);
        chk_vio_view(c, v, rg);
    }
    free(ref);
}

static void live_missed(struct chk *c, uint32_t msg, uint32_t node, const struct chk_ng *ng)
{
    const struct chk_msg *m = &c->msgv[msg];
    struct chk_vio *v =
        chk_violation(c, CHK_R_LIVENESS, "%s never delivered %s (sent by %s to %s)",
                      chk_node_name(c, node), chk_msg_name(c, msg), chk_node_name(c, m->sender),
                      m->group != CHK_NONE ? chk_group_name(c, m->group) : chk_node_name(c, m->to));
    chk_vio_send(c, v, msg);
    chk_vio_view(c, v, ng);
}

/* (node, domain) pairs where the node was excluded from a group of the
 * domain: an excluded process is failed there (fail-stop conversion), and may
 * lack what a p2p message to it depends on. */
static bool live_excluded_domains(const struct chk *c, struct chk_map *out)
{
    for (size_t i = 0; i < c->n_ng; i++) {
        const struct chk_ng *ng = &c->ngv[i];
        bool created;
        if (ng->excluded_line &&
            !chk_map_upsert(out, ng->node, chk_group_domain(c, ng->group), 1, &created))
            return false;
    }
    return true;
}

static void live_deliveries(struct chk *c)
{
    struct chk_map excl = {0};
    if (!live_excluded_domains(c, &excl)) {
        chk_map_free(&excl);
        chk_set_full(c, "liveness: out of memory");
        return;
    }
    for (uint32_t id = 0; id < c->msgs.n; id++) {
        const struct chk_msg *m = &c->msgv[id];
        if (!chk_node_live(c, m->sender))
            continue;
        if (m->group == CHK_NONE) {
            if (m->to != CHK_NONE && chk_node_live(c, m->to) && !chk_delivered(c, m->to, id) &&
                !chk_suspected_pair(c, m->sender, m->to) && !chk_map_get(&excl, m->to, m->dom))
                live_missed(c, id, m->to, NULL);
            continue;
        }
        const struct chk_ng *sng = chk_ng_find(c, m->sender, m->group);
        if (!sng || !(live_member(c, sng) || chk_ng_client(c, sng)))
            continue;
        const struct chk_view *w = chk_msg_view(c, m);
        for (uint32_t i = 0; w && i < w->n_members; i++) {
            uint32_t q = c->pool[w->members + i];
            const struct chk_ng *ng = chk_ng_find(c, q, m->group);
            if (ng && live_member(c, ng) && !chk_delivered(c, q, id))
                live_missed(c, id, q, ng);
        }
    }
    chk_map_free(&excl);
}

static void live_on_finish(struct chk *c, void *st)
{
    (void)st;
    if (c->h.quiet_from_s < 0)
        return;
    live_views(c);
    live_deliveries(c);
}

const struct chk_module chk_mod_liveness = {
    .rule = CHK_R_LIVENESS,
    .on_finish = live_on_finish,
};
