/* sim/live/live_judge.c: judging a merged live trace. See live_judge.h. */
#include "live_judge.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Send times of one incarnation's messages, by seq - 1 (-1: not seen). */
struct lj_sends {
    int64_t *t_ns;
    uint64_t n, cap;
};

struct lj {
    const struct live_incs *incs;
    struct sim_metrics *m;
    struct sim_totals *t;
    struct live_judge *j;
    struct lj_sends *sends; /* by incarnation id - 1 */
};

/* The sender's id and the seq of a message id `NAME/SEQ`; false if it names no incarnation. */
static bool lj_msg(const struct lj *x, const char *msg, pg_node_id *id, uint64_t *seq)
{
    const char *slash = msg ? strrchr(msg, '/') : NULL;
    char name[SIM_INC_NAME_MAX];
    if (!slash || (size_t)(slash - msg) >= sizeof name)
        return false;
    memcpy(name, msg, (size_t)(slash - msg));
    name[slash - msg] = '\0';
    char *end;
    *seq = strtoull(slash + 1, &end, 10);
    *id = live_incs_find(x->incs, name);
    return *id != PG_NODE_NONE && !*end && *seq >= 1 && *seq <= SIM_METRICS_MAX_SEQ;
}

static int lj_order(const char *order)
{
    for (int o = 0; order && o < SCN_ORDER_N; o++)
        if (!strcmp(order, scn_order_name((enum scn_order)o)))
            return o;
    return -1;
}

static int64_t lj_ns(double t)
{
    return (int64_t)(t * 1e9 + 0.5);
}

static void lj_send(struct lj *x, const struct chk_event *e)
{
    pg_node_id id;
    uint64_t seq;
    if (!lj_msg(x, e->msg, &id, &seq))
        return;
    struct lj_sends *s = &x->sends[id - 1];
    if (seq > s->cap) {
        uint64_t cap = s->cap ? s->cap : 256;
        while (cap < seq)
            cap *= 2;
        s->t_ns = realloc(s->t_ns, cap * sizeof *s->t_ns);
        assert(s->t_ns);
        for (uint64_t k = s->cap; k < cap; k++)
            s->t_ns[k] = -1;
        s->cap = cap;
    }
    s->t_ns[seq - 1] = lj_ns(e->t);
    s->n = seq > s->n ? seq : s->n;
    if (x->m)
        sim_metrics_send(x->m, id, seq, lj_ns(e->t));
}

/* Latency per ordering (the simulator's app_latency), and the metrics hooks. */
static void lj_deliver(struct lj *x, const struct chk_event *e)
{
    pg_node_id from, to = e->node ? live_incs_find(x->incs, e->node) : PG_NODE_NONE;
    uint64_t seq;
    int o = lj_order(e->order);
    if (!lj_msg(x, e->msg, &from, &seq) || to == PG_NODE_NONE || o < 0 ||
        seq > x->sends[from - 1].n || x->sends[from - 1].t_ns[seq - 1] < 0)
        return;
    int64_t d = lj_ns(e->t) - x->sends[from - 1].t_ns[seq - 1];
    d = d < 0 ? 0 : d;
    struct sim_totals *t = x->t;
    t->lat_n[o]++;
    t->lat_sum_ns[o] += (uint64_t)d;
    t->lat_max_ns[o] = (uint64_t)d > t->lat_max_ns[o] ? (uint64_t)d : t->lat_max_ns[o];
    if (from == to) {
        t->lat_own_n[o]++;
        t->lat_own_sum_ns[o] += (uint64_t)d;
    }
    if (!x->m)
        return;
    sim_metrics_deliver(x->m, from, seq, to, lj_ns(e->t), e->order, x->incs->inc[from - 1].name,
                        e->node);
    int g = e->group ? scn_find_group(x->incs->scn, e->group) : -1;
    sim_metrics_deliver_group(x->m, g >= 0 ? (uint32_t)g : SCN_NO_GROUP, from, seq, to,
                              lj_ns(e->t));
}

static void lj_sometimes(struct lj *x, const char *name)
{
    struct sim_sometimes *s = &x->j->sometimes;
    for (size_t i = 0; i < SIM_SOMETIMES_MAX && s->name[i]; i++)
        if (!strcmp(s->name[i], name)) {
            sim_sometimes_count(s, s->name[i]);
            return;
        }
    char *copy = strdup(name);
    assert(copy);
    size_t before = 0;
    while (before < SIM_SOMETIMES_MAX && s->name[before])
        before++;
    sim_sometimes_count(s, copy);
    if (before == SIM_SOMETIMES_MAX)
        free(copy); /* not counted: the table is full */
}

static bool lj_on_header(void *ctx, const struct chk_header *h)
{
    struct lj *x = ctx;
    x->j->chk = chk_new(h);
    return x->j->chk != NULL;
}

static void lj_on_event(void *ctx, const struct chk_event *e)
{
    struct lj *x = ctx;
    x->j->events++;
    chk_feed(x->j->chk, e);
    if (x->m)
        sim_metrics_event(x->m, e);
    if (e->ev == CHK_EV_SEND)
        lj_send(x, e);
    else if (e->ev == CHK_EV_DELIVER)
        lj_deliver(x, e);
    else if (e->ev == CHK_EV_OTHER && !strcmp(e->ev_name, "sometimes") && e->detail)
        lj_sometimes(x, e->detail);
}

int live_judge_trace(const char *name, const char *buf, size_t len, const struct live_incs *incs,
                     struct sim_metrics *m, struct sim_totals *t, struct live_judge *j, FILE *err)
{
    *j = (struct live_judge){0};
    struct lj x = {.incs = incs, .m = m, .t = t, .j = j};
    x.sends = calloc(incs->n + 1, sizeof *x.sends);
    assert(x.sends);
    struct chk_trace_sink sink = {.on_header = lj_on_header, .on_event = lj_on_event, .ctx = &x};
    bool ok = chk_parse_trace_buf(name, buf, len, err, &sink);
    for (uint32_t i = 0; i < incs->n; i++)
        free(x.sends[i].t_ns);
    free(x.sends);
    if (!ok || !j->chk)
        return 2;
    chk_finish(j->chk);
    return 0;
}

void live_judge_free(struct live_judge *j)
{
    chk_free(j->chk);
    j->chk = NULL;
    for (size_t i = 0; i < SIM_SOMETIMES_MAX && j->sometimes.name[i]; i++)
        free((char *)j->sometimes.name[i]);
}
