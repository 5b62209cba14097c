/* sim/driver/sg_rx.h: a receive that survives a timed-out wait.
 *
 * Owns: one pending receive per mailbox. SimGrid 3.32's C API releases the
 * comm when sg_comm_wait_any_for() or sg_comm_wait_for() times out (see
 * src/s4u/s4u_Comm.cpp: the reference is re-added only when another comm
 * finished), so from C a pending get cannot outlive a timer wake-up. This
 * shim keeps the s4u::CommPtr alive across waits. Like sim/driver/platform.cpp,
 * the other C++ file of pgroup, it holds no protocol logic.
 */
#ifndef SIM_SG_RX_H
#define SIM_SG_RX_H

#include <stddef.h>

#include <simgrid/forward.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sg_rx;

/* A receiver on `mbox` (the caller has made it eager with sg_mailbox_set_receiver). */
struct sg_rx *sg_rx_new(sg_mailbox_t mbox);

/* Waits at most `timeout_s` (>= 0) simulated seconds for the next payload.
 * Returns it, or NULL on timeout; the pending receive is kept either way. */
void *sg_rx_wait(struct sg_rx *rx, double timeout_s);

/* Cancels the pending receive, if any, and frees the receiver. */
void sg_rx_free(struct sg_rx *rx);

/* Sends without detaching, per actor. SimGrid 3.32 keeps every detached
 * comm in one std::list of the maestro that each completion searches
 * (CommImpl::finish), so a burst of B detached datagrams costs O(B^2) wall
 * time. An un-detached comm is listed in its sender's activities instead
 * (also a std::list, searched when that actor's receive completes) until
 * the sender waits for it. A sg_tx keeps its actor's comms in a FIFO; at
 * the end of each step (sg_tx_reap, just before the actor blocks to
 * receive, so that the extra scheduling points come after everything the
 * step did) the actor waits for the finished ones at its front (a finish
 * time is set: no simcall to find out; the wait returns at once and
 * unlists it), so the lists stay as short as the actor's own datagrams in
 * flight. The simulated transfer is the same
 * put as a detached one (eager mailbox, same size, same start instant).
 * The payload is the receiver's once delivered; one never received is the
 * sender's to free (sim/world.c: the datagram pool frees what is left).
 * Use a sg_tx from its owner actor only. */
struct sg_tx;
struct sg_tx *sg_tx_new(void);
void sg_tx_put(struct sg_tx *tx, sg_mailbox_t mbox, void *payload, long size_b);
/* Lets go of the finished comms at the FIFO's front (the owner actor, between steps). */
void sg_tx_reap(struct sg_tx *tx);
/* Comms held now, and at most so far. */
size_t sg_tx_held(const struct sg_tx *tx);
size_t sg_tx_max_held(const struct sg_tx *tx);
/* Waits (simulated time) until every comm held is finished, and lets go of
 * them: an actor does this before it returns (SimGrid cancels the comms of
 * an actor that ends; a datagram already sent still arrives). */
void sg_tx_drain(struct sg_tx *tx);
/* Frees it. Precondition: drained. */
void sg_tx_free(struct sg_tx *tx);

#ifdef __cplusplus
}
#endif
#endif
