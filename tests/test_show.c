/* tests/test_show.c: the model and layout behind `pgroup show` (sim/show*.c)
 * on hand-made traces: node order, derived spans (flush, view change, state
 * transfer) and network periods, the window around a violation, thinning,
 * and the stretch that keeps each node's order visible. The exports and the
 * picture are tested end to end by tests/e2e_show.sh.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "show_internal.h"

/* ---- a trace as text ---- */

struct text {
    char *p;
    size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    if (t->len + (size_t)n + 2 > t->cap) {
        t->cap = (t->len + (size_t)n + 2) * 2;
        t->p = realloc(t->p, t->cap);
        assert_non_null(t->p);
    }
    va_start(ap, fmt);
    vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
    t->p[t->len++] = '\n';
    t->p[t->len] = '\0';
}

static void header(struct text *t, double end)
{
    put(t, "{\"trace\":\"pgroup\",\"version\":1,\"scenario\":\"unit\",\"seed\":3,\"end\":%g}", end);
}

static void start3(struct text *t)
{
    for (int k = 1; k <= 3; k++)
        put(t, "{\"t\":0,\"ev\":\"start\",\"node\":\"p%d\"}", k);
    for (int k = 1; k <= 3; k++)
        put(t,
            "{\"t\":0,\"ev\":\"view\",\"node\":\"p%d\",\"group\":\"g1\",\"view\":1,"
            "\"members\":[\"p1\",\"p2\",\"p3\"],\"clients\":[]}",
            k);
}

static void deliver(struct text *t, int node, int from, int seq, double at)
{
    put(t,
        "{\"t\":%.9f,\"ev\":\"deliver\",\"node\":\"p%d\",\"msg\":\"p%d/%d\",\"order\":"
        "\"fifo\",\"group\":\"g1\",\"from\":\"p%d\",\"view\":1}",
        at, node, from, seq, from);
}

static void send(struct text *t, int from, int seq, double at)
{
    put(t,
        "{\"t\":%.9f,\"ev\":\"send\",\"node\":\"p%d\",\"msg\":\"p%d/%d\",\"order\":\"fifo\","
        "\"group\":\"g1\",\"view\":1}",
        at, from, from, seq);
}

/* p`from` multicasts msg p`from`/seq (fifo) at t; everyone delivers it at t + d. */
static void mcast(struct text *t, int from, int seq, double at, double d)
{
    send(t, from, seq, at);
    deliver(t, from, from, seq, at); /* the sender's own delivery first */
    for (int k = 1; k <= 3; k++)
        if (k != from)
            deliver(t, k, from, seq, at + d);
}

static void load(struct show_model *m, struct text *t)
{
    assert_int_equal(show_model_load_buf(m, "unit.jsonl", t->p, t->len, stderr), SHOW_OK);
}

/* ---- tests ---- */

static void test_node_order(void **state)
{
    (void)state;
    assert_true(show_node_cmp("p2", "p10") < 0);
    assert_true(show_node_cmp("p10", "p2") > 0);
    assert_true(show_node_cmp("p3", "p3#2") < 0);
    assert_true(show_node_cmp("p3#2", "p4") < 0);
    assert_true(show_node_cmp("p3#2", "p3#10") < 0);
    assert_true(show_node_cmp("c1", "p1") < 0);
    assert_int_equal(show_node_cmp("p7", "p7"), 0);
}

static const struct show_span *find_span(const struct show_model *m, enum show_span_kind k,
                                         const char *node)
{
    for (uint32_t i = 0; i < m->n_spans; i++)
        if (m->spans[i].kind == k && !strcmp(show_node_name(m, m->spans[i].node), node))
            return &m->spans[i];
    return NULL;
}

