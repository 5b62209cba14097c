/* sim/harness/metrics.c: the measurements of one run. See metrics.h. */
#include "metrics.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "outfile.h"
#include "world.h"

/* Send times of one incarnation's multicasts, by seq - 1. */
struct mt_sends {
    int64_t *t_ns;
    uint32_t n, cap;
};

#define MT_MAX_SUSPECTS 256 /* suspicions of one crashed node kept, to find the coordinator's */

struct mt_suspect {
    char node[SCN_NAME_MAX + 12];
    double t_s;
};

struct mt_crash {
    char node[SCN_NAME_MAX + 12];
    int group; /* scenario group it was a static member of, -1 if none */
    double t_s, suspect_s, view_s;
    int64_t target_view;           /* first view of `group` installed without it, -1 until seen */
    char coord[SCN_NAME_MAX + 12]; /* the coordinator of target_view (its first member) */
    struct mt_suspect sus[MT_MAX_SUSPECTS];
    uint32_t n_sus;
};

struct mt_glat {
    uint64_t n;
    double sum_ns, max_ns;
};

struct sim_metrics {
    const struct scn *scn;
    struct mt_glat *glat; /* by scenario group, then one for p2p */
    FILE *csv;            /* --latency-csv, or NULL */
    const char *csv_path;
    struct mt_sends *sends; /* by incarnation id - 1 */
    uint32_t n_incs;
    int64_t *lat_ns; /* remote delivery latencies, for percentiles */
    size_t n_lat, cap_lat;
    uint64_t lat_dropped, remote, untracked;
    double lat_sum_ns, lat_max_ns;
    int64_t first_send_ns, last_delivery_ns;
    size_t pg_retained_max, link_retained_max;
    struct mt_crash crash[SIM_METRICS_MAX_CRASHES];
    uint32_t n_crash;
};

struct sim_metrics *sim_metrics_new(const struct scn *s, const char *latency_csv)
{
    struct sim_metrics *m = calloc(1, sizeof *m);
    assert(m);
    m->scn = s;
    m->first_send_ns = -1;
    m->sends = calloc(SIM_METRICS_MAX_INCS, sizeof *m->sends);
    m->glat = calloc(s->n_groups + 1, sizeof *m->glat);
    assert(m->sends && m->glat);
    if (!latency_csv)
        return m;
    m->csv_path = latency_csv;
    m->csv = sim_out_open(latency_csv, "w");
    if (!m->csv) {
        sim_metrics_free(m);
        return NULL;
    }
    setvbuf(m->csv, NULL, _IOFBF, 1 << 20);
    fprintf(m->csv, "t_send_s,t_deliver_s,latency_ms,order,from,to\n");
    return m;
}

void sim_metrics_deliver_group(struct sim_metrics *m, uint32_t group, pg_node_id from, uint64_t seq,
                               pg_node_id to, int64_t t_ns)
{
    assert(m && (group < m->scn->n_groups || group == SCN_NO_GROUP));
    if (from == to || from > m->n_incs || seq > m->sends[from - 1].n ||
        m->sends[from - 1].t_ns[seq - 1] < 0)
        return;
    double lat = (double)(t_ns - m->sends[from - 1].t_ns[seq - 1]);
    struct mt_glat *g = &m->glat[group == SCN_NO_GROUP ? m->scn->n_groups : group];
    g->n++;
    g->sum_ns += lat;
    g->max_ns = lat > g->max_ns ? lat : g->max_ns;
}

void sim_metrics_free(struct sim_metrics *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; i < m->n_incs; i++)
        free(m->sends[i].t_ns);
    free(m->sends);
    free(m->glat);
    free(m->lat_ns);
    if (m->csv)
        fclose(m->csv); /* not closed by sim_metrics_close_csv: the run failed anyway */
    free(m);
}

int sim_metrics_close_csv(struct sim_metrics *m)
{
    if (!m || !m->csv)
        return 0;
    FILE *f = m->csv;
    m->csv = NULL;
    return sim_out_close(f, m->csv_path, 0);
}

static void *mt_grow(void *arr, size_t *cap, size_t need, size_t elem, size_t max)
{
    if (need <= *cap)
        return arr;
    size_t n = *cap ? *cap : 1024;
    while (n < need)
        n *= 2;
    if (n > max)
        n = max;
    assert(n >= need);
    void *p = realloc(arr, n * elem);
    assert(p);
    *cap = n;
    return p;
}

