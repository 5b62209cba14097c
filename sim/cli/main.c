/* sim/cli/main.c: the `pgroup` command.
 *
 * Owns: the command line. Subcommands: run, live, node, merge, check, sweep,
 * show, shrink, explore; and --version.
 * Options are parsed by cli.h. Exit status: 0 when every rule holds (or the
 * scenario's expected violation happened), 1 when a rule was violated, 2 for
 * bad input, bad usage, or a failed write (standard output included).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <simgrid/engine.h> /* before version.h, which needs its declarations */
#include <simgrid/version.h>

#include "chk.h"
#include "cli.h"
#include "explore.h"
#include "live.h"
#include "live_host.h"
#include "outfile.h"
#include "pgroup_version.h"
#include "scenario.h"
#include "show.h"
#include "shrink.h"
#include "sweep.h"
#include "world.h"

static const char usage_main[] =
    "usage: pgroup COMMAND [ARGS]\n"
    "\n"
    "Simulates Isis-style process groups on SimGrid and checks every run against\n"
    "the rules of checkers/TRACE.md (the trace format and the rules).\n"
    "\n"
    "commands:\n"
    "  run SCENARIO [--seed N] [--trace FILE] [--brief]   simulate a scenario and check it online\n"
    "  live SCENARIO [--time-scale X] [--trace FILE]      run a scenario as real processes on\n"
    "                                                     this machine (UDP); same checkers\n"
    "  node --id P --peers FILE --scenario FILE           run one process of a scenario on\n"
    "                                                     this host (a scenario across hosts)\n"
    "  merge TRACE... --out FILE                          merge the hosts' traces (Lamport)\n"
    "  check TRACE                                        check a trace file offline\n"
    "  sweep SPEC --out DIR [--jobs N]                    run a grid of scenarios; CSV, plots, "
    "report\n"
    "  show TRACE --svg FILE | --shiviz FILE | --perfetto FILE\n"
    "                                                     draw a trace (space-time SVG) or export "
    "it\n"
    "  shrink FAILING.scn --out MINIMAL.scn [--seed N]    make a failing scenario minimal\n"
    "  explore SPEC --seeds A..B --out DIR [--jobs N]     search fault schedules over seeds;\n"
    "                                                     each failure shrunk and reproducible\n"
    "  explore --merge DIR... --out DIR                   combine sharded explore runs\n"
    "\n"
    "  --version                                          version, commit, SimGrid version\n"
    "\n"
    "`pgroup COMMAND --help` tells more. Options take `--name VALUE` or `--name=VALUE`,\n"
    "each at most once. Exit status: 0 every rule holds (or the scenario's expected\n"
    "violation happened), 1 a rule was violated, 2 bad input, bad usage or a failed write.\n";

static const char usage_run[] =
    "usage: pgroup run SCENARIO [--seed N] [--trace FILE] [--brief] [--metrics FILE]\n"
    "                  [--latency-csv FILE] [--svg FILE]\n"
    "\n"
    "Parses SCENARIO (format: scenarios/README.md), prints the resolved configuration,\n"
    "simulates it on SimGrid with every rule checked online, and prints a summary:\n"
    "simulated time, events, messages, deliveries, and each rule passed or failed.\n"
    "\n"
    "  --seed N      seed of every random stream, a decimal integer from 0 to 2^64-1\n"
    "                (default: the scenario's `seed`, else 1)\n"
    "  --trace FILE  also write the trace (JSON Lines, checkers/TRACE.md) to FILE\n"
    "  --brief       do not print the resolved scenario (the seed and summary still are)\n"
    "  --metrics FILE      write the run's measurements (latency, throughput, datagrams and\n"
    "                      header bytes per multicast, retention, causal delays, view-change\n"
    "                      cost), one key=value per line; keys: sim/harness/metrics.h\n"
    "  --latency-csv FILE  write one line per remote delivery:\n"
    "                      t_send_s,t_deliver_s,latency_ms,order,from,to\n"
    "  --svg FILE    after the run, draw its trace (needs --trace) as `pgroup show --svg`\n"
    "                does: the window around the violation, or the whole run\n"
    "\n"
    "Same scenario and seed give a byte-identical trace. A failing run prints the\n"
    "command that reproduces it. When stderr is a terminal, a run that lasts more than\n"
    "a second shows its progress there (simulated time, speed, time left).\n"
    "Exit status: 0 pass (or the expected violation happened), 1 a rule was violated,\n"
    "2 bad scenario or platform, bad usage, or a failed write.\n";

static const char usage_show[] =
    "usage: pgroup show TRACE [--svg FILE] [--shiviz FILE] [--perfetto FILE]\n"
    "                   [--from T] [--to T] [--nodes LIST] [--group G]\n"
    "\n"
    "Reads a trace (checkers/TRACE.md), judges it with the same checkers as `pgroup check`,\n"
    "and writes one or more of:\n"
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

