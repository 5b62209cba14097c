/* tests/test_chk_rules.c: the checker's rules 2-9 (view agreement, sending
 * view, virtual synchrony, failure atomicity, causal order, total order, flush,
 * state transfer)
 * and fifo across views, on hand-made traces: each trace is fed online and
 * read back offline (both verdicts and reports must agree); violations are
 * checked for rule, count and evidence text. Also events in tricky orders
 * (failure atomicity found retroactively) and a large cbcast run with view
 * changes.
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

/* ---- a trace builder: feeds events online and writes them as a trace ---- */

static struct tb *tb_rules(void)
{
    struct chk_header h = {.scenario = "rules", .seed = 1, .end_s = 100, .quiet_from_s = -1};
    return tb_new(&h, 0.125);
}

static int tb_ev(struct tb *b, enum chk_ev ev, const char *node, const char *group)
{
    struct chk_event e = {.ev = ev, .node = node, .group = group, .view = -1};
    return tb_feed(b, &e);
}

/* view: members is a space-separated list, e.g. "p1 p2 p3". */
static int tb_view(struct tb *b, const char *node, const char *group, int64_t view,
                   const char *members)
{
    char copy[256];
    const char *list[32];
    size_t n = 0;
    snprintf(copy, sizeof copy, "%s", members);
    for (char *tok = strtok(copy, " "); tok && n < 32; tok = strtok(NULL, " "))
        list[n++] = tok;
    struct chk_event e = {.ev = CHK_EV_VIEW, .node = node, .group = group, .view = view};
    e.members = list;
    e.n_members = n;
    return tb_feed(b, &e);
}

static int tb_send(struct tb *b, const char *node, const char *msg, const char *order,
                   const char *group, int64_t view)
{
    struct chk_event e = {
        .ev = CHK_EV_SEND, .node = node, .msg = msg, .order = order, .group = group, .view = view};
    return tb_feed(b, &e);
}

static int tb_deliver(struct tb *b, const char *node, const char *msg, const char *from,
                      const char *order, const char *group, int64_t view)
{
    struct chk_event e = {.ev = CHK_EV_DELIVER,
                          .node = node,
                          .msg = msg,
                          .from = from,
                          .order = order,
                          .group = group,
                          .view = view};
    return tb_feed(b, &e);
}

static int tb_cb(struct tb *b, const char *node, const char *msg, int64_t view)
{
    return tb_send(b, node, msg, "cbcast", "g1", view);
}

/* deliver of a cbcast to g1 whose sender is the msg id's prefix. */
static int tb_dcb(struct tb *b, const char *node, const char *msg, int64_t view)
{
    char from[16];
    snprintf(from, sizeof from, "%.*s", (int)strcspn(msg, "/"), msg);
    return tb_deliver(b, node, msg, from, "cbcast", "g1", view);
}

/* Only `rule` failed, `n` times. */
static void assert_only(const struct chk *c, enum chk_rule rule, uint64_t n)
{
    for (int r = 0; r < CHK_R_COUNT; r++)
        if (chk_violations(c, (enum chk_rule)r) != (r == (int)rule ? n : 0))
            fail_msg("rule %s: %llu violations", chk_rule_name((enum chk_rule)r),
                     (unsigned long long)chk_violations(c, (enum chk_rule)r));
}

/* p1..p3 start and install view 1 of g1: lines 2-7. */
static struct tb *tb_three(void)
{
    struct tb *b = tb_rules();
    tb_ev(b, CHK_EV_START, "p1", NULL);
    tb_ev(b, CHK_EV_START, "p2", NULL);
    tb_ev(b, CHK_EV_START, "p3", NULL);
    for (int i = 1; i <= 3; i++) {
        char p[4];
        snprintf(p, sizeof p, "p%d", i);
        assert_int_equal(tb_view(b, p, "g1", 1, "p1 p2 p3"), 0);
    }
    return b;
}

/* The paper's Figure 4 after tb_three: m1 in g1 by p1, relayed by p2 into
 * g2 (p2 p4), by p4 into g3 (p4 p3); p3, in g1 and g3, delivers m3 before
 * m1. Returns the violations that last delivery raised. */
static int tb_fig4_chain(struct tb *b)
{
    tb_view(b, "p2", "g2", 1, "p2 p4");
    tb_view(b, "p4", "g2", 1, "p2 p4");
    tb_view(b, "p4", "g3", 1, "p4 p3");
    tb_view(b, "p3", "g3", 1, "p4 p3");
    tb_cb(b, "p1", "p1/1", 1);
    tb_dcb(b, "p2", "p1/1", 1);
    tb_send(b, "p2", "p2/1", "cbcast", "g2", 1);
    tb_deliver(b, "p4", "p2/1", "p2", "cbcast", "g2", 1);
    tb_send(b, "p4", "p4/1", "cbcast", "g3", 1);
    return tb_deliver(b, "p3", "p4/1", "p4", "cbcast", "g3", 1);
}

/* ---- which rules are implemented ---- */

static void test_rules_implemented(void **state)
{
    (void)state;
    for (int r = 0; r < CHK_R_COUNT; r++)
        assert_true(chk_rule_implemented((enum chk_rule)r));
}

/* ---- a good run with view changes passes every rule ---- */

