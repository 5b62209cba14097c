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

#ifdef __cplusplus
}
#endif
#endif
