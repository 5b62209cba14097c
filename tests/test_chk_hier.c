/* tests/test_chk_hier.c: TRACE.md rules 11-15 (hierarchical groups) on
 * hand-made traces, fed online and read back offline (tb_finish requires
 * both to agree): a good trace passes every rule, and each rule has a trace
 * that violates it and only it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chk.h"
#include "support_chk.h"

static struct tb *tb_hier(double quiet)
{
    struct chk_header h = {.scenario = "hier", .seed = 1, .end_s = 100, .quiet_from_s = quiet};
    return tb_new(&h, 0.125);
}

static int ev(struct tb *b, enum chk_ev k, const char *node, const char *msg, const char *key,
              const char *to, const char *from, int64_t view, const char *kind)
{
    struct chk_event e = {.ev = k,
                          .node = node,
                          .msg = msg,
                          .key = key,
                          .to = to,
                          .from = from,
                          .view = view,
                          .kind = kind};
    return tb_feed(b, &e);
}

static void view(struct tb *b, const char *node, const char *group, const char *m1, const char *m2)
{
    const char *list[2] = {m1, m2};
    struct chk_event e = {.ev = CHK_EV_VIEW,
                          .node = node,
                          .group = group,
                          .view = 1,
                          .members = list,
                          .n_members = 2};
    tb_feed(b, &e);
}

/* r1 maps keys 0-8 to SA and 8-16 to SB (epoch 1); a1 a2 in SA, b1 b2 in SB;
 * c1 is a client bound to SA. */
static struct tb *tb_setup(double quiet)
{
    struct tb *b = tb_hier(quiet);
    const char *nodes[] = {"r1", "a1", "a2", "b1", "b2", "c1"};
    for (int i = 0; i < 6; i++) {
        struct chk_event e = {.ev = CHK_EV_START, .node = nodes[i], .view = -1};
        tb_feed(b, &e);
    }
    view(b, "a1", "SA", "a1", "a2");
    view(b, "a2", "SA", "a1", "a2");
    view(b, "b1", "SB", "b1", "b2");
    view(b, "b2", "SB", "b1", "b2");
    ev(b, CHK_EV_HIER_MAP, "r1", NULL, "0-8", "SA", NULL, 1, "assign");
    ev(b, CHK_EV_HIER_MAP, "r1", NULL, "8-16", "SB", NULL, 1, "assign");
    ev(b, CHK_EV_HIER_CLIENT, "c1", NULL, NULL, NULL, NULL, -1, NULL);
    ev(b, CHK_EV_HIER_BIND, "c1", NULL, NULL, "SA", NULL, -1, NULL);
    return b;
}

static void apply(struct tb *b, const char *node, const char *msg, const char *key, const char *sub,
                  int64_t epoch)
{
    ev(b, CHK_EV_HIER_APPLY, node, msg, key, sub, "c1", epoch, NULL);
}

static void assert_only(const struct chk *c, enum chk_rule rule, uint64_t n)
{
    for (int r = 0; r < CHK_R_COUNT; r++)
        if (chk_violations(c, (enum chk_rule)r) != (r == (int)rule ? n : 0))
            fail_msg("rule %s: %llu violations", chk_rule_name((enum chk_rule)r),
                     (unsigned long long)chk_violations(c, (enum chk_rule)r));
}

