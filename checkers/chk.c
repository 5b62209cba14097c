/* checkers/chk.c: the checker's core: rule names, the lifecycle, feeding events to
 * the rule modules and the bookkeeping they share (see chk_internal.h).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "chk_internal.h"

/* The rule modules of this build, in the order they judge each event. A new
 * rule is a new rules_*.c defining a `struct chk_module` plus one line here. */
static const struct chk_module *const chk_modules[] = {
    &chk_mod_integrity,    &chk_mod_fifo,       &chk_mod_liveness,      &chk_mod_views,
    &chk_mod_sending_view, &chk_mod_vsync,      &chk_mod_fatomic,       &chk_mod_causal,
    &chk_mod_total,        &chk_mod_flush,      &chk_mod_state,         &chk_mod_hier_bind,
    &chk_mod_hier_once,    &chk_mod_hier_order, &chk_mod_hier_liveness, &chk_mod_hier_global,
};
#define CHK_N_MODULES (sizeof chk_modules / sizeof chk_modules[0])

static const char *const chk_rule_names[CHK_R_COUNT] = {
    [CHK_R_INTEGRITY] = "integrity",
    [CHK_R_VIEW_AGREEMENT] = "view-agreement",
    [CHK_R_SENDING_VIEW] = "sending-view",
    [CHK_R_VSYNC] = "virtual-synchrony",
    [CHK_R_FAILURE_ATOMIC] = "failure-atomicity",
    [CHK_R_CAUSAL] = "causal-order",
    [CHK_R_TOTAL] = "total-order",
    [CHK_R_FLUSH] = "flush",
    [CHK_R_STATE] = "state-transfer",
    [CHK_R_LIVENESS] = "liveness",
    [CHK_R_FIFO] = "fifo",
    [CHK_R_HIER_BIND] = "hier-bind",
    [CHK_R_HIER_ONCE] = "hier-once",
    [CHK_R_HIER_ORDER] = "hier-order",
    [CHK_R_HIER_LIVENESS] = "hier-liveness",
    [CHK_R_HIER_GLOBAL] = "hier-global-order",
};

static const char *const chk_rule_sentences[CHK_R_COUNT] = {
    [CHK_R_INTEGRITY] =
        "every delivered message was sent, by the node named as its sender; no node "
        "delivers a message twice; a node delivers a group message only while it "
        "is a member (or, for diffusion, a client) of the group.",
    [CHK_R_VIEW_AGREEMENT] = "all nodes that install view v of a group list the same members; "
                             "each node's views increase; a node that stays a member installs "
                             "every view between.",
    [CHK_R_SENDING_VIEW] = "a message sent by a member in view v is delivered in view v at every "
                           "node that delivers it.",
    [CHK_R_VSYNC] = "two nodes that both install view v and view v+1 of a group delivered the "
                    "same messages of that group in view v.",
    [CHK_R_FAILURE_ATOMIC] = "if the sender of m, or any node that delivered m, installs view "
                             "v+1, every node that installs v and v+1 delivered m in v.",
    [CHK_R_CAUSAL] = "if send(m1) happened before send(m2) in one causality domain, a node that "
                     "delivers m2 and was a member of m1's view delivers m1 first.",
    [CHK_R_TOTAL] = "two nodes that both deliver abcasts a and b of one group deliver them in the "
                    "same order.",
    [CHK_R_FLUSH] = "when pg_flush returns at p, every message p sent to the group before the "
                    "call was delivered by every member of p's view that was in the message's "
                    "view (except members that crash or are excluded).",
    [CHK_R_STATE] = "all state digests written for one view of a group are equal.",
    [CHK_R_LIVENESS] = "after the quiet period, all live members end in the same view and every "
                       "message a live member sent was delivered by every live member.",
    [CHK_R_FIFO] = "a sender's fifo messages to a group in one view are delivered in the order "
                   "sent, without gaps.",
    [CHK_R_HIER_BIND] = "a client of a hierarchical group is bound to at most one subgroup at a "
                        "time.",
    [CHK_R_HIER_ONCE] = "every request is applied exactly once, by the primary subgroup of its key "
                        "in the root's map at the epoch it is applied under.",
    [CHK_R_HIER_ORDER] = "every member of a subgroup applies that subgroup's requests in the same "
                         "order.",
    [CHK_R_HIER_LIVENESS] = "after the quiet period every live client is bound to a subgroup with "
                            "a live member and every request of a live client was answered.",
    [CHK_R_HIER_GLOBAL] = "the globally ordered full-set multicasts are delivered in one order "
                          "everywhere.",
};

