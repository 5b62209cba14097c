/* core/group/pg_view.h: the view layer of the group stack, views and flush
 * (paper section 3.1, 5), implemented in pg_view.c (private).
 *
 * Owns: the requests, flush attempts, decisions, installs and exclusions of a
 * group. It calls pg_base only; the layers above it plug in through struct
 * pg_view_hooks (pg_view_state.h).
 */
#ifndef PG_PG_VIEW_H
#define PG_PG_VIEW_H

#include "pg_base.h"

/* Registers this layer's hooks with the layers below it (pg_new, bottom up). */
void pg_view_register(struct pg *pg);

/* pg_view.c */
/* The coordinator's earliest report deadline (PG_TIMER_NEVER: none), and its expiry. */
int64_t pg_view_due(const struct pg_group *g);
void pg_view_tick(struct pg *pg, struct pg_group *g, int64_t now_ns);
/* An OUT notice: a view later than this node's does not list it. */
void pg_view_on_out(struct pg *pg, struct pg_group *g, const struct pg_wmsg *m);
/* Installs the decided view if it is due (after pg_dom_hold_install released it). */
void pg_view_retry_install(struct pg *pg, struct pg_group *g);
uint64_t pg_key(uint32_t attempt, uint32_t coord_rank);
void pg_view_on_msg(struct pg *pg, struct pg_group *g, pg_node_id from, int rank,
                    const struct pg_wmsg *m);
void pg_view_on_suspect(struct pg *pg, struct pg_group *g, pg_node_id failed);
void pg_view_check(struct pg *pg, struct pg_group *g);
/* The coordinator: the lowest rank of the view this node still listens to. */
uint32_t pg_view_coord(const struct pg_group *g);
/* This node is out of g as failed (fail-stop conversion, section 5):
 * suspected by the others, a minority partition, a view without it that it
 * did not ask for, a resource limit, a message it can never deliver. It
 * delivers nothing more in g (monitor upcall with excluded true) and tells
 * the members of its view (REQ FAILED naming itself), so that they stop
 * waiting for it even if its links work. */
void pg_view_exclude(struct pg *pg, struct pg_group *g, const char *why);
/* The same without telling anyone: the members already know (it left at its
 * request, a later view excludes it, it told them itself). */
void pg_view_exclude_quiet(struct pg *pg, struct pg_group *g, const char *why);
void pg_view_install_first(struct pg *pg, struct pg_group *g, const struct pg_prop *p,
                           uint32_t view_id);
void pg_view_add_req(struct pg *pg, struct pg_group *g, uint8_t op, pg_node_id pid);
bool pg_view_flushing(const struct pg_group *g);
void pg_view_on_joining(struct pg *pg, struct pg_group *g, pg_node_id from,
                        const struct pg_wmsg *m);
void pg_view_on_prev(struct pg *pg, struct pg_group *g, pg_node_id from, const struct pg_wmsg *m);
void pg_view_on_stale(struct pg *pg, struct pg_group *g, pg_node_id from, const struct pg_wmsg *m);
/* A message of view v+1 from `from` arrived while this node is in v. */
void pg_view_on_future(struct pg *pg, struct pg_group *g, pg_node_id from);
/* A joiner installs its decision once a majority of the old view committed to
 * it and pg_state_joiner_ready says its state is here. */
void pg_view_joiner_install(struct pg *pg, struct pg_group *g);

#endif
