/* core/pg_internal.h: state shared by the modules of the process-group layer.
 *
 * Owns: the layout of struct pg and struct pg_group, and the functions the
 * pg_*.c modules call in each other. Not a public header: pg.h is.
 *   pg.c        API (Table 1), input dispatch, nested-input queue, outbox, timer
 *   pg_wire.c   pg_encode / pg_decode
 *   pg_cbcast.c message store, VT compression, causal delivery, stability, pg_flush
 *   pg_view.c   requests, flush, decision, install, exclusion
 */
#ifndef PG_INTERNAL_H
#define PG_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "pg.h"

#define PG_CAP PG_MAX_MEMBERS_CAP

/* One cbcast message of a view, kept from receipt until stable. */
struct pg_msg {
    struct pg_msg *next; /* per-sender list, ascending seq */
    uint32_t seq;
    uint8_t sender; /* rank in the view */
    bool delivered;
    bool delayed;       /* counted once as delayed by the causal rule */
    int64_t arrived_ns; /* when it was stored: a delayed message's wait starts here */
    uint32_t len;
    uint32_t *vt; /* view size entries */
    uint8_t *payload;
};

/* The messages of one view. */
struct pg_store {
    uint32_t view_id;
    uint32_t n; /* view size */
    struct pg_msg *head[PG_CAP];
    uint32_t count;
};

/* A queued raw pg message (outbox, future, nested inputs) or held payload. */
struct pg_blob {
    uint8_t *buf;
    uint32_t len;
    pg_node_id from;
    pg_gid gid;
    uint8_t kind; /* nested inputs: 0 message, 1 suspicion of `from` */
};

struct pg_queue {
    struct pg_blob *b;
    uint32_t cap, head, count;
};

struct pg_req {
    uint8_t op; /* enum pg_req_op */
    pg_node_id pid;
};

/* A proposal / decision: the next view's lists. key orders attempts. */
struct pg_prop {
    uint64_t key; /* attempt << 8 | (255 - coordinator rank); 0 = none */
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
};

struct pg_group {
    enum pg_gstate st;
    pg_gid gid;
    struct pg_view view; /* valid when MEMBER (and the last one when EXCLUDED) */
    uint32_t my_rank;

    /* cbcast (pg_cbcast.c) */
    uint32_t vt[PG_CAP];      /* delivered per sender rank: VT(p) */
    uint32_t my_seq;          /* own messages sent in the view */
    uint32_t sent_vt[PG_CAP]; /* VT of my previous message (compression base) */
    uint32_t *last_vt;        /* [PG_CAP][PG_CAP]: last VT seen from each sender, direct stream */
    uint32_t *ack;            /* [PG_CAP][PG_CAP]: each member's delivered vector as known */
    uint32_t stable[PG_CAP];  /* min over members of ack */
    uint32_t adv[PG_CAP];     /* delivered vector last advertised */
    bool adv_dirty;
    int64_t stable_due_ns;
    struct pg_store cur, prev;

    /* view change (pg_view.c) */
    uint64_t dead;      /* ranks of the view this node no longer listens to */
    uint64_t promise;   /* highest key this node sent FLUSH_OK for */
    struct pg_prop acc; /* accepted flush proposal (key 0: none) */
    uint64_t fok_key;   /* FLUSH_OKs gathered for this key */
    uint64_t fok, fok_dead;
    uint64_t coord_key; /* my running attempt as coordinator, 0 if none */
    uint32_t max_attempt;
    struct pg_prop dec; /* decision (key 0: none) */
    uint8_t dec_old_n;
    bool dec_full;              /* a full ACK was received for dec: every message of v is here */
    bool committed;             /* sent my ACK for dec */
    uint64_t acks;              /* ranks of v that acked dec */
    pg_node_id jackers[PG_CAP]; /* joiner: distinct ackers of dec */
    uint32_t n_jackers;
    uint32_t need_sent_view;
    uint64_t need_key;
    uint64_t heard; /* ranks heard from in the current view */
    /* the decision that installed the current view, kept to answer late takeovers */
    struct pg_prop last_dec;
    uint32_t last_dec_view;
    uint8_t last_dec_old_n;
    struct pg_req *reqs;
    uint32_t n_reqs;

