/* sim/scenario/scenario_write.c: a parsed scenario written back as scenario text,
 * optionally with parts left out (pgroup shrink). See scn_write in
 * scenario.h.
 *
 * The text is canonical: commands in a fixed order (name, seed, platform,
 * set, processes, place, group, domain, send, relay, at, run, quiet, expect),
 * processes as ranges where they are consecutive, values in the units the
 * parser reads back exactly (durations by scn_fmt_duration, rates and
 * percentages as decimals of at most 9 places, bandwidths in Bps). Faults
 * keep the parsed order (sorted by time, stable), so their order at one
 * instant is kept. Options equal to their default are not written.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

struct wr {
    const struct scn *s;
    const struct scn_edit *e;
    FILE *f;
    struct scn dflt;   /* the defaults: the parse of "run 1s" */
    int64_t run_ns;    /* after the edit */
    int64_t quiet_ns;  /* after the edit (0: none) */
    uint32_t *scratch; /* n_procs + 1 */
    bool *down;        /* per process, while writing faults: crashed */
    bool *group_gone;  /* per group: dropped or left without members */
};

static bool proc_kept(const struct wr *w, uint32_t p)
{
    return !(w->e && w->e->drop_proc && w->e->drop_proc[p]);
}

static bool group_kept(const struct wr *w, uint32_t g)
{
    return !w->group_gone[g];
}

/* A decimal without exponent, at most 9 places, trailing zeros removed. */
static void fmt_decimal(char *buf, size_t cap, double v)
{
    snprintf(buf, cap, "%.9f", v);
    char *dot = strchr(buf, '.');
    if (!dot)
        return;
    char *e = buf + strlen(buf);
    while (e > dot + 1 && e[-1] == '0')
        *--e = '\0';
    if (e == dot + 1)
        *dot = '\0';
}

/* Writes the kept processes of list idx[0..n-1]; returns how many. */
static uint32_t put_names(struct wr *w, const uint32_t *idx, uint32_t n)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (proc_kept(w, idx[i]))
            w->scratch[k++] = idx[i];
    if (k > 0)
        scn_print_names(w->f, w->s, w->scratch, k);
    return k;
}

static uint32_t count_kept(const struct wr *w, const uint32_t *idx, uint32_t n)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        k += proc_kept(w, idx[i]);
    return k;
}

static void put_dur(FILE *f, const char *before, int64_t ns)
{
    char d[48];
    scn_fmt_duration(d, sizeof d, ns);
    fprintf(f, "%s%s", before, d);
}

/* ---- head: name, seed, platform, set ---- */

static void write_settings(struct wr *w)
{
    const struct scn *s = w->s, *d = &w->dflt;
    uint32_t reset = w->e ? w->e->reset_sets : 0;
    for (unsigned k = 0; k < SCN_SET_N; k++) {
        enum scn_set_key key = (enum scn_set_key)k;
        if (scn_setting_get(s, key) == scn_setting_get(d, key) || (reset & (1u << k)))
            continue;
        char v[48];
        scn_setting_text(s, key, v, sizeof v);
        fprintf(w->f, "set %s %s\n", scn_setting_row(key)->key, v);
    }
}

static void write_head(struct wr *w)
{
    const struct scn *s = w->s;
    fprintf(w->f, "name %s\nseed %llu\n", s->name, (unsigned long long)s->seed);
    if (s->platform_file[0]) {
        char *abs = realpath(s->platform_file, NULL); /* the text may be written elsewhere */
        fprintf(w->f, "platform file %s\n", abs ? abs : s->platform_file);
        free(abs);
    } else if (s->cluster_latency_ns != w->dflt.cluster_latency_ns ||
               s->cluster_bandwidth_Bps != w->dflt.cluster_bandwidth_Bps) {
        char b[64];
        fmt_decimal(b, sizeof b, s->cluster_bandwidth_Bps);
        put_dur(w->f, "platform cluster latency ", s->cluster_latency_ns);
        fprintf(w->f, " bandwidth %sBps\n", b);
    }
    write_settings(w);
}

