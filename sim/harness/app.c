/* sim/harness/app.c: the simulated application of one incarnation. See app.h.
 *
 * Owns: the workload (who multicasts what, when), membership operations of the
 * timeline (join, leave), the replicated object whose digest is traced at each
 * view install and which a joiner receives by state transfer (pg_state), the
 * application-level trace events (view, excluded, send, deliver, state) and
 * the test-only sabotage layer between the core's delivery upcall and the
 * application.
 *
 * A group whose traffic is all `fifo` runs on the link layer alone (the paper's
 * Table 2: phys_mcast, one static view). Any other group runs the process-group
 * layer (Table 1: views, flush, cbcast; and abcast). A message's id, and its
 * ordering (the magic: cbcast, abcast or diffusion), travel in its payload. The
 * send time of each message is kept to measure delivery latency per ordering.
 * The first incarnation of a declared client becomes a client of its group at
 * start (pg_client through member k mod n for the k-th client); it writes the
 * views it caches, sends its cbcast lines as client messages and delivers
 * diffusions (it keeps no replicated object).
 */
#include <assert.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "le.h"
#include "rng.h"
#include "app_hier.h"

#define APP_MAGIC    0x70677031u /* "pgp1" */
#define APP_MAGIC_AB 0x70676131u /* "pga1": an abcast */
#define APP_MAGIC_DF 0x70676431u /* "pgd1": a diffusion */
#define APP_HDR_B    16u

static uint32_t app_gid(uint32_t group)
{
    return group + 1;
}

/* ---- the host (app.h): the driver's clock, trace sink and incarnations ---- */

static int64_t app_now(const struct sim_app *a)
{
    return a->host->now_ns(a->drv);
}

static void app_emit(struct sim_app *a, struct chk_event *e)
{
    a->host->emit(a->drv, e);
}

static const char *app_name(const struct sim_app *a, pg_node_id id)
{
    return a->host->inc_name(a->drv, id);
}

static pg_node_id app_current(const struct sim_app *a, uint32_t proc)
{
    return a->host->current(a->drv, proc);
}

static bool app_alive(const struct sim_app *a)
{
    return *a->alive;
}

/* Writes the trace id of a message, `SENDER/SEQ` (checkers/TRACE.md), into buf. This is
 * on the per-delivery path, hence no snprintf. */
static void app_msg_name(char *buf, size_t cap, const char *sender, uint64_t seq)
{
    char digits[20];
    size_t nd = 0;
    do {
        digits[nd++] = (char)('0' + seq % 10);
        seq /= 10;
    } while (seq);
    size_t ns = strlen(sender);
    assert(ns + 1 + nd + 1 <= cap);
    memcpy(buf, sender, ns);
    buf[ns] = '/';
    for (size_t i = 0; i < nd; i++)
        buf[ns + 1 + i] = digits[nd - 1 - i];
    buf[ns + 1 + nd] = '\0';
}

/* ---- the replicated object: commutative counters, so that members that
 * delivered the same set in a view (virtual synchrony) hold the same state ---- */

static void app_apply(struct sim_app_group *ag, pg_node_id from, uint64_t seq)
{
    ag->n_applied++;
    ag->sum_applied += sim_rng_mix((uint64_t)from << 40 ^ seq);
}

static void app_emit_state(struct sim_app *a, uint32_t group)
{
    const struct sim_app_group *ag = &a->groups[group];
    char digest[40];
    snprintf(digest, sizeof digest, "%llu-%016llx", (unsigned long long)ag->n_applied,
             (unsigned long long)ag->sum_applied);
    struct chk_event e = {.ev = CHK_EV_STATE, .ev_name = "state", .view = ag->view};
    e.node = a->name;
    e.group = a->host->scn->groups[group].name;
    e.digest = digest;
    app_emit(a, &e);
}

/* State transfer (pg_state upcalls): the object is its two counters. */
static int app_state_encode(void *ctx, pg_gid gid, uint8_t *buf, size_t cap)
{
    const struct sim_app *a = ctx;
    const struct sim_app_group *ag = &a->groups[gid - 1];
    assert(gid >= 1 && gid <= a->host->scn->n_groups && ag->has_state);
    if (cap < 16)
        return PG_E_TOOBIG;
    le_put64(buf, ag->n_applied);
    le_put64(buf + 8, ag->sum_applied);
    return 16;
}

/* Installs a transferred state; the joiner's `state` event follows at once,
 * in the monitor upcall of the join view (pg_state: right after decode). */
