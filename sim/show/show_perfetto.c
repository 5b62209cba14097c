/* sim/show/show_perfetto.c: the Chrome Trace Event JSON of sim/show/show.h (Perfetto UI,
 * chrome://tracing).
 *
 * pid 1 is the run; each process incarnation is one thread track (tid = its
 * node id + 1, sorted by name). Sends and deliveries are zero-length slices
 * ("X") carrying flow-v2 fields: the send `flow_out` with bind_id = the msg,
 * each remote delivery `flow_in` with the same bind_id, so every delivery
 * draws an arrow from its send. Flush, view change and state transfer are
 * slices; a slice that would overlap another without nesting in it is cut at
 * the end of the one it starts in (args.cut_at_s says so, args.ends_s keeps
 * the real end), since a track's slices must nest. Views, crashes and the
 * core's diagnostics are instant events on the node's track; the harness's
 * faults are global instant events. Times: ts and dur in microseconds.
 */
#define _GNU_SOURCE /* qsort_r */
#include <stdlib.h>
#include <string.h>

#include "show_internal.h"

static const char *const pf_span_names[SHOW_SPAN_KINDS] = {"flush", "view change",
                                                           "state transfer"};

static void pf_head(FILE *f, uint32_t tid, const char *ph, double t, const char *name)
{
    fprintf(f, ",\n{\"ph\":\"%s\",\"pid\":1,\"tid\":%u,\"ts\":%.3f,\"name\":", ph, tid, t * 1e6);
    show_json_str(f, name);
}