    struct pg_queue held, future, outbox;

    pg_entry_fn entry;
    void *entry_ctx;
    pg_monitor_fn mon;
    void *mon_ctx;
    pg_flush_fn fdone;
    void *fctx;
    bool fpending;
    uint32_t f_view, f_seq;
    pg_node_id contact;
    int64_t retry_due_ns;
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
};

/* pg.c */
int64_t pg_now(const struct pg *pg);
void pg_sometimes(struct pg *pg, pg_gid gid, enum pg_sometimes what, const char *detail);
/* Multicasts an encoded message (queued in the outbox if a window is full or
 * it is not empty). Returns PG_OK, or PG_E_FULL when the outbox is full (the
 * caller's group is then excluded). */
int pg_send(struct pg *pg, struct pg_group *g, const struct pg_wmsg *m);
void pg_arm_timer(struct pg *pg);
bool pg_queue_push(struct pg_queue *q, const uint8_t *buf, size_t len, pg_node_id from, pg_gid gid,
                   uint8_t kind);
bool pg_queue_pop(struct pg_queue *q, struct pg_blob *out);
void pg_queue_clear(struct pg_queue *q);
void pg_group_process(struct pg *pg, struct pg_group *g, pg_node_id from, const uint8_t *buf,
                      size_t len);

/* pg_cbcast.c */
void pg_store_clear(struct pg_store *s);
void pg_cb_reset(struct pg *pg, struct pg_group *g, uint32_t view_id, uint32_t n);
int pg_cb_send(struct pg *pg, struct pg_group *g, const uint8_t *p, size_t len);
int pg_cb_send_ex(struct pg *pg, struct pg_group *g, const uint8_t *p, size_t len, bool may_queue);
void pg_cb_on_data(struct pg *pg, struct pg_group *g, uint32_t rank, const struct pg_wmsg *m);
void pg_cb_on_fwd(struct pg *pg, struct pg_group *g, const struct pg_wmsg *m);
void pg_cb_on_stable(struct pg *pg, struct pg_group *g, uint32_t rank, const struct pg_wmsg *m);
void pg_cb_deliver(struct pg *pg, struct pg_group *g);
/* Delivers every deliverable message, discards the rest (view install). */
void pg_cb_finish_view(struct pg *pg, struct pg_group *g);
/* Multicasts FWD copies of the current (or previous) view's messages: all of
 * them if `mask` is ~0, else those whose sender rank is in mask. */
void pg_cb_forward(struct pg *pg, struct pg_group *g, const struct pg_store *s, uint64_t mask);
void pg_cb_stable_tick(struct pg *pg, struct pg_group *g);
void pg_cb_check_flush(struct pg *pg, struct pg_group *g);
uint32_t pg_cb_unstable_own(const struct pg_group *g);

/* pg_view.c */
int pg_rank_of(const pg_node_id *members, uint32_t n, pg_node_id pid);
uint64_t pg_key(uint32_t attempt, uint32_t coord_rank);
void pg_view_on_msg(struct pg *pg, struct pg_group *g, pg_node_id from, int rank,
                    const struct pg_wmsg *m);
void pg_view_on_suspect(struct pg *pg, struct pg_group *g, pg_node_id failed);
void pg_view_check(struct pg *pg, struct pg_group *g);
void pg_view_exclude(struct pg *pg, struct pg_group *g, const char *why);
void pg_view_install_first(struct pg *pg, struct pg_group *g, const struct pg_prop *p,
                           uint32_t view_id);
void pg_view_add_req(struct pg *pg, struct pg_group *g, uint8_t op, pg_node_id pid);
bool pg_view_flushing(const struct pg_group *g);
void pg_view_on_joining(struct pg *pg, struct pg_group *g, pg_node_id from,
                        const struct pg_wmsg *m);
void pg_view_on_prev(struct pg *pg, struct pg_group *g, const struct pg_wmsg *m);
void pg_view_on_future(struct pg *pg, struct pg_group *g);

#endif