static void test_spans_and_nets(void **state)
{
    (void)state;
    struct text t = {0};
    header(&t, 6);
    start3(&t);
    put(&t, "{\"t\":1,\"ev\":\"suspect\",\"node\":\"p2\",\"peer\":\"p3\"}");
    put(&t, "{\"t\":1.5,\"ev\":\"view\",\"node\":\"p1\",\"group\":\"g1\",\"view\":2,"
            "\"members\":[\"p1\",\"p2\"],\"clients\":[]}");
    put(&t, "{\"t\":1.6,\"ev\":\"view\",\"node\":\"p2\",\"group\":\"g1\",\"view\":2,"
            "\"members\":[\"p1\",\"p2\"],\"clients\":[]}");
    put(&t, "{\"t\":2,\"ev\":\"fault\",\"kind\":\"join\",\"proc\":\"p4\",\"group\":\"g1\"}");
    put(&t, "{\"t\":2.1,\"ev\":\"start\",\"node\":\"p4\"}");
    put(&t, "{\"t\":2.4,\"ev\":\"view\",\"node\":\"p4\",\"group\":\"g1\",\"view\":3,"
            "\"members\":[\"p1\",\"p2\",\"p4\"],\"clients\":[]}");
    put(&t, "{\"t\":2.5,\"ev\":\"state\",\"node\":\"p4\",\"group\":\"g1\",\"view\":3,"
            "\"digest\":\"x\"}");
    put(&t, "{\"t\":3,\"ev\":\"flush_call\",\"node\":\"p1\",\"group\":\"g1\"}");
    put(&t, "{\"t\":3.25,\"ev\":\"flush_done\",\"node\":\"p1\",\"group\":\"g1\"}");
    put(&t,
        "{\"t\":4,\"ev\":\"fault\",\"kind\":\"partition\",\"blocks\":[[\"p1\"],[\"p2\",\"p4\"]]}");
    put(&t, "{\"t\":4.5,\"ev\":\"fault\",\"kind\":\"heal\"}");
    put(&t, "{\"t\":5,\"ev\":\"fault\",\"kind\":\"isolate\",\"proc\":\"p2\"}");
    put(&t, "{\"t\":5.5,\"ev\":\"fault\",\"kind\":\"cut\",\"src\":\"p1\",\"dst\":\"p3\","
            "\"both\":true}");
    struct show_model m;
    load(&m, &t);
    const struct show_span *vc1 = find_span(&m, SHOW_SPAN_VIEW_CHANGE, "p1");
    const struct show_span *vc2 = find_span(&m, SHOW_SPAN_VIEW_CHANGE, "p2");
    assert_non_null(vc1);
    assert_non_null(vc2);
    assert_true(vc1->t0 == 1 && vc1->t1 == 1.5 && vc1->view == 2); /* from p2's suspicion */
    assert_true(vc2->t0 == 1 && vc2->t1 == 1.6);
    assert_null(find_span(&m, SHOW_SPAN_VIEW_CHANGE, "p4")); /* its first view */
    assert_null(find_span(&m, SHOW_SPAN_VIEW_CHANGE, "p3"));
    const struct show_span *st = find_span(&m, SHOW_SPAN_STATE, "p4");
    assert_non_null(st);
    assert_true(st->t0 == 2 && st->t1 == 2.5 && !st->open);
    const struct show_span *fl = find_span(&m, SHOW_SPAN_FLUSH, "p1");
    assert_non_null(fl);
    assert_true(fl->t0 == 3 && fl->t1 == 3.25 && !fl->open);
    assert_int_equal(m.n_nets, 3);
    assert_string_equal(m.nets[0].label, "partition p1 | p2 p4");
    assert_true(m.nets[0].t0 == 4 && m.nets[0].t1 == 4.5 && !m.nets[0].open);
    assert_null(m.nets[0].procs); /* every process */
    assert_string_equal(m.nets[1].label, "p2 isolated");
    assert_string_equal(m.nets[1].procs, "p2");
    assert_true(m.nets[1].open && m.nets[1].t1 == 6); /* never healed: to the end */
    assert_string_equal(m.nets[2].label, "cut p1 <-> p3");
    assert_string_equal(m.nets[2].procs, "p1,p3");
    uint32_t join = show_event_at_line(&m, 11); /* the join fault */
    assert_true(join != SHOW_NONE && m.ev[join].ev == CHK_EV_FAULT);
    assert_string_equal(m.ev[join].text, "p4 joins g1");
    assert_int_equal(m.rule, -1);
    show_model_free(&m);
    free(t.p);
}

/* A fifo violation in the middle of a long run: the window is around it. */
static void test_window_around_violation(void **state)
{
    (void)state;
    struct text t = {0};
    header(&t, 20);
    start3(&t);
    for (int k = 1; k <= 100; k++) { /* p2 delivers p1/50 before p1/49 */
        if (k == 49) {
            send(&t, 1, 49, 4.9);
            deliver(&t, 1, 1, 49, 4.9);
            send(&t, 1, 50, 4.91);
            deliver(&t, 1, 1, 50, 4.91);
            deliver(&t, 2, 1, 50, 4.92);
            deliver(&t, 2, 1, 49, 4.93);
            deliver(&t, 3, 1, 49, 4.94);
            deliver(&t, 3, 1, 50, 4.95);
            k++;
            continue;
        }
        mcast(&t, 1, k, k * 0.1, 1e-4);
    }
    struct show_model m;
    load(&m, &t);
    assert_true(m.rule >= 0);
    assert_true(m.n_evidence >= 1);
    struct show_opts o = show_opts_default();
    struct show_layout l;
    assert_int_equal(show_layout_build(&l, &m, &o, stderr), SHOW_OK);
    for (uint32_t k = 0; k < m.n_evidence; k++) {
        uint32_t i = m.evidence_ev[k];
        assert_true(i != SHOW_NONE && i >= l.i_lo && i < l.i_hi);
    }
    assert_true(l.from > 1 && l.to < 19); /* not the whole run */
    assert_true(l.to - l.from < 5);
    assert_int_equal(l.n_lanes, 3);
    show_layout_free(&l);
    o.from_s = 0; /* a window given is kept */
    o.to_s = 20;
    assert_int_equal(show_layout_build(&l, &m, &o, stderr), SHOW_OK);
    assert_true(l.from == 0 && l.to == 20);
    show_layout_free(&l);
    show_model_free(&m);
    free(t.p);
}

