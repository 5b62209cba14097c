/* sim/run.c: one simulation run, from a parsed scenario to a verdict.
 *
 * Owns: SimGrid initialisation (CM02 model, sequential contexts, quiet logs),
 * the platform (a file, or a built-in cluster of one host per process), the
 * resolved-configuration print, the run summary and the verdict.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <simgrid/engine.h>
#include <simgrid/host.h>

#include "world_internal.h"

static void run_platform_cluster(const struct scn *s)
{
    char path[] = "/tmp/pgroup-platform-XXXXXX";
    int fd = mkstemp(path);
    assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert(f);
    uint32_t n = s->n_procs ? s->n_procs : 1;
    fprintf(f, "<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM "
               "\"https://simgrid.org/simgrid.dtd\">\n<platform version=\"4.1\">\n");
    fprintf(f,
            "<cluster id=\"cluster\" prefix=\"h\" suffix=\"\" radical=\"0-%u\" speed=\"1Gf\" "
            "bw=\"%.0fBps\" lat=\"%.9fs\"/>\n</platform>\n",
            n - 1, s->cluster_bandwidth_Bps, (double)s->cluster_latency_ns / 1e9);
    fclose(f);
    simgrid_load_platform(path);
    unlink(path);
}

/* Hosts in placement order: h0, h1, ... for the built-in cluster, by name otherwise. */
static void run_hosts(struct sim_world *w)
{
    const struct scn *s = w->scn;
    w->n_hosts = sg_host_count();
    assert(w->n_hosts > 0);
    w->hosts = sg_host_list();
    if (s->platform_file[0])
        return;
    for (size_t i = 0; i < w->n_hosts; i++) {
        char name[32];
        snprintf(name, sizeof name, "h%zu", i);
        w->hosts[i] = sg_host_by_name(name);
        assert(w->hosts[i]);
    }
}

static void run_init_simgrid(const struct scn *s)
{
    static char arg0[] = "pgroup", log[] = "--log=root.thres:critical",
                model[] = "--cfg=network/model:CM02", ctx[] = "--cfg=contexts/nthreads:1";
    char *argv[] = {arg0, log, model, ctx, NULL};
    int argc = 4;
    simgrid_init(&argc, argv);
    if (s->platform_file[0])
        simgrid_load_platform(s->platform_file);
    else
        run_platform_cluster(s);
}

/* The most groups one process is ever in: its static groups (as a member or
 * a client) plus its joins
 * (each node allocates its group table up front: max_groups slots). */
static uint32_t run_groups_per_proc(const struct scn *s)
{
    uint32_t *n = calloc(s->n_procs + 1, sizeof *n), most = 1;
    assert(n);
    for (uint32_t g = 0; g < s->n_groups; g++)
        for (uint32_t i = 0; i < s->groups[g].n_members; i++)
            n[s->groups[g].members[i]]++;
    for (uint32_t g = 0; g < s->n_groups; g++)
        for (uint32_t i = 0; i < s->groups[g].n_clients; i++)
            n[s->groups[g].clients[i]]++;
    for (uint32_t f = 0; f < s->n_faults; f++)
        n[s->faults[f].proc] += s->faults[f].kind == SCN_F_JOIN;
    for (uint32_t p = 0; p < s->n_procs; p++)
        most = n[p] > most ? n[p] : most;
    free(n);
    return most;
}

static void run_phys_config(const struct scn *s, struct phys_config *cfg)
{
    phys_config_default(cfg);
    cfg->heartbeat_period_ns = s->heartbeat_period_ns;
    cfg->suspect_timeout_ns = s->suspect_timeout_ns;
    cfg->rto_initial_ns = s->rto_initial_ns;
    cfg->rto_max_ns = s->rto_max_ns;
    cfg->ack_delay_ns = s->ack_delay_ns;
    cfg->window = s->window;
    uint32_t groups = 2 * run_groups_per_proc(s) + 1; /* a process group has client channels too */
    cfg->max_groups = groups > cfg->max_groups ? groups : cfg->max_groups;
    /* a node may have a channel to every incarnation (a 256-member group
     * with 1000 clients: 255 members plus the clients a member serves, all
     * of them after failovers); the default covers the smaller scenarios */
    uint32_t incs = s->n_procs;
    for (uint32_t f = 0; f < s->n_faults; f++)
        incs += s->faults[f].kind == SCN_F_RESTART;
    cfg->max_peers = incs > cfg->max_peers ? incs : cfg->max_peers;
}

/* Sizes the group layer to the scenario: a view holds at most the largest
 * group's initial members plus every joiner (a new incarnation enters a group
 * only by joining), and the matrices of core/pg cost max_members^2 each. */