static int app_state_decode(void *ctx, pg_gid gid, uint32_t view_id, int status, const uint8_t *buf,
                            size_t len)
{
    struct sim_app *a = ctx;
    struct sim_app_group *ag = &a->groups[gid - 1];
    assert(gid >= 1 && gid <= a->host->scn->n_groups && !ag->has_state);
    (void)view_id;
    if (status != PG_OK)
        return PG_OK; /* the joiner is excluded next */
    if (len != 16)
        return PG_E_MALFORMED;
    ag->n_applied = le_get64(buf);
    ag->sum_applied = le_get64(buf + 8);
    if (a->sab.corrupt) { /* sabotage: the joiner's state is wrong */
        a->sab.corrupt = false;
        ag->sum_applied ^= 1;
    }
    ag->has_state = true;
    return PG_OK;
}

/* ---- deliveries, through the sabotage layer ---- */

static void app_emit_deliver(struct sim_app *a, const struct sim_delivery *d)
{
    struct chk_event e = {.ev = CHK_EV_DELIVER, .ev_name = "deliver", .view = d->view};
    e.node = a->name;
    e.msg = d->msg;
    e.order = d->order;
    e.group = d->group == SCN_NO_GROUP ? NULL : a->host->scn->groups[d->group].name;
    e.from = d->from;
    app_emit(a, &e);
    a->host->tot->deliveries++;
    if (a->host->metrics && app_alive(a)) {
        sim_metrics_deliver(a->host->metrics, d->from_id, d->seq, a->id, app_now(a), d->order,
                            d->from, a->name);
        sim_metrics_deliver_group(a->host->metrics, d->group, d->from_id, d->seq, a->id,
                                  app_now(a));
    }
}

/* swap-abcast: holds an abcast delivery back until the next abcast delivery
 * from another sender, and hands that one over first. */
static void app_swap_abcast(struct sim_app *a, const struct sim_delivery *d)
{
    struct sim_sabotage *sab = &a->sab;
    bool ab = !strcmp(d->order, "abcast");
    if (sab->swapping && ab && strcmp(d->from, sab->held.from) != 0) {
        app_emit_deliver(a, d);
        app_emit_deliver(a, &sab->held);
        sab->swapping = false;
        sab->pending = -1; /* done */
        return;
    }
    if (sab->swapping)
        app_emit_deliver(a, &sab->held);
    sab->swapping = ab;
    if (ab)
        sab->held = *d;
    else
        app_emit_deliver(a, d);
}

/* Passes one delivery through the sabotage layer, then to the application. */
static void app_deliver(struct sim_app *a, const struct sim_delivery *d)
{
    struct sim_sabotage *sab = &a->sab;
    if (sab->pending == SCN_SAB_SWAP_ABCAST) {
        app_swap_abcast(a, d);
        return;
    }
    if (sab->holding) { /* reorder: this one first, then the held one */
        sab->holding = false;
        app_emit_deliver(a, d);
        app_emit_deliver(a, &sab->held);
        return;
    }
    int kind = sab->pending;
    sab->pending = -1;
    struct sim_delivery forged;
    switch (kind) {
    case -1:
        app_emit_deliver(a, d);
        break;
    case SCN_SAB_DROP:
        break;
    case SCN_SAB_DUPLICATE:
        app_emit_deliver(a, d);
        app_emit_deliver(a, d);
        break;
    case SCN_SAB_REORDER:
        sab->holding = true;
        sab->held = *d;
        break;
    case SCN_SAB_MISATTRIBUTE:
        forged = *d;
        snprintf(forged.from, sizeof forged.from, "%s",
                 strcmp(d->from, a->name) ? a->name : "nobody");
        app_emit_deliver(a, &forged);
        break;
    case SCN_SAB_LATE:
        sab->late = true;
        sab->held = *d;
        break;
    default:
        assert(!"unknown sabotage");
    }
}

/* Parses the application header of a payload; *o tells its ordering (cbcast,
 * abcast or diffusion: the magic). The top byte of the seq field is the
 * message's relay hop count (`relay`). */
static uint64_t app_parse_hop(const uint8_t *payload, size_t len, pg_node_id from,
                              enum scn_order *o, uint32_t *hop)
{
    assert(len >= APP_HDR_B);
    uint32_t magic = le_get32(payload);
    assert(magic == APP_MAGIC || magic == APP_MAGIC_AB || magic == APP_MAGIC_DF);
    assert(le_get32(payload + 4) == from);
    *o = magic == APP_MAGIC_AB   ? SCN_ORDER_ABCAST
         : magic == APP_MAGIC_DF ? SCN_ORDER_DIFFUSION
                                 : SCN_ORDER_CBCAST;
    uint64_t v = le_get32(payload + 8) | (uint64_t)le_get32(payload + 12) << 32;
    *hop = (uint32_t)(v >> 56);
    return v & ((1ull << 56) - 1);
}