void sim_metrics_send(struct sim_metrics *m, pg_node_id id, uint64_t seq, int64_t t_ns)
{
    assert(m && id != PG_NODE_NONE && seq >= 1 && t_ns >= 0);
    if (id > SIM_METRICS_MAX_INCS || seq > SIM_METRICS_MAX_SEQ) {
        m->untracked++;
        return;
    }
    if (id > m->n_incs)
        m->n_incs = id;
    struct mt_sends *s = &m->sends[id - 1];
    size_t cap = s->cap;
    s->t_ns = mt_grow(s->t_ns, &cap, seq, sizeof *s->t_ns, SIM_METRICS_MAX_SEQ);
    s->cap = (uint32_t)cap;
    for (uint32_t k = s->n; k + 1 < seq; k++)
        s->t_ns[k] = -1; /* refused sends leave no hole in seq, but stay safe */
    s->t_ns[seq - 1] = t_ns;
    if (seq > s->n)
        s->n = (uint32_t)seq;
    if (m->first_send_ns < 0)
        m->first_send_ns = t_ns;
}

void sim_metrics_deliver(struct sim_metrics *m, pg_node_id from, uint64_t seq, pg_node_id to,
                         int64_t t_ns, const char *order, const char *from_name,
                         const char *to_name)
{
    assert(m && from != PG_NODE_NONE && to != PG_NODE_NONE);
    if (t_ns > m->last_delivery_ns)
        m->last_delivery_ns = t_ns;
    if (from == to)
        return; /* own delivery: inside the multicast call, excluded */
    if (from > m->n_incs || seq > m->sends[from - 1].n || m->sends[from - 1].t_ns[seq - 1] < 0) {
        m->untracked++;
        return;
    }
    int64_t sent = m->sends[from - 1].t_ns[seq - 1];
    int64_t lat = t_ns - sent;
    assert(lat >= 0);
    m->remote++;
    m->lat_sum_ns += (double)lat;
    if ((double)lat > m->lat_max_ns)
        m->lat_max_ns = (double)lat;
    if (m->n_lat < SIM_METRICS_MAX_SAMPLES) {
        m->lat_ns = mt_grow(m->lat_ns, &m->cap_lat, m->n_lat + 1, sizeof *m->lat_ns,
                            SIM_METRICS_MAX_SAMPLES);
        m->lat_ns[m->n_lat++] = lat;
    } else {
        m->lat_dropped++;
    }
    if (m->csv)
        fprintf(m->csv, "%.9f,%.9f,%.6f,%s,%s,%s\n", (double)sent / 1e9, (double)t_ns / 1e9,
                (double)lat / 1e6, order, from_name, to_name);
}

/* ---- crashes and the view changes they cause (from trace events) ---- */

/* The scenario process of an incarnation name (`p3` or `p3#2`), or -1. */
static int mt_proc_of(const struct scn *s, const char *inc)
{
    char name[SCN_NAME_MAX];
    size_t n = strcspn(inc, "#");
    if (n >= sizeof name)
        return -1;
    memcpy(name, inc, n);
    name[n] = '\0';
    return scn_find_proc(s, name);
}

static int mt_group_of(const struct scn *s, int proc)
{
    for (uint32_t g = 0; proc >= 0 && g < s->n_groups; g++)
        for (uint32_t i = 0; i < s->groups[g].n_members; i++)
            if (s->groups[g].members[i] == (uint32_t)proc)
                return (int)g;
    return -1;
}

static void mt_on_crash(struct sim_metrics *m, const struct chk_event *e)
{
    if (m->n_crash == SIM_METRICS_MAX_CRASHES)
        return;
    struct mt_crash *c = &m->crash[m->n_crash++];
    snprintf(c->node, sizeof c->node, "%s", e->node);
    c->group = mt_group_of(m->scn, mt_proc_of(m->scn, e->node));
    c->t_s = e->t;
    c->suspect_s = c->view_s = -1;
    c->target_view = -1;
}

static void mt_on_suspect(struct sim_metrics *m, const struct chk_event *e)
{
    for (uint32_t k = 0; e->peer && k < m->n_crash; k++) {
        struct mt_crash *c = &m->crash[k];
        if (strcmp(c->node, e->peer))
            continue;
        if (c->suspect_s < 0)
            c->suspect_s = e->t;
        if (c->n_sus < MT_MAX_SUSPECTS && e->node) {
            snprintf(c->sus[c->n_sus].node, sizeof c->sus[0].node, "%s", e->node);
            c->sus[c->n_sus++].t_s = e->t;
        }
    }
}