static const char *const chk_ev_names[] = {
    [CHK_EV_START] = "start",
    [CHK_EV_CRASH] = "crash",
    [CHK_EV_DOMAIN] = "domain",
    [CHK_EV_VIEW] = "view",
    [CHK_EV_EXCLUDED] = "excluded",
    [CHK_EV_SEND] = "send",
    [CHK_EV_DELIVER] = "deliver",
    [CHK_EV_FLUSH_CALL] = "flush_call",
    [CHK_EV_FLUSH_DONE] = "flush_done",
    [CHK_EV_STATE] = "state",
    [CHK_EV_FAULT] = "fault",
    [CHK_EV_HIER_MAP] = "hier_map",
    [CHK_EV_HIER_CLIENT] = "hier_client",
    [CHK_EV_HIER_BIND] = "hier_bind",
    [CHK_EV_HIER_UNBIND] = "hier_unbind",
    [CHK_EV_HIER_REQUEST] = "hier_request",
    [CHK_EV_HIER_APPLY] = "hier_apply",
    [CHK_EV_HIER_REPLY] = "hier_reply",
    [CHK_EV_HIER_GSEND] = "hier_gsend",
    [CHK_EV_HIER_GDELIVER] = "hier_gdeliver",
};

/* Diagnostics the simulator writes (sim/driver/world.c, env_trace), kept and not judged. */
static const char *const chk_ev_diagnostics[] = {"suspect", "garbled", "dropped", "sometimes",
                                                 "core"};

bool chk_ev_documented(const char *ev)
{
    if (chk_ev_parse(ev) != CHK_EV_OTHER)
        return true;
    for (size_t i = 0; i < sizeof chk_ev_diagnostics / sizeof chk_ev_diagnostics[0]; i++)
        if (!strcmp(ev, chk_ev_diagnostics[i]))
            return true;
    return false;
}

const char *chk_rule_name(enum chk_rule r)
{
    assert(r >= 0 && r < CHK_R_COUNT);
    return chk_rule_names[r];
}

const char *chk_rule_sentence(enum chk_rule r)
{
    assert(r >= 0 && r < CHK_R_COUNT);
    return chk_rule_sentences[r];
}

int chk_rule_number(enum chk_rule r)
{
    assert(r >= 0 && r < CHK_R_COUNT);
    if (r >= CHK_R_HIER_BIND)
        return 11 + (int)(r - CHK_R_HIER_BIND); /* TRACE.md rules 11-15 */
    return r <= CHK_R_LIVENESS ? (int)r + 1 : 0;
}

int chk_rule_parse(const char *s)
{
    if (!s)
        return -1;
    for (int r = 0; r < CHK_R_COUNT; r++) {
        char num[8];
        snprintf(num, sizeof num, "%d", chk_rule_number((enum chk_rule)r));
        if (!strcmp(s, chk_rule_names[r]) || (chk_rule_number((enum chk_rule)r) && !strcmp(s, num)))
            return r;
    }
    return -1;
}

bool chk_rule_implemented(enum chk_rule r)
{
    assert(r >= 0 && r < CHK_R_COUNT);
    for (size_t i = 0; i < CHK_N_MODULES; i++)
        if (chk_modules[i]->rule == r)
            return true;
    return false;
}