static const char usage_shrink[] =
    "usage: pgroup shrink FAILING.scn --out MINIMAL.scn [--seed N] [--rule RULE] [--jobs N]\n"
    "                     [--timeout S] [--max-runs N]\n"
    "\n"
    "Delta debugging over a failing scenario: drops `at` lines, `send` lines, relays,\n"
    "groups and processes (a process goes from every list that names it), puts `set`\n"
    "keys back to their defaults, cuts the run short and halves rates, as long as the\n"
    "same rule still fails under the same seed. Each candidate is a `pgroup run`\n"
    "child. Prints each step (lines before and after, the rule that still fails) and\n"
    "ends with the command that reproduces the minimal run.\n"
    "\n"
    "  --out FILE    where the minimal scenario goes (required)\n"
    "  --seed N      the seed (default: the scenario's `seed`, else 1)\n"
    "  --rule RULE   the rule to keep failing (default: the rule of an `expect violation`\n"
    "                line if it fails, else the first failing rule in TRACE.md order)\n"
    "  --jobs N      candidates run at a time (default 1); the result is the same for any N\n"
    "  --timeout S   wall-clock limit of one candidate run, seconds (default: 10 x the\n"
    "                input's run, at least 10); a candidate over it does not count as failing\n"
    "  --max-runs N  candidate runs at most (default 5000)\n"
    "\n"
    "A scenario with `expect violation RULE` whose rule fails passes as a run; shrink keeps\n"
    "that rule failing and the minimal file keeps its `expect` line.\n"
    "Exit status: 0 shrunk (MINIMAL.scn written), 2 bad scenario (FILE:LINE:COL), bad\n"
    "usage, unwritable output, or nothing to shrink (every rule holds), 130 interrupted\n"
    "(the smallest scenario so far is written).\n";

static const char usage_explore[] =
    "usage: pgroup explore SPEC --seeds A..B --out DIR [--jobs N] [--shard K/N]\n"
    "                      [--check-determinism] [--timeout S] [--shrink N|all] [--print]\n"
    "       pgroup explore --merge DIR1 DIR2 ... --out DIR\n"
    "\n"
    "Draws one scenario per seed from SPEC (an explore spec, scenarios/explore/README.md,\n"
    "or a plain .scn whose processes, groups and traffic are kept and whose faults are\n"
    "drawn), runs each as its own `pgroup run` child, N at a time, with every rule\n"
    "checked, and writes into DIR:\n"
    "  seeds.jsonl        one record per seed: verdict, failed rules, situations reached\n"
    "  failures/SEED/     scenario.scn (standalone: `pgroup run` reproduces the failure),\n"
    "                     trace.jsonl and run.txt (that reproduction), minimal.scn and\n"
    "                     shrink.txt (pgroup shrink), first-run.txt\n"
    "  summary.json, summary.md   seeds, verdicts, violations by rule, failures, the\n"
    "                     \"sometimes\" coverage table (targets never reached listed),\n"
    "                     determinism, wall time and seeds per second\n"
    "\n"
    "  --seeds A..B          the seed range (A alone: one seed)\n"
    "  --out DIR             output directory (created); it may hold earlier seeds of the\n"
    "                        same spec, which are kept and not run again\n"
    "  --jobs N              runs at a time (default: the number of cores)\n"
    "  --shard K/N           only the K-th of N equal slices of the seed range (one per\n"
    "                        machine or job-array task; combine them with --merge)\n"
    "  --check-determinism   run every seed twice and compare the traces byte for byte\n"
    "  --timeout S           wall-clock limit of one run, seconds (default 60); over it the\n"
    "                        seed is a TIMEOUT\n"
    "  --shrink N|all        shrink the first N failures of each rule (default all; 0: none)\n"
    "  --print               print the scenario of each seed and run nothing\n"
    "  --merge DIR...        combine the output directories of one spec into --out DIR:\n"
    "                        the summary equals that of one unsharded run\n"
    "\n"
    "A progress bar (seeds done, violations so far, ETA) is drawn when stderr is a terminal.\n"
    "Ctrl-C keeps the finished seeds; the same command again resumes. Exit status: 0 no\n"
    "violation, timeout, error or determinism mismatch; 1 some; 2 bad spec (FILE:LINE:COL),\n"
    "bad usage or unwritable DIR (before any run); 130 interrupted.\n";

