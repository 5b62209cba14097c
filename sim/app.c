/* sim/app.c: the simulated application of one incarnation.
 *
 * Owns: the workload (who multicasts what, when), the application-level trace
 * events (start of membership in static groups, send, deliver) and the
 * test-only sabotage layer between the core's delivery upcall and the
 * application. The link-level harness multicasts with phys_mcast (order
 * "fifo"); a message's id travels in its payload.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world_internal.h"

#define APP_MAGIC 0x70677031u /* "pgp1" */
#define APP_HDR_B 16u

static phys_gid app_gid(uint32_t group)
{
    return group + 1;
}

static void app_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t app_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void app_emit_deliver(struct sim_inc *inc, const char *msg, const char *from, uint32_t group)
{
    struct chk_event e = {.ev = CHK_EV_DELIVER, .ev_name = "deliver", .view = 1};
    e.node = inc->name;
    e.msg = msg;
    e.order = "fifo";
    e.group = inc->w->scn->groups[group].name;
    e.from = from;
    sim_emit(inc->w, &e);
    inc->w->tot.deliveries++;
}

/* Passes one delivery through the sabotage layer, then to the application. */
static void app_deliver(struct sim_inc *inc, const char *msg, const char *from, uint32_t group)
{
    struct sim_sabotage *sab = &inc->app.sab;
    if (sab->holding) { /* reorder: this one first, then the held one */
        sab->holding = false;
        app_emit_deliver(inc, msg, from, group);
        app_emit_deliver(inc, sab->held_msg, sab->held_from, sab->held_group);
        return;
    }
    int kind = sab->pending;
    sab->pending = -1;
    switch (kind) {
    case -1:
        app_emit_deliver(inc, msg, from, group);
        break;
    case SCN_SAB_DROP:
        break;
    case SCN_SAB_DUPLICATE:
        app_emit_deliver(inc, msg, from, group);
        app_emit_deliver(inc, msg, from, group);
        break;
    case SCN_SAB_REORDER:
        sab->holding = true;
        snprintf(sab->held_msg, sizeof sab->held_msg, "%s", msg);
        snprintf(sab->held_from, sizeof sab->held_from, "%s", from);
        sab->held_group = group;
        break;
    case SCN_SAB_MISATTRIBUTE:
        app_emit_deliver(inc, msg, strcmp(from, inc->name) ? inc->name : "nobody", group);
        break;
    default:
        assert(!"unknown sabotage");
    }
}

/* Writes the trace id of a message, `SENDER/SEQ` (TRACE.md), into buf. This is
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

/* phys_entry upcall. */
static void app_on_entry(void *ctx, phys_gid gid, pg_node_id from, const uint8_t *payload,
                         size_t len)
{
    struct sim_inc *inc = ctx;
    assert(gid >= 1 && gid <= inc->w->scn->n_groups);
    if (from == inc->id && inc->app.in_mcast) {
        inc->app.self_pending = true; /* written after the send event */
        return;
    }
    assert(len >= APP_HDR_B && app_get_u32(payload) == APP_MAGIC);
    assert(app_get_u32(payload + 4) == from);
    uint64_t seq = app_get_u32(payload + 8) | (uint64_t)app_get_u32(payload + 12) << 32;
    const char *from_name = sim_inc_name(inc->w, from);
    char msg[SIM_INC_NAME_MAX + 24];
    app_msg_name(msg, sizeof msg, from_name, seq);
    app_deliver(inc, msg, from_name, gid - 1);
}

static void app_on_monitor(void *ctx, phys_gid gid, pg_node_id failed)
{
    (void)ctx, (void)gid, (void)failed; /* static groups: the link layer already dropped it */
}

/* Joins the static groups this process belongs to (first incarnation only). */
static void app_join_static_groups(struct sim_inc *inc)
{
    const struct scn *s = inc->w->scn;
    pg_node_id ids[SCN_MAX_MEMBERS];
    const char *names[SCN_MAX_MEMBERS];
    for (uint32_t g = 0; g < s->n_groups; g++) {
        const struct scn_group *grp = &s->groups[g];
        bool member = false;
        for (uint32_t i = 0; i < grp->n_members; i++) {
            ids[i] = grp->members[i] + 1; /* first incarnations have id = proc + 1 */
            names[i] = sim_inc_name(inc->w, ids[i]);
            member |= ids[i] == inc->id;
        }
        if (!member)
            continue;
        struct phys *ph = pg_node_phys(inc->node);
        int rc = phys_create(ph, app_gid(g), ids, grp->n_members);
        assert(rc == PG_OK);
        phys_entry(ph, app_gid(g), app_on_entry, inc);
        phys_monitor(ph, app_gid(g), app_on_monitor, inc);
        struct chk_event e = {.ev = CHK_EV_VIEW, .ev_name = "view", .view = 1};
        e.node = inc->name;
        e.group = grp->name;
        e.members = names;
        e.n_members = grp->n_members;
        sim_emit(inc->w, &e);
    }
}

