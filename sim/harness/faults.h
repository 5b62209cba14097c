/* sim/harness/faults.h: the network faults of a scenario's timeline, as state.
 *
 * Owns: a scenario's network faults over the fault model of
 * sim/common/netmodel.h (which decides each datagram's fate, the same for
 * the simulator, the live driver and the unit tests' network): applying one
 * `at` line of the timeline to that state, the coverage situation "partition
 * healed with traffic on both sides", and the harness's trace events (each
 * fault's, checkers/TRACE.md "Faults", and the causality domains'). Both
 * drivers use it: the simulator where datagrams enter SimGrid (world.c), the
 * live driver in each process's datagram layer (live_net.c). Plain C: no
 * SimGrid, no I/O.
 */
#ifndef SIM_FAULTS_H
#define SIM_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chk.h"
#include "netmodel.h"
#include "scenario.h"

struct sim_faults {
    uint32_t n_procs;
    struct nm_faults net;     /* nodes are the scenario's processes */
    uint64_t *sends_at_split; /* per proc: its sends when the matrix last became non-empty */
};

/* An empty state (no fault) for n_procs processes. */
void sim_faults_init(struct sim_faults *nf, uint32_t n_procs);
void sim_faults_free(struct sim_faults *nf);

/* Whether a fault kind changes the network state (partition, cut, isolate,
 * heal, loss, duplicate, garble, delay). */
bool sim_fault_is_net(enum scn_fault_kind k);

/* Applies network fault f (sim_fault_is_net) of scenario s. `proc_sends`:
 * each process's application sends so far, or NULL. Returns true for a heal
 * of a split across which two processes that could not talk to each other
 * both sent since it began ("partition healed with traffic on both sides",
 * a coverage situation; always false without proc_sends). */
bool sim_faults_apply(struct sim_faults *nf, const struct scn *s, const struct scn_fault *f,
                      const uint64_t *proc_sends);

/* Where the harness's events go (the trace sink of a driver). */
typedef void (*sim_emit_fn)(void *ctx, struct chk_event *e);

/* Writes the `fault` event of timeline line f through emit (the sink sets
 * `t`); returns 1, or 0 for a line that has no fault event (sim_fault_event). */
int sim_fault_emit(const struct scn *s, const struct scn_fault *f, sim_emit_fn emit, void *ctx);

/* Writes the `domain` event of every process group (checkers/TRACE.md: group
 * and domain, no node) when the scenario names a causality domain (else
 * every group is in "default", which the trace says by omission). */
void sim_domain_emit(const struct scn *s, sim_emit_fn emit, void *ctx);

/* The `fault` trace event of f: returns its kind ("partition", "heal", ...)
 * and sets *extra to its fields as raw JSON (`"p":0.100000`; malloc'd, or
 * NULL when it has none). NULL for the timeline lines that are no fault
 * event: crash and restart (the `crash` and `start` events), flush (the
 * application's flush_call and flush_done). */
const char *sim_fault_event(const struct scn *s, const struct scn_fault *f, char **extra);

#endif
