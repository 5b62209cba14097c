/* sim/main.c: the `pgroup` command.
 *
 * Owns: the command line. Subcommands: run, check, sweep, shrink, explore. Exit status: 0 when
 * every rule holds (or the scenario's expected violation happened), 1 when a rule was violated, 2
 * for bad input or bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chk.h"
#include "explore.h"
#include "scenario.h"
#include "shrink.h"
#include "sweep.h"
#include "world.h"

static int pgroup_main(int argc, char **argv);

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
    "  shrink FAILING.scn --out MINIMAL.scn [--seed N]    make a failing scenario minimal\n"
    "  explore SPEC --seeds A..B --out DIR [--jobs N]     search fault schedules over seeds;\n"
    "                                                     each failure shrunk and reproducible\n"
    "  explore --merge DIR... --out DIR                   combine sharded explore runs\n"
    "\n"
    "`pgroup COMMAND --help` tells more. Exit status: 0 every rule holds (or the\n"
    "scenario's expected violation happened), 1 a rule was violated, 2 bad input or usage.\n";

static const char usage_run[] =
    "usage: pgroup run SCENARIO [--seed N] [--trace FILE] [--brief] [--metrics FILE]\n"
    "                  [--latency-csv FILE]\n"
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
    const char *path = NULL;
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
        } else if (!strcmp(argv[i], "--brief")) {
            o.quiet = true;
        } else if (argv[i][0] == '-' || path) {
            fprintf(stderr, "pgroup run: unexpected argument '%s'\n%s", argv[i], usage_run);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        fprintf(stderr, "pgroup run: no scenario given\n%s", usage_run);
        return 2;
    }
    struct scn s;
    if (scn_parse(path, &s, stderr) != 0)
        return 2;
    fflush(stdout);
    int rc = sim_run(&s, &o, stdout, NULL);
    scn_free(&s);
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

static int parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v > 0) || v > 1e6)
        return -1;
    *out = v;
    return 0;
}

static int parse_count(const char *s, uint32_t *out)
{
    unsigned v;
    if (parse_jobs(s, &v) == 0) { /* 1 .. 1024 */
        *out = v;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long w = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || w < 1 || w > 10000000)
        return -1;
    *out = (uint32_t)w;
    return 0;
}

/* One option with a value of `pgroup shrink`; 1 if it was one, -1 on a bad value. */
static int shrink_option(int argc, char **argv, int *i, struct shr_opts *o)
{
    const char *a = argv[*i];
    if (*i + 1 >= argc)
        return 0;
    const char *v = argv[*i + 1];
    int bad = 0;
    if (!strcmp(a, "--out"))
        o->out = v;
    else if (!strcmp(a, "--rule"))
        o->rule = v;
    else if (!strcmp(a, "--seed"))
        bad = parse_seed(v, &o->seed), o->seed_given = true;
    else if (!strcmp(a, "--jobs"))
        bad = parse_jobs(v, &o->jobs);
    else if (!strcmp(a, "--timeout"))
        bad = parse_seconds(v, &o->timeout_s);
    else if (!strcmp(a, "--max-runs"))
        bad = parse_count(v, &o->max_runs);
    else
        return 0;
    if (bad) {
        fprintf(stderr, "pgroup shrink: bad value '%s' for %s\n%s", v, a, usage_shrink);
        return -1;
    }
    (*i)++;
    return 1;
}