static void test_good_run_with_views(void **state)
{
    (void)state;
    struct tb *b = tb_three();
    tb_ev(b, CHK_EV_START, "p4", NULL);
    assert_int_equal(tb_cb(b, "p1", "p1/1", 1), 0);
    for (int i = 1; i <= 3; i++) {
        char p[4];
        snprintf(p, sizeof p, "p%d", i);
        assert_int_equal(tb_dcb(b, p, "p1/1", 1), 0);
    }
    assert_int_equal(tb_cb(b, "p2", "p2/1", 1), 0); /* after p1/1 at p2 */
    assert_int_equal(tb_ev(b, CHK_EV_FLUSH_CALL, "p2", "g1"), 0);
    assert_int_equal(tb_dcb(b, "p3", "p2/1", 1), 0);
    assert_int_equal(tb_dcb(b, "p2", "p2/1", 1), 0);
    assert_int_equal(tb_dcb(b, "p1", "p2/1", 1), 0);
    assert_int_equal(tb_ev(b, CHK_EV_FLUSH_DONE, "p2", "g1"), 0);
    /* p3 leaves (excluded), p4 joins at view 3 */
    assert_int_equal(tb_view(b, "p1", "g1", 2, "p1 p2"), 0);
    assert_int_equal(tb_ev(b, CHK_EV_EXCLUDED, "p3", "g1"), 0);
    assert_int_equal(tb_view(b, "p2", "g1", 2, "p1 p2"), 0);
    assert_int_equal(tb_view(b, "p2", "g1", 3, "p1 p2 p4"), 0);
    assert_int_equal(tb_view(b, "p4", "g1", 3, "p1 p2 p4"), 0);
    assert_int_equal(tb_view(b, "p1", "g1", 3, "p1 p2 p4"), 0);
    assert_int_equal(tb_cb(b, "p4", "p4/1", 3), 0);
    assert_int_equal(tb_dcb(b, "p4", "p4/1", 3), 0);
    assert_int_equal(tb_dcb(b, "p1", "p4/1", 3), 0);
    assert_int_equal(tb_dcb(b, "p2", "p4/1", 3), 0);
    /* fifo sequences restart per view */
    assert_int_equal(tb_send(b, "p1", "p1/2", "fifo", "g1", 3), 0);
    assert_int_equal(tb_deliver(b, "p2", "p1/2", "p1", "fifo", "g1", 3), 0);
    assert_int_equal(tb_deliver(b, "p4", "p1/2", "p1", "fifo", "g1", 3), 0);
    assert_int_equal(tb_deliver(b, "p1", "p1/2", "p1", "fifo", "g1", 3), 0);
    assert_int_equal(tb_view(b, "p1", "g1", 4, "p1 p2 p4"), 0);
    assert_int_equal(tb_view(b, "p2", "g1", 4, "p1 p2 p4"), 0);
    assert_int_equal(tb_view(b, "p4", "g1", 4, "p1 p2 p4"), 0);
    assert_int_equal(tb_send(b, "p1", "p1/3", "fifo", "g1", 4), 0);
    assert_int_equal(tb_deliver(b, "p2", "p1/3", "p1", "fifo", "g1", 4), 0);
    char *rep = tb_finish(b);
    if (!chk_passed(b->c))
        fail_msg("%s", rep);
    free(rep);
    tb_free(b);
}

/* ---- rule 2: view agreement ---- */

static void test_view_agreement(void **state)
{
    (void)state;
    struct tb *b = tb_three();
    assert_int_equal(tb_view(b, "p1", "g1", 2, "p1 p2"), 0);    /* 8 */
    assert_int_equal(tb_view(b, "p2", "g1", 2, "p1 p3"), 1);    /* 9: other members */
    assert_int_equal(tb_view(b, "p3", "g1", 2, "p2 p1"), 1);    /* 10: other order */
    assert_int_equal(tb_view(b, "p1", "g1", 2, "p1 p2"), 1);    /* 11: not increasing */
    assert_int_equal(tb_view(b, "p1", "g1", 4, "p1 p2"), 1);    /* 12: skips 3 */
    assert_int_equal(tb_view(b, "p2", "g1", 4, "p1 p2"), 0);    /* 13: was no member of 2 */
    assert_int_equal(tb_ev(b, CHK_EV_EXCLUDED, "p3", "g1"), 0); /* 14 */
    assert_int_equal(tb_view(b, "p3", "g1", 3, "p1 p2"), 1);    /* 15: after excluded */
    assert_int_equal(tb_view(b, "p5", "g1", 9, "p1 p2 p5"), 0); /* a joiner starts anywhere */
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_VIEW_AGREEMENT), 5);
    assert_contains(rep, "  FAIL view-agreement (5 violations)\n");
    assert_contains(rep,
                    "  first violation of view-agreement: p2 installed view 2 of g1 with other "
                    "members than p1 did (p3 is listed only by p2)\n"
                    "    line 8: view node=p1 group=g1 view=2 members=[p1,p2]\n"
                    "    line 9: view node=p2 group=g1 view=2 members=[p1,p3]\n");
    free(rep);
    tb_free(b);

    b = tb_three();
    tb_view(b, "p1", "g1", 2, "p1 p2 p3"); /* 8 */
    tb_view(b, "p1", "g1", 4, "p1 p2 p3"); /* 9 */
    rep = tb_finish(b);
    assert_only(b->c, CHK_R_VIEW_AGREEMENT, 1);
    assert_contains(rep, "first violation of view-agreement: p1 skipped view 3 of g1: it installed "
                         "view 2, then view 4, a member of both\n"
                         "    line 8: view node=p1 group=g1 view=2 members=[p1,p2,p3]\n"
                         "    line 9: view node=p1 group=g1 view=4");
    free(rep);
    tb_free(b);

    b = tb_three();
    tb_view(b, "p1", "g1", 2, "p1 p2 p3");
    tb_view(b, "p1", "g1", 1, "p1 p2 p3");
    rep = tb_finish(b);
    assert_only(b->c, CHK_R_VIEW_AGREEMENT, 1);
    assert_contains(rep,
                    "first violation of view-agreement: p1 installed view 1 of g1 after view 2 "
                    "(views must increase)\n");
    free(rep);
    tb_free(b);
}

/* ---- rule 3: sending view ---- */

static void test_sending_view(void **state)
{
    (void)state;
    struct tb *b = tb_three();
    tb_send(b, "p1", "p1/1", "fifo", "g1", 1);                               /* 8 */
    tb_view(b, "p1", "g1", 2, "p1 p2 p3");                                   /* 9 */
    tb_view(b, "p2", "g1", 2, "p1 p2 p3");                                   /* 10 */
    tb_view(b, "p3", "g1", 2, "p1 p2 p3");                                   /* 11 */
    assert_int_equal(tb_deliver(b, "p3", "p1/1", "p1", "fifo", "g1", 2), 1); /* 12 */
    tb_send(b, "c1", "c1/1", "fifo", "g1", 1); /* a client's cached view */
    assert_int_equal(tb_deliver(b, "p2", "c1/1", "c1", "fifo", "g1", 2), 0);
    char *rep = tb_finish(b);
    /* p1/1 was sent in view 1 but nobody delivered it there: failure atomicity too */
    assert_int_equal(chk_violations(b->c, CHK_R_SENDING_VIEW), 1);
    assert_contains(rep, "  first violation of sending-view: p3 delivered p1/1 in view 2 of g1 but "
                         "it was sent in view 1\n"
                         "    line 8: send node=p1 msg=p1/1 order=fifo group=g1 view=1\n"
                         "    line 12: deliver node=p3 msg=p1/1 order=fifo group=g1 from=p1 "
                         "view=2\n");
    free(rep);
    tb_free(b);
}

