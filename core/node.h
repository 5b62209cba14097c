/* core/node.h: one process incarnation's protocol stack.
 *
 * Owns: `struct pg_node`, the object that holds every layer's state for one
 * process (for now the link layer, phys.h; the process-group layer joins it
 * later) and routes the node's inputs (datagrams, timer slots) to the layer
 * that owns them. No globals: a simulation holds many nodes in one process.
 */
#ifndef PG_NODE_H
#define PG_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "phys.h"

struct pg_node;

/* Creates the node of incarnation `self` over `env` (which must outlive it).
 * Preconditions: self != PG_NODE_NONE, cfg valid (see phys_new). Returns NULL
 * only if allocation fails. */
struct pg_node *pg_node_new(const struct pg_env *env, pg_node_id self,
                            const struct phys_config *cfg);
void pg_node_free(struct pg_node *n);

/* Input: a datagram from `from` arrived (bytes valid only during the call). */
void pg_node_on_datagram(struct pg_node *n, pg_node_id from, const uint8_t *buf, size_t len);

/* Input: timer `slot` (< PG_TIMER_SLOTS) fired. Slots other than
 * PG_TIMER_PHYS are reserved for upper layers and ignored for now. */
void pg_node_on_timer(struct pg_node *n, unsigned slot);

/* The node's link layer (never NULL) and its incarnation id. */
struct phys *pg_node_phys(struct pg_node *n);
pg_node_id pg_node_self(const struct pg_node *n);

#endif