static const char usage_check[] =
    "usage: pgroup check TRACE\n"
    "\n"
    "Reads a trace written by `pgroup run --trace` (or any tool that follows\n"
    "checkers/TRACE.md) and judges it with the same checkers the simulation runs online.\n"
    "Prints each rule as PASS or FAIL, and for a failed rule the events that show the\n"
    "violation. A line longer than 1 MiB, a bad name, an unknown fault kind or an event\n"
    "after the header's `end` is an error (PATH:LINE: message); events of unknown kinds\n"
    "are kept, not judged, and counted on stderr.\n"
    "Exit status: 0 every rule holds, 1 a rule was violated, 2 unreadable or malformed\n"
    "trace, bad usage, or a failed write.\n";

static const char usage_sweep[] =
    "usage: pgroup sweep SPEC --out DIR [--jobs N]\n"
    "\n"
    "Reads SPEC (format: scenarios/sweeps/README.md): scenario lines every run shares and\n"
    "axes (order, group_size, senders, rate, size, loss, crash, seed, set KEY). Generates one\n"
    "scenario per grid point, checks them all, then runs each as its own `pgroup run\n"
    "--metrics` process, N at a time, and writes into DIR:\n"
    "  results.csv   one row per run: its parameters, verdict and metrics (sim/harness/metrics.h)\n"
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
    "2 bad spec (FILE:LINE:COL: message), usage or a failed write, 130 interrupted.\n";

static const char usage_live[] =
    "usage: pgroup live SCENARIO [--time-scale X] [--seed N] [--trace FILE] [--brief]\n"
    "                   [--metrics FILE] [--latency-csv FILE]\n"
    "\n"
    "Runs SCENARIO (format: scenarios/README.md) as real processes on this machine: one\n"
    "OS process per scenario process, each running the same core and the same workload\n"
    "as `pgroup run`, over UDP on 127.0.0.1 (one port per process), in real time. The\n"
    "fault timeline is applied as it comes: a crash is SIGKILL, a restart a new process,\n"
    "partitions, cuts, loss, duplication, garbling and delay a filter in each process's\n"
    "datagram layer that the supervisor drives over a pipe. The processes' traces are\n"
    "merged by this machine's monotonic clock and judged by the same checkers; the run\n"
    "ends with the summary and verdict of `pgroup run`.\n"
    "\n"
    "  --time-scale X  wall seconds per scenario second (default 1): every duration of\n"
    "                  the scenario, its timers included, lasts X times as long; 0.5 runs\n"
    "                  twice as fast. Times in the trace and the metrics are scenario time\n"
    "  --seed N        seed of every random stream (the core's draws, the filter's)\n"
    "  --trace FILE    write the merged trace (JSON Lines, checkers/TRACE.md)\n"
    "  --brief         do not print the resolved scenario\n"
    "  --metrics FILE, --latency-csv FILE   as for `pgroup run` (keys: sim/harness/metrics.h)\n"
    "\n"
    "A live run is not deterministic. It is bounded: it ends at the scenario's end, and\n"
    "every process is stopped and reaped, also on Ctrl-C and on a failure.\n"
    "Exit status: 0 pass (or the expected violation happened), 1 a rule was violated or a\n"
    "process died, 2 bad scenario, bad usage, a run that could not start or a failed\n"
    "write, 130 interrupted.\n";

static const char usage_node[] =
    "usage: pgroup node --id P --peers FILE --scenario FILE [--trace FILE] [--start T]\n"
    "                   [--time-scale X] [--seed N]\n"
    "\n"
    "Runs process P of the scenario on this host, to start a scenario across several\n"
    "hosts: run it on each host, one process each, with the same scenario, peers file and\n"
    "--start. Each host applies the scenario's timeline from its own clock: its share of\n"
    "partitions, cuts, loss, duplication, garbling and delay in its datagram filter; a\n"
    "crash of P ends its incarnation inside the process, a restart starts the next one.\n"
    "The scenario's first process also writes the harness's events (domains, faults).\n"
    "Each host writes its own trace, every event with a Lamport clock; `pgroup merge`\n"
    "makes one trace of them and judges it.\n"
    "\n"
    "  --id P           the scenario process this host runs\n"
    "  --peers FILE     every process's address, one `NAME HOST:PORT` per line (IPv4;\n"
    "                   this host binds its own line's port on every local address)\n"
    "  --scenario FILE  the scenario (scenarios/README.md); the platform is not used\n"
    "  --trace FILE     this host's trace (default: P.jsonl)\n"
    "  --start T        the UNIX time (seconds, e.g. $(( $(date +%s) + 5 ))) of scenario\n"
    "                   time 0, the same on every host (default: one second from now)\n"
    "  --time-scale X   wall seconds per scenario second (default 1)\n"
    "  --seed N         seed of every random stream (default: the scenario's)\n"
    "Exit status: 0 ran to the end, 2 bad usage, scenario or peers file, a port that cannot\n"
    "be bound, or a failed write, 130 interrupted (SIGINT, SIGTERM: its trace is written up\n"
    "to then).\n";

