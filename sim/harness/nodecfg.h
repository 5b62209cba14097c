/* sim/harness/nodecfg.h: the configuration of the core that a scenario implies.
 *
 * Owns: turning a scenario's `set` lines and sizes (processes, groups,
 * clients, joins, restarts) into the link layer's and the group layer's
 * configuration, the same for every incarnation of a run, under either
 * driver (the simulator or the live one).
 */
#ifndef SIM_NODECFG_H
#define SIM_NODECFG_H

#include "pg.h"
#include "phys.h"
#include "scenario.h"

/* The link layer of every incarnation (struct phys_config): the scenario's
 * timers and window, and tables sized for its groups and incarnations. */
void sim_phys_config(const struct scn *s, struct phys_config *cfg);

/* The group layer of every incarnation (struct pg_config), sized to the
 * scenario: a view holds at most the largest group's initial members plus
 * every joiner. */
void sim_pg_config(const struct scn *s, struct pg_config *cfg);

#endif
