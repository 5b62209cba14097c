/* tests/test_sweep.c: the sweep spec parser and its expansion (sim/sweep/sweep_spec.c,
 * sim/sweep/sweep_expand.c).
 *
 * A spec parses to the expected grids (defaults merged, implicit grid `main`),
 * expands to the expected points with canonical values, ids and scenario text,
 * and every class of error gives the exact `FILE:LINE:COL: message` and 2,
 * including errors found in a generated scenario, which are reported at the
 * spec token they came from. The repository's specs parse and expand.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sweep.h"

static char errbuf[8192];

/* Parses and expands `text` as "t.sweep"; the error output lands in errbuf. */
static int load(const char *text, struct swp_spec *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&buf, &len);
    assert_non_null(err);
    int rc = swp_parse_text("t.sweep", text, strlen(text), s, err);
    if (rc == 0)
        rc = swp_expand(s, 0, err);
    fclose(err);
    snprintf(errbuf, sizeof errbuf, "%s", buf ? buf : "");
    free(buf);
    return rc;
}

static void load_ok(const char *text, struct swp_spec *s)
{
    int rc = load(text, s);
    if (rc != 0)
        print_error("unexpected error: %s", errbuf);
    assert_int_equal(rc, 0);
    assert_string_equal(errbuf, "");
}

static void load_err(const char *text, const char *want)
{
    struct swp_spec s;
    int rc = load(text, &s);
    char line[8300];
    snprintf(line, sizeof line, "%s\n", want);
    if (strcmp(errbuf, line) != 0)
        print_error("input:\n%s\nwant: %sgot:  %s", text, line, errbuf);
    assert_int_equal(rc, 2);
    assert_string_equal(errbuf, line);
    swp_free(&s);
}

#define BASE "base\n  run 3s\n  quiet 1s\nend\n"

static void test_minimal(void **state)
{
    struct swp_spec s;
    load_ok(BASE "order cbcast\ngroup_size 4\n", &s);
    assert_string_equal(s.name, "t");
    assert_int_equal(s.n_grids, 1);
    assert_string_equal(s.grids[0].name, "main");
    assert_int_equal(s.n_base, 2);
    assert_string_equal(s.base + s.base_off[0], "  run 3s");
    assert_int_equal(s.base_line[1], 3);
    assert_int_equal(s.n_points, 1);
    const struct swp_point *p = &s.points[0];
    assert_int_equal(p->group_size, 4);
    assert_int_equal(p->senders, 1);    /* default */
    assert_true(p->rate == 10.0);       /* default 10/s */
    assert_int_equal(p->msg_bytes, 64); /* default */
    assert_true(p->loss == 0 && p->crash_s < 0);
    assert_int_equal(p->seed, 1);
    assert_string_equal(p->id, "main-cbcast-n4-s1-r10-b64-l0-seed1");
    char text[4096];
    assert_true(swp_scenario_text(&s, p, text, sizeof text) > 0);
    assert_string_equal(text, "seed 1\nprocesses p1..p4\ngroup g p1..p4\nsend p1 group g order "
                              "cbcast rate 10/s size 64B\nat 0s loss 0%\n  run 3s\n  quiet 1s\n");
    assert_int_equal(swp_scenario_text(&s, p, text, 20), 0); /* does not fit */
    swp_free(&s);
}

static void test_grid_product(void **state)
{
    struct swp_spec s;
    load_ok(BASE "name prod\norder fifo cbcast\ngroup_size 2 4\nsenders 1 all 3\nseed 7 8\n"
                 "rate 0.5/s\nsize 1KiB\nloss 2.5%\n",
            &s);
    assert_string_equal(s.name, "prod");
    /* 2 orders x 2 sizes x 3 senders x 2 seeds = 24, minus `senders 3` at size 2 (2 x 2) */
    assert_int_equal(s.n_points, 20);
    assert_int_equal(s.n_skipped, 4);
    const struct swp_point *p = &s.points[0];
    assert_string_equal(p->id, "main-fifo-n2-s1-r0.5-b1024-l2.5-seed7");
    assert_int_equal(s.points[1].seed, 8);    /* seed innermost */
    assert_int_equal(s.points[2].senders, 2); /* `all` at size 2 */
    assert_true(s.points[0].loss > 0.0249 && s.points[0].loss < 0.0251);
    assert_string_equal(s.points[19].id, "main-cbcast-n4-s3-r0.5-b1024-l2.5-seed8");
    swp_free(&s);
}

