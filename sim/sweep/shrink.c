/* sim/sweep/shrink.c: `pgroup shrink`. See shrink.h for what is kept and the
 * order of the search.
 *
 * The state of the search is a set of edits of the input scenario as parsed
 * (struct shr_state, turned into a struct scn_edit for scn_write). Every
 * candidate is the current state plus one more edit; its text is parsed
 * first (one that does not parse is not run) and then run as `pgroup run
 * DIR/cK.scn --brief` by the pool of jobs.h, K being its slot in a batch of
 * `jobs`. The run's printed rule lines (runlog.h) say whether the rule still
 * fails.
 */
#define _GNU_SOURCE
#include "shrink.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chk.h"
#include "jobs.h"
#include "runlog.h"
#include "scenario.h"

#define SHR_BATCH_MAX 64
#define SHR_DESC_MAX  512

/* What ddmin removes, in the order of a round. */
enum shr_kind { SHR_FAULT, SHR_WORKLOAD, SHR_RELAY, SHR_GROUP, SHR_PROC, SHR_KINDS };

static const char *const shr_kind_words[SHR_KINDS] = {"`at` lines", "`send` lines", "relays",
                                                      "groups", "processes"};

struct shr_state {
    bool *drop[SHR_KINDS];
    double *rate; /* per workload: the factor its rate is multiplied by */
    uint32_t reset_sets;
    bool drop_places;
    int64_t run_ns, quiet_ns;
};

struct shrink {
    const struct shr_opts *o;
    FILE *out;
    struct scn s;
    uint32_t n[SHR_KINDS];
    struct shr_state cur;
    struct shr_state cand[SHR_BATCH_MAX];
    char desc[SHR_BATCH_MAX][SHR_DESC_MAX];
    bool valid[SHR_BATCH_MAX], kept[SHR_BATCH_MAX];
    uint32_t slot_of[SHR_BATCH_MAX], n_slots;
    int target; /* enum chk_rule */
    char dir[256];
    uint32_t lines, lines0, steps, runs;
    double timeout_s;
    bool interrupted, budget_out;
    bool keep_quiet; /* the rule is liveness and the input's quiet period is sound */
};

/* ---- states ---- */

static void st_alloc(const struct shrink *sh, struct shr_state *st)
{
    for (int k = 0; k < SHR_KINDS; k++) {
        st->drop[k] = calloc(sh->n[k] + 1, sizeof *st->drop[k]);
        assert(st->drop[k]);
    }
    st->rate = malloc((sh->n[SHR_WORKLOAD] + 1) * sizeof *st->rate);
    assert(st->rate);
}

static void st_free(struct shr_state *st)
{
    for (int k = 0; k < SHR_KINDS; k++)
        free(st->drop[k]);
    free(st->rate);
}

static void st_copy(const struct shrink *sh, struct shr_state *dst, const struct shr_state *src)
{
    for (int k = 0; k < SHR_KINDS; k++)
        memcpy(dst->drop[k], src->drop[k], sh->n[k] * sizeof *dst->drop[k]);
    memcpy(dst->rate, src->rate, sh->n[SHR_WORKLOAD] * sizeof *dst->rate);
    dst->reset_sets = src->reset_sets;
    dst->drop_places = src->drop_places;
    dst->run_ns = src->run_ns;
    dst->quiet_ns = src->quiet_ns;
}

static char *st_text(const struct shrink *sh, const struct shr_state *st)
{
    struct scn_edit e = {.drop_fault = st->drop[SHR_FAULT],
                         .drop_workload = st->drop[SHR_WORKLOAD],
                         .drop_relay = st->drop[SHR_RELAY],
                         .drop_group = st->drop[SHR_GROUP],
                         .drop_proc = st->drop[SHR_PROC],
                         .rate_scale = st->rate,
                         .reset_sets = st->reset_sets,
                         .drop_places = st->drop_places,
                         .run_ns = st->run_ns,
                         .quiet_ns = st->quiet_ns > 0 ? st->quiet_ns : -1};
    return scn_write(&sh->s, &e, NULL);
}

/* ---- running a batch ---- */

