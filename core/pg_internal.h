/* core/pg_internal.h: state shared by the modules of the process-group layer.
 *
 * Owns: the layout of struct pg and struct pg_group, and the functions the
 * pg_*.c modules call in each other. Not a public header: pg.h is.
 *   pg.c        API (Table 1), input dispatch, nested-input queue, outbox, timer
 *   pg_wire.c   pg_encode / pg_decode (on the byte codec below)
 *   pg_cbcast.c message store, VT compression, causal delivery, stability, pg_flush
 *   pg_view.c   requests, flush, decision, install, exclusion
 *   pg_abcast.c abcast: token, ORDER records, total-order delivery to the application
 *   pg_state.c  state transfer to joiners: snapshot, chunks, assembly, timeout
 *   pg_domain.c causality domains: cross-group timestamps, p2p cbcast, group index
 *   pg_client.c clients: registration, client messages through a contact, diffusion relay
 */
#ifndef PG_INTERNAL_H
#define PG_INTERNAL_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg.h"

#define PG_CAP         PG_MAX_MEMBERS_CAP
#define PG_REPORTS_MAX 16u /* suspicion reports a coordinator judges at once (more: dropped) */
#define PG_FIN_VIEWS   4u  /* views whose final delivered VT a member keeps (pg_domain.c) */

/* ---- the byte codec of every pg message and record (pg_wire.c, pg_domain.c) ----
 * A writer or reader over a bounded buffer: a write past cap or a read past
 * len clears ok and does nothing, so callers check ok once at the end.
 * Varints are little-endian base 128 (pgw_in_var32: at most 2^32 - 1). */
struct pgw_out {
    uint8_t *p;
    size_t cap, len;
    bool ok;
};

struct pgw_in {
    const uint8_t *p;
    size_t len, pos;
    bool ok;
};

static inline void pgw_out_u8(struct pgw_out *o, uint32_t v)
{
    assert(v <= 0xFFu);
    if (o->len + 1 > o->cap) {
        o->ok = false;
        return;
    }
    o->p[o->len++] = (uint8_t)v;
}

static inline void pgw_out_var(struct pgw_out *o, uint64_t v)
{
    do {
        uint32_t b = v & 0x7Fu;
        v >>= 7;
        pgw_out_u8(o, b | (v ? 0x80u : 0u));
    } while (v);
}

static inline uint32_t pgw_in_u8(struct pgw_in *in)
{
    if (in->pos + 1 > in->len) {
        in->ok = false;
        return 0;
    }
    return in->p[in->pos++];
}

static inline uint64_t pgw_in_var(struct pgw_in *in)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        uint32_t b = pgw_in_u8(in);
        if (!in->ok)
            return 0;
        if (shift == 63 && b > 1) { /* would overflow 64 bits */
            in->ok = false;
            return 0;
        }
        v |= (uint64_t)(b & 0x7Fu) << shift;
        if (!(b & 0x80u))
            return v;
    }
    in->ok = false;
    return 0;
}

static inline uint32_t pgw_in_var32(struct pgw_in *in)
{
    if (in->pos + 1 < in->len) { /* one or two bytes (values below 16384): most VT entries */
        uint32_t b0 = in->p[in->pos], b1 = in->p[in->pos + 1];
        if (b0 < 0x80u) {
            in->pos++;
            return b0;
        }
        if (b1 < 0x80u) {
            in->pos += 2;
            return (b0 & 0x7Fu) | b1 << 7;
        }
    }
    uint64_t v = pgw_in_var(in);
    if (v > UINT32_MAX)
        in->ok = false;
    return (uint32_t)v;
}

/* One cbcast message of a view, kept from receipt until stable. */
struct pg_msg {
    struct pg_msg *next; /* per-sender list, ascending seq */
    uint32_t seq;
    uint8_t sender;     /* rank in the view */
    uint8_t size_class; /* the block holds PG_MSG_BLOCK_MIN << size_class bytes (pg_msg_cache) */
    bool delivered;
    bool delayed;       /* counted once as delayed by the causal rule */
    int64_t arrived_ns; /* when it was stored: a delayed message's wait starts here */
    uint32_t len;
    uint32_t *vt; /* view size entries */
    uint8_t *payload;
    uint8_t ab;     /* abcast extension flags (enum pg_ab_flag), 0 for a plain cbcast */
    uint32_t *ab_x; /* if ab: token_to, ord_start, n_ord, then n_ord (rank, seq) pairs */
    uint8_t *dep;   /* cross-group timestamp records as received (pg_domain.c), dep_len bytes */
    uint32_t dep_len;
    bool dom_delayed;     /* counted once as delayed by a cross-group timestamp */
    int64_t dom_since_ns; /* when it started waiting for a record */
};

