/* sim/sweep/explore_sum.c: the summary of an explore output directory, and the
 * merge of several. See explore.h.
 *
 * Everything in summary.json and summary.md is computed from the files of
 * the directory: explore.json (the spec), seeds.jsonl (one record per seed)
 * and failures/SEED/ (the scenario, the reproduction, the minimal scenario).
 * So a merge of sharded runs, which gathers those files, gives the summary
 * of the unsharded run; only the `timing` part (wall time, seeds per second,
 * jobs, command) differs.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "chk.h"
#include "explore.h"
#include "jobs.h"
#include "runlog.h"

#define XS_PATH 4096

static char *xs_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&buf, &cap, '\0', f);
    fclose(f);
    if (n < 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int xs_write(const char *path, const char *text)
{
    char tmp[XS_PATH + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "pgroup explore: cannot write %s: %s\n", path, strerror(errno));
        return 2;
    }
    return 0;
}

static uint64_t rec_seed(const cJSON *r)
{
    return (uint64_t)cJSON_GetObjectItem(r, "seed")->valuedouble;
}

static int rec_cmp(const void *a, const void *b)
{
    uint64_t x = rec_seed(*(cJSON *const *)a), y = rec_seed(*(cJSON *const *)b);
    return x < y ? -1 : x > y;
}

/* Appends the records of path to *v (n, cap); malformed lines are skipped. */
static void xs_read_records(const char *path, cJSON ***v, size_t *n, size_t *cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char *line = NULL;
    size_t lcap = 0;
    while (getline(&line, &lcap, f) > 0) {
        cJSON *r = cJSON_Parse(line);
        if (!r || !cJSON_IsNumber(cJSON_GetObjectItem(r, "seed")) ||
            !cJSON_IsString(cJSON_GetObjectItem(r, "verdict"))) {
            cJSON_Delete(r);
            continue; /* a line cut by an interruption */
        }
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 256;
            *v = realloc(*v, *cap * sizeof **v);
            assert(*v);
        }
        (*v)[(*n)++] = r;
    }
    free(line);
    fclose(f);
}

/* Sorted by seed, the last record of a seed kept (a stable sort keeps file order). */
static cJSON *xs_sorted(cJSON **v, size_t n)
{
    for (size_t i = 0; i < n; i++) /* the file index breaks ties: stable */
        cJSON_AddNumberToObject(v[i], "_i", (double)i);
    qsort(v, n, sizeof *v, rec_cmp); /* not stable: fixed below by _i */
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n;) {
        size_t j = i, best = i;
        while (j < n && rec_seed(v[j]) == rec_seed(v[i])) {
            if (cJSON_GetObjectItem(v[j], "_i")->valuedouble >
                cJSON_GetObjectItem(v[best], "_i")->valuedouble)
                best = j;
            j++;
        }
        for (size_t k = i; k < j; k++) {
            cJSON_DeleteItemFromObject(v[k], "_i");
            if (k == best)
                cJSON_AddItemToArray(arr, v[k]);
            else
                cJSON_Delete(v[k]);
        }
        i = j;
    }
    free(v);
    return arr;
}

cJSON *xpl_records(const char *out_dir)
{
    char path[XS_PATH];
    snprintf(path, sizeof path, "%s/seeds.jsonl", out_dir);
    cJSON **v = NULL;
    size_t n = 0, cap = 0;
    xs_read_records(path, &v, &n, &cap);
    if (n == 0) {
        free(v);
        return NULL;
    }
    return xs_sorted(v, n);
}

/* ---- explore.json ---- */

static cJSON *xs_meta(const struct xpl_spec *s)
{
    cJSON *m = cJSON_CreateObject();
    char h[32];
    snprintf(h, sizeof h, "%016" PRIx64, s->hash);
    cJSON_AddStringToObject(m, "name", s->name);
    cJSON_AddStringToObject(m, "file", s->file);
    cJSON_AddStringToObject(m, "hash", h);
    cJSON *c = cJSON_AddArrayToObject(m, "cover");
    for (uint32_t k = 0; k < s->n_cover; k++)
        cJSON_AddItemToArray(c, cJSON_CreateString(s->cover[k]));
    return m;
}