const char *chk_ev_name(enum chk_ev ev)
{
    assert(ev >= 0 && ev <= CHK_EV_OTHER);
    return ev == CHK_EV_OTHER ? NULL : chk_ev_names[ev];
}

const char *chk_ev_string(const struct chk_event *e)
{
    if (e->ev == CHK_EV_OTHER)
        return e->ev_name;
    assert(e->ev >= 0 && e->ev < CHK_EV_OTHER);
    return chk_ev_names[e->ev];
}

enum chk_ev chk_ev_parse(const char *s)
{
    for (int i = 0; i < CHK_EV_OTHER; i++)
        if (!strcmp(s, chk_ev_names[i]))
            return (enum chk_ev)i;
    return CHK_EV_OTHER;
}

const char *chk_event_missing(const struct chk_event *e)
{
    bool node = e->node, group = e->group;
    switch (e->ev) {
    case CHK_EV_START:
    case CHK_EV_CRASH:
        return node ? NULL : "node";
    case CHK_EV_DOMAIN:
        return !group ? "group" : !e->domain ? "domain" : NULL;
    case CHK_EV_VIEW:
        return !node         ? "node"
               : !group      ? "group"
               : e->view < 0 ? "view"
               : !e->members ? "members"
                             : NULL;
    case CHK_EV_EXCLUDED:
    case CHK_EV_FLUSH_CALL:
    case CHK_EV_FLUSH_DONE:
        return !node ? "node" : !group ? "group" : NULL;
    case CHK_EV_SEND:
        return !node              ? "node"
               : !e->msg          ? "msg"
               : !e->order        ? "order"
               : !group && !e->to ? "group"
                                  : NULL;
    case CHK_EV_DELIVER:
        return !node                               ? "node"
               : !e->msg                           ? "msg"
               : !e->order                         ? "order"
               : !e->from                          ? "from"
               : !group && strcmp(e->order, "p2p") ? "group"
                                                   : NULL;
    case CHK_EV_STATE:
        return !node         ? "node"
               : !group      ? "group"
               : e->view < 0 ? "view"
               : !e->digest  ? "digest"
                             : NULL;
    case CHK_EV_FAULT:
        return e->kind ? NULL : "kind";
    case CHK_EV_HIER_MAP:
        return !node ? "node" : !e->key ? "key" : !e->to ? "to" : e->view < 0 ? "view" : NULL;
    case CHK_EV_HIER_CLIENT:
        return node ? NULL : "node";
    case CHK_EV_HIER_BIND:
    case CHK_EV_HIER_UNBIND:
        return !node ? "node" : !e->to ? "to" : NULL;
    case CHK_EV_HIER_REQUEST:
    case CHK_EV_HIER_REPLY:
        return !node ? "node" : !e->msg ? "msg" : !e->key ? "key" : NULL;
    case CHK_EV_HIER_APPLY:
        return !node         ? "node"
               : !e->msg     ? "msg"
               : !e->key     ? "key"
               : !e->to      ? "to"
               : !e->from    ? "from"
               : e->view < 0 ? "view"
                             : NULL;
    case CHK_EV_HIER_GSEND:
    case CHK_EV_HIER_GDELIVER:
        return !node ? "node" : !e->msg ? "msg" : !e->kind ? "kind" : NULL;
    case CHK_EV_OTHER:
        return e->ev_name ? NULL : "ev";
    default:
        return "ev";
    }
}

static void *chk_fail_alloc(struct chk *c)
{
    chk_free(c);
    return NULL;
}