/* Freed message blocks kept for reuse, by size class (64 B, 128 B, ...): a
 * message is stored at every member for every delivery, and malloc/free cost
 * several hundred instructions each. Bounded: PG_MSG_CACHE_BYTES per class. */
#define PG_MSG_BLOCK_MIN   64u
#define PG_MSG_CLASSES     16u
#define PG_MSG_CACHE_BYTES (64u * 1024u)
struct pg_msg_cache {
    struct pg_msg *free[PG_MSG_CLASSES];
    uint32_t n_free[PG_MSG_CLASSES];
};

/* The messages of one view. */
struct pg_store {
    uint32_t view_id;
    uint32_t n; /* view size */
    struct pg_msg *head[PG_CAP];
    uint32_t top[PG_CAP]; /* per sender: the highest seq ever stored (0: none), an upper bound */
    /* per sender: the last delivered message still held (NULL: none). A
     * sender's list is sorted by seq and delivery is FIFO, so every message
     * up to it is delivered and none after it: the next to deliver is found
     * in O(1), not by walking the retained prefix. */
    struct pg_msg *last_dl[PG_CAP];
    uint32_t count;
    uint32_t pending; /* stored and not yet delivered (<= count) */
};

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

struct pg_req {
    uint8_t op; /* enum pg_req_op */
    pg_node_id pid;
};

/* A proposal / decision: the next view's lists. key orders attempts. */
struct pg_prop {
    uint64_t key;    /* attempt << 8 | (255 - coordinator rank); 0 = none */
    pg_node_id left; /* the member removed at its own request (pg_leave, pg_del), or NONE:
                        it takes part in the flush and leaves once it delivered all of v */
    uint32_t n_members;
    pg_node_id members[PG_CAP];
    uint32_t n_clients;
    pg_node_id clients[PG_MAX_CLIENTS_CAP];
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

struct pg_group {
    enum pg_gstate st;
    pg_gid gid;
    struct pg_view view; /* valid when MEMBER (and the last one when EXCLUDED) */
    uint32_t my_rank;

    /* cbcast (pg_cbcast.c) */
    uint32_t stride;           /* cfg.max_members: row length of last_vt and ack */
    uint32_t vt[PG_CAP];       /* delivered per sender rank: VT(p) */
    uint32_t my_seq;           /* own messages sent in the view */
    uint32_t sent_vt[PG_CAP];  /* VT of my previous message (compression base) */
    uint32_t *last_vt;         /* [max_members][max_members]: last VT seen from each sender */
    uint32_t *ack;             /* [max_members][max_members]: each member's delivered vector */
    uint32_t stable[PG_CAP];   /* stable per sender: max(rowmin, coordinator's announcement) */
    bool stable_dirty;         /* ack changed since stable was last computed */
    uint32_t since_compute;    /* messages received since then */
    uint32_t adv[PG_CAP];      /* delivered vector last advertised */
    uint32_t ann_sent[PG_CAP]; /* coordinator: stable vector last announced */
    bool adv_dirty;
    bool ann_dirty;   /* coordinator: stability learned from point-to-point acks */
    bool release_due; /* stable advanced: release messages */
    int64_t stable_due_ns, ann_due_ns;
    struct pg_store cur, prev;
    /* the delivered VT of each of the last views this node left by installing
     * the next one (ring, fin_next counts): a record naming such a view asks
     * whether its flush delivered the entries here (pg_domain.c) */
    struct pg_fin {
        uint32_t view, n;
        uint32_t vt[PG_CAP];
    } fin[PG_FIN_VIEWS];
    uint32_t fin_next;

