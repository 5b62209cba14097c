/* core/group/pg_domain.h: causality domains, the layer of the group stack above
 * abcast (paper section 3.4), implemented in pg_domain.c (private).
 *
 * Owns: cross-group timestamps, point-to-point cbcast and the group index.
 * It registers with cbcast's and the view layer's hooks.
 */
#ifndef PG_PG_DOMAIN_H
#define PG_PG_DOMAIN_H

#include "pg_abcast.h"

/* Registers this layer's hooks with the layers below it (pg_new, bottom up). */
void pg_dom_register(struct pg *pg);

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

#endif