struct chk *chk_new(const struct chk_header *h)
{
    assert(h);
    struct chk *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->h = *h;
    c->scenario = strdup(h->scenario ? h->scenario : "");
    if (!c->scenario)
        return chk_fail_alloc(c);
    c->h.scenario = c->scenario;
    if (h->expect) {
        c->expect = strdup(h->expect);
        if (!c->expect)
            return chk_fail_alloc(c);
        c->h.expect = c->expect;
    }
    c->last_t = -1e300;
    bool dense = chk_map_set_dense(&c->delivered, 4); /* empty: cannot fail */
    assert(dense);
    c->order_fifo = chk_strtab_intern(&c->orders, "fifo");
    c->order_p2p = chk_strtab_intern(&c->orders, "p2p");
    c->order_diffusion = chk_strtab_intern(&c->orders, "diffusion");
    if (c->order_fifo == CHK_NONE || c->order_p2p == CHK_NONE || c->order_diffusion == CHK_NONE ||
        chk_strtab_intern(&c->doms, "default") != 0)
        return chk_fail_alloc(c);
    for (size_t i = 0; i < CHK_N_MODULES; i++) {
        c->mods[i] = chk_modules[i];
        c->mod_state[i] = chk_modules[i]->init ? chk_modules[i]->init(c) : NULL;
        c->n_mods = i + 1;
        if (chk_modules[i]->init && !c->mod_state[i])
            return chk_fail_alloc(c);
    }
    return c;
}

void chk_free(struct chk *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_mods; i++)
        if (c->mods[i]->fini)
            c->mods[i]->fini(c->mod_state[i]);
    for (int r = 0; r < CHK_R_COUNT; r++)
        chk_vio_free(&c->first[r]);
    chk_strtab_free(&c->nodes);
    chk_strtab_free(&c->groups);
    chk_strtab_free(&c->msgs);
    chk_strtab_free(&c->orders);
    free(c->nodev);
    for (size_t i = 0; i < c->n_ng; i++) {
        free(c->ngv[i].dlog);
        free(c->ngv[i].slog);
    }
    free(c->ngv);
    chk_map_free(&c->ng_map);
    free(c->views);
    chk_map_free(&c->view_map);
    chk_map_free(&c->suspected);
    chk_strtab_free(&c->doms);
    free(c->gdom);
    free(c->pool);
    free(c->msgv);
    chk_map_free(&c->delivered);
    free(c->scenario);
    free(c->expect);
    free(c);
}

void chk_set_full(struct chk *c, const char *why)
{
    if (!c->full) {
        c->full = why;
        c->full_line = c->counts.events;
    }
}

/* ---- bookkeeping queries ---- */

const char *chk_node_name(const struct chk *c, uint32_t node)
{
    return node < c->nodes.n ? c->nodes.names[node] : "?";
}

const char *chk_group_name(const struct chk *c, uint32_t group)
{
    return group < c->groups.n ? c->groups.names[group] : "?";
}

const char *chk_msg_name(const struct chk *c, uint32_t msg)
{
    return msg < c->msgs.n ? c->msgs.names[msg] : "?";
}

const char *chk_order_name(const struct chk *c, uint32_t order)
{
    return order < c->orders.n ? c->orders.names[order] : "?";
}

bool chk_ng_member(const struct chk_ng *ng)
{
    return ng && ng->member && ng->excluded_line == 0;
}

bool chk_ng_client(const struct chk *c, const struct chk_ng *ng)
{
    if (!ng || ng->view == CHK_NONE || ng->excluded_line)
        return false;
    const struct chk_view *v = &c->views[ng->view];
    for (uint32_t i = 0; i < v->n_clients; i++)
        if (c->pool[v->clients + i] == ng->node)
            return true;
    return false;
}

struct chk_ng *chk_ng_find(const struct chk *c, uint32_t node, uint32_t group)
{
    uint64_t *at = chk_map_get(&c->ng_map, node, group);
    return at ? &c->ngv[*at] : NULL;
}

bool chk_node_live(const struct chk *c, uint32_t node)
{
    return node < c->nodes.n && c->nodev[node].started && !c->nodev[node].crashed;
}

const struct chk_view *chk_view_find(const struct chk *c, uint32_t group, int64_t view)
{
    uint64_t *at = chk_map_get(&c->view_map, group, (uint64_t)view);
    return at ? &c->views[*at] : NULL;
}

