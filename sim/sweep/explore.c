/* sim/sweep/explore.c: the explore runner. See explore.h.
 *
 * Three passes over the pool of jobs.h, each resumable from the files it
 * leaves:
 * 1. every seed of this shard not yet in OUT/seeds.jsonl: its scenario is
 *    drawn (xpl_generate) into OUT/runs/SEED.scn and run as `pgroup run
 *    OUT/runs/SEED.scn --brief` (twice with --trace under
 *    --check-determinism, the traces compared byte for byte); its record is
 *    appended to OUT/seeds.jsonl at once. A failing seed's scenario moves to
 *    OUT/failures/SEED/scenario.scn; a passing seed leaves nothing.
 * 2. every failure without a trace: `pgroup run failures/SEED/scenario.scn
 *    --trace failures/SEED/trace.jsonl` from that standalone file, its output
 *    in run.txt (the summary says whether the same rules failed again).
 * 3. every failure without minimal.scn (up to --shrink per rule): `pgroup
 *    shrink failures/SEED/scenario.scn --rule RULE --out
 *    failures/SEED/minimal.scn`, its output in shrink.txt.
 * Then the summary (explore_sum.c).
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "explore.h"
#include "jobs.h"
#include "runlog.h"

#define XR_PATH 4096

struct xseed {
    uint64_t seed;
    struct rlog r[2];
    bool timed_out[2], exited[2];
    uint8_t parts_done;
    double wall_s;
};

struct xrun {
    const struct xpl_spec *s;
    const struct xpl_opts *o;
    unsigned parts; /* runs per seed: 2 with --check-determinism */
    struct xseed *seeds;
    uint32_t n_seeds;
    FILE *jsonl;
    uint32_t failed, timeouts, errors, mismatches;
    /* passes 2 and 3: the failures to work on */
    uint64_t *fail_seed;
    int *fail_rule;
    uint32_t n_fail;
};

static void xr_path(char *buf, const struct xrun *x, uint64_t seed, const char *suffix)
{
    snprintf(buf, XR_PATH, "%s/runs/%llu%s", x->o->out_dir, (unsigned long long)seed, suffix);
}

static void xr_fail_path(char *buf, const char *dir, uint64_t seed, const char *file)
{
    snprintf(buf, XR_PATH, "%s/failures/%llu%s%s", dir, (unsigned long long)seed,
             file[0] ? "/" : "", file);
}

/* ---- pass 1: the seeds ---- */

static bool xr_start(void *ctx, uint32_t task, struct job_cmd *cmd)
{
    struct xrun *x = ctx;
    struct xseed *sd = &x->seeds[task / x->parts];
    unsigned part = task % x->parts;
    char path[XR_PATH];
    xr_path(path, x, sd->seed, ".scn");
    if (part == 0) {
        size_t len;
        char *text = xpl_generate(x->s, sd->seed, &len);
        FILE *f = fopen(path, "w");
        bool ok = f && fwrite(text, 1, len, f) == len;
        if (f && fclose(f) != 0)
            ok = false;
        free(text);
        if (!ok) {
            fprintf(stderr, "pgroup explore: cannot write %s: %s\n", path, strerror(errno));
            return false;
        }
    }
    job_arg(cmd, "pgroup");
    job_arg(cmd, "run");
    job_arg(cmd, "%s", path);
    job_arg(cmd, "--brief");
    if (x->parts == 2) {
        job_arg(cmd, "--trace");
        xr_path(cmd->arg[cmd->argc++], x, sd->seed, part ? ".b.jsonl" : ".a.jsonl");
    }
    xr_path(cmd->out, x, sd->seed, part ? ".b.log" : ".a.log");
    xr_path(cmd->err, x, sd->seed, part ? ".b.err" : ".a.err");
    return true;
}

static bool files_equal(const char *a, const char *b)
{
    FILE *f = fopen(a, "rb"), *g = fopen(b, "rb");
    bool same = f && g;
    char x[65536], y[65536];
    while (same) {
        size_t n = fread(x, 1, sizeof x, f), m = fread(y, 1, sizeof y, g);
        same = n == m && !memcmp(x, y, n);
        if (n == 0)
            break;
    }
    if (f)
        fclose(f);
    if (g)
        fclose(g);
    return same;
}

static const char *xr_verdict(const struct xrun *x, const struct xseed *sd)
{
    for (unsigned p = 0; p < x->parts; p++)
        if (sd->timed_out[p])
            return "TIMEOUT";
    for (unsigned p = 0; p < x->parts; p++)
        if (!sd->exited[p] || !sd->r[p].ended)
            return "ERROR";
    return sd->r[0].failed ? "FAIL" : "PASS";
}