/* Many arrows: thinned to at most SHOW_ARROWS_MAX (plus evidence), and counted. */
static void test_thinning(void **state)
{
    (void)state;
    struct text t = {0};
    header(&t, 100);
    start3(&t);
    for (int k = 1; k <= 600; k++)
        mcast(&t, 1 + k % 3, k, k * 0.1, 1e-4);
    struct show_model m;
    load(&m, &t);
    struct show_opts o = show_opts_default();
    struct show_layout l;
    assert_int_equal(show_layout_build(&l, &m, &o, stderr), SHOW_OK);
    assert_int_equal(l.arrows_all, 1200); /* two remote deliveries per message */
    assert_true(l.thin_k == 3);
    assert_true(l.arrows > 0 && l.arrows <= SHOW_ARROWS_MAX + SHOW_ARROWS_MAX / 4);
    unsigned per_sender[3] = {0};
    for (uint32_t msg = 0; msg < m.msgs.n; msg++)
        per_sender[m.msgv[msg].sender] += l.msg_drawn[msg];
    for (int k = 0; k < 3; k++) /* no sender dropped whole */
        assert_true(per_sender[k] > 40);
    show_layout_free(&l);
    o.nodes = "p1,p2"; /* fewer lanes, fewer arrows */
    assert_int_equal(show_layout_build(&l, &m, &o, stderr), SHOW_OK);
    assert_int_equal(l.n_lanes, 2);
    assert_int_equal(l.arrows_all, 400);
    assert_int_equal(l.thin_k, 1);
    show_layout_free(&l);
    show_model_free(&m);
    free(t.p);
}

/* Two deliveries of one instant at p3 get distinct x in p3's order; x never
 * goes back in trace order; the axis follows the stretch. */
static void test_stretch_keeps_order(void **state)
{
    (void)state;
    struct text t = {0};
    header(&t, 2);
    start3(&t);
    send(&t, 1, 1, 1.0); /* p3 delivers p1/1 and p2/1 at t = 1.0001 */
    deliver(&t, 1, 1, 1, 1.0);
    send(&t, 2, 1, 1.0);
    deliver(&t, 2, 2, 1, 1.0);
    deliver(&t, 3, 1, 1, 1.0001);
    deliver(&t, 3, 2, 1, 1.0001);
    deliver(&t, 2, 1, 1, 1.0001);
    deliver(&t, 1, 2, 1, 1.0001);
    struct show_model m;
    load(&m, &t);
    struct show_opts o = show_opts_default();
    struct show_layout l;
    assert_int_equal(show_layout_build(&l, &m, &o, stderr), SHOW_OK);
    double last_x = -INFINITY, p3_a = NAN, p3_b = NAN;
    for (uint32_t i = l.i_lo; i < l.i_hi; i++) {
        if (!show_positioned(&l, &m, i))
            continue;
        double x = show_x_of_ev(&l, &m, i);
        assert_true(x >= last_x - 1e-9);
        last_x = x;
        if (m.ev[i].ev == CHK_EV_DELIVER && !strcmp(show_node_name(&m, m.ev[i].node), "p3"))
            *(isnan(p3_a) ? &p3_a : &p3_b) = x;
    }
    assert_true(p3_b - p3_a >= SHOW_MIN_GAP - 1e-9);
    assert_true(l.n_bp > 0);
    assert_true(show_x_of_t(&l, 1.5) > show_x_of_t(&l, 1.0001));
    assert_true(show_x_of_t(&l, 2) >= l.x0 + l.plot_w - 1e-6);
    show_layout_free(&l);
    show_model_free(&m);
    free(t.p);
}

static void test_bad_options(void **state)
{
    (void)state;
    struct text t = {0};
    header(&t, 2);
    start3(&t);
    struct show_model m;
    load(&m, &t);
    struct show_layout l;
    struct show_opts o = show_opts_default();
    o.group = "g2";
    assert_int_equal(show_layout_build(&l, &m, &o, NULL), SHOW_E_USAGE);
    show_layout_free(&l);
    o = show_opts_default();
    o.nodes = "q1";
    assert_int_equal(show_layout_build(&l, &m, &o, NULL), SHOW_E_USAGE);
    show_layout_free(&l);
    o = show_opts_default();
    o.from_s = 2;
    o.to_s = 1;
    assert_int_equal(show_layout_build(&l, &m, &o, NULL), SHOW_E_USAGE);
    show_layout_free(&l);
    show_model_free(&m);
    struct show_model bad;
    const char *text =
        "{\"trace\":\"pgroup\",\"version\":1,\"scenario\":\"x\",\"seed\":1}\n{\"t\":1}\n";
    assert_int_equal(show_model_load_buf(&bad, "bad", text, strlen(text), NULL), SHOW_E_TRACE);
    show_model_free(&bad);
    free(t.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_order),
        cmocka_unit_test(test_spans_and_nets),
        cmocka_unit_test(test_window_around_violation),
        cmocka_unit_test(test_thinning),
        cmocka_unit_test(test_stretch_keeps_order),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
