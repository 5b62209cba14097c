/* tests/test_chk.c: the trace checker (checkers/chk.h): rule names, integrity,
 * fifo and liveness on hand-made traces (each fed online and read back
 * offline, which must agree), trace writing and reading, read errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "chk.h"
#include "chk_internal.h"
#include "support_chk.h"

#ifndef PG_BINARY_DIR
#define PG_BINARY_DIR "/tmp"
#endif

/* ---- a trace builder: feeds events online and writes them as a trace ---- */

static struct tb *tb_unit(double quiet_from_s)
{
    struct chk_header h = {
        .scenario = "unit", .seed = 7, .end_s = 10, .quiet_from_s = quiet_from_s};
    return tb_new(&h, 0.25);
}

static void tb_node_ev(struct tb *b, enum chk_ev ev, const char *node)
{
    struct chk_event e = {.ev = ev, .node = node, .view = -1};
    tb_feed(b, &e);
}

/* view: members is a NULL-terminated list. */
static void tb_view_list(struct tb *b, const char *node, const char *group, int64_t view,
                         const char *const *members)
{
    size_t n = 0;
    while (members[n])
        n++;
    struct chk_event e = {.ev = CHK_EV_VIEW, .node = node, .group = group, .view = view};
    e.members = members;
    e.n_members = n;
    tb_feed(b, &e);
}

static const char *const three[] = {"p1", "p2", "p3", NULL};

static int tb_send(struct tb *b, const char *node, const char *msg, const char *order,
                   const char *group)
{
    struct chk_event e = {
        .ev = CHK_EV_SEND, .node = node, .msg = msg, .order = order, .group = group, .view = 1};
    return tb_feed(b, &e);
}

static int tb_send_to(struct tb *b, const char *node, const char *msg, const char *to)
{
    struct chk_event e = {
        .ev = CHK_EV_SEND, .node = node, .msg = msg, .order = "p2p", .to = to, .view = -1};
    return tb_feed(b, &e);
}

static int tb_deliver_full(struct tb *b, const char *node, const char *msg, const char *from,
                           const char *order, const char *group)
{
    struct chk_event e = {.ev = CHK_EV_DELIVER,
                          .node = node,
                          .msg = msg,
                          .from = from,
                          .order = order,
                          .group = group,
                          .view = group ? 1 : -1};
    return tb_feed(b, &e);
}

static int tb_deliver(struct tb *b, const char *node, const char *msg, const char *from)
{
    return tb_deliver_full(b, node, msg, from, "fifo", "g1");
}

/* p1..p3 start and install view 1 of g1 = [p1,p2,p3]: lines 2-7. */
static struct tb *tb_group3(double quiet_from_s)
{
    struct tb *b = tb_unit(quiet_from_s);
    for (int i = 0; i < 3; i++)
        tb_node_ev(b, CHK_EV_START, three[i]);
    for (int i = 0; i < 3; i++)
        tb_view_list(b, three[i], "g1", 1, three);
    return b;
}

/* p sends msg to g1 (fifo) and every member delivers it. */
static void tb_mcast_all(struct tb *b, const char *p, const char *msg)
{
    assert_int_equal(tb_send(b, p, msg, "fifo", "g1"), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(tb_deliver(b, three[i], msg, p), 0);
}

/* ---- rule names ---- */

static void test_rule_names(void **state)
{
    (void)state;
    assert_string_equal(chk_rule_name(CHK_R_INTEGRITY), "integrity");
    assert_string_equal(chk_rule_name(CHK_R_VSYNC), "virtual-synchrony");
    assert_string_equal(chk_rule_name(CHK_R_FIFO), "fifo");
    assert_int_equal(chk_rule_number(CHK_R_INTEGRITY), 1);
    assert_int_equal(chk_rule_number(CHK_R_LIVENESS), 10);
    assert_int_equal(chk_rule_number(CHK_R_FIFO), 0);
    assert_int_equal(chk_rule_parse("10"), CHK_R_LIVENESS);
    assert_int_equal(chk_rule_parse("6"), CHK_R_CAUSAL);
    assert_int_equal(chk_rule_parse("fifo"), CHK_R_FIFO);
    assert_int_equal(chk_rule_parse("0"), -1);
    assert_int_equal(chk_rule_parse("11"), CHK_R_HIER_BIND); /* rules 11-15: hierarchical groups */
    assert_int_equal(chk_rule_number(CHK_R_HIER_GLOBAL), 15);
    assert_int_equal(chk_rule_parse("16"), -1);
    assert_int_equal(chk_rule_parse("Integrity"), -1);
    assert_int_equal(chk_rule_parse(""), -1);
    assert_int_equal(chk_rule_parse(NULL), -1);
    for (int r = 0; r < CHK_R_COUNT; r++)
        assert_int_equal(chk_rule_parse(chk_rule_name(r)), r);
    assert_true(chk_rule_implemented(CHK_R_INTEGRITY));
    assert_true(chk_rule_implemented(CHK_R_FIFO));
    assert_true(chk_rule_implemented(CHK_R_LIVENESS));
    assert_true(chk_rule_implemented(CHK_R_CAUSAL));
    assert_true(chk_rule_implemented(CHK_R_VIEW_AGREEMENT));
    assert_true(chk_rule_implemented(CHK_R_TOTAL));
    assert_true(chk_rule_implemented(CHK_R_STATE));
}

/* ---- integrity ---- */

static void test_good_trace_passes(void **state)
{
    (void)state;
    struct tb *b = tb_group3(5);
    tb_mcast_all(b, "p1", "p1/1");
    tb_mcast_all(b, "p2", "p2/1");
    tb_mcast_all(b, "p1", "p1/2");
    struct chk_event other = {
        .ev = CHK_EV_OTHER, .ev_name = "suspect", .node = "p1", .peer = "p2", .view = -1};
    assert_int_equal(tb_feed(b, &other), 0);
    char *rep = tb_finish(b);
    assert_string_equal(
        rep, "  PASS integrity\n  PASS view-agreement\n  PASS sending-view\n"
             "  PASS virtual-synchrony\n  PASS failure-atomicity\n"
             "  PASS causal-order\n  PASS total-order\n  PASS flush\n  PASS state-transfer\n"
             "  PASS liveness\n  PASS fifo\n  PASS hier-bind\n  PASS hier-once\n"
             "  PASS hier-order\n  PASS hier-liveness\n  PASS hier-global-order\n");
    assert_true(chk_passed(b->c));
    const struct chk_counts *n = chk_counts(b->c);
    assert_int_equal(n->events, 3 + 3 + 3 * 4 + 1);
    assert_int_equal(n->sends, 3);
    assert_int_equal(n->deliveries, 9);
    assert_int_equal(n->views, 3);
    free(rep);
    tb_free(b);
}

static void test_integrity_twice(void **state)
{
    (void)state;
    struct tb *b = tb_group3(-1);
    tb_mcast_all(b, "p1", "p1/1");                          /* lines 8-11 */
    assert_int_equal(tb_deliver(b, "p2", "p1/1", "p1"), 2); /* line 12: integrity + fifo */
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_INTEGRITY), 1);
    assert_int_equal(chk_violations(b->c, CHK_R_FIFO), 1);
    assert_false(chk_passed(b->c));
    assert_contains(rep, "  FAIL integrity (1 violation)\n");
    assert_contains(rep, "  first violation of integrity: p2 delivered p1/1 twice\n"
                         "    line 10: deliver node=p2 msg=p1/1\n"
                         "    line 12: deliver node=p2 msg=p1/1 order=fifo group=g1 from=p1 "
                         "view=1\n");
    free(rep);
    tb_free(b);
}

/* chk_first_failed names the rule whose first violation came first in the
 * trace, and the accessors give back the sentence and evidence chk_report prints. */
