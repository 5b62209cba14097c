/* sim/harness/metrics.h: the measurements of one run, for `pgroup run --metrics FILE`
 * and `pgroup sweep`.
 *
 * Owns: the per-run metrics (latency send -> delivery in simulated time,
 * throughput, network datagrams and header bytes per multicast, retention
 * high-water marks, causal delays, view-change cost after a crash) and the two
 * files they are written to: the metrics file (key=value lines, below) and the
 * optional per-delivery latency dump (CSV). It judges nothing: the checkers do.
 *
 * Fed by small hooks in the driver: app.c reports every send and delivery with
 * ids (not strings, this is the per-delivery path), world.c every trace event
 * (crash, suspect, view) and the retention after every input, run.c the totals
 * at the end. With no --metrics nor --latency-csv the world has no metrics
 * object and the hooks cost one NULL test.
 *
 * Metrics file: one `key=value` per line, keys in a fixed order, numbers in C
 * locale (%.6f or integers), so the same scenario and seed give the same file
 * except for `wall_s`. Keys (all times simulated unless said otherwise):
 *   layer              pg (process-group layer) or link (link-level fifo groups)
 *   exit, verdict      the run's exit status (0 pass, 1 a rule failed) and PASS/FAIL
 *   sends, deliveries  application multicasts and deliveries (own included)
 *   remote_deliveries  deliveries at a member other than the sender
 *   latency_p50_ms, latency_p99_ms, latency_mean_ms, latency_max_ms
 *                      send -> delivery over remote deliveries only: the
 *                      sender's own delivery happens inside the multicast call
 *                      (latency 0) and is excluded. Percentiles: nearest rank.
 *   latency_samples_dropped  remote deliveries beyond SIM_METRICS_MAX_SAMPLES
 *                      (not in the percentiles; the mean counts them)
 *   throughput_msgs_per_s    deliveries (own included) / members / (last
 *                      delivery - first send): deliveries per simulated second
 *                      per member
 *   net_msgs_per_mcast datagrams put on the network (data, retransmissions,
 *                      acks, heartbeats, pg control and stability) / multicasts
 *   header_bytes_per_msg     pg layer: pg header bytes (type, view, sender,
 *                      vector timestamp) of each DATA message / DATA messages;
 *                      link layer: every non-payload link byte (DATA headers to
 *                      each destination, acks, heartbeats) / multicasts
 *   link_header_bytes_per_mcast  every non-payload link byte / multicasts (both layers)
 *   stable_msgs_per_mcast    standalone pg STABLE messages / multicasts
 *   control_msgs      pg control messages (FLUSH, FLUSH_OK, ACK, NEED, REQ)
 *   retained_msgs_max  max over nodes and time of the messages a node retains:
 *                      pg layer pg_retained() (unstable or not yet deliverable),
 *                      link layer phys_retained() (unacknowledged); sampled
 *                      after every input of every node
 *   link_retained_max  the same for phys_retained() in both layers
 *   delayed_causal, delayed_fraction   messages delayed by the causal rule
 *                      (arrived before a message they depend on), and that
 *                      count / remote deliveries
 *   delayed_mean_ms, delayed_max_ms    how long they waited (arrival to delivery)
 *   delayed_domain, delayed_domain_mean_ms, delayed_domain_max_ms   messages that
 *                      waited for a cross-group timestamp (pg_domain.c), how long
 *   dom_bytes_per_msg  cross-group timestamp bytes per DATA or p2p message sent
 *   installs_postponed view installs postponed by a cross-group timestamp
 *   group.G.deliveries, group.G.latency_mean_ms, group.G.latency_max_ms
 *                      remote deliveries of group G (p2p: G = p2p) and their
 *                      send -> delivery latency
 *   crashes            crash events; for each crash K (0-based, at most
 *                      SIM_METRICS_MAX_CRASHES): crash.K.node, crash.K.t_s,
 *                      crash.K.suspect_s (first suspicion of it, -1 if none),
 *                      crash.K.view_s (the last install, by a live member, of
 *                      the first view of its group without it; -1 if none),
 *                      crash.K.flush_start_s (when the coordinator of that view
 *                      suspected it, starting the flush; the first suspicion if
 *                      it never did)
 *   view_changes       crashes with a complete record (suspected and a view installed)
 *   flush_ms           mean over them of view_s - flush_start_s: the view change
 *                      proper (flush, decision, install at the last member)
 *   view_change_ms     mean of view_s - t_s: the same plus failure detection
 *   sim_s, sim_events  simulated duration, trace events (header excluded)
 *   wall_s             wall-clock seconds of the simulation (not deterministic)
 *   peak_rss_mib       peak resident memory of the whole process, MiB (getrusage; not
 * deterministic)
 *
 * Latency dump (--latency-csv FILE): header
 * `t_send_s,t_deliver_s,latency_ms,order,from,to`, one line per remote delivery.
 */
#ifndef SIM_METRICS_H
#define SIM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chk.h"
#include "env.h"
#include "scenario.h"

#define SIM_METRICS_MAX_SAMPLES (1u << 24) /* latency samples kept for percentiles */
#define SIM_METRICS_MAX_SEQ     (1u << 24) /* multicasts tracked per incarnation */
#define SIM_METRICS_MAX_INCS    65536u     /* incarnations tracked */
#define SIM_METRICS_MAX_CRASHES 64u

struct sim_metrics;
struct sim_totals;

/* A new collector for scenario `s` (which must outlive it). `latency_csv`:
 * path of the per-delivery dump, or NULL. Returns NULL (after a message on
 * stderr) if the dump cannot be opened. */
struct sim_metrics *sim_metrics_new(const struct scn *s, const char *latency_csv);
void sim_metrics_free(struct sim_metrics *m);

/* Incarnation `id` multicast its message number `seq` (>= 1) at t_ns. */
void sim_metrics_send(struct sim_metrics *m, pg_node_id id, uint64_t seq, int64_t t_ns);

/* Incarnation `to` delivered message `seq` of `from` at t_ns. Names and
 * `order` are for the latency dump only. */
void sim_metrics_deliver(struct sim_metrics *m, pg_node_id from, uint64_t seq, pg_node_id to,
                         int64_t t_ns, const char *order, const char *from_name,
                         const char *to_name);

/* The same remote delivery, by group (index into scn->groups, or
 * SCN_NO_GROUP for p2p): per-group latency lines. */
void sim_metrics_deliver_group(struct sim_metrics *m, uint32_t group, pg_node_id from, uint64_t seq,
                               pg_node_id to, int64_t t_ns);

/* A trace event was emitted (crash, suspect and view events are used). */
void sim_metrics_event(struct sim_metrics *m, const struct chk_event *e);

/* Retention at one node after an input. */
void sim_metrics_retained(struct sim_metrics *m, size_t pg_retained, size_t link_retained);

/* Flushes and closes the latency dump, if any: 0, or 2 after `pgroup: cannot
 * write PATH: REASON` on stderr (sim/harness/outfile.h). */
int sim_metrics_close_csv(struct sim_metrics *m);

/* Writes the metrics file to `path` (see above). `pg_layer`: some group runs
 * the process-group layer. `exit_status`: the run's. Returns 0, or 2 after a
 * message on stderr if the file cannot be written. */
int sim_metrics_write(struct sim_metrics *m, const struct sim_totals *t, bool pg_layer,
                      int exit_status, const char *path);

#endif
