/* checkers/rules_hier.c: TRACE.md rules 11-15, hierarchical groups (paper
 * section 2.3), judged from the hier_* events alone.
 *
 *  11 hier-bind: a client is bound to at most one subgroup at a time: a
 *     hier_bind while bound, or a hier_unbind of a subgroup it is not bound
 *     to, is a violation.
 *  12 hier-once: a request (msg) is applied by one subgroup only, once by
 *     each of its members, and that subgroup is the primary of the request's
 *     key in the root's map (hier_map events) at the epoch it is applied
 *     under (the apply's `view`). A range whose map entry says `lost` starts
 *     again empty: a request applied before the loss may be applied again
 *     after it. At the end, every answered request was applied.
 *  13 hier-order: the members of a subgroup apply its requests in one order:
 *     each member's sequence of applies is a prefix of the subgroup's.
 *  14 hier-liveness (runs with a quiet period only): at the end every live
 *     client (hier_client) is bound to a subgroup in which a live node is a
 *     member (its view events), and every request of a live client has a
 *     hier_reply.
 *  15 hier-global-order: the full-set multicasts of kind `global` are
 *     delivered in one order: no two nodes deliver two of them in opposite
 *     orders.
 */
#include <stdlib.h>
#include <string.h>

#include "chk_internal.h"

static bool is_ev(const struct chk_cur *cur, enum chk_ev ev)
{
    return cur->e->ev == ev && cur->node != CHK_NONE;
}

/* ---- 11: bind ---- */

struct hb_st {
    struct chk_strtab subs;
    struct chk_map bound; /* (client node, 0) -> sub id + 1, 0: unbound */
};

static void *hb_init(struct chk *c)
{
    (void)c;
    return calloc(1, sizeof(struct hb_st));
}

static void hb_fini(void *p)
{
    struct hb_st *st = p;
    chk_strtab_free(&st->subs);
    chk_map_free(&st->bound);
    free(st);
}

static void hb_event(struct chk *c, void *p, const struct chk_cur *cur)
{
    struct hb_st *st = p;
    bool bind = is_ev(cur, CHK_EV_HIER_BIND), unbind = is_ev(cur, CHK_EV_HIER_UNBIND);
    if (!bind && !unbind)
        return;
    uint32_t sub = chk_strtab_intern(&st->subs, cur->e->to);
    bool created;
    uint64_t *b = sub == CHK_NONE ? NULL : chk_map_upsert(&st->bound, cur->node, 0, 0, &created);
    if (!b) {
        chk_set_full(c, "hier-bind: out of memory");
        return;
    }
    if (bind && *b) {
        struct chk_vio *v =
            chk_violation(c, CHK_R_HIER_BIND, "%s was bound to %s while bound to %s", cur->e->node,
                          cur->e->to, st->subs.names[*b - 1]);
        chk_vio_event(v, cur->e);
    } else if (unbind && *b != sub + 1) {
        struct chk_vio *v =
            chk_violation(c, CHK_R_HIER_BIND, "%s was unbound from %s, to which it was not bound",
                          cur->e->node, cur->e->to);
        chk_vio_event(v, cur->e);
    }
    *b = bind ? sub + 1 : 0;
}

const struct chk_module chk_mod_hier_bind = {
    .rule = CHK_R_HIER_BIND, .init = hb_init, .fini = hb_fini, .on_event = hb_event};

/* ---- 12: exactly once, by the primary ---- */

struct ho_range {
    uint32_t lo, hi; /* keys lo..hi-1 */
    uint32_t lost_epoch;
};

struct ho_st {
    struct chk_strtab subs, msgs;
    struct ho_range *ranges;
    size_t n_ranges, cap_ranges;
    struct chk_map map;     /* (range index, epoch) -> sub id + 1 */
    struct chk_map first;   /* (msg, 0) -> sub id + 1 | epoch << 32 */
    struct chk_map applied; /* (node, msg) -> line */
    uint32_t *replied;      /* msgs answered, judged at the end */
    uint64_t *replied_line;
    size_t n_replied, cap_replied, cap_rline;
};

static void *ho_init(struct chk *c)
{
    (void)c;
    return calloc(1, sizeof(struct ho_st));
}

