/* sim/faults.h: the network faults of a scenario's timeline, as state.
 *
 * Owns: the state that the timeline's network faults build up (the drop
 * matrix of partitions, cuts and isolations; the loss, duplication and
 * garbling probabilities; the delay and jitter), applying one `at` line to
 * it, the harness's trace events (each fault's, checkers/TRACE.md "Faults",
 * and the causality domains'),
 * and what happens to one datagram under it. Both drivers use it: the
 * simulator where datagrams enter SimGrid (world.c), the live driver in each
 * process's datagram layer (live_net.c). Plain C: no SimGrid, no I/O.
 *
 * The draws of a datagram's fate come from the sender's network stream in a
 * fixed order (loss; then for each copy: jitter, garbling; duplication
 * between the two copies), so that a simulation is reproducible.
 */
#ifndef SIM_FAULTS_H
#define SIM_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chk.h"
#include "rng.h"
#include "scenario.h"

struct sim_faults {
    uint32_t n_procs;
    uint8_t *drop; /* n_procs x n_procs: drop[from * n + to]: `to` drops what `from` sends */
    bool any_drop;
    uint64_t *sends_at_split; /* per proc: its sends when the matrix last became non-empty */
    double loss, dup, garble; /* probabilities */
    int64_t delay_ns, jitter_ns;
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

/* Whether a partition, cut or isolation drops what `from` sends to `to` (procs). */
static inline bool sim_faults_cut(const struct sim_faults *nf, uint32_t from, uint32_t to)
{
    return nf->any_drop && nf->drop[(size_t)from * nf->n_procs + to];
}

/* Whether the network loses a datagram (one draw when loss is on). */
static inline bool sim_faults_lost(const struct sim_faults *nf, uint64_t *rng)
{
    return nf->loss > 0 && sim_rng_unit(rng) < nf->loss;
}

/* Whether the network sends a datagram a second time (one draw when duplication is on). */
static inline bool sim_faults_duplicated(const struct sim_faults *nf, uint64_t *rng)
{
    return nf->dup > 0 && sim_rng_unit(rng) < nf->dup;
}

/* One copy of a datagram on its way: its extra delay and whether a byte of it is garbled. */
struct sim_copy {
    int64_t extra_delay_ns; /* delay plus a uniform draw in [0, jitter) */
    bool garbled;           /* then bytes[at] ^= mask (mask != 0) */
    size_t at;
    uint8_t mask;
};

/* Draws the fate of one copy of a `len`-byte datagram: jitter, then garbling. */
void sim_faults_copy(const struct sim_faults *nf, uint64_t *rng, size_t len, struct sim_copy *c);

#endif
