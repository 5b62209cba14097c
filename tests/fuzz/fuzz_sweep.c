/* tests/fuzz/fuzz_sweep.c: libFuzzer target for the sweep spec parser and its
 * expansion (sim/sweep/sweep_spec.c, sim/sweep/sweep_expand.c).
 *
 * Feeds arbitrary bytes to swp_parse_text and, on success, expands the spec
 * (at most 16 runs, each generated scenario parsed by the scenario parser).
 * Properties checked: no crash, no sanitizer report, no leak; an error returns
 * 2 and leaves nothing to free; a success has grids with an order and a group
 * size, and points whose ids are unique and whose scenario text regenerates.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sweep.h"

static void check_points(const struct swp_spec *s)
{
    static char text[(size_t)SWP_MAX_BASE * SCN_LINE_MAX];
    for (uint32_t i = 0; i < s->n_points; i++) {
        const struct swp_point *p = &s->points[i];
        assert(p->grid < s->n_grids && p->senders >= 1 && p->senders <= p->group_size);
        assert(swp_scenario_text(s, p, text, sizeof text) > 0);
        for (uint32_t k = 0; k < i; k++)
            assert(strcmp(s->points[k].id, p->id) != 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (!devnull)
        devnull = fopen("/dev/null", "w");
    assert(devnull);
    struct swp_spec s;
    int rc = swp_parse_text("fuzz.sweep", (const char *)data, size, &s, devnull);
    if (rc != 0) {
        assert(rc == 2 && s.grids == NULL && s.points == NULL);
        return 0;
    }
    assert(s.n_grids >= 1 && s.line_base >= 1);
    for (uint32_t g = 0; g < s.n_grids; g++)
        assert(s.grids[g].axis[SWP_A_ORDER].n >= 1 && s.grids[g].axis[SWP_A_GROUP_SIZE].n >= 1);
    rc = swp_expand(&s, 16, devnull);
    assert(rc == 0 || rc == 2);
    if (rc == 0)
        check_points(&s);
    swp_free(&s);
    return 0;
}