bool chk_view_has(const struct chk *c, const struct chk_view *v, uint32_t node)
{
    for (uint32_t i = 0; i < v->n_members; i++)
        if (c->pool[v->members + i] == node)
            return true;
    return false;
}

bool chk_delivered(const struct chk *c, uint32_t node, uint32_t msg)
{
    return chk_map_get(&c->delivered, node, msg) != NULL;
}

bool chk_view_closes(const struct chk *c, const struct chk_cur *cur)
{
    const struct chk_ng *ng = cur->ng;
    return cur->e->ev == CHK_EV_VIEW && ng && ng->view != CHK_NONE && chk_ng_member(ng) &&
           cur->e->view - 1 == c->views[ng->view].view;
}

uint64_t chk_delivered_line(const struct chk *c, uint32_t node, uint32_t msg)
{
    const uint64_t *at = chk_map_get(&c->delivered, node, msg);
    return at ? *at : 0;
}

const struct chk_view *chk_msg_view(const struct chk *c, const struct chk_msg *m)
{
    if (m->group == CHK_NONE)
        return NULL;
    if (!m->by_member && m->dl_view >= 0) {
        const struct chk_view *d = chk_view_find(c, m->group, m->dl_view);
        if (d)
            return d;
    }
    const struct chk_view *w = m->view >= 0 ? chk_view_find(c, m->group, m->view) : NULL;
    if (!w && m->sender_view != CHK_NONE)
        w = &c->views[m->sender_view];
    return w;
}

/* ---- resolving an event ---- */

/* Keeps one slot per node id in each msg's block of the delivered map (chk_map_set_dense). */
static bool chk_delivered_fit(struct chk *c, uint32_t node)
{
    unsigned bits = c->delivered.dense_bits;
    while (((uint64_t)1 << bits) <= node)
        bits++;
    return chk_map_set_dense(&c->delivered, bits);
}

static uint32_t chk_intern_node(struct chk *c, const char *name)
{
    uint32_t old = c->nodes.n;
    uint32_t id = chk_strtab_intern(&c->nodes, name);
    if (id != CHK_NONE && id < old) /* known: its records exist already */
        return id;
    if (id == CHK_NONE ||
        !chk_vec_reserve((void **)&c->nodev, &c->nodev_cap, (size_t)id + 1, sizeof *c->nodev) ||
        !chk_delivered_fit(c, id)) {
        chk_set_full(c, "too many nodes");
        return CHK_NONE;
    }
    memset(&c->nodev[id], 0, sizeof c->nodev[id]);
    return id;
}

static struct chk_ng *chk_ng_get(struct chk *c, uint32_t node, uint32_t group)
{
    bool created;
    uint64_t *at = chk_map_upsert(&c->ng_map, node, group, c->n_ng, &created);
    if (!at ||
        (created && !chk_vec_reserve((void **)&c->ngv, &c->ngv_cap, c->n_ng + 1, sizeof *c->ngv))) {
        chk_set_full(c, "too many (node, group) pairs");
        return NULL;
    }
    if (created) {
        struct chk_ng *ng = &c->ngv[c->n_ng++];
        *ng = (struct chk_ng){.node = node, .group = group, .view = CHK_NONE};
    }
    return &c->ngv[*at];
}