/* When the coordinator of the view without c's node suspected it: the start
 * of its flush. The first suspicion if the coordinator never suspected it
 * itself (it learned of the failure from the flush of another). */
static double mt_flush_start(const struct mt_crash *c)
{
    for (uint32_t i = 0; i < c->n_sus; i++)
        if (!strcmp(c->sus[i].node, c->coord))
            return c->sus[i].t_s;
    return c->suspect_s;
}

static bool mt_in(const struct chk_event *e, const char *node)
{
    for (size_t i = 0; i < e->n_members; i++)
        if (!strcmp(e->members[i], node))
            return true;
    return false;
}

static void mt_on_view(struct sim_metrics *m, const struct chk_event *e)
{
    int g = e->group ? scn_find_group(m->scn, e->group) : -1;
    for (uint32_t k = 0; g >= 0 && k < m->n_crash; k++) {
        struct mt_crash *c = &m->crash[k];
        if (c->group != g || mt_in(e, c->node))
            continue;
        if (c->target_view < 0) {
            c->target_view = e->view;
            snprintf(c->coord, sizeof c->coord, "%s", e->n_members ? e->members[0] : "");
        }
        if (e->view == c->target_view && e->t > c->view_s)
            c->view_s = e->t;
    }
}

void sim_metrics_event(struct sim_metrics *m, const struct chk_event *e)
{
    assert(m && e);
    switch (e->ev) {
    case CHK_EV_CRASH:
        mt_on_crash(m, e);
        break;
    case CHK_EV_VIEW:
        mt_on_view(m, e);
        break;
    case CHK_EV_OTHER:
        if (e->ev_name && !strcmp(e->ev_name, "suspect"))
            mt_on_suspect(m, e);
        break;
    default: /* sends and deliveries come through the id hooks */
        break;
    }
}

void sim_metrics_retained(struct sim_metrics *m, size_t pg_retained, size_t link_retained)
{
    if (pg_retained > m->pg_retained_max)
        m->pg_retained_max = pg_retained;
    if (link_retained > m->link_retained_max)
        m->link_retained_max = link_retained;
}

/* ---- the file ---- */

static int mt_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of the sorted samples, in ms. */
static double mt_pct_ms(const struct sim_metrics *m, double pct)
{
    if (m->n_lat == 0)
        return 0;
    size_t rank = (size_t)(pct / 100.0 * (double)m->n_lat + 0.999999999);
    rank = rank < 1 ? 1 : rank > m->n_lat ? m->n_lat : rank;
    return (double)m->lat_ns[rank - 1] / 1e6;
}

static double mt_div(double a, double b)
{
    return b > 0 ? a / b : 0;
}

static uint32_t mt_members(const struct scn *s)
{
    uint32_t n = 0;
    for (uint32_t g = 0; g < s->n_groups; g++)
        n += s->groups[g].n_members;
    return n;
}

static void mt_write_latency(struct sim_metrics *m, const struct sim_totals *t, FILE *f)
{
    qsort(m->lat_ns, m->n_lat, sizeof *m->lat_ns, mt_cmp_i64);
    fprintf(f, "sends=%llu\ndeliveries=%llu\nremote_deliveries=%llu\n",
            (unsigned long long)t->sends, (unsigned long long)t->deliveries,
            (unsigned long long)m->remote);
    fprintf(f, "latency_p50_ms=%.6f\nlatency_p99_ms=%.6f\n", mt_pct_ms(m, 50), mt_pct_ms(m, 99));
    fprintf(f, "latency_mean_ms=%.6f\nlatency_max_ms=%.6f\n",
            mt_div(m->lat_sum_ns, (double)m->remote) / 1e6, m->lat_max_ns / 1e6);
    fprintf(f, "latency_samples_dropped=%llu\nuntracked_deliveries=%llu\n",
            (unsigned long long)m->lat_dropped, (unsigned long long)m->untracked);
    double window_s = (double)(m->last_delivery_ns - m->first_send_ns) / 1e9;
    fprintf(f, "throughput_msgs_per_s=%.6f\n",
            m->first_send_ns < 0
                ? 0
                : mt_div((double)t->deliveries, (double)mt_members(m->scn) * window_s));
}