/* ---- rule 4: virtual synchrony ---- */

static void test_vsync(void **state)
{
    (void)state;
    struct tb *b = tb_three();
    tb_cb(b, "p1", "p1/1", 1);                                  /* 8 */
    tb_dcb(b, "p1", "p1/1", 1);                                 /* 9 */
    tb_dcb(b, "p2", "p1/1", 1);                                 /* 10 */
    assert_int_equal(tb_view(b, "p1", "g1", 2, "p1 p2 p3"), 0); /* 11: reference */
    assert_int_equal(tb_view(b, "p3", "g1", 2, "p1 p2 p3"), 2); /* 12: lacks p1/1 (+ rule 5) */
    assert_int_equal(tb_view(b, "p2", "g1", 2, "p1 p2 p3"), 0); /* 13 */
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_VSYNC), 1);
    assert_int_equal(chk_violations(b->c, CHK_R_FAILURE_ATOMIC), 1);
    assert_contains(rep,
                    "  first violation of virtual-synchrony: p1 delivered p1/1 in view 1 of g1 "
                    "but p3 did not (both installed views 1 and 2)\n"
                    "    line 9: deliver node=p1 msg=p1/1\n"
                    "    line 11: view node=p1 group=g1 view=2 members=[p1,p2,p3]\n"
                    "    line 12: view node=p3 group=g1 view=2 members=[p1,p2,p3]\n");
    free(rep);
    tb_free(b);

    /* the closer has more than the reference; a node that skips v+1 is not compared */
    b = tb_three();
    tb_cb(b, "p2", "p2/1", 1);                                  /* 8 */
    tb_view(b, "p1", "g1", 2, "p1 p2 p3");                      /* 9: reference, empty */
    tb_dcb(b, "p3", "p2/1", 1);                                 /* 10 */
    assert_int_equal(tb_view(b, "p3", "g1", 2, "p1 p2 p3"), 2); /* 11 */
    rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_VSYNC), 1);
    assert_contains(rep, "first violation of virtual-synchrony: p3 delivered p2/1 in view 1 of g1 "
                         "but p1 did not (both installed views 1 and 2)\n"
                         "    line 9: view node=p1 group=g1 view=2 members=[p1,p2,p3]\n"
                         "    line 10: deliver node=p3 msg=p2/1\n");
    free(rep);
    tb_free(b);
}

/* ---- rule 5: failure atomicity ---- */

static void test_failure_atomicity(void **state)
{
    (void)state;
    /* the sender survives, nobody delivered its msg: same (empty) sets, so
     * virtual synchrony holds, but every survivor owes the msg */
    struct tb *b = tb_three();
    tb_cb(b, "p1", "p1/1", 1);                               /* 8 */
    assert_int_equal(tb_view(b, "p2", "g1", 2, "p1 p2"), 0); /* 9 */
    tb_ev(b, CHK_EV_CRASH, "p3", NULL);                      /* 10 */
    assert_int_equal(tb_view(b, "p1", "g1", 2, "p1 p2"), 2); /* 11: p2 and p1 owe p1/1 */
    char *rep = tb_finish(b);
    assert_only(b->c, CHK_R_FAILURE_ATOMIC, 2);
    assert_contains(rep, "  first violation of failure-atomicity: p2 installed view 2 of g1 "
                         "without delivering p1/1 in view 1, which its sender p1 sent in view 1 "
                         "before installing view 2\n"
                         "    line 8: send node=p1 msg=p1/1 order=cbcast group=g1 view=1\n"
                         "    line 9: view node=p2 group=g1 view=2 members=[p1,p2]\n"
                         "    line 11: view node=p1 group=g1 view=2 members=[p1,p2]\n");
    free(rep);
    tb_free(b);

    /* sender and the only deliverer crash: nobody owes the msg */
    b = tb_three();
    tb_cb(b, "p1", "p1/1", 1);
    tb_dcb(b, "p3", "p1/1", 1);
    tb_ev(b, CHK_EV_CRASH, "p1", NULL);
    tb_ev(b, CHK_EV_CRASH, "p3", NULL);
    tb_view(b, "p2", "g1", 2, "p2");
    rep = tb_finish(b);
    assert_true(chk_passed(b->c));
    free(rep);
    tb_free(b);

    /* the sender crashes, a deliverer survives: the other survivor owes it */
    b = tb_three();
    tb_cb(b, "p1", "p1/1", 1);                               /* 8 */
    tb_dcb(b, "p3", "p1/1", 1);                              /* 9 */
    tb_ev(b, CHK_EV_CRASH, "p1", NULL);                      /* 10 */
    assert_int_equal(tb_view(b, "p2", "g1", 2, "p2 p3"), 0); /* 11 */
    assert_int_equal(tb_view(b, "p3", "g1", 2, "p2 p3"), 2); /* 12: vsync + rule 5 */
    rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_FAILURE_ATOMIC), 1);
    assert_int_equal(chk_violations(b->c, CHK_R_VSYNC), 1);
    assert_contains(rep, "  first violation of failure-atomicity: p2 installed view 2 of g1 "
                         "without delivering p1/1 in view 1, which p3 delivered in view 1 before "
                         "installing view 2\n"
                         "    line 9: deliver node=p3 msg=p1/1\n"
                         "    line 11: view node=p2 group=g1 view=2 members=[p2,p3]\n"
                         "    line 12: view node=p3 group=g1 view=2 members=[p2,p3]\n");
    free(rep);
    tb_free(b);
}

/* The tricky order: the delivery in v is recorded after another node already
 * installed v + 1 without it; the violation is found when the deliverer (or
 * the sender) installs v + 1, whichever comes first, and only once. */
