/* sim/driver/run.c: one simulation run, from a parsed scenario to a verdict.
 *
 * Owns: the order of a run (SimGrid and the platform through platform.h, the
 * output files, the simulation, the summary), the resolved-configuration
 * print, the run summary, the verdict and the command that reproduces the
 * run, and the checked closing of everything the run wrote (outfile.h): a
 * failed write makes the run exit 2.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <simgrid/engine.h>
#include <simgrid/host.h>

#include "cli.h"
#include "nodecfg.h"
#include "outfile.h"
#include "platform.h"
#include "progress.h"
#include "world_internal.h"

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

static void run_sink(void *ctx, struct chk_event *e)
{
    sim_emit(ctx, e);
}

/* The command that runs this again, as the user can paste it: the program as
 * invoked, the scenario, the seed, and the trace when one is written (a
 * violation's evidence cites its lines). --brief, --metrics and
 * --latency-csv do not change the run. */
static void run_print_command(const struct sim_world *w, FILE *out)
{
    cli_quote(out, w->opts.prog ? w->opts.prog : "pgroup");
    fputs(" run ", out);
    cli_quote(out, w->scn->file);
    fprintf(out, " --seed %llu", (unsigned long long)w->seed);
    if (w->opts.trace_path) {
        fputs(" --trace ", out);
        cli_quote(out, w->opts.trace_path);
    }
    fputc('\n', out);
}

static void run_print_config(const struct sim_world *w, FILE *out)
{
    const struct scn *s = w->scn;
    run_print_command(w, out);
    fprintf(out, "simgrid: network/model CM02 (latency factor 1), sequential contexts\n");
    fprintf(out, "trace: %s\n", w->opts.trace_path ? w->opts.trace_path : "(online checking only)");
    if (!w->opts.quiet)
        scn_print(s, out);
}

/* Starts the checker and opens the trace file, if any: 0, or 2 if it cannot be opened. */
static int run_open_trace(struct sim_world *w)
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
        return 0;
    w->trace = sim_out_open(w->opts.trace_path, "w");
    if (!w->trace)
        return 2;
    setvbuf(w->trace, NULL, _IOFBF, 1 << 20);
    int n = chk_header_write(&h, w->linebuf, w->linecap);
    assert(n > 0);
    if (fwrite(w->linebuf, 1, (size_t)n, w->trace) != (size_t)n)
        sim_out_failed(&w->trace_errno);
    return 0;
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
    sim_faults_init(&w->faults, s->n_procs);
    w->proc_sends = calloc(s->n_procs + 1, sizeof *w->proc_sends);
    assert(w->proc_sends);
    w->group_pg = calloc(s->n_groups + 1, sizeof *w->group_pg);
    w->pool = sim_dgram_pool_new();
    assert(w->current && w->generation && w->group_pg);
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
    sim_faults_free(&w->faults);
    free(w->proc_sends);
    free(w->group_pg);
    free(w->hosts);
    free(w->linebuf);
    chk_free(w->chk);
    sim_metrics_free(w->metrics);
    if (w->pool)
        sim_dgram_pool_close(w->pool);
    free(w);
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
    sim_summary_print(t, w->any_pg, &w->sometimes, out);
}

/* Prints the rules, the bounds and the verdict; returns the exit status. */
static int run_verdict(const struct sim_world *w, FILE *out)
{
    fprintf(out, "rules:\n");
    chk_report(w->chk, out);
    bool bounds_ok = sim_bounds_print(w->scn, &w->tot, out);
    bool ok = bounds_ok && chk_verdict(w->chk, out);
    if (!bounds_ok)
        fprintf(out, "verdict: FAIL (a bound was exceeded)\n");
    if (ok)
        return 0;
    fputs("reproduce with: ", out);
    run_print_command(w, out);
    if (!chk_passed(w->chk) && !w->opts.trace_path)
        fprintf(out, "(the lines cited above are lines of the trace, which this run did not "
                     "write: add --trace FILE to the command above to write it)\n");
    return 1;
}

