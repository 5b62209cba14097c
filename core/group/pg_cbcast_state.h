/* core/group/pg_cbcast_state.h: cbcast's types that struct pg_group and struct pg
 * embed (private; only pg_base.h includes it).
 *
 * Owns: the stored message, the block cache, a view's store, cbcast's (and
 * pg_flush's) per-group state and the hook table through which pg_cbcast.c
 * reaches the layers above it.
 */
#ifndef PG_PG_CBCAST_STATE_H
#define PG_PG_CBCAST_STATE_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg_view_state.h"

#define PG_FIN_VIEWS 4u /* views whose final delivered VT a member keeps (pg_domain.c) */
_Static_assert((PG_FIN_VIEWS & (PG_FIN_VIEWS - 1u)) == 0,
               "fin_next % PG_FIN_VIEWS survives wrap-around");

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

_Static_assert((PG_MSG_CLASSES - 1u) < 32u, "a class shift stays inside size_t");
_Static_assert(PG_MSG_CACHE_BYTES >= PG_MSG_BLOCK_MIN, "the cache keeps at least one block");
_Static_assert(((size_t)PG_MSG_BLOCK_MIN << (PG_MSG_CLASSES - 1u)) >=
                   sizeof(struct pg_msg) + 4u * (3u * PG_CAP + 3u) + 2u * PHYS_MAX_PAYLOAD,
               "the largest class holds any message: VT, abcast words, payload, records");

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

/* cbcast's state in a group (pg_cbcast.c), and pg_flush's. */
struct pg_cb_state {
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
    /* pg_flush */
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
};

/* cbcast's hooks (pg_cbcast.c calls them; abcast and domains register). */
struct pg_cb_hooks {
    /* the extension a stored message keeps (abcast): words, save, load, check */
    uint32_t (*ext_words)(const struct pg_wmsg *m);
    void (*ext_save)(struct pg_msg *pm, const struct pg_wmsg *m);
    void (*ext_load)(struct pg_wmsg *w, const struct pg_msg *pm);
    bool (*ext_valid)(const struct pg_group *g, const struct pg_wmsg *m);
    /* a view is installed, in registration order (abcast, domains) */
    void (*reset[PG_HOOKS_MAX])(struct pg *pg, struct pg_group *g);
    uint32_t n_reset;
    /* words added to an outgoing DATA message m (abcast) */
    void (*build)(const struct pg *pg, const struct pg_group *g, struct pg_wmsg *m);
    /* bytes added to it (domains): length or SIZE_MAX; *epoch for dep_sent */
    size_t (*dep_build)(struct pg *pg, struct pg_group *g, uint8_t *buf, size_t cap,
                        uint64_t *epoch);
    /* the message is sent: dep_sent (domains), then sent (abcast) */
    void (*dep_sent)(struct pg *pg, struct pg_group *g, uint64_t epoch);
    void (*sent)(struct pg *pg, struct pg_group *g, const struct pg_wmsg *m);
    /* acknowledgement rows or stability moved (abcast) */
    void (*acks_changed)(struct pg *pg, struct pg_group *g);
    /* messages of rank handed to the application in this view (abcast) */
    uint32_t (*app_count)(const struct pg_group *g, uint32_t rank);
    /* whether m (with dependency bytes) may be delivered now (domains) */
    bool (*ready)(struct pg *pg, struct pg_group *g, struct pg_msg *m);
    /* before a delivery: false refuses it and excludes the node (domains) */
    bool (*pre_deliver)(struct pg *pg, struct pg_group *g, const struct pg_msg *m);
    /* after one: rank j's entry is v, another's message (domains) */
    void (*noted)(struct pg *pg, struct pg_group *g, uint32_t j, uint32_t v);
    /* a delivery heard: m goes on to the application (abcast) */
    void (*deliver)(struct pg *pg, struct pg_group *g, const struct pg_msg *m);
    /* end of a delivery pass (abcast: the holder publishes) */
    void (*pass_end)(struct pg *pg, struct pg_group *g);
    /* end of a view, before the undeliverable rest is discarded (abcast) */
    void (*finish)(struct pg *pg, struct pg_group *g);
};

#endif
