/* sim/main.c: the `pgroup` command.
 *
 * Owns: the command line. Subcommands: run, check, sweep, show. Exit status: 0 when every
 * rule holds (or the scenario's expected violation happened), 1 when a rule
 * was violated, 2 for bad input or bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chk.h"
#include "scenario.h"
#include "show.h"
#include "sweep.h"
#include "world.h"

static const char usage_main[] =
    "usage: pgroup COMMAND [ARGS]\n"
    "\n"
    "Simulates Isis-style process groups on SimGrid and checks every run against\n"
    "the rules of TRACE.md.\n"
    "\n"
    "commands:\n"
    "  run SCENARIO [--seed N] [--trace FILE] [--brief]   simulate a scenario and check it online\n"
    "  check TRACE                                        check a trace file offline\n"
    "  sweep SPEC --out DIR [--jobs N]                    run a grid of scenarios; CSV, plots, "
    "report\n"
    "  show TRACE --svg FILE | --shiviz FILE | --perfetto FILE\n"
    "                                                     draw a trace (space-time SVG) or export "
    "it\n"
    "\n"
    "`pgroup COMMAND --help` tells more. Exit status: 0 every rule holds (or the\n"
    "scenario's expected violation happened), 1 a rule was violated, 2 bad input or usage.\n";

static const char usage_run[] =
    "usage: pgroup run SCENARIO [--seed N] [--trace FILE] [--brief] [--metrics FILE]\n"
    "                  [--latency-csv FILE] [--svg FILE]\n"
    "\n"
    "Parses SCENARIO (format: scenarios/README.md), prints the resolved configuration,\n"
    "simulates it on SimGrid with every rule checked online, and prints a summary:\n"
    "simulated time, events, messages, deliveries, and each rule passed or failed.\n"
    "\n"
    "  --seed N      seed of every random stream (default: the scenario's `seed`, else 1)\n"
    "  --trace FILE  also write the trace (JSON Lines, TRACE.md) to FILE\n"
    "  --brief       do not print the resolved scenario (the seed and summary still are)\n"
    "  --metrics FILE      write the run's measurements (latency, throughput, datagrams and\n"
    "                      header bytes per multicast, retention, causal delays, view-change\n"
    "                      cost), one key=value per line; keys: sim/metrics.h\n"
    "  --latency-csv FILE  write one line per remote delivery:\n"
    "                      t_send_s,t_deliver_s,latency_ms,order,from,to\n"
    "  --svg FILE    after the run, draw its trace (needs --trace) as `pgroup show --svg`\n"
    "                does: the window around the violation, or the whole run\n"
    "\n"
    "Same scenario and seed give a byte-identical trace. A failing run prints the\n"
    "command that reproduces it. Exit status: 0 pass (or the expected violation\n"
    "happened), 1 a rule was violated, 2 bad scenario or usage.\n";

static const char usage_check[] =
    "usage: pgroup check TRACE\n"
    "\n"
    "Reads a trace written by `pgroup run --trace` (or any tool that follows TRACE.md)\n"
    "and judges it with the same checkers the simulation runs online. Prints each rule\n"
    "as PASS or FAIL, and for a failed rule the events that show the violation.\n"
    "Exit status: 0 every rule holds, 1 a rule was violated, 2 unreadable or malformed trace.\n";

static const char usage_sweep[] =
    "usage: pgroup sweep SPEC --out DIR [--jobs N]\n"
    "\n"
    "Reads SPEC (format: scenarios/sweeps/README.md): scenario lines every run shares and\n"
    "axes (order, group_size, senders, rate, size, loss, crash, seed, set KEY). Generates one\n"
    "scenario per grid point, checks them all, then runs each as its own `pgroup run\n"
    "--metrics` process, N at a time, and writes into DIR:\n"
    "  results.csv   one row per run: its parameters, verdict and metrics (sim/metrics.h)\n"
    "  runs/         each run's scenario, metrics, output and latency dump\n"
    "  plots.gp, *.svg, *.png   gnuplot script and the plots it draws\n"
    "  report.md     tables, plots, ratios abcast/cbcast, the paper's claims against the data\n"
    "\n"
    "  --out DIR   output directory (created)\n"
    "  --jobs N    runs at a time (default: the number of cores)\n"
    "\n"
    "A progress bar is drawn when stderr is a terminal. Ctrl-C stops the running children\n"
    "and keeps the finished rows; the same command again skips the rows already in\n"
    "DIR/results.csv with verdict PASS or FAIL (ERROR rows, e.g. a run that could not start,\n"
    "run again) and then redraws the plots and the report. Rows are deterministic except\n"
    "wall_s. Exit status: 0 every row PASS, 1 some row FAIL or ERROR (or gnuplot failed),\n"
    "2 bad spec (FILE:LINE:COL: message) or usage, 130 interrupted.\n";

static const char usage_show[] =
    "usage: pgroup show TRACE [--svg FILE] [--shiviz FILE] [--perfetto FILE]\n"
    "                   [--from T] [--to T] [--nodes LIST] [--group G]\n"
    "\n"
    "Reads a trace (TRACE.md), judges it with the same checkers as `pgroup check`, and\n"
    "writes one or more of:\n"
    "  --svg FILE       a space-time diagram: one lane per process incarnation, messages as\n"
    "                   arrows coloured by order, view installs, flush, view-change and\n"
    "                   state-transfer spans, crashes, partitions, and the evidence of the\n"
    "                   violation (the one the scenario expects, else the first) in red with\n"
    "                   the rule's sentence as caption; hover an arrow for its message; a\n"
    "                   crowded window is thinned and says so\n"
    "  --shiviz FILE    a ShiViz log (vector clocks; the parsing regex is its first line)\n"
    "  --perfetto FILE  Chrome Trace Event JSON for Perfetto UI or chrome://tracing\n"
    "\n"
    "Options of the SVG picture:\n"
    "  --from T, --to T  the window in simulated time (seconds, or with s, ms, us); without\n"
    "                    them: the events around the violation, or the whole run\n"
    "  --nodes LIST      only these nodes (comma-separated; p3 names p3 and p3#2)\n"
    "  --group G         only group G's messages, views and spans, and its nodes\n"
    "Exit status: 0 written, 2 unreadable or malformed trace, bad usage or unwritable output.\n";

static bool is_help(const char *a)
{
    return !strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "help");
}

static int parse_seed(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    struct sim_opts o = {0};
    const char *path = NULL, *svg = NULL;
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(usage_run, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            if (parse_seed(argv[++i], &o.seed) != 0) {
                fprintf(stderr, "pgroup run: --seed takes a non-negative integer, not '%s'\n",
                        argv[i]);
                return 2;
            }
            o.seed_given = true;
        } else if (!strcmp(argv[i], "--trace") && i + 1 < argc) {
            o.trace_path = argv[++i];
        } else if (!strcmp(argv[i], "--metrics") && i + 1 < argc) {
            o.metrics_path = argv[++i];
        } else if (!strcmp(argv[i], "--latency-csv") && i + 1 < argc) {
            o.latency_csv = argv[++i];
        } else if (!strcmp(argv[i], "--svg") && i + 1 < argc) {
            svg = argv[++i];
        } else if (!strcmp(argv[i], "--brief")) {
            o.quiet = true;
        } else if (argv[i][0] == '-' || path) {
            fprintf(stderr, "pgroup run: unexpected argument '%s'\n%s", argv[i], usage_run);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path || (svg && !o.trace_path)) {
        fprintf(stderr, "pgroup run: %s\n%s",
                path ? "--svg draws the trace: give --trace FILE too" : "no scenario given",
                usage_run);
        return 2;
    }
    struct scn s;
    if (scn_parse(path, &s, stderr) != 0)
        return 2;
    fflush(stdout);
    int rc = sim_run(&s, &o, stdout, NULL);
    scn_free(&s);
    if (svg && rc != 2) {
        if (show_svg_file(o.trace_path, svg, NULL, stderr) != SHOW_OK)
            return 2;
        printf("picture: %s (pgroup show %s --svg %s)\n", svg, o.trace_path, svg);
    }
    return rc;
}

static int cmd_check(int argc, char **argv)
{
    if (argc == 1 && is_help(argv[0])) {
        fputs(usage_check, stdout);
        return 0;
    }
    if (argc != 1) {
        fprintf(stderr, "pgroup check: expected one trace file\n%s", usage_check);
        return 2;
    }
    struct chk *c = chk_read_trace(argv[0], stderr);
    if (!c)
        return 2;
    const struct chk_counts *n = chk_counts(c);
    printf("pgroup check %s\n", argv[0]);
    printf("summary: %llu events; %llu sends; %llu deliveries; %llu views; %llu crashes; %llu "
           "faults\n",
           (unsigned long long)n->events, (unsigned long long)n->sends,
           (unsigned long long)n->deliveries, (unsigned long long)n->views,
           (unsigned long long)n->crashes, (unsigned long long)n->faults);
    printf("rules:\n");
    chk_report(c, stdout);
    bool ok = chk_verdict(c, stdout);
    chk_free(c);
    return ok ? 0 : 1;
}

static int parse_jobs(const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < 1 || v > 1024)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int cmd_sweep(int argc, char **argv)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    struct swp_opts o = {.jobs = ncpu > 0 ? (unsigned)ncpu : 1};
    const char *spec = NULL;
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(usage_sweep, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            o.out_dir = argv[++i];
        } else if (!strcmp(argv[i], "--jobs") && i + 1 < argc) {
            if (parse_jobs(argv[++i], &o.jobs) != 0) {
                fprintf(stderr, "pgroup sweep: --jobs takes a number from 1 to 1024, not '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (argv[i][0] == '-' || spec) {
            fprintf(stderr, "pgroup sweep: unexpected argument '%s'\n%s", argv[i], usage_sweep);
            return 2;
        } else {
            spec = argv[i];
        }
    }
    if (!spec || !o.out_dir) {
        fprintf(stderr, "pgroup sweep: %s\n%s", spec ? "no --out DIR given" : "no spec given",
                usage_sweep);
        return 2;
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        perror("/proc/self/exe");
        return 2;
    }
    self[n] = '\0';
    o.self = self;
    struct swp_spec s;
    if (swp_parse(spec, &s, stderr) != 0)
        return 2;
    int rc = swp_expand(&s, 0, stderr);
    if (rc == 0)
        rc = swp_run(&s, &o, stdout);
    swp_free(&s);
    return rc;
}

/* Seconds from "1.5", "1.5s", "200ms" or "350us"; -1 when malformed. */
static double parse_time_s(const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double unit = !strcmp(end, "") || !strcmp(end, "s") ? 1
                  : !strcmp(end, "ms")                  ? 1e-3
                  : !strcmp(end, "us")                  ? 1e-6
                                                        : -1;
    return errno || end == s || unit < 0 || !(v >= 0) ? -1 : v * unit;
}

