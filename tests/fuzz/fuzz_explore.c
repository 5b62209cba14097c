/* tests/fuzz/fuzz_explore.c: libFuzzer target for the explore spec parser and
 * the generator (sim/sweep/explore_spec.c, sim/sweep/explore_gen.c).
 *
 * Feeds arbitrary bytes to xpl_parse_text and, on success, draws the
 * scenarios of three seeds. Properties checked: no crash, no sanitizer
 * report, no leak; an error returns 2; every drawn scenario is accepted by
 * the scenario parser, and the same seed draws the same text.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (!devnull)
        devnull = fopen("/dev/null", "w");
    assert(devnull);
    struct xpl_spec s;
    int rc = xpl_parse_text("fuzz.explore", (const char *)data, size, &s, devnull);
    if (rc != 0) {
        assert(rc == 2 && s.base == NULL);
        return 0;
    }
    for (uint64_t seed = 1; seed <= 3; seed++) {
        size_t len, len2;
        char *text = xpl_generate(&s, seed, &len), *again = xpl_generate(&s, seed, &len2);
        assert(len == len2 && !memcmp(text, again, len));
        struct scn sc;
        int prc = scn_parse_text("fuzz.scn", text, len, &sc, stderr);
        if (prc != 0)
            fprintf(stderr, "drawn scenario does not parse:\n%s\n", text);
        assert(prc == 0);
        scn_free(&sc);
        free(text);
        free(again);
    }
    xpl_free(&s);
    return 0;
}