    /* view change (pg_view.c) */
    struct pg_rset dead;    /* ranks of the view this node no longer listens to */
    struct pg_rset dropped; /* dead ranks whose DATA or FWD this node dropped in this view */
    uint64_t promise;       /* highest key this node sent FLUSH_OK for */
    struct pg_prop acc;     /* accepted flush proposal (key 0: none) */
    uint64_t fok_key;       /* FLUSH_OKs gathered for this key */
    struct pg_rset fok, fok_dead;
    uint64_t coord_key; /* my running attempt as coordinator, 0 if none */
    uint32_t max_attempt;
    struct pg_prop dec; /* decision (key 0: none) */
    uint16_t dec_old_n;
    bool dec_full;              /* a full ACK was received for dec: every message of v is here */
    bool committed;             /* sent my ACK for dec */
    struct pg_rset acks;        /* ranks of v that acked dec */
    pg_node_id jackers[PG_CAP]; /* joiner: distinct ackers of dec */
    uint32_t n_jackers;
    uint32_t need_sent_view; /* NEED multicast (no committed member known): view and key */
    uint64_t need_key;
    struct pg_rset need_asked; /* ranks of v asked point to point for the current dec.key */
    uint64_t need_asked_key;
    bool dec_installed;   /* the decision's ACK came from a member that installed it */
    struct pg_rset heard; /* ranks heard from in the current view */
    /* the decision that installed the current view, kept to answer late takeovers */
    struct pg_prop last_dec;
    uint32_t last_dec_view;
    uint16_t last_dec_old_n;
    struct pg_req *reqs;
    uint32_t n_reqs;
    /* coordinator: suspicions reported by members about members it still
     * hears (REQ FAILED), judged at `due` (pg_view.c on_failed) */
    struct pg_report {
        uint8_t reporter, pid; /* ranks of the current view */
        int64_t due_ns;
    } reports[PG_REPORTS_MAX];
    uint32_t n_reports;
    bool left_clean; /* EXCLUDED after leaving at its request: it delivered all of its last view */
    uint32_t held_lost;  /* application sends held for a flush, dropped at the exclusion */
    int64_t join_due_ns; /* joiner: gives up unless it installs (or hears a new decision) by then */

    struct pg_queue held, future, outbox;

    pg_entry_fn entry;
    void *entry_ctx;
    pg_monitor_fn mon;
    void *mon_ctx;
    pg_flush_fn fdone;
    void *fctx;
    bool fpending;
    uint32_t f_view, f_seq;
    /* pg_flush: this node's causal VT when its own messages 1..f_seq were all
     * handed to its application (f_snap_ok): once every member delivered
     * that much causally, each holds every message and ORDER record it needs
     * to hand them over too (pg_cb_check_flush) */
    bool f_snap_ok;
    uint32_t f_snap[PG_CAP];
    bool ever_sent; /* an own DATA message went out in some view of g */
    pg_node_id contact;
    int64_t retry_due_ns;
    struct pg_ab *ab; /* abcast state (pg_abcast.c), allocated with the group */

