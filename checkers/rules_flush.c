/* checkers/rules_flush.c: rule 8 of TRACE.md, flush (paper section 5: pg_flush
 * returns once the caller's messages are stable).
 *
 * When `flush_done` is written at p for g, every msg p sent to g before its
 * `flush_call` (and not judged by an earlier flush_done of p for g) must have
 * been delivered by every member q of p's current view of g that was also a
 * member of the view the msg was sent in (a later joiner cannot have it).
 * At flush_done each such (q, msg) not yet delivered is recorded as an
 * obligation. At chk_finish an obligation is forgiven when q crashed, was
 * excluded from g, or is no longer a member of g at the end; otherwise it is
 * one violation: q delivered the msg only after the flush returned, or never.
 * A flush_done without a flush_call judges every msg sent before it.
 * Evidence: the send, flush_call, flush_done and the late delivery if any.
 *
 * Cost: nothing per deliver; O(members x msgs since the last flush) per
 * flush_done; memory one record per (p, g) and per obligation.
 */
#include <stdlib.h>

#include "chk_internal.h"

struct fl_pg {      /* one (node, group) */
    size_t judged;  /* its sends to g judged by earlier flush_dones */
    size_t at_call; /* its sends to g when it called flush */
    uint64_t call_line;
    bool called;
};

struct fl_ob {
    uint32_t q, msg, p, group;
    uint64_t call_line, done_line;
};

struct fl_st {
    struct chk_map pg_map; /* (node, group) -> index into pgs */
    struct fl_pg *pgs;
    size_t n_pgs, pgs_cap;
    struct fl_ob *obs;
    size_t n_obs, obs_cap;
};

static void *fl_init(struct chk *c)
{
    (void)c;
    return calloc(1, sizeof(struct fl_st));
}

static void fl_fini(void *st)
{
    struct fl_st *s = st;
    chk_map_free(&s->pg_map);
    free(s->pgs);
    free(s->obs);
    free(s);
}

static struct fl_pg *fl_pg_get(struct fl_st *s, uint32_t node, uint32_t group)
{
    bool created;
    uint64_t *at = chk_map_upsert(&s->pg_map, node, group, s->n_pgs, &created);
    if (!at)
        return NULL;
    if (created) {
        if (!chk_vec_reserve((void **)&s->pgs, &s->pgs_cap, s->n_pgs + 1, sizeof *s->pgs))
            return NULL;
        s->pgs[s->n_pgs++] = (struct fl_pg){0};
    }
    return &s->pgs[*at];
}

/* Records the undelivered (member, msg) pairs of one msg; false when full. */
static bool fl_msg(struct chk *c, struct fl_st *s, const struct chk_cur *cur, const struct fl_pg *f,
                   uint32_t msg)
{
    const struct chk_view *now = &c->views[cur->ng->view];
    const struct chk_view *sent = chk_msg_view(c, &c->msgv[msg]);
    for (uint32_t i = 0; i < now->n_members; i++) {
        uint32_t q = c->pool[now->members + i];
        if ((sent && sent != now && !chk_view_has(c, sent, q)) || chk_delivered(c, q, msg))
            continue;
        if (!chk_vec_reserve((void **)&s->obs, &s->obs_cap, s->n_obs + 1, sizeof *s->obs))
            return false;
        s->obs[s->n_obs++] = (struct fl_ob){.q = q,
                                            .msg = msg,
                                            .p = cur->node,
                                            .group = cur->group,
                                            .call_line = f->called ? f->call_line : 0,
                                            .done_line = cur->e->line};
    }
    return true;
}

static bool fl_done(struct chk *c, struct fl_st *s, const struct chk_cur *cur)
{
    struct fl_pg *f = fl_pg_get(s, cur->node, cur->group);
    if (!f)
        return false;
    const struct chk_ng *ng = cur->ng;
    size_t end = f->called ? f->at_call : ng->n_slog;
    for (size_t i = f->judged; ng->view != CHK_NONE && i < end; i++)
        if (!fl_msg(c, s, cur, f, ng->slog[i]))
            return false;
    if (end > f->judged)
        f->judged = end;
    f->called = false;
    return true;
}

static bool fl_call(struct fl_st *s, const struct chk_cur *cur)
{
    struct fl_pg *f = fl_pg_get(s, cur->node, cur->group);
    if (!f)
        return false;
    f->at_call = cur->ng->n_slog;
    f->call_line = cur->e->line;
    f->called = true;
    return true;
}

static void fl_on_event(struct chk *c, void *st, const struct chk_cur *cur)
{
    bool ok = true;
    switch (cur->e->ev) {
    case CHK_EV_FLUSH_CALL:
        ok = fl_call(st, cur);
        break;
    case CHK_EV_FLUSH_DONE:
        ok = fl_done(c, st, cur);
        break;
    default: /* deliveries are looked up at the end (chk_delivered_line) */
        break;
    }
    if (!ok)
        chk_set_full(c, "flush: a table limit was reached or memory ran out");
}

static void fl_judge(struct chk *c, const struct fl_ob *o)
{
    const struct chk_ng *ng = chk_ng_find(c, o->q, o->group);
    if (c->nodev[o->q].crashed || (ng && !chk_ng_member(ng)))
        return; /* crashed, excluded or no longer a member: forgiven */
    const char *q = chk_node_name(c, o->q), *p = chk_node_name(c, o->p);
    const char *m = chk_msg_name(c, o->msg), *g = chk_group_name(c, o->group);
    uint64_t late = chk_delivered_line(c, o->q, o->msg);
    struct chk_vio *v;
    if (late)
        v = chk_violation(c, CHK_R_FLUSH, "%s's flush of %s returned before %s delivered %s", p, g,
                          q, m);
    else
        v = chk_violation(c, CHK_R_FLUSH, "%s's flush of %s returned, but %s never delivered %s", p,
                          g, q, m);
    chk_vio_send(c, v, o->msg);
    if (o->call_line)
        chk_vio_text(v, o->call_line, "flush_call node=%s group=%s", p, g);
    chk_vio_text(v, o->done_line, "flush_done node=%s group=%s", p, g);
    if (late)
        chk_vio_text(v, late, "deliver node=%s msg=%s", q, m);
}

static void fl_on_finish(struct chk *c, void *st)
{
    const struct fl_st *s = st;
    for (size_t i = 0; i < s->n_obs; i++)
        fl_judge(c, &s->obs[i]);
}

const struct chk_module chk_mod_flush = {
    .rule = CHK_R_FLUSH,
    .init = fl_init,
    .fini = fl_fini,
    .on_event = fl_on_event,
    .on_finish = fl_on_finish,
};