static cJSON *xs_read_meta(const char *dir)
{
    char path[XS_PATH];
    snprintf(path, sizeof path, "%s/explore.json", dir);
    char *text = xs_slurp(path);
    cJSON *m = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (m && !cJSON_IsString(cJSON_GetObjectItem(m, "hash"))) {
        cJSON_Delete(m);
        m = NULL;
    }
    return m;
}

int xpl_meta_check(const struct xpl_spec *s, const struct xpl_opts *o, FILE *err)
{
    cJSON *want = xs_meta(s), *have = xs_read_meta(o->out_dir);
    int rc = 0;
    if (have && strcmp(cJSON_GetObjectItem(have, "hash")->valuestring,
                       cJSON_GetObjectItem(want, "hash")->valuestring)) {
        fprintf(err,
                "pgroup explore: %s holds the seeds of another spec (%s, %s); remove it or use "
                "another --out\n",
                o->out_dir, cJSON_GetObjectItem(have, "file")->valuestring,
                cJSON_GetObjectItem(have, "hash")->valuestring);
        rc = 2;
    } else if (!have) {
        char path[XS_PATH], *text = cJSON_Print(want);
        snprintf(path, sizeof path, "%s/explore.json", o->out_dir);
        rc = xs_write(path, text);
        free(text);
    }
    cJSON_Delete(want);
    cJSON_Delete(have);
    return rc;
}

/* ---- the summary ---- */

struct xs_cov {
    char name[RLOG_NAME_MAX];
    uint32_t seeds;
    bool target;
};

struct xsum {
    const char *dir;
    cJSON *meta, *recs, *json;
    FILE *md;
    uint32_t n_cov;
    struct xs_cov cov[256];
    uint32_t by_verdict[4];
    bool bad;
};

static const char *const xs_verdicts[4] = {"PASS", "FAIL", "TIMEOUT", "ERROR"};

static struct xs_cov *xs_cov_find(struct xsum *x, const char *name)
{
    for (uint32_t k = 0; k < x->n_cov; k++)
        if (!strcmp(x->cov[k].name, name))
            return &x->cov[k];
    if (x->n_cov == 256)
        return NULL;
    struct xs_cov *c = &x->cov[x->n_cov++];
    snprintf(c->name, sizeof c->name, "%s", name);
    return c;
}

/* The seeds as ranges: "1..40", "45". */
static void xs_seed_ranges(struct xsum *x, cJSON *seeds)
{
    int n = cJSON_GetArraySize(x->recs);
    cJSON *ranges = cJSON_AddArrayToObject(seeds, "ranges");
    for (int i = 0; i < n;) {
        uint64_t a = rec_seed(cJSON_GetArrayItem(x->recs, i)), b = a;
        int j = i + 1;
        while (j < n && rec_seed(cJSON_GetArrayItem(x->recs, j)) == b + 1)
            b++, j++;
        char buf[64];
        if (a == b)
            snprintf(buf, sizeof buf, "%" PRIu64, a);
        else
            snprintf(buf, sizeof buf, "%" PRIu64 "..%" PRIu64, a, b);
        cJSON_AddItemToArray(ranges, cJSON_CreateString(buf));
        i = j;
    }
    cJSON_AddNumberToObject(seeds, "count", n);
}

static int xs_verdict_index(const cJSON *r)
{
    const char *v = cJSON_GetObjectItem(r, "verdict")->valuestring;
    for (int k = 0; k < 4; k++)
        if (!strcmp(v, xs_verdicts[k]))
            return k;
    return 3;
}

static void xs_verdicts_part(struct xsum *x)
{
    cJSON *v = cJSON_AddObjectToObject(x->json, "verdicts");
    int n = cJSON_GetArraySize(x->recs);
    for (int i = 0; i < n; i++)
        x->by_verdict[xs_verdict_index(cJSON_GetArrayItem(x->recs, i))]++;
    fprintf(x->md, "## Verdicts\n\n| verdict | seeds |\n|---|---|\n");
    for (int k = 0; k < 4; k++) {
        cJSON_AddNumberToObject(v, xs_verdicts[k], x->by_verdict[k]);
        fprintf(x->md, "| %s | %u |\n", xs_verdicts[k], x->by_verdict[k]);
    }
    x->bad = x->by_verdict[1] + x->by_verdict[2] + x->by_verdict[3] > 0;
}