static void test_failure_atomicity_retroactive(void **state)
{
    (void)state;
    struct tb *b = tb_three();
    tb_cb(b, "p1", "p1/1", 1);                                  /* 8 */
    assert_int_equal(tb_view(b, "p2", "g1", 2, "p1 p2 p3"), 0); /* 9: without p1/1 */
    assert_int_equal(tb_dcb(b, "p3", "p1/1", 1), 0);            /* 10: still in view 1 */
    assert_int_equal(tb_view(b, "p3", "g1", 2, "p1 p2 p3"), 2); /* 11: rule 5 (p2) + vsync */
    assert_int_equal(tb_dcb(b, "p1", "p1/1", 1), 0);            /* 12 */
    assert_int_equal(tb_view(b, "p1", "g1", 2, "p1 p2 p3"), 1); /* 13: vsync only, no repeat */
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_FAILURE_ATOMIC), 1);
    assert_int_equal(chk_violations(b->c, CHK_R_VSYNC), 2);
    assert_contains(rep, "  first violation of failure-atomicity: p2 installed view 2 of g1 "
                         "without delivering p1/1 in view 1, which p3 delivered in view 1 before "
                         "installing view 2\n"
                         "    line 9: view node=p2 group=g1 view=2 members=[p1,p2,p3]\n"
                         "    line 10: deliver node=p3 msg=p1/1\n"
                         "    line 11: view node=p3 group=g1 view=2 members=[p1,p2,p3]\n");
    free(rep);
    tb_free(b);

    /* the same, fed without the builder in the other order of the two closers:
     * the sender closes last and is the trigger */
    b = tb_three();
    tb_cb(b, "p1", "p1/1", 1);                                  /* 8 */
    assert_int_equal(tb_view(b, "p2", "g1", 2, "p1 p2 p3"), 0); /* 9 */
    assert_int_equal(tb_view(b, "p3", "g1", 2, "p1 p2 p3"), 0); /* 10 */
    assert_int_equal(tb_view(b, "p1", "g1", 2, "p1 p2 p3"), 3); /* 11: p2, p3, p1 owe p1/1 */
    rep = tb_finish(b);
    assert_only(b->c, CHK_R_FAILURE_ATOMIC, 3);
    free(rep);
    tb_free(b);
}

/* ---- rule 6: causal order ---- */

static void test_causal_pass_and_fifo_exempt(void **state)
{
    (void)state;
    struct tb *b = tb_three();
    tb_cb(b, "p1", "p1/1", 1);
    tb_dcb(b, "p1", "p1/1", 1);
    tb_dcb(b, "p2", "p1/1", 1);
    tb_cb(b, "p2", "p2/1", 1);
    tb_dcb(b, "p2", "p2/1", 1);
    tb_dcb(b, "p3", "p1/1", 1);
    tb_dcb(b, "p3", "p2/1", 1);
    tb_dcb(b, "p1", "p2/1", 1);
    /* the same pattern in fifo order: no causal promise */
    tb_send(b, "p1", "p1/2", "fifo", "g1", 1);
    tb_deliver(b, "p2", "p1/2", "p1", "fifo", "g1", 1);
    tb_send(b, "p2", "p2/2", "fifo", "g1", 1);
    tb_deliver(b, "p3", "p2/2", "p2", "fifo", "g1", 1);
    tb_deliver(b, "p3", "p1/2", "p1", "fifo", "g1", 1);
    tb_deliver(b, "p1", "p1/2", "p1", "fifo", "g1", 1);
    tb_deliver(b, "p1", "p2/2", "p2", "fifo", "g1", 1);
    tb_deliver(b, "p2", "p2/2", "p2", "fifo", "g1", 1);
    char *rep = tb_finish(b);
    if (!chk_passed(b->c))
        fail_msg("%s", rep);
    free(rep);
    tb_free(b);
}

static void test_causal_violations(void **state)
{
    (void)state;
    struct tb *b = tb_three();
    tb_cb(b, "p1", "p1/1", 1);                       /* 8 */
    tb_dcb(b, "p2", "p1/1", 1);                      /* 9 */
    tb_cb(b, "p2", "p2/1", 1);                       /* 10 */
    assert_int_equal(tb_dcb(b, "p3", "p2/1", 1), 1); /* 11: before p1/1 */
    assert_int_equal(tb_dcb(b, "p3", "p1/1", 1), 0); /* 12: late, not again */
    char *rep = tb_finish(b);
    assert_only(b->c, CHK_R_CAUSAL, 1);
    assert_contains(rep, "  first violation of causal-order: p3 delivered p2/1 before p1/1, whose "
                         "send happened before the send of p2/1\n"
                         "    line 8: send node=p1 msg=p1/1 order=cbcast group=g1 view=1\n"
                         "    line 10: send node=p2 msg=p2/1 order=cbcast group=g1 view=1\n"
                         "    line 11: deliver node=p3 msg=p2/1 order=cbcast group=g1 from=p2 "
                         "view=1\n");
    free(rep);
    tb_free(b);

    /* transitive: p1/1 -> p2/1 -> p3/1; p4 (member) misses both before p3/1 */
    b = tb_rules();
    const char *four = "p1 p2 p3 p4";
    tb_view(b, "p1", "g1", 1, four);
    tb_view(b, "p2", "g1", 1, four);
    tb_view(b, "p3", "g1", 1, four);
    tb_view(b, "p4", "g1", 1, four);
    tb_cb(b, "p1", "p1/1", 1);
    tb_dcb(b, "p2", "p1/1", 1);
    tb_cb(b, "p2", "p2/1", 1);
    tb_dcb(b, "p3", "p1/1", 1);
    tb_dcb(b, "p3", "p2/1", 1);
    tb_cb(b, "p3", "p3/1", 1);
    assert_int_equal(tb_dcb(b, "p4", "p3/1", 1), 2);
    /* own msgs: p1 sent p1/2 and has not delivered it; p2/2 depends on it */
    tb_cb(b, "p1", "p1/2", 1);
    tb_dcb(b, "p2", "p1/2", 1);
    tb_cb(b, "p2", "p2/2", 1);
    tb_dcb(b, "p1", "p1/1", 1);
    assert_int_equal(tb_dcb(b, "p1", "p2/2", 1), 2); /* p1/2 (its own) and p2/1 missing */
    rep = tb_finish(b);
    assert_only(b->c, CHK_R_CAUSAL, 4);
    free(rep);
    tb_free(b);
}

/* A client's msg is sent in the view its members deliver it in, not in the
 * view the client cached (its `send` view): c1 sends c1/1 with view 1
 * cached; p3 leaves after view 1 and the contact p1 multicasts c1/1 in view
 * 2. p3 never owes it, even though p2/1, in another group, follows it. The
 * same trace with p3 still a member of view 2 is a violation. */