/* Interns the event's names and finds its records. False when a table is full. */
static bool chk_resolve(struct chk *c, const struct chk_event *e, struct chk_cur *cur)
{
    *cur = (struct chk_cur){
        .e = e, .node = CHK_NONE, .group = CHK_NONE, .order = CHK_NONE, .msg = CHK_NONE};
    if (e->node && (cur->node = chk_intern_node(c, e->node)) == CHK_NONE)
        return false;
    if (cur->node != CHK_NONE)
        cur->n = &c->nodev[cur->node];
    if (cur->n && cur->n->crashed)
        return true; /* judged by integrity alone; nothing else is resolved */
    if (e->group && (cur->group = chk_strtab_intern(&c->groups, e->group)) == CHK_NONE)
        return false;
    if (e->order && (cur->order = chk_strtab_intern(&c->orders, e->order)) == CHK_NONE)
        return false;
    if (cur->node != CHK_NONE && cur->group != CHK_NONE &&
        !(cur->ng = chk_ng_get(c, cur->node, cur->group)))
        return false;
    if (e->ev == CHK_EV_SEND) {
        uint32_t old = c->msgs.n;
        cur->msg = chk_strtab_intern(&c->msgs, e->msg);
        if (cur->msg == CHK_NONE ||
            !chk_vec_reserve((void **)&c->msgv, &c->msgv_cap, c->msgs.n, sizeof *c->msgv))
            return false;
        cur->m = cur->msg < old ? &c->msgv[cur->msg] : NULL;
    } else if (e->ev == CHK_EV_DELIVER) {
        cur->msg = chk_strtab_find(&c->msgs, e->msg);
        cur->m = cur->msg != CHK_NONE ? &c->msgv[cur->msg] : NULL;
        uint64_t *first = cur->m ? chk_map_get(&c->delivered, cur->node, cur->msg) : NULL;
        cur->first_delivery = first ? *first : 0;
    }
    return true;
}

/* ---- updating the bookkeeping after the rules judged an event ---- */

/* Appends the node ids of `names` to the pool; returns the offset or CHK_NONE. */
static uint32_t chk_pool_add(struct chk *c, const char *const *names, size_t n)
{
    if (!chk_vec_reserve((void **)&c->pool, &c->pool_cap, c->n_pool + n, sizeof *c->pool))
        return CHK_NONE;
    uint32_t at = (uint32_t)c->n_pool;
    for (size_t i = 0; i < n; i++) {
        uint32_t id = chk_intern_node(c, names[i]);
        if (id == CHK_NONE)
            return CHK_NONE;
        c->pool[c->n_pool++] = id;
    }
    return at;
}

static bool chk_view_same(const struct chk *c, const struct chk_view *a, const struct chk_view *b)
{
    return a->n_members == b->n_members && a->n_clients == b->n_clients &&
           !memcmp(&c->pool[a->members], &c->pool[b->members], a->n_members * sizeof *c->pool) &&
           !memcmp(&c->pool[a->clients], &c->pool[b->clients], a->n_clients * sizeof *c->pool);
}

/* Finds or makes the record of the view e installs; returns its index or CHK_NONE. */
static uint32_t chk_view_record(struct chk *c, const struct chk_cur *cur)
{
    const struct chk_event *e = cur->e;
    size_t pool_mark = c->n_pool;
    struct chk_view v = {.group = cur->group, .node = cur->node, .view = e->view, .line = e->line};
    v.members = chk_pool_add(c, e->members, e->n_members);
    v.clients = chk_pool_add(c, e->clients, e->n_clients);
    if (v.members == CHK_NONE || v.clients == CHK_NONE ||
        !chk_vec_reserve((void **)&c->views, &c->views_cap, c->n_views + 1, sizeof *c->views))
        return CHK_NONE;
    v.n_members = (uint32_t)e->n_members;
    v.n_clients = (uint32_t)e->n_clients;
    bool created;
    uint64_t *at =
        chk_map_upsert(&c->view_map, cur->group, (uint64_t)e->view, c->n_views, &created);
    if (!at)
        return CHK_NONE;
    if (!created && chk_view_same(c, &c->views[*at], &v)) {
        c->n_pool = pool_mark; /* share the first record */
        return (uint32_t)*at;
    }
    c->views[c->n_views] = v; /* a new view, or a disagreeing copy kept apart */
    return (uint32_t)c->n_views++;
}

static bool chk_apply_view(struct chk *c, const struct chk_cur *cur)
{
    uint32_t v = chk_view_record(c, cur);
    if (v == CHK_NONE)
        return false;
    struct chk_ng *ng = cur->ng;
    ng->view = v;
    ng->view_line = cur->e->line;
    ng->member = chk_view_has(c, &c->views[v], cur->node);
    ng->dlog_view = ng->n_dlog;
    ng->slog_view = ng->n_slog;
    return true;
}