static bool app_is_member(const struct scn_group *g, uint32_t proc)
{
    for (uint32_t i = 0; i < g->n_members; i++)
        if (g->members[i] == proc)
            return true;
    return false;
}

/* Sets up the workload lines in which this process sends. Precondition: the
 * incarnation is the process's first (restarted incarnations join nothing in
 * the link-level harness). */
static void app_plan_sends(struct sim_inc *inc)
{
    const struct scn *s = inc->w->scn;
    inc->app.senders = calloc(s->n_workloads ? s->n_workloads : 1, sizeof *inc->app.senders);
    assert(inc->app.senders);
    for (uint32_t wl = 0; wl < s->n_workloads; wl++) {
        const struct scn_workload *w = &s->workloads[wl];
        for (uint32_t i = 0; i < w->n_senders; i++) {
            if (w->senders[i] != inc->proc || !app_is_member(&s->groups[w->group], inc->proc))
                continue;
            struct sim_sender *sd = &inc->app.senders[inc->app.n_senders++];
            sd->workload = wl;
            sd->period_ns = (int64_t)(1e9 / w->rate_per_s);
            if (sd->period_ns < 1)
                sd->period_ns = 1;
            /* stagger senders evenly over one period */
            sd->next_ns = w->start_ns + sd->period_ns * (int64_t)i / (int64_t)w->n_senders;
            break;
        }
    }
}

void sim_app_start(struct sim_inc *inc)
{
    inc->app.sab.pending = -1;
    if (inc->id != inc->proc + 1)
        return;
    app_join_static_groups(inc);
    app_plan_sends(inc);
}

int64_t sim_app_next_ns(const struct sim_inc *inc)
{
    int64_t next = PG_TIMER_NEVER;
    for (uint32_t i = 0; i < inc->app.n_senders; i++)
        if (inc->app.senders[i].next_ns < next)
            next = inc->app.senders[i].next_ns;
    return next;
}

static void app_send_one(struct sim_inc *inc, const struct scn_workload *w)
{
    static const size_t cap = PHYS_MAX_PAYLOAD;
    uint8_t buf[PHYS_MAX_PAYLOAD];
    size_t len = w->size_bytes < APP_HDR_B ? APP_HDR_B : w->size_bytes;
    len = len > cap ? cap : len;
    uint64_t seq = inc->app.next_seq + 1;
    app_put_u32(buf, APP_MAGIC);
    app_put_u32(buf + 4, inc->id);
    app_put_u32(buf + 8, (uint32_t)seq);
    app_put_u32(buf + 12, (uint32_t)(seq >> 32));
    memset(buf + APP_HDR_B, 0xab, len - APP_HDR_B);
    inc->app.in_mcast = true;
    inc->app.self_pending = false;
    int rc = phys_mcast(pg_node_phys(inc->node), app_gid(w->group), buf, len);
    inc->app.in_mcast = false;
    if (rc != PG_OK) {
        inc->w->tot.send_refused++;
        return;
    }
    inc->app.next_seq = seq;
    char msg[SIM_INC_NAME_MAX + 24];
    app_msg_name(msg, sizeof msg, inc->name, seq);
    struct chk_event e = {.ev = CHK_EV_SEND, .ev_name = "send", .view = 1};
    e.node = inc->name;
    e.msg = msg;
    e.order = scn_order_name(w->order);
    e.group = inc->w->scn->groups[w->group].name;
    sim_emit(inc->w, &e);
    inc->w->tot.sends++;
    if (inc->app.self_pending)
        app_deliver(inc, msg, inc->name, w->group);
}

void sim_app_run_due(struct sim_inc *inc, int64_t now_ns)
{
    const struct scn *s = inc->w->scn;
    for (uint32_t i = 0; i < inc->app.n_senders && inc->alive; i++) {
        struct sim_sender *sd = &inc->app.senders[i];
        const struct scn_workload *w = &s->workloads[sd->workload];
        while (sd->next_ns <= now_ns && sd->next_ns < w->stop_ns && inc->alive) {
            app_send_one(inc, w);
            sd->next_ns += sd->period_ns;
        }
        if (sd->next_ns >= w->stop_ns)
            sd->next_ns = PG_TIMER_NEVER;
    }
}

void sim_app_stop(struct sim_inc *inc)
{
    free(inc->app.senders);
    inc->app.senders = NULL;
    inc->app.n_senders = 0;
}
