/* sim/show/show_spans.c: what the trace's events imply over time, for the writers
 * of sim/show/show.h: fault labels, network periods (partition, isolation, cut,
 * until the next heal) and spans (flush, view change, state transfer; their
 * definitions are in show_internal.h).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "show_internal.h"

/* ---- fault labels ---- */

static const char *jstr(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* "partition p1 p2 | p3 p4" from `blocks`. */
static void label_blocks(const cJSON *j, char *buf, size_t cap)
{
    size_t at = (size_t)snprintf(buf, cap, "partition");
    const cJSON *block, *node;
    bool first = true;
    cJSON_ArrayForEach(block, cJSON_GetObjectItemCaseSensitive(j, "blocks"))
    {
        if (!first && at < cap)
            at += (size_t)snprintf(buf + at, cap - at, " |");
        first = false;
        cJSON_ArrayForEach(node, block)
        {
            if (cJSON_IsString(node) && at < cap)
                at += (size_t)snprintf(buf + at, cap - at, " %s", node->valuestring);
        }
    }
}

static void label_fault(const char *kind, const cJSON *j, const char *group, char *buf, size_t cap)
{
    const char *proc = jstr(j, "proc");
    if (!strcmp(kind, "partition"))
        label_blocks(j, buf, cap);
    else if (!strcmp(kind, "isolate"))
        snprintf(buf, cap, "%s isolated", proc ? proc : "?");
    else if (!strcmp(kind, "cut"))
        snprintf(buf, cap, "cut %s %s %s", jstr(j, "src") ? jstr(j, "src") : "?",
                 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "both")) ? "<->" : "->",
                 jstr(j, "dst") ? jstr(j, "dst") : "?");
    else if (!strcmp(kind, "loss") || !strcmp(kind, "duplicate") || !strcmp(kind, "garble"))
        snprintf(buf, cap, "%s %g%%", kind, jnum(j, "p") * 100);
    else if (!strcmp(kind, "delay"))
        snprintf(buf, cap, "delay %g ms, jitter %g ms", jnum(j, "delay_s") * 1e3,
                 jnum(j, "jitter_s") * 1e3);
    else if (!strcmp(kind, "sabotage"))
        snprintf(buf, cap, "sabotage %s at %s", jstr(j, "what") ? jstr(j, "what") : "?",
                 proc ? proc : "?");
    else if ((!strcmp(kind, "join") || !strcmp(kind, "leave")) && proc && group)
        snprintf(buf, cap, "%s %ss %s", proc, kind, group);
    else
        snprintf(buf, cap, "%s", kind);
}

void show_fault_describe(struct show_model *m, const struct chk_event *e, struct show_ev *ev)
{
    const char *kind = e->kind ? e->kind : "fault";
    char obj[2048], label[512];
    cJSON *j = NULL;
    size_t n = e->extra_json ? strlen(e->extra_json) : 0;
    if (n + 3 <= sizeof obj) {
        snprintf(obj, sizeof obj, "{%s}", e->extra_json ? e->extra_json : "");
        j = cJSON_Parse(obj);
    }
    const char *group = e->group ? e->group : jstr(j, "group"); /* the reader knows `group` */
    label_fault(kind, j, group, label, sizeof label);
    ev->name = show_dup(m, kind);
    ev->text = show_dup(m, label);
    char procs[512];
    snprintf(procs, sizeof procs, "%s,%s", jstr(j, "src") ? jstr(j, "src") : "",
             jstr(j, "dst") ? jstr(j, "dst") : "");
    ev->arg = show_dup(m, jstr(j, "proc") ? jstr(j, "proc") : strcmp(kind, "cut") ? NULL : procs);
    if (group && ev->group == SHOW_NONE)
        ev->group = show_tab_intern(m, &m->groups, group);
    cJSON_Delete(j);
}

/* ---- spans ---- */

static bool add_span(struct show_model *m, struct show_span s)
{
    if (m->n_spans == SHOW_SPANS_MAX ||
        (m->n_spans == m->spans_cap &&
         !show_grow((void **)&m->spans, &m->spans_cap, sizeof *m->spans)))
        return false;
    assert(s.t1 >= s.t0 && s.node != SHOW_NONE);
    m->spans[m->n_spans++] = s;
    return true;
}

static bool add_net(struct show_model *m, double t0, const char *label, const char *procs)
{
    if (m->n_nets == SHOW_SPANS_MAX ||
        (m->n_nets == m->nets_cap && !show_grow((void **)&m->nets, &m->nets_cap, sizeof *m->nets)))
        return false;
    m->nets[m->n_nets++] =
        (struct show_net){.t0 = t0, .t1 = m->end_s, .open = true, .label = label, .procs = procs};
    return true;
}

