/* core/include/link/phys.h: the link layer, the paper's Table 2 (section 5).
 *
 * Owns: reliable FIFO channels to peers over env.h's unreliable datagrams
 * (sequence numbers, cumulative acks piggybacked on traffic plus a selective
 * ack bitmap, retransmission with exponential backoff, duplicate suppression,
 * a bounded reordering buffer), physical groups (a member list per phys gid),
 * multicast to a physical group, and failure suspicion by heartbeat timeout.
 *
 * All state of one node's link layer hangs off one `struct phys`; there are
 * no globals. Inputs: phys_on_datagram(), phys_on_timer() and the calls below.
 * Outputs: env->send, env->timer_set(PG_TIMER_PHYS, ...), env->trace, and the
 * entry/monitor upcalls.
 *
 * Departures from the paper, on purpose:
 * - phys_create takes the phys gid from the caller: every member must name the
 *   group the same way, and the core cannot pick globally unique ids itself.
 * - phys_mcast never blocks (the core is a state machine): it queues copies on
 *   every channel and returns. Delivery to all non-faulty members follows by
 *   retransmission; a member deemed faulty is reported through phys_monitor.
 * - Once a peer is deemed faulty it stays faulty (fail-stop conversion, [RB90]):
 *   its channel is dropped and any later datagram from it is dropped.
 */
#ifndef PG_PHYS_H
#define PG_PHYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "err.h"
#include "wire.h"

/* Static limits. Every table and queue is bounded; a full one returns PG_E_FULL. */
#define PHYS_MAX_PAYLOAD  WIRE_MAX_PAYLOAD /* bytes of application payload per message */
#define PHYS_MAX_DATAGRAM (PHYS_MAX_PAYLOAD + 256u)
_Static_assert(WIRE_MAX_BYTES <= PHYS_MAX_DATAGRAM, "a full DATA datagram fits the bound");

struct phys_config {
    int64_t heartbeat_period_ns; /* a peer hears from us at least this often */
    int64_t suspect_timeout_ns;  /* silence after which a peer is deemed faulty */
    int64_t rto_initial_ns;      /* first retransmission timeout */
    int64_t rto_max_ns;          /* backoff cap */
    int64_t ack_delay_ns;        /* a standalone ack waits this long (to 1.25x: timer coalescing)
                                  * for data to the peer to ride on; it leaves at once when a
                                  * quarter of the window is unacked. Keep 1.25 x ack_delay +
                                  * round trip < rto_initial, or one-way flows retransmit. */
    uint32_t window;      /* unacked messages per channel (send) and reorder slots (receive) */
    uint32_t max_peers;   /* channels per node */
    uint32_t max_groups;  /* physical groups per node */
    uint32_t max_members; /* members per physical group */
};

/* Fills `cfg` with defaults suited to a LAN-like platform (50us-1ms latency). */
void phys_config_default(struct phys_config *cfg);

/* Counters, for run summaries and tests. Monotonic. */
struct phys_stats {
    uint64_t datagrams_sent;  /* every env->send */
    uint64_t data_sent;       /* first transmissions of data messages */
    uint64_t retransmits;     /* data retransmissions */
    uint64_t acks_sent;       /* standalone ack datagrams */
    uint64_t heartbeats_sent; /* heartbeat datagrams */
    uint64_t datagrams_recv;  /* every phys_on_datagram */
    uint64_t garbled_dropped; /* failed wire decoding */
    uint64_t duplicates_dropped;
    uint64_t out_of_window_dropped;
    uint64_t from_faulty_dropped; /* traffic from a peer already deemed faulty */
    uint64_t misaddressed_dropped;
    uint64_t delivered;          /* phys_entry upcalls, including self-delivery */
    uint64_t suspicions;         /* peers deemed faulty */
    uint64_t header_bytes_sent;  /* wire bytes that were not application payload */
    uint64_t no_channel_dropped; /* from an unknown peer while the channel table was full */
};

typedef uint32_t phys_gid;

/* Upcall: a message multicast to `gid` by `from` is delivered, in FIFO order
 * per sender. `payload` is valid only during the call. */
typedef void (*phys_entry_fn)(void *ctx, phys_gid gid, pg_node_id from, const uint8_t *payload,
                              size_t len);

/* Upcall: member `failed` of `gid` was deemed faulty. It is called once per
 * group containing the peer, after every message from `failed` that this node
 * will ever deliver has been delivered, and before the peer is removed. */
