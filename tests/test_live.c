/* tests/test_live.c: the live driver's modules: the incarnation table
 * (live_incs.h), the datagram layer and its filter on real sockets
 * (live_net.h), the merge of trace streams by time and by Lamport clock
 * (live_merge.h), the peers file (live_peers.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "live_incs.h"
#include "live_merge.h"
#include "live_net.h"
#include "live_peers.h"

static struct scn parse(const char *text)
{
    struct scn s;
    int rc = scn_parse_text("t.scn", text, strlen(text), &s, stderr);
    assert_int_equal(rc, 0);
    return s;
}

static const char *const rejoin = "processes p1..p5\n"
                                  "group g1 p1..p5\n"
                                  "send p1..p5 group g1 order cbcast rate 10/s start 0s stop 5s\n"
                                  "at 1s crash p4\n"
                                  "at 1s crash p5\n"
                                  "at 2s restart p5\n"
                                  "at 2s restart p4\n"
                                  "at 3s crash p5\n"
                                  "at 4s restart p5\n"
                                  "run 6s\n";

/* ---- live_incs ---- */

static void test_incs_ids_and_names(void **state)
{
    (void)state;
    struct scn s = parse(rejoin);
    struct live_incs t;
    live_incs_init(&t, &s);
    assert_int_equal(t.n, 8);
    /* the simulator's ids: first incarnations 1..5, restarts in timeline order */
    assert_string_equal(t.inc[5].name, "p5#2");
    assert_string_equal(t.inc[6].name, "p4#2");
    assert_string_equal(t.inc[7].name, "p5#3");
    assert_int_equal(live_incs_find(&t, "p4#2"), 7);
    assert_int_equal(live_incs_find(&t, "p3"), 3);
    assert_int_equal(live_incs_find(&t, "p4#9"), PG_NODE_NONE);
    assert_int_equal(live_incs_find(&t, "q1"), PG_NODE_NONE);
    assert_true(live_incs_alive(&t, 4) && !live_incs_alive(&t, 7));
    live_incs_apply_next(&t); /* crash p4 */
    live_incs_apply_next(&t); /* crash p5 */
    assert_false(live_incs_alive(&t, 4));
    assert_int_equal(t.current[3], PG_NODE_NONE);
    live_incs_apply_next(&t); /* restart p5: p5#2 */
    live_incs_apply_next(&t); /* restart p4: p4#2 */
    assert_int_equal(t.current[4], 6);
    assert_int_equal(t.current[3], 7);
    assert_true(live_incs_alive(&t, 7) && !live_incs_alive(&t, 4));
    assert_int_equal(live_incs_of_restart(&t, 5), 8);
    live_incs_free(&t);
    scn_free(&s);
}

/* ---- live_net: two processes on 127.0.0.1 ---- */

struct got {
    uint32_t n;
    pg_node_id from[16];
    uint64_t lamport[16];
    uint8_t first[16];
};

static void on_dgram(void *ctx, const struct live_dgram_in *d)
{
    struct got *g = ctx;
    assert_true(g->n < 16);
    g->from[g->n] = d->from;
    g->lamport[g->n] = d->lamport;
    g->first[g->n++] = d->len ? d->buf[0] : 0;
}

static int64_t clock_now;
static int64_t fake_clock(void *ctx)
{
    (void)ctx;
    return clock_now;
}

static int udp_socket(struct sockaddr_in *a)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    *a = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof *a;
    assert_true(fd >= 0 && bind(fd, (struct sockaddr *)a, sizeof *a) == 0);
    assert_true(getsockname(fd, (struct sockaddr *)a, &len) == 0);
    return fd;
}

/* Waits until b has read n datagrams (loopback is fast but not instant). */
static void receive(struct live_net *b, pg_node_id self, struct got *g, uint32_t n)
{
    for (int i = 0; i < 2000 && g->n < n; i++) {
        live_net_receive(b, self, fake_clock, on_dgram, g);
        if (g->n < n)
            usleep(500);
    }
}