static void xs_violations(struct xsum *x)
{
    cJSON *arr = cJSON_AddArrayToObject(x->json, "violations");
    int n = cJSON_GetArraySize(x->recs);
    fprintf(x->md, "\n## Violations by rule\n\n");
    bool any = false;
    for (int k = 0; k < CHK_R_COUNT; k++) {
        const char *rule = chk_rule_name((enum chk_rule)k);
        cJSON *o = NULL, *first = NULL;
        uint32_t count = 0;
        for (int i = 0; i < n; i++) {
            const cJSON *r = cJSON_GetArrayItem(x->recs, i);
            const cJSON *why = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "why"), rule);
            if (!cJSON_IsString(why))
                continue;
            if (!o) {
                o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "rule", rule);
                first = cJSON_AddArrayToObject(o, "first_seeds");
                cJSON_AddStringToObject(o, "first", why->valuestring);
            }
            if (count++ < 10)
                cJSON_AddItemToArray(first, cJSON_CreateNumber((double)rec_seed(r)));
        }
        if (!o)
            continue;
        cJSON_AddNumberToObject(o, "seeds", count);
        cJSON_AddItemToArray(arr, o);
        if (!any)
            fprintf(x->md, "| rule | seeds | first seeds | the first seed's first violation |\n"
                           "|---|---|---|---|\n");
        any = true;
        char *fs = cJSON_PrintUnformatted(first);
        fprintf(x->md, "| %s | %u | %s | %s |\n", rule, count, fs,
                cJSON_GetObjectItem(o, "first")->valuestring);
        free(fs);
    }
    if (!any)
        fprintf(x->md, "None: every rule held in every seed.\n");
}

static int xs_lines(const char *path)
{
    char *text = xs_slurp(path);
    int n = text ? (int)scn_count_lines(text) : -1;
    free(text);
    return n;
}

/* One failure: its files and whether the standalone scenario failed again. */
static cJSON *xs_failure(struct xsum *x, const cJSON *r)
{
    uint64_t seed = rec_seed(r);
    cJSON *o = cJSON_CreateObject();
    char dir[64], path[XS_PATH];
    snprintf(dir, sizeof dir, "failures/%" PRIu64, seed);
    cJSON_AddNumberToObject(o, "seed", (double)seed);
    cJSON_AddStringToObject(o, "verdict", cJSON_GetObjectItem(r, "verdict")->valuestring);
    cJSON_AddItemToObject(o, "rules", cJSON_Duplicate(cJSON_GetObjectItem(r, "failed"), 1));
    cJSON_AddStringToObject(o, "dir", dir);
    snprintf(path, sizeof path, "%s/%s/scenario.scn", x->dir, dir);
    cJSON_AddNumberToObject(o, "scenario_lines", xs_lines(path));
    snprintf(path, sizeof path, "%s/%s/minimal.scn", x->dir, dir);
    int ml = xs_lines(path);
    if (ml >= 0)
        cJSON_AddNumberToObject(o, "minimal_lines", ml);
    snprintf(path, sizeof path, "%s/%s/run.txt", x->dir, dir);
    struct rlog rl;
    if (rlog_read(path, &rl) && rl.ended) {
        uint32_t want = 0;
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItem(r, "failed"))
        {
            int k = chk_rule_parse(f->valuestring);
            want |= k >= 0 ? 1u << k : 0;
        }
        cJSON_AddBoolToObject(o, "reproduced", rl.failed == want);
    }
    return o;
}

static void xs_failures(struct xsum *x)
{
    cJSON *arr = cJSON_AddArrayToObject(x->json, "failures");
    int n = cJSON_GetArraySize(x->recs);
    fprintf(x->md, "\n## Failures\n\n");
    bool any = false;
    for (int i = 0; i < n; i++) {
        const cJSON *r = cJSON_GetArrayItem(x->recs, i);
        if (xs_verdict_index(r) == 0)
            continue;
        cJSON *o = xs_failure(x, r);
        cJSON_AddItemToArray(arr, o);
        if (!any)
            fprintf(x->md, "Each is standalone: `pgroup run DIR/failures/SEED/scenario.scn` "
                           "reproduces it (trace.jsonl beside it).\n\n"
                           "| seed | verdict | rules | scenario.scn | minimal.scn | reproduced "
                           "from scenario.scn |\n|---|---|---|---|---|---|\n");
        any = true;
        char *rules = cJSON_PrintUnformatted(cJSON_GetObjectItem(o, "rules"));
        const cJSON *ml = cJSON_GetObjectItem(o, "minimal_lines");
        const cJSON *rep = cJSON_GetObjectItem(o, "reproduced");
        char mls[32] = "-";
        if (ml)
            snprintf(mls, sizeof mls, "%d lines", ml->valueint);
        fprintf(x->md, "| %" PRIu64 " | %s | %s | %d lines | %s | %s |\n", rec_seed(r),
                cJSON_GetObjectItem(r, "verdict")->valuestring, rules,
                cJSON_GetObjectItem(o, "scenario_lines")->valueint, mls,
                !rep                ? "-"
                : cJSON_IsTrue(rep) ? "yes"
                                    : "NO");
        free(rules);
    }
    if (!any)
        fprintf(x->md, "None.\n");
}