/* Whether the space-separated list names `name` as a whole word. */
static bool word_in(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list ? strstr(list, name) : NULL; p; p = strstr(p + 1, name))
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

#define SHOW_JOINS_MAX 256

struct show_join {
    const char *proc;
    uint32_t group;
    double t;
};

/* Per group: its latest members, the highest view installed, and the
 * pending trigger of its next view change. Per (node, group): the node's
 * latest view and its open flush_call. */
struct spans_state {
    struct show_model *m;
    const char **members;                   /* by group */
    int64_t *top_view;                      /* by group */
    double *trig_t;                         /* by group; < 0: none */
    int64_t *trig_view;                     /* by group: the view the trigger leads to */
    int64_t *last_view;                     /* [node * n_groups + group]; -1: none */
    double *flush_t;                        /* [node * n_groups + group]; < 0: none */
    struct show_join joins[SHOW_JOINS_MAX]; /* joins whose state transfer is pending */
    uint32_t n_joins;
};

/* A trigger for g's next view at t, unless one is pending already. */
static void trigger(struct spans_state *s, uint32_t g, double t)
{
    if (s->trig_t[g] >= 0 && s->top_view[g] < s->trig_view[g])
        return;
    s->trig_t[g] = t;
    s->trig_view[g] = s->top_view[g] + 1;
}

static void on_suspect(struct spans_state *s, const struct show_ev *v)
{
    const char *node = show_node_name(s->m, v->node), *peer = show_node_name(s->m, v->peer);
    for (uint32_t g = 0; g < s->m->groups.n; g++)
        if (word_in(s->members[g], node) && word_in(s->members[g], peer))
            trigger(s, g, v->t);
}

static bool on_view(struct spans_state *s, const struct show_ev *v)
{
    uint32_t g = v->group, ng = s->m->groups.n;
    int64_t *last = &s->last_view[(size_t)v->node * ng + g];
    bool ok = true;
    if (*last >= 0 && s->trig_t[g] >= 0 && v->view >= s->trig_view[g] && *last < s->trig_view[g])
        ok = add_span(s->m, (struct show_span){.kind = SHOW_SPAN_VIEW_CHANGE,
                                               .node = v->node,
                                               .group = g,
                                               .t0 = s->trig_t[g],
                                               .t1 = v->t,
                                               .view = v->view});
    *last = v->view;
    s->members[g] = v->text;
    s->top_view[g] = v->view > s->top_view[g] ? v->view : s->top_view[g];
    return ok;
}

static bool on_flush(struct spans_state *s, const struct show_ev *v)
{
    double *t = &s->flush_t[(size_t)v->node * s->m->groups.n + v->group];
    if (v->ev == CHK_EV_FLUSH_CALL) {
        *t = v->t;
        return true;
    }
    bool ok = *t < 0 || add_span(s->m, (struct show_span){.kind = SHOW_SPAN_FLUSH,
                                                          .node = v->node,
                                                          .group = v->group,
                                                          .t0 = *t,
                                                          .t1 = v->t,
                                                          .view = -1});
    *t = -1;
    return ok;
}

/* A joiner's `state` event ends the transfer its join started. */
static bool on_state(struct spans_state *s, const struct show_ev *v)
{
    const char *name = show_node_name(s->m, v->node);
    for (uint32_t i = 0; i < s->n_joins; i++) {
        size_t n = strlen(s->joins[i].proc);
        if (s->joins[i].group != v->group || strncmp(name, s->joins[i].proc, n) ||
            (name[n] != '\0' && name[n] != '#'))
            continue;
        double t0 = s->joins[i].t;
        s->joins[i] = s->joins[--s->n_joins];
        return add_span(s->m, (struct show_span){.kind = SHOW_SPAN_STATE,
                                                 .node = v->node,
                                                 .group = v->group,
                                                 .t0 = t0,
                                                 .t1 = v->t,
                                                 .view = v->view});
    }
    return true;
}