static void run_pg_config(const struct scn *s, struct pg_config *cfg)
{
    pg_config_default(cfg);
    uint32_t most = 1;
    for (uint32_t g = 0; g < s->n_groups; g++)
        most = s->groups[g].n_members > most ? s->groups[g].n_members : most;
    for (uint32_t f = 0; f < s->n_faults; f++)
        most += s->faults[f].kind == SCN_F_JOIN;
    cfg->max_members = most < PG_MAX_MEMBERS_CAP ? most : PG_MAX_MEMBERS_CAP;
    uint32_t per_proc = run_groups_per_proc(s);
    cfg->max_groups = per_proc > cfg->max_groups ? per_proc : cfg->max_groups;
    uint32_t clients = 0;
    for (uint32_t g = 0; g < s->n_groups; g++)
        clients = s->groups[g].n_clients > clients ? s->groups[g].n_clients : clients;
    cfg->max_clients = clients < PG_MAX_CLIENTS_CAP ? clients : PG_MAX_CLIENTS_CAP;
    /* every client may ask at once: one view change can then add them all */
    cfg->max_requests =
        cfg->max_clients + 8 > cfg->max_requests ? cfg->max_clients + 8 : cfg->max_requests;
    cfg->abcast_token_follow = !s->abcast_token_fixed;
    cfg->vt_compress = s->vt_compress;
    if (s->suspect_timeout_ns > cfg->state_timeout_ns / 4) /* providers fail over first */
        cfg->state_timeout_ns = 4 * s->suspect_timeout_ns;
    cfg->max_domains = s->n_domains;
}

/* The `domain` event of every process group (TRACE.md): group, domain, no
 * node; when the scenario names a domain (else every group is in "default",
 * which the trace says by omission). */
static void run_emit_domains(struct sim_world *w)
{
    const struct scn *s = w->scn;
    if (s->n_domains <= 1)
        return;
    for (uint32_t g = 0; g < s->n_groups; g++) {
        if (!w->group_pg[g])
            continue;
        struct chk_event e = {.ev = CHK_EV_DOMAIN, .ev_name = "domain", .view = -1};
        e.group = s->groups[g].name;
        e.domain = s->domains[s->groups[g].domain];
        sim_emit(w, &e);
    }
}

static void run_print_config(const struct sim_world *w, FILE *out)
{
    const struct scn *s = w->scn;
    fprintf(out, "pgroup run %s --seed %llu\n", s->file, (unsigned long long)w->seed);
    fprintf(out, "simgrid: network/model CM02 (latency factor 1), sequential contexts\n");
    fprintf(out, "trace: %s\n", w->opts.trace_path ? w->opts.trace_path : "(online checking only)");
    if (!w->opts.quiet)
        scn_print(s, out);
}

static void run_open_trace(struct sim_world *w)
{
    w->linecap = 4096;
    w->linebuf = malloc(w->linecap);
    assert(w->linebuf);
    const struct scn *s = w->scn;
    struct chk_header h = {.scenario = s->name, .seed = w->seed, .end_s = (double)s->run_ns / 1e9};
    h.quiet_from_s = s->quiet_ns > 0 ? (double)(s->run_ns - s->quiet_ns) / 1e9 : -1;
    h.expect = s->expect == SCN_EXPECT_VIOLATION ? s->expect_rule : NULL;
    w->chk = chk_new(&h);
    assert(w->chk);
    w->line = 1;
    if (!w->opts.trace_path)
        return;
    w->trace = fopen(w->opts.trace_path, "w");
    if (!w->trace) {
        perror(w->opts.trace_path);
        exit(2);
    }
    setvbuf(w->trace, NULL, _IOFBF, 1 << 20);
    int n = chk_header_write(&h, w->linebuf, w->linecap);
    assert(n > 0);
    fwrite(w->linebuf, 1, (size_t)n, w->trace);
}

static struct sim_world *run_world_new(const struct scn *s, const struct sim_opts *o, FILE *out)
{
    struct sim_world *w = calloc(1, sizeof *w);
    assert(w);
    w->scn = s;
    w->opts = *o;
    w->out = out;
    w->seed = o->seed_given ? o->seed : s->seed;
    w->end_ns = o->run_ns > 0 ? o->run_ns : s->run_ns;
    w->current = calloc(s->n_procs + 1, sizeof *w->current);
    w->generation = calloc(s->n_procs + 1, sizeof *w->generation);
    w->drop = calloc((size_t)s->n_procs * s->n_procs + 1, 1);
    w->proc_sends = calloc(s->n_procs + 1, sizeof *w->proc_sends);
    w->sends_at_split = calloc(s->n_procs + 1, sizeof *w->sends_at_split);
    assert(w->proc_sends && w->sends_at_split);
    w->group_pg = calloc(s->n_groups + 1, sizeof *w->group_pg);
    w->pool = sim_dgram_pool_new();
    assert(w->current && w->generation && w->drop && w->group_pg);
    return w;
}

