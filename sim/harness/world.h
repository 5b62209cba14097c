/* sim/harness/world.h: the simulated world that drives core/ on SimGrid.
 *
 * Owns: the incarnations (one SimGrid actor and one core node each), the
 * implementation of core/include/link/env.h over SimGrid (clock, timers, datagrams, random
 * streams, trace sink), the point where each datagram meets the network's
 * faults (their model is sim/common/netmodel.h, the timeline's state of them
 * faults.h; a crash is an incarnation's), the trace writer and the online
 * checker. The timeline is timeline.c's, a run's setup and summary run.c's.
 * The actor loop only translates between SimGrid and the node's inputs; it
 * holds no protocol logic.
 *
 * SimGrid facts this module is built around (3.32, measured here):
 * - mailboxes are made eager with sg_mailbox_set_receiver, else a burst is
 *   serialised into rendezvous;
 * - a send is a put_async kept by its actor and reaped once finished, not a
 *   detached comm (O(B^2) for a burst of B in 3.32): see sg_rx.h, sg_tx;
 * - traffic to a dead incarnation is dropped here, before SimGrid sees it;
 * - a timed-out wait in the C API releases the comm: see sg_rx.h;
 * - the network model is CM02 (LV08 would multiply latency by 13.01);
 * - contexts are never parallel (runs would not be reproducible).
 */
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "chk.h"
#include "env.h"
#include "scenario.h"

struct sim_opts {
    const char *prog; /* argv[0] as invoked, for the commands a run prints; NULL: "pgroup" */
    uint64_t seed;
    bool seed_given;          /* --seed overrides the scenario's */
    const char *trace_path;   /* --trace FILE, or NULL */
    bool quiet;               /* --quiet: no resolved-configuration print */
    int64_t run_ns;           /* --until T overrides `run` (0: keep) — not used by scenarios */
    const char *metrics_path; /* --metrics FILE (sim/harness/metrics.h), or NULL */
    const char *latency_csv;  /* --latency-csv FILE, or NULL */
};

/* Totals gathered at the end of a run (for the summary and the benchmark). */
struct sim_totals {
    double sim_s, wall_s;
    uint64_t peak_rss_kib; /* the process's peak resident memory (getrusage), at the end */
    uint64_t events, sends, deliveries, send_refused;
    uint64_t datagrams, data_first, retransmits, acks, heartbeats, header_bytes;
    uint64_t drop_dead, drop_partition, drop_loss, duplicated, delayed, garbled_injected;
    uint64_t garbled_dropped, duplicates_dropped, suspicions, retained_max;
    uint32_t incarnations, crashes, faults_applied;
    uint64_t views, exclusions, joins_refused, pg_retained_max; /* process-group layer */
    uint64_t flushes_done, flushes_refused;                     /* `at T flush P G` */
    uint64_t pg_data, pg_control, pg_stable, pg_header_bytes, pg_delayed, pg_forwarded;
    /* abcast (sums of struct pg_stats) */
    uint64_t pg_abcasts, pg_abcast_delivered, pg_order_records, pg_order_carriers;
    uint64_t pg_token_passes, pg_abcast_flush_ordered, pg_order_delay_sum_ns, pg_order_delay_max_ns;
    /* send -> delivery latency per ordering (enum scn_order), all deliveries and own ones */
    uint64_t lat_n[SCN_ORDER_N], lat_sum_ns[SCN_ORDER_N], lat_max_ns[SCN_ORDER_N];
    uint64_t lat_own_n[SCN_ORDER_N], lat_own_sum_ns[SCN_ORDER_N];
    /* clients and diffusion (sums of struct pg_stats) */
    uint64_t cl_sent, cl_resent, cl_failovers, cl_diff_delivered, cl_forwarded, cl_stale;
    uint64_t cl_dups, diffusions, diff_relayed, diff_gaps;
    uint64_t pg_delayed_ns, pg_delayed_max_ns; /* causal waits: total, longest */
    /* state transfer to joiners (sums of struct pg_stats) */
    uint64_t pg_state_sent, pg_state_chunks, pg_state_received, pg_state_failed;
    /* causality domains and p2p (sums of struct pg_stats) */
    uint64_t pg_dom_delayed, pg_dom_delayed_ns, pg_dom_delayed_max_ns, pg_dom_header_bytes;
    uint64_t pg_installs_held, pg_p2p_sent, pg_p2p_delivered;
};

/* Runs scenario `s` with `o`. Prints the resolved configuration, the summary
 * and the verdict to `out`. Returns the exit status of `pgroup run`: 0 when
 * every rule holds or the expected violation happened, 1 otherwise. */
int sim_run(const struct scn *s, const struct sim_opts *o, FILE *out, struct sim_totals *totals);

#endif