static void test_first_violation_accessors(void **state)
{
    (void)state;
    struct tb *b = tb_group3(5);
    assert_int_equal(chk_first_failed(b->c), -1);
    assert_int_equal(tb_send(b, "p1", "p1/1", "fifo", "g1"), 0); /* line 8 */
    assert_int_equal(tb_send(b, "p1", "p1/2", "fifo", "g1"), 0); /* line 9 */
    assert_int_equal(tb_deliver(b, "p2", "p1/2", "p1"), 1);      /* line 10: fifo gap */
    assert_int_equal(tb_deliver(b, "p3", "p1/7", "p1"), 1);      /* line 11: never sent */
    char *rep = tb_finish(b);                                    /* liveness fails at the end */
    assert_true(chk_rule_failed(b->c, CHK_R_LIVENESS));
    assert_int_equal(chk_first_failed(b->c), CHK_R_FIFO);
    assert_null(chk_violation_message(b->c, CHK_R_CAUSAL));
    assert_int_equal(chk_violation_evidence(b->c, CHK_R_CAUSAL, NULL, 0), 0);
    const char *msg = chk_violation_message(b->c, CHK_R_FIFO);
    assert_non_null(msg);
    assert_contains(rep, msg);
    struct chk_evidence_ref ev[CHK_EVIDENCE_REFS_MAX];
    size_t n = chk_violation_evidence(b->c, CHK_R_FIFO, ev, CHK_EVIDENCE_REFS_MAX);
    assert_true(n >= 1 && n <= CHK_EVIDENCE_REFS_MAX);
    assert_int_equal(ev[n - 1].line, 10);
    for (size_t i = 0; i < n; i++) {
        char want[512];
        snprintf(want, sizeof want, "    line %llu: %s\n", (unsigned long long)ev[i].line,
                 ev[i].text);
        assert_contains(rep, want);
        assert_true(i == 0 || ev[i - 1].line < ev[i].line);
    }
    assert_int_equal(chk_violation_evidence(b->c, CHK_R_FIFO, ev, 0),
                     n); /* counts without copying */
    for (int r = 0; r < CHK_R_COUNT; r++)
        assert_true(strlen(chk_rule_sentence((enum chk_rule)r)) > 20);
    free(rep);
    tb_free(b);

    b = tb_group3(5); /* only an end-of-run violation: it is the first */
    assert_int_equal(tb_send(b, "p1", "p1/1", "fifo", "g1"), 0);
    free(tb_finish(b));
    assert_int_equal(chk_first_failed(b->c), CHK_R_LIVENESS);
    tb_free(b);
}

static void test_integrity_never_sent_and_from(void **state)
{
    (void)state;
    struct tb *b = tb_group3(-1);
    assert_int_equal(tb_deliver(b, "p2", "p1/9", "p1"), 1); /* line 8: never sent */
    assert_int_equal(tb_send(b, "p1", "p1/1", "fifo", "g1"), 0);
    assert_int_equal(tb_deliver(b, "p3", "p1/1", "p2"), 1); /* line 10: wrong from */
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_INTEGRITY), 2);
    assert_contains(rep, "  FAIL integrity (2 violations)\n");
    assert_contains(rep, "first violation of integrity: p2 delivered p1/9, which was never sent\n"
                         "    line 8: deliver node=p2 msg=p1/9 order=fifo group=g1 from=p1 "
                         "view=1\n");
    free(rep);
    tb_free(b);

    b = tb_group3(-1);
    tb_send(b, "p1", "p1/1", "fifo", "g1");
    assert_int_equal(tb_deliver(b, "p3", "p1/1", "nobody"), 1);
    rep = tb_finish(b);
    assert_contains(rep, "first violation of integrity: p3 delivered p1/1 from nobody, but p1 "
                         "sent it\n"
                         "    line 8: send node=p1 msg=p1/1 order=fifo group=g1 view=1\n"
                         "    line 9: deliver node=p3 msg=p1/1 order=fifo group=g1 from=nobody "
                         "view=1\n");
    free(rep);
    tb_free(b);
}

static void test_integrity_group_order_mismatch(void **state)
{
    (void)state;
    struct tb *b = tb_group3(-1);
    const char *const g2[] = {"p1", "p2", NULL};
    tb_view_list(b, "p2", "g2", 1, g2);
    tb_send(b, "p1", "p1/1", "cbcast", "g1");
    assert_int_equal(tb_deliver_full(b, "p2", "p1/1", "p1", "cbcast", "g2"), 1);
    assert_int_equal(tb_deliver_full(b, "p3", "p1/1", "p1", "abcast", "g1"), 1);
    assert_int_equal(tb_deliver_full(b, "p1", "p1/1", "p1", "cbcast", "g1"), 0);
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_INTEGRITY), 2);
    assert_int_equal(chk_violations(b->c, CHK_R_FIFO), 0); /* cbcast is not fifo's business */
    assert_contains(rep, "first violation of integrity: p2 delivered p1/1 as cbcast to g2, but it "
                         "was sent as cbcast to g1\n");
    free(rep);
    tb_free(b);
}

static void test_integrity_membership(void **state)
{
    (void)state;
    struct tb *b = tb_unit(-1);
    tb_node_ev(b, CHK_EV_START, "p1");                      /* 2 */
    tb_node_ev(b, CHK_EV_START, "p4");                      /* 3 */
    tb_view_list(b, "p1", "g1", 1, three);                  /* 4 */
    tb_send(b, "p1", "p1/1", "fifo", "g1");                 /* 5 */
    assert_int_equal(tb_deliver(b, "p4", "p1/1", "p1"), 1); /* 6: no view */
    tb_view_list(b, "p4", "g1", 1, three);                  /* 7: a view without p4 */
    tb_send(b, "p1", "p1/2", "fifo", "g1");                 /* 8 */
    assert_int_equal(tb_deliver(b, "p4", "p1/2", "p1"), 1); /* 9 */
    struct chk_event ex = {.ev = CHK_EV_EXCLUDED, .node = "p1", .group = "g1", .view = -1};
    tb_feed(b, &ex);                                        /* 10 */
    assert_int_equal(tb_deliver(b, "p1", "p1/1", "p1"), 1); /* 11: after excluded */
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_INTEGRITY), 3);
    assert_contains(rep, "first violation of integrity: p4 delivered p1/1 in g1 before "
                         "installing a view of it\n"
                         "    line 6: deliver node=p4 msg=p1/1");
    free(rep);
    tb_free(b);

    b = tb_unit(-1);
    tb_view_list(b, "p4", "g1", 3, three);  /* 2 */
    tb_send(b, "p1", "p1/1", "fifo", "g1"); /* 3 */
    tb_deliver(b, "p4", "p1/1", "p1");      /* 4 */
    rep = tb_finish(b);
    assert_contains(rep, "first violation of integrity: p4 delivered p1/1 in g1, but its latest "
                         "view of g1 (view 3) does not list it\n"
                         "    line 2: view node=p4 group=g1 view=3 members=[p1,p2,p3]\n"
                         "    line 4: deliver node=p4");
    free(rep);
    tb_free(b);

    b = tb_group3(-1);
    tb_feed(b, &ex);                        /* 8: p1 excluded */
    tb_send(b, "p2", "p2/1", "fifo", "g1"); /* 9 */
    tb_deliver(b, "p1", "p2/1", "p2");      /* 10 */
    rep = tb_finish(b);
    assert_contains(rep, "first violation of integrity: p1 delivered p2/1 in g1 after it was "
                         "excluded from it\n"
                         "    line 8: excluded node=p1 group=g1\n"
                         "    line 10: deliver node=p1");
    free(rep);
    tb_free(b);
}

static void test_integrity_after_crash(void **state)
{
    (void)state;
    struct tb *b = tb_group3(-1);
    tb_send(b, "p1", "p1/1", "fifo", "g1");                 /* 8 */
    tb_node_ev(b, CHK_EV_CRASH, "p3");                      /* 9 */
    assert_int_equal(tb_deliver(b, "p3", "p1/1", "p1"), 1); /* 10 */
    struct chk_event other = {.ev = CHK_EV_OTHER, .ev_name = "suspect", .node = "p3", .view = -1};
    assert_int_equal(tb_feed(b, &other), 1);                     /* 11 */
    assert_int_equal(tb_send(b, "p3", "p3/1", "fifo", "g1"), 1); /* 12 */
    assert_int_equal(tb_deliver(b, "p2", "p3/1", "p3"), 1);      /* 13: never sent */
    assert_int_equal(tb_deliver(b, "p2", "p1/1", "p1"), 0);      /* 14: crashed sender ok */
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_INTEGRITY), 4);
    assert_contains(rep, "first violation of integrity: p3 wrote a deliver event after it crashed\n"
                         "    line 9: crash node=p3\n"
                         "    line 10: deliver node=p3 msg=p1/1");
    free(rep);
    tb_free(b);
}