static void run_world_free(struct sim_world *w)
{
    for (uint32_t i = 0; i < w->n_incs; i++) {
        free(w->incs[i]->app.send_ns);
        free(w->incs[i]);
    }
    free(w->incs);
    free(w->current);
    free(w->generation);
    free(w->drop);
    free(w->proc_sends);
    free(w->sends_at_split);
    free(w->group_pg);
    free(w->hosts);
    free(w->linebuf);
    chk_free(w->chk);
    sim_metrics_free(w->metrics);
    if (w->pool)
        sim_dgram_pool_close(w->pool);
    free(w);
}

/* Delivery latency per ordering, and the abcast counters. */
static void run_summary_order(const struct sim_world *w, FILE *out)
{
    const struct sim_totals *t = &w->tot;
    for (int o = SCN_ORDER_FIFO; o < SCN_ORDER_N; o++) {
        if (!t->lat_n[o])
            continue;
        fprintf(
            out,
            "latency %s: %llu deliveries, mean %.1f us, max %.1f us (send to delivery); "
            "sender's own: mean %.1f us\n",
            scn_order_name((enum scn_order)o), (unsigned long long)t->lat_n[o],
            (double)t->lat_sum_ns[o] / (double)t->lat_n[o] / 1e3, (double)t->lat_max_ns[o] / 1e3,
            t->lat_own_n[o] ? (double)t->lat_own_sum_ns[o] / (double)t->lat_own_n[o] / 1e3 : 0.0);
    }
    if (t->pg_state_sent || t->pg_state_failed)
        fprintf(out, "state transfer: %llu sent (%llu chunks), %llu received, %llu failed\n",
                (unsigned long long)t->pg_state_sent, (unsigned long long)t->pg_state_chunks,
                (unsigned long long)t->pg_state_received, (unsigned long long)t->pg_state_failed);
    if (t->cl_sent || t->diffusions)
        fprintf(out,
                "clients: %llu client messages sent, %llu forwarded by contacts, %llu sent again, "
                "%llu rejected as stale, %llu copies not delivered twice, %llu failovers; "
                "%llu diffusions, %llu relayed to clients, %llu delivered by clients, %llu gaps\n",
                (unsigned long long)t->cl_sent, (unsigned long long)t->cl_forwarded,
                (unsigned long long)t->cl_resent, (unsigned long long)t->cl_stale,
                (unsigned long long)t->cl_dups, (unsigned long long)t->cl_failovers,
                (unsigned long long)t->diffusions, (unsigned long long)t->diff_relayed,
                (unsigned long long)t->cl_diff_delivered, (unsigned long long)t->diff_gaps);
    if (!t->pg_abcasts)
        return;
    fprintf(out,
            "abcast: %llu sent, %llu delivered; %llu ORDER records (%llu standalone carriers); "
            "%llu token passes; %llu ordered at a view change; ordering delay mean %.1f us, "
            "max %.1f us\n",
            (unsigned long long)t->pg_abcasts, (unsigned long long)t->pg_abcast_delivered,
            (unsigned long long)t->pg_order_records, (unsigned long long)t->pg_order_carriers,
            (unsigned long long)t->pg_token_passes, (unsigned long long)t->pg_abcast_flush_ordered,
            t->pg_abcast_delivered
                ? (double)t->pg_order_delay_sum_ns / (double)t->pg_abcast_delivered / 1e3
                : 0.0,
            (double)t->pg_order_delay_max_ns / 1e3);
}

