/* checkers/rules_total.c: rule 7 of TRACE.md, total order (paper section 3.2).
 *
 * Two nodes that both deliver abcasts a and b of one group deliver them in
 * the same order. Only first deliveries whose `order` is "abcast" and whose
 * msg was sent count (integrity judges the rest); a crashed node's
 * deliveries count as well (the rule names no exception).
 *
 * Per (node, group) the abcasts delivered are numbered 1, 2, ... (pos). For
 * each ordered pair of nodes (q, p) sharing a group, M(q, p) is the largest
 * pos_p(a) over the abcasts a that both q and p delivered, with that a. When
 * q delivers b, for every p that delivered b before: if M(q, p) > pos_p(b),
 * then q delivered a before b while p delivered b before a: a violation (one
 * per delivery, naming the first such p). Then, for every such p, M(q, p)
 * and M(p, q) take b into account (pos_q(b) is q's largest so far). The case
 * where p delivers the second of the pair last is the same check from p's
 * side. Evidence: the four deliveries.
 *
 * Cost: O(d) per abcast delivery, d = nodes that delivered it before; memory
 * one entry per (node, abcast) delivery and per pair of nodes that share one.
 */
#include <stdlib.h>
#include <string.h>

#include "chk_internal.h"

struct tot_st {
    struct chk_map count;  /* (node, group) -> abcasts delivered so far */
    struct chk_map pos;    /* (node, msg) -> pos of msg at node */
    struct chk_map rx;     /* (msg, 0) -> deliverers so far; (msg, k) -> k-th deliverer */
    struct chk_map pair_m; /* (group, q << 32 | p) -> M(q, p) << 32 | msg */
};

static void *tot_init(struct chk *c)
{
    (void)c;
    return calloc(1, sizeof(struct tot_st));
}

static void tot_fini(void *st)
{
    struct tot_st *s = st;
    chk_map_free(&s->count);
    chk_map_free(&s->pos);
    chk_map_free(&s->rx);
    chk_map_free(&s->pair_m);
    free(s);
}

static void tot_conflict(struct chk *c, const struct chk_cur *cur, uint32_t p, uint32_t a)
{
    const char *q_name = cur->e->node, *b_name = cur->e->msg, *pn = chk_node_name(c, p);
    const char *a_name = chk_msg_name(c, a);
    struct chk_vio *v = chk_violation(c, CHK_R_TOTAL,
                                      "%s delivered %s before %s but %s delivered %s before %s "
                                      "(abcasts of %s)",
                                      q_name, a_name, b_name, pn, b_name, a_name, cur->e->group);
    chk_vio_text(v, chk_delivered_line(c, p, cur->msg), "deliver node=%s msg=%s", pn, b_name);
    chk_vio_text(v, chk_delivered_line(c, p, a), "deliver node=%s msg=%s", pn, a_name);
    chk_vio_text(v, chk_delivered_line(c, cur->node, a), "deliver node=%s msg=%s", q_name, a_name);
    chk_vio_event(v, cur->e);
}

/* M(q, p) := max(M(q, p), pos) with its msg. False when a table is full. */
static bool tot_raise(struct tot_st *s, uint32_t group, uint32_t q, uint32_t p, uint64_t pos,
                      uint32_t msg)
{
    bool created;
    uint64_t *m = chk_map_upsert(&s->pair_m, group, (uint64_t)q << 32 | p, 0, &created);
    if (!m)
        return false;
    if (pos > *m >> 32)
        *m = pos << 32 | msg;
    return true;
}

static bool tot_deliver(struct chk *c, struct tot_st *s, const struct chk_cur *cur)
{
    uint32_t q = cur->node, b = cur->msg, g = cur->group;
    bool created;
    uint64_t *cnt = chk_map_upsert(&s->count, q, g, 0, &created);
    if (!cnt)
        return false;
    uint64_t my_pos = ++*cnt;
    uint64_t *nrx = chk_map_upsert(&s->rx, b, 0, 0, &created);
    if (!nrx)
        return false;
    uint64_t n = *nrx;
    bool judged = false;
    for (uint64_t k = 1; k <= n; k++) {
        uint32_t p = (uint32_t)*chk_map_get(&s->rx, b, k);
        uint64_t pos_p = *chk_map_get(&s->pos, p, b);
        const uint64_t *m = chk_map_get(&s->pair_m, g, (uint64_t)q << 32 | p);
        if (!judged && m && (*m >> 32) > pos_p) {
            tot_conflict(c, cur, p, (uint32_t)*m);
            judged = true; /* one violation per delivery */
        }
        if (!tot_raise(s, g, q, p, pos_p, b) || !tot_raise(s, g, p, q, my_pos, b))
            return false;
    }
    uint64_t *at = chk_map_upsert(&s->pos, q, b, my_pos, &created);
    uint64_t *slot = at ? chk_map_upsert(&s->rx, b, n + 1, q, &created) : NULL;
    if (!slot)
        return false;
    *chk_map_get(&s->rx, b, 0) = n + 1; /* nrx may have moved with the insertions */
    return true;
}

static void tot_on_event(struct chk *c, void *st, const struct chk_cur *cur)
{
    const struct chk_event *e = cur->e;
    switch (e->ev) {
    case CHK_EV_DELIVER:
        if (!cur->m || cur->first_delivery || cur->group == CHK_NONE || !e->order ||
            strcmp(e->order, "abcast") != 0)
            return; /* not an abcast, or judged by integrity */
        if (!tot_deliver(c, st, cur))
            chk_set_full(c, "total-order: a table limit was reached or memory ran out");
        break;
    default: /* only deliveries are judged */
        break;
    }
}

const struct chk_module chk_mod_total = {
    .rule = CHK_R_TOTAL,
    .init = tot_init,
    .fini = tot_fini,
    .on_event = tot_on_event,
};