static void test_net_filter(void **state)
{
    (void)state;
    struct scn s = parse("processes p1 p2\ngroup g p1 p2\nrun 1s\n");
    struct sockaddr_in addrs[2];
    int fa = udp_socket(&addrs[0]), fb = udp_socket(&addrs[1]);
    struct sim_totals ta = {0}, tb = {0};
    struct live_net *a = live_net_new(fa, &s, addrs, &ta), *b = live_net_new(fb, &s, addrs, &tb);
    assert_non_null(a);
    assert_non_null(b);
    uint64_t rng = 1;
    uint8_t msg[3] = {7, 8, 9};
    struct got g = {0};
    /* plain: it arrives with its sender, Lamport clock and bytes */
    live_net_send(a, &rng, 1, 2, 0, 1, true, msg, sizeof msg);
    live_net_flush(a, 77);
    receive(b, 2, &g, 1);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.from[0], 1);
    assert_int_equal(g.lamport[0], 77);
    assert_int_equal(g.first[0], 7);
    /* to a dead incarnation, or across a partition: dropped where it is sent */
    live_net_send(a, &rng, 1, 2, 0, 1, false, msg, sizeof msg);
    struct scn_fault cut = {.kind = SCN_F_CUT, .from = 0, .to = 1};
    sim_faults_apply(live_net_faults(a), &s, &cut, NULL);
    live_net_send(a, &rng, 1, 2, 0, 1, true, msg, sizeof msg);
    assert_int_equal(ta.drop_dead, 1);
    assert_int_equal(ta.drop_partition, 1);
    /* healed, every datagram duplicated: two copies */
    struct scn_fault heal = {.kind = SCN_F_HEAL}, dup = {.kind = SCN_F_DUPLICATE, .prob = 1};
    sim_faults_apply(live_net_faults(a), &s, &heal, NULL);
    sim_faults_apply(live_net_faults(a), &s, &dup, NULL);
    live_net_send(a, &rng, 1, 2, 0, 1, true, msg, sizeof msg);
    live_net_flush(a, 78);
    receive(b, 2, &g, 3);
    assert_int_equal(g.n, 3);
    assert_int_equal(ta.duplicated, 1);
    /* delayed: held by the receiver until it is due */
    struct scn_fault nodup = {.kind = SCN_F_DUPLICATE},
                     delay = {.kind = SCN_F_DELAY, .delay_ns = 1000000};
    sim_faults_apply(live_net_faults(a), &s, &nodup, NULL);
    sim_faults_apply(live_net_faults(a), &s, &delay, NULL);
    live_net_send(a, &rng, 1, 2, 0, 1, true, msg, sizeof msg);
    live_net_flush(a, 79);
    clock_now = 5000000;
    for (int i = 0; i < 2000 && live_net_next_release(b) == PG_TIMER_NEVER; i++) {
        live_net_receive(b, 2, fake_clock, on_dgram, &g);
        usleep(500);
    }
    assert_int_equal(g.n, 3);
    assert_true(live_net_next_release(b) == 6000000);
    live_net_release(b, 2, 5999999, on_dgram, &g);
    assert_int_equal(g.n, 3);
    live_net_release(b, 2, 6000000, on_dgram, &g);
    assert_int_equal(g.n, 4);
    assert_int_equal(ta.delayed, 1);
    /* for another incarnation (a restarted process's old one), or not ours: dropped */
    sim_faults_apply(live_net_faults(a), &s, &(struct scn_fault){.kind = SCN_F_DELAY}, NULL);
    live_net_send(a, &rng, 1, 9, 0, 1, true, msg, sizeof msg);
    live_net_flush(a, 80);
    assert_true(sendto(fa, "junk", 4, 0, (struct sockaddr *)&addrs[1], sizeof addrs[1]) == 4);
    for (int i = 0; i < 2000 && live_net_stats(b)->stale + live_net_stats(b)->malformed < 2; i++) {
        live_net_receive(b, 2, fake_clock, on_dgram, &g);
        usleep(500);
    }
    assert_int_equal(live_net_stats(b)->stale, 1);
    assert_int_equal(live_net_stats(b)->malformed, 1);
    assert_int_equal(g.n, 4);
    assert_int_equal(ta.datagrams, 6);
    live_net_free(a);
    live_net_free(b);
    close(fa);
    close(fb);
    scn_free(&s);
}