static void causal_client_trace(bool p3_stays)
{
    struct tb *b = tb_rules();
    const char *v1 = "p1 p2 p3", *v2 = p3_stays ? "p1 p2 p3" : "p1 p2";
    for (int i = 1; i <= 3; i++) {
        char p[4];
        snprintf(p, sizeof p, "p%d", i);
        tb_view(b, p, "g1", 1, v1);
        tb_view(b, p, "g2", 1, "p1 p2 p3");
    }
    struct chk_event cv = {.ev = CHK_EV_VIEW, .node = "c1", .group = "g1", .view = 1};
    const char *cm[] = {"p1", "p2", "p3"}, *cc[] = {"c1"};
    cv.members = cm, cv.n_members = 3, cv.clients = cc, cv.n_clients = 1;
    tb_feed(b, &cv);
    tb_send(b, "c1", "c1/1", "cbcast", "g1", 1); /* cached view 1 */
    tb_view(b, "p1", "g1", 2, v2);
    tb_view(b, "p2", "g1", 2, v2);
    if (p3_stays)
        tb_view(b, "p3", "g1", 2, v2);
    else
        tb_ev(b, CHK_EV_EXCLUDED, "p3", "g1");
    tb_deliver(b, "p1", "c1/1", "c1", "cbcast", "g1", 2);
    tb_deliver(b, "p2", "c1/1", "c1", "cbcast", "g1", 2);
    tb_send(b, "p2", "p2/1", "cbcast", "g2", 1);
    assert_int_equal(tb_deliver(b, "p3", "p2/1", "p2", "cbcast", "g2", 1), p3_stays ? 1 : 0);
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_CAUSAL), p3_stays ? 1 : 0);
    free(rep);
    tb_free(b);
}

/* c1/1 (client) reaches only its contact p1, which delivers it in view 1 and
 * is then excluded; the client sends it again and p2, p3 deliver it in view
 * 2, without p4, which left after view 1. p4 owes it in view 2's terms only:
 * the latest view a member delivered it in. p4/1 follows p3's delivery. */
static void test_causal_client_resent(void **state)
{
    (void)state;
    struct tb *b = tb_rules();
    const char *v1 = "p1 p2 p3 p4", *v2 = "p2 p3";
    const char *n[] = {"p1", "p2", "p3", "p4"};
    for (int i = 0; i < 4; i++) {
        tb_view(b, n[i], "g1", 1, v1);
        tb_view(b, n[i], "g2", 1, v1);
    }
    tb_send(b, "c1", "c1/1", "cbcast", "g1", 1);
    tb_deliver(b, "p1", "c1/1", "c1", "cbcast", "g1", 1);
    tb_ev(b, CHK_EV_EXCLUDED, "p1", "g1");
    tb_ev(b, CHK_EV_EXCLUDED, "p4", "g1");
    tb_view(b, "p2", "g1", 2, v2);
    tb_view(b, "p3", "g1", 2, v2);
    tb_deliver(b, "p2", "c1/1", "c1", "cbcast", "g1", 2);
    tb_deliver(b, "p3", "c1/1", "c1", "cbcast", "g1", 2);
    tb_send(b, "p3", "p3/1", "cbcast", "g2", 1);
    assert_int_equal(tb_deliver(b, "p4", "p3/1", "p3", "cbcast", "g2", 1), 0);
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_CAUSAL), 0);
    free(rep);
    tb_free(b);
}

static void test_causal_client_view(void **state)
{
    (void)state;
    causal_client_trace(false);
    causal_client_trace(true);
}

static void test_causal_domains_and_p2p(void **state)
{
    (void)state;
    /* g2 is in another domain: no order between g1 and g2 msgs */
    struct tb *b = tb_three();
    struct chk_event d = {.ev = CHK_EV_DOMAIN, .group = "g2", .domain = "d2", .view = -1};
    tb_feed(b, &d);
    tb_view(b, "p1", "g2", 1, "p1 p2 p3");
    tb_view(b, "p2", "g2", 1, "p1 p2 p3");
    tb_view(b, "p3", "g2", 1, "p1 p2 p3");
    tb_cb(b, "p1", "p1/1", 1);
    tb_dcb(b, "p2", "p1/1", 1);
    tb_send(b, "p2", "p2/1", "cbcast", "g2", 1);
    assert_int_equal(tb_deliver(b, "p3", "p2/1", "p2", "cbcast", "g2", 1), 0);
    /* a non-member of p1/1's view owes nothing: p4 is in g3 only (default domain) */
    tb_view(b, "p4", "g3", 1, "p2 p4");
    tb_view(b, "p2", "g3", 1, "p2 p4");
    tb_send(b, "p2", "p2/2", "cbcast", "g3", 1);
    assert_int_equal(tb_deliver(b, "p4", "p2/2", "p2", "cbcast", "g3", 1), 0);
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_CAUSAL), 0);
    free(rep);
    tb_free(b);

    /* p2p msgs are in the default domain: a group msg before a p2p */
    b = tb_three();
    tb_cb(b, "p1", "p1/1", 1); /* 8 */
    struct chk_event s = {
        .ev = CHK_EV_SEND, .node = "p1", .msg = "p1/2", .order = "p2p", .to = "p3", .view = -1};
    tb_feed(b, &s);                                                          /* 9 */
    assert_int_equal(tb_deliver(b, "p3", "p1/2", "p1", "p2p", NULL, -1), 1); /* 10 */
    /* and a p2p msg before a group msg: owed only by its `to` */
    struct chk_event s2 = {
        .ev = CHK_EV_SEND, .node = "p2", .msg = "p2/1", .order = "p2p", .to = "p1", .view = -1};
    tb_feed(b, &s2);
    tb_cb(b, "p2", "p2/2", 1);
    assert_int_equal(tb_dcb(b, "p3", "p2/2", 1), 0); /* p3 is not p2/1's `to` */
    assert_int_equal(tb_dcb(b, "p1", "p2/2", 1), 1); /* p1 owes p2/1 (p2 saw no msg of p1) */
    rep = tb_finish(b);
    assert_only(b->c, CHK_R_CAUSAL, 2);
    assert_contains(rep,
                    "first violation of causal-order: p3 delivered p1/2 before p1/1, whose send "
                    "happened before the send of p1/2\n");
    free(rep);
    tb_free(b);
}

/* p2p msgs belong to their send's `domain` (the sender's default domain), and
 * a cross-group chain (Figure 4) is judged within its domain only. */