static void test_integrity_sent_twice_and_p2p(void **state)
{
    (void)state;
    struct tb *b = tb_group3(-1);
    tb_send(b, "p1", "x", "fifo", "g1");                      /* 8 */
    assert_int_equal(tb_send(b, "p2", "x", "fifo", "g1"), 1); /* 9 */
    tb_send_to(b, "p1", "p1/2", "p2");                        /* 10 */
    assert_int_equal(tb_deliver_full(b, "p2", "p1/2", "p1", "p2p", NULL), 0);
    assert_int_equal(tb_deliver_full(b, "p3", "p1/2", "p1", "p2p", NULL), 1);
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_INTEGRITY), 2);
    assert_contains(rep, "first violation of integrity: msg x was sent twice (by p1, then by p2)\n"
                         "    line 8: send node=p1 msg=x order=fifo group=g1 view=1\n"
                         "    line 9: send node=p2 msg=x");
    free(rep);
    tb_free(b);
}

/* ---- fifo ---- */

static void test_fifo_gap_and_reorder(void **state)
{
    (void)state;
    struct tb *b = tb_group3(-1);
    tb_send(b, "p1", "p1/1", "fifo", "g1");                 /* 8 */
    tb_send(b, "p1", "p1/2", "fifo", "g1");                 /* 9 */
    tb_send(b, "p1", "p1/3", "fifo", "g1");                 /* 10 */
    tb_send(b, "p2", "p2/1", "fifo", "g1");                 /* 11: another sequence */
    assert_int_equal(tb_deliver(b, "p2", "p1/2", "p1"), 1); /* 12: skips p1/1 */
    assert_int_equal(tb_deliver(b, "p2", "p1/1", "p1"), 1); /* 13: late */
    assert_int_equal(tb_deliver(b, "p2", "p1/3", "p1"), 0); /* 14: next after p1/2 */
    assert_int_equal(tb_deliver(b, "p3", "p2/1", "p2"), 0);
    assert_int_equal(tb_deliver(b, "p3", "p1/1", "p1"), 0);
    assert_int_equal(tb_deliver(b, "p3", "p1/3", "p1"), 1); /* 17: drops p1/2 */
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_FIFO), 3);
    assert_int_equal(chk_violations(b->c, CHK_R_INTEGRITY), 0);
    assert_contains(rep, "  FAIL fifo (3 violations)\n");
    assert_contains(rep, "  first violation of fifo: p2 delivered p1/2 before p1/1 (sent earlier "
                         "by p1)\n"
                         "    line 8: send node=p1 msg=p1/1 order=fifo group=g1 view=1\n"
                         "    line 12: deliver node=p2 msg=p1/2 order=fifo group=g1 from=p1 "
                         "view=1\n");
    free(rep);
    tb_free(b);

    /* cbcast messages are not in a fifo sequence (causal order judges them) */
    b = tb_group3(-1);
    tb_send(b, "p1", "p1/1", "cbcast", "g1");
    tb_send(b, "p1", "p1/2", "cbcast", "g1");
    assert_int_equal(tb_deliver_full(b, "p2", "p1/2", "p1", "cbcast", "g1"), 1);
    assert_int_equal(tb_deliver_full(b, "p2", "p1/1", "p1", "cbcast", "g1"), 0);
    rep = tb_finish(b);
    assert_false(chk_rule_failed(b->c, CHK_R_FIFO));
    assert_int_equal(chk_violations(b->c, CHK_R_CAUSAL), 1);
    free(rep);
    tb_free(b);
}

static void test_fifo_late_evidence(void **state)
{
    (void)state;
    struct tb *b = tb_group3(-1);
    tb_send(b, "p1", "p1/1", "fifo", "g1");                 /* 8 */
    tb_send(b, "p1", "p1/2", "fifo", "g1");                 /* 9 */
    tb_deliver(b, "p2", "p1/1", "p1");                      /* 10 */
    tb_deliver(b, "p3", "p1/2", "p1");                      /* 11: gap, first violation */
    assert_int_equal(tb_deliver(b, "p3", "p1/1", "p1"), 1); /* 12: late */
    assert_int_equal(tb_deliver(b, "p2", "p1/2", "p1"), 0); /* 13 */
    assert_int_equal(tb_deliver(b, "p2", "p1/2", "p1"), 2); /* 14: twice (integrity too) */
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_FIFO), 3);
    assert_int_equal(chk_violations(b->c, CHK_R_INTEGRITY), 1);
    free(rep);
    tb_free(b);

    /* a late delivery as the first violation: its evidence */
    b = tb_group3(-1);
    tb_send(b, "p1", "p1/1", "fifo", "g1"); /* 8 */
    tb_send(b, "p1", "p1/2", "fifo", "g1"); /* 9 */
    struct chk *c = b->c;                   /* judge 10-11 on their own too */
    tb_deliver(b, "p2", "p1/2", "p1");      /* 10: gap */
    tb_deliver(b, "p2", "p1/1", "p1");      /* 11: late */
    assert_ptr_equal(c, b->c);
    rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_FIFO), 2);
    free(rep);
    struct chk_header h = b->h;
    struct chk *late = chk_new(&h);
    struct chk_event s1 = {.ev = CHK_EV_SEND,
                           .node = "p1",
                           .msg = "p1/1",
                           .order = "fifo",
                           .group = "g1",
                           .view = 1,
                           .line = 2};
    struct chk_event s2 = s1;
    s2.msg = "p1/2";
    s2.line = 3;
    struct chk_event d1 = {.ev = CHK_EV_DELIVER,
                           .node = "p2",
                           .msg = "p1/1",
                           .order = "fifo",
                           .group = "g1",
                           .from = "p1",
                           .view = 1,
                           .line = 4};
    struct chk_event d2 = d1;
    d2.msg = "p1/2";
    d2.line = 5;
    struct chk_event d3 = d1;
    d3.node = "p3";
    d3.line = 6;
    struct chk_event d4 = d2;
    d4.node = "p3";
    d4.line = 7;
    chk_feed(late, &s1);
    chk_feed(late, &s2);
    chk_feed(late, &d1);
    chk_feed(late, &d2);
    chk_feed(late, &d4); /* p3: p1/2 first: gap */
    chk_feed(late, &d3); /* then p1/1: late */
    assert_int_equal(chk_violations(late, CHK_R_FIFO), 2);
    chk_free(late);
    late = chk_new(&h);
    chk_feed(late, &s1);
    chk_feed(late, &s2);
    d2.line = 4;
    d1.line = 5;
    chk_feed(late, &d2); /* gap: first violation */
    chk_feed(late, &d1);
    chk_finish(late);
    rep = report_of(late);
    assert_contains(rep, "  FAIL fifo (2 violations)\n");
    chk_free(late);
    free(rep);
    tb_free(b);
}

/* ---- liveness ---- */

static void test_liveness_missing_deliveries(void **state)
{
    (void)state;
    struct tb *b = tb_group3(5);
    tb_mcast_all(b, "p1", "p1/1");          /* 8-11 */
    tb_send(b, "p1", "p1/2", "fifo", "g1"); /* 12 */
    tb_deliver(b, "p1", "p1/2", "p1");      /* 13: p2, p3 miss it */
    tb_send(b, "p2", "p2/1", "fifo", "g1"); /* 14 */
    tb_deliver(b, "p2", "p2/1", "p2");      /* 15 */
    tb_deliver(b, "p1", "p2/1", "p2");      /* 16: p3 misses it */
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_LIVENESS), 3);
    assert_int_equal(chk_violations(b->c, CHK_R_INTEGRITY), 0);
    assert_contains(rep, "  FAIL liveness (3 violations)\n");
    assert_contains(rep, "  first violation of liveness: p2 never delivered p1/2 (sent by p1 to "
                         "g1)\n"
                         "    line 6: view node=p2 group=g1 view=1 members=[p1,p2,p3]\n"
                         "    line 12: send node=p1 msg=p1/2 order=fifo group=g1 view=1\n");
    free(rep);
    tb_free(b);
}

