/* tests/support_fakenet.h: a small deterministic fake network for unit tests.
 *
 * Owns: N nodes (core/include/node/node.h) in one process without SimGrid, an
 * implementation of core/include/link/env.h for each (virtual clock in ns, one-shot timers,
 * datagrams, a trace counter), one priority queue of in-flight datagrams and
 * timers (sim/common/dheap.h: by time, then insertion order), per-link
 * latency, crash and restart (a new incarnation id). The faults are the
 * simulator's (sim/common/netmodel.h: loss, duplication, delay and jitter,
 * garbling, a directed drop matrix), drawn like the simulator's from each
 * incarnation's network stream, and env->draw_u64 from its core stream
 * (sim/common/rng.h: streams of the seed and the incarnation id). It
 * records every phys delivery and monitor upcall per node, for assertions.
 * Same seed, same calls: same run.
 *
 * Node i (0-based) starts as incarnation id i + 1. Every queue is bounded:
 * FAKENET_MAX_EVENTS in flight (beyond it the network drops and counts),
 * FAKENET_MAX_RECORDS deliveries per node (beyond it: overflow flag).
 */
#ifndef PG_SUPPORT_FAKENET_H
#define PG_SUPPORT_FAKENET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "node.h"
#include "phys.h"

#define FAKENET_MAX_NODES   160u
#define FAKENET_MAX_EVENTS  (1u << 17)
#define FAKENET_MAX_RECORDS (1u << 16)

struct fakenet;

/* One phys_entry upcall seen at a node. `tag` is the payload's first 8 bytes
 * (little-endian; 0 if shorter), `hash` a FNV-1a hash of the whole payload. */
struct fakenet_delivery {
    int64_t t_ns;
    uint64_t tag;
    uint64_t hash;
    phys_gid gid;
    pg_node_id from;
    uint32_t len;
    uint32_t reserved; /* 0: no padding, records compare with memcmp */
};

/* One phys_monitor upcall; `delivered_before` = deliveries recorded at that node before it. */
struct fakenet_monitor {
    int64_t t_ns;
    phys_gid gid;
    pg_node_id failed;
    size_t delivered_before;
};

/* What the network itself did (not the nodes). */
struct fakenet_counts {
    uint64_t sent, delivered, lost, duplicated, garbled, cut, to_crashed, queue_full;
    uint64_t traces[8]; /* by enum env_trace_kind */
};

/* Optional hook called after each recorded delivery (e.g. to multicast from
 * inside the upcall). `node` is the receiving node's index. */
typedef void (*fakenet_entry_hook)(void *ctx, struct fakenet *fn, unsigned node, phys_gid gid,
                                   pg_node_id from, const uint8_t *payload, size_t len);

/* n nodes (1..FAKENET_MAX_NODES) with phys_config_default, or with `cfg`.
 * Latency 100us on every link, no faults. */
struct fakenet *fakenet_new(unsigned n, uint64_t seed);
struct fakenet *fakenet_new_cfg(unsigned n, uint64_t seed, const struct phys_config *cfg);
/* As fakenet_new_cfg, with the nodes' group-layer configuration (NULL: default). */
struct fakenet *fakenet_new_pg(unsigned n, uint64_t seed, const struct phys_config *cfg,
                               const struct pg_config *pg_cfg);
void fakenet_free(struct fakenet *fn);

unsigned fakenet_size(const struct fakenet *fn);
struct pg_node *fakenet_node(struct fakenet *fn, unsigned i);
struct phys *fakenet_phys(struct fakenet *fn, unsigned i);
pg_node_id fakenet_id(const struct fakenet *fn, unsigned i);
const struct env *fakenet_env(struct fakenet *fn, unsigned i);
int64_t fakenet_now(const struct fakenet *fn);
const struct fakenet_counts *fakenet_counts(const struct fakenet *fn);
/* Max phys_retained seen at node i after any of its inputs. */
size_t fakenet_max_retained(const struct fakenet *fn, unsigned i);

/* Runs every event due at or before t_ns, then sets the clock to t_ns. */
void fakenet_run_until(struct fakenet *fn, int64_t t_ns);
/* Runs the single next event if it is due at or before limit_ns; false if none. */
bool fakenet_step(struct fakenet *fn, int64_t limit_ns);

/* Fault knobs (probabilities in [0, 1]). */
void fakenet_set_latency(struct fakenet *fn, unsigned from, unsigned to, int64_t ns);
void fakenet_set_latency_all(struct fakenet *fn, int64_t ns);
void fakenet_set_loss(struct fakenet *fn, double p);
void fakenet_set_dup(struct fakenet *fn, double p);
void fakenet_set_jitter(struct fakenet *fn,
                        int64_t max_extra_ns); /* uniform [0, max) extra delay */
void fakenet_set_garble(struct fakenet *fn, double p);
void fakenet_cut(struct fakenet *fn, unsigned from, unsigned to, bool drop); /* directed */
/* Splits the nodes in two blocks: bit i of `side_mask` set = node i on side B. */
void fakenet_partition(struct fakenet *fn, uint64_t side_mask);
void fakenet_heal(struct fakenet *fn); /* clears every cut */
void fakenet_crash(struct fakenet *fn, unsigned i);
/* Replaces node i by a new incarnation (new id, fresh node, no groups).
 * Datagrams in flight to the old id still arrive at node i. Returns the id. */
pg_node_id fakenet_restart(struct fakenet *fn, unsigned i);
bool fakenet_crashed(const struct fakenet *fn, unsigned i);

/* Queues raw bytes for node `to` as if sent by id `from`, arriving after
 * `delay_ns` (bypasses every fault knob). */
void fakenet_inject(struct fakenet *fn, unsigned to, pg_node_id from, const uint8_t *buf,
                    size_t len, int64_t delay_ns);

/* Creates group `gid` on each node listed in idx[0..k) with those nodes as
 * members, and registers recording upcalls. Returns the first error, or PG_OK. */
int fakenet_group(struct fakenet *fn, phys_gid gid, const unsigned *idx, size_t k);
/* Registers the recording upcalls for gid at node i (gid created elsewhere). */
int fakenet_record(struct fakenet *fn, unsigned i, phys_gid gid);
/* phys_mcast from node i of a `len`-byte payload (len >= 8) starting with `tag`. */
int fakenet_mcast(struct fakenet *fn, unsigned i, phys_gid gid, uint64_t tag, size_t len);
void fakenet_set_entry_hook(struct fakenet *fn, fakenet_entry_hook hook, void *ctx);

const struct fakenet_delivery *fakenet_deliveries(const struct fakenet *fn, unsigned i, size_t *n);
const struct fakenet_monitor *fakenet_monitors(const struct fakenet *fn, unsigned i, size_t *n);
bool fakenet_overflowed(const struct fakenet *fn);

/* FNV-1a 64 of a payload (the hash recorded in deliveries). */
uint64_t fakenet_hash(const uint8_t *p, size_t len);
/* Fills buf[0..len) with the payload fakenet_mcast sends for (tag, len). */
void fakenet_payload(uint8_t *buf, size_t len, uint64_t tag);

#endif