static void test_causal_p2p_domain_and_chain(void **state)
{
    (void)state;
    struct tb *b = tb_three();
    struct chk_event d = {.ev = CHK_EV_DOMAIN, .group = "g2", .domain = "d2", .view = -1};
    tb_feed(b, &d);
    tb_view(b, "p1", "g2", 1, "p1 p2 p3");
    tb_view(b, "p2", "g2", 1, "p1 p2 p3");
    tb_view(b, "p3", "g2", 1, "p1 p2 p3");
    /* a p2p in d2, then a g2 msg: p3 (its `to`) must deliver the p2p first */
    struct chk_event s = {.ev = CHK_EV_SEND,
                          .node = "p1",
                          .msg = "p1/1",
                          .order = "p2p",
                          .to = "p3",
                          .domain = "d2",
                          .view = -1};
    tb_feed(b, &s);
    tb_send(b, "p1", "p1/2", "cbcast", "g2", 1);
    assert_int_equal(tb_deliver(b, "p3", "p1/2", "p1", "cbcast", "g2", 1), 1);
    /* a p2p in d2 and a g1 msg (default domain): no order between them */
    struct chk_event s2 = {.ev = CHK_EV_SEND,
                           .node = "p2",
                           .msg = "p2/1",
                           .order = "p2p",
                           .to = "p3",
                           .domain = "d2",
                           .view = -1};
    tb_feed(b, &s2);
    tb_cb(b, "p2", "p2/2", 1);
    assert_int_equal(tb_dcb(b, "p3", "p2/2", 1), 0);
    char *rep = tb_finish(b);
    assert_only(b->c, CHK_R_CAUSAL, 1);
    free(rep);
    tb_free(b);

    /* Figure 4: m1 in g1 by p1, relayed by p2 into g2 (p2 p4), by p4 into g3
     * (p4 p3); p3 is in g1 and g3 and delivers m3 first: a violation, found
     * through p4, who never was in g1 */
    b = tb_three();
    assert_int_equal(tb_fig4_chain(b), 1);
    rep = tb_finish(b);
    assert_only(b->c, CHK_R_CAUSAL, 1);
    free(rep);
    tb_free(b);

    /* the same chain with g3 in another domain: nothing is owed */
    b = tb_three();
    struct chk_event d3 = {.ev = CHK_EV_DOMAIN, .group = "g3", .domain = "mon", .view = -1};
    tb_feed(b, &d3);
    assert_int_equal(tb_fig4_chain(b), 0);
    rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_CAUSAL), 0);
    free(rep);
    tb_free(b);
}

/* ---- rule 7: total order ---- */

static int tb_ab(struct tb *b, const char *node, const char *msg)
{
    return tb_send(b, node, msg, "abcast", "g1", 1);
}

/* deliver of an abcast to g1 in view 1 whose sender is the msg id's prefix. */
static int tb_dab(struct tb *b, const char *node, const char *msg)
{
    char from[16];
    snprintf(from, sizeof from, "%.*s", (int)strcspn(msg, "/"), msg);
    return tb_deliver(b, node, msg, from, "abcast", "g1", 1);
}

static void test_total_order_violation(void **state)
{
    (void)state;
    struct tb *b = tb_three();
    tb_ab(b, "p1", "p1/1");                       /* 8 */
    tb_ab(b, "p2", "p2/1");                       /* 9: concurrent with p1/1 */
    assert_int_equal(tb_dab(b, "p1", "p1/1"), 0); /* 10 */
    assert_int_equal(tb_dab(b, "p1", "p2/1"), 0); /* 11 */
    assert_int_equal(tb_dab(b, "p2", "p2/1"), 0); /* 12 */
    assert_int_equal(tb_dab(b, "p2", "p1/1"), 1); /* 13: the other order */
    assert_int_equal(tb_dab(b, "p3", "p1/1"), 0); /* 14 */
    assert_int_equal(tb_dab(b, "p3", "p2/1"), 1); /* 15: agrees with p1, not with p2 */
    assert_int_equal(tb_dab(b, "p3", "p2/1"), 1); /* 16: a repeat: integrity only */
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_TOTAL), 2);
    assert_int_equal(chk_violations(b->c, CHK_R_INTEGRITY), 1);
    assert_contains(rep, "  FAIL total-order (2 violations)\n");
    assert_contains(rep, "  first violation of total-order: p2 delivered p2/1 before p1/1 but p1 "
                         "delivered p1/1 before p2/1 (abcasts of g1)\n"
                         "    line 10: deliver node=p1 msg=p1/1\n"
                         "    line 11: deliver node=p1 msg=p2/1\n"
                         "    line 12: deliver node=p2 msg=p2/1\n"
                         "    line 13: deliver node=p2 msg=p1/1 order=abcast group=g1 from=p1 "
                         "view=1\n");
    free(rep);
    tb_free(b);

    /* the node that delivered first closes the pair last; a crashed node counts */
    b = tb_three();
    tb_ab(b, "p1", "p1/1");
    tb_ab(b, "p2", "p2/1");
    tb_ab(b, "p3", "p3/1");
    assert_int_equal(tb_dab(b, "p1", "p1/1"), 0);
    assert_int_equal(tb_dab(b, "p2", "p2/1"), 0);
    assert_int_equal(tb_dab(b, "p2", "p1/1"), 0);
    assert_int_equal(tb_dab(b, "p1", "p2/1"), 1); /* p1: p1/1, p2/1; p2: p2/1, p1/1 */
    assert_int_equal(tb_dab(b, "p3", "p3/1"), 0);
    assert_int_equal(tb_dab(b, "p3", "p1/1"), 0);
    assert_int_equal(tb_ev(b, CHK_EV_CRASH, "p3", NULL), 0);
    assert_int_equal(tb_dab(b, "p1", "p3/1"), 1); /* p3 (crashed) had p3/1 before p1/1 */
    rep = tb_finish(b);
    assert_only(b->c, CHK_R_TOTAL, 2);
    free(rep);
    tb_free(b);
}