/* `senders last`: one sender, the last member (not the coordinator, which
 * holds the abcast token first). */
static void test_senders_last(void **state)
{
    struct swp_spec s;
    load_ok(BASE "order abcast\ngroup_size 2 5\nsenders 1 last\n", &s);
    assert_int_equal(s.n_points, 4);
    const struct swp_point *p = &s.points[3];
    assert_int_equal(p->senders, 1);
    assert_int_equal(p->first_sender, 5);
    assert_string_equal(p->id, "main-abcast-n5-sp5-r10-b64-l0-seed1");
    assert_int_equal(s.points[2].first_sender, 1);
    assert_int_equal(s.points[1].first_sender, 2);
    assert_string_equal(s.points[1].id, "main-abcast-n2-sp2-r10-b64-l0-seed1");
    char text[4096];
    assert_true(swp_scenario_text(&s, p, text, sizeof text) > 0);
    assert_non_null(strstr(text, "\nsend p5 group g order abcast"));
    swp_free(&s);
}

static void test_grids_and_sets(void **state)
{
    struct swp_spec s;
    load_ok(BASE "order cbcast\ngroup_size 4\nset vt_compress on\n"
                 "grid a\n"
                 "grid b\ngroup_size 8 16\nset vt_compress off on\nset window 64\ncrash 1s\n"
                 "dump_latency\n",
            &s);
    assert_int_equal(s.n_grids, 2);
    assert_int_equal(s.n_set_keys, 2);
    assert_string_equal(s.set_keys[0], "vt_compress");
    assert_string_equal(s.set_keys[1], "window");
    assert_false(s.grids[0].dump_latency);
    assert_true(s.grids[1].dump_latency);
    assert_int_equal(s.n_points, 5); /* a: 1; b: 2 sizes x 2 compress */
    assert_string_equal(s.points[0].id, "a-cbcast-n4-s1-r10-b64-l0-vt_compress.on-seed1");
    const struct swp_point *p = &s.points[1];
    assert_string_equal(p->id, "b-cbcast-n8-s1-r10-b64-l0-crash1-vt_compress.off-window.64-seed1");
    assert_true(p->crash_s == 1.0);
    assert_string_equal(swp_point_set(&s, p, "vt_compress"), "off");
    assert_string_equal(swp_point_set(&s, &s.points[0], "window"), "");
    char text[4096];
    assert_true(swp_scenario_text(&s, p, text, sizeof text) > 0);
    assert_non_null(strstr(text, "set vt_compress off\nset window 64\nat 1s crash p8\n"));
    swp_free(&s);
}

static void test_comments_crlf(void **state)
{
    struct swp_spec s;
    load_ok("# a spec\r\nbase # the shared lines\r\n run 2s # comment kept for the scenario\r\n"
            "end\r\norder fifo # why\r\ngroup_size 3\r\n",
            &s);
    assert_int_equal(s.n_points, 1);
    assert_int_equal(s.points[0].group_size, 3);
    swp_free(&s);
}