static double run_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Which groups run the process-group layer: the parser decided (scn_group.pg)
 * and kept every group within the layer's limits. */
static void run_group_modes(const struct scn *s, bool *group_pg)
{
    static_assert(SCN_MAX_MEMBERS <= PG_MAX_MEMBERS_CAP, "scenario limit above the core's");
    static_assert(SCN_MAX_CLIENTS <= PG_MAX_CLIENTS_CAP, "scenario limit above the core's");
    for (uint32_t g = 0; g < s->n_groups; g++) {
        assert(s->groups[g].n_members <= SCN_MAX_MEMBERS);
        assert(s->groups[g].n_clients <= SCN_MAX_CLIENTS);
        group_pg[g] = s->groups[g].pg;
    }
}

static int run_write_metrics(struct sim_world *w, int rc)
{
    return sim_metrics_write(w->metrics, &w->tot, w->any_pg, rc, w->opts.metrics_path);
}

/* Opens what the run writes (latency dump, trace) and prints its configuration:
 * 0, or 2 after a message when a file cannot be opened. */
static int run_open_outputs(struct sim_world *w, FILE *out)
{
    const struct sim_opts *o = &w->opts;
    if (o->metrics_path || o->latency_csv) {
        w->metrics = sim_metrics_new(w->scn, o->latency_csv);
        if (!w->metrics)
            return 2;
    }
    run_print_config(w, out);
    return run_open_trace(w);
}

/* Closes what the run wrote and writes the metrics file: rc, or 2 when a
 * write failed (after `pgroup: cannot write PATH: REASON`). */
static int run_close_outputs(struct sim_world *w, int rc)
{
    const struct sim_opts *o = &w->opts;
    if (w->trace && sim_out_close(w->trace, o->trace_path, w->trace_errno) != 0)
        rc = 2;
    w->trace = NULL;
    if (sim_metrics_close_csv(w->metrics) != 0)
        rc = 2;
    if (o->metrics_path && run_write_metrics(w, rc) != 0)
        rc = 2;
    return rc;
}

/* Creates every first incarnation, the timeline, and simulates to the end. */
static void run_simulate(struct sim_world *w, FILE *out)
{
    const struct scn *s = w->scn;
    struct phys_config cfg;
    sim_phys_config(s, &cfg);
    sim_pg_config(s, &w->pg_cfg);
    sim_domain_emit(s, run_sink, w);
    sim_world_app_host(w);
    for (uint32_t p = 0; p < s->n_procs; p++)
        sim_inc_create(w, p);
    for (uint32_t p = 0; p < s->n_procs; p++)
        sim_inc_start(w->incs[p], &cfg);
    sim_timeline_start(w, &cfg);
    fflush(out); /* the configuration comes before the progress line */
    w->progress = sim_progress_new(w->end_ns);
    double t0 = run_wall_s();
    simgrid_run();
    w->tot.wall_s = run_wall_s() - t0;
    sim_progress_end(w->progress);
    w->progress = NULL;
    struct rusage ru;
    w->tot.peak_rss_kib = getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_maxrss : 0;
    w->tot.sim_s = simgrid_get_clock();
    chk_finish(w->chk);
    w->tot.events = w->line - 1;
}

int sim_run(const struct scn *s, const struct sim_opts *o, FILE *out, struct sim_totals *totals)
{
    struct sim_world *w = run_world_new(s, o, out);
    run_group_modes(s, w->group_pg);
    for (uint32_t g = 0; g < s->n_groups; g++)
        w->any_pg |= w->group_pg[g];
    if (sim_platform_load(s, stderr) != 0) {
        run_world_free(w);
        return 2;
    }
    run_hosts(w);
    if (run_open_outputs(w, out) != 0) {
        if (w->trace)
            fclose(w->trace);
        run_world_free(w);
        return 2;
    }
    run_simulate(w, out);
    run_summary(w, out);
    int rc = run_close_outputs(w, run_verdict(w, out));
    if (totals)
        *totals = w->tot;
    run_world_free(w);
    return rc;
}