static const char usage_merge[] =
    "usage: pgroup merge TRACE... --out FILE\n"
    "\n"
    "Merges the traces that `pgroup node` wrote on each host of one run into one trace,\n"
    "in the order of their Lamport clocks (an event that happens before another comes\n"
    "first; each host's own order is kept; a `t` that would go back, the hosts' clocks\n"
    "differing, is raised to the previous line's), writes it to FILE and judges it as\n"
    "`pgroup check` does.\n"
    "Exit status: 0 every rule holds, 1 a rule was violated, 2 unreadable traces, traces\n"
    "of different runs, an event without a Lamport clock, bad usage or a failed write.\n";

static bool is_help(const char *a)
{
    return !strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "help");
}

static int cmd_run(int argc, char **argv, const char *prog)
{
    struct cli_opt opts[] = {
        {"--seed", "N", NULL},       {"--trace", "FILE", NULL},       {"--brief", NULL, NULL},
        {"--metrics", "FILE", NULL}, {"--latency-csv", "FILE", NULL}, {"--svg", "FILE", NULL},
        {NULL, NULL, NULL}};
    struct cli c = {.cmd = "pgroup run",
                    .usage = usage_run,
                    .opts = opts,
                    .max_pos = 1,
                    .pos_name = "scenario"};
    int rc = cli_parse(&c, argc, argv);
    if (rc != CLI_OK)
        return rc == CLI_HELP ? 0 : 2;
    struct sim_opts o = {.prog = prog};
    const char *seed = cli_value(&c, "--seed");
    if (seed && cli_uint(&c, "--seed", seed, 0, UINT64_MAX, &o.seed) != 0)
        return 2;
    o.seed_given = seed != NULL;
    o.trace_path = cli_value(&c, "--trace");
    o.metrics_path = cli_value(&c, "--metrics");
    o.latency_csv = cli_value(&c, "--latency-csv");
    o.quiet = cli_value(&c, "--brief") != NULL;
    const char *svg = cli_value(&c, "--svg");
    if (c.n_pos == 0 || (svg && !o.trace_path)) {
        fprintf(stderr, "pgroup run: %s\n%s",
                c.n_pos ? "--svg draws the trace: give --trace FILE too" : "no scenario given",
                usage_run);
        return 2;
    }
    struct scn s;
    if (scn_parse(c.pos[0], &s, stderr) != 0)
        return 2;
    fflush(stdout);
    rc = sim_run(&s, &o, stdout, NULL);
    scn_free(&s);
    if (svg && rc != 2) {
        if (show_svg_file(o.trace_path, svg, NULL, stderr) != SHOW_OK)
            return 2;
        printf("picture: %s (pgroup show %s --svg %s)\n", svg, o.trace_path, svg);
    }
    return rc;
}

/* --time-scale X: a number in [0.001, 1000]; 0, or 2 after a message. */
static int cli_scale(const struct cli *c, const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = v ? strtod(v, &end) : 1.0;
    if (v && (errno || end == v || *end || !(x >= 0.001 && x <= 1000))) {
        fprintf(stderr, "%s: --time-scale takes a number from 0.001 to 1000, not '%s'\n", c->cmd,
                v);
        return 2;
    }
    *out = x;
    return 0;
}

static int cmd_live(int argc, char **argv, const char *prog)
{
    struct cli_opt opts[] = {
        {"--seed", "N", NULL},       {"--trace", "FILE", NULL},       {"--brief", NULL, NULL},
        {"--metrics", "FILE", NULL}, {"--latency-csv", "FILE", NULL}, {"--time-scale", "X", NULL},
        {NULL, NULL, NULL}};
    struct cli c = {.cmd = "pgroup live",
                    .usage = usage_live,
                    .opts = opts,
                    .max_pos = 1,
                    .pos_name = "scenario"};
    int rc = cli_parse(&c, argc, argv);
    if (rc != CLI_OK)
        return rc == CLI_HELP ? 0 : 2;
    struct live_opts o = {.prog = prog};
    const char *seed = cli_value(&c, "--seed");
    if ((seed && cli_uint(&c, "--seed", seed, 0, UINT64_MAX, &o.seed) != 0) ||
        cli_scale(&c, cli_value(&c, "--time-scale"), &o.scale) != 0)
        return 2;
    o.seed_given = seed != NULL;
    o.trace_path = cli_value(&c, "--trace");
    o.metrics_path = cli_value(&c, "--metrics");
    o.latency_csv = cli_value(&c, "--latency-csv");
    o.quiet = cli_value(&c, "--brief") != NULL;
    if (c.n_pos == 0) {
        fprintf(stderr, "pgroup live: no scenario given\n%s", usage_live);
        return 2;
    }
    struct scn s;
    if (scn_parse(c.pos[0], &s, stderr) != 0)
        return 2;
    fflush(stdout);
    rc = live_run(&s, &o, stdout);
    scn_free(&s);
    return rc;
}

