/* core/group/pg_state.h: state transfer, the top layer of the group stack
 * (paper section 3.1, joins), implemented in pg_state.c (private).
 *
 * Owns: the snapshot, chunks, assembly and timeout of a joiner's state. It
 * registers with the view layer's hooks.
 */
#ifndef PG_PG_STATE_H
#define PG_PG_STATE_H

#include "pg_client.h"

/* Registers this layer's hooks with the layers below it (pg_new, bottom up). */
void pg_state_register(struct pg *pg);

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