static void test_good(void **state)
{
    (void)state;
    struct tb *b = tb_setup(50);
    ev(b, CHK_EV_HIER_REQUEST, "c1", "c1/r1", "3", NULL, NULL, -1, NULL);
    apply(b, "a1", "c1/r1", "3", "SA", 1);
    apply(b, "a2", "c1/r1", "3", "SA", 1);
    ev(b, CHK_EV_HIER_REPLY, "c1", "c1/r1", "3", NULL, NULL, -1, NULL);
    ev(b, CHK_EV_HIER_MAP, "r1", NULL, "8-16", "SA", NULL, 2, "move");
    ev(b, CHK_EV_HIER_REQUEST, "c1", "c1/r2", "9", NULL, NULL, -1, NULL);
    apply(b, "a1", "c1/r2", "9", "SA", 2);
    apply(b, "a2", "c1/r2", "9", "SA", 2);
    ev(b, CHK_EV_HIER_REPLY, "c1", "c1/r2", "9", NULL, NULL, -1, NULL);
    ev(b, CHK_EV_HIER_UNBIND, "c1", NULL, NULL, "SA", NULL, -1, NULL);
    ev(b, CHK_EV_HIER_BIND, "c1", NULL, NULL, "SB", NULL, -1, NULL);
    ev(b, CHK_EV_HIER_GDELIVER, "a1", "a1/g1", NULL, "SA", NULL, -1, "global");
    ev(b, CHK_EV_HIER_GDELIVER, "a1", "b1/g1", NULL, "SA", NULL, -1, "global");
    ev(b, CHK_EV_HIER_GDELIVER, "b1", "a1/g1", NULL, "SB", NULL, -1, "global");
    ev(b, CHK_EV_HIER_GDELIVER, "b1", "b1/g1", NULL, "SB", NULL, -1, "global");
    ev(b, CHK_EV_HIER_GDELIVER, "b2", "b1/g1", NULL, "SB", NULL, -1, "local");
    ev(b, CHK_EV_HIER_GDELIVER, "b2", "a1/g1", NULL, "SB", NULL, -1, "local");
    char *rep = tb_finish(b);
    assert_true(chk_passed(b->c));
    assert_contains(rep, "  PASS hier-global-order\n");
    free(rep);
    tb_free(b);
}

static void test_bind(void **state)
{
    (void)state;
    struct tb *b = tb_setup(-1);
    assert_int_equal(ev(b, CHK_EV_HIER_BIND, "c1", NULL, NULL, "SB", NULL, -1, NULL), 1);
    assert_int_equal(ev(b, CHK_EV_HIER_UNBIND, "c1", NULL, NULL, "SA", NULL, -1, NULL), 1);
    char *rep = tb_finish(b);
    assert_only(b->c, CHK_R_HIER_BIND, 2);
    assert_contains(rep, "first violation of hier-bind: c1 was bound to SB while bound to SA\n");
    free(rep);
    tb_free(b);
}

static void test_once(void **state)
{
    (void)state;
    struct tb *b = tb_setup(-1);
    apply(b, "a1", "c1/r1", "3", "SA", 1);
    assert_int_equal(ev(b, CHK_EV_HIER_APPLY, "a1", "c1/r1", "3", "SA", "c1", 1, NULL), 1);
    char *rep = tb_finish(b);
    assert_contains(rep, "first violation of hier-once: a1 applied c1/r1 twice\n");
    assert_only(b->c, CHK_R_HIER_ONCE, 1);
    free(rep);
    tb_free(b);

    b = tb_setup(-1); /* applied by a subgroup that is not the key's primary */
    assert_int_equal(ev(b, CHK_EV_HIER_APPLY, "b1", "c1/r1", "3", "SB", "c1", 1, NULL), 1);
    rep = tb_finish(b);
    assert_contains(rep, "b1 applied c1/r1 (key 3) in SB at epoch 1, whose primary is SA");
    free(rep);
    tb_free(b);

    b = tb_setup(-1); /* by two subgroups, each the primary of its epoch */
    ev(b, CHK_EV_HIER_MAP, "r1", NULL, "0-8", "SB", NULL, 2, "move");
    apply(b, "a1", "c1/r1", "3", "SA", 1);
    assert_int_equal(ev(b, CHK_EV_HIER_APPLY, "b1", "c1/r1", "3", "SB", "c1", 2, NULL), 1);
    ev(b, CHK_EV_HIER_REPLY, "c1", "c1/r9", "3", NULL, NULL, -1, NULL); /* never applied */
    rep = tb_finish(b);
    assert_only(b->c, CHK_R_HIER_ONCE, 2);
    assert_contains(rep, "first violation of hier-once: c1/r1 was applied by SA and by SB\n");
    free(rep);
    tb_free(b);

    b = tb_setup(-1); /* after a loss the range starts again: no violation */
    apply(b, "a1", "c1/r1", "3", "SA", 1);
    ev(b, CHK_EV_HIER_MAP, "r1", NULL, "0-8", "SB", NULL, 2, "lost");
    apply(b, "b1", "c1/r1", "3", "SB", 2);
    rep = tb_finish(b);
    assert_true(chk_passed(b->c));
    free(rep);
    tb_free(b);
}