static void run_summary(const struct sim_world *w, FILE *out)
{
    const struct sim_totals *t = &w->tot;
    fprintf(
        out,
        "\nsummary: simulated %.3f s in %.3f s wall; %llu events; %llu sends; %llu deliveries\n",
        t->sim_s, t->wall_s, (unsigned long long)t->events, (unsigned long long)t->sends,
        (unsigned long long)t->deliveries);
    fprintf(out, "resources: peak memory %.1f MiB (resident, whole process)\n",
            (double)t->peak_rss_kib / 1024.0);
    fprintf(out,
            "network: %llu datagrams (%llu data, %llu retransmits, %llu acks, %llu heartbeats); "
            "%llu header bytes\n",
            (unsigned long long)t->datagrams, (unsigned long long)t->data_first,
            (unsigned long long)t->retransmits, (unsigned long long)t->acks,
            (unsigned long long)t->heartbeats, (unsigned long long)t->header_bytes);
    fprintf(out,
            "faults: %u crashes, %u incarnations; dropped %llu to dead, %llu by partition, "
            "%llu by loss; %llu duplicated, %llu delayed, %llu garbled in flight\n",
            t->crashes, t->incarnations, (unsigned long long)t->drop_dead,
            (unsigned long long)t->drop_partition, (unsigned long long)t->drop_loss,
            (unsigned long long)t->duplicated, (unsigned long long)t->delayed,
            (unsigned long long)t->garbled_injected);
    fprintf(out,
            "link: %llu garbled datagrams dropped, %llu duplicates dropped, %llu suspicions, "
            "%llu sends refused (window full), retained max %llu\n",
            (unsigned long long)t->garbled_dropped, (unsigned long long)t->duplicates_dropped,
            (unsigned long long)t->suspicions, (unsigned long long)t->send_refused,
            (unsigned long long)t->retained_max);
    if (w->any_pg)
        fprintf(out,
                "groups: %llu views installed, %llu exclusions, %llu joins/leaves refused; "
                "%llu cbcast data, %llu control, %llu stable messages; %llu pg header bytes; "
                "%llu delayed by the causal rule, %llu forwarded in flushes; retained max %llu\n",
                (unsigned long long)t->views, (unsigned long long)t->exclusions,
                (unsigned long long)t->joins_refused, (unsigned long long)t->pg_data,
                (unsigned long long)t->pg_control, (unsigned long long)t->pg_stable,
                (unsigned long long)t->pg_header_bytes, (unsigned long long)t->pg_delayed,
                (unsigned long long)t->pg_forwarded, (unsigned long long)t->pg_retained_max);
    if (t->flushes_done + t->flushes_refused > 0)
        fprintf(out, "flushes: %llu pg_flush calls returned, %llu refused\n",
                (unsigned long long)t->flushes_done, (unsigned long long)t->flushes_refused);
    run_summary_order(w, out);
    if (t->pg_dom_header_bytes || t->pg_dom_delayed || t->pg_p2p_sent)
        fprintf(out,
                "domains: %llu cross-group timestamp bytes; %llu delayed by a cross-group "
                "timestamp (mean %.1f us, max %.1f us); %llu installs postponed; p2p %llu sent, "
                "%llu delivered\n",
                (unsigned long long)t->pg_dom_header_bytes, (unsigned long long)t->pg_dom_delayed,
                t->pg_dom_delayed ? (double)t->pg_dom_delayed_ns / (double)t->pg_dom_delayed / 1e3
                                  : 0.0,
                (double)t->pg_dom_delayed_max_ns / 1e3, (unsigned long long)t->pg_installs_held,
                (unsigned long long)t->pg_p2p_sent, (unsigned long long)t->pg_p2p_delivered);
    for (size_t i = 0; i < SIM_SOMETIMES_MAX && w->sometimes_name[i]; i++)
        fprintf(out, "sometimes: %s (reached at %llu nodes)\n", w->sometimes_name[i],
                (unsigned long long)w->sometimes[i]);
}

/* Prints the rules and the verdict; returns the exit status. */
static int run_verdict(const struct sim_world *w, FILE *out)
{
    const struct scn *s = w->scn;
    fprintf(out, "rules:\n");
    chk_report(w->chk, out);
    bool ok = chk_verdict(w->chk, out);
    if (!ok)
        fprintf(out, "reproduce with: pgroup run %s --seed %llu\n", s->file,
                (unsigned long long)w->seed);
    return ok ? 0 : 1;
}

static double run_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Which groups run the process-group layer: those with non-fifo traffic,
 * clients or membership changes. Returns 2 (after a FILE:LINE:COL message)
 * when a scenario needs what this build cannot do. */