static void test_total_order_pass(void **state)
{
    (void)state;
    struct tb *b = tb_three();
    tb_ev(b, CHK_EV_START, "p4", NULL);
    tb_view(b, "p4", "g1", 1, "p1 p2 p3");
    const char *all[] = {"p1/1", "p2/1", "p3/1"};
    tb_ab(b, "p1", "p1/1");
    tb_ab(b, "p2", "p2/1");
    tb_ab(b, "p3", "p3/1");
    tb_cb(b, "p1", "p1/2", 1);
    tb_cb(b, "p2", "p2/2", 1);
    /* the same order everywhere; p3 delivers a subset and crashes */
    for (int k = 0; k < 3; k++) {
        assert_int_equal(tb_dab(b, "p1", all[k]), 0);
        assert_int_equal(tb_dab(b, "p2", all[k]), 0);
    }
    assert_int_equal(tb_dab(b, "p3", "p1/1"), 0);
    assert_int_equal(tb_dab(b, "p3", "p3/1"), 0);
    /* concurrent cbcasts in different orders are no business of total order */
    assert_int_equal(tb_dcb(b, "p1", "p1/2", 1), 0);
    assert_int_equal(tb_dcb(b, "p1", "p2/2", 1), 0);
    assert_int_equal(tb_dcb(b, "p2", "p2/2", 1), 0);
    assert_int_equal(tb_dcb(b, "p2", "p1/2", 1), 0);
    assert_int_equal(tb_ev(b, CHK_EV_CRASH, "p3", NULL), 0);
    /* p4 (not a member, so integrity objects) is judged for order only by what it shares */
    char *rep = tb_finish(b);
    assert_false(chk_rule_failed(b->c, CHK_R_TOTAL));
    assert_contains(rep, "  PASS total-order\n");
    free(rep);
    tb_free(b);

    /* three pairs, each agreed by the two nodes that share it: no violation */
    b = tb_three();
    tb_ab(b, "p1", "p1/1");
    tb_ab(b, "p2", "p2/1");
    tb_ab(b, "p3", "p3/1");
    tb_dab(b, "p1", "p1/1");
    tb_dab(b, "p1", "p2/1");
    tb_dab(b, "p2", "p2/1");
    tb_dab(b, "p2", "p3/1");
    tb_dab(b, "p3", "p3/1");
    tb_dab(b, "p3", "p1/1");
    rep = tb_finish(b);
    assert_false(chk_rule_failed(b->c, CHK_R_TOTAL));
    free(rep);
    tb_free(b);
}

/* ---- rule 9: state transfer ---- */

static int tb_state(struct tb *b, const char *node, int64_t view, const char *digest)
{
    struct chk_event e = {
        .ev = CHK_EV_STATE, .node = node, .group = "g1", .view = view, .digest = digest};
    return tb_feed(b, &e);
}

static void test_state_transfer(void **state)
{
    (void)state;
    /* members at each install, a joiner after its transfer: equal digests pass */
    struct tb *b = tb_three();
    tb_ev(b, CHK_EV_START, "p4", NULL);
    for (int i = 1; i <= 3; i++) {
        char p[4];
        snprintf(p, sizeof p, "p%d", i);
        assert_int_equal(tb_state(b, p, 1, "0-0"), 0);
    }
    tb_cb(b, "p1", "p1/1", 1);
    for (int i = 1; i <= 3; i++) {
        char p[4];
        snprintf(p, sizeof p, "p%d", i);
        tb_dcb(b, p, "p1/1", 1);
        tb_view(b, p, "g1", 2, "p1 p2 p3 p4");
        assert_int_equal(tb_state(b, p, 2, "1-9e37"), 0);
    }
    tb_view(b, "p4", "g1", 2, "p1 p2 p3 p4");
    assert_int_equal(tb_state(b, "p4", 2, "1-9e37"), 0);
    assert_int_equal(tb_state(b, "p4", 3, "1-9e37"), 0); /* another view: its own reference */
    char *rep = tb_finish(b);
    if (!chk_passed(b->c))
        fail_msg("%s", rep);
    assert_contains(rep, "  PASS state-transfer\n");
    free(rep);
    tb_free(b);

    /* a joiner with a wrong state, and a member that diverged later */
    b = tb_three();
    tb_ev(b, CHK_EV_START, "p4", NULL);                 /* 8 */
    assert_int_equal(tb_state(b, "p1", 2, "5-aa"), 0);  /* 9: the reference of view 2 */
    assert_int_equal(tb_state(b, "p4", 2, "5-ab"), 1);  /* 10 */
    assert_int_equal(tb_state(b, "p2", 2, "5-aa"), 0);  /* 11 */
    assert_int_equal(tb_state(b, "p3", 2, "5-aa"), 0);  /* 12 */
    assert_int_equal(tb_state(b, "p2", 3, "6-00"), 0);  /* 13 */
    assert_int_equal(tb_state(b, "p3", 3, "6-000"), 1); /* 14: byte for byte */
    assert_int_equal(tb_ev(b, CHK_EV_CRASH, "p3", NULL), 0);
    assert_int_equal(tb_state(b, "p3", 3, "7-00"), 1); /* after its crash: integrity only */
    rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_STATE), 2);
    assert_int_equal(chk_violations(b->c, CHK_R_INTEGRITY), 1);
    assert_contains(rep, "  FAIL state-transfer (2 violations)\n");
    assert_contains(rep, "  first violation of state-transfer: p4 wrote state 5-ab for view 2 of "
                         "g1 but p1 wrote 5-aa\n"
                         "    line 9: state node=p1 group=g1 view=2 digest=5-aa\n"
                         "    line 10: state node=p4 group=g1 view=2 digest=5-ab\n");
    free(rep);
    tb_free(b);
}

/* ---- rule 8: flush ---- */