/* Writes what cmd_show was asked for; 0, or 2 after a message. */
static int show_outputs(const char *trace, const char *svg, const char *shiviz,
                        const char *perfetto, const struct show_opts *o)
{
    struct show_svg_info info;
    if (svg && show_svg_file_info(trace, svg, o, stderr, &info) != SHOW_OK)
        return 2;
    if (svg)
        printf("svg: %s: %.9g s to %.9g s, %u lanes, %u of %u arrows drawn%s%s\n", svg, info.from_s,
               info.to_s, info.lanes, info.arrows, info.arrows_in_window,
               info.rule >= 0 ? "; violation drawn: " : "; no violation",
               info.rule >= 0 ? chk_rule_name((enum chk_rule)info.rule) : "");
    if (shiviz && show_shiviz_file(trace, shiviz, stderr) != SHOW_OK)
        return 2;
    if (shiviz)
        printf("shiviz: %s\n", shiviz);
    if (perfetto && show_perfetto_file(trace, perfetto, stderr) != SHOW_OK)
        return 2;
    if (perfetto)
        printf("perfetto: %s\n", perfetto);
    return 0;
}

static int cmd_show(int argc, char **argv)
{
    struct show_opts o = show_opts_default();
    const char *trace = NULL, *svg = NULL, *shiviz = NULL, *perfetto = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double *t = !strcmp(a, "--from") ? &o.from_s : !strcmp(a, "--to") ? &o.to_s : NULL;
        const char **out = !strcmp(a, "--svg")        ? &svg
                           : !strcmp(a, "--shiviz")   ? &shiviz
                           : !strcmp(a, "--perfetto") ? &perfetto
                           : !strcmp(a, "--nodes")    ? &o.nodes
                           : !strcmp(a, "--group")    ? &o.group
                                                      : NULL;
        if (is_help(a)) {
            fputs(usage_show, stdout);
            return 0;
        } else if ((t || out) && !v) {
            fprintf(stderr, "pgroup show: %s needs a value\n%s", a, usage_show);
            return 2;
        } else if (t && (*t = parse_time_s(v)) < 0) {
            fprintf(stderr, "pgroup show: %s takes a time (1.5, 1.5s, 200ms, 350us), not '%s'\n", a,
                    v);
            return 2;
        } else if (t || out) {
            if (out)
                *out = v;
            i++;
        } else if (a[0] == '-' || trace) {
            fprintf(stderr, "pgroup show: unexpected argument '%s'\n%s", a, usage_show);
            return 2;
        } else {
            trace = a;
        }
    }
    if (!trace || !(svg || shiviz || perfetto)) {
        fprintf(stderr, "pgroup show: %s\n%s", trace ? "no output given" : "no trace given",
                usage_show);
        return 2;
    }
    return show_outputs(trace, svg, shiviz, perfetto, &o);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return 2;
    }
    if (is_help(argv[1])) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "run"))
        return cmd_run(argc - 2, argv + 2);
    if (!strcmp(argv[1], "check"))
        return cmd_check(argc - 2, argv + 2);
    if (!strcmp(argv[1], "sweep"))
        return cmd_sweep(argc - 2, argv + 2);
    if (!strcmp(argv[1], "show"))
        return cmd_show(argc - 2, argv + 2);
    fprintf(stderr, "pgroup: unknown command '%s'\n%s", argv[1], usage_main);
    return 2;
}