static uint64_t app_parse(const uint8_t *payload, size_t len, pg_node_id from, enum scn_order *o)
{
    uint32_t hop;
    return app_parse_hop(payload, len, from, o, &hop);
}

static void app_relay(struct sim_app *a, uint32_t from_group, uint32_t hop, uint32_t domain);

/* Latency of a delivery of `from`'s message `seq`, when the driver knows its
 * send time (the simulator; the live driver measures it from the merged trace). */
static void app_latency(struct sim_app *a, pg_node_id from, uint64_t seq, enum scn_order o)
{
    if (!a->host->sent_ns)
        return;
    int64_t d = app_now(a) - a->host->sent_ns(a->drv, from, seq);
    assert(d >= 0);
    struct sim_totals *t = a->host->tot;
    t->lat_n[o]++;
    t->lat_sum_ns[o] += (uint64_t)d;
    if ((uint64_t)d > t->lat_max_ns[o])
        t->lat_max_ns[o] = (uint64_t)d;
    if (from == a->id) {
        t->lat_own_n[o]++;
        t->lat_own_sum_ns[o] += (uint64_t)d;
    }
}

static void app_fill(struct sim_app *a, struct sim_delivery *d, uint32_t group, pg_node_id from,
                     uint64_t seq, const char *order, int64_t view)
{
    const char *from_name = app_name(a, from);
    app_msg_name(d->msg, sizeof d->msg, from_name, seq);
    size_t n = strlen(from_name);
    assert(n < sizeof d->from);
    memcpy(d->from, from_name, n + 1); /* per delivery: no snprintf */
    d->from_id = from;
    d->seq = seq;
    d->group = group;
    d->order = order;
    d->view = view;
}

/* phys_entry upcall (link-level groups). */
static void app_on_entry(void *ctx, phys_gid gid, pg_node_id from, const uint8_t *payload,
                         size_t len)
{
    struct sim_app *a = ctx;
    assert(gid >= 1 && gid <= a->host->scn->n_groups && !a->host->group_pg[gid - 1]);
    enum scn_order o;
    uint64_t seq = app_parse(payload, len, from, &o);
    assert(o == SCN_ORDER_CBCAST);
    app_latency(a, from, seq, SCN_ORDER_FIFO);
    if (from == a->id && a->in_mcast) {
        a->self_pending = true; /* written after the send event */
        return;
    }
    struct sim_delivery d;
    app_fill(a, &d, gid - 1, from, seq, "fifo", 1);
    app_deliver(a, &d);
}

static void app_on_monitor(void *ctx, phys_gid gid, pg_node_id failed)
{
    (void)ctx, (void)gid, (void)failed; /* static groups: the link layer already dropped it */
}

/* pg_entry upcall (process groups, paper Table 1). A client delivers
 * diffusions, in their view (not the one it cached). */
static void app_on_pg_entry(void *ctx, pg_gid gid, uint32_t view_id, pg_node_id from,
                            const uint8_t *payload, size_t len)
{
    struct sim_app *a = ctx;
    uint32_t g = gid - 1;
    assert(gid >= 1 && gid <= a->host->scn->n_groups && a->host->group_pg[g]);
    if (sim_hier_owns(a, gid)) { /* the hierarchical group's tool */
        sim_hier_entry(a, gid, from, payload, len);
        return;
    }
    struct sim_app_group *ag = &a->groups[g];
    enum scn_order o;
    uint32_t hop;
    uint64_t seq = app_parse_hop(payload, len, from, &o, &hop);
    assert(!ag->client || o == SCN_ORDER_DIFFUSION);
    assert(ag->client || ag->view == (int64_t)view_id); /* delivered in the installed view */
    if (!ag->client)
        app_apply(ag, from, seq);
    app_latency(a, from, seq, o);
    if (from == a->id && a->in_mcast && seq == a->next_seq + 1) {
        a->self_pending = true; /* the message being sent: after its send event */
        a->self_view = view_id;
        return;
    }
    struct sim_delivery d;
    app_fill(a, &d, g, from, seq, scn_order_name(o), view_id);
    app_deliver(a, &d);
    if (from != a->id && !ag->client)
        app_relay(a, g, hop, a->host->scn->groups[g].domain);
}

/* pg_p2p_entry upcall: a point-to-point cbcast (order p2p, no group). */
static void app_on_p2p(void *ctx, pg_node_id from, uint32_t domain, const uint8_t *payload,
                       size_t len)
{
    struct sim_app *a = ctx;
    enum scn_order o;
    uint32_t hop;
    uint64_t seq = app_parse_hop(payload, len, from, &o, &hop);
    assert(o == SCN_ORDER_CBCAST);
    app_latency(a, from, seq, SCN_ORDER_P2P);
    struct sim_delivery d;
    app_fill(a, &d, SCN_NO_GROUP, from, seq, "p2p", -1);
    app_deliver(a, &d);
    app_relay(a, SCN_NO_GROUP, hop, domain);
}