/* Appends msg to a (node, group) log; false when full. */
static bool chk_log_add(uint32_t **log, size_t *n, size_t *cap, uint32_t msg)
{
    if (!chk_vec_reserve((void **)log, cap, *n + 1, sizeof **log))
        return false;
    (*log)[(*n)++] = msg;
    return true;
}

static bool chk_apply_send(struct chk *c, const struct chk_cur *cur)
{
    if (cur->m)
        return true; /* a second send of one msg id: the first one stands */
    const struct chk_event *e = cur->e;
    struct chk_msg m = {.sender = cur->node,
                        .group = cur->group,
                        .to = CHK_NONE,
                        .order = cur->order,
                        .view = e->view,
                        .line = e->line,
                        .sender_view = cur->ng ? cur->ng->view : CHK_NONE,
                        .by_member = chk_ng_member(cur->ng),
                        .dl_view = -1,
                        .dom = chk_domain_of(c, cur)};
    if (m.dom == CHK_NONE)
        return false;
    if (e->to && (m.to = chk_intern_node(c, e->to)) == CHK_NONE)
        return false;
    c->msgv[cur->msg] = m;
    struct chk_ng *ng = cur->ng;
    return !ng || chk_log_add(&ng->slog, &ng->n_slog, &ng->slog_cap, cur->msg);
}

static bool chk_apply_deliver(struct chk *c, const struct chk_cur *cur)
{
    if (!cur->m || cur->first_delivery)
        return true;
    bool created;
    if (!chk_map_upsert(&c->delivered, cur->node, cur->msg, cur->e->line, &created))
        return false;
    struct chk_ng *ng = cur->ng;
    struct chk_msg *m = &c->msgv[cur->msg];
    if (cur->e->view > m->dl_view && chk_ng_member(ng))
        m->dl_view = cur->e->view; /* a client's message sent again: its latest view counts */
    return !ng || chk_log_add(&ng->dlog, &ng->n_dlog, &ng->dlog_cap, cur->msg);
}

uint32_t chk_group_domain(const struct chk *c, uint32_t g)
{
    return g != CHK_NONE && g < c->gdom_cap && c->gdom[g] ? c->gdom[g] - 1 : 0;
}

uint32_t chk_domain_of(struct chk *c, const struct chk_cur *cur)
{
    if (cur->e->domain)
        return chk_strtab_intern(&c->doms, cur->e->domain);
    return chk_group_domain(c, cur->group);
}

/* A `domain` event: group -> domain. */
static bool chk_apply_domain(struct chk *c, const struct chk_cur *cur)
{
    if (cur->group == CHK_NONE)
        return true;
    uint32_t d = chk_domain_of(c, cur);
    size_t old = c->gdom_cap;
    if (d == CHK_NONE ||
        !chk_vec_reserve((void **)&c->gdom, &c->gdom_cap, (size_t)cur->group + 1, sizeof *c->gdom))
        return false;
    memset(&c->gdom[old], 0, (c->gdom_cap - old) * sizeof *c->gdom);
    c->gdom[cur->group] = d + 1;
    return true;
}

/* Diagnostics: a `suspect` event is remembered (node, peer). */
static bool chk_apply_other(struct chk *c, const struct chk_cur *cur)
{
    const struct chk_event *e = cur->e;
    if (!e->ev_name || strcmp(e->ev_name, "suspect") || !e->peer || cur->node == CHK_NONE)
        return true;
    uint32_t peer = chk_intern_node(c, e->peer);
    bool created;
    return peer != CHK_NONE && chk_map_upsert(&c->suspected, cur->node, peer, e->line, &created);
}

bool chk_suspected_pair(const struct chk *c, uint32_t a, uint32_t b)
{
    return chk_map_get(&c->suspected, a, b) || chk_map_get(&c->suspected, b, a);
}

