/* core/group/pg_cbcast.h: cbcast, the layer of the group stack above views
 * (paper section 3.2 and 5), implemented in pg_cbcast.c (private).
 *
 * Owns: the message store, vector timestamps, causal delivery, stability and
 * pg_flush. It calls the view layer and pg_base; abcast and the causality
 * domains plug in through struct pg_cb_hooks (pg_cbcast_state.h).
 */
#ifndef PG_PG_CBCAST_H
#define PG_PG_CBCAST_H

#include "pg_view.h"

/* Registers this layer's hooks with the layers below it (pg_new, bottom up). */
void pg_cb_register(struct pg *pg);
/* Whether every hook of cbcast's per-message path is registered (the layers
 * above registered at pg_new): cbcast calls those without a NULL test. */
bool pg_cb_hooks_complete(const struct pg *pg);

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

#endif