static void app_emit_view(struct sim_app *a, uint32_t g, const struct pg_view *v)
{
    const char *members[PG_MAX_MEMBERS_CAP], *clients[PG_MAX_CLIENTS_CAP];
    uint32_t n = v->n_members;
    for (uint32_t i = 0; i < n; i++)
        members[i] = app_name(a, v->members[i]);
    for (uint32_t i = 0; i < v->n_clients; i++)
        clients[i] = app_name(a, v->clients[i]);
    if (a->sab.forge && n > 1) { /* sabotage: misreport the membership */
        a->sab.forge = false;
        n--;
    }
    struct chk_event e = {.ev = CHK_EV_VIEW, .ev_name = "view", .view = v->view_id};
    e.node = a->name;
    e.group = a->host->scn->groups[g].name;
    e.members = members;
    e.n_members = n;
    e.clients = clients;
    e.n_clients = v->n_clients;
    app_emit(a, &e);
    a->host->tot->views++;
}

/* pg_monitor upcall: a view was installed, or this node was excluded. */
static void app_on_pg_view(void *ctx, const struct pg_view *v, bool excluded)
{
    struct sim_app *a = ctx;
    uint32_t g = v->gid - 1;
    assert(v->gid >= 1 && v->gid <= a->host->scn->n_groups && a->host->group_pg[g]);
    struct sim_app_group *ag = &a->groups[g];
    if (excluded) {
        struct chk_event e = {.ev = CHK_EV_EXCLUDED, .ev_name = "excluded", .view = -1};
        e.node = a->name;
        e.group = a->host->scn->groups[g].name;
        app_emit(a, &e);
        a->host->tot->exclusions++;
        *ag = (struct sim_app_group){.view = -1, .client = ag->client};
        if (sim_hier_owns(a, v->gid))
            sim_hier_view(a, v, true);
        return;
    }
    assert(v->view_id > ag->view);
    ag->view = v->view_id;
    ag->joined = true;
    app_emit_view(a, g, v); /* a client: the view it caches, its client list is itself */
    if (ag->has_state)
        app_emit_state(a, g);
    if (sim_hier_owns(a, v->gid))
        sim_hier_view(a, v, false);
    if (a->sab.late) { /* sabotage: the held delivery lands in this view */
        a->sab.late = false;
        a->sab.held.view = v->view_id;
        app_emit_deliver(a, &a->sab.held);
    }
}

/* ---- static groups (first incarnations of their initial members) ---- */

static void app_create_link_group(struct sim_app *a, uint32_t g, const pg_node_id *ids,
                                  const char *const *names, uint32_t n)
{
    struct phys *ph = pg_node_phys(a->node);
    int rc = phys_create(ph, app_gid(g), ids, n);
    assert(rc == PG_OK);
    phys_entry(ph, app_gid(g), app_on_entry, a);
    phys_monitor(ph, app_gid(g), app_on_monitor, a);
    struct chk_event e = {.ev = CHK_EV_VIEW, .ev_name = "view", .view = 1};
    e.node = a->name;
    e.group = a->host->scn->groups[g].name;
    e.members = names;
    e.n_members = n;
    app_emit(a, &e);
    a->host->tot->views++;
}

static void app_create_pg_group(struct sim_app *a, uint32_t g, const pg_node_id *ids, uint32_t n)
{
    struct pg *pg = pg_node_pg(a->node);
    const struct scn_group *grp = &a->host->scn->groups[g];
    (void)set_dflt_domain(pg, grp->domain);
    pg_node_id cids[PG_MAX_CLIENTS_CAP];
    uint32_t nc = grp->clients_in_view ? grp->n_clients : 0;
    assert(nc <= PG_MAX_CLIENTS_CAP);
    for (uint32_t k = 0; k < nc; k++)
        cids[k] = grp->clients[k] + 1; /* first incarnations have id = proc + 1 */
    int rc = pg_create_with_clients(pg, app_gid(g), ids, n, cids, nc);
    assert(rc == PG_OK); /* the scenario's limits are within the layer's (checked by run.c) */
    pg_entry(pg, app_gid(g), app_on_pg_entry, a);
    pg_monitor(pg, app_gid(g), app_on_pg_view, a);
    pg_state(pg, app_gid(g), app_state_encode, app_state_decode, a);
    struct pg_view v;
    rc = pg_getview(pg, app_gid(g), &v);
    assert(rc == PG_OK && v.view_id == 1 && v.n_members == n && v.n_clients == nc);
    a->groups[g] = (struct sim_app_group){.joined = true, .has_state = true, .view = 1};
    app_emit_view(a, g, &v);
    app_emit_state(a, g);
}