static int run_group_modes(const struct scn *s, bool *group_pg)
{
    for (uint32_t i = 0; i < s->n_workloads; i++) {
        const struct scn_workload *w = &s->workloads[i];
        if (w->group != SCN_NO_GROUP)
            group_pg[w->group] |= w->order != SCN_ORDER_FIFO;
    }
    for (uint32_t i = 0; i < s->n_relays; i++) { /* relays run on process groups */
        const struct scn_relay *r = &s->relays[i];
        if (r->from != SCN_NO_GROUP)
            group_pg[r->from] = true;
        if (!r->to_proc)
            group_pg[r->to] = true;
    }
    for (uint32_t g = 0; g < s->n_groups; g++) /* a group placed in a domain too */
        group_pg[g] |= s->groups[g].domain != 0;
    for (uint32_t i = 0; i < s->n_faults; i++)
        if (s->faults[i].kind == SCN_F_JOIN || s->faults[i].kind == SCN_F_LEAVE ||
            s->faults[i].kind == SCN_F_FLUSH)
            group_pg[s->faults[i].group] = true;
    for (uint32_t g = 0; g < s->n_groups; g++)
        group_pg[g] |= s->groups[g].n_clients > 0;
    for (uint32_t i = 0; i < s->n_workloads; i++) {
        const struct scn_workload *w = &s->workloads[i];
        if (w->group != SCN_NO_GROUP && group_pg[w->group] && w->order == SCN_ORDER_FIFO) {
            fprintf(stderr,
                    "%s:%u:1: group %s runs the process-group layer (it has cbcast, abcast or "
                    "diffusion traffic, clients, joins, leaves or flushes); its traffic cannot "
                    "also be fifo\n",
                    s->file, w->line, s->groups[w->group].name);
            return 2;
        }
    }
    for (uint32_t g = 0; g < s->n_groups; g++) {
        if (group_pg[g] && s->groups[g].n_members > PG_MAX_MEMBERS_CAP) {
            fprintf(stderr, "%s: group %s has %u members; a process group has at most %u\n",
                    s->file, s->groups[g].name, s->groups[g].n_members, PG_MAX_MEMBERS_CAP);
            return 2;
        }
        if (s->groups[g].n_clients > PG_MAX_CLIENTS_CAP) {
            fprintf(stderr, "%s: group %s has %u clients; a process group has at most %u\n",
                    s->file, s->groups[g].name, s->groups[g].n_clients, PG_MAX_CLIENTS_CAP);
            return 2;
        }
    }
    return 0;
}

/* A `place` host must exist on the platform; the parser cannot know a file's hosts. */
static int run_check_places(const struct scn *s)
{
    for (uint32_t p = 0; p < s->n_procs; p++) {
        if (s->procs[p].host[0] && !sg_host_by_name(s->procs[p].host)) {
            fprintf(stderr, "%s: place %s %s: the platform %s has no host named '%s'\n", s->file,
                    s->procs[p].name, s->procs[p].host,
                    s->platform_file[0] ? s->platform_file : "(built-in cluster)",
                    s->procs[p].host);
            return 2;
        }
    }
    return 0;
}

static int run_write_metrics(struct sim_world *w, int rc)
{
    return sim_metrics_write(w->metrics, &w->tot, w->any_pg, rc, w->opts.metrics_path);
}

int sim_run(const struct scn *s, const struct sim_opts *o, FILE *out, struct sim_totals *totals)
{
    struct sim_world *w = run_world_new(s, o, out);
    if (run_group_modes(s, w->group_pg) != 0) {
        run_world_free(w);
        return 2;
    }
    for (uint32_t g = 0; g < s->n_groups; g++)
        w->any_pg |= w->group_pg[g];
    run_init_simgrid(s);
    if (run_check_places(s) != 0) {
        run_world_free(w);
        return 2;
    }
    run_hosts(w);
    if (o->metrics_path || o->latency_csv) {
        w->metrics = sim_metrics_new(s, o->latency_csv);
        if (!w->metrics) {
            run_world_free(w);
            return 2;
        }
    }
    run_print_config(w, out);
    run_open_trace(w);
    struct phys_config cfg;
    run_phys_config(s, &cfg);
    run_pg_config(s, &w->pg_cfg);
    run_emit_domains(w);
    for (uint32_t p = 0; p < s->n_procs; p++)
        sim_inc_create(w, p);
    for (uint32_t p = 0; p < s->n_procs; p++)
        sim_inc_start(w->incs[p], &cfg);
    sim_timeline_start(w, &cfg);
    double t0 = run_wall_s();
    simgrid_run();
    w->tot.wall_s = run_wall_s() - t0;
    struct rusage ru;
    w->tot.peak_rss_kib = getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_maxrss : 0;
    w->tot.sim_s = simgrid_get_clock();
    chk_finish(w->chk);
    w->tot.events = w->line - 1;
    if (w->trace && fclose(w->trace) != 0)
        perror(o->trace_path);
    run_summary(w, out);
    int rc = run_verdict(w, out);
    if (o->metrics_path && run_write_metrics(w, rc) != 0)
        rc = 2;
    if (totals)
        *totals = w->tot;
    run_world_free(w);
    return rc;
}