static bool shr_start(void *ctx, uint32_t task, struct job_cmd *cmd)
{
    struct shrink *sh = ctx;
    uint32_t k = sh->slot_of[task];
    job_arg(cmd, "pgroup");
    job_arg(cmd, "run");
    job_arg(cmd, "%s/c%u.scn", sh->dir, k);
    job_arg(cmd, "--brief");
    snprintf(cmd->out, sizeof cmd->out, "%s/c%u.log", sh->dir, k);
    return true;
}

static void shr_finish(void *ctx, uint32_t task, int status, bool timed_out, double wall_s)
{
    struct shrink *sh = ctx;
    uint32_t k = sh->slot_of[task];
    char path[320];
    snprintf(path, sizeof path, "%s/c%u.log", sh->dir, k);
    struct rlog r;
    bool ok = !timed_out && WIFEXITED(status) && WEXITSTATUS(status) <= 1 && rlog_read(path, &r);
    sh->kept[k] = ok && r.ended && (r.failed & (1u << sh->target));
    sh->runs++;
}

/* Writes the valid candidates of the batch and runs them. False if interrupted. */
static bool shr_run_batch(struct shrink *sh, uint32_t n)
{
    sh->n_slots = 0;
    for (uint32_t k = 0; k < n; k++) {
        sh->kept[k] = false;
        if (!sh->valid[k])
            continue;
        char *text = st_text(sh, &sh->cand[k]);
        char path[320];
        snprintf(path, sizeof path, "%s/c%u.scn", sh->dir, k);
        FILE *f = fopen(path, "w");
        assert(f);
        fputs(text, f);
        fclose(f);
        free(text);
        sh->slot_of[sh->n_slots++] = k;
    }
    struct job_pool pool = {.jobs = sh->o->jobs,
                            .timeout_s = sh->timeout_s,
                            .self = sh->o->self,
                            .main_fn = sh->o->main_fn,
                            .unit = "candidates",
                            .quiet = true,
                            .ctx = sh,
                            .start = shr_start,
                            .finish = shr_finish};
    return job_run(&pool, sh->n_slots) == JOB_DONE;
}

/* Builds candidate i into st (a copy of the current state plus one edit) and
 * describes it; false: there is no such candidate (skipped). */
typedef bool (*shr_make_fn)(struct shrink *sh, void *arg, uint32_t i, struct shr_state *st,
                            char *desc, size_t cap);

/* Liveness (rule 10) is judged after the quiet period. A candidate that
 * fails it only because a partition, cut or isolation stays in force into
 * the quiet period, because the quiet period became too short to suspect a
 * failure and change the view (4 x suspect_timeout + 200ms, what explore
 * gives), or because heartbeats became too rare for the suspect timeout
 * (under 3 per timeout: live peers suspected at random), says nothing about
 * the protocol: such candidates are not run when the input had none of these
 * problems. */
static bool shr_quiet_ok(const struct scn *t)
{
    bool split = false;
    for (uint32_t i = 0; i < t->n_faults; i++) {
        enum scn_fault_kind k = t->faults[i].kind;
        if (k == SCN_F_PARTITION || k == SCN_F_CUT || k == SCN_F_ISOLATE)
            split = true;
        else if (k == SCN_F_HEAL)
            split = false;
    }
    return t->quiet_ns > 0 && !split && t->quiet_ns >= 4 * t->suspect_timeout_ns + 200000000 &&
           3 * t->heartbeat_period_ns <= t->suspect_timeout_ns;
}

/* Whether the candidate text parses and keeps what the rule needs. */
static bool shr_valid(const struct shrink *sh, const char *text)
{
    struct scn t;
    if (scn_parse_text(sh->s.file, text, strlen(text), &t, NULL) != 0)
        return false;
    bool ok = !sh->keep_quiet || shr_quiet_ok(&t);
    scn_free(&t);
    return ok;
}

/* Tries candidates 0..n-1 in order, `jobs` at a time; the first that keeps
 * the failure becomes the current state (printed as a step). True if one did. */