static bool chk_apply(struct chk *c, const struct chk_cur *cur)
{
    const struct chk_event *e = cur->e;
    switch (e->ev) {
    case CHK_EV_START:
        cur->n->started = true;
        return true;
    case CHK_EV_CRASH:
        cur->n->crashed = true;
        cur->n->crash_line = e->line;
        return true;
    case CHK_EV_VIEW:
        return chk_apply_view(c, cur);
    case CHK_EV_EXCLUDED:
        if (!cur->ng->excluded_line)
            cur->ng->excluded_line = e->line;
        return true;
    case CHK_EV_SEND:
        return chk_apply_send(c, cur);
    case CHK_EV_DELIVER:
        return chk_apply_deliver(c, cur);
    case CHK_EV_OTHER:
        return chk_apply_other(c, cur);
    case CHK_EV_DOMAIN:
        return chk_apply_domain(c, cur);
    default: /* domain, flush, state, fault: no shared state yet */
        return true;
    }
}

static void chk_count(struct chk *c, const struct chk_event *e)
{
    struct chk_counts *n = &c->counts;
    n->events++;
    n->sends += e->ev == CHK_EV_SEND;
    n->deliveries += e->ev == CHK_EV_DELIVER;
    n->views += e->ev == CHK_EV_VIEW;
    n->crashes += e->ev == CHK_EV_CRASH;
    n->faults += e->ev == CHK_EV_FAULT;
}

int chk_feed(struct chk *c, const struct chk_event *e)
{
    assert(c && e && !c->finished);
    assert(chk_event_missing(e) == NULL);
    assert(!(e->t < c->last_t)); /* t never decreases */
    c->last_t = e->t;
    uint64_t before = c->total_vio;
    chk_count(c, e);
    if (c->full)
        return 0;
    struct chk_cur cur;
    if (!chk_resolve(c, e, &cur)) {
        chk_set_full(c, "a table limit was reached or memory ran out");
        return 0;
    }
    if (cur.n && cur.n->crashed) {
        chk_integrity_after_crash(c, &cur);
        return (int)(c->total_vio - before);
    }
    for (size_t i = 0; i < c->n_mods; i++)
        if (c->mods[i]->on_event)
            c->mods[i]->on_event(c, c->mod_state[i], &cur);
    if (!chk_apply(c, &cur))
        chk_set_full(c, "a table limit was reached or memory ran out");
    return (int)(c->total_vio - before);
}

void chk_finish(struct chk *c)
{
    assert(c);
    if (c->finished)
        return;
    c->finished = true;
    if (c->full)
        return;
    for (size_t i = 0; i < c->n_mods; i++)
        if (c->mods[i]->on_finish)
            c->mods[i]->on_finish(c, c->mod_state[i]);
}

/* ---- verdicts ---- */

bool chk_rule_failed(const struct chk *c, enum chk_rule r)
{
    assert(r >= 0 && r < CHK_R_COUNT);
    return c->n_vio[r] > 0;
}

uint64_t chk_violations(const struct chk *c, enum chk_rule r)
{
    assert(r >= 0 && r < CHK_R_COUNT);
    return c->n_vio[r];
}

bool chk_passed(const struct chk *c)
{
    return c->total_vio == 0 && !c->full; /* a checker that gave up passes nothing */
}

const struct chk_counts *chk_counts(const struct chk *c)
{
    return &c->counts;
}

bool chk_verdict(const struct chk *c, FILE *out)
{
    assert(c && out);
    if (!c->h.expect) {
        bool ok = chk_passed(c);
        fprintf(out, "verdict: %s\n", ok ? "PASS (every rule holds)" : "FAIL");
        return ok;
    }
    int r = chk_rule_parse(c->h.expect);
    bool ok = r >= 0 && chk_rule_failed(c, (enum chk_rule)r);
    fprintf(out, "verdict: %s (expected a violation of %s: %s)\n", ok ? "PASS" : "FAIL",
            c->h.expect, ok ? "it happened" : "it did not happen");
    return ok;
}