static const struct {
    const char *text, *want;
} cases[] = {
    /* structure */
    {"order fifo\ngroup_size 2\n",
     "t.sweep:3:1: missing `base ... end`: the scenario lines every run shares (at least `run`)"},
    {"base\n run 1s\n", "t.sweep:1:1: `base` is never closed by `end`"},
    {BASE "base\n", "t.sweep:5:1: `base` given twice (first at line 1)"},
    {"base x\n", "t.sweep:1:6: `base` stands alone on its line; scenario lines follow, then `end`"},
    {"end\n", "t.sweep:1:1: `end` without `base`"},
    {BASE "grup_size 2\n", "t.sweep:5:1: unknown keyword 'grup_size' (did you mean 'group_size'?)"},
    {BASE "frobnicate 2\n",
     "t.sweep:5:1: unknown keyword 'frobnicate' (expected name, base, grid, order, group_size, "
     "senders, rate, size, loss, crash, seed, set or dump_latency)"},
    {BASE "order fifo\n", "t.sweep:6:1: grid main has no `group_size` (give it in the grid or "
                          "before the first grid)"},
    {BASE "group_size 2\ngrid x\n",
     "t.sweep:6:1: grid x has no `order` (give it in the grid or before the first grid)"},
    {BASE "name a\nname b\n", "t.sweep:6:1: `name` given twice (first at line 5)"},
    {BASE "name a b\n", "t.sweep:5:8: expected `name NAME` (a word of at most 47 bytes)"},
    {BASE "grid 9x\n", "t.sweep:5:1: expected `grid NAME` (a word of at most 47 bytes)"},
    {BASE "grid a\ngrid a\n", "t.sweep:6:6: grid 'a' defined twice (first at line 5)"},
    {"base\n run 1s\n\x01\nend\n", "t.sweep:3:1: control byte 0x01"},
    /* axes */
    {BASE "order fifo\norder cbcast\n",
     "t.sweep:6:1: `order` given twice in the defaults (first at line 5)"},
    {BASE "grid g\nseed 1\nseed 2\n", "t.sweep:7:1: `seed` given twice in g (first at line 6)"},
    {BASE "order\n", "t.sweep:5:1: `order` needs at least one value"},
    {BASE "order fifo total\n",
     "t.sweep:5:12: unknown order 'total' (expected fifo, cbcast or abcast)"},
    {BASE "order fifo fifo\n", "t.sweep:5:12: `order` lists 'fifo' twice"},
    {BASE "group_size 0\n", "t.sweep:5:12: group_size '0': expected a whole number from 1 to 256"},
    {BASE "group_size 02\n",
     "t.sweep:5:12: group_size '02': expected a whole number from 1 to 256"},
    {BASE "senders some\n",
     "t.sweep:5:9: senders 'some': expected `all`, `last` or a whole number from 1 to 256"},
    {BASE "seed -1\n", "t.sweep:5:6: seed '-1': expected a whole number"},
    {BASE "set\n", "t.sweep:5:1: `set` needs a key and at least one value"},
    {BASE "set 1x on\n", "t.sweep:5:5: '1x' is not a setting name"},
    {BASE "set window\n", "t.sweep:5:5: `set` needs at least one value"},
    {BASE "set window 1\nset window 2\n",
     "t.sweep:6:5: `set window` given twice in the defaults (first at line 5)"},
    {BASE "dump_latency yes\n", "t.sweep:5:14: `dump_latency` takes no value"},
    /* base lines owned by the sweep */
    {"base\n processes p1\nend\n",
     "t.sweep:2:2: base: `processes` is written by the group_size axis; remove it from base"},
    {"base\n seed 3\nend\n",
     "t.sweep:2:2: base: `seed` is written by the seed axis; remove it from base"},
    {"base\n platform file x.xml\nend\n",
     "t.sweep:2:16: base: `platform file` needs an absolute path here (the generated scenarios "
     "live in the output directory)"},
    /* errors in the generated scenarios, at the spec token they came from */
    {BASE "order fifo\ngroup_size 2\nrate 5\n",
     "t.sweep:7:6: expected a rate (like 50/s or 0.5/s), not '5' (in the scenario of grid main: "
     "order fifo, group_size 2, senders 1, rate 5, size 64B, loss 0%, crash none, seed 1)"},
    {BASE "order fifo\ngroup_size 2\nsize 64B 9000B\n",
     "t.sweep:7:10: size '9000B' is over the maximum, 8176B (in the scenario of grid main: order "
     "fifo, "
     "group_size 2, senders 1, rate 10/s, size 9000B, loss 0%, crash none, seed 1)"},
    {"base\n  run 3s\n  hurry\nend\norder fifo\ngroup_size 2\n",
     "t.sweep:3:3: unknown keyword 'hurry' (expected one of: name, seed, platform, set, processes, "
     "place, group, send, at, run, quiet, expect, domain, relay, bound, hier, hier-clients, "
     "hier-requests, hier-mcast) (in the scenario of grid main: "
     "order fifo, "
     "group_size 2, senders 1, rate 10/s, size 64B, loss 0%, crash none, seed 1)"},
    {BASE "order fifo\ngroup_size 2\nset vt_compres on\n",
     "t.sweep:7:5: unknown setting 'vt_compres' (valid keys: heartbeat_period, suspect_timeout, "
     "rto_initial, rto_max, ack_delay, window, abcast_token, vt_compress) (in the scenario of grid "
     "main: order "
     "fifo, group_size 2, senders 1, rate 10/s, size 64B, loss 0%, crash none, seed 1, set "
     "vt_compres on)"},
    {BASE "order cbcast\ngroup_size 2\ncrash 5s\n",
     "t.sweep:7:7: event at 5s is after the run ends at 3s (in the scenario of grid main: order "
     "cbcast, group_size 2, senders 1, rate 10/s, size 64B, loss 0%, crash 5s, seed 1)"},
    {"base\nend\norder fifo\ngroup_size 2\n",
     "t.sweep:1:1: missing `run T`: a scenario needs a simulated duration (in the scenario of "
     "grid main: order fifo, group_size 2, senders 1, rate 10/s, size 64B, loss 0%, crash none, "
     "seed 1)"},
    {BASE "order fifo\ngroup_size 2\nsize 1KB 1000B\n",
     "t.sweep:8:1: grid main gives run main-fifo-n2-s1-r10-b1000-l0-seed1 twice (two values of an "
     "axis are equal)"},
    {BASE "order fifo\ngroup_size 2\nsenders 3\n",
     "t.sweep:8:1: the spec gives no run (every point has more senders than members)"},
};