static bool shr_first(struct shrink *sh, uint32_t n, shr_make_fn make, void *arg)
{
    uint32_t per = sh->o->jobs < SHR_BATCH_MAX ? sh->o->jobs : SHR_BATCH_MAX;
    for (uint32_t i = 0; i < n && !sh->interrupted && !sh->budget_out; i += per) {
        uint32_t m = n - i < per ? n - i : per;
        for (uint32_t k = 0; k < m; k++) {
            st_copy(sh, &sh->cand[k], &sh->cur);
            sh->valid[k] = make(sh, arg, i + k, &sh->cand[k], sh->desc[k], SHR_DESC_MAX);
            if (!sh->valid[k])
                continue;
            char *text = st_text(sh, &sh->cand[k]);
            sh->valid[k] = shr_valid(sh, text);
            free(text);
        }
        if (!shr_run_batch(sh, m)) {
            sh->interrupted = true;
            return false;
        }
        sh->budget_out = sh->runs >= (sh->o->max_runs ? sh->o->max_runs : 5000);
        for (uint32_t k = 0; k < m; k++) {
            if (!sh->kept[k])
                continue;
            char *text = st_text(sh, &sh->cand[k]);
            uint32_t lines = scn_count_lines(text);
            free(text);
            st_copy(sh, &sh->cur, &sh->cand[k]);
            fprintf(sh->out, "step %u: %s: %u -> %u lines; %s still fails (%u runs so far)\n",
                    ++sh->steps, sh->desc[k], sh->lines, lines, chk_rule_name(sh->target),
                    sh->runs);
            fflush(sh->out);
            sh->lines = lines;
            return true;
        }
    }
    return false;
}

/* ---- the edits ---- */

static const char *unit_name(const struct shrink *sh, enum shr_kind kind, uint32_t u, char *buf,
                             size_t cap)
{
    switch (kind) {
    case SHR_PROC:
        return sh->s.procs[u].name;
    case SHR_GROUP:
        return sh->s.groups[u].name;
    case SHR_FAULT:
        snprintf(buf, cap, "%u", sh->s.faults[u].line);
        return buf;
    case SHR_WORKLOAD:
        snprintf(buf, cap, "%u", sh->s.workloads[u].line);
        return buf;
    default:
        snprintf(buf, cap, "%u", sh->s.relays[u].line);
        return buf;
    }
}

struct ddmin {
    enum shr_kind kind;
    uint32_t *units, n_units, chunks;
};

/* Candidate i of a ddmin level: the i-th of `chunks` chunks removed. */
static bool make_chunk(struct shrink *sh, void *arg, uint32_t i, struct shr_state *st, char *desc,
                       size_t cap)
{
    const struct ddmin *d = arg;
    uint32_t a = (uint32_t)((uint64_t)d->n_units * i / d->chunks);
    uint32_t b = (uint32_t)((uint64_t)d->n_units * (i + 1) / d->chunks);
    if (a == b)
        return false;
    bool by_line = d->kind != SHR_PROC && d->kind != SHR_GROUP;
    size_t at = (size_t)snprintf(desc, cap, "drop %s%s", shr_kind_words[d->kind],
                                 by_line ? " at input line" : "");
    for (uint32_t k = a; k < b; k++) {
        st->drop[d->kind][d->units[k]] = true;
        char num[16];
        if (at < cap - 8 && k - a < 12)
            at += (size_t)snprintf(desc + at, cap - at, "%s%s", k > a ? ", " : " ",
                                   unit_name(sh, d->kind, d->units[k], num, sizeof num));
    }
    if (b - a > 12)
        snprintf(desc + at, cap - at, " and %u more", b - a - 12);
    return true;
}

/* ddmin by removal over the kept units of one kind. True if anything went. */
static bool shr_ddmin(struct shrink *sh, enum shr_kind kind)
{
    struct ddmin d = {.kind = kind, .chunks = 1};
    d.units = malloc((sh->n[kind] + 1) * sizeof *d.units);
    assert(d.units);
    bool any = false;
    for (;;) {
        d.n_units = 0;
        for (uint32_t u = 0; u < sh->n[kind]; u++)
            if (!sh->cur.drop[kind][u])
                d.units[d.n_units++] = u;
        if (d.n_units == 0 || sh->interrupted || sh->budget_out)
            break;
        if (d.chunks > d.n_units)
            d.chunks = d.n_units;
        if (shr_first(sh, d.chunks, make_chunk, &d)) {
            any = true;
            d.chunks = d.chunks > 2 ? d.chunks - 1 : (d.chunks == 2 ? 2 : 1);
            continue;
        }
        if (d.chunks >= d.n_units)
            break;
        d.chunks = d.chunks * 2 < d.n_units ? d.chunks * 2 : d.n_units;
    }
    free(d.units);
    return any;
}