static void mt_write_costs(const struct sim_metrics *m, const struct sim_totals *t, bool pg,
                           FILE *f)
{
    double sends = (double)t->sends;
    fprintf(f, "net_msgs_per_mcast=%.6f\n", mt_div((double)t->datagrams, sends));
    fprintf(f, "header_bytes_per_msg=%.6f\n",
            pg ? mt_div((double)t->pg_header_bytes, (double)t->pg_data)
               : mt_div((double)t->header_bytes, sends));
    fprintf(f, "link_header_bytes_per_mcast=%.6f\n", mt_div((double)t->header_bytes, sends));
    fprintf(f, "stable_msgs_per_mcast=%.6f\ncontrol_msgs=%llu\n",
            mt_div((double)t->pg_stable, sends), (unsigned long long)t->pg_control);
    fprintf(f, "retained_msgs_max=%zu\nlink_retained_max=%zu\n",
            pg ? m->pg_retained_max : m->link_retained_max, m->link_retained_max);
    fprintf(f, "delayed_causal=%llu\ndelayed_fraction=%.6f\n", (unsigned long long)t->pg_delayed,
            mt_div((double)t->pg_delayed, (double)m->remote));
    fprintf(f, "delayed_mean_ms=%.6f\ndelayed_max_ms=%.6f\n",
            mt_div((double)t->pg_delayed_ns, (double)t->pg_delayed) / 1e6,
            (double)t->pg_delayed_max_ns / 1e6);
    fprintf(f, "delayed_domain=%llu\ndelayed_domain_mean_ms=%.6f\ndelayed_domain_max_ms=%.6f\n",
            (unsigned long long)t->pg_dom_delayed,
            mt_div((double)t->pg_dom_delayed_ns, (double)t->pg_dom_delayed) / 1e6,
            (double)t->pg_dom_delayed_max_ns / 1e6);
    fprintf(f, "dom_bytes_per_msg=%.6f\ninstalls_postponed=%llu\n",
            mt_div((double)t->pg_dom_header_bytes, (double)(t->pg_data + t->pg_p2p_sent)),
            (unsigned long long)t->pg_installs_held);
    for (uint32_t g = 0; g <= m->scn->n_groups; g++) {
        const struct mt_glat *l = &m->glat[g];
        const char *name = g < m->scn->n_groups ? m->scn->groups[g].name : "p2p";
        if (!l->n)
            continue;
        fprintf(f, "group.%s.deliveries=%llu\ngroup.%s.latency_mean_ms=%.6f\n", name,
                (unsigned long long)l->n, name, l->sum_ns / (double)l->n / 1e6);
        fprintf(f, "group.%s.latency_max_ms=%.6f\n", name, l->max_ns / 1e6);
    }
}

static void mt_write_crashes(const struct sim_metrics *m, FILE *f)
{
    double flush = 0, change = 0;
    uint32_t n = 0;
    fprintf(f, "crashes=%u\n", m->n_crash);
    for (uint32_t k = 0; k < m->n_crash; k++) {
        const struct mt_crash *c = &m->crash[k];
        fprintf(f, "crash.%u.node=%s\ncrash.%u.t_s=%.9f\n", k, c->node, k, c->t_s);
        fprintf(f, "crash.%u.suspect_s=%.9f\ncrash.%u.view_s=%.9f\n", k, c->suspect_s, k,
                c->view_s);
        if (c->suspect_s < 0 || c->view_s < 0)
            continue;
        n++;
        double start = mt_flush_start(c);
        fprintf(f, "crash.%u.flush_start_s=%.9f\n", k, start);
        flush += c->view_s - start;
        change += c->view_s - c->t_s;
    }
    fprintf(f, "view_changes=%u\nflush_ms=%.6f\nview_change_ms=%.6f\n", n, mt_div(flush, n) * 1e3,
            mt_div(change, n) * 1e3);
}

int sim_metrics_write(struct sim_metrics *m, const struct sim_totals *t, bool pg_layer,
                      int exit_status, const char *path)
{
    assert(m && t && path);
    FILE *f = sim_out_open(path, "w");
    if (!f)
        return 2;
    fprintf(f, "layer=%s\nexit=%d\nverdict=%s\n", pg_layer ? "pg" : "link", exit_status,
            exit_status == 0 ? "PASS" : "FAIL");
    mt_write_latency(m, t, f);
    mt_write_costs(m, t, pg_layer, f);
    mt_write_crashes(m, f);
    fprintf(f, "sim_s=%.6f\nsim_events=%llu\nwall_s=%.6f\npeak_rss_mib=%.1f\n", t->sim_s,
            (unsigned long long)t->events, t->wall_s, (double)t->peak_rss_kib / 1024.0);
    return sim_out_close(f, path, 0);
}