/* Clients (checkers/TRACE.md rule 1's clients clause): a client delivers diffusions
 * only (msgs sent to members and clients); its own msgs are owed by the
 * members of the view it cached (liveness). */
static void test_clients_integrity_liveness(void **state)
{
    (void)state;
    static const char *const c1[] = {"c1"};
    struct tb *b = tb_group3(5);
    tb_node_ev(b, CHK_EV_START, "c1"); /* 8 */
    struct chk_event v = {.ev = CHK_EV_VIEW, .node = "c1", .group = "g1", .view = 1};
    v.members = three;
    v.n_members = 3;
    v.clients = c1;
    v.n_clients = 1;
    tb_feed(b, &v); /* 9: the view c1 caches */
    assert_int_equal(tb_send(b, "p1", "p1/1", "diffusion", "g1"), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(tb_deliver_full(b, three[i], "p1/1", "p1", "diffusion", "g1"), 0);
    assert_int_equal(tb_deliver_full(b, "c1", "p1/1", "p1", "diffusion", "g1"), 0); /* 14 */
    assert_int_equal(tb_send(b, "c1", "c1/1", "cbcast", "g1"), 0);                  /* 15 */
    for (int i = 0; i < 2; i++) /* p3 never delivers it */
        assert_int_equal(tb_deliver_full(b, three[i], "c1/1", "c1", "cbcast", "g1"), 0);
    assert_int_equal(tb_send(b, "p3", "p3/1", "cbcast", "g1"), 0); /* 18 */
    for (int i = 0; i < 3; i++)
        assert_int_equal(tb_deliver_full(b, three[i], "p3/1", "p3", "cbcast", "g1"), 0);
    assert_int_equal(tb_deliver_full(b, "c1", "p3/1", "p3", "cbcast", "g1"), 1); /* 22 */
    assert_int_equal(tb_deliver_full(b, "p4", "p1/1", "p1", "diffusion", "g1"), 1);
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_INTEGRITY), 2);
    assert_int_equal(chk_violations(b->c, CHK_R_LIVENESS), 1);
    assert_contains(rep, "first violation of integrity: c1 delivered p3/1 in g1, but its latest "
                         "view of g1 (view 1) does not list it\n"
                         "    line 9: view node=c1 group=g1 view=1 members=[p1,p2,p3]");
    assert_contains(rep, "first violation of liveness: p3 never delivered c1/1 (sent by c1 to "
                         "g1)\n");
    free(rep);
    tb_free(b);
}

static void test_liveness_crashed_and_unjudged(void **state)
{
    (void)state;
    /* a crashed receiver, a crashed sender: nothing owed */
    struct tb *b = tb_group3(5);
    tb_send(b, "p1", "p1/1", "fifo", "g1");
    tb_deliver(b, "p1", "p1/1", "p1");
    tb_deliver(b, "p2", "p1/1", "p1");
    tb_node_ev(b, CHK_EV_CRASH, "p3");
    tb_send(b, "p2", "p2/1", "fifo", "g1");
    tb_node_ev(b, CHK_EV_CRASH, "p2");
    char *rep = tb_finish(b);
    assert_false(chk_rule_failed(b->c, CHK_R_LIVENESS));
    assert_true(chk_passed(b->c));
    free(rep);
    tb_free(b);

    /* no quiet period: liveness is not judged */
    b = tb_group3(-1);
    tb_send(b, "p1", "p1/1", "fifo", "g1");
    rep = tb_finish(b);
    assert_true(chk_passed(b->c));
    assert_contains(rep, "  PASS liveness\n");
    free(rep);
    tb_free(b);

    /* p2p: owed by `to` */
    b = tb_group3(5);
    tb_send_to(b, "p1", "p1/1", "p3"); /* 8 */
    rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_LIVENESS), 1);
    assert_contains(rep, "first violation of liveness: p3 never delivered p1/1 (sent by p1 to p3)\n"
                         "    line 8: send node=p1 msg=p1/1 order=p2p to=p3\n");
    free(rep);
    tb_free(b);
}

/* A p2p message is not owed by a `to` that the sender and it deemed each
 * other faulty (a `suspect` event either way), nor by a `to` excluded from a
 * group of the message's domain (fail-stop conversion); otherwise it is. */
static void liveness_p2p_case(int exempt)
{
    struct tb *b = tb_group3(5);
    tb_send_to(b, "p1", "p1/1", "p3"); /* 8 */
    struct chk_event e = {
        .ev = CHK_EV_OTHER, .ev_name = "suspect", .node = "p3", .peer = "p1", .view = -1};
    if (exempt == 1)
        tb_feed(b, &e);
    struct chk_event x = {.ev = CHK_EV_EXCLUDED, .node = "p3", .group = "g1", .view = -1};
    if (exempt == 2)
        tb_feed(b, &x); /* g1 and the p2p message are both in "default" */
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_LIVENESS), exempt ? 0 : 1);
    free(rep);
    tb_free(b);
}

static void test_liveness_p2p_fail_stop(void **state)
{
    (void)state;
    liveness_p2p_case(0);
    liveness_p2p_case(1);
    liveness_p2p_case(2);
}

static void test_liveness_views_differ(void **state)
{
    (void)state;
    struct tb *b = tb_group3(5);
    const char *const two[] = {"p1", "p2", NULL};
    tb_view_list(b, "p1", "g1", 2, two); /* 8 */
    tb_view_list(b, "p2", "g1", 2, two); /* 9: p3 stays in view 1 */
    char *rep = tb_finish(b);
    assert_int_equal(chk_violations(b->c, CHK_R_LIVENESS), 1);
    assert_contains(rep, "first violation of liveness: p3 ends in view 1 of g1, but p1 ends in "
                         "view 2\n"
                         "    line 7: view node=p3 group=g1 view=1 members=[p1,p2,p3]\n"
                         "    line 8: view node=p1 group=g1 view=2 members=[p1,p2]\n");
    free(rep);
    tb_free(b);
}

/* ---- writing and reading ---- */

static void test_write_exact_bytes(void **state)
{
    (void)state;
    char buf[512];
    struct chk_event d = {.ev = CHK_EV_DELIVER,
                          .t = 1.5,
                          .node = "p3",
                          .msg = "p1/7",
                          .order = "fifo",
                          .group = "g1",
                          .from = "p1",
                          .view = 1};
    int n = chk_event_write(&d, buf, sizeof buf);
    const char *want = "{\"t\":1.5,\"ev\":\"deliver\",\"node\":\"p3\",\"msg\":\"p1/7\",\"order\":"
                       "\"fifo\",\"group\":\"g1\",\"from\":\"p1\",\"view\":1}\n";
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(buf, want);
    assert_int_equal(chk_event_write(&d, buf, strlen(want)), -1); /* no room for the NUL */
    assert_int_equal(chk_event_write(&d, buf, 10), -1);

    struct chk_event s = {.ev = CHK_EV_START, .t = 2.0, .node = "a\"b\\c\n\x01\x1f\t", .view = -1};
    n = chk_event_write(&s, buf, sizeof buf);
    assert_string_equal(
        buf, "{\"t\":2,\"ev\":\"start\",\"node\":\"a\\\"b\\\\c\\n\\u0001\\u001f\\t\"}\n");

    struct chk_event v = {.ev = CHK_EV_VIEW,
                          .t = 0.000000001,
                          .node = "p1",
                          .group = "g",
                          .view = 3,
                          .members = (const char *[]){"p1", "p2"},
                          .n_members = 2};
    chk_event_write(&v, buf, sizeof buf);
    assert_string_equal(buf, "{\"t\":0.000000001,\"ev\":\"view\",\"node\":\"p1\",\"group\":\"g\","
                             "\"view\":3,\"members\":[\"p1\",\"p2\"],\"clients\":[]}\n");

    struct chk_event f = {.ev = CHK_EV_FAULT,
                          .t = 3.25,
                          .kind = "partition",
                          .view = -1,
                          .extra_json = "\"blocks\":[[\"p1\"],[\"p2\"]]"};
    chk_event_write(&f, buf, sizeof buf);
    assert_string_equal(buf, "{\"t\":3.25,\"ev\":\"fault\",\"kind\":\"partition\","
                             "\"blocks\":[[\"p1\"],[\"p2\"]]}\n");

    struct chk_header h = {.scenario = "q", .seed = 42, .end_s = 10, .quiet_from_s = -1};
    chk_header_write(&h, buf, sizeof buf);
    assert_string_equal(
        buf, "{\"trace\":\"pgroup\",\"version\":1,\"scenario\":\"q\",\"seed\":42,\"end\":10}\n");
    h.quiet_from_s = 7.5;
    h.seed = UINT64_MAX;
    chk_header_write(&h, buf, sizeof buf);
    assert_string_equal(buf, "{\"trace\":\"pgroup\",\"version\":1,\"scenario\":\"q\","
                             "\"seed\":18446744073709551615,\"end\":10,\"quiet_from\":7.5}\n");
}