/* --start T: UNIX seconds (a fraction allowed); 0, or 2 after a message. */
static int cli_start(const struct cli *c, const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = v ? strtod(v, &end) : -1;
    if (v && (errno || end == v || *end || !(x >= 0 && x < 1e11))) {
        fprintf(stderr, "%s: --start takes a UNIX time in seconds, not '%s'\n", c->cmd, v);
        return 2;
    }
    *out = x;
    return 0;
}

static int cmd_node(int argc, char **argv)
{
    struct cli_opt opts[] = {{"--id", "P", NULL},          {"--peers", "FILE", NULL},
                             {"--scenario", "FILE", NULL}, {"--trace", "FILE", NULL},
                             {"--start", "T", NULL},       {"--time-scale", "X", NULL},
                             {"--seed", "N", NULL},        {NULL, NULL, NULL}};
    struct cli c = {.cmd = "pgroup node", .usage = usage_node, .opts = opts, .max_pos = 0};
    int rc = cli_parse(&c, argc, argv);
    if (rc != CLI_OK)
        return rc == CLI_HELP ? 0 : 2;
    struct live_host_opts o = {.proc = cli_value(&c, "--id"),
                               .peers = cli_value(&c, "--peers"),
                               .trace_path = cli_value(&c, "--trace")};
    const char *scn_path = cli_value(&c, "--scenario"), *seed = cli_value(&c, "--seed");
    if ((seed && cli_uint(&c, "--seed", seed, 0, UINT64_MAX, &o.seed) != 0) ||
        cli_scale(&c, cli_value(&c, "--time-scale"), &o.scale) != 0 ||
        cli_start(&c, cli_value(&c, "--start"), &o.start_s) != 0)
        return 2;
    o.seed_given = seed != NULL;
    if (!o.proc || !o.peers || !scn_path) {
        fprintf(stderr, "pgroup node: %s\n%s",
                !o.proc    ? "no --id P given"
                : !o.peers ? "no --peers FILE given"
                           : "no --scenario FILE given",
                usage_node);
        return 2;
    }
    struct scn s;
    if (scn_parse(scn_path, &s, stderr) != 0)
        return 2;
    fflush(stdout);
    rc = live_host_node(&s, &o, stdout);
    scn_free(&s);
    return rc;
}