/* ---- processes, groups, domains ---- */

static void write_procs(struct wr *w)
{
    const struct scn *s = w->s;
    uint32_t *all = malloc((s->n_procs + 1) * sizeof *all);
    assert(all);
    for (uint32_t i = 0; i < s->n_procs; i++)
        all[i] = i;
    if (count_kept(w, all, s->n_procs) > 0) {
        fprintf(w->f, "processes ");
        put_names(w, all, s->n_procs);
        fputc('\n', w->f);
    }
    free(all);
    for (uint32_t i = 0; i < s->n_procs && !(w->e && w->e->drop_places); i++)
        if (s->procs[i].host[0] && proc_kept(w, i))
            fprintf(w->f, "place %s %s\n", s->procs[i].name, s->procs[i].host);
}

static void write_groups(struct wr *w)
{
    const struct scn *s = w->s;
    for (uint32_t g = 0; g < s->n_groups; g++) {
        const struct scn_group *gr = &s->groups[g];
        if (!group_kept(w, g))
            continue;
        fprintf(w->f, "group %s ", gr->name);
        put_names(w, gr->members, gr->n_members);
        if (count_kept(w, gr->clients, gr->n_clients) > 0) {
            fprintf(w->f, " %s ", gr->clients_in_view ? "clients-in-view" : "clients");
            put_names(w, gr->clients, gr->n_clients);
        }
        fputc('\n', w->f);
    }
    for (uint32_t d = 1; d < s->n_domains; d++) {
        bool any = false;
        for (uint32_t g = 0; g < s->n_groups; g++) {
            if (s->groups[g].domain != d || !group_kept(w, g))
                continue;
            if (!any)
                fprintf(w->f, "domain %s", s->domains[d]);
            fprintf(w->f, " %s", s->groups[g].name);
            any = true;
        }
        if (any)
            fputc('\n', w->f);
    }
}

/* ---- sends and relays ---- */

/* The end of the traffic: the quiet start, or the end of the run. */
static int64_t traffic_end(const struct wr *w)
{
    return w->run_ns - w->quiet_ns;
}

static void write_send_opts(struct wr *w, uint32_t i, const struct scn_workload *wl, int64_t stop)
{
    const struct scn_edit *e = w->e;
    double rate = wl->rate_per_s;
    if (e && e->rate_scale && e->rate_scale[i] > 0)
        rate *= e->rate_scale[i];
    uint32_t size = e && e->size && e->size[i] ? e->size[i] : wl->size_bytes;
    if (wl->group != SCN_NO_GROUP && wl->order != SCN_ORDER_FIFO)
        fprintf(w->f, " order %s", scn_order_name(wl->order));
    if (rate != 10) {
        char r[64];
        fmt_decimal(r, sizeof r, rate);
        fprintf(w->f, " rate %s/s", r);
    }
    if (size != 64)
        fprintf(w->f, " size %uB", size);
    if (wl->start_ns != 0)
        put_dur(w->f, " start ", wl->start_ns);
    if (stop != traffic_end(w))
        put_dur(w->f, " stop ", stop);
    if (wl->group == SCN_NO_GROUP && wl->domain != 0)
        fprintf(w->f, " domain %s", w->s->domains[wl->domain]);
}

static void write_sends(struct wr *w)
{
    const struct scn *s = w->s;
    const struct scn_edit *e = w->e;
    for (uint32_t i = 0; i < s->n_workloads; i++) {
        const struct scn_workload *wl = &s->workloads[i];
        int64_t stop = wl->stop_ns < traffic_end(w) ? wl->stop_ns : traffic_end(w);
        bool gone = wl->group == SCN_NO_GROUP ? !proc_kept(w, wl->to) : !group_kept(w, wl->group);
        if ((e && e->drop_workload && e->drop_workload[i]) || gone || wl->start_ns >= stop ||
            count_kept(w, wl->senders, wl->n_senders) == 0)
            continue;
        fprintf(w->f, "send ");
        put_names(w, wl->senders, wl->n_senders);
        if (wl->group == SCN_NO_GROUP)
            fprintf(w->f, " to %s", s->procs[wl->to].name);
        else
            fprintf(w->f, " group %s", s->groups[wl->group].name);
        write_send_opts(w, i, wl, stop);
        fputc('\n', w->f);
    }
}