static bool on_fault(struct spans_state *s, const struct show_ev *v)
{
    struct show_model *m = s->m;
    const char *k = v->name ? v->name : "";
    if (!strcmp(k, "heal")) {
        for (uint32_t i = 0; i < m->n_nets; i++)
            if (m->nets[i].open) {
                m->nets[i].t1 = v->t;
                m->nets[i].open = false;
            }
        return true;
    }
    if (!strcmp(k, "partition") || !strcmp(k, "isolate") || !strcmp(k, "cut"))
        return add_net(m, v->t, v->text, strcmp(k, "partition") ? v->arg : NULL);
    bool join = !strcmp(k, "join");
    if ((join || !strcmp(k, "leave")) && v->group != SHOW_NONE)
        trigger(s, v->group, v->t);
    if (join && v->arg && v->group != SHOW_NONE && s->n_joins < SHOW_JOINS_MAX)
        s->joins[s->n_joins++] = (struct show_join){v->arg, v->group, v->t};
    return true;
}

static bool spans_event(struct spans_state *s, const struct show_ev *v)
{
    bool node_group = v->node != SHOW_NONE && v->group != SHOW_NONE;
    switch (v->ev) {
    case CHK_EV_VIEW:
        return !node_group || on_view(s, v);
    case CHK_EV_FLUSH_CALL:
    case CHK_EV_FLUSH_DONE:
        return !node_group || on_flush(s, v);
    case CHK_EV_STATE:
        return !node_group || on_state(s, v);
    case CHK_EV_FAULT:
        return on_fault(s, v);
    case CHK_EV_OTHER:
        if (v->name && !strcmp(v->name, "suspect") && v->node != SHOW_NONE && v->peer != SHOW_NONE)
            on_suspect(s, v);
        return true;
    default:
        return true;
    }
}

/* The incarnation of process `proc` live at t (the latest started by then), or SHOW_NONE. */
static uint32_t incarnation_at(const struct show_model *m, const char *proc, double t)
{
    uint32_t best = SHOW_NONE;
    for (uint32_t n = 0; n < m->nodes.n; n++)
        if (show_node_listed(m, n, proc) && m->nodev[n].t0 <= t &&
            (best == SHOW_NONE || m->nodev[n].t0 >= m->nodev[best].t0))
            best = n;
    return best;
}

/* Flushes that never returned and state transfers that never completed end
 * with their node. */
static bool close_open(struct spans_state *s)
{
    struct show_model *m = s->m;
    for (uint32_t i = 0; i < s->n_joins; i++) {
        uint32_t n = incarnation_at(m, s->joins[i].proc, s->joins[i].t);
        if (n != SHOW_NONE && m->nodev[n].t1 >= s->joins[i].t &&
            !add_span(m, (struct show_span){.kind = SHOW_SPAN_STATE,
                                            .node = n,
                                            .group = s->joins[i].group,
                                            .t0 = s->joins[i].t,
                                            .t1 = m->nodev[n].t1,
                                            .view = -1,
                                            .open = true}))
            return false;
    }
    uint32_t ng = m->groups.n;
    for (uint32_t n = 0; n < m->nodes.n; n++)
        for (uint32_t g = 0; g < ng; g++) {
            double t0 = s->flush_t[(size_t)n * ng + g];
            if (t0 >= 0 && !add_span(m, (struct show_span){.kind = SHOW_SPAN_FLUSH,
                                                           .node = n,
                                                           .group = g,
                                                           .t0 = t0,
                                                           .t1 = m->nodev[n].t1,
                                                           .view = -1,
                                                           .open = true}))
                return false;
        }
    return true;
}

bool show_spans_build(struct show_model *m)
{
    uint32_t ng = m->groups.n ? m->groups.n : 1;
    size_t pairs = (size_t)(m->nodes.n ? m->nodes.n : 1) * ng;
    if (pairs > ((size_t)1 << 26))
        return false;
    struct spans_state s = {.m = m};
    s.members = calloc(ng, sizeof *s.members);
    s.top_view = calloc(ng, sizeof *s.top_view);
    s.trig_t = malloc(ng * sizeof *s.trig_t);
    s.trig_view = calloc(ng, sizeof *s.trig_view);
    s.last_view = malloc(pairs * sizeof *s.last_view);
    s.flush_t = malloc(pairs * sizeof *s.flush_t);
    bool ok = s.members && s.top_view && s.trig_t && s.trig_view && s.last_view && s.flush_t;
    for (uint32_t g = 0; ok && g < ng; g++)
        s.trig_t[g] = -1;
    for (size_t i = 0; ok && i < pairs; i++) {
        s.last_view[i] = -1;
        s.flush_t[i] = -1;
    }
    for (uint32_t i = 0; ok && i < m->n_ev; i++)
        ok = spans_event(&s, &m->ev[i]);
    ok = ok && close_open(&s);
    free(s.members);
    free(s.top_view);
    free(s.trig_t);
    free(s.trig_view);
    free(s.last_view);
    free(s.flush_t);
    return ok;
}