static void test_flush(void **state)
{
    (void)state;
    struct tb *b = tb_three();
    tb_cb(b, "p1", "p1/1", 1);                                    /* 8 */
    tb_ev(b, CHK_EV_FLUSH_CALL, "p1", "g1");                      /* 9 */
    tb_cb(b, "p1", "p1/2", 1);                                    /* 10: after the call */
    tb_dcb(b, "p1", "p1/1", 1);                                   /* 11 */
    tb_dcb(b, "p2", "p1/1", 1);                                   /* 12 */
    assert_int_equal(tb_ev(b, CHK_EV_FLUSH_DONE, "p1", "g1"), 0); /* 13: p3 lacks p1/1 */
    assert_int_equal(tb_dcb(b, "p3", "p1/1", 1), 0);              /* 14: too late */
    char *rep = tb_finish(b);
    assert_only(b->c, CHK_R_FLUSH, 1);
    assert_contains(rep, "  first violation of flush: p1's flush of g1 returned before p3 "
                         "delivered p1/1\n"
                         "    line 8: send node=p1 msg=p1/1 order=cbcast group=g1 view=1\n"
                         "    line 9: flush_call node=p1 group=g1\n"
                         "    line 13: flush_done node=p1 group=g1\n"
                         "    line 14: deliver node=p3 msg=p1/1\n");
    free(rep);
    tb_free(b);

    /* never delivered; a member that crashes or is excluded later is forgiven */
    b = tb_rules();
    const char *four = "p1 p2 p3 p4";
    tb_view(b, "p1", "g1", 1, four);
    tb_view(b, "p2", "g1", 1, four);
    tb_view(b, "p3", "g1", 1, four);
    tb_view(b, "p4", "g1", 1, four);
    tb_cb(b, "p1", "p1/1", 1);
    tb_dcb(b, "p1", "p1/1", 1);
    tb_ev(b, CHK_EV_FLUSH_CALL, "p1", "g1");
    tb_ev(b, CHK_EV_FLUSH_DONE, "p1", "g1");
    tb_ev(b, CHK_EV_CRASH, "p3", NULL);
    tb_ev(b, CHK_EV_EXCLUDED, "p4", "g1");
    tb_ev(b, CHK_EV_FLUSH_CALL, "p1", "g1"); /* judges nothing twice */
    tb_ev(b, CHK_EV_FLUSH_DONE, "p1", "g1");
    rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_FLUSH), 1);
    assert_contains(rep, "first violation of flush: p1's flush of g1 returned, but p2 never "
                         "delivered p1/1\n");
    free(rep);
    tb_free(b);
}

/* ---- fifo across views ---- */

static void test_fifo_per_view(void **state)
{
    (void)state;
    struct tb *b = tb_three();
    tb_send(b, "p1", "p1/1", "fifo", "g1", 1);
    tb_send(b, "p1", "p1/2", "fifo", "g1", 1);
    tb_view(b, "p1", "g1", 2, "p1 p2 p3");
    tb_send(b, "p1", "p1/3", "fifo", "g1", 2);
    tb_send(b, "p1", "p1/4", "fifo", "g1", 2);
    assert_int_equal(tb_deliver(b, "p2", "p1/1", "p1", "fifo", "g1", 1), 0);
    assert_int_equal(tb_deliver(b, "p2", "p1/2", "p1", "fifo", "g1", 1), 0);
    tb_view(b, "p2", "g1", 2, "p1 p2 p3");
    assert_int_equal(tb_deliver(b, "p2", "p1/3", "p1", "fifo", "g1", 2), 0); /* a new sequence */
    tb_view(b, "p3", "g1", 2, "p1 p2 p3");
    assert_int_equal(tb_deliver(b, "p3", "p1/4", "p1", "fifo", "g1", 2), 1); /* gap in view 2 */
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_FIFO), 1);
    assert_contains(rep, "first violation of fifo: p3 delivered p1/4 before p1/3 (sent earlier by "
                         "p1)\n");
    free(rep);
    tb_free(b);
}

/* ---- scale: 16 processes, cbcast all-to-all, view changes and flushes ---- */

static void test_large_cbcast_views(void **state)
{
    (void)state;
    enum { P = 16, ROUNDS = 560, VIEW_EVERY = 50 };
    struct chk_header h = {.scenario = "speed", .seed = 1, .end_s = 100, .quiet_from_s = 90};
    struct chk *c = chk_new(&h);
    char names[P][8], msgs[P][32];
    const char *members[P];
    for (int i = 0; i < P; i++) {
        snprintf(names[i], sizeof names[i], "p%d", i + 1);
        members[i] = names[i];
    }
    uint64_t line = 1;
    int64_t view = 1;
    for (int i = 0; i < P; i++) {
        struct chk_event e = {.ev = CHK_EV_START, .node = names[i], .view = -1, .line = ++line};
        chk_feed(c, &e);
    }
    for (int r = 0; r <= ROUNDS; r++) {
        if (r % VIEW_EVERY == 0) {
            for (int i = 0; i < P; i++) {
                struct chk_event v = {.ev = CHK_EV_VIEW,
                                      .node = names[i],
                                      .group = "g1",
                                      .view = view,
                                      .members = members,
                                      .n_members = P,
                                      .line = ++line};
                assert_int_equal(chk_feed(c, &v), 0);
            }
            view++;
        }
        if (r == ROUNDS)
            break;
        for (int s = 0; s < P; s++) {
            snprintf(msgs[s], sizeof msgs[s], "p%d/%d", s + 1, r);
            struct chk_event e = {.ev = CHK_EV_SEND,
                                  .node = names[s],
                                  .msg = msgs[s],
                                  .order = "cbcast",
                                  .group = "g1",
                                  .view = view - 1,
                                  .line = ++line};
            assert_int_equal(chk_feed(c, &e), 0);
        }
        for (int q = 0; q < P; q++)
            for (int k = 0; k < P; k++) {
                int s = (q + k) % P; /* each receiver in its own order */
                struct chk_event d = {.ev = CHK_EV_DELIVER,
                                      .node = names[q],
                                      .msg = msgs[s],
                                      .order = "cbcast",
                                      .group = "g1",
                                      .from = names[s],
                                      .view = view - 1,
                                      .line = ++line};
                assert_int_equal(chk_feed(c, &d), 0);
            }
    }
    chk_finish(c); /* correctness at size; the time it takes is reports/bench's business */
    uint64_t events = chk_counts(c)->events;
    assert_true(events > 140000);
    char *rep = report_of(c);
    if (!chk_passed(c))
        fail_msg("%s", rep);
    free(rep);
    chk_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_implemented),
        cmocka_unit_test(test_good_run_with_views),
        cmocka_unit_test(test_view_agreement),
        cmocka_unit_test(test_sending_view),
        cmocka_unit_test(test_vsync),
        cmocka_unit_test(test_failure_atomicity),
        cmocka_unit_test(test_failure_atomicity_retroactive),
        cmocka_unit_test(test_causal_pass_and_fifo_exempt),
        cmocka_unit_test(test_causal_violations),
        cmocka_unit_test(test_causal_client_view),
        cmocka_unit_test(test_causal_client_resent),
        cmocka_unit_test(test_causal_domains_and_p2p),
        cmocka_unit_test(test_causal_p2p_domain_and_chain),
        cmocka_unit_test(test_total_order_violation),
        cmocka_unit_test(test_total_order_pass),
        cmocka_unit_test(test_flush),
        cmocka_unit_test(test_state_transfer),
        cmocka_unit_test(test_fifo_per_view),
        cmocka_unit_test(test_large_cbcast_views),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