/* Captures what the checker is fed, to compare with what was written. */
#define RT_MAX 16
static char rt_lines[RT_MAX][1024];

static void assert_str_or_null(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void assert_events_equal(const struct chk_event *a, const struct chk_event *b)
{
    assert_int_equal(a->ev, b->ev);
    assert_true(a->t == b->t);
    assert_int_equal(a->view, b->view);
    assert_str_or_null(a->node, b->node);
    assert_str_or_null(a->msg, b->msg);
    assert_str_or_null(a->order, b->order);
    assert_str_or_null(a->group, b->group);
    assert_str_or_null(a->to, b->to);
    assert_str_or_null(a->from, b->from);
    assert_str_or_null(a->domain, b->domain);
    assert_str_or_null(a->digest, b->digest);
    assert_str_or_null(a->kind, b->kind);
    assert_str_or_null(a->peer, b->peer);
    assert_str_or_null(a->detail, b->detail);
    assert_str_or_null(a->extra_json, b->extra_json);
    assert_int_equal(a->n_members, b->n_members);
    assert_int_equal(a->members != NULL, b->members != NULL);
    for (size_t i = 0; i < a->n_members; i++)
        assert_string_equal(a->members[i], b->members[i]);
    assert_int_equal(a->n_clients, b->n_clients);
    for (size_t i = 0; i < a->n_clients; i++)
        assert_string_equal(a->clients[i], b->clients[i]);
}

static const char *const rt_members[] = {"p1", "p 2", "p\"3"};
static const char *const rt_clients[] = {"c1"};
static const struct chk_event rt_events[] = {
    {.ev = CHK_EV_START, .ev_name = "start", .t = 0, .node = "p1", .view = -1},
    {.ev = CHK_EV_DOMAIN,
     .ev_name = "domain",
     .t = 0.000000001,
     .group = "g1",
     .domain = "d",
     .view = -1},
    {.ev = CHK_EV_VIEW,
     .ev_name = "view",
     .t = 1.5,
     .node = "p1",
     .group = "g1",
     .view = 2,
     .members = rt_members,
     .n_members = 3,
     .clients = rt_clients,
     .n_clients = 1},
    {.ev = CHK_EV_SEND,
     .ev_name = "send",
     .t = 2.123456789,
     .node = "p1",
     .msg = "p1/1",
     .order = "cbcast",
     .group = "g1",
     .view = 2,
     .domain = "d"},
    {.ev = CHK_EV_SEND,
     .ev_name = "send",
     .t = 2.123456789,
     .node = "p1",
     .msg = "p1/2",
     .order = "p2p",
     .to = "p\\2",
     .view = -1},
    {.ev = CHK_EV_DELIVER,
     .ev_name = "deliver",
     .t = 3,
     .node = "p1",
     .msg = "p1/1",
     .order = "cbcast",
     .group = "g1",
     .from = "p1",
     .view = 2},
    {.ev = CHK_EV_EXCLUDED, .ev_name = "excluded", .t = 4, .node = "p1", .group = "g1", .view = -1},
    {.ev = CHK_EV_FLUSH_CALL,
     .ev_name = "flush_call",
     .t = 4,
     .node = "p1",
     .group = "g1",
     .view = -1},
    {.ev = CHK_EV_FLUSH_DONE,
     .ev_name = "flush_done",
     .t = 4,
     .node = "p1",
     .group = "g1",
     .view = -1},
    {.ev = CHK_EV_STATE,
     .ev_name = "state",
     .t = 5,
     .node = "p1",
     .group = "g1",
     .view = 2,
     .digest = "ab\tcd\x7f\xc3\xa9"},
    {.ev = CHK_EV_FAULT,
     .ev_name = "fault",
     .t = 6,
     .kind = "loss",
     .view = -1,
     .extra_json = "\"p\":0.100000,\"x\":{\"a\":[1,\"],\"]}"},
    {.ev = CHK_EV_OTHER,
     .ev_name = "suspect",
     .t = 12345.5,
     .node = "p1",
     .peer = "p2",
     .detail = "late \"hb\"",
     .view = -1},
    {.ev = CHK_EV_CRASH, .ev_name = "crash", .t = 12345.5, .node = "p1", .view = -1},
};
#define RT_N (sizeof rt_events / sizeof rt_events[0])

/* A sink that checks each parsed event against rt_events and rewrites it to the same bytes. */
struct rt_ctx {
    struct chk_header h;
    char scenario[64];
    size_t n;
};

static bool rt_on_header(void *ctx, const struct chk_header *h)
{
    struct rt_ctx *x = ctx;
    x->h = *h;
    snprintf(x->scenario, sizeof x->scenario, "%s", h->scenario);
    x->h.scenario = x->scenario;
    return true;
}

static void rt_on_event(void *ctx, const struct chk_event *e)
{
    struct rt_ctx *x = ctx;
    assert_true(x->n < RT_N);
    assert_int_equal(e->line, x->n + 2);
    assert_events_equal(e, &rt_events[x->n]);
    assert_string_equal(e->ev_name, rt_events[x->n].ev_name);
    char again[1024];
    assert_true(chk_event_write(e, again, sizeof again) > 0);
    assert_string_equal(again, rt_lines[x->n]);
    x->n++;
}

static void test_write_read_round_trip(void **state)
{
    (void)state;
    struct chk_header h = {
        .scenario = "rt \"x\"", .seed = UINT64_MAX - 1, .end_s = 12345.5, .quiet_from_s = 90};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    char hdr[512];
    int n = chk_header_write(&h, hdr, sizeof hdr);
    assert_true(n > 0);
    fputs(hdr, f);
    for (size_t i = 0; i < RT_N; i++) {
        assert_true(chk_event_write(&rt_events[i], rt_lines[i], sizeof rt_lines[0]) > 0);
        fputs(rt_lines[i], f);
    }
    fclose(f);
    struct rt_ctx x = {0};
    struct chk_trace_sink sink = {.on_header = rt_on_header, .on_event = rt_on_event, .ctx = &x};
    assert_true(chk_parse_trace_buf("rt", text, len, stderr, &sink));
    assert_int_equal(x.n, RT_N);
    assert_string_equal(x.scenario, h.scenario);
    assert_true(x.h.seed == h.seed);
    assert_true(x.h.end_s == h.end_s);
    assert_true(x.h.quiet_from_s == h.quiet_from_s);
    char again[512];
    chk_header_write(&x.h, again, sizeof again);
    assert_string_equal(again, hdr);

    /* the checker reads the same text: offline counts match */
    struct chk *c = chk_read_trace_buf("rt", text, len, stderr);
    assert_non_null(c);
    assert_int_equal(chk_counts(c)->events, RT_N);
    assert_int_equal(chk_counts(c)->sends, 2);
    assert_int_equal(chk_counts(c)->crashes, 1);
    assert_int_equal(chk_counts(c)->faults, 1);
    chk_free(c);
    free(text);
}

/* ---- the reader's fast path against its cJSON path ---- */

static void dd_str(FILE *f, const char *k, const char *v)
{
    fprintf(f, " %s=%s%s%s", k, v ? "<" : "", v ? v : "NULL", v ? ">" : "");
}

/* Every field of an event, t to the bit. */
static void dd_event(void *ctx, const struct chk_event *e)
{
    FILE *f = ctx;
    fprintf(f, "ev=%d t=%a lamport=%llu line=%llu view=%lld", (int)e->ev, e->t,
            (unsigned long long)e->lamport, (unsigned long long)e->line, (long long)e->view);
    const char *s[] = {e->ev_name, e->node,   e->msg,  e->order, e->group,  e->to,        e->from,
                       e->domain,  e->digest, e->kind, e->peer,  e->detail, e->extra_json};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        dd_str(f, "s", s[i]);
    fprintf(f, " members%s", e->members ? "" : "=NULL");
    for (size_t i = 0; i < e->n_members; i++)
        dd_str(f, "m", e->members[i]);
    fprintf(f, " clients%s", e->clients ? "" : "=NULL");
    for (size_t i = 0; i < e->n_clients; i++)
        dd_str(f, "c", e->clients[i]);
    fputc('\n', f);
}

static bool dd_header(void *ctx, const struct chk_header *h)
{
    (void)ctx;
    (void)h;
    return true;
}

/* Parses `text` both ways: the same events, the same verdict, the same
 * errors. Returns the lines the fast path took. */
static uint64_t dd_compare(const char *text)
{
    uint64_t n_fast[2] = {0, 0};
    char *out[2] = {NULL, NULL}, *err[2] = {NULL, NULL};
    size_t out_len[2], err_len[2];
    bool ok[2];
    for (int slow = 0; slow < 2; slow++) {
        FILE *fo = open_memstream(&out[slow], &out_len[slow]);
        FILE *fe = open_memstream(&err[slow], &err_len[slow]);
        struct chk_trace_sink sink = {.on_header = dd_header, .on_event = dd_event, .ctx = fo};
        ok[slow] =
            chk_parse_trace_buf_path("dd", text, strlen(text), fe, &sink, slow, &n_fast[slow]);
        fclose(fo);
        fclose(fe);
    }
    if (ok[0] != ok[1] || strcmp(out[0], out[1]) || strcmp(err[0], err[1]))
        fprintf(stderr, "fast and cJSON paths differ on:\n%s\nfast:\n%s%s\ncJSON:\n%s%s\n", text,
                out[0], err[0], out[1], err[1]);
    assert_true(ok[0] == ok[1]);
    assert_string_equal(out[0], out[1]);
    assert_string_equal(err[0], err[1]);
    for (int k = 0; k < 2; k++) {
        free(out[k]);
        free(err[k]);
    }
    assert_true(n_fast[1] == 0);
    return n_fast[0];
}

static void test_reader_fast_path_matches_cjson(void **state)
{
    (void)state;
    static const char *const hdr =
        "{\"trace\":\"pgroup\",\"version\":1,\"scenario\":\"dd\",\"seed\":1,"
        "\"end\":100}\n";
    static const char *const lines[] = {
        /* the writer's shapes */
        "{\"t\":0,\"ev\":\"start\",\"node\":\"p1\"}",
        "{\"t\":0.00263984,\"ev\":\"deliver\",\"node\":\"p16\",\"msg\":\"p5/1\",\"order\":\"fifo\","
        "\"group\":\"g1\",\"from\":\"p5\",\"view\":1}",
        "{\"t\":1.5,\"ev\":\"send\",\"node\":\"p5\",\"msg\":\"p5/"
        "1\",\"order\":\"cbcast\",\"group\":"
        "\"g1\",\"view\":3,\"lamport\":77}",
        "{\"t\":2,\"ev\":\"view\",\"node\":\"p1\",\"group\":\"g1\",\"view\":1,\"members\":[\"p1\","
        "\"p2\",\"p3\"],\"clients\":[]}",
        "{\"t\":2,\"ev\":\"view\",\"node\":\"p1\",\"group\":\"g1\",\"view\":2,\"clients\":[\"c1\"],"
        "\"members\":[\"p1\",\"p2\"]}",
        "{\"t\":2,\"ev\":\"view\",\"node\":\"p1\",\"group\":\"g1\",\"view\":2,\"members\":[]}",
        "{\"t\":3,\"ev\":\"sometimes\",\"node\":\"p2\",\"detail\":\"phys.sack_release\"}",
        "{\"t\":3,\"ev\":\"suspect\",\"node\":\"p2\",\"peer\":\"p3\",\"detail\":\"a b\\tc\"}",
        "{\"t\":4,\"ev\":\"crash\",\"node\":\"p3\"}",
        "{\"t\":4,\"ev\":\"fault\",\"kind\":\"loss\",\"p\":0.5}",
        "{\"t\":4,\"ev\":\"unheard-of\",\"node\":\"p3\"}",
        /* numbers: decimals, exponents, many digits, the limits of view */
        "{\"t\":4.000000001,\"ev\":\"crash\",\"node\":\"p4\"}",
        "{\"t\":4.1234567890123456789,\"ev\":\"crash\",\"node\":\"p4\"}",
        "{\"t\":5e0,\"ev\":\"crash\",\"node\":\"p4\"}",
        "{\"t\":0.6E1,\"ev\":\"crash\",\"node\":\"p4\"}",
        "{\"t\":7,\"ev\":\"crash\",\"node\":\"p4\",\"view\":9007199254740992}",
        "{\"t\":7,\"ev\":\"crash\",\"node\":\"p4\",\"view\":9007199254740993}",
        "{\"t\":7,\"ev\":\"crash\",\"node\":\"p4\",\"view\":1.5}",
        "{\"t\":7,\"ev\":\"crash\",\"node\":\"p4\",\"lamport\":0}",
        "{\"t\":-0,\"ev\":\"crash\",\"node\":\"p4\"}",
        "{\"t\":-1,\"ev\":\"crash\",\"node\":\"p4\"}",
        "{\"t\":1e999,\"ev\":\"crash\",\"node\":\"p4\"}",
        "{\"t\":200,\"ev\":\"crash\",\"node\":\"p4\"}",
        "{\"t\":01,\"ev\":\"crash\",\"node\":\"p4\"}",
        "{\"t\":.5,\"ev\":\"crash\",\"node\":\"p4\"}",
        "{\"t\":\"1\",\"ev\":\"crash\",\"node\":\"p4\"}",
        /* not the writer's shape: the cJSON path decides */
        "{ \"t\":7,\"ev\":\"crash\",\"node\":\"p4\"}",
        "{\"t\":7,\"ev\":\"crash\",\"node\":\"p\\u0034\"}",
        "{\"t\":7,\"ev\":\"crash\",\"node\":\"p4\",\"extra\":{\"a\":[1,2]}}",
        "{\"t\":7,\"ev\":\"crash\",\"node\":\"p4\",\"node\":\"p5\"}",
        "{\"t\":7,\"ev\":\"crash\",\"node\":\"p4\",}",
        "{\"t\":7,\"ev\":\"crash\",\"node\":\"\"}",
        "{\"t\":7,\"ev\":\"crash\",\"node\":\"p\\t4\"}",
        "{\"t\":7,\"ev\":\"crash\",\"node\":\"p\t4\"}",
        "{\"t\":7,\"ev\":\"crash\",\"node\":"
        "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
        "{\"t\":7,\"ev\":\"crash\",\"node\":\"p\xc3\xa9\"}",
        "{\"t\":7,\"ev\":\"deliver\",\"node\":\"p4\"}",
        "{\"t\":7,\"ev\":\"crash\"}",
        "{\"t\":7,\"node\":\"p4\"}",
        "{\"ev\":\"crash\",\"node\":\"p4\"}",
        "{\"t\":7,\"ev\":\"view\",\"node\":\"p1\",\"group\":\"g1\",\"view\":2,\"members\":[\"p1\",]"
        "}",
        "{\"t\":7,\"ev\":\"view\",\"node\":\"p1\",\"group\":\"g1\",\"view\":2,\"members\":[1]}",
        "{\"t\":7,\"ev\":\"view\",\"node\":\"p1\",\"group\":\"g1\",\"view\":2,\"members\":\"p1\"}",
        "{\"t\":7,\"ev\":\"crash\",\"node\":\"p4\"} ",
        "{\"t\":7,\"ev\":\"crash\",\"node\":\"p4\"}x",
        "[1]",
        "{}",
    };
    size_t n = sizeof lines / sizeof lines[0];
    char *all = NULL;
    size_t all_len = 0;
    FILE *f = open_memstream(&all, &all_len);
    fputs(hdr, f);
    for (size_t i = 0; i < n; i++) {
        char one[2048];
        snprintf(one, sizeof one, "%s%s\n", hdr, lines[i]); /* each line alone */
        dd_compare(one);
        if (i < 11)
            fprintf(f, "%s\n", lines[i]); /* and the good ones in one trace */
    }
    for (int k = 1; k <= 3000; k++) /* times as the writer prints them (%.9g) */
        fprintf(f,
                "{\"t\":%.9g,\"ev\":\"deliver\",\"node\":\"p2\",\"msg\":\"p1/%d\",\"order\":"
                "\"fifo\",\"group\":\"g1\",\"from\":\"p1\",\"view\":1}\n",
                4 + k * 0.0123456789123, k);
    fclose(f);
    uint64_t fast = dd_compare(all);
    assert_true(fast == 9 + 3000); /* every good line but the fault and the escape */
    free(all);
    /* t going back, and a real run's trace, line by line */
    dd_compare(
        "{\"trace\":\"pgroup\",\"version\":1,\"scenario\":\"dd\",\"seed\":1}\n"
        "{\"t\":2,\"ev\":\"start\",\"node\":\"p1\"}\n{\"t\":1,\"ev\":\"start\",\"node\":\"p2\"}\n");
}

/* The header without quiet_from reads back as -1; a file is read like a buffer. */
static void test_header_round_trip_file(void **state)
{
    (void)state;
    struct chk_header h = {
        .scenario = "s\\\"", .seed = 9007199254740993u, .end_s = 3.5, .quiet_from_s = -1};
    char hdr[512];
    assert_true(chk_header_write(&h, hdr, sizeof hdr) > 0);
    struct rt_ctx x = {0};
    struct chk_trace_sink sink = {.on_header = rt_on_header, .on_event = rt_on_event, .ctx = &x};
    assert_true(chk_parse_trace_buf("h", hdr, strlen(hdr) - 1, stderr, &sink)); /* no final \n */
    assert_true(x.h.seed == h.seed);
    assert_true(x.h.quiet_from_s == -1);
    assert_string_equal(x.scenario, h.scenario);

    char path[] = "/tmp/test_chk_rtXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(hdr, f);
    fputs("{\"t\":1,\"ev\":\"start\",\"node\":\"p1\"}\r\n", f);
    fclose(f);
    struct chk *c = chk_read_trace(path, stderr);
    assert_non_null(c);
    assert_int_equal(chk_counts(c)->events, 1);
    chk_free(c);
    unlink(path);
}

/* ---- read errors ---- */

static char *read_err(const char *text)
{
    char *out = NULL;
    size_t n = 0;
    FILE *err = open_memstream(&out, &n);
    struct chk *c = chk_read_trace_buf("T.jsonl", text, strlen(text), err);
    fclose(err);
    assert_null(c);
    return out;
}

#define HDR "{\"trace\":\"pgroup\",\"version\":1,\"scenario\":\"s\",\"seed\":1}\n"

static void expect_err(const char *text, const char *want_prefix)
{
    char *e = read_err(text);
    if (strncmp(e, want_prefix, strlen(want_prefix)) != 0)
        fail_msg("want error starting with '%s', got '%s'", want_prefix, e);
    free(e);
}

static void test_read_errors(void **state)
{
    (void)state;
    expect_err("", "T.jsonl:1: empty trace");
    expect_err("\n", "T.jsonl:1: empty header line");
    expect_err("{\"trace\":\"other\",\"version\":1}\n", "T.jsonl:1: not a pgroup trace");
    expect_err("{\"trace\":\"pgroup\",\"version\":2,\"scenario\":\"s\",\"seed\":1}\n",
               "T.jsonl:1: unsupported trace version 2");
    expect_err("{\"trace\":\"pgroup\",\"version\":1,\"seed\":1}\n",
               "T.jsonl:1: header: field \"scenario\"");
    expect_err("{\"trace\":\"pgroup\",\"version\":1,\"scenario\":\"s\",\"seed\":-1}\n",
               "T.jsonl:1: field \"seed\"");
    expect_err("[1,2]\n", "T.jsonl:1: a trace line must be a JSON object");
    expect_err(HDR "{\"t\":0.5,\"ev\":\"send\",\n", "T.jsonl:2: bad JSON");
    expect_err(HDR "{\"t\":0.5,\"ev\":\"start\",\"node\":\"p1\"} x\n", "T.jsonl:2: bad JSON");
    expect_err(HDR "{\"t\":1,\"ev\":\"start\",\"node\":\"p1\"}\n\n", "T.jsonl:3: empty line");
    expect_err(HDR "{\"ev\":\"start\",\"node\":\"p1\"}\n", "T.jsonl:2: missing field \"t\"");
    expect_err(HDR "{\"t\":1,\"node\":\"p1\"}\n", "T.jsonl:2: missing field \"ev\"");
    expect_err(HDR "{\"t\":\"1\",\"ev\":\"start\",\"node\":\"p1\"}\n",
               "T.jsonl:2: field \"t\" must be a finite number");
    expect_err(HDR "{\"t\":1e999,\"ev\":\"start\",\"node\":\"p1\"}\n", "T.jsonl:2: field \"t\"");
    expect_err(HDR "{\"t\":1,\"ev\":\"start\",\"node\":3}\n",
               "T.jsonl:2: field \"node\" must be a string");
    expect_err(HDR "{\"t\":1,\"ev\":\"start\"}\n", "T.jsonl:2: start event without field \"node\"");
    expect_err(HDR "{\"t\":1,\"ev\":\"deliver\",\"node\":\"p1\",\"order\":\"fifo\",\"group\":"
                   "\"g\",\"from\":\"p1\"}\n",
               "T.jsonl:2: deliver event without field \"msg\"");
    expect_err(HDR "{\"t\":1,\"ev\":\"view\",\"node\":\"p1\",\"group\":\"g\",\"view\":1.5,"
                   "\"members\":[]}\n",
               "T.jsonl:2: field \"view\" must be an integer");
    expect_err(HDR "{\"t\":1,\"ev\":\"view\",\"node\":\"p1\",\"group\":\"g\",\"view\":1,"
                   "\"members\":[\"p1\",2]}\n",
               "T.jsonl:2: field \"members\" must be an array of strings");
    expect_err(HDR "{\"t\":1,\"ev\":\"start\",\"node\":\"p1\",\"node\":\"p2\"}\n",
               "T.jsonl:2: duplicate field \"node\"");
    expect_err(HDR "{\"t\":2,\"ev\":\"start\",\"node\":\"p1\"}\n"
                   "{\"t\":1.5,\"ev\":\"start\",\"node\":\"p2\"}\n",
               "T.jsonl:3: t goes back in time");
}

static bool lamport_on_header(void *ctx, const struct chk_header *h)
{
    (void)ctx, (void)h;
    return true;
}

static void lamport_on_event(void *ctx, const struct chk_event *e)
{
    *(uint64_t *)ctx = e->lamport;
}

/* The optional Lamport clock (TRACE.md): written after `t`, read back, and
 * refused unless an integer from 1 to 2^53. */
static void test_lamport_field(void **state)
{
    (void)state;
    struct chk_event e = {.ev = CHK_EV_START, .node = "p1", .view = -1, .t = 0.5, .lamport = 42};
    char line[256];
    assert_true(chk_event_write(&e, line, sizeof line) > 0);
    assert_string_equal(line, "{\"t\":0.5,\"lamport\":42,\"ev\":\"start\",\"node\":\"p1\"}\n");
    e.lamport = 0; /* absent */
    assert_true(chk_event_write(&e, line, sizeof line) > 0);
    assert_string_equal(line, "{\"t\":0.5,\"ev\":\"start\",\"node\":\"p1\"}\n");
    const char *text = HDR "{\"t\":1,\"lamport\":9007199254740992,\"ev\":\"start\",\"node\":"
                           "\"p1\"}\n";
    uint64_t got = 0;
    struct chk_trace_sink sink = {
        .on_header = lamport_on_header, .on_event = lamport_on_event, .ctx = &got};
    assert_true(chk_parse_trace_buf("L", text, strlen(text), stderr, &sink));
    assert_true(got == 9007199254740992ull);
    expect_err(HDR "{\"t\":1,\"lamport\":0,\"ev\":\"start\",\"node\":\"p1\"}\n",
               "T.jsonl:2: field \"lamport\" must be an integer from 1 to 2^53");
    expect_err(HDR "{\"t\":1,\"lamport\":1.5,\"ev\":\"start\",\"node\":\"p1\"}\n",
               "T.jsonl:2: field \"lamport\" must be an integer");
    expect_err(HDR "{\"t\":1,\"lamport\":\"3\",\"ev\":\"start\",\"node\":\"p1\"}\n",
               "T.jsonl:2: field \"lamport\" must be an integer");
    expect_err(HDR "{\"t\":1,\"lamport\":3,\"lamport\":4,\"ev\":\"start\",\"node\":\"p1\"}\n",
               "T.jsonl:2: duplicate field \"lamport\"");
}

static void test_read_unknown_ev_kept(void **state)
{
    (void)state;
    const char *text = HDR "{\"t\":1,\"ev\":\"frobnicate\",\"weird\":[1,{\"a\":null}]}\n"
                           "{\"t\":1,\"ev\":\"start\",\"node\":\"p1\"}";
    struct chk *c = chk_read_trace_buf("ok", text, strlen(text), stderr);
    assert_non_null(c);
    assert_int_equal(chk_counts(c)->events, 2);
    assert_true(chk_passed(c));
    chk_free(c);
}

static void test_read_file_errors(void **state)
{
    (void)state;
    char path[] = PG_BINARY_DIR "/test_chk_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        strcpy(path, "/tmp/test_chk_XXXXXX");
        fd = mkstemp(path);
    }
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(HDR "{\"t\":0.5,\"ev\":\"start\",\"node\":\"p1\"}\n{\"t\":0.5,\"ev\":\"send\",\n", f);
    fclose(f);
    char *out = NULL;
    size_t n = 0;
    FILE *err = open_memstream(&out, &n);
    assert_null(chk_read_trace(path, err));
    fclose(err);
    char want[512];
    snprintf(want, sizeof want, "%s:3: bad JSON", path);
    assert_true(strncmp(out, want, strlen(want)) == 0);
    free(out);
    unlink(path);

    err = open_memstream(&out, &n);
    assert_null(chk_read_trace(path, err)); /* now missing */
    fclose(err);
    snprintf(want, sizeof want, "%s: cannot open", path);
    assert_true(strncmp(out, want, strlen(want)) == 0);
    free(out);
}

