/* core/group/pg_view_state.h: the view layer's types that struct pg_group and
 * struct pg embed (private; only pg_base.h includes it).
 *
 * Owns: requests, proposals, the view layer's per-group state and the hook
 * table through which pg_view.c reaches the layers above it.
 */
#ifndef PG_PG_VIEW_STATE_H
#define PG_PG_VIEW_STATE_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg_wire.h"

#define PG_REPORTS_MAX 16u /* suspicion reports a coordinator judges at once (more: dropped) */
_Static_assert(PG_REPORTS_MAX >= 1u, "a coordinator judges at least one report");

struct pg;
struct pg_group;
struct pg_blob;

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

/* The view layer's state in a group (pg_view.c). */
struct pg_vw_state {
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
};

/* ---- hooks: how a lower layer of the group stack reaches the layers above
 * it without naming them. A layer above registers its functions at pg_new
 * (pg_X_register, called bottom-up); a lower layer calls a hook through
 * these tables only, in the order its comment gives. NULL: nobody listens,
 * except on cbcast's per-message path (pg_cb_hooks_complete). */

#define PG_HOOKS_MAX 2u /* listeners of one hook point */
_Static_assert(PG_HOOKS_MAX >= 2u,
               "two listeners: exclusion (cbcast, clients), reset (abcast, domains)");

/* The view layer's hooks (pg_view.c calls them; cbcast and above register). */
struct pg_view_hooks {
    /* install, first: deliver what v allows, discard the rest (cbcast) */
    void (*finish)(struct pg *pg, struct pg_group *g);
    /* install: the decided view p is next, every message of v applied (state) */
    void (*snapshot)(struct pg *pg, struct pg_group *g, const struct pg_prop *p);
    /* whether the install must wait (domains; retried by pg_view_retry_install) */
    bool (*hold_install)(struct pg *pg, struct pg_group *g);
    /* a view is installed: per-view state restarts (cbcast) */
    void (*reset)(struct pg *pg, struct pg_group *g, uint32_t view_id, uint32_t n);
    /* sends a held application message (cbcast) */
    int (*send_held)(struct pg *pg, struct pg_group *g, const struct pg_blob *b);
    /* the view is installed, before the monitor upcall (clients) */
    void (*installed)(struct pg *pg, struct pg_group *g);
    /* the view is installed and reported (cbcast: pg_flush) */
    void (*reported)(struct pg *pg, struct pg_group *g);
    /* start of pg_view_check on a member (state: a provider may have failed) */
    void (*check)(struct pg *pg, struct pg_group *g);
    /* the node is excluded, in registration order (cbcast, clients) */
    void (*excluded[PG_HOOKS_MAX])(struct pg *pg, struct pg_group *g);
    uint32_t n_excluded;
    /* sends FWD copies of every message of the current (prev false) or the
     * previous view (cbcast; senders NULL: every rank) */
    void (*forward)(struct pg *pg, struct pg_group *g, bool prev, const struct pg_rset *senders,
                    pg_node_id to);
    /* the view id of the stored previous (prev true) or current view (cbcast) */
    uint32_t (*stored_view)(const struct pg_group *g, bool prev);
    /* joiner: whether its state is here (state) */
    bool (*joiner_ready)(struct pg *pg, struct pg_group *g);
};

#endif
