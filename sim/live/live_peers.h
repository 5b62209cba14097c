/* sim/live/live_peers.h: the peers file of `pgroup node`.
 *
 * Owns: parsing the file that gives every scenario process its address, one
 * per line: `NAME HOST:PORT` (NAME a process of the scenario, HOST an IPv4
 * address or a name that resolves to one, PORT 1 to 65535), blank lines and
 * `#` comments allowed. Every process of the scenario is listed exactly
 * once. An error is `FILE:LINE:COL: message`.
 */
#ifndef SIM_LIVE_PEERS_H
#define SIM_LIVE_PEERS_H

#include <netinet/in.h>
#include <stdio.h>

#include "scenario.h"

/* Fills addrs[p] (n_procs entries) for scenario s from `path`. Returns 0, or
 * 2 after `FILE:LINE:COL: message` on err. */
int live_peers_parse(const char *path, const struct scn *s, struct sockaddr_in *addrs, FILE *err);

#endif