/* Becomes a client of process group g through member `contact` (first incarnations). */
static void app_become_client(struct sim_app *a, uint32_t g, pg_node_id contact)
{
    struct pg *pg = pg_node_pg(a->node);
    int rc = pg_client(pg, app_gid(g), contact);
    assert(rc == PG_OK);
    pg_entry(pg, app_gid(g), app_on_pg_entry, a);
    pg_monitor(pg, app_gid(g), app_on_pg_view, a);
    a->groups[g] = (struct sim_app_group){.client = true, .view = -1};
}

static void app_join_static_groups(struct sim_app *a)
{
    const struct scn *s = a->host->scn;
    pg_node_id ids[SCN_MAX_MEMBERS];
    const char *names[SCN_MAX_MEMBERS];
    for (uint32_t g = 0; g < s->n_groups; g++) {
        const struct scn_group *grp = &s->groups[g];
        bool member = false;
        for (uint32_t i = 0; i < grp->n_members; i++) {
            ids[i] = grp->members[i] + 1; /* first incarnations have id = proc + 1 */
            names[i] = app_name(a, ids[i]);
            member |= ids[i] == a->id;
        }
        for (uint32_t k = 0; k < grp->n_clients; k++)
            if (grp->clients[k] + 1 == a->id)
                app_become_client(a, g, ids[k % grp->n_members]);
        if (!member)
            continue;
        if (a->host->group_pg[g])
            app_create_pg_group(a, g, ids, grp->n_members);
        else
            app_create_link_group(a, g, ids, names, grp->n_members);
    }
}

static bool app_is_member(const struct scn_group *g, uint32_t proc)
{
    for (uint32_t i = 0; i < g->n_members; i++)
        if (g->members[i] == proc)
            return true;
    return false;
}

/* Sets up the workload lines in which this process sends. Link-level groups:
 * first incarnations of static members only. Process groups: any incarnation;
 * a send happens only while it is a member. */
static void app_plan_sends(struct sim_app *a, int64_t now_ns)
{
    const struct scn *s = a->host->scn;
    bool first = a->id == a->proc + 1;
    for (uint32_t wl = 0; wl < s->n_workloads; wl++) {
        const struct scn_workload *w = &s->workloads[wl];
        bool pg = w->group == SCN_NO_GROUP || a->host->group_pg[w->group];
        for (uint32_t i = 0; i < w->n_senders; i++) {
            if (w->senders[i] != a->proc)
                continue;
            if (!pg && (!first || !app_is_member(&s->groups[w->group], a->proc)))
                break;
            struct sim_sender *sd = &a->senders[a->n_senders++];
            sd->workload = wl;
            sd->period_ns = (int64_t)(1e9 / w->rate_per_s);
            if (sd->period_ns < 1)
                sd->period_ns = 1;
            /* stagger senders evenly over one period */
            sd->next_ns = w->start_ns + sd->period_ns * (int64_t)i / (int64_t)w->n_senders;
            if (sd->next_ns < now_ns) /* a later incarnation: the next slot from now */
                sd->next_ns +=
                    (now_ns - sd->next_ns + sd->period_ns - 1) / sd->period_ns * sd->period_ns;
            break;
        }
    }
}

/* The next join/leave of this process at or after `from`. */
static uint32_t app_next_op(const struct sim_app *a, uint32_t from)
{
    const struct scn *s = a->host->scn;
    for (uint32_t i = from; i < s->n_faults; i++) {
        const struct scn_fault *f = &s->faults[i];
        if ((f->kind == SCN_F_JOIN || f->kind == SCN_F_LEAVE || f->kind == SCN_F_FLUSH) &&
            f->proc == a->proc)
            return i;
    }
    return s->n_faults;
}

void sim_app_start(struct sim_app *a)
{
    const struct scn *s = a->host->scn;
    a->sab.pending = -1;
    a->groups = calloc(s->n_groups ? s->n_groups : 1, sizeof *a->groups);
    a->senders = calloc(s->n_workloads ? s->n_workloads : 1, sizeof *a->senders);
    assert(a->groups && a->senders);
    for (uint32_t g = 0; g < s->n_groups; g++)
        a->groups[g].view = -1;
    int64_t now = app_now(a);
    uint32_t i = app_next_op(a, 0);
    while (i < s->n_faults && s->faults[i].at_ns < now)
        i = app_next_op(a, i + 1);
    a->next_op = i;
    a->relay_due = calloc(SIM_RELAY_DUE_MAX, sizeof *a->relay_due);
    assert(a->relay_due);
    if (pg_node_pg(a->node))
        pg_p2p_entry(pg_node_pg(a->node), app_on_p2p, a);
    if (a->id == a->proc + 1)
        app_join_static_groups(a);
    app_plan_sends(a, now);
    sim_hier_start(a);
}

