/* sim/harness/faults.c: the network fault state of a timeline. See faults.h. */
#include "faults.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sim_faults_init(struct sim_faults *nf, uint32_t n_procs)
{
    *nf = (struct sim_faults){.n_procs = n_procs};
    nm_faults_init(&nf->net, n_procs);
    nf->sends_at_split = calloc(n_procs + 1, sizeof *nf->sends_at_split);
    assert(nf->sends_at_split);
}

void sim_faults_free(struct sim_faults *nf)
{
    nm_faults_free(&nf->net);
    free(nf->sends_at_split);
    nf->sends_at_split = NULL;
}

bool sim_fault_is_net(enum scn_fault_kind k)
{
    switch (k) {
    case SCN_F_PARTITION:
    case SCN_F_CUT:
    case SCN_F_ISOLATE:
    case SCN_F_HEAL:
    case SCN_F_LOSS:
    case SCN_F_DUPLICATE:
    case SCN_F_GARBLE:
    case SCN_F_DELAY:
        return true;
    default:
        return false;
    }
}

static void nf_set_drop(struct sim_faults *nf, const uint64_t *proc_sends, uint32_t from,
                        uint32_t to)
{
    if (!nf->net.any_drop && proc_sends) /* a split begins: who sends from now on */
        memcpy(nf->sends_at_split, proc_sends, nf->n_procs * sizeof *proc_sends);
    nm_set_drop(&nf->net, from, to, true);
}

/* At a heal: two processes that could not talk to each other both sent
 * since the split began ("a partition healed with traffic on both sides",
 * a coverage situation of pgroup explore, judged here from the timeline). */
static bool nf_heal_both_sides(const struct sim_faults *nf, const uint64_t *proc_sends)
{
    uint32_t n = nf->n_procs;
    for (uint32_t a = 0; proc_sends && a < n; a++) {
        if (proc_sends[a] == nf->sends_at_split[a])
            continue;
        for (uint32_t b = a + 1; b < n; b++) {
            if (proc_sends[b] == nf->sends_at_split[b] ||
                !(nm_cut(&nf->net, a, b) || nm_cut(&nf->net, b, a)))
                continue;
            return true;
        }
    }
    return false;
}

static void nf_partition(struct sim_faults *nf, const struct scn_fault *f,
                         const uint64_t *proc_sends)
{
    uint32_t n = nf->n_procs;
    static const uint32_t none = UINT32_MAX;
    uint32_t *block_of = malloc(n * sizeof *block_of);
    assert(block_of);
    for (uint32_t i = 0; i < n; i++)
        block_of[i] = none;
    for (uint32_t b = 0; b < f->n_blocks; b++)
        for (uint32_t k = 0; k < f->block_len[b]; k++)
            block_of[f->blocks[b][k]] = b;
    for (uint32_t a = 0; a < n; a++)
        for (uint32_t b = 0; b < n; b++)
            if (block_of[a] != none && block_of[b] != none && block_of[a] != block_of[b])
                nf_set_drop(nf, proc_sends, a, b);
    free(block_of);
}

bool sim_faults_apply(struct sim_faults *nf, const struct scn *s, const struct scn_fault *f,
                      const uint64_t *proc_sends)
{
    assert(nf->n_procs == s->n_procs && sim_fault_is_net(f->kind));
    bool both = false;
    switch (f->kind) {
    case SCN_F_PARTITION:
        nf_partition(nf, f, proc_sends);
        break;
    case SCN_F_CUT:
        nf_set_drop(nf, proc_sends, f->from, f->to);
        if (f->bidir)
            nf_set_drop(nf, proc_sends, f->to, f->from);
        break;
    case SCN_F_ISOLATE:
        for (uint32_t q = 0; q < nf->n_procs; q++) {
            if (q == f->proc)
                continue;
            nf_set_drop(nf, proc_sends, f->proc, q);
            nf_set_drop(nf, proc_sends, q, f->proc);
        }
        break;
    case SCN_F_HEAL:
        both = nf->net.any_drop && nf_heal_both_sides(nf, proc_sends);
        nm_heal(&nf->net);
        break;
    case SCN_F_LOSS:
        nf->net.loss = f->prob;
        break;
    case SCN_F_DUPLICATE:
        nf->net.dup = f->prob;
        break;
    case SCN_F_GARBLE:
        nf->net.garble = f->prob;
        break;
    case SCN_F_DELAY:
        nf->net.delay_ns = f->delay_ns;
        nf->net.jitter_ns = f->jitter_ns;
        break;
    default:
        assert(!"not a network fault");
    }
    return both;
}