static cJSON *xr_record(struct xrun *x, const struct xseed *sd, const char *verdict)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "seed", (double)sd->seed);
    cJSON_AddStringToObject(j, "verdict", verdict);
    cJSON *failed = cJSON_AddArrayToObject(j, "failed");
    cJSON *why = cJSON_AddObjectToObject(j, "why");
    for (int k = 0; k < CHK_R_COUNT; k++) {
        if (!(sd->r[0].failed & (1u << k)))
            continue;
        cJSON_AddItemToArray(failed, cJSON_CreateString(chk_rule_name((enum chk_rule)k)));
        cJSON_AddStringToObject(why, chk_rule_name((enum chk_rule)k), sd->r[0].why[k]);
    }
    cJSON *so = cJSON_AddArrayToObject(j, "sometimes");
    for (uint32_t k = 0; k < sd->r[0].n_sometimes; k++)
        cJSON_AddItemToArray(so, cJSON_CreateString(sd->r[0].sometimes[k]));
    cJSON_AddNumberToObject(j, "events", (double)sd->r[0].events);
    if (x->parts == 2) {
        char a[XR_PATH], b[XR_PATH];
        xr_path(a, x, sd->seed, ".a.jsonl");
        xr_path(b, x, sd->seed, ".b.jsonl");
        bool same = sd->r[0].ended && sd->r[1].ended && files_equal(a, b);
        cJSON_AddStringToObject(j, "determinism", same ? "same" : "differ");
        x->mismatches += !same;
    }
    cJSON_AddNumberToObject(j, "wall_s", sd->wall_s);
    return j;
}

/* A failing seed's files go to failures/SEED: the scenario, the first run's output. */
static void xr_keep_failure(struct xrun *x, const struct xseed *sd)
{
    char from[XR_PATH], to[XR_PATH];
    xr_fail_path(to, x->o->out_dir, sd->seed, "");
    if (job_mkdirs(to) != 0) {
        fprintf(stderr, "pgroup explore: cannot create %s: %s\n", to, strerror(errno));
        return;
    }
    static const char *const moves[][2] = {{".scn", "scenario.scn"},
                                           {".a.log", "first-run.txt"},
                                           {".a.err", "first-run.err"},
                                           {".b.log", "second-run.txt"}};
    for (size_t k = 0; k < 4; k++) {
        xr_path(from, x, sd->seed, moves[k][0]);
        xr_fail_path(to, x->o->out_dir, sd->seed, moves[k][1]);
        rename(from, to);
    }
}

static void xr_drop_files(const struct xrun *x, uint64_t seed)
{
    static const char *const sfx[] = {".scn",   ".a.log",   ".b.log",  ".a.err",
                                      ".b.err", ".a.jsonl", ".b.jsonl"};
    char path[XR_PATH];
    for (size_t k = 0; k < sizeof sfx / sizeof sfx[0]; k++) {
        xr_path(path, x, seed, sfx[k]);
        unlink(path);
    }
}

static void xr_finish(void *ctx, uint32_t task, int status, bool timed_out, double wall_s)
{
    struct xrun *x = ctx;
    struct xseed *sd = &x->seeds[task / x->parts];
    unsigned part = task % x->parts;
    char path[XR_PATH];
    xr_path(path, x, sd->seed, part ? ".b.log" : ".a.log");
    rlog_read(path, &sd->r[part]);
    sd->timed_out[part] = timed_out;
    sd->exited[part] = WIFEXITED(status) && WEXITSTATUS(status) <= 1;
    sd->wall_s += wall_s;
    if (++sd->parts_done < x->parts)
        return;
    const char *v = xr_verdict(x, sd);
    cJSON *j = xr_record(x, sd, v);
    char *line = cJSON_PrintUnformatted(j);
    fprintf(x->jsonl, "%s\n", line);
    fflush(x->jsonl);
    free(line);
    cJSON_Delete(j);
    x->failed += !strcmp(v, "FAIL");
    x->timeouts += !strcmp(v, "TIMEOUT");
    x->errors += !strcmp(v, "ERROR");
    if (strcmp(v, "PASS"))
        xr_keep_failure(x, sd);
    xr_drop_files(x, sd->seed);
}

static void xr_status(void *ctx, char *buf, size_t cap)
{
    const struct xrun *x = ctx;
    snprintf(buf, cap, "%u violations, %u timeouts, %u errors%s", x->failed, x->timeouts, x->errors,
             x->parts == 2 ? "" : "");
    if (x->parts == 2) {
        size_t n = strlen(buf);
        snprintf(buf + n, cap - n, ", %u determinism mismatches", x->mismatches);
    }
}

