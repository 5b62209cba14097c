/* tests/fuzz/fuzz_scenario.c: libFuzzer target for the scenario parser.
 *
 * Feeds arbitrary bytes to scn_parse_text. Properties checked: no crash, no
 * sanitizer report, no leak; an error leaves the struct zeroed; a success
 * yields a scenario within the limits of scenario.h, faults sorted by time.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "scenario.h"

static void check_ok(const struct scn *s)
{
    assert(s->run_ns > 0 && s->quiet_ns < s->run_ns);
    assert(s->n_procs <= SCN_MAX_PROCS && s->n_groups <= SCN_MAX_GROUPS);
    assert(s->n_workloads <= SCN_MAX_WORKLOADS && s->n_faults <= SCN_MAX_FAULTS);
    for (uint32_t i = 0; i < s->n_groups; i++)
        for (uint32_t k = 0; k < s->groups[i].n_members; k++)
            assert(s->groups[i].members[k] < s->n_procs);
    for (uint32_t i = 0; i < s->n_workloads; i++)
        assert(s->workloads[i].group < s->n_groups &&
               s->workloads[i].start_ns < s->workloads[i].stop_ns &&
               s->workloads[i].stop_ns <= s->run_ns - s->quiet_ns);
    for (uint32_t i = 0; i < s->n_faults; i++) {
        assert(s->faults[i].at_ns <= s->run_ns);
        assert(i == 0 || s->faults[i - 1].at_ns <= s->faults[i].at_ns);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (!devnull)
        devnull = fopen("/dev/null", "w");
    assert(devnull);
    struct scn s;
    int rc = scn_parse_text("fuzz.scn", (const char *)data, size, &s, devnull);
    if (rc == 0) {
        check_ok(&s);
        scn_print(&s, devnull);
        scn_free(&s);
        return 0;
    }
    static const struct scn zero;
    assert(rc == 2 && memcmp(&s, &zero, sizeof s) == 0);
    return 0;
}