/* Appends `text` to the JSON of a fault's details at buf[*at], growing buf. */
static void nf_append(char **buf, size_t *cap, size_t *at, const char *text)
{
    size_t n = strlen(text);
    if (*at + n + 1 > *cap) {
        *cap = 2 * (*at + n + 1);
        *buf = realloc(*buf, *cap);
        assert(*buf);
    }
    memcpy(*buf + *at, text, n + 1);
    *at += n;
}

/* Every name of every block: the trace must say which partition was applied. */
static char *nf_blocks_json(const struct scn *s, const struct scn_fault *f)
{
    char *extra = NULL;
    size_t cap = 0, at = 0;
    nf_append(&extra, &cap, &at, "\"blocks\":[");
    for (uint32_t b = 0; b < f->n_blocks; b++) {
        nf_append(&extra, &cap, &at, b ? ",[" : "[");
        for (uint32_t k = 0; k < f->block_len[b]; k++) {
            char item[SCN_NAME_MAX + 8];
            snprintf(item, sizeof item, "%s\"%s\"", k ? "," : "", s->procs[f->blocks[b][k]].name);
            nf_append(&extra, &cap, &at, item);
        }
        nf_append(&extra, &cap, &at, "]");
    }
    nf_append(&extra, &cap, &at, "]");
    return extra;
}

static char *nf_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *nf_printf(const char *fmt, ...)
{
    char buf[4 * SCN_NAME_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    assert(n > 0 && (size_t)n < sizeof buf);
    char *out = strdup(buf);
    assert(out);
    return out;
}

const char *sim_fault_event(const struct scn *s, const struct scn_fault *f, char **extra)
{
    *extra = NULL;
    switch (f->kind) {
    case SCN_F_PARTITION:
        *extra = nf_blocks_json(s, f);
        return "partition";
    case SCN_F_CUT:
        *extra = nf_printf("\"src\":\"%s\",\"dst\":\"%s\",\"both\":%s", s->procs[f->from].name,
                           s->procs[f->to].name, f->bidir ? "true" : "false");
        return "cut";
    case SCN_F_ISOLATE:
        *extra = nf_printf("\"proc\":\"%s\"", s->procs[f->proc].name);
        return "isolate";
    case SCN_F_HEAL:
        return "heal";
    case SCN_F_LOSS:
    case SCN_F_DUPLICATE:
    case SCN_F_GARBLE:
        *extra = nf_printf("\"p\":%.6f", f->prob);
        return f->kind == SCN_F_LOSS ? "loss" : f->kind == SCN_F_DUPLICATE ? "duplicate" : "garble";
    case SCN_F_DELAY:
        *extra = nf_printf("\"delay_s\":%.9f,\"jitter_s\":%.9f", (double)f->delay_ns / 1e9,
                           (double)f->jitter_ns / 1e9);
        return "delay";
    case SCN_F_SABOTAGE:
        *extra = nf_printf("\"proc\":\"%s\",\"what\":\"%s\"", s->procs[f->proc].name,
                           scn_sabotage_name(f->sabotage));
        return "sabotage";
    case SCN_F_JOIN:
    case SCN_F_LEAVE:
        *extra = nf_printf("\"proc\":\"%s\",\"group\":\"%s\"", s->procs[f->proc].name,
                           s->groups[f->group].name);
        return f->kind == SCN_F_JOIN ? "join" : "leave";
    case SCN_F_HIER_MOVE:
        *extra = nf_printf("\"range\":\"%u\",\"to\":\"%s\"", f->from, s->groups[f->to].name);
        return "hier-move";
    case SCN_F_HIER_REBALANCE:
        return "hier-rebalance";
    case SCN_F_CRASH:
    case SCN_F_RESTART:
    case SCN_F_FLUSH:
        return NULL;
    default:
        assert(!"unknown fault kind");
        return NULL;
    }
}

int sim_fault_emit(const struct scn *s, const struct scn_fault *f, sim_emit_fn emit, void *ctx)
{
    char *extra;
    const char *kind = sim_fault_event(s, f, &extra);
    if (kind) {
        struct chk_event e = {.ev = CHK_EV_FAULT, .ev_name = "fault", .view = -1};
        e.kind = kind;
        e.extra_json = extra && extra[0] ? extra : NULL;
        emit(ctx, &e);
    }
    free(extra);
    return kind != NULL;
}

void sim_domain_emit(const struct scn *s, sim_emit_fn emit, void *ctx)
{
    for (uint32_t g = 0; s->n_domains > 1 && g < s->n_groups; g++) {
        if (!s->groups[g].pg)
            continue;
        struct chk_event e = {.ev = CHK_EV_DOMAIN, .ev_name = "domain", .view = -1};
        e.group = s->groups[g].name;
        e.domain = s->domains[s->groups[g].domain];
        emit(ctx, &e);
    }
}