static int cmd_merge(int argc, char **argv)
{
    struct cli_opt opts[] = {{"--out", "FILE", NULL}, {NULL, NULL, NULL}};
    struct cli c = {.cmd = "pgroup merge",
                    .usage = usage_merge,
                    .opts = opts,
                    .max_pos = CLI_MAX_POS,
                    .pos_name = "trace"};
    int rc = cli_parse(&c, argc, argv);
    if (rc != CLI_OK)
        return rc == CLI_HELP ? 0 : 2;
    const char *out = cli_value(&c, "--out");
    if (c.n_pos == 0 || !out) {
        fprintf(stderr, "pgroup merge: %s\n%s", c.n_pos ? "no --out FILE given" : "no trace given",
                usage_merge);
        return 2;
    }
    return live_host_merge(c.pos, (uint32_t)c.n_pos, out, stdout);
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

/* A time option of `pgroup show` into *out; 0, or 2 after a message. */
static int show_time(const char *name, const char *v, double *out)
{
    if (!v)
        return 0;
    *out = parse_time_s(v);
    if (*out >= 0)
        return 0;
    fprintf(stderr, "pgroup show: %s takes a time (1.5, 1.5s, 200ms, 350us), not '%s'\n%s", name, v,
            usage_show);
    return 2;
}

static int cmd_show(int argc, char **argv)
{
    struct cli_opt opts[] = {{"--svg", "FILE", NULL},      {"--shiviz", "FILE", NULL},
                             {"--perfetto", "FILE", NULL}, {"--from", "T", NULL},
                             {"--to", "T", NULL},          {"--nodes", "LIST", NULL},
                             {"--group", "G", NULL},       {NULL, NULL, NULL}};
    struct cli c = {
        .cmd = "pgroup show", .usage = usage_show, .opts = opts, .max_pos = 1, .pos_name = "trace"};
    int rc = cli_parse(&c, argc, argv);
    if (rc != CLI_OK)
        return rc == CLI_HELP ? 0 : 2;
    struct show_opts o = show_opts_default();
    if (show_time("--from", cli_value(&c, "--from"), &o.from_s) ||
        show_time("--to", cli_value(&c, "--to"), &o.to_s))
        return 2;
    o.nodes = cli_value(&c, "--nodes");
    o.group = cli_value(&c, "--group");
    const char *svg = cli_value(&c, "--svg"), *shiviz = cli_value(&c, "--shiviz"),
               *perfetto = cli_value(&c, "--perfetto");
    if (c.n_pos == 0 || !(svg || shiviz || perfetto)) {
        fprintf(stderr, "pgroup show: %s\n%s", c.n_pos ? "no output given" : "no trace given",
                usage_show);
        return 2;
    }
    return show_outputs(c.pos[0], svg, shiviz, perfetto, &o);
}

static int cmd_check(int argc, char **argv)
{
    struct cli_opt opts[] = {{NULL, NULL, NULL}};
    struct cli c = {.cmd = "pgroup check",
                    .usage = usage_check,
                    .opts = opts,
                    .max_pos = 1,
                    .pos_name = "trace"};
    int rc = cli_parse(&c, argc, argv);
    if (rc != CLI_OK)
        return rc == CLI_HELP ? 0 : 2;
    if (c.n_pos != 1) {
        fprintf(stderr, "pgroup check: expected one trace file\n%s", usage_check);
        return 2;
    }
    const char *path = c.pos[0];
    struct chk *ck = chk_read_trace(path, stderr);
    if (!ck)
        return 2;
    const struct chk_counts *n = chk_counts(ck);
    printf("pgroup check %s\n", path);
    printf("summary: %llu events; %llu sends; %llu deliveries; %llu views; %llu crashes; %llu "
           "faults\n",
           (unsigned long long)n->events, (unsigned long long)n->sends,
           (unsigned long long)n->deliveries, (unsigned long long)n->views,
           (unsigned long long)n->crashes, (unsigned long long)n->faults);
    printf("rules:\n");
    chk_report(ck, stdout);
    bool ok = chk_verdict(ck, stdout);
    chk_free(ck);
    return ok ? 0 : 1;
}

static int cmd_sweep(int argc, char **argv)
{
    struct cli_opt opts[] = {{"--out", "DIR", NULL}, {"--jobs", "N", NULL}, {NULL, NULL, NULL}};
    struct cli c = {.cmd = "pgroup sweep",
                    .usage = usage_sweep,
                    .opts = opts,
                    .max_pos = 1,
                    .pos_name = "spec"};
    int rc = cli_parse(&c, argc, argv);
    if (rc != CLI_OK)
        return rc == CLI_HELP ? 0 : 2;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    struct swp_opts o = {.jobs = ncpu > 0 ? (unsigned)ncpu : 1, .out_dir = cli_value(&c, "--out")};
    const char *jobs = cli_value(&c, "--jobs");
    uint64_t nj;
    if (jobs && cli_uint(&c, "--jobs", jobs, 1, 1024, &nj) != 0)
        return 2;
    if (jobs)
        o.jobs = (unsigned)nj;
    const char *spec = c.n_pos ? c.pos[0] : NULL;
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
    rc = swp_expand(&s, 0, stderr);
    if (rc == 0)
        rc = swp_run(&s, &o, stdout);
    swp_free(&s);
    return rc;
}

static int pgroup_main(int argc, char **argv);

static int self_path(char *buf, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    if (n <= 0) {
        perror("/proc/self/exe");
        return 2;
    }
    buf[n] = '\0';
    return 0;
}

/* Seconds in (0, 1e6]: "2.5"; 0, or 2 after a message naming the option. */
static int cli_seconds(const struct cli *c, const char *name, const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !(x > 0) || x > 1e6) {
        fprintf(stderr, "%s: %s takes seconds (above 0, at most 1000000), not '%s'\n", c->cmd, name,
                v);
        return 2;
    }
    *out = x;
    return 0;
}

static int cmd_shrink(int argc, char **argv)
{
    struct cli_opt opts[] = {{"--out", "FILE", NULL},  {"--seed", "N", NULL},
                             {"--rule", "RULE", NULL}, {"--jobs", "N", NULL},
                             {"--timeout", "S", NULL}, {"--max-runs", "N", NULL},
                             {NULL, NULL, NULL}};
    struct cli c = {.cmd = "pgroup shrink",
                    .usage = usage_shrink,
                    .opts = opts,
                    .max_pos = 1,
                    .pos_name = "scenario"};
    int rc = cli_parse(&c, argc, argv);
    if (rc != CLI_OK)
        return rc == CLI_HELP ? 0 : 2;
    struct shr_opts o = {.jobs = 1, .main_fn = pgroup_main};
    o.out = cli_value(&c, "--out");
    o.rule = cli_value(&c, "--rule");
    const char *seed = cli_value(&c, "--seed"), *jobs = cli_value(&c, "--jobs"),
               *tmo = cli_value(&c, "--timeout"), *max = cli_value(&c, "--max-runs");
    uint64_t nj = 1, nm = 0;
    if ((seed && cli_uint(&c, "--seed", seed, 0, UINT64_MAX, &o.seed)) ||
        (jobs && cli_uint(&c, "--jobs", jobs, 1, 1024, &nj)) ||
        (tmo && cli_seconds(&c, "--timeout", tmo, &o.timeout_s)) ||
        (max && cli_uint(&c, "--max-runs", max, 1, 10000000, &nm)))
        return 2;
    o.seed_given = seed != NULL;
    o.jobs = (unsigned)nj;
    if (max)
        o.max_runs = (uint32_t)nm;
    o.path = c.n_pos ? c.pos[0] : NULL;
    if (!o.path || !o.out) {
        fprintf(stderr, "pgroup shrink: %s\n%s",
                o.path ? "no --out FILE given" : "no scenario given", usage_shrink);
        return 2;
    }
    char self[4096];
    if (self_path(self, sizeof self) != 0)
        return 2;
    o.self = self;
    fflush(stdout);
    return shr_run(&o, stdout);
}