static void pf_meta(const struct show_model *m, FILE *f)
{
    fprintf(f, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
    fprintf(f, "{\"ph\":\"M\",\"pid\":1,\"name\":\"process_name\",\"args\":{\"name\":");
    char name[512];
    snprintf(name, sizeof name, "pgroup %s, seed %llu", m->scenario, (unsigned long long)m->seed);
    show_json_str(f, name);
    fprintf(f, "}}");
    for (uint32_t k = 0; k < m->nodes.n; k++) {
        fprintf(f,
                ",\n{\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"name\":\"thread_name\",\"args\":"
                "{\"name\":",
                k + 1);
        show_json_str(f, m->nodes.names[k]);
        fprintf(f, "}}");
        uint32_t rank = 0; /* tracks in name order: p2 before p10, p3 before p3#2 */
        for (uint32_t j = 0; j < m->nodes.n; j++)
            rank += show_node_cmp(m->nodes.names[j], m->nodes.names[k]) < 0;
        fprintf(f,
                ",\n{\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"name\":\"thread_sort_index\","
                "\"args\":{\"sort_index\":%u}}",
                k + 1, rank);
    }
}

/* A send or delivery: a zero-length slice with its flow end. */
static void pf_msg(const struct show_model *m, uint32_t i, FILE *f, const char *text)
{
    const struct show_ev *v = &m->ev[i];
    const struct show_msg *g = &m->msgv[v->msg];
    char name[600];
    snprintf(name, sizeof name, "%s %s", v->ev == CHK_EV_SEND ? "send" : "deliver",
             m->msgs.names[v->msg]);
    pf_head(f, v->node + 1, "X", v->t, name);
    fprintf(f, ",\"dur\":0,\"cat\":");
    show_json_str(f, v->order != SHOW_NONE ? m->orders.names[v->order] : "msg");
    fprintf(f, ",\"args\":{\"event\":");
    show_json_str(f, text);
    fprintf(f, ",\"line\":%llu}", (unsigned long long)v->line);
    bool remote = g->send != SHOW_NONE && g->sender != v->node;
    if (v->ev == CHK_EV_SEND && m->ev[g->send].line == v->line)
        fprintf(f, ",\"bind_id\":%u,\"flow_out\":true", v->msg + 1);
    else if (v->ev == CHK_EV_DELIVER && remote)
        fprintf(f, ",\"bind_id\":%u,\"flow_in\":true", v->msg + 1);
    fprintf(f, "}");
}

static void pf_events(const struct show_model *m, FILE *f)
{
    char text[2048];
    for (uint32_t i = 0; i < m->n_ev; i++) {
        const struct show_ev *v = &m->ev[i];
        show_ev_describe(m, i, text, sizeof text);
        if (v->node == SHOW_NONE) { /* faults, domains: global instants */
            fprintf(f, ",\n{\"ph\":\"i\",\"s\":\"g\",\"pid\":1,\"ts\":%.3f,\"name\":", v->t * 1e6);
            show_json_str(f, text);
            fprintf(f, ",\"args\":{\"line\":%llu}}", (unsigned long long)v->line);
        } else if ((v->ev == CHK_EV_SEND || v->ev == CHK_EV_DELIVER) && v->msg != SHOW_NONE) {
            pf_msg(m, i, f, text);
        } else {
            pf_head(f, v->node + 1, "i", v->t, text);
            fprintf(f, ",\"s\":\"t\",\"args\":{\"line\":%llu}}", (unsigned long long)v->line);
        }
    }
}

static int span_cmp(const void *a, const void *b, void *ctx)
{
    const struct show_span *x = &((const struct show_model *)ctx)->spans[*(const uint32_t *)a];
    const struct show_span *y = &((const struct show_model *)ctx)->spans[*(const uint32_t *)b];
    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    if (x->t0 != y->t0)
        return x->t0 < y->t0 ? -1 : 1;
    return (x->t1 < y->t1) - (x->t1 > y->t1); /* the longer first: it encloses */
}

static void pf_span(const struct show_model *m, const struct show_span *p, double t1, FILE *f)
{
    char name[300];
    snprintf(name, sizeof name, "%s %s", pf_span_names[p->kind], m->groups.names[p->group]);
    if (p->kind == SHOW_SPAN_VIEW_CHANGE)
        snprintf(name + strlen(name), sizeof name - strlen(name), " to view %lld",
                 (long long)p->view);
    pf_head(f, p->node + 1, "X", p->t0, name);
    fprintf(f, ",\"dur\":%.3f,\"cat\":\"span\",\"args\":{\"ends_s\":%.9f,\"ended\":%s",
            (t1 - p->t0) * 1e6, p->t1, p->open ? "false" : "true");
    if (t1 < p->t1)
        fprintf(f, ",\"cut_at_s\":%.9f", t1);
    fprintf(f, "}}");
}

/* Spans by node in start order, each cut to the span it starts in. */
static bool pf_spans(const struct show_model *m, FILE *f)
{
    uint32_t *idx = malloc((m->n_spans ? m->n_spans : 1) * sizeof *idx);
    if (!idx)
        return false;
    for (uint32_t i = 0; i < m->n_spans; i++)
        idx[i] = i;
    qsort_r(idx, m->n_spans, sizeof *idx, span_cmp, (void *)m);
    double stack[64];
    uint32_t depth = 0, node = SHOW_NONE;
    for (uint32_t k = 0; k < m->n_spans; k++) {
        const struct show_span *p = &m->spans[idx[k]];
        if (p->node != node)
            depth = 0;
        node = p->node;
        while (depth && stack[depth - 1] <= p->t0)
            depth--;
        double t1 = depth && p->t1 > stack[depth - 1] ? stack[depth - 1] : p->t1;
        pf_span(m, p, t1, f);
        if (depth < 64)
            stack[depth++] = t1;
    }
    free(idx);
    return true;
}

int show_perfetto_file(const char *trace_path, const char *out_path, FILE *err)
{
    struct show_model m;
    int rc = show_model_load(&m, trace_path, err);
    FILE *f = rc == SHOW_OK ? show_out_open(out_path, err) : NULL;
    if (rc == SHOW_OK && !f)
        rc = SHOW_E_OUTPUT;
    if (f) {
        pf_meta(&m, f);
        pf_events(&m, f);
        if (!pf_spans(&m, f))
            rc = SHOW_E_LIMIT;
        fprintf(f, "\n]}\n");
        rc = show_out_close(f, out_path, err, rc);
    }
    show_model_free(&m);
    return rc;
}