    struct pg_xfer *xfer; /* state transfer (pg_state.c), allocated by pg_state */
    /* causality domain (pg_domain.c) */
    uint32_t domain;      /* set at pg_create / pg_join from the default domain */
    uint64_t dom_base;    /* domain epoch when my previous DATA of this view was built */
    struct pg_drec *drec; /* this group's own timestamp record, NULL before a view */
    bool dom_wait;        /* in the list of groups with messages waiting for a record */
    struct pg_cl *cl;     /* client state (pg_client.c), allocated when first needed */
};

struct pg {
    const struct pg_env *env;
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

/* pg.c */
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
void pg_arm_timer(struct pg *pg);
bool pg_queue_push(struct pg_queue *q, const uint8_t *buf, size_t len, pg_node_id from, pg_gid gid,
                   uint8_t kind);
bool pg_queue_pop(struct pg_queue *q, struct pg_blob *out);
void pg_queue_clear(struct pg_queue *q);
void pg_group_process(struct pg *pg, struct pg_group *g, pg_node_id from, const uint8_t *buf,
                      size_t len);

/* pg_cbcast.c */
void pg_store_clear(struct pg *pg, struct pg_store *s);
/* Returns a message block to the cache (or to malloc when its class is full). */
void pg_msg_free(struct pg *pg, struct pg_msg *m);
/* Frees every cached block (pg_free). */
void pg_msg_cache_drain(struct pg *pg);
void pg_cb_reset(struct pg *pg, struct pg_group *g, uint32_t view_id, uint32_t n);
int pg_cb_send(struct pg *pg, struct pg_group *g, const uint8_t *p, size_t len);
/* Sends an own DATA message with abcast flags `ab` (0: a cbcast; the holder's
 * pending ORDER/TOKEN records are added by pg_ab_build). */
int pg_cb_send_ex(struct pg *pg, struct pg_group *g, const uint8_t *p, size_t len, bool may_queue,
                  uint8_t ab);
void pg_cb_on_data(struct pg *pg, struct pg_group *g, uint32_t rank, const struct pg_wmsg *m);
void pg_cb_on_fwd(struct pg *pg, struct pg_group *g, const struct pg_wmsg *m);
void pg_cb_on_stable(struct pg *pg, struct pg_group *g, uint32_t rank, const struct pg_wmsg *m);
void pg_cb_deliver(struct pg *pg, struct pg_group *g);
/* Delivers every deliverable message, discards the rest (view install). */
void pg_cb_finish_view(struct pg *pg, struct pg_group *g);
/* Sends FWD copies of the current (or previous) view's messages whose
 * sender rank is in `senders`: multicast (to == PG_NODE_NONE), or to the one
 * member `to` through the outbox (in order with what follows to it). */
void pg_cb_forward(struct pg *pg, struct pg_group *g, const struct pg_store *s,
                   const struct pg_rset *senders, pg_node_id to);
void pg_cb_stable_tick(struct pg *pg, struct pg_group *g);
void pg_cb_check_flush(struct pg *pg, struct pg_group *g);
uint32_t pg_cb_unstable_own(const struct pg_group *g);
/* Whether a majority of the view delivered message `seq` of rank j, as this
 * node knows it (its own VT, the members' acknowledgement rows, stability). */
bool pg_cb_majority_has(const struct pg_group *g, uint32_t j, uint32_t seq);
/* Sends this member's delivered VT to member `to` now (an acknowledgement,
 * as a STABLE advertisement: abcast safety, pg_abcast.c). Precondition:
 * member, `to` another member of the view. */
void pg_cb_ack_to(struct pg *pg, struct pg_group *g, pg_node_id to);
/* Whether some message of g is deliverable by its VT but waits for a record. */
bool pg_cb_dom_blocked(struct pg *pg, struct pg_group *g);

/* pg_domain.c */
bool pg_dom_new(struct pg *pg);
void pg_dom_free(struct pg *pg);
/* The group index: pg_group_find is O(1). */
struct pg_group *pg_group_find(const struct pg *pg, pg_gid gid);
bool pg_dom_index_add(struct pg *pg, struct pg_group *g);
/* Makes room for group gid's own record in domain did (at pg_create / pg_join). */
bool pg_dom_reserve(struct pg *pg, uint32_t did, pg_gid gid);
/* A view was installed in g (pg_cb_reset): its own record restarts. */
void pg_dom_on_view(struct pg *pg, struct pg_group *g);
/* Writes into buf[0..cap) the records the next DATA of g carries; returns
 * the length, or SIZE_MAX if they do not fit. *epoch gets the base to commit
 * with pg_dom_sent once the message is sent. */
size_t pg_dom_build(struct pg *pg, struct pg_group *g, uint8_t *buf, size_t cap, uint64_t *epoch);
void pg_dom_sent(struct pg *pg, struct pg_group *g, uint64_t epoch);
/* Whether m's records allow its delivery in g now (counts a first wait). */
bool pg_dom_ready(struct pg *pg, struct pg_group *g, struct pg_msg *m);
/* Delivery of m in g: merges its records (false: the table is full). */
bool pg_dom_merge_msg(struct pg *pg, struct pg_group *g, const struct pg_msg *m);
/* g's own record: entry k now counts v messages (a delivery or own send). */
void pg_dom_note(struct pg *pg, struct pg_group *g, uint32_t k, uint32_t v);
/* Whether g's install must wait: a deliverable message waits for a record. */
bool pg_dom_hold_install(struct pg *pg, struct pg_group *g);
/* Retries everything waiting for a record; true if anything progressed. */
bool pg_dom_kick(struct pg *pg);
void pg_dom_on_p2p(struct pg *pg, pg_node_id from, const struct pg_wmsg *m);
/* Whether a group of domain did other than g has own application messages
 * its application has not got: held for a flush, or waiting for an abcast
 * position. A send elsewhere in did would overtake them (its timestamps
 * cannot name them yet, or name them only at the pg layer), so it is refused
 * with PG_E_BUSY. */
bool pg_dom_held_elsewhere(const struct pg *pg, uint32_t did, const struct pg_group *g);

/* pg_view.c */
/* The coordinator's earliest report deadline (PG_TIMER_NEVER: none), and its expiry. */
int64_t pg_view_due(const struct pg_group *g);
void pg_view_tick(struct pg *pg, struct pg_group *g, int64_t now_ns);
/* An OUT notice: a view later than this node's does not list it. */
void pg_view_on_out(struct pg *pg, struct pg_group *g, const struct pg_wmsg *m);
/* Installs the decided view if it is due (after pg_dom_hold_install released it). */
void pg_view_retry_install(struct pg *pg, struct pg_group *g);
int pg_rank_of(const pg_node_id *members, uint32_t n, pg_node_id pid);
uint64_t pg_key(uint32_t attempt, uint32_t coord_rank);
void pg_view_on_msg(struct pg *pg, struct pg_group *g, pg_node_id from, int rank,
                    const struct pg_wmsg *m);
void pg_view_on_suspect(struct pg *pg, struct pg_group *g, pg_node_id failed);
void pg_view_check(struct pg *pg, struct pg_group *g);
/* The coordinator: the lowest rank of the view this node still listens to. */
uint32_t pg_view_coord(const struct pg_group *g);
/* This node is out of g as failed (fail-stop conversion, section 5):
 * suspected by the others, a minority partition, a view without it that it
 * did not ask for, a resource limit, a message it can never deliver. It
 * delivers nothing more in g (monitor upcall with excluded true) and tells
 * the members of its view (REQ FAILED naming itself), so that they stop
 * waiting for it even if its links work. */
void pg_view_exclude(struct pg *pg, struct pg_group *g, const char *why);
/* The same without telling anyone: the members already know (it left at its
 * request, a later view excludes it, it told them itself). */
void pg_view_exclude_quiet(struct pg *pg, struct pg_group *g, const char *why);
void pg_view_install_first(struct pg *pg, struct pg_group *g, const struct pg_prop *p,
                           uint32_t view_id);
void pg_view_add_req(struct pg *pg, struct pg_group *g, uint8_t op, pg_node_id pid);
bool pg_view_flushing(const struct pg_group *g);
void pg_view_on_joining(struct pg *pg, struct pg_group *g, pg_node_id from,
                        const struct pg_wmsg *m);
void pg_view_on_prev(struct pg *pg, struct pg_group *g, pg_node_id from, const struct pg_wmsg *m);
/* A message of view v+1 from `from` arrived while this node is in v. */
void pg_view_on_future(struct pg *pg, struct pg_group *g, pg_node_id from);
/* A joiner installs its decision once a majority of the old view committed to
 * it and pg_state_joiner_ready says its state is here. */
void pg_view_joiner_install(struct pg *pg, struct pg_group *g);

/* Opens phys group `gid` with `members` and registers pg's upcalls on it
 * (a pg group, or the client channels of one: gid | PG_CL_PHYS_BIT). */
int pg_phys_open(struct pg *pg, phys_gid gid, const pg_node_id *members, size_t n);
/* Takes a free group slot for gid (allocated, state FREE, gid set). */
int pg_group_take(struct pg *pg, pg_gid gid, struct pg_group **out);
void pg_group_drop(struct pg *pg, struct pg_group *g);

/* pg_client.c */
void pg_cl_free(struct pg_group *g);
/* An input on the client channels of g (phys gid | PG_CL_PHYS_BIT). */
void pg_cl_on_msg(struct pg *pg, struct pg_group *g, pg_node_id from, const uint8_t *buf,
                  size_t len);
void pg_cl_on_suspect(struct pg *pg, struct pg_group *g, pg_node_id failed);
/* Delivery of a PG_AB_CX message of rank j, seq `seq` (from pg_abcast.c's upcall). */
void pg_cl_deliver(struct pg *pg, struct pg_group *g, uint32_t j, uint32_t seq, const uint8_t *p,
                   size_t len);
/* Member g installed a view (end of pg_view_install_first) / was excluded. */
void pg_cl_on_install(struct pg *pg, struct pg_group *g);
void pg_cl_on_exclude(struct pg *pg, struct pg_group *g);
/* Work that waits for stability or a timer: relays, acks, retries. */
void pg_cl_pump(struct pg *pg, struct pg_group *g);
int64_t pg_cl_deadline(const struct pg_group *g);
/* Makes g (a taken slot) a client through `contact`; asks to be added. */
int pg_cl_start(struct pg *pg, struct pg_group *g, pg_node_id contact);
/* A client's cbcast (g->st == PG_GS_CLIENT). */
int pg_cl_cbcast(struct pg *pg, struct pg_group *g, const uint8_t *p, size_t len,
                 uint32_t *view_id);
/* A member's own PG_AB_CX cbcast now (not during a flush); as pg_cb_send. */
int pg_cl_send_cx(struct pg *pg, struct pg_group *g, const uint8_t *p, size_t len);
/* Builds the diffusion payload (kind byte + p) into out; returns its length. */
size_t pg_cl_diff_payload(const uint8_t *p, size_t len, uint8_t *out, size_t cap);

/* pg_abcast.c */
/* Words of struct pg_msg.ab_x for message m; saves/loads the extension. */
uint32_t pg_ab_ext_words(const struct pg_wmsg *m);
void pg_ab_ext_save(struct pg_msg *pm, const struct pg_wmsg *m);
void pg_ab_ext_load(struct pg_wmsg *w, const struct pg_msg *pm);
/* Whether m's abcast extension fits view g (ranks in range). */
bool pg_ab_valid(const struct pg_group *g, const struct pg_wmsg *m);
/* Adds the holder's unpublished ORDER entries (and the sender's own entry for
 * an abcast of the holder) to the DATA message m being built; pg_ab_sent
 * commits them once m is multicast. */
void pg_ab_build(const struct pg *pg, const struct pg_group *g, struct pg_wmsg *m);
void pg_ab_sent(struct pg *pg, struct pg_group *g, const struct pg_wmsg *m);
/* Causal delivery of m to the pg layer: applies its records, then hands it
 * (and whatever it unblocks) to the application in causal and total order. */
void pg_ab_on_deliver(struct pg *pg, struct pg_group *g, const struct pg_msg *m);
/* End of a causal delivery pass: the holder multicasts its pending records. */
void pg_ab_publish(struct pg *pg, struct pg_group *g);
/* View install: orders every abcast of the view without a position and
 * delivers everything pending (before pg_cb_finish_view discards). */
void pg_ab_finish_view(struct pg *pg, struct pg_group *g);
/* A new view is installed: the token goes to rank 0, positions restart. */
void pg_ab_reset(struct pg *pg, struct pg_group *g);
/* Sends a held application message (held-queue kind 1: abcast). */
int pg_ab_send_held(struct pg *pg, struct pg_group *g, const struct pg_blob *b);
bool pg_ab_alloc(struct pg_group *g);
void pg_ab_free(struct pg_group *g);
/* Sends an own abcast now (not during a flush). PG_E_FULL: too many own
 * abcasts not yet delivered, or as pg_cb_send. */
int pg_ab_send(struct pg *pg, struct pg_group *g, const uint8_t *p, size_t len);
/* Member acknowledgements moved (ack rows, stability): positions may have
 * become safe (a majority delivered their record), so abcasts may be handed
 * over. */
void pg_ab_acks_changed(struct pg *pg, struct pg_group *g);
/* Messages of rank handed to the application (or passed through) in this view. */
/* Ranks the abcast state of g covers (0 for a client's cached view). */
uint32_t pg_ab_n(const struct pg_group *g);
uint32_t pg_ab_app_count(const struct pg_group *g, uint32_t rank);
/* The token holder as this node knows it (PG_NODE_NONE: none yet). */
pg_node_id pg_ab_holder(const struct pg_group *g);

/* pg_state.c */
/* pg_state(): registers the upcalls (allocates the transfer state). */
int pg_state_set(struct pg *pg, struct pg_group *g, pg_state_encode_fn enc, pg_state_decode_fn dec,
                 void *ctx);
void pg_state_free(struct pg_group *g);
/* Member at the install of the decision p as view v+1, after every message of
 * v was delivered: snapshots the state if p adds joiners. */
void pg_state_snapshot(struct pg *pg, struct pg_group *g, const struct pg_prop *p);
/* Member: sends the snapshot of the current view to its joiners if this node
 * is the provider (the lowest old rank it still hears) and has not yet. */
void pg_state_provide(struct pg *pg, struct pg_group *g);
/* A STATE message (any state of the group). */
void pg_state_on_msg(struct pg *pg, struct pg_group *g, pg_node_id from, const struct pg_wmsg *m);
/* Joiner with a decision: true if it may install (no state awaited, or the
 * state of the join view decoded); else arms the timeout and returns false. */
bool pg_state_joiner_ready(struct pg *pg, struct pg_group *g);
/* The joiner's state deadline (PG_TIMER_NEVER: none) and its expiry. */
int64_t pg_state_due(const struct pg_group *g);
void pg_state_tick(struct pg *pg, struct pg_group *g, int64_t now_ns);

#endif