static void ho_fini(void *p)
{
    struct ho_st *st = p;
    chk_strtab_free(&st->subs);
    chk_strtab_free(&st->msgs);
    chk_map_free(&st->map);
    chk_map_free(&st->first);
    chk_map_free(&st->applied);
    free(st->ranges);
    free(st->replied);
    free(st->replied_line);
    free(st);
}

static bool parse_u32(const char *s, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (end == s || *end || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

static size_t ho_range_of(const struct ho_st *st, uint32_t key)
{
    for (size_t i = 0; i < st->n_ranges; i++)
        if (key >= st->ranges[i].lo && key < st->ranges[i].hi)
            return i;
    return SIZE_MAX;
}

static void ho_map(struct chk *c, struct ho_st *st, const struct chk_cur *cur)
{
    const struct chk_event *e = cur->e;
    uint32_t lo, hi;
    const char *dash = strchr(e->key, '-');
    char a[16];
    if (!dash || dash - e->key >= (long)sizeof a)
        return;
    memcpy(a, e->key, (size_t)(dash - e->key));
    a[dash - e->key] = '\0';
    if (!parse_u32(a, &lo) || !parse_u32(dash + 1, &hi) || lo >= hi)
        return;
    size_t r = ho_range_of(st, lo);
    if (r == SIZE_MAX) {
        if (!chk_vec_reserve((void **)&st->ranges, &st->cap_ranges, st->n_ranges + 1,
                             sizeof *st->ranges))
            return chk_set_full(c, "hier-once: out of memory");
        r = st->n_ranges++;
        st->ranges[r] = (struct ho_range){.lo = lo, .hi = hi};
    }
    uint32_t sub = chk_strtab_intern(&st->subs, e->to);
    bool created;
    uint64_t *m =
        sub == CHK_NONE ? NULL : chk_map_upsert(&st->map, r, (uint64_t)e->view, sub + 1, &created);
    if (!m)
        return chk_set_full(c, "hier-once: out of memory");
    if (!created && *m != sub + 1) {
        struct chk_vio *v = chk_violation(
            c, CHK_R_HIER_ONCE, "the root's map gives keys %s at epoch %lld to %s and to %s",
            e->key, (long long)e->view, st->subs.names[*m - 1], e->to);
        chk_vio_event(v, e);
    }
    if (e->kind && !strcmp(e->kind, "lost") && (uint32_t)e->view > st->ranges[r].lost_epoch)
        st->ranges[r].lost_epoch = (uint32_t)e->view;
}

static void ho_apply(struct chk *c, struct ho_st *st, const struct chk_cur *cur)
{
    const struct chk_event *e = cur->e;
    uint32_t key, msg = chk_strtab_intern(&st->msgs, e->msg),
                  sub = chk_strtab_intern(&st->subs, e->to);
    if (msg == CHK_NONE || sub == CHK_NONE)
        return chk_set_full(c, "hier-once: out of memory");
    size_t r = parse_u32(e->key, &key) ? ho_range_of(st, key) : SIZE_MAX;
    uint64_t *m = r == SIZE_MAX ? NULL : chk_map_get(&st->map, r, (uint64_t)e->view);
    if (!m || *m != sub + 1) {
        struct chk_vio *v = chk_violation(
            c, CHK_R_HIER_ONCE, "%s applied %s (key %s) in %s at epoch %lld, whose primary is %s",
            e->node, e->msg, e->key, e->to, (long long)e->view,
            m ? st->subs.names[*m - 1] : "none");
        chk_vio_event(v, e);
    }
    bool created;
    uint64_t *a = chk_map_upsert(&st->applied, cur->node, msg, e->line, &created);
    uint64_t *f = chk_map_upsert(&st->first, msg, 0, (sub + 1) | (uint64_t)e->view << 32, &created);
    if (!a || !f)
        return chk_set_full(c, "hier-once: out of memory");
    uint32_t fsub = (uint32_t)(*f & 0xffffffffu) - 1, fepoch = (uint32_t)(*f >> 32);
    bool reset = r != SIZE_MAX && st->ranges[r].lost_epoch > fepoch;
    if (*a != e->line && !reset) {
        struct chk_vio *v =
            chk_violation(c, CHK_R_HIER_ONCE, "%s applied %s twice", e->node, e->msg);
        chk_vio_text(v, *a, "hier_apply node=%s msg=%s (first)", e->node, e->msg);
        chk_vio_event(v, e);
    } else if (fsub != sub && !reset) {
        struct chk_vio *v = chk_violation(c, CHK_R_HIER_ONCE, "%s was applied by %s and by %s",
                                          e->msg, st->subs.names[fsub], e->to);
        chk_vio_event(v, e);
    }
    *a = e->line;
    if (reset)
        *f = (sub + 1) | (uint64_t)e->view << 32;
}

static void ho_event(struct chk *c, void *p, const struct chk_cur *cur)
{
    struct ho_st *st = p;
    if (is_ev(cur, CHK_EV_HIER_MAP)) {
        ho_map(c, st, cur);
    } else if (is_ev(cur, CHK_EV_HIER_APPLY)) {
        ho_apply(c, st, cur);
    } else if (is_ev(cur, CHK_EV_HIER_REPLY)) {
        uint32_t msg = chk_strtab_intern(&st->msgs, cur->e->msg);
        if (msg == CHK_NONE ||
            !chk_vec_reserve((void **)&st->replied, &st->cap_replied, st->n_replied + 1,
                             sizeof *st->replied) ||
            !chk_vec_reserve((void **)&st->replied_line, &st->cap_rline, st->n_replied + 1,
                             sizeof *st->replied_line))
            return chk_set_full(c, "hier-once: out of memory");
        st->replied_line[st->n_replied] = cur->e->line;
        st->replied[st->n_replied++] = msg;
    }
}

static void ho_finish(struct chk *c, void *p)
{
    struct ho_st *st = p;
    for (size_t i = 0; i < st->n_replied; i++) {
        if (chk_map_get(&st->first, st->replied[i], 0))
            continue;
        struct chk_vio *v = chk_violation(c, CHK_R_HIER_ONCE, "%s was answered but never applied",
                                          st->msgs.names[st->replied[i]]);
        chk_vio_text(v, st->replied_line[i], "hier_reply msg=%s", st->msgs.names[st->replied[i]]);
    }
}

const struct chk_module chk_mod_hier_once = {.rule = CHK_R_HIER_ONCE,
                                             .init = ho_init,
                                             .fini = ho_fini,
                                             .on_event = ho_event,
                                             .on_finish = ho_finish};

/* ---- 13: one apply order per subgroup ---- */

struct hr_seq {
    uint32_t *msg;
    uint64_t *line;
    size_t n, cap, cap_line;
};

struct hr_st {
    struct chk_strtab subs, msgs;
    struct hr_seq *seq; /* by sub id */
    size_t cap_seq;
    struct chk_map cursor; /* (node, sub) -> next index */
};

static void *hr_init(struct chk *c)
{
    (void)c;
    return calloc(1, sizeof(struct hr_st));
}

static void hr_fini(void *p)
{
    struct hr_st *st = p;
    for (size_t i = 0; i < st->subs.n && i < st->cap_seq; i++) {
        free(st->seq[i].msg);
        free(st->seq[i].line);
    }
    free(st->seq);
    chk_strtab_free(&st->subs);
    chk_strtab_free(&st->msgs);
    chk_map_free(&st->cursor);
    free(st);
}

static void hr_event(struct chk *c, void *p, const struct chk_cur *cur)
{
    struct hr_st *st = p;
    if (!is_ev(cur, CHK_EV_HIER_APPLY))
        return;
    const struct chk_event *e = cur->e;
    uint32_t sub = chk_strtab_intern(&st->subs, e->to), msg = chk_strtab_intern(&st->msgs, e->msg);
    size_t old = st->cap_seq;
    bool created;
    if (sub == CHK_NONE || msg == CHK_NONE ||
        !chk_vec_reserve((void **)&st->seq, &st->cap_seq, (size_t)sub + 1, sizeof *st->seq))
        return chk_set_full(c, "hier-order: out of memory");
    memset(st->seq + old, 0, (st->cap_seq - old) * sizeof *st->seq);
    struct hr_seq *s = &st->seq[sub];
    uint64_t *k = chk_map_upsert(&st->cursor, cur->node, sub, 0, &created);
    if (!k)
        return chk_set_full(c, "hier-order: out of memory");
    if (*k < s->n) {
        if (s->msg[*k] != msg) {
            struct chk_vio *v = chk_violation(
                c, CHK_R_HIER_ORDER, "%s applied %s as request %llu of %s, where %s was applied",
                e->node, e->msg, (unsigned long long)*k + 1, e->to, st->msgs.names[s->msg[*k]]);
            chk_vio_text(v, s->line[*k], "hier_apply msg=%s (first at that place)",
                         st->msgs.names[s->msg[*k]]);
            chk_vio_event(v, e);
        }
        (*k)++;
        return;
    }
    if (!chk_vec_reserve((void **)&s->msg, &s->cap, s->n + 1, sizeof *s->msg) ||
        !chk_vec_reserve((void **)&s->line, &s->cap_line, s->n + 1, sizeof *s->line))
        return chk_set_full(c, "hier-order: out of memory");
    s->line[s->n] = e->line;
    s->msg[s->n++] = msg;
    *k = s->n;
}

const struct chk_module chk_mod_hier_order = {
    .rule = CHK_R_HIER_ORDER, .init = hr_init, .fini = hr_fini, .on_event = hr_event};

/* ---- 14: liveness after the quiet period ---- */

struct hl_req {
    uint32_t node, msg;
    uint64_t line;
};

struct hl_st {
    struct chk_strtab msgs;
    struct chk_map clients; /* (node, 0) -> bound group id + 1 (0: unbound), | 1 << 40: client */
    struct chk_map replied; /* (msg, 0) */
    struct hl_req *reqs;
    size_t n_reqs, cap_reqs;
    uint32_t *cl_nodes;
    size_t n_cl, cap_cl;
};

static void *hl_init(struct chk *c)
{
    (void)c;
    return calloc(1, sizeof(struct hl_st));
}

static void hl_fini(void *p)
{
    struct hl_st *st = p;
    chk_strtab_free(&st->msgs);
    chk_map_free(&st->clients);
    chk_map_free(&st->replied);
    free(st->reqs);
    free(st->cl_nodes);
    free(st);
}

static void hl_event(struct chk *c, void *p, const struct chk_cur *cur)
{
    struct hl_st *st = p;
    const struct chk_event *e = cur->e;
    bool created;
    if (is_ev(cur, CHK_EV_HIER_CLIENT)) {
        uint64_t *v = chk_map_upsert(&st->clients, cur->node, 0, 0, &created);
        if (!v || !chk_vec_reserve((void **)&st->cl_nodes, &st->cap_cl, st->n_cl + 1,
                                   sizeof *st->cl_nodes))
            return chk_set_full(c, "hier-liveness: out of memory");
        if (created)
            st->cl_nodes[st->n_cl++] = cur->node;
    } else if (is_ev(cur, CHK_EV_HIER_BIND) || is_ev(cur, CHK_EV_HIER_UNBIND)) {
        uint32_t g = chk_strtab_intern(&c->groups, e->to);
        uint64_t *v = chk_map_upsert(&st->clients, cur->node, 0, 0, &created);
        if (!v || g == CHK_NONE)
            return chk_set_full(c, "hier-liveness: out of memory");
        *v = e->ev == CHK_EV_HIER_BIND ? g + 1 : 0;
    } else if (is_ev(cur, CHK_EV_HIER_REQUEST)) {
        uint32_t m = chk_strtab_intern(&st->msgs, e->msg);
        if (m == CHK_NONE ||
            !chk_vec_reserve((void **)&st->reqs, &st->cap_reqs, st->n_reqs + 1, sizeof *st->reqs))
            return chk_set_full(c, "hier-liveness: out of memory");
        st->reqs[st->n_reqs++] = (struct hl_req){.node = cur->node, .msg = m, .line = e->line};
    } else if (is_ev(cur, CHK_EV_HIER_REPLY)) {
        uint32_t m = chk_strtab_intern(&st->msgs, e->msg);
        if (m == CHK_NONE || !chk_map_upsert(&st->replied, m, 0, 1, &created))
            return chk_set_full(c, "hier-liveness: out of memory");
    }
}

/* Whether a live node is a member of group g in its latest view. */
static bool hl_group_live(const struct chk *c, uint32_t g)
{
    for (size_t i = 0; i < c->n_ng; i++)
        if (c->ngv[i].group == g && chk_ng_member(&c->ngv[i]) && chk_node_live(c, c->ngv[i].node))
            return true;
    return false;
}

static void hl_finish(struct chk *c, void *p)
{
    struct hl_st *st = p;
    if (c->h.quiet_from_s < 0)
        return;
    for (size_t i = 0; i < st->n_cl; i++) {
        uint32_t n = st->cl_nodes[i];
        if (!chk_node_live(c, n))
            continue;
        uint64_t *b = chk_map_get(&st->clients, n, 0);
        if (b && *b && hl_group_live(c, (uint32_t)(*b - 1)))
            continue;
        struct chk_vio *v = chk_violation(
            c, CHK_R_HIER_LIVENESS, "client %s ends %s", chk_node_name(c, n),
            b && *b ? "bound to a subgroup with no live member" : "bound to no subgroup");
        (void)v;
    }
    for (size_t i = 0; i < st->n_reqs; i++) {
        const struct hl_req *q = &st->reqs[i];
        if (!chk_node_live(c, q->node) || chk_map_get(&st->replied, q->msg, 0))
            continue;
        struct chk_vio *v =
            chk_violation(c, CHK_R_HIER_LIVENESS, "request %s of live client %s was never answered",
                          st->msgs.names[q->msg], chk_node_name(c, q->node));
        chk_vio_text(v, q->line, "hier_request node=%s msg=%s", chk_node_name(c, q->node),
                     st->msgs.names[q->msg]);
    }
}

const struct chk_module chk_mod_hier_liveness = {.rule = CHK_R_HIER_LIVENESS,
                                                 .init = hl_init,
                                                 .fini = hl_fini,
                                                 .on_event = hl_event,
                                                 .on_finish = hl_finish};

/* ---- 15: one global order ---- */

struct hg_log {
    uint32_t *msg;
    uint64_t *line;
    size_t n, cap, cap_line;
};

struct hg_st {
    struct chk_strtab msgs;
    struct hg_log *logs; /* by node id */
    size_t cap_logs;
    struct chk_map before; /* (a, b) -> line of a delivery of b after a */
};

static void *hg_init(struct chk *c)
{
    (void)c;
    return calloc(1, sizeof(struct hg_st));
}

static void hg_fini(void *p)
{
    struct hg_st *st = p;
    for (size_t i = 0; i < st->cap_logs; i++) {
        free(st->logs[i].msg);
        free(st->logs[i].line);
    }
    free(st->logs);
    chk_strtab_free(&st->msgs);
    chk_map_free(&st->before);
    free(st);
}

static void hg_event(struct chk *c, void *p, const struct chk_cur *cur)
{
    struct hg_st *st = p;
    const struct chk_event *e = cur->e;
    if (!is_ev(cur, CHK_EV_HIER_GDELIVER) || strcmp(e->kind, "global"))
        return;
    uint32_t m = chk_strtab_intern(&st->msgs, e->msg);
    size_t old = st->cap_logs;
    if (m == CHK_NONE || !chk_vec_reserve((void **)&st->logs, &st->cap_logs, (size_t)cur->node + 1,
                                          sizeof *st->logs))
        return chk_set_full(c, "hier-global-order: out of memory");
    memset(st->logs + old, 0, (st->cap_logs - old) * sizeof *st->logs);
    struct hg_log *l = &st->logs[cur->node];
    bool created;
    for (size_t i = 0; i < l->n; i++) {
        uint64_t *rev = chk_map_get(&st->before, m, l->msg[i]);
        if (rev) {
            struct chk_vio *v =
                chk_violation(c, CHK_R_HIER_GLOBAL,
                              "%s delivered %s after %s; another node delivered them the other way",
                              e->node, e->msg, st->msgs.names[l->msg[i]]);
            chk_vio_text(v, *rev, "hier_gdeliver msg=%s (after %s)", st->msgs.names[l->msg[i]],
                         e->msg);
            chk_vio_event(v, e);
            break;
        }
        if (!chk_map_upsert(&st->before, l->msg[i], m, e->line, &created))
            return chk_set_full(c, "hier-global-order: out of memory");
    }
    if (!chk_vec_reserve((void **)&l->msg, &l->cap, l->n + 1, sizeof *l->msg) ||
        !chk_vec_reserve((void **)&l->line, &l->cap_line, l->n + 1, sizeof *l->line))
        return chk_set_full(c, "hier-global-order: out of memory");
    l->line[l->n] = e->line;
    l->msg[l->n++] = m;
}

const struct chk_module chk_mod_hier_global = {
    .rule = CHK_R_HIER_GLOBAL, .init = hg_init, .fini = hg_fini, .on_event = hg_event};