static int cmd_shrink(int argc, char **argv)
{
    struct shr_opts o = {.jobs = 1, .main_fn = pgroup_main};
    for (int i = 0; i < argc; i++) {
        int k = shrink_option(argc, argv, &i, &o);
        if (k < 0)
            return 2;
        if (k > 0)
            continue;
        if (is_help(argv[i])) {
            fputs(usage_shrink, stdout);
            return 0;
        }
        if (argv[i][0] == '-' || o.path) {
            fprintf(stderr, "pgroup shrink: unexpected argument '%s'\n%s", argv[i], usage_shrink);
            return 2;
        }
        o.path = argv[i];
    }
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

static int parse_seed_range(const char *s, uint64_t *a, uint64_t *b)
{
    char first[64];
    const char *dots = strstr(s, "..");
    size_t n = dots ? (size_t)(dots - s) : strlen(s);
    if (n == 0 || n >= sizeof first)
        return -1;
    memcpy(first, s, n);
    first[n] = '\0';
    if (parse_seed(first, a) != 0 || (dots ? parse_seed(dots + 2, b) : (*b = *a, 0)) != 0)
        return -1;
    return *a <= *b && *b - *a < 100000000 ? 0 : -1;
}

static int parse_shard(const char *s, uint32_t *k, uint32_t *n)
{
    unsigned a, b;
    char c;
    if (sscanf(s, "%u/%u%c", &a, &b, &c) != 2 || a < 1 || b < 1 || a > b || b > 100000)
        return -1;
    *k = a;
    *n = b;
    return 0;
}

struct explore_args {
    struct xpl_opts o;
    bool seeds_given, print;
    const char *merge[256];
    uint32_t n_merge;
};

/* One option with a value of `pgroup explore`; 1 if it was one, -1 on a bad value. */
static int explore_option(int argc, char **argv, int *i, struct explore_args *a)
{
    const char *k = argv[*i];
    if (*i + 1 >= argc)
        return 0;
    const char *v = argv[*i + 1];
    int bad = 0;
    if (!strcmp(k, "--out"))
        a->o.out_dir = v;
    else if (!strcmp(k, "--seeds"))
        bad = parse_seed_range(v, &a->o.first, &a->o.last), a->seeds_given = true;
    else if (!strcmp(k, "--jobs"))
        bad = parse_jobs(v, &a->o.jobs);
    else if (!strcmp(k, "--shard"))
        bad = parse_shard(v, &a->o.shard, &a->o.shards);
    else if (!strcmp(k, "--timeout"))
        bad = parse_seconds(v, &a->o.timeout_s);
    else if (!strcmp(k, "--shrink") && !strcmp(v, "all"))
        a->o.shrink_max = -1;
    else if (!strcmp(k, "--shrink"))
        bad = !strcmp(v, "0") ? (a->o.shrink_max = 0, 0)
                              : parse_count(v, (uint32_t *)&a->o.shrink_max);
    else
        return 0;
    if (bad) {
        fprintf(stderr, "pgroup explore: bad value '%s' for %s\n%s", v, k, usage_explore);
        return -1;
    }
    (*i)++;
    return 1;
}

static int explore_args(int argc, char **argv, struct explore_args *a)
{
    for (int i = 0; i < argc; i++) {
        int k = explore_option(argc, argv, &i, a);
        if (k < 0)
            return 2;
        if (k > 0)
            continue;
        if (!strcmp(argv[i], "--check-determinism")) {
            a->o.check_determinism = true;
        } else if (!strcmp(argv[i], "--print")) {
            a->print = true;
        } else if (!strcmp(argv[i], "--merge")) {
            while (i + 1 < argc && argv[i + 1][0] != '-' && a->n_merge < 256)
                a->merge[a->n_merge++] = argv[++i];
            if (a->n_merge == 0) {
                fprintf(stderr, "pgroup explore: --merge needs directories\n%s", usage_explore);
                return 2;
            }
        } else if (argv[i][0] == '-' || a->o.spec_path) {
            fprintf(stderr, "pgroup explore: unexpected argument '%s'\n%s", argv[i], usage_explore);
            return 2;
        } else {
            a->o.spec_path = argv[i];
        }
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

static int cmd_explore(int argc, char **argv)
{
    if (argc == 1 && is_help(argv[0])) {
        fputs(usage_explore, stdout);
        return 0;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    struct explore_args a = {.o = {.jobs = ncpu > 0 ? (unsigned)ncpu : 1,
                                   .shard = 1,
                                   .shards = 1,
                                   .timeout_s = 60,
                                   .shrink_max = -1,
                                   .main_fn = pgroup_main}};
    int rc = explore_args(argc, argv, &a);
    if (rc)
        return rc;
    char cmdline[4096] = "pgroup explore";
    for (int i = 0; i < argc; i++)
        snprintf(cmdline + strlen(cmdline), sizeof cmdline - strlen(cmdline), " %s", argv[i]);
    a.o.cmdline = cmdline;
    if (a.n_merge) {
        if (a.o.spec_path || !a.o.out_dir) {
            fprintf(stderr, "pgroup explore: --merge takes directories and --out DIR only\n%s",
                    usage_explore);
            return 2;
        }
        return xpl_merge(a.merge, a.n_merge, a.o.out_dir, stdout);
    }
    if (!a.o.spec_path || !a.seeds_given || (!a.o.out_dir && !a.print)) {
        fprintf(stderr, "pgroup explore: %s\n%s",
                !a.o.spec_path   ? "no spec given"
                : !a.seeds_given ? "no --seeds A..B given"
                                 : "no --out DIR given",
                usage_explore);
        return 2;
    }
    char self[4096];
    if (self_path(self, sizeof self) != 0)
        return 2;
    a.o.self = self;
    struct xpl_spec s;
    if (xpl_parse(a.o.spec_path, &s, stderr) != 0)
        return 2;
    rc = a.print ? explore_print(&s, &a.o) : xpl_run(&s, &a.o, stdout);
    xpl_free(&s);
    return rc;
}

/* The command line; also the entry point of a forked child (jobs.h fork mode). */
static int pgroup_main(int argc, char **argv)
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
    if (!strcmp(argv[1], "shrink"))
        return cmd_shrink(argc - 2, argv + 2);
    if (!strcmp(argv[1], "explore"))
        return cmd_explore(argc - 2, argv + 2);
    fprintf(stderr, "pgroup: unknown command '%s'\n%s", argv[1], usage_main);
    return 2;
}

int main(int argc, char **argv)
{
    return pgroup_main(argc, argv);
}
