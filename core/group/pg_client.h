/* core/group/pg_client.h: clients and diffusion, the layer of the group stack
 * above the causality domains (paper section 4), implemented in
 * pg_client.c (private).
 *
 * Owns: client registration, client messages through a contact, diffusion
 * relay. It registers with the view layer's and abcast's hooks.
 */
#ifndef PG_PG_CLIENT_H
#define PG_PG_CLIENT_H

#include "pg_domain.h"

/* Registers this layer's hooks with the layers below it (pg_new, bottom up). */
void pg_cl_register(struct pg *pg);

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

#endif