static int cov_cmp(const void *a, const void *b)
{
    const struct xs_cov *x = a, *y = b;
    if (x->target != y->target)
        return x->target ? -1 : 1;
    return x->target ? 0 : strcmp(x->name, y->name);
}

static void xs_coverage(struct xsum *x)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(x->meta, "cover"))
    {
        struct xs_cov *k = xs_cov_find(x, c->valuestring);
        if (k)
            k->target = true;
    }
    int n = cJSON_GetArraySize(x->recs);
    for (int i = 0; i < n; i++) {
        const cJSON *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItem(cJSON_GetArrayItem(x->recs, i), "sometimes"))
        {
            struct xs_cov *k = xs_cov_find(x, s->valuestring);
            if (k)
                k->seeds++;
        }
    }
    qsort(x->cov, x->n_cov, sizeof x->cov[0], cov_cmp);       /* targets in spec order (stable: */
    cJSON *arr = cJSON_AddArrayToObject(x->json, "coverage"); /* equal keys keep order) */
    cJSON *un = cJSON_AddArrayToObject(x->json, "unreached");
    fprintf(x->md, "\n## Coverage: situations reached (\"sometimes\")\n\n"
                   "| situation | seeds that reached it | target of the spec |\n|---|---|---|\n");
    for (uint32_t k = 0; k < x->n_cov; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "situation", x->cov[k].name);
        cJSON_AddNumberToObject(o, "seeds", x->cov[k].seeds);
        cJSON_AddBoolToObject(o, "target", x->cov[k].target);
        cJSON_AddItemToArray(arr, o);
        fprintf(x->md, "| %s | %u | %s |\n", x->cov[k].name, x->cov[k].seeds,
                x->cov[k].target ? "yes" : "");
        if (x->cov[k].target && x->cov[k].seeds == 0)
            cJSON_AddItemToArray(un, cJSON_CreateString(x->cov[k].name));
    }
    fprintf(x->md, "\n### Targets never reached\n\n");
    if (!cJSON_GetArraySize(un))
        fprintf(x->md, "None: every target of the spec was reached.\n");
    cJSON_ArrayForEach(c, un) fprintf(x->md, "- %s\n", c->valuestring);
}

static void xs_determinism(struct xsum *x)
{
    cJSON *d = cJSON_AddObjectToObject(x->json, "determinism");
    cJSON *seeds = cJSON_AddArrayToObject(d, "mismatch_seeds");
    uint32_t checked = 0, bad = 0;
    int n = cJSON_GetArraySize(x->recs);
    for (int i = 0; i < n; i++) {
        const cJSON *r = cJSON_GetArrayItem(x->recs, i);
        const cJSON *v = cJSON_GetObjectItem(r, "determinism");
        if (!cJSON_IsString(v))
            continue;
        checked++;
        if (strcmp(v->valuestring, "same")) {
            bad++;
            cJSON_AddItemToArray(seeds, cJSON_CreateNumber((double)rec_seed(r)));
        }
    }
    cJSON_AddNumberToObject(d, "checked", checked);
    cJSON_AddNumberToObject(d, "mismatches", bad);
    fprintf(x->md, "\n## Determinism\n\n");
    if (checked)
        fprintf(x->md,
                "%u seeds run twice (--check-determinism), traces compared byte for byte: "
                "%u mismatches.\n",
                checked, bad);
    else
        fprintf(x->md, "Not checked (run with --check-determinism).\n");
    x->bad |= bad > 0;
}