/* --seeds A..B (or A alone): 0, or 2 after a message. */
static int explore_seeds(const struct cli *c, const char *v, uint64_t *a, uint64_t *b)
{
    char first[32];
    const char *dots = strstr(v, "..");
    size_t n = dots ? (size_t)(dots - v) : strlen(v);
    if (n == 0 || n >= sizeof first) {
        fprintf(stderr, "pgroup explore: --seeds takes A..B or A, not '%s'\n", v);
        return 2;
    }
    memcpy(first, v, n);
    first[n] = '\0';
    if (cli_uint(c, "--seeds", first, 0, UINT64_MAX, a) ||
        cli_uint(c, "--seeds", dots ? dots + 2 : first, 0, UINT64_MAX, b))
        return 2;
    if (*a > *b || *b - *a >= 100000000) {
        fprintf(stderr, "pgroup explore: --seeds %s: A <= B, at most 100000000 seeds\n", v);
        return 2;
    }
    return 0;
}

/* --shard K/N: 0, or 2 after a message. */
static int explore_shard(const char *v, uint32_t *k, uint32_t *n)
{
    unsigned a, b;
    char extra;
    if (sscanf(v, "%u/%u%c", &a, &b, &extra) != 2 || a < 1 || b < 1 || a > b || b > 100000) {
        fprintf(stderr, "pgroup explore: --shard takes K/N with 1 <= K <= N, not '%s'\n", v);
        return 2;
    }
    *k = a;
    *n = b;
    return 0;
}

/* The options of `pgroup explore` that take numbers into *o; 0, or 2. */
static int explore_numbers(const struct cli *c, struct xpl_opts *o)
{
    const char *seeds = cli_value(c, "--seeds"), *jobs = cli_value(c, "--jobs"),
               *shard = cli_value(c, "--shard"), *tmo = cli_value(c, "--timeout"),
               *shrink = cli_value(c, "--shrink");
    uint64_t nj = o->jobs, ns;
    if ((seeds && explore_seeds(c, seeds, &o->first, &o->last)) ||
        (jobs && cli_uint(c, "--jobs", jobs, 1, 1024, &nj)) ||
        (shard && explore_shard(shard, &o->shard, &o->shards)) ||
        (tmo && cli_seconds(c, "--timeout", tmo, &o->timeout_s)))
        return 2;
    o->jobs = (unsigned)nj;
    if (shrink && strcmp(shrink, "all")) {
        if (cli_uint(c, "--shrink", shrink, 0, 10000000, &ns))
            return 2;
        o->shrink_max = (int32_t)(ns > INT32_MAX ? INT32_MAX : ns);
    }
    return 0;
}

static int explore_print(const struct xpl_spec *s, const struct xpl_opts *o)
{
    for (uint64_t seed = o->first;; seed++) {
        char *text = xpl_generate(s, seed, NULL);
        printf("%s%s", seed > o->first ? "\n" : "", text);
        free(text);
        if (seed == o->last)
            break;
    }
    return 0;
}

/* `pgroup explore --merge DIR... --out DIR` */
static int explore_merge(const struct cli *c, const struct xpl_opts *o)
{
    if (c->n_pos == 0 || !o->out_dir) {
        fprintf(stderr, "pgroup explore: --merge takes directories and --out DIR only\n%s",
                usage_explore);
        return 2;
    }
    return xpl_merge(c->pos, (uint32_t)c->n_pos, o->out_dir, stdout);
}

