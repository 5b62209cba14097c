/* core/include/node/node.h: one process incarnation's protocol stack.
 *
 * Owns: `struct pg_node`, the object that holds every layer's state for one
 * process (the link layer, phys.h, and above it the process-group layer,
 * pg.h) and routes the node's inputs (datagrams, timer slots) to the layer
 * that owns them. No globals: a simulation holds many nodes in one process.
 */
#ifndef PG_NODE_H
#define PG_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "pg.h"
#include "phys.h"

struct pg_node;

/* Creates the node of incarnation `self` over `env` (which must outlive it).
 * Preconditions: self != PG_NODE_NONE, cfg valid (see phys_new); `pg_cfg`
 * NULL means pg_config_default. Returns NULL only if allocation fails. */
struct pg_node *pg_node_new(const struct env *env, pg_node_id self, const struct phys_config *cfg);
struct pg_node *pg_node_new_pg(const struct env *env, pg_node_id self,
                               const struct phys_config *cfg, const struct pg_config *pg_cfg);
void pg_node_free(struct pg_node *n);

/* Input: a datagram from `from` arrived (bytes valid only during the call). */
void pg_node_on_datagram(struct pg_node *n, pg_node_id from, const uint8_t *buf, size_t len);

/* Input: timer `slot` (< PG_TIMER_SLOTS) fired: PG_TIMER_PHYS goes to the
 * link layer, PG_TIMER_PG to the group layer; other slots are reserved. */
void pg_node_on_timer(struct pg_node *n, unsigned slot);

/* The node's link layer (never NULL) and its incarnation id. */
struct phys *pg_node_phys(struct pg_node *n);
/* The node's process-group layer (never NULL): the paper's Table 1. */
struct pg *pg_node_pg(struct pg_node *n);
pg_node_id pg_node_self(const struct pg_node *n);

#endif