static void xs_timing(struct xsum *x, double wall_s, uint32_t ran, unsigned jobs,
                      const char *cmdline)
{
    cJSON *t = cJSON_AddObjectToObject(x->json, "timing");
    double rate = wall_s > 0 ? ran / wall_s : 0;
    cJSON_AddNumberToObject(t, "wall_s", wall_s);
    cJSON_AddNumberToObject(t, "seeds_run", ran);
    cJSON_AddNumberToObject(t, "seeds_per_s", rate);
    cJSON_AddNumberToObject(t, "jobs", jobs);
    cJSON_AddStringToObject(t, "command", cmdline ? cmdline : "");
    fprintf(x->md,
            "\n## Timing\n\n`%s`: %u seeds run in %.1f s of wall time with %u jobs: "
            "**%.1f seeds/s** (a benchmark figure of this run, on this machine).\n",
            cmdline ? cmdline : "", ran, wall_s, jobs, rate);
}

static void xs_head(struct xsum *x)
{
    const char *name = cJSON_GetObjectItem(x->meta, "name")->valuestring;
    const char *file = cJSON_GetObjectItem(x->meta, "file")->valuestring;
    cJSON_AddStringToObject(x->json, "tool", "pgroup explore");
    cJSON *sp = cJSON_AddObjectToObject(x->json, "spec");
    cJSON_AddStringToObject(sp, "name", name);
    cJSON_AddStringToObject(sp, "file", file);
    cJSON_AddStringToObject(sp, "hash", cJSON_GetObjectItem(x->meta, "hash")->valuestring);
    cJSON *seeds = cJSON_AddObjectToObject(x->json, "seeds");
    xs_seed_ranges(x, seeds);
    char *rs = cJSON_PrintUnformatted(cJSON_GetObjectItem(seeds, "ranges"));
    fprintf(x->md, "# pgroup explore: %s\n\nSpec `%s`; %d seeds: %s.\n\n", name, file,
            cJSON_GetArraySize(x->recs), rs);
    free(rs);
}

int xpl_summarize(const char *out_dir, double wall_s, uint32_t seeds_run, unsigned jobs,
                  const char *cmdline, FILE *out)
{
    struct xsum x = {.dir = out_dir, .meta = xs_read_meta(out_dir)};
    if (!x.meta) {
        fprintf(stderr, "pgroup explore: %s/explore.json is missing or unreadable\n", out_dir);
        return 2;
    }
    x.recs = xpl_records(out_dir);
    if (!x.recs)
        x.recs = cJSON_CreateArray();
    x.json = cJSON_CreateObject();
    char *md = NULL;
    size_t mdlen = 0;
    x.md = open_memstream(&md, &mdlen);
    assert(x.md);
    xs_head(&x);
    xs_verdicts_part(&x);
    xs_violations(&x);
    xs_failures(&x);
    xs_coverage(&x);
    xs_determinism(&x);
    xs_timing(&x, wall_s, seeds_run, jobs, cmdline);
    fclose(x.md);
    char path[XS_PATH], *js = cJSON_Print(x.json);
    snprintf(path, sizeof path, "%s/summary.json", out_dir);
    int rc = xs_write(path, js);
    snprintf(path, sizeof path, "%s/summary.md", out_dir);
    rc |= xs_write(path, md);
    fprintf(out, "\n%s\nwrote %s/summary.json and %s/summary.md\n", md, out_dir, out_dir);
    free(js);
    free(md);
    cJSON_Delete(x.json);
    cJSON_Delete(x.recs);
    cJSON_Delete(x.meta);
    return rc ? 2 : x.bad ? 1 : 0;
}

/* ---- merge ---- */

static int xs_copy_file(const char *from, const char *to)
{
    FILE *f = fopen(from, "rb"), *g = f ? fopen(to, "wb") : NULL;
    char buf[65536];
    size_t n;
    bool ok = f && g;
    while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0)
        ok = fwrite(buf, 1, n, g) == n;
    if (f)
        fclose(f);
    if (g && fclose(g) != 0)
        ok = false;
    return ok ? 0 : -1;
}