typedef void (*phys_monitor_fn)(void *ctx, phys_gid gid, pg_node_id failed);

struct phys;

/* Allocates the link layer of node `self`. `env` must outlive it.
 * Returns NULL only if allocation fails. Precondition: self != PG_NODE_NONE,
 * cfg values positive. */
struct phys *phys_new(const struct env *env, pg_node_id self, const struct phys_config *cfg);
void phys_free(struct phys *ph);

/* Table 2: phys_create(view). Creates physical group `gid` with `members`
 * (which may or may not include self). Errors: PG_E_EXISTS, PG_E_FULL,
 * PG_E_INVAL (duplicate member, n > max_members, gid 0, member 0),
 * PG_E_SUSPECTED (a member was already deemed faulty). */
int phys_create(struct phys *ph, phys_gid gid, const pg_node_id *members, size_t n);

/* Removes group `gid` and its upcalls. Channels stay (unacked messages are
 * still retransmitted). PG_E_NOGROUP. (Addition to Table 2.) */
int phys_destroy(struct phys *ph, phys_gid gid);

/* Table 2: phys_add / phys_del. Errors: PG_E_NOGROUP, PG_E_EXISTS (add of a
 * member), PG_E_NOTMEMBER (del of a non-member), PG_E_FULL, PG_E_SUSPECTED
 * (add of a peer already deemed faulty). */
int phys_add(struct phys *ph, phys_gid gid, pg_node_id pid);
int phys_del(struct phys *ph, phys_gid gid, pg_node_id pid);

/* Table 2: phys_monitor / phys_entry: register the upcalls of group `gid`
 * (one of each per group; a second call replaces the first). PG_E_NOGROUP. */
int phys_monitor(struct phys *ph, phys_gid gid, phys_monitor_fn fn, void *ctx);
int phys_entry(struct phys *ph, phys_gid gid, phys_entry_fn fn, void *ctx);

/* Table 2: phys_mcast. Reliable FIFO multicast of `payload` to every member of
 * `gid` (including self, which is delivered synchronously before return).
 * All-or-nothing admission: if any member's channel window is full nothing is
 * sent and PG_E_FULL is returned. Errors: PG_E_NOGROUP, PG_E_TOOBIG,
 * PG_E_FULL, PG_E_NOTMEMBER (self not a member). */
int phys_mcast(struct phys *ph, phys_gid gid, const uint8_t *payload, size_t len);

/* Reliable FIFO send of `payload` to `to`, tagged with group `gid`, on the
 * same channel as the group's multicasts (so ordered with them). Not
 * delivered locally. The receiver gets it through the group's entry upcall,
 * like a multicast. `to` is normally a member; it may also be a process that
 * is not (any more): a view change tells a removed member that it is out.
 * (Addition to Table 2: acknowledgements and notices sent to one process.)
 * Errors: PG_E_NOGROUP, PG_E_TOOBIG, PG_E_NOTMEMBER (self not a member),
 * PG_E_INVAL (`to` is self or NONE), PG_E_SUSPECTED (`to` deemed faulty),
 * PG_E_FULL (its window is full, or no channel to it can be opened). */
int phys_send(struct phys *ph, phys_gid gid, pg_node_id to, const uint8_t *payload, size_t len);

/* Starts failure monitoring of `peer` even if it shares no group with us yet
 * (for peers an upper layer talks to point-to-point). PG_E_FULL, PG_E_SUSPECTED. */
int phys_watch(struct phys *ph, pg_node_id peer); /* also PG_E_INVAL: 0 or self */
/* Stops the monitoring that phys_watch started (group membership still
 * monitors). PG_E_INVAL if `peer` is not watched. */
int phys_unwatch(struct phys *ph, pg_node_id peer);

/* Inputs. */
void phys_on_datagram(struct phys *ph, pg_node_id from, const uint8_t *buf, size_t len);
void phys_on_timer(struct phys *ph);

/* Queries. */
const struct phys_stats *phys_stats(const struct phys *ph);
bool phys_is_faulty(const struct phys *ph, pg_node_id peer);
/* Messages held for retransmission over all channels (bounded by window x peers). */
size_t phys_retained(const struct phys *ph);
/* Number of members of `gid` and a pointer to them (in the order they were
 * added), or PG_E_NOGROUP. */
int phys_members(const struct phys *ph, phys_gid gid, const pg_node_id **members);

#endif
