/* core/group/pg_base.h: the bottom of the process-group layer (private).
 *
 * Owns: struct pg (one node's group layer) and struct pg_group (one group:
 * what every layer shares, then each layer's state), the bounded queues, the
 * interesting situations traced once, and the way out to phys (pg_base.c).
 * The group layer is a stack, each file calling only down (tests/layering.sh):
 *   pg_wire.c   pg_encode / pg_decode (on the byte codec of pg_wire.h)
 *   pg_base.c   queues, clock, trace, multicast and send through the outbox
 *   pg_view.c   views and flush: requests, flush, decision, install, exclusion
 *   pg_cbcast.c message store, VT compression, causal delivery, stability, pg_flush
 *   pg_abcast.c abcast: token, ORDER records, total-order delivery to the application
 *   pg_domain.c causality domains: cross-group timestamps, p2p cbcast, group index
 *   pg_client.c clients: registration, client messages through a contact, diffusion relay
 *   pg_state.c  state transfer to joiners: snapshot, chunks, assembly, timeout
 *   pg.c        API (Table 1), input dispatch, nested-input queue, timer
 * A layer reaches the layers above it only through the hook tables they fill
 * at pg_new (struct pg_view_hooks, struct pg_cb_hooks, pg_ab_cx_fn). Each
 * layer has one private header, pg_<layer>.h; the layout of the states that
 * struct pg_group embeds is in pg_view_state.h and pg_cbcast_state.h.
 */
#ifndef PG_PG_BASE_H
#define PG_PG_BASE_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg.h"
#include "pg_cbcast_state.h"
#include "pg_view_state.h"
#include "pg_wire.h"

/* A queued raw pg message (outbox, future, nested inputs) or held payload. */
struct pg_blob {
    uint8_t *buf;
    uint32_t len;
    pg_node_id from;
    pg_gid gid;
    uint8_t kind; /* nested inputs: 0 message, 1 suspicion of `from` */
};

/* A bounded FIFO: at most cap entries; its ring (size slots) starts small and
 * doubles as needed, so an idle group costs little. */
struct pg_queue {
    struct pg_blob *b;
    uint32_t cap, size, head, count;
};

enum pg_gstate {
    PG_GS_FREE = 0,
    PG_GS_JOINING,
    PG_GS_MEMBER,
    PG_GS_EXCLUDED,
    PG_GS_CLIENT, /* a client of the group (pg_client.c); view.view_id 0 until it has one */
};

struct pg_ab; /* pg_abcast.c */
struct pg_cl; /* pg_client.c */

struct pg_xfer; /* pg_state.c */
struct pg_drec; /* pg_domain.c */
struct pg_dstate;

/* abcast's hook: a message of client traffic (PG_AB_CX) is delivered (clients). */
typedef void (*pg_ab_cx_fn)(struct pg *pg, struct pg_group *g, uint32_t j, uint32_t seq,
                            const uint8_t *p, size_t len);

/* One group of this node: what every layer shares, then each layer's own
 * state (by value for the view layer and cbcast, allocated for the others). */
struct pg_group {
    enum pg_gstate st;
    pg_gid gid;
    struct pg_view view; /* valid when MEMBER (and the last one when EXCLUDED) */
    uint32_t my_rank;
    struct pg_queue held, future, outbox;
    pg_entry_fn entry;
    void *entry_ctx;
    pg_monitor_fn mon;
    void *mon_ctx;
    pg_node_id contact;
    int64_t retry_due_ns; /* outbox retry */

    struct pg_vw_state vw; /* pg_view.c */
    struct pg_cb_state cb; /* pg_cbcast.c */
    struct pg_ab *ab;      /* abcast state (pg_abcast.c), allocated with the group */
    struct pg_xfer *xfer;  /* state transfer (pg_state.c), allocated by pg_state */
    /* causality domain (pg_domain.c) */
    uint32_t domain;      /* set at pg_create / pg_join from the default domain */
    uint64_t dom_base;    /* domain epoch when my previous DATA of this view was built */
    struct pg_drec *drec; /* this group's own timestamp record, NULL before a view */
    bool dom_wait;        /* in the list of groups with messages waiting for a record */
    struct pg_cl *cl;     /* client state (pg_client.c), allocated when first needed */
};

struct pg {
    const struct env *env;
    struct phys *ph;
    pg_node_id self;
    struct pg_config cfg;
    struct pg_group *groups;
    struct pg_stats stats;
    uint32_t domain;
    uint64_t next_cbid;
    int depth;
    struct pg_queue inbox;
    int64_t deadline_ns;
    uint32_t sometimes; /* enum pg_sometimes already traced */

    struct pg_dstate *dom; /* causality domains, p2p, group index (pg_domain.c) */
    struct pg_msg_cache msg_cache;

    /* the hook tables (registered at pg_new) */
    void (*overflow)(struct pg *pg, struct pg_group *g, const char *why); /* view: exclude */
    phys_entry_fn on_entry;                                               /* pg.c: input dispatch */
    phys_monitor_fn on_monitor;
    struct pg_view_hooks vh;
    struct pg_cb_hooks cbh;
    pg_ab_cx_fn ab_cx;
};