/* Copies every failure directory of dir into out/failures/. */
static int xs_copy_failures(const char *dir, const char *out)
{
    char from[XS_PATH], to[XS_PATH];
    snprintf(from, sizeof from, "%s/failures", dir);
    DIR *d = opendir(from);
    if (!d)
        return 0;
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(from, sizeof from, "%s/failures/%s", dir, e->d_name);
        snprintf(to, sizeof to, "%s/failures/%s", out, e->d_name);
        if (job_mkdirs(to) != 0)
            return -1;
        DIR *f = opendir(from);
        for (struct dirent *g; f && rc == 0 && (g = readdir(f)) != NULL;) {
            if (g->d_name[0] == '.')
                continue;
            char a[XS_PATH + 300], b[XS_PATH + 300];
            snprintf(a, sizeof a, "%s/%s", from, g->d_name);
            snprintf(b, sizeof b, "%s/%s", to, g->d_name);
            rc = xs_copy_file(a, b);
        }
        if (f)
            closedir(f);
    }
    closedir(d);
    return rc;
}

/* Every directory must hold the same spec; returns its explore.json (the first's). */
static cJSON *xs_merge_meta(const char *const *dirs, uint32_t n)
{
    cJSON *first = NULL;
    for (uint32_t i = 0; i < n; i++) {
        cJSON *m = xs_read_meta(dirs[i]);
        if (!m) {
            fprintf(stderr, "pgroup explore --merge: %s/explore.json is missing or unreadable\n",
                    dirs[i]);
            cJSON_Delete(first);
            return NULL;
        }
        if (first && strcmp(cJSON_GetObjectItem(m, "hash")->valuestring,
                            cJSON_GetObjectItem(first, "hash")->valuestring)) {
            fprintf(stderr, "pgroup explore --merge: %s explored another spec than %s\n", dirs[i],
                    dirs[0]);
            cJSON_Delete(m);
            cJSON_Delete(first);
            return NULL;
        }
        if (first)
            cJSON_Delete(m);
        else
            first = m;
    }
    return first;
}

/* The timing of a directory's summary.json (wall time and seeds run), if any. */
static void xs_add_timing(const char *dir, double *wall, uint32_t *ran)
{
    char path[XS_PATH];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *text = xs_slurp(path);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    const cJSON *t = cJSON_GetObjectItem(j, "timing");
    if (cJSON_IsNumber(cJSON_GetObjectItem(t, "wall_s")))
        *wall += cJSON_GetObjectItem(t, "wall_s")->valuedouble;
    if (cJSON_IsNumber(cJSON_GetObjectItem(t, "seeds_run")))
        *ran += (uint32_t)cJSON_GetObjectItem(t, "seeds_run")->valuedouble;
    cJSON_Delete(j);
    free(text);
}

int xpl_merge(const char *const *dirs, uint32_t n, const char *out_dir, FILE *out)
{
    cJSON *meta = xs_merge_meta(dirs, n);
    if (!meta)
        return 2;
    char path[XS_PATH];
    int rc = job_mkdirs(out_dir);
    cJSON **v = NULL;
    size_t nv = 0, cap = 0;
    double wall = 0;
    uint32_t ran = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        snprintf(path, sizeof path, "%s/seeds.jsonl", dirs[i]);
        xs_read_records(path, &v, &nv, &cap);
        rc = xs_copy_failures(dirs[i], out_dir);
        xs_add_timing(dirs[i], &wall, &ran);
    }
    if (rc != 0) {
        fprintf(stderr, "pgroup explore --merge: cannot write into %s: %s\n", out_dir,
                strerror(errno));
        cJSON_Delete(meta);
        free(v);
        return 2;
    }
    cJSON *recs = nv ? xs_sorted(v, nv) : (free(v), cJSON_CreateArray());
    FILE *f = fopen((snprintf(path, sizeof path, "%s/seeds.jsonl", out_dir), path), "w");
    const cJSON *r;
    cJSON_ArrayForEach(r, recs)
    {
        char *line = cJSON_PrintUnformatted(r);
        fprintf(f, "%s\n", line);
        free(line);
    }
    rc = f && fclose(f) == 0 ? 0 : 2;
    char *mt = cJSON_Print(meta);
    snprintf(path, sizeof path, "%s/explore.json", out_dir);
    rc |= xs_write(path, mt);
    free(mt);
    cJSON_Delete(recs);
    cJSON_Delete(meta);
    if (rc)
        return 2;
    fprintf(out, "merged %u directories into %s\n", n, out_dir);
    return xpl_summarize(out_dir, wall, ran, 0, "pgroup explore --merge", out);
}