/* ---- live_merge ---- */

static char dir[64];

static const char *write_file(const char *name, const char *text)
{
    static char path[8][128];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 128, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

#define H "{\"trace\":\"pgroup\",\"version\":1,\"scenario\":\"m\",\"seed\":1,\"end\":10}\n"

static char *merge_err(const char *const *paths, uint32_t n, enum live_merge_by by)
{
    char *out = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&out, &len);
    struct live_merged m;
    int rc = live_merge_files(paths, n, by, &m, err);
    fclose(err);
    assert_int_equal(rc, 2);
    return out;
}

static void test_merge_by_time(void **state)
{
    (void)state;
    const char *paths[3] = {
        write_file("h.jsonl", H "{\"t\":0,\"ev\":\"fault\",\"kind\":\"heal\"}\n"
                                "{\"t\":2,\"ev\":\"crash\",\"node\":\"p2\"}\n"),
        write_file("a.jsonl", H "{\"t\":1,\"lamport\":5,\"ev\":\"start\",\"node\":\"p1\"}\n"
                                "{\"t\":3,\"lamport\":6,\"ev\":\"crash\",\"node\":\"p1\"}\n"),
        write_file("b.jsonl", H "{\"t\":1,\"lamport\":2,\"ev\":\"start\",\"node\":\"p2\"}\n"
                                "{\"t\":1.5,\"lamport\":3,\"ev\":\"start\",\"node\":\"p3\"}\n"
                                "{\"t\":1.7,\"lamport\":4,\"ev\":\"start\",\"no")}; /* cut short */
    struct live_merged m;
    assert_int_equal(live_merge_files(paths, 3, LIVE_MERGE_BY_TIME, &m, stderr), 0);
    assert_string_equal(m.buf, H "{\"t\":0,\"ev\":\"fault\",\"kind\":\"heal\"}\n"
                                 "{\"t\":1,\"lamport\":2,\"ev\":\"start\",\"node\":\"p2\"}\n"
                                 "{\"t\":1,\"lamport\":5,\"ev\":\"start\",\"node\":\"p1\"}\n"
                                 "{\"t\":1.5,\"lamport\":3,\"ev\":\"start\",\"node\":\"p3\"}\n"
                                 "{\"t\":2,\"ev\":\"crash\",\"node\":\"p2\"}\n"
                                 "{\"t\":3,\"lamport\":6,\"ev\":\"crash\",\"node\":\"p1\"}\n");
    assert_int_equal(m.events, 6);
    assert_int_equal(m.torn, 1);
    assert_int_equal(m.raised, 0);
    free(m.buf);
    /* streams of different runs */
    const char *other[2] = {paths[0], write_file("o.jsonl", "{\"trace\":\"pgroup\",\"version\":1,"
                                                            "\"scenario\":\"m\",\"seed\":2}\n")};
    char *e = merge_err(other, 2, LIVE_MERGE_BY_TIME);
    assert_non_null(strstr(e, "o.jsonl:1: the header differs from"));
    free(e);
}