static void test_errors(void **state)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        load_err(cases[i].text, cases[i].want);
}

static void test_error_file(void **state)
{
    struct swp_spec s;
    char *buf = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&buf, &len);
    assert_int_equal(swp_parse("/nonexistent/x.sweep", &s, err), 2);
    fclose(err);
    assert_string_equal(buf, "/nonexistent/x.sweep:1:1: cannot open: No such file or directory\n");
    free(buf);
    swp_free(&s);
}

static void test_limits(void **state)
{
    char text[8192];
    size_t at = (size_t)snprintf(text, sizeof text, BASE "order fifo\ngroup_size");
    for (int i = 1; i <= SWP_MAX_VALUES + 1; i++)
        at += (size_t)snprintf(text + at, sizeof text - at, " %d", i);
    snprintf(text + at, sizeof text - at, "\n");
    load_err(text, "t.sweep:6:195: `group_size` has more than 64 values");
    struct swp_spec s;
    char *buf = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&buf, &len);
    const char *t = BASE "order fifo cbcast\ngroup_size 2 3\n";
    assert_int_equal(swp_parse_text("t.sweep", t, strlen(t), &s, err), 0);
    assert_int_equal(swp_expand(&s, 3, err), 2); /* a cap on the runs */
    fclose(err);
    assert_string_equal(buf, "t.sweep:7:1: the spec has more than 3 runs\n");
    free(buf);
    swp_free(&s);
}

/* The repository's specs parse and expand. */
static void test_repo_specs(void **state)
{
    static const char *const specs[] = {"quick.sweep", "paper.sweep"};
    for (size_t i = 0; i < 2; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/scenarios/sweeps/%s", PG_SOURCE_DIR, specs[i]);
        struct swp_spec s;
        int rc = swp_parse(path, &s, stderr);
        assert_int_equal(rc, 0);
        assert_int_equal(swp_expand(&s, 0, stderr), 0);
        assert_true(s.n_points > 10);
        swp_free(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal),       cmocka_unit_test(test_grid_product),
        cmocka_unit_test(test_senders_last),  cmocka_unit_test(test_grids_and_sets),
        cmocka_unit_test(test_comments_crlf), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_error_file),    cmocka_unit_test(test_limits),
        cmocka_unit_test(test_repo_specs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