void sim_app_register_pg(struct sim_app *a, uint32_t g)
{
    struct pg *pg = pg_node_pg(a->node);
    pg_entry(pg, app_gid(g), app_on_pg_entry, a);
    pg_monitor(pg, app_gid(g), app_on_pg_view, a);
}

int64_t sim_app_next_ns(const struct sim_app *a)
{
    const struct scn *s = a->host->scn;
    int64_t next = PG_TIMER_NEVER;
    if (a->next_op < s->n_faults)
        next = s->faults[a->next_op].at_ns;
    for (uint32_t i = 0; i < a->n_senders; i++)
        if (a->senders[i].next_ns < next)
            next = a->senders[i].next_ns;
    int64_t h = sim_hier_next_ns(a);
    return h < next ? h : next;
}

/* One message to send: to a group, or (p2p) to a process. */
struct app_out {
    uint32_t group; /* SCN_NO_GROUP: p2p to `to` */
    uint32_t to;    /* proc index */
    enum scn_order order;
    uint32_t size_bytes;
    uint32_t domain; /* p2p: the sender's default domain */
    uint32_t hop;    /* relay hops from the origin */
};

static size_t app_payload(struct sim_app *a, const struct app_out *o, uint8_t *buf, size_t cap,
                          uint64_t seq)
{
    size_t len = o->size_bytes < APP_HDR_B ? APP_HDR_B : o->size_bytes;
    len = len > cap ? cap : len;
    uint64_t v = seq | (uint64_t)o->hop << 56;
    assert(seq < (1ull << 56) && o->hop < 256);
    le_put32(buf, o->order == SCN_ORDER_ABCAST      ? APP_MAGIC_AB
                  : o->order == SCN_ORDER_DIFFUSION ? APP_MAGIC_DF
                                                    : APP_MAGIC);
    le_put32(buf + 4, a->id);
    le_put32(buf + 8, (uint32_t)v);
    le_put32(buf + 12, (uint32_t)(v >> 32));
    memset(buf + APP_HDR_B, 0xab, len - APP_HDR_B);
    return len;
}

static void app_emit_send(struct sim_app *a, const struct app_out *o, const char *msg, int64_t view)
{
    const struct scn *s = a->host->scn;
    struct chk_event e = {.ev = CHK_EV_SEND, .ev_name = "send", .view = view};
    e.node = a->name;
    e.msg = msg;
    e.order = o->order == SCN_ORDER_FIFO ? "fifo" : scn_order_name(o->order);
    if (o->group == SCN_NO_GROUP) {
        e.to = app_name(a, app_current(a, o->to));
        e.domain = s->domains[o->domain];
        e.view = -1;
    } else {
        e.group = s->groups[o->group].name;
    }
    app_emit(a, &e);
    a->host->tot->sends++;
    if (a->host->proc_sends)
        a->host->proc_sends[a->proc]++;
}

/* Keeps the send time of this incarnation's message `seq` (bounded by the
 * number of sends of the run), when the driver reads it (sim_app_host.sent_ns). */
static void app_note_send(struct sim_app *a, uint64_t seq)
{
    if (!a->host->sent_ns)
        return;
    assert(seq >= 1 && seq <= a->n_send_ns + 1);
    if (seq > a->cap_send_ns) {
        a->cap_send_ns = a->cap_send_ns ? 2 * a->cap_send_ns : 256;
        a->send_ns = realloc(a->send_ns, a->cap_send_ns * sizeof *a->send_ns);
        assert(a->send_ns);
    }
    a->send_ns[seq - 1] = app_now(a);
    a->n_send_ns = seq; /* a refused send is overwritten by the next one */
}

/* Hands one message to the core (or the link layer); PG_OK or its error. */
static int app_transmit(struct sim_app *a, const struct app_out *o, const uint8_t *buf, size_t len,
                        uint32_t view)
{
    if (o->group == SCN_NO_GROUP) {
        struct pg *p = pg_node_pg(a->node);
        pg_node_id to = app_current(a, o->to);
        if (!p || to == PG_NODE_NONE)
            return PG_E_INVAL;
        uint64_t id;
        (void)set_dflt_domain(p, o->domain);
        return pg_p2p(p, to, buf, len, &id);
    }
    if (!a->host->group_pg[o->group])
        return phys_mcast(pg_node_phys(a->node), app_gid(o->group), buf, len);
    uint64_t id;
    uint32_t sent_view;
    struct pg *p = pg_node_pg(a->node);
    pg_gid gid = app_gid(o->group);
    int rc = o->order == SCN_ORDER_ABCAST      ? abcast(p, gid, buf, len, &id, &sent_view)
             : o->order == SCN_ORDER_DIFFUSION ? pg_diffuse(p, gid, buf, len, &id, &sent_view)
                                               : cbcast(p, gid, buf, len, &id, &sent_view);
    assert(rc != PG_OK || sent_view == view);
    return rc;
}