static void test_order(void **state)
{
    (void)state;
    struct tb *b = tb_setup(-1);
    apply(b, "a1", "c1/r1", "3", "SA", 1);
    apply(b, "a1", "c1/r2", "4", "SA", 1);
    assert_int_equal(ev(b, CHK_EV_HIER_APPLY, "a2", "c1/r2", "4", "SA", "c1", 1, NULL), 1);
    apply(b, "a2", "c1/r1", "3", "SA", 1);
    char *rep = tb_finish(b);
    assert_only(b->c, CHK_R_HIER_ORDER, 2);
    assert_contains(rep,
                    "first violation of hier-order: a2 applied c1/r2 as request 1 of SA, where "
                    "c1/r1 was applied\n");
    free(rep);
    tb_free(b);
}

static void test_liveness(void **state)
{
    (void)state;
    struct tb *b = tb_setup(50);
    ev(b, CHK_EV_HIER_REQUEST, "c1", "c1/r1", "3", NULL, NULL, -1, NULL);
    apply(b, "a1", "c1/r1", "3", "SA", 1);
    char *rep = tb_finish(b);
    assert_only(b->c, CHK_R_HIER_LIVENESS, 1);
    assert_contains(rep, "request c1/r1 of live client c1 was never answered\n");
    free(rep);
    tb_free(b);

    b = tb_setup(50); /* bound to a subgroup whose members crashed */
    ev(b, CHK_EV_HIER_UNBIND, "c1", NULL, NULL, "SA", NULL, -1, NULL);
    ev(b, CHK_EV_HIER_BIND, "c1", NULL, NULL, "SB", NULL, -1, NULL);
    struct chk_event c = {.ev = CHK_EV_CRASH, .node = "b1", .view = -1};
    tb_feed(b, &c);
    c.node = "b2";
    tb_feed(b, &c);
    rep = tb_finish(b);
    assert_only(b->c, CHK_R_HIER_LIVENESS, 1);
    assert_contains(rep, "client c1 ends bound to a subgroup with no live member\n");
    free(rep);
    tb_free(b);

    b = tb_setup(-1); /* no quiet period: not judged */
    ev(b, CHK_EV_HIER_REQUEST, "c1", "c1/r1", "3", NULL, NULL, -1, NULL);
    rep = tb_finish(b);
    assert_true(chk_passed(b->c));
    free(rep);
    tb_free(b);
}

static void test_global(void **state)
{
    (void)state;
    struct tb *b = tb_setup(-1);
    ev(b, CHK_EV_HIER_GDELIVER, "a1", "a1/g1", NULL, "SA", NULL, -1, "global");
    ev(b, CHK_EV_HIER_GDELIVER, "a1", "b1/g1", NULL, "SA", NULL, -1, "global");
    ev(b, CHK_EV_HIER_GDELIVER, "b1", "b1/g1", NULL, "SB", NULL, -1, "global");
    assert_int_equal(ev(b, CHK_EV_HIER_GDELIVER, "b1", "a1/g1", NULL, "SB", NULL, -1, "global"), 1);
    char *rep = tb_finish(b);
    assert_only(b->c, CHK_R_HIER_GLOBAL, 1);
    assert_contains(rep, "first violation of hier-global-order: b1 delivered a1/g1 after b1/g1; "
                         "another node delivered them the other way\n");
    free(rep);
    tb_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),     cmocka_unit_test(test_bind),
        cmocka_unit_test(test_once),     cmocka_unit_test(test_order),
        cmocka_unit_test(test_liveness), cmocka_unit_test(test_global),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