/* Interesting situations, traced once per node and kind (as phys does); how
 * often each happened is in struct pg_stats. */
enum pg_sometimes {
    PG_ST_HELD = 1u << 0,      /* held during flush */
    PG_ST_DELAYED = 1u << 1,   /* delayed by causal rule */
    PG_ST_DISCARDED = 1u << 2, /* undeliverable message discarded at flush */
    PG_ST_INFLIGHT = 1u << 3,  /* view change with messages in flight */
    PG_ST_FORWARDED = 1u << 4, /* message forwarded during flush */
    PG_ST_TAKEOVER = 1u << 5,  /* coordinator takeover */
    PG_ST_EXCLUDED = 1u << 6,  /* excluded from a group (detail: the first reason) */
    PG_ST_AB_FLUSH = 1u << 7,  /* abcast without an order at a view change, ordered there */
    PG_ST_AB_TOKEN = 1u << 8,  /* abcast token passed */

    /* pg_domain.c */
    PG_ST_DOM_DELAYED = 1u << 16,  /* delayed by a cross-group (or p2p) timestamp */
    PG_ST_DOM_HELD = 1u << 17,     /* view install postponed by a cross-group timestamp */
    PG_ST_DOM_LOST = 1u << 18,     /* a timestamp entry found lost (its holders failed) */
    PG_ST_CL_FWD = 1u << 9,        /* client message forwarded by its contact */
    PG_ST_CL_STALE = 1u << 10,     /* stale-view retry: a client message sent again */
    PG_ST_CL_FAIL = 1u << 11,      /* a client changed contact after a failure */
    PG_ST_CL_DUP = 1u << 12,       /* a second copy of a client message not delivered */
    PG_ST_CL_RELAY = 1u << 13,     /* diffusion relayed to a client */
    PG_ST_OUT = 1u << 19,          /* a removed member told it is out (OUT notice) */
    PG_ST_REPORT = 1u << 20,       /* a suspicion reported to the coordinator */
    PG_ST_REPORTER_OUT = 1u << 21, /* a member that cannot hear one the coordinator hears */
    PG_ST_DOM_NEVER = 1u << 22, /* a message waits for one of a group this node was excluded from */
    PG_ST_REVIVED = 1u << 24,   /* a FLUSH from a member left out by the accepted attempt wins */
    PG_ST_JOIN_TIMEOUT = 1u << 25, /* a joiner gave up */

    /* dangerous moments that `pgroup explore` aims at (its coverage table) */
    PG_ST_JOIN_FAIL = 1u << 14, /* a view change adds a joiner and removes a failed member */
    PG_ST_XFER_VIEW = 1u << 15, /* a flush starts while a joiner's state transfer is under way */
    PG_ST_AB_HOLDER = 1u << 23, /* the token holder left the view with abcasts unordered */
};

/* pg_base.c */
bool pg_queue_init(struct pg_queue *q, uint32_t cap);
void pg_queue_free(struct pg_queue *q);
void pg_trace(struct pg *pg, enum env_trace_kind kind, pg_node_id peer, pg_gid gid,
              const char *detail);
/* Sends what g's outbox holds while the windows allow. */
void pg_outbox_flush(struct pg *pg, struct pg_group *g);
int64_t pg_now(const struct pg *pg);
void pg_sometimes(struct pg *pg, pg_gid gid, enum pg_sometimes what, const char *detail);
/* Multicasts an encoded message (queued in the outbox if a window is full or
 * it is not empty). Returns PG_OK, or PG_E_FULL when the outbox is full (the
 * caller's group is then excluded). */
int pg_send(struct pg *pg, struct pg_group *g, const struct pg_wmsg *m);
/* Sends an encoded message to one member `to` (phys_send; no outbox: only
 * for soft state that a later message supersedes). */
int pg_send_to(struct pg *pg, struct pg_group *g, pg_node_id to, const struct pg_wmsg *m);
/* As pg_send, to the one member `to` (phys_send), through the outbox (outbox
 * entry kind 2, `from` = to), so reliable and in order with pg_send. Other
 * phys_send errors (`to` suspected or not in the phys group) are returned. */
int pg_send_to_q(struct pg *pg, struct pg_group *g, pg_node_id to, const struct pg_wmsg *m);
bool pg_queue_push(struct pg_queue *q, const uint8_t *buf, size_t len, pg_node_id from, pg_gid gid,
                   uint8_t kind);
/* Takes the oldest entry into *out (false: empty); inline: every input passes here. */
static inline bool pg_queue_pop(struct pg_queue *q, struct pg_blob *out)
{
    if (!q->count)
        return false;
    *out = q->b[q->head];
    q->head = (q->head + 1) % q->size;
    q->count--;
    return true;
}
void pg_queue_clear(struct pg_queue *q);
/* Opens phys group `gid` with `members` and registers pg's upcalls on it
 * (a pg group, or the client channels of one: gid | PG_CL_PHYS_BIT). */
int pg_phys_open(struct pg *pg, phys_gid gid, const pg_node_id *members, size_t n);

#endif