static void write_relays(struct wr *w)
{
    const struct scn *s = w->s;
    for (uint32_t i = 0; i < s->n_relays; i++) {
        const struct scn_relay *r = &s->relays[i];
        bool gone = !proc_kept(w, r->proc) ||
                    (r->from != SCN_NO_GROUP && !group_kept(w, r->from)) ||
                    (r->to_proc ? !proc_kept(w, r->to) : !group_kept(w, r->to));
        if ((w->e && w->e->drop_relay && w->e->drop_relay[i]) || gone)
            continue;
        fprintf(w->f, "relay %s from %s to %s", s->procs[r->proc].name,
                r->from == SCN_NO_GROUP ? "p2p" : s->groups[r->from].name,
                r->to_proc ? s->procs[r->to].name : s->groups[r->to].name);
        if (!r->to_proc && r->order != SCN_ORDER_CBCAST)
            fprintf(w->f, " order %s", scn_order_name(r->order));
        if (r->size_bytes != 64)
            fprintf(w->f, " size %uB", r->size_bytes);
        if (r->hops != 8)
            fprintf(w->f, " hops %u", r->hops);
        fputc('\n', w->f);
    }
}

/* ---- the timeline ---- */

static const char *const fault_kw[] = {
    [SCN_F_CRASH] = "crash",         [SCN_F_RESTART] = "restart",
    [SCN_F_PARTITION] = "partition", [SCN_F_CUT] = "cut",
    [SCN_F_ISOLATE] = "isolate",     [SCN_F_HEAL] = "heal",
    [SCN_F_LOSS] = "loss",           [SCN_F_DUPLICATE] = "duplicate",
    [SCN_F_DELAY] = "delay",         [SCN_F_GARBLE] = "garble",
    [SCN_F_SABOTAGE] = "sabotage",   [SCN_F_JOIN] = "join",
    [SCN_F_LEAVE] = "leave",         [SCN_F_FLUSH] = "flush",
    [SCN_F_HIER_MOVE] = "hier-move", [SCN_F_HIER_REBALANCE] = "hier-rebalance",
};

/* The hierarchical group is written when its root and every subgroup are kept. */
static bool hier_kept(const struct wr *w)
{
    const struct scn_hier *h = &w->s->hier;
    if (!h->on || !group_kept(w, h->root))
        return false;
    for (uint32_t k = 0; k < h->n_sub; k++)
        if (!group_kept(w, h->subs[k]))
            return false;
    return true;
}

static void put_rate(struct wr *w, double rate, int64_t start, int64_t stop)
{
    char v[64];
    fmt_decimal(v, sizeof v, rate);
    fprintf(w->f, " rate %s/s", v);
    put_dur(w->f, " start ", start);
    put_dur(w->f, " stop ", stop);
}

static void write_hier(struct wr *w)
{
    const struct scn *s = w->s;
    const struct scn_hier *h = &s->hier;
    if (!hier_kept(w))
        return;
    fprintf(w->f, "hier %s root %s subgroups", h->name, s->groups[h->root].name);
    for (uint32_t k = 0; k < h->n_sub; k++)
        fprintf(w->f, " %s", s->groups[h->subs[k]].name);
    if (h->n_keys != 64)
        fprintf(w->f, " keys %u", h->n_keys);
    if (h->n_ranges != 8)
        fprintf(w->f, " ranges %u", h->n_ranges);
    fprintf(w->f, "%s\n", h->hash_policy ? " policy hash" : "");
    if (count_kept(w, h->clients, h->n_clients) > 0) {
        fprintf(w->f, "hier-clients %s ", h->name);
        put_names(w, h->clients, h->n_clients);
        if (h->stagger_ns)
            put_dur(w->f, " stagger ", h->stagger_ns);
        fputc('\n', w->f);
    }
    if (h->requests) {
        fprintf(w->f, "hier-requests %s", h->name);
        put_rate(w, h->req_rate_per_s, h->req_start_ns, h->req_stop_ns);
        fputc('\n', w->f);
    }
    for (uint32_t i = 0; i < h->n_mcast; i++) {
        const struct scn_hier_mcast *m = &h->mcast[i];
        if (count_kept(w, m->senders, m->n_senders) == 0)
            continue;
        fprintf(w->f, "hier-mcast %s ", h->name);
        put_names(w, m->senders, m->n_senders);
        fprintf(w->f, " order %s", m->global ? "global" : "local");
        put_rate(w, m->rate_per_s, m->start_ns, m->stop_ns);
        fputc('\n', w->f);
    }
}