/* ---- passes 2 and 3: the failures ---- */

static bool xr_repro_start(void *ctx, uint32_t task, struct job_cmd *cmd)
{
    struct xrun *x = ctx;
    uint64_t seed = x->fail_seed[task];
    job_arg(cmd, "pgroup");
    job_arg(cmd, "run");
    xr_fail_path(cmd->arg[cmd->argc++], x->o->out_dir, seed, "scenario.scn");
    job_arg(cmd, "--trace");
    xr_fail_path(cmd->arg[cmd->argc++], x->o->out_dir, seed, "trace.jsonl");
    xr_fail_path(cmd->out, x->o->out_dir, seed, "run.txt");
    xr_fail_path(cmd->err, x->o->out_dir, seed, "run.err");
    return true;
}

static bool xr_shrink_start(void *ctx, uint32_t task, struct job_cmd *cmd)
{
    struct xrun *x = ctx;
    uint64_t seed = x->fail_seed[task];
    job_arg(cmd, "pgroup");
    job_arg(cmd, "shrink");
    xr_fail_path(cmd->arg[cmd->argc++], x->o->out_dir, seed, "scenario.scn");
    job_arg(cmd, "--rule");
    job_arg(cmd, "%s", chk_rule_name((enum chk_rule)x->fail_rule[task]));
    job_arg(cmd, "--out");
    xr_fail_path(cmd->arg[cmd->argc++], x->o->out_dir, seed, "minimal.scn");
    xr_fail_path(cmd->out, x->o->out_dir, seed, "shrink.txt");
    xr_fail_path(cmd->err, x->o->out_dir, seed, "shrink.err");
    return true;
}

static void xr_nothing(void *ctx, uint32_t task, int status, bool timed_out, double wall_s)
{
    (void)ctx, (void)task, (void)status, (void)timed_out, (void)wall_s;
}

/* Failures (verdict FAIL) of the records whose `file` is missing; for
 * shrinking (file minimal.scn), at most o->shrink_max per rule. */
static void xr_pick_failures(struct xrun *x, const char *file, bool shrinking)
{
    cJSON *recs = xpl_records(x->o->out_dir);
    uint32_t per_rule[CHK_R_COUNT] = {0};
    x->n_fail = 0;
    free(x->fail_seed);
    free(x->fail_rule);
    int n = recs ? cJSON_GetArraySize(recs) : 0;
    x->fail_seed = calloc((size_t)n + 1, sizeof *x->fail_seed);
    x->fail_rule = calloc((size_t)n + 1, sizeof *x->fail_rule);
    assert(x->fail_seed && x->fail_rule);
    for (int i = 0; i < n; i++) {
        const cJSON *r = cJSON_GetArrayItem(recs, i);
        const cJSON *v = cJSON_GetObjectItem(r, "verdict"), *f = cJSON_GetObjectItem(r, "failed");
        if (!cJSON_IsString(v) || strcmp(v->valuestring, "FAIL") || !cJSON_GetArraySize(f))
            continue;
        int rule = chk_rule_parse(cJSON_GetArrayItem(f, 0)->valuestring);
        uint64_t seed = (uint64_t)cJSON_GetObjectItem(r, "seed")->valuedouble;
        char path[XR_PATH];
        xr_fail_path(path, x->o->out_dir, seed, file);
        bool have = access(path, F_OK) == 0;
        if (rule < 0 ||
            (shrinking && x->o->shrink_max >= 0 && per_rule[rule] >= (uint32_t)x->o->shrink_max))
            continue;
        per_rule[rule]++;
        if (have)
            continue;
        x->fail_seed[x->n_fail] = seed;
        x->fail_rule[x->n_fail++] = rule;
    }
    cJSON_Delete(recs);
}

static enum job_result xr_failures(struct xrun *x, FILE *out)
{
    struct job_pool pool = {.jobs = x->o->jobs,
                            .timeout_s = x->o->timeout_s,
                            .self = x->o->self,
                            .main_fn = x->o->main_fn,
                            .unit = "failures reproduced",
                            .ctx = x,
                            .start = xr_repro_start,
                            .finish = xr_nothing};
    xr_pick_failures(x, "trace.jsonl", false);
    if (x->n_fail) {
        fprintf(out, "reproducing %u failures from their scenario.scn (trace beside it)\n",
                x->n_fail);
        fflush(out);
    }
    enum job_result rc = job_run(&pool, x->n_fail);
    if (rc != JOB_DONE || x->o->shrink_max == 0)
        return rc;
    xr_pick_failures(x, "minimal.scn", true);
    if (x->n_fail) {
        fprintf(out, "shrinking %u failures into minimal.scn\n", x->n_fail);
        fflush(out);
    }
    pool.unit = "failures shrunk";
    pool.start = xr_shrink_start;
    pool.timeout_s = 0; /* a shrink limits its own candidates */
    return job_run(&pool, x->n_fail);
}