/* ---- tables ---- */

/* A dense pair map finds every key, before and after its block size changes,
 * including keys whose a overflows the block and keys never inserted. */
static void test_map_dense(void **state)
{
    (void)state;
    enum { A = 20, B = 700 };
    struct chk_map m = {0};
    assert_true(chk_map_set_dense(&m, 4));
    bool created;
    for (uint64_t b = 0; b < B; b++)
        for (uint64_t a = 0; a < A; a += 1 + (b % 3)) {
            uint64_t *v = chk_map_upsert(&m, a, b, a * 1000 + b, &created);
            assert_non_null(v);
            assert_true(created);
        }
    for (unsigned bits = 4; bits <= 6; bits++) {
        assert_true(chk_map_set_dense(&m, bits));
        assert_int_equal(m.dense_bits, bits);
        for (uint64_t b = 0; b < B; b++)
            for (uint64_t a = 0; a < A; a++) {
                uint64_t *v = chk_map_get(&m, a, b);
                if (a % (1 + (b % 3))) {
                    assert_null(v);
                    continue;
                }
                assert_non_null(v);
                assert_int_equal(*v, a * 1000 + b);
            }
        assert_null(chk_map_get(&m, 0, B));
        assert_non_null(chk_map_upsert(&m, 0, 0, 7, &created));
        assert_false(created);
    }
    chk_map_free(&m);
}

