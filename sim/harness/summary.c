/* sim/harness/summary.c: the closing lines of a run. See summary.h. */
#include "summary.h"

#include <assert.h>
#include <string.h>

void sim_sometimes_count(struct sim_sometimes *s, const char *name)
{
    for (size_t i = 0; i < SIM_SOMETIMES_MAX; i++) {
        if (!s->name[i])
            s->name[i] = name;
        if (s->name[i] == name || !strcmp(s->name[i], name)) {
            s->n[i]++;
            return;
        }
    }
}

void sim_totals_add_node(struct sim_totals *t, struct pg_node *n)
{
    const struct phys_stats *st = phys_stats(pg_node_phys(n));
    t->data_first += st->data_sent;
    t->retransmits += st->retransmits;
    t->acks += st->acks_sent;
    t->heartbeats += st->heartbeats_sent;
    t->header_bytes += st->header_bytes_sent;
    t->garbled_dropped += st->garbled_dropped;
    t->duplicates_dropped += st->duplicates_dropped;
    t->suspicions += st->suspicions;
    const struct pg_stats *ps = pg_stats(pg_node_pg(n));
    t->pg_data += ps->data_sent;
    t->pg_control += ps->control_sent;
    t->pg_stable += ps->stable_msgs_sent;
    t->pg_header_bytes += ps->header_bytes;
    t->pg_delayed += ps->delayed_causal;
    t->pg_delayed_ns += ps->delayed_causal_ns;
    if (ps->delayed_causal_max_ns > t->pg_delayed_max_ns)
        t->pg_delayed_max_ns = ps->delayed_causal_max_ns;
    t->pg_forwarded += ps->forwarded;
    t->pg_dom_delayed += ps->dom_delayed;
    t->pg_dom_delayed_ns += ps->dom_delayed_ns;
    if (ps->dom_delayed_max_ns > t->pg_dom_delayed_max_ns)
        t->pg_dom_delayed_max_ns = ps->dom_delayed_max_ns;
    t->pg_dom_header_bytes += ps->dom_header_bytes;
    t->pg_installs_held += ps->installs_held;
    t->pg_p2p_sent += ps->p2p_sent;
    t->pg_p2p_delivered += ps->p2p_delivered;
    t->pg_abcasts += ps->abcasts;
    t->pg_abcast_delivered += ps->abcast_delivered;
    t->pg_order_records += ps->order_records_sent;
    t->pg_order_carriers += ps->order_carriers;
    t->pg_token_passes += ps->token_passes;
    t->pg_abcast_flush_ordered += ps->abcast_flush_ordered;
    t->pg_order_delay_sum_ns += ps->order_delay_total_ns;
    t->cl_sent += ps->client_sent;
    t->cl_resent += ps->client_resent;
    t->cl_failovers += ps->client_failovers;
    t->cl_diff_delivered += ps->client_diff_delivered;
    t->cl_forwarded += ps->client_forwarded;
    t->cl_stale += ps->client_stale_rejected;
    t->cl_dups += ps->client_dup_dropped;
    t->diffusions += ps->diffusions;
    t->diff_relayed += ps->diffusion_relayed;
    t->diff_gaps += ps->diffusion_gaps;
    if (ps->order_delay_max_ns > t->pg_order_delay_max_ns)
        t->pg_order_delay_max_ns = ps->order_delay_max_ns;
    t->pg_state_sent += ps->state_sent;
    t->pg_state_chunks += ps->state_chunks;
    t->pg_state_received += ps->state_received;
    t->pg_state_failed += ps->state_failed;
}

#define SUM(f) t->f += a->f
#define MAX(f) t->f = a->f > t->f ? a->f : t->f