/* ---- the run ---- */

/* This shard's seeds that OUT/seeds.jsonl does not hold (ERROR records run again). */
static void xr_todo(struct xrun *x)
{
    const struct xpl_opts *o = x->o;
    uint64_t total = o->last - o->first + 1;
    uint64_t a = o->first + total * (o->shard - 1) / o->shards;
    uint64_t b = o->first + total * o->shard / o->shards; /* exclusive */
    cJSON *recs = xpl_records(o->out_dir);
    x->seeds = calloc(b - a + 1, sizeof *x->seeds);
    assert(x->seeds);
    int n = recs ? cJSON_GetArraySize(recs) : 0, k = 0;
    for (uint64_t s = a; s < b; s++) {
        bool done = false;
        for (; k < n; k++) { /* records are sorted by seed */
            const cJSON *r = cJSON_GetArrayItem(recs, k);
            uint64_t rs = (uint64_t)cJSON_GetObjectItem(r, "seed")->valuedouble;
            if (rs > s)
                break;
            const cJSON *v = cJSON_GetObjectItem(r, "verdict");
            done |= rs == s && cJSON_IsString(v) && strcmp(v->valuestring, "ERROR");
        }
        if (!done)
            x->seeds[x->n_seeds++].seed = s;
    }
    cJSON_Delete(recs);
}

static int xr_prepare(struct xrun *x)
{
    const struct xpl_opts *o = x->o;
    char path[XR_PATH];
    snprintf(path, sizeof path, "%s/runs", o->out_dir);
    if (job_mkdirs(path) != 0) {
        fprintf(stderr, "pgroup explore: cannot create %s: %s\n", path, strerror(errno));
        return 2;
    }
    if (xpl_meta_check(x->s, o, stderr) != 0)
        return 2;
    snprintf(path, sizeof path, "%s/seeds.jsonl", o->out_dir);
    x->jsonl = fopen(path, "a");
    if (!x->jsonl) {
        fprintf(stderr, "pgroup explore: cannot write %s: %s\n", path, strerror(errno));
        return 2;
    }
    xr_todo(x);
    return 0;
}

static void xr_free(struct xrun *x)
{
    if (x->jsonl)
        fclose(x->jsonl);
    free(x->seeds);
    free(x->fail_seed);
    free(x->fail_rule);
}

int xpl_run(const struct xpl_spec *s, const struct xpl_opts *o, FILE *out)
{
    assert(s && o && o->jobs >= 1 && o->out_dir && o->first <= o->last);
    assert(o->shard >= 1 && o->shard <= o->shards);
    struct xrun x = {.s = s, .o = o, .parts = o->check_determinism ? 2 : 1};
    int rc = xr_prepare(&x);
    if (rc) {
        xr_free(&x);
        return rc;
    }
    fprintf(out, "explore %s (%s): seeds %llu..%llu, shard %u/%u: %u to run%s; %u at a time\n",
            s->name, s->file, (unsigned long long)o->first, (unsigned long long)o->last, o->shard,
            o->shards, x.n_seeds, o->check_determinism ? " twice (determinism)" : "", o->jobs);
    fflush(out);
    struct job_pool pool = {.jobs = o->jobs,
                            .timeout_s = o->timeout_s,
                            .self = o->self,
                            .main_fn = o->main_fn,
                            .unit = x.parts == 2 ? "runs (2 a seed)" : "seeds",
                            .ctx = &x,
                            .start = xr_start,
                            .finish = xr_finish,
                            .status = xr_status};
    double t0 = job_now();
    enum job_result jr = job_run(&pool, x.n_seeds * x.parts);
    double wall = job_now() - t0;
    if (jr == JOB_DONE)
        jr = xr_failures(&x, out);
    uint32_t ran = 0;
    for (uint32_t i = 0; i < x.n_seeds; i++)
        ran += x.seeds[i].parts_done == x.parts;
    xr_free(&x);
    if (jr != JOB_DONE) {
        fprintf(out, "%s: %u seeds kept in %s/seeds.jsonl; run the same command again to resume\n",
                jr == JOB_INTERRUPTED ? "interrupted" : "stopped", ran, o->out_dir);
        return jr == JOB_INTERRUPTED ? 130 : 2;
    }
    return xpl_summarize(o->out_dir, wall, ran, o->jobs, o->cmdline, out);
}