/* Blocks of a partition that keep a process; false if fewer than 2. */
static bool partition_kept(const struct wr *w, const struct scn_fault *f)
{
    uint32_t n = 0;
    for (uint32_t b = 0; b < f->n_blocks; b++)
        n += count_kept(w, f->blocks[b], f->block_len[b]) > 0;
    return n >= 2;
}

/* Whether fault f can be written (its names kept, crash/restart consistent). */
static bool fault_kept(struct wr *w, uint32_t i, const struct scn_fault *f)
{
    if (w->e && w->e->drop_fault && w->e->drop_fault[i])
        return false;
    int64_t end = w->quiet_ns > 0 ? traffic_end(w) - 1 : w->run_ns;
    if (f->at_ns > end)
        return false;
    switch (f->kind) {
    case SCN_F_CRASH:
    case SCN_F_RESTART:
        if (!proc_kept(w, f->proc) || w->down[f->proc] != (f->kind == SCN_F_RESTART))
            return false;
        w->down[f->proc] = f->kind == SCN_F_CRASH;
        return true;
    case SCN_F_ISOLATE:
    case SCN_F_SABOTAGE:
        return proc_kept(w, f->proc);
    case SCN_F_JOIN:
    case SCN_F_LEAVE:
    case SCN_F_FLUSH:
        return proc_kept(w, f->proc) && group_kept(w, f->group);
    case SCN_F_CUT:
        return proc_kept(w, f->from) && proc_kept(w, f->to);
    case SCN_F_PARTITION:
        return partition_kept(w, f);
    case SCN_F_HIER_MOVE:
    case SCN_F_HIER_REBALANCE:
        return hier_kept(w);
    default:
        return true;
    }
}

static void write_fault_args(struct wr *w, const struct scn_fault *f)
{
    const struct scn *s = w->s;
    char v[64];
    switch (f->kind) {
    case SCN_F_PARTITION:
        for (uint32_t b = 0, k = 0; b < f->n_blocks; b++) {
            if (count_kept(w, f->blocks[b], f->block_len[b]) == 0)
                continue;
            fprintf(w->f, "%s", k++ ? " | " : " ");
            put_names(w, f->blocks[b], f->block_len[b]);
        }
        break;
    case SCN_F_CUT:
        fprintf(w->f, " %s %s %s", s->procs[f->from].name, f->bidir ? "<->" : "->",
                s->procs[f->to].name);
        break;
    case SCN_F_LOSS:
    case SCN_F_DUPLICATE:
    case SCN_F_GARBLE:
        fmt_decimal(v, sizeof v, f->prob * 100);
        fprintf(w->f, " %s%%", v);
        break;
    case SCN_F_DELAY:
        put_dur(w->f, " ", f->delay_ns);
        if (f->jitter_ns)
            put_dur(w->f, " jitter ", f->jitter_ns);
        break;
    case SCN_F_SABOTAGE:
        fprintf(w->f, " %s %s", scn_sabotage_name(f->sabotage), s->procs[f->proc].name);
        break;
    case SCN_F_JOIN:
    case SCN_F_LEAVE:
    case SCN_F_FLUSH:
        fprintf(w->f, " %s %s", s->procs[f->proc].name, s->groups[f->group].name);
        break;
    case SCN_F_HEAL:
        break;
    case SCN_F_HIER_MOVE:
        fprintf(w->f, " %s %u %s", s->hier.name, f->from, s->groups[f->to].name);
        break;
    case SCN_F_HIER_REBALANCE:
        fprintf(w->f, " %s", s->hier.name);
        break;
    default: /* crash, restart, isolate */
        fprintf(w->f, " %s", s->procs[f->proc].name);
        break;
    }
}