static bool set_is_default(const struct shrink *sh, uint32_t k)
{
    static const char dflt_text[] = "processes p\nrun 1s\n"; /* the parser's defaults */
    struct scn d;
    int rc = scn_parse_text("d.scn", dflt_text, sizeof dflt_text - 1, &d, NULL);
    assert(rc == 0 && k < SCN_SET_N);
    bool same =
        scn_setting_get(&sh->s, (enum scn_set_key)k) == scn_setting_get(&d, (enum scn_set_key)k);
    scn_free(&d);
    return same;
}

static bool make_set(struct shrink *sh, void *arg, uint32_t i, struct shr_state *st, char *desc,
                     size_t cap)
{
    if ((st->reset_sets & (1u << i)) || set_is_default(sh, i))
        return false;
    st->reset_sets |= 1u << i;
    snprintf(desc, cap, "`set %s` back to its default", scn_setting_row((enum scn_set_key)i)->key);
    return true;
}

static bool make_places(struct shrink *sh, void *arg, uint32_t i, struct shr_state *st, char *desc,
                        size_t cap)
{
    bool any = false;
    for (uint32_t p = 0; p < sh->s.n_procs; p++)
        any |= sh->s.procs[p].host[0] != '\0';
    if (st->drop_places || !any)
        return false;
    st->drop_places = true;
    snprintf(desc, cap, "drop the `place` lines");
    return true;
}

/* Candidates 0..6: the active part (before the quiet period) cut to
 * (i+1)/8 of what it is; 7: no quiet period; 8, 9: the quiet period cut to
 * 1/4, 1/2. */
static bool make_shorter(struct shrink *sh, void *arg, uint32_t i, struct shr_state *st, char *desc,
                         size_t cap)
{
    int64_t active = st->run_ns - st->quiet_ns, q = st->quiet_ns;
    char a[48], b[48];
    if (i < 7) {
        int64_t na = active * (int64_t)(i + 1) / 8;
        if (na < 1000000)
            return false;
        st->run_ns = na + q;
        scn_fmt_duration(a, sizeof a, active);
        scn_fmt_duration(b, sizeof b, na);
        snprintf(desc, cap, "shorter run: the part before the quiet period %s -> %s", a, b);
        return true;
    }
    int64_t nq = i == 7 ? 0 : i == 8 ? q / 4 : q / 2;
    if (q <= 0 || (nq < 1000000 && i != 7))
        return false;
    st->quiet_ns = nq;
    st->run_ns = active + nq;
    scn_fmt_duration(a, sizeof a, q);
    scn_fmt_duration(b, sizeof b, nq);
    if (i == 7)
        snprintf(desc, cap, "no quiet period (was %s)", a);
    else
        snprintf(desc, cap, "shorter quiet period %s -> %s", a, b);
    return true;
}

/* Candidate i: the rate of send line i halved (while above 1/s). */
static bool make_rate(struct shrink *sh, void *arg, uint32_t i, struct shr_state *st, char *desc,
                      size_t cap)
{
    const struct scn_workload *w = &sh->s.workloads[i];
    double r = w->rate_per_s * st->rate[i];
    if (st->drop[SHR_WORKLOAD][i] || r / 2 < 1)
        return false;
    st->rate[i] /= 2;
    snprintf(desc, cap, "rate of the `send` line at input line %u halved (%g/s -> %g/s)", w->line,
             r, r / 2);
    return true;
}

/* One round over every kind of edit. True if anything changed. */
static bool shr_round(struct shrink *sh)
{
    bool any = false;
    for (int k = 0; k < SHR_KINDS && !sh->interrupted; k++)
        any |= shr_ddmin(sh, (enum shr_kind)k);
    while (shr_first(sh, SCN_SET_N, make_set, NULL))
        any = true;
    any |= shr_first(sh, 1, make_places, NULL);
    while (shr_first(sh, 10, make_shorter, NULL))
        any = true;
    while (shr_first(sh, sh->n[SHR_WORKLOAD], make_rate, NULL))
        any = true;
    return any && !sh->interrupted && !sh->budget_out;
}