static void test_merge_by_lamport(void **state)
{
    (void)state;
    /* host b's clock is ahead: its delivery of a's message has a larger t
     * than a's next event, and a later Lamport clock than the send */
    const char *paths[2] = {
        write_file("la.jsonl", H "{\"t\":1,\"lamport\":10,\"ev\":\"start\",\"node\":\"a\"}\n"
                                 "{\"t\":1.1,\"lamport\":11,\"ev\":\"crash\",\"node\":\"a\"}\n"),
        write_file("lb.jsonl", H "{\"t\":0.5,\"lamport\":12,\"ev\":\"start\",\"node\":\"b\"}\n"
                                 "{\"t\":0.6,\"lamport\":13,\"ev\":\"crash\",\"node\":\"b\"}\n")};
    struct live_merged m;
    assert_int_equal(live_merge_files(paths, 2, LIVE_MERGE_BY_LAMPORT, &m, stderr), 0);
    assert_string_equal(m.buf, H "{\"t\":1,\"lamport\":10,\"ev\":\"start\",\"node\":\"a\"}\n"
                                 "{\"t\":1.1,\"lamport\":11,\"ev\":\"crash\",\"node\":\"a\"}\n"
                                 "{\"t\":1.1,\"lamport\":12,\"ev\":\"start\",\"node\":\"b\"}\n"
                                 "{\"t\":1.1,\"lamport\":13,\"ev\":\"crash\",\"node\":\"b\"}\n");
    assert_int_equal(m.raised, 2);
    free(m.buf);
    /* an event without a Lamport clock, or one that goes back */
    const char *bad[2] = {paths[0], write_file("nl.jsonl", H "{\"t\":1,\"ev\":\"start\",\"node\":"
                                                             "\"c\"}\n")};
    char *e = merge_err(bad, 2, LIVE_MERGE_BY_LAMPORT);
    assert_non_null(strstr(e, "nl.jsonl:2: an event without a Lamport clock"));
    free(e);
    bad[1] =
        write_file("back.jsonl", H "{\"t\":1,\"lamport\":5,\"ev\":\"start\",\"node\":\"c\"}\n"
                                   "{\"t\":2,\"lamport\":5,\"ev\":\"crash\",\"node\":\"c\"}\n");
    e = merge_err(bad, 2, LIVE_MERGE_BY_LAMPORT);
    assert_non_null(strstr(e, "back.jsonl:3: an event without a Lamport clock larger"));
    free(e);
}

/* ---- live_peers ---- */

static char *peers_err(const struct scn *s, const char *text)
{
    struct sockaddr_in a[4];
    char *out = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&out, &len);
    int rc = live_peers_parse(write_file("peers.txt", text), s, a, err);
    fclose(err);
    assert_int_equal(rc, 2);
    char *colon = strstr(out, "peers.txt:");
    assert_non_null(colon);
    char *rest = strdup(colon);
    free(out);
    return rest;
}

static void expect_peers(const struct scn *s, const char *text, const char *want)
{
    char *e = peers_err(s, text);
    if (strncmp(e, want, strlen(want)) != 0)
        fail_msg("want '%s', got '%s'", want, e);
    free(e);
}

static void test_peers(void **state)
{
    (void)state;
    struct scn s = parse("processes p1 p2\ngroup g p1 p2\nrun 1s\n");
    struct sockaddr_in a[2];
    const char *ok = write_file("ok.txt", "# hosts\np2 127.0.0.1:7002  # the second\n\n"
                                          "p1 localhost:7001\n");
    assert_int_equal(live_peers_parse(ok, &s, a, stderr), 0);
    assert_int_equal(ntohs(a[0].sin_port), 7001);
    assert_int_equal(ntohs(a[1].sin_port), 7002);
    assert_int_equal(ntohl(a[0].sin_addr.s_addr), INADDR_LOOPBACK);
    expect_peers(&s, "p3 127.0.0.1:1\n", "peers.txt:1:1: p3: not a process of the scenario");
    expect_peers(&s, "p1 127.0.0.1:1\n p1 127.0.0.1:2\n", "peers.txt:2:2: p1: listed twice");
    expect_peers(&s, "p1\n", "peers.txt:1:3: p1: expected HOST:PORT after the name");
    expect_peers(&s, "p1 127.0.0.1:0\n", "peers.txt:1:4: 127.0.0.1:0: the port must be a number");
    expect_peers(&s, "p1 127.0.0.1\n", "peers.txt:1:4: 127.0.0.1: expected HOST:PORT");
    expect_peers(&s, "p1 127.0.0.1:9 x\n", "peers.txt:1:16: x: unexpected text after HOST:PORT");
    expect_peers(&s, "p1 127.0.0.1:9\n",
                 "peers.txt:2:1: process p2 of the scenario has no address");
    scn_free(&s);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_liveXXXXXX");
    if (!mkdtemp(dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incs_ids_and_names),
        cmocka_unit_test(test_net_filter),
        cmocka_unit_test(test_merge_by_time),
        cmocka_unit_test(test_merge_by_lamport),
        cmocka_unit_test(test_peers),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return rc;
}