static void write_faults(struct wr *w)
{
    const struct scn *s = w->s;
    for (uint32_t i = 0; i < s->n_faults; i++) {
        const struct scn_fault *f = &s->faults[i];
        if (!fault_kept(w, i, f))
            continue;
        put_dur(w->f, "at ", f->at_ns);
        fprintf(w->f, " %s", fault_kw[f->kind]);
        write_fault_args(w, f);
        fputc('\n', w->f);
    }
}

static void write_tail(struct wr *w)
{
    put_dur(w->f, "run ", w->run_ns);
    fputc('\n', w->f);
    if (w->quiet_ns > 0) {
        put_dur(w->f, "quiet ", w->quiet_ns);
        fputc('\n', w->f);
    }
    if (w->s->expect == SCN_EXPECT_VIOLATION)
        fprintf(w->f, "expect violation %s\n", w->s->expect_rule);
    for (uint32_t i = 0; i < w->s->n_bounds; i++)
        fprintf(w->f, "bound %s %llu\n", scn_bound_names[w->s->bounds[i].key],
                (unsigned long long)w->s->bounds[i].max);
}

/* Groups left out: dropped, or without a kept member. */
static void mark_groups(struct wr *w)
{
    for (uint32_t g = 0; g < w->s->n_groups; g++) {
        const struct scn_group *gr = &w->s->groups[g];
        w->group_gone[g] = (w->e && w->e->drop_group && w->e->drop_group[g]) ||
                           count_kept(w, gr->members, gr->n_members) == 0;
    }
}

char *scn_write(const struct scn *s, const struct scn_edit *e, size_t *len)
{
    struct wr w = {.s = s, .e = e, .run_ns = s->run_ns, .quiet_ns = s->quiet_ns};
    static const char dflt_text[] = "processes p\nrun 1s\n"; /* the parser's defaults */
    int rc = scn_parse_text("defaults.scn", dflt_text, sizeof dflt_text - 1, &w.dflt, NULL);
    assert(rc == 0);
    if (e && e->run_ns > 0) {
        w.run_ns = e->run_ns;
        w.quiet_ns = e->quiet_ns < 0 ? 0 : e->quiet_ns;
        assert(w.quiet_ns < w.run_ns);
    }
    w.scratch = malloc((s->n_procs + 1) * sizeof *w.scratch);
    w.down = calloc(s->n_procs + 1, sizeof *w.down);
    w.group_gone = calloc(s->n_groups + 1, sizeof *w.group_gone);
    assert(w.scratch && w.down && w.group_gone);
    char *text = NULL;
    size_t n = 0;
    w.f = open_memstream(&text, &n);
    assert(w.f);
    mark_groups(&w);
    write_head(&w);
    write_procs(&w);
    write_groups(&w);
    write_sends(&w);
    write_relays(&w);
    write_hier(&w);
    write_faults(&w);
    write_tail(&w);
    fclose(w.f);
    free(w.scratch);
    free(w.down);
    free(w.group_gone);
    scn_free(&w.dflt);
    if (len)
        *len = n;
    return text;
}

uint32_t scn_count_lines(const char *text)
{
    uint32_t n = 0;
    for (const char *l = text; *l;) {
        const char *nl = strchr(l, '\n');
        size_t k = nl ? (size_t)(nl - l) : strlen(l);
        size_t i = 0;
        while (i < k && (l[i] == ' ' || l[i] == '\t' || l[i] == '\r'))
            i++;
        n += i < k && l[i] != '#';
        l += k + (nl != NULL);
    }
    return n;
}