/* ---- scale: a 16-process all-to-all run (correctness at size; timing is the benchmark's job) ----
 */

static void test_large_all_to_all(void **state)
{
    (void)state;
    enum { P = 16, ROUNDS = 560 };
    struct chk_header h = {.scenario = "speed", .seed = 1, .end_s = 100, .quiet_from_s = 90};
    struct chk *c = chk_new(&h);
    char names[P][8], msgs[P][32];
    const char *members[P];
    for (int i = 0; i < P; i++) {
        snprintf(names[i], sizeof names[i], "p%d", i + 1);
        members[i] = names[i];
    }
    uint64_t line = 1;
    for (int i = 0; i < P; i++) {
        struct chk_event e = {.ev = CHK_EV_START, .node = names[i], .view = -1, .line = ++line};
        chk_feed(c, &e);
        struct chk_event v = {.ev = CHK_EV_VIEW,
                              .node = names[i],
                              .group = "g1",
                              .view = 1,
                              .members = members,
                              .n_members = P,
                              .line = ++line};
        chk_feed(c, &v);
    }
    for (int r = 1; r <= ROUNDS; r++) {
        for (int s = 0; s < P; s++) {
            snprintf(msgs[s], sizeof msgs[s], "p%d/%d", s + 1, r);
            struct chk_event e = {.ev = CHK_EV_SEND,
                                  .node = names[s],
                                  .msg = msgs[s],
                                  .order = "fifo",
                                  .group = "g1",
                                  .view = 1,
                                  .line = ++line};
            assert_int_equal(chk_feed(c, &e), 0);
        }
        for (int q = 0; q < P; q++)
            for (int s = 0; s < P; s++) {
                struct chk_event d = {.ev = CHK_EV_DELIVER,
                                      .node = names[q],
                                      .msg = msgs[s],
                                      .order = "fifo",
                                      .group = "g1",
                                      .from = names[s],
                                      .view = 1,
                                      .line = ++line};
                assert_int_equal(chk_feed(c, &d), 0);
            }
    }
    chk_finish(c);
    uint64_t events = chk_counts(c)->events;
    assert_int_equal(events, (uint64_t)(2 * P + ROUNDS * (P + P * P)));
    assert_true(chk_passed(c));
    chk_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_names),
        cmocka_unit_test(test_good_trace_passes),
        cmocka_unit_test(test_integrity_twice),
        cmocka_unit_test(test_first_violation_accessors),
        cmocka_unit_test(test_integrity_never_sent_and_from),
        cmocka_unit_test(test_integrity_group_order_mismatch),
        cmocka_unit_test(test_integrity_membership),
        cmocka_unit_test(test_integrity_after_crash),
        cmocka_unit_test(test_integrity_sent_twice_and_p2p),
        cmocka_unit_test(test_fifo_gap_and_reorder),
        cmocka_unit_test(test_fifo_late_evidence),
        cmocka_unit_test(test_liveness_missing_deliveries),
        cmocka_unit_test(test_liveness_crashed_and_unjudged),
        cmocka_unit_test(test_clients_integrity_liveness),
        cmocka_unit_test(test_liveness_views_differ),
        cmocka_unit_test(test_liveness_p2p_fail_stop),
        cmocka_unit_test(test_write_exact_bytes),
        cmocka_unit_test(test_write_read_round_trip),
        cmocka_unit_test(test_reader_fast_path_matches_cjson),
        cmocka_unit_test(test_header_round_trip_file),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_lamport_field),
        cmocka_unit_test(test_read_unknown_ev_kept),
        cmocka_unit_test(test_read_file_errors),
        cmocka_unit_test(test_map_dense),
        cmocka_unit_test(test_large_all_to_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
