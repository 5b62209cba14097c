/* sim/live/live_net.h: the datagram layer of one live process (pgroup live, pgroup node).
 *
 * Owns: the process's UDP socket (IPv4; 127.0.0.1 under `pgroup live`) and
 * the address of every scenario process; the live driver's datagram header;
 * the drop-and-delay filter of the timeline's network faults (faults.h: the
 * same code as the simulator's), applied where a datagram leaves (partition,
 * cut, isolation, loss, duplication, garbling) and where it arrives (delay
 * and jitter: held back until due); the batch of datagrams that one input of
 * the node sends, which leaves when the input is done (after its trace
 * events are written: see live_node.h); and its counters.
 *
 * Datagram header (LIVE_HDR_B bytes, little-endian), then the core's bytes:
 *    0  4  magic "pgL1"
 *    4  4  from: the sender's incarnation id
 *    8  4  to: the receiver's incarnation id (a process's next incarnation
 *          drops what was meant for an earlier one)
 *   12  4  reserved, 0
 *   16  8  extra delay in ns that the sender's filter drew (held back by the
 *          receiver for that long)
 *   24  8  the sender's Lamport clock when it sent it
 * A datagram that is too short, has another magic or names an unknown
 * incarnation is dropped and counted (malformed).
 */
#ifndef SIM_LIVE_NET_H
#define SIM_LIVE_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "faults.h"
#include "phys.h"
#include "world.h"

#define LIVE_HDR_B      32u
#define LIVE_MAGIC      0x314c6770u /* "pgL1" */
#define LIVE_DGRAM_MAX  (LIVE_HDR_B + PHYS_MAX_DATAGRAM)
#define LIVE_OUTQ_MAX   8192u      /* datagrams one input may send; beyond: dropped, counted */
#define LIVE_DELAYQ_MAX 65536u     /* datagrams held back by delay; beyond: lost, counted */
#define LIVE_RCVBUF_B   (8u << 20) /* the socket's receive buffer we ask for */

/* Counters of the layer that struct sim_totals has no place for. */
struct live_net_stats {
    uint64_t malformed;   /* arrived too short, with another magic, or from nobody */
    uint64_t stale;       /* arrived for an earlier incarnation of this process */
    uint64_t send_errors; /* the kernel refused to send (ENOBUFS, EAGAIN, ...) */
    uint64_t outq_full;   /* one input sent more than LIVE_OUTQ_MAX */
};

/* A datagram handed to the node. */
struct live_dgram_in {
    pg_node_id from;
    uint64_t lamport;
    const uint8_t *buf; /* the core's bytes, valid during the call */
    size_t len;
};

struct live_net;

/* A layer over bound UDP socket `fd` (it becomes non-blocking), for scenario
 * s, whose process p has address addrs[p] (both must outlive it). Counters
 * go to *tot (datagrams, drop_dead, drop_partition, drop_loss, duplicated,
 * delayed, garbled_injected). NULL if allocation fails. */
struct live_net *live_net_new(int fd, const struct scn *s, const struct sockaddr_in *addrs,
                              struct sim_totals *tot);
void live_net_free(struct live_net *n);
int live_net_fd(const struct live_net *n);
/* The filter's state, changed by the timeline (sim_faults_apply). */
struct sim_faults *live_net_faults(struct live_net *n);
const struct live_net_stats *live_net_stats(const struct live_net *n);

/* Queues a datagram of incarnation `from` to incarnation `to` (of process
 * to_proc), through the filter, drawing from *rng (the sender's network
 * stream): dropped when `to` is not live (`to_alive` false), by a partition
 * or by loss; else queued once or twice (duplication), maybe garbled, with
 * its extra delay. It leaves at live_net_flush. */
void live_net_send(struct live_net *n, uint64_t *rng, pg_node_id from, pg_node_id to,
                   uint32_t from_proc, uint32_t to_proc, bool to_alive, const uint8_t *buf,
                   size_t len);

/* Sends every queued datagram, stamped with Lamport clock `lamport`. */
void live_net_flush(struct live_net *n, uint64_t lamport);

/* Reads what arrived on the socket, without blocking, a batch at a time,
 * and reads the clock (`now`) after each batch arrived, so that no datagram
 * is handled at a time before it arrived: a datagram for incarnation `self`
 * is handed to fn at once, or held back until that time plus its extra
 * delay; any other is dropped and counted. Returns the number of datagrams
 * read (at most LIVE_RECV_MAX: then the caller's other inputs get a turn). */
#define LIVE_RECV_MAX 256u
uint32_t live_net_receive(struct live_net *n, pg_node_id self, int64_t (*now)(void *ctx),
                          void (*fn)(void *ctx, const struct live_dgram_in *d), void *ctx);

/* Hands fn every held datagram due at now_ns (in release order); those for
 * another incarnation than `self` are dropped. */
void live_net_release(struct live_net *n, pg_node_id self, int64_t now_ns,
                      void (*fn)(void *ctx, const struct live_dgram_in *d), void *ctx);

/* When the next held datagram is due, or PG_TIMER_NEVER. */
int64_t live_net_next_release(const struct live_net *n);

#endif