static void app_flush_relays(struct sim_app *a);

/* Sends one message; the own delivery, which the core may make during the
 * call, is written after the send event. */
static void app_send(struct sim_app *a, const struct app_out *o)
{
    uint8_t buf[PHYS_MAX_PAYLOAD];
    uint64_t seq = a->next_seq + 1;
    bool p2p = o->group == SCN_NO_GROUP, pg = p2p || a->host->group_pg[o->group];
    bool cx = !p2p && pg && (o->order == SCN_ORDER_DIFFUSION || a->groups[o->group].client);
    size_t len = app_payload(a, o, buf,
                             cx   ? PG_MAX_PAYLOAD - PG_CX_HDR_MAX
                             : pg ? PG_MAX_PAYLOAD
                                  : PHYS_MAX_PAYLOAD,
                             seq);
    uint32_t view = 1;
    if (!p2p && pg && pg_send_view(pg_node_pg(a->node), app_gid(o->group), &view) != PG_OK)
        return; /* not a member (yet, or any more) */
    app_note_send(a, seq);
    a->in_mcast = true;
    a->self_pending = false;
    int rc = app_transmit(a, o, buf, len, view);
    a->in_mcast = false;
    if (rc != PG_OK) {
        a->host->tot->send_refused++;
        return;
    }
    a->next_seq = seq;
    char msg[SIM_INC_NAME_MAX + 24];
    app_msg_name(msg, sizeof msg, a->name, seq);
    app_emit_send(a, o, msg, view);
    if (a->host->metrics && app_alive(a))
        sim_metrics_send(a->host->metrics, a->id, seq, app_now(a));
    if (a->self_pending) {
        struct sim_delivery d;
        app_fill(a, &d, o->group, a->id, seq, pg ? scn_order_name(o->order) : "fifo",
                 pg ? a->self_view : 1);
        app_deliver(a, &d);
    }
    app_flush_relays(a);
}

static void app_send_one(struct sim_app *a, const struct scn_workload *w)
{
    struct app_out o = {.group = w->group,
                        .to = w->to,
                        .order = w->order,
                        .size_bytes = w->size_bytes,
                        .domain = w->domain};
    app_send(a, &o);
}

/* Sends the relays due (a relay found during a send waits for it to return). */
static void app_flush_relays(struct sim_app *a)
{
    const struct scn *s = a->host->scn;
    while (a->n_relay_due > 0 && !a->in_mcast && app_alive(a)) {
        struct sim_relay_due due = a->relay_due[0];
        memmove(a->relay_due, a->relay_due + 1, --a->n_relay_due * sizeof *a->relay_due);
        const struct scn_relay *r = &s->relays[due.relay];
        struct app_out o = {.group = r->to_proc ? SCN_NO_GROUP : r->to,
                            .to = r->to_proc ? r->to : 0,
                            .order = r->order,
                            .size_bytes = r->size_bytes,
                            .domain = due.domain,
                            .hop = due.hop};
        app_send(a, &o);
    }
}

/* A delivery of a message `hop` relays from its origin, of group from_group
 * (SCN_NO_GROUP: a p2p message of `domain`): the relays it triggers. */
static void app_relay(struct sim_app *a, uint32_t from_group, uint32_t hop, uint32_t domain)
{
    const struct scn *s = a->host->scn;
    for (uint32_t i = 0; i < s->n_relays; i++) {
        const struct scn_relay *r = &s->relays[i];
        if (r->proc != a->proc || r->from != from_group || hop >= r->hops)
            continue;
        if (a->n_relay_due == SIM_RELAY_DUE_MAX) {
            a->host->tot->send_refused++;
            continue;
        }
        a->relay_due[a->n_relay_due++] =
            (struct sim_relay_due){.relay = i, .hop = hop + 1, .domain = domain};
    }
    app_flush_relays(a);
}

static void app_emit_flush(struct sim_app *a, uint32_t group, bool done)
{
    struct chk_event e = {.ev = done ? CHK_EV_FLUSH_DONE : CHK_EV_FLUSH_CALL,
                          .ev_name = done ? "flush_done" : "flush_call",
                          .view = -1};
    e.node = a->name;
    e.group = a->host->scn->groups[group].name;
    app_emit(a, &e);
}

/* pg_flush returned (section 3.2): every message this process sent before
 * the call is delivered by every member of its view. */