static int cmd_explore(int argc, char **argv)
{
    struct cli_opt opts[] = {{"--seeds", "A..B", NULL},
                             {"--out", "DIR", NULL},
                             {"--jobs", "N", NULL},
                             {"--shard", "K/N", NULL},
                             {"--check-determinism", NULL, NULL},
                             {"--timeout", "S", NULL},
                             {"--shrink", "N", NULL},
                             {"--print", NULL, NULL},
                             {"--merge", NULL, NULL},
                             {NULL, NULL, NULL}};
    struct cli c = {.cmd = "pgroup explore",
                    .usage = usage_explore,
                    .opts = opts,
                    .max_pos = CLI_MAX_POS,
                    .pos_name = "spec (or, with --merge, directory)"};
    int rc = cli_parse(&c, argc, argv);
    if (rc != CLI_OK)
        return rc == CLI_HELP ? 0 : 2;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    struct xpl_opts o = {.jobs = ncpu > 0 ? (unsigned)ncpu : 1,
                         .shard = 1,
                         .shards = 1,
                         .timeout_s = 60,
                         .shrink_max = -1,
                         .main_fn = pgroup_main};
    o.out_dir = cli_value(&c, "--out");
    o.check_determinism = cli_value(&c, "--check-determinism") != NULL;
    if (explore_numbers(&c, &o) != 0)
        return 2;
    char cmdline[4096] = "pgroup explore";
    for (int i = 0; i < argc; i++)
        snprintf(cmdline + strlen(cmdline), sizeof cmdline - strlen(cmdline), " %s", argv[i]);
    o.cmdline = cmdline;
    if (cli_value(&c, "--merge"))
        return explore_merge(&c, &o);
    bool print = cli_value(&c, "--print") != NULL;
    o.spec_path = c.n_pos == 1 ? c.pos[0] : NULL;
    if (!o.spec_path || !cli_value(&c, "--seeds") || (!o.out_dir && !print)) {
        fprintf(stderr, "pgroup explore: %s\n%s",
                c.n_pos > 1                 ? "one spec only (several directories go with --merge)"
                : !o.spec_path              ? "no spec given"
                : !cli_value(&c, "--seeds") ? "no --seeds A..B given"
                                            : "no --out DIR given",
                usage_explore);
        return 2;
    }
    char self[4096];
    if (self_path(self, sizeof self) != 0)
        return 2;
    o.self = self;
    struct xpl_spec s;
    if (xpl_parse(o.spec_path, &s, stderr) != 0)
        return 2;
    rc = print ? explore_print(&s, &o) : xpl_run(&s, &o, stdout);
    xpl_free(&s);
    return rc;
}

/* `pgroup --version`: this build's version and commit, and SimGrid's. */
static int cmd_version(void)
{
    int major, minor, patch;
    sg_version_get(&major, &minor, &patch);
    printf("pgroup %s (commit %s)\n", PG_VERSION, PG_GIT_COMMIT);
    printf("SimGrid %d.%d.%d (built against %d.%d.%d)\n", major, minor, patch,
           SIMGRID_VERSION_MAJOR, SIMGRID_VERSION_MINOR, SIMGRID_VERSION_PATCH);
    return 0;
}

static int run_command(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return 2;
    }
    if (is_help(argv[1])) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") && argc == 2)
        return cmd_version();
    if (!strcmp(argv[1], "--version")) {
        fprintf(stderr, "pgroup: --version takes no argument, not '%s'\n", argv[2]);
        return 2;
    }
    if (!strcmp(argv[1], "run"))
        return cmd_run(argc - 2, argv + 2, argv[0]);
    if (!strcmp(argv[1], "live"))
        return cmd_live(argc - 2, argv + 2, argv[0]);
    if (!strcmp(argv[1], "node"))
        return cmd_node(argc - 2, argv + 2);
    if (!strcmp(argv[1], "merge"))
        return cmd_merge(argc - 2, argv + 2);
    if (!strcmp(argv[1], "check"))
        return cmd_check(argc - 2, argv + 2);
    if (!strcmp(argv[1], "sweep"))
        return cmd_sweep(argc - 2, argv + 2);
    if (!strcmp(argv[1], "show"))
        return cmd_show(argc - 2, argv + 2);
    if (!strcmp(argv[1], "shrink"))
        return cmd_shrink(argc - 2, argv + 2);
    if (!strcmp(argv[1], "explore"))
        return cmd_explore(argc - 2, argv + 2);
    fprintf(stderr, "pgroup: unknown command '%s'\n%s", argv[1], usage_main);
    return 2;
}

/* The command line; also the entry point of a forked child (jobs.h fork
 * mode). Every command's standard output is checked at the end: a failed
 * write is exit 2. */
static int pgroup_main(int argc, char **argv)
{
    int rc = run_command(argc, argv);
    if (sim_out_close(stdout, "standard output", 0) != 0)
        rc = 2;
    return rc;
}

int main(int argc, char **argv)
{
    return pgroup_main(argc, argv);
}
