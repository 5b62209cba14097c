/* core/group/pg_abcast.h: abcast, the layer of the group stack above cbcast
 * (paper section 3.3), implemented in pg_abcast.c (private).
 *
 * Owns: the token, ORDER records and total-order delivery to the
 * application. It registers with cbcast's hooks; clients plug in through
 * pg->ab_cx (the delivery of client traffic).
 */
#ifndef PG_PG_ABCAST_H
#define PG_PG_ABCAST_H

#include "pg_cbcast.h"

/* Registers this layer's hooks with the layers below it (pg_new, bottom up). */
void pg_ab_register(struct pg *pg);

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
/* Ranks the abcast state of g covers (0 for a client's cached view). */
uint32_t pg_ab_n(const struct pg_group *g);
/* Messages of rank handed to the application (or passed through) in this view. */
uint32_t pg_ab_app_count(const struct pg_group *g, uint32_t rank);
/* The token holder as this node knows it (PG_NODE_NONE: none yet). */
pg_node_id pg_ab_holder(const struct pg_group *g);

#endif
