/* sim/driver/platform.h: SimGrid's initialisation and the platform of a run.
 *
 * Owns: starting SimGrid (CM02 network model, sequential contexts, quiet
 * logs) and loading the platform: the built-in cluster (an XML file written
 * from the scenario's validated latency and bandwidth), or a `platform file`.
 *
 * A platform file is checked before the run uses it. SimGrid 3.32 reports a
 * bad platform by throwing a C++ exception, by xbt_die (abort), or by exit()
 * from its XML scanner, and it aborts during the run on values it cannot
 * simulate; none of that can be caught by the C driver. So the file is first
 * loaded in a forked child process, with SimGrid's exceptions caught there;
 * the child then checks what SimGrid accepts but cannot simulate (the
 * built-in cluster's ranges of scenario.h: every link's latency at most
 * 1000 s and bandwidth at least 125 B/s, and so the latency of the routes
 * between the hosts the run uses), that every `place` host exists, and that the hosts the run uses
 * are connected. Only when the child succeeds is the file loaded for real.
 * Any failure, a crash of the child included, is printed as
 * `PLATFORM:LINE: message` (the XML line, when SimGrid gives one) or
 * `PLATFORM: message`, then where the scenario names the file, and the run
 * exits 2 having simulated nothing. This was chosen over validating the XML
 * in pgroup (e.g. libxml2 with SimGrid's DTD) because the child runs
 * SimGrid's own parser and semantic checks: it accepts exactly what SimGrid
 * accepts and catches every way SimGrid fails while loading.
 */
#ifndef SIM_PLATFORM_H
#define SIM_PLATFORM_H

#include <stdio.h>

#include "scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Initialises SimGrid and loads the platform of `s` (checked first when it
 * is a file). Returns 0, or 2 after a message on `err`. Called once per
 * process. */
int sim_platform_load(const struct scn *s, FILE *err);

#ifdef __cplusplus
}
#endif

#endif