static void app_on_flush_done(void *ctx, pg_gid gid)
{
    struct sim_app *a = ctx;
    if (a->in_flush) { /* nothing was outstanding: written after flush_call */
        a->flush_done_early = true;
        return;
    }
    if (a->sab.early) { /* sabotage: this one was already reported */
        a->sab.early = false;
        return;
    }
    app_emit_flush(a, gid - 1, true);
    a->host->tot->flushes_done++;
}

/* `at T flush P G`: the application calls pg_flush and waits for it the way
 * a blocking call would (its other work goes on in the simulation). */
static void app_run_flush(struct sim_app *a, uint32_t g)
{
    struct pg *pg = pg_node_pg(a->node);
    a->in_flush = true;
    a->flush_done_early = false;
    int rc = pg_flush(pg, app_gid(g), app_on_flush_done, a);
    a->in_flush = false;
    if (rc != PG_OK) {
        a->host->tot->flushes_refused++;
        return;
    }
    app_emit_flush(a, g, false);
    bool report = a->flush_done_early || a->sab.early;
    if (a->sab.early && a->flush_done_early)
        a->sab.early = false; /* it was done anyway: nothing to sabotage */
    if (report) {
        app_emit_flush(a, g, true);
        a->host->tot->flushes_done++;
    }
}

static void app_run_op(struct sim_app *a, const struct scn_fault *f)
{
    struct sim_totals *tot = a->host->tot;
    struct pg *pg = pg_node_pg(a->node);
    uint32_t g = f->group;
    if (!a->host->group_pg[g] || app_current(a, a->proc) != a->id) {
        if (f->kind == SCN_F_FLUSH)
            tot->flushes_refused++;
        else
            tot->joins_refused++;
        return;
    }
    if (f->kind == SCN_F_FLUSH) {
        app_run_flush(a, g);
        return;
    }
    if (f->kind == SCN_F_LEAVE) {
        if (pg_leave(pg, app_gid(g)) != PG_OK)
            tot->joins_refused++;
        return;
    }
    pg_node_id contact = a->host->contact(a->drv, g);
    (void)set_dflt_domain(pg, a->host->scn->groups[g].domain);
    if (contact == PG_NODE_NONE || pg_join(pg, app_gid(g), contact) != PG_OK) {
        tot->joins_refused++;
        return;
    }
    pg_entry(pg, app_gid(g), app_on_pg_entry, a);
    pg_monitor(pg, app_gid(g), app_on_pg_view, a);
    pg_state(pg, app_gid(g), app_state_encode, app_state_decode, a);
    a->groups[g].has_state = false; /* until its state transfer */
}

void sim_app_run_due(struct sim_app *a, int64_t now_ns)
{
    const struct scn *s = a->host->scn;
    while (app_alive(a) && a->next_op < s->n_faults && s->faults[a->next_op].at_ns <= now_ns) {
        app_run_op(a, &s->faults[a->next_op]);
        a->next_op = app_next_op(a, a->next_op + 1);
    }
    for (uint32_t i = 0; i < a->n_senders && app_alive(a); i++) {
        struct sim_sender *sd = &a->senders[i];
        const struct scn_workload *w = &s->workloads[sd->workload];
        while (sd->next_ns <= now_ns && sd->next_ns < w->stop_ns && app_alive(a)) {
            app_send_one(a, w);
            sd->next_ns += sd->period_ns;
        }
        if (sd->next_ns >= w->stop_ns)
            sd->next_ns = PG_TIMER_NEVER;
    }
    if (app_alive(a))
        sim_hier_run_due(a, now_ns);
}

const char *sim_core_ev_name(enum env_trace_kind kind)
{
    const char *ev = kind == PG_TR_SUSPECT     ? "suspect"
                     : kind == PG_TR_GARBLED   ? "garbled"
                     : kind == PG_TR_DROPPED   ? "dropped"
                     : kind == PG_TR_SOMETIMES ? "sometimes"
                                               : "core";
    assert(chk_ev_documented(ev)); /* the reader knows every kind written */
    return ev;
}

void sim_app_sabotage(struct sim_app *a, enum scn_sabotage what)
{
    if (sim_hier_sabotage(a, what))
        return;
    if (what == SCN_SAB_FORGE_VIEW)
        a->sab.forge = true;
    else if (what == SCN_SAB_EARLY_FLUSH)
        a->sab.early = true;
    else if (what == SCN_SAB_BAD_STATE)
        a->sab.corrupt = true;
    else
        a->sab.pending = (int)what;
}

void sim_app_stop(struct sim_app *a)
{
    sim_hier_stop(a);
    free(a->senders);
    a->senders = NULL;
    a->n_senders = 0;
    free(a->groups);
    a->groups = NULL;
    free(a->relay_due);
    a->relay_due = NULL;
    a->n_relay_due = 0;
}