/* ---- the input, the rule, the output ---- */

/* Runs text once (slot 0); fills *r. False if interrupted. */
static bool shr_probe(struct shrink *sh, const char *text, struct rlog *r, int *exit_code)
{
    char path[320];
    snprintf(path, sizeof path, "%s/c0.scn", sh->dir);
    FILE *f = fopen(path, "w");
    assert(f);
    fputs(text, f);
    fclose(f);
    sh->valid[0] = true;
    sh->slot_of[0] = 0;
    sh->n_slots = 1;
    struct job_pool pool = {.jobs = 1,
                            .timeout_s = sh->timeout_s,
                            .self = sh->o->self,
                            .main_fn = sh->o->main_fn,
                            .unit = "runs",
                            .quiet = true,
                            .ctx = sh,
                            .start = shr_start,
                            .finish = shr_finish};
    sh->target = 0;
    if (job_run(&pool, 1) != JOB_DONE)
        return false;
    snprintf(path, sizeof path, "%s/c0.log", sh->dir);
    if (!rlog_read(path, r))
        memset(r, 0, sizeof *r);
    *exit_code = r->ended ? 0 : 2;
    return true;
}

static void failing_list(uint32_t mask, char *buf, size_t cap)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int k = 0; k < CHK_R_COUNT; k++)
        if (mask & (1u << k))
            at += (size_t)snprintf(buf + at, cap - at, "%s%s", at ? ", " : "",
                                   chk_rule_name((enum chk_rule)k));
}

/* Chooses the rule to keep (see shrink.h). 0, or 2 after a message. */
static int shr_choose_rule(struct shrink *sh, const struct rlog *r)
{
    char list[512];
    failing_list(r->failed, list, sizeof list);
    if (!r->failed) {
        fprintf(stderr, "pgroup shrink: nothing to shrink: every rule holds (%s, seed %llu)\n",
                sh->o->path, (unsigned long long)sh->s.seed);
        return 2;
    }
    if (sh->o->rule) {
        int k = chk_rule_parse(sh->o->rule);
        if (k < 0 || !(r->failed & (1u << k))) {
            fprintf(stderr, "pgroup shrink: --rule %s: %s in this run; it fails: %s\n", sh->o->rule,
                    k < 0 ? "no such rule" : "the rule holds", list);
            return 2;
        }
        sh->target = k;
        return 0;
    }
    int k = sh->s.expect == SCN_EXPECT_VIOLATION ? chk_rule_parse(sh->s.expect_rule) : -1;
    sh->target = k >= 0 && (r->failed & (1u << k)) ? k : rlog_first_rule(r->failed);
    return 0;
}

static int shr_write_out(struct shrink *sh)
{
    char *text = st_text(sh, &sh->cur);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", sh->o->out);
    FILE *f = fopen(tmp, "w");
    int rc = 0;
    if (!f) {
        fprintf(stderr, "pgroup shrink: cannot write %s: %s\n", tmp, strerror(errno));
        rc = 2;
    } else {
        fprintf(f,
                "# Shrunk by `pgroup shrink %s --seed %llu` from %u to %u lines: rule %s still "
                "fails.\n# Reproduce: pgroup run %s\n",
                sh->o->path, (unsigned long long)sh->s.seed, sh->lines0, sh->lines,
                chk_rule_name(sh->target), sh->o->out);
        fputs(text, f);
        if (fclose(f) != 0 || rename(tmp, sh->o->out) != 0) {
            fprintf(stderr, "pgroup shrink: cannot write %s: %s\n", sh->o->out, strerror(errno));
            rc = 2;
        }
    }
    free(text);
    return rc;
}