void sim_totals_add(struct sim_totals *t, const struct sim_totals *a)
{
    SUM(events), SUM(sends), SUM(deliveries), SUM(send_refused);
    SUM(datagrams), SUM(data_first), SUM(retransmits), SUM(acks), SUM(heartbeats);
    SUM(header_bytes), SUM(drop_dead), SUM(drop_partition), SUM(drop_loss), SUM(duplicated);
    SUM(delayed), SUM(garbled_injected), SUM(garbled_dropped), SUM(duplicates_dropped);
    SUM(suspicions), MAX(retained_max);
    SUM(incarnations), SUM(crashes), SUM(faults_applied);
    SUM(views), SUM(exclusions), SUM(joins_refused), MAX(pg_retained_max);
    SUM(flushes_done), SUM(flushes_refused);
    SUM(pg_data), SUM(pg_control), SUM(pg_stable), SUM(pg_header_bytes), SUM(pg_delayed);
    SUM(pg_forwarded), SUM(pg_abcasts), SUM(pg_abcast_delivered), SUM(pg_order_records);
    SUM(pg_order_carriers), SUM(pg_token_passes), SUM(pg_abcast_flush_ordered);
    SUM(pg_order_delay_sum_ns), MAX(pg_order_delay_max_ns);
    for (int o = 0; o < SCN_ORDER_N; o++) {
        SUM(lat_n[o]), SUM(lat_sum_ns[o]), MAX(lat_max_ns[o]);
        SUM(lat_own_n[o]), SUM(lat_own_sum_ns[o]);
    }
    SUM(cl_sent), SUM(cl_resent), SUM(cl_failovers), SUM(cl_diff_delivered), SUM(cl_forwarded);
    SUM(cl_stale), SUM(cl_dups), SUM(diffusions), SUM(diff_relayed), SUM(diff_gaps);
    SUM(pg_delayed_ns), MAX(pg_delayed_max_ns);
    SUM(pg_state_sent), SUM(pg_state_chunks), SUM(pg_state_received), SUM(pg_state_failed);
    SUM(pg_dom_delayed), SUM(pg_dom_delayed_ns), MAX(pg_dom_delayed_max_ns);
    SUM(pg_dom_header_bytes), SUM(pg_installs_held), SUM(pg_p2p_sent), SUM(pg_p2p_delivered);
}

#undef SUM
#undef MAX

/* Delivery latency per ordering, and the abcast counters. */
static void sum_order(const struct sim_totals *t, FILE *out)
{
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

void sim_summary_print(const struct sim_totals *t, bool any_pg, const struct sim_sometimes *st,
                       FILE *out)
{
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
    if (any_pg)
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
    sum_order(t, out);
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
    for (size_t i = 0; i < SIM_SOMETIMES_MAX && st->name[i]; i++)
        fprintf(out, "sometimes: %s (reached at %llu nodes)\n", st->name[i],
                (unsigned long long)st->n[i]);
}

/* The summary counter a `bound` line names. */
static uint64_t sum_bound_value(const struct sim_totals *t, enum scn_bound_key k)
{
    switch (k) {
    case SCN_BOUND_DATAGRAMS:
        return t->datagrams;
    case SCN_BOUND_LINK_RETAINED_MAX:
        return t->retained_max;
    case SCN_BOUND_PG_RETAINED_MAX:
        return t->pg_retained_max;
    case SCN_BOUND_FORWARDED:
        return t->pg_forwarded;
    case SCN_BOUND_CONTROL:
        return t->pg_control;
    default:
        assert(!"sum_bound_value: unknown key");
        return 0;
    }
}

/* Prints each `bound` of the scenario; false if one was exceeded. */
bool sim_bounds_print(const struct scn *s, const struct sim_totals *t, FILE *out)
{
    bool ok = true;
    if (s->n_bounds)
        fprintf(out, "bounds:\n");
    for (uint32_t i = 0; i < s->n_bounds; i++) {
        const struct scn_bound *b = &s->bounds[i];
        uint64_t v = sum_bound_value(t, b->key);
        fprintf(out, "  %s %s %llu <= %llu (line %u)\n", v <= b->max ? "PASS" : "FAIL",
                scn_bound_names[b->key], (unsigned long long)v, (unsigned long long)b->max,
                b->line);
        ok &= v <= b->max;
    }
    return ok;
}