/* The rewritten input (no edit) must fail the same way as the input. */
static int shr_start_search(struct shrink *sh)
{
    struct rlog r;
    int code;
    char *text = st_text(sh, &sh->cur);
    sh->lines0 = sh->lines = scn_count_lines(text);
    bool ok = shr_probe(sh, text, &r, &code);
    free(text);
    if (!ok)
        return 130;
    if (code != 0) {
        fprintf(stderr, "pgroup shrink: %s does not run to its verdict (see `pgroup run %s`)\n",
                sh->o->path, sh->o->path);
        return 2;
    }
    int rc = shr_choose_rule(sh, &r);
    if (rc)
        return rc;
    if (sh->timeout_s <= 0)
        sh->timeout_s = r.wall_s * 10 + 1 > 10 ? r.wall_s * 10 + 1 : 10;
    sh->keep_quiet = sh->target == CHK_R_LIVENESS && shr_quiet_ok(&sh->s);
    char list[512];
    failing_list(r.failed, list, sizeof list);
    fprintf(sh->out, "pgroup shrink %s --seed %llu: %u lines; failing: %s; keeping: %s\n",
            sh->o->path, (unsigned long long)sh->s.seed, sh->lines0, list,
            chk_rule_name(sh->target));
    fflush(sh->out);
    return 0;
}

static int shr_setup(struct shrink *sh)
{
    if (scn_parse(sh->o->path, &sh->s, stderr) != 0)
        return 2;
    if (sh->o->seed_given)
        sh->s.seed = sh->o->seed;
    sh->n[SHR_FAULT] = sh->s.n_faults;
    sh->n[SHR_WORKLOAD] = sh->s.n_workloads;
    sh->n[SHR_RELAY] = sh->s.n_relays;
    sh->n[SHR_GROUP] = sh->s.n_groups;
    sh->n[SHR_PROC] = sh->s.n_procs;
    st_alloc(sh, &sh->cur);
    for (uint32_t k = 0; k < SHR_BATCH_MAX; k++)
        st_alloc(sh, &sh->cand[k]);
    for (uint32_t i = 0; i < sh->s.n_workloads; i++)
        sh->cur.rate[i] = 1;
    sh->cur.run_ns = sh->s.run_ns;
    sh->cur.quiet_ns = sh->s.quiet_ns;
    bool existed = access(sh->o->out, F_OK) == 0;
    FILE *f = fopen(sh->o->out, "a"); /* writable? (checked before any run) */
    if (!f) {
        fprintf(stderr, "pgroup shrink: cannot write %s: %s\n", sh->o->out, strerror(errno));
        return 2;
    }
    fclose(f);
    if (!existed)
        unlink(sh->o->out);
    snprintf(sh->dir, sizeof sh->dir, "/tmp/pgroup-shrink-XXXXXX");
    if (!mkdtemp(sh->dir)) {
        perror("pgroup shrink: mkdtemp");
        return 2;
    }
    return 0;
}

static void shr_cleanup(struct shrink *sh)
{
    if (sh->dir[0]) {
        char path[320];
        for (uint32_t k = 0; k < SHR_BATCH_MAX; k++) {
            snprintf(path, sizeof path, "%s/c%u.scn", sh->dir, k);
            unlink(path);
            snprintf(path, sizeof path, "%s/c%u.log", sh->dir, k);
            unlink(path);
        }
        rmdir(sh->dir);
    }
    if (sh->cur.rate) {
        st_free(&sh->cur);
        for (uint32_t k = 0; k < SHR_BATCH_MAX; k++)
            st_free(&sh->cand[k]);
    }
    scn_free(&sh->s);
}

int shr_run(const struct shr_opts *o, FILE *out)
{
    assert(o && o->path && o->out && o->jobs >= 1 && (o->self || o->main_fn));
    struct shrink *sh = calloc(1, sizeof *sh);
    assert(sh);
    sh->o = o;
    sh->out = out;
    sh->timeout_s = o->timeout_s;
    int rc = shr_setup(sh);
    if (rc == 0)
        rc = shr_start_search(sh);
    if (rc == 0) {
        while (shr_round(sh))
            ;
        rc = shr_write_out(sh);
    }
    if (rc == 0) {
        fprintf(out, "%s after %u runs: %u -> %u lines; %s still fails%s\n",
                sh->interrupted ? "interrupted" : "minimal", sh->runs, sh->lines0, sh->lines,
                chk_rule_name(sh->target), sh->budget_out ? " (stopped at the limit of runs)" : "");
        fprintf(out, "wrote %s\nreproduce with: pgroup run %s --seed %llu\n", o->out, o->out,
                (unsigned long long)sh->s.seed);
        rc = sh->interrupted ? 130 : 0;
    }
    shr_cleanup(sh);
    free(sh);
    return rc;
}
