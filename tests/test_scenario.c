/* tests/test_scenario.c: the scenario parser (sim/scenario/scenario.c).
 *
 * Every keyword family parses to the expected struct values, every scenario of
 * the repository parses, and every class of error gives the exact
 * `FILE:LINE:COL: message`, returns 2 and leaves the struct zeroed. Run it
 * under ASan (-DPG_SANITIZE=ON) to show that error paths free everything.
 */
#define _POSIX_C_SOURCE 200809L
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "phys.h"
#include "scenario.h"

static char errbuf[8192];

/* Parses `text` as file "t.scn"; the error output lands in errbuf. */
static int parse_as(const char *path, const char *text, struct scn *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&buf, &len);
    assert_non_null(err);
    int rc = scn_parse_text(path, text, strlen(text), s, err);
    fclose(err);
    snprintf(errbuf, sizeof errbuf, "%s", buf ? buf : "");
    free(buf);
    return rc;
}

static int parse(const char *text, struct scn *s)
{
    return parse_as("t.scn", text, s);
}

static void assert_zeroed(const struct scn *s)
{
    static const struct scn zero;
    assert_memory_equal(s, &zero, sizeof *s);
}

/* Parses `text`, which must succeed (the error is printed if not). */
static void parse_ok(const char *text, struct scn *s)
{
    int rc = parse(text, s);
    if (rc != 0)
        print_error("processes p1\nunexpected error: %s", errbuf);
    assert_int_equal(rc, 0);
    assert_string_equal(errbuf, "");
}

/* Parses `text`, which must fail with exactly `want` (without the newline). */
static void parse_err(const char *text, const char *want)
{
    struct scn s;
    memset(&s, 0xa5, sizeof s); /* the parser must zero it */
    int rc = parse(text, &s);
    char line[8300];
    snprintf(line, sizeof line, "%s\n", want);
    if (strcmp(errbuf, line) != 0)
        print_error("input:\n%s\nwant: %sgot:  %s", text, line, errbuf);
    assert_int_equal(rc, 2);
    assert_string_equal(errbuf, line);
    assert_zeroed(&s);
}

/* ---- keyword families ---- */

static void test_name_seed(void **state)
{
    struct scn s;
    parse_ok("processes p1\nname demo.v2\nseed 18446744073709551615\nrun 1s\n", &s);
    assert_string_equal(s.name, "demo.v2");
    assert_true(s.seed == UINT64_MAX);
    assert_string_equal(s.file, "t.scn");
    scn_free(&s);
    assert_zeroed(&s);

    assert_int_equal(parse_as("some/dir/my-scen.scn", "processes p1\nrun 1s\n", &s), 0);
    assert_string_equal(s.name, "my-scen"); /* default: basename without .scn */
    assert_string_equal(s.file, "some/dir/my-scen.scn");
    assert_true(s.seed == 1);
    scn_free(&s);
}

static void test_platform_cluster(void **state)
{
    struct scn s;
    parse_ok("processes p1\nrun 1s\n", &s);
    assert_string_equal(s.platform_file, "");
    assert_int_equal(s.cluster_latency_ns, 50000);
    assert_true(s.cluster_bandwidth_Bps == 125e6);
    scn_free(&s);

    parse_ok("processes p1\nplatform cluster latency 100us bandwidth 1Gbps\nrun 1s\n", &s);
    assert_int_equal(s.cluster_latency_ns, 100000);
    assert_true(s.cluster_bandwidth_Bps == 125e6);
    scn_free(&s);

    static const struct {
        const char *bw;
        double bytes_per_s;
    } cases[] = {{"100Mbps", 12.5e6},  {"125MBps", 125e6}, {"10kbps", 1250},
                 {"1.5Gbps", 187.5e6}, {"1kbps", 125},     {"2GBps", 2e9}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[128];
        snprintf(text, sizeof text,
                 "platform cluster bandwidth %s latency 1ms\nprocesses p1\nrun 1s\n", cases[i].bw);
        parse_ok(text, &s);
        assert_true(s.cluster_bandwidth_Bps == cases[i].bytes_per_s);
        assert_int_equal(s.cluster_latency_ns, 1000000);
        scn_free(&s);
    }
}

static void test_platform_file(void **state)
{
    char dir[] = "/tmp/pgscn-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char plat[256], scn_path[256], text[512];
    snprintf(plat, sizeof plat, "%s/plat.xml", dir);
    snprintf(scn_path, sizeof scn_path, "%s/x.scn", dir);
    FILE *f = fopen(plat, "w");
    assert_non_null(f);
    fputs("<platform/>\n", f);
    fclose(f);

    struct scn s;
    /* relative: resolved against the scenario's directory; any host name is accepted */
    assert_int_equal(parse_as(scn_path,
                              "platform file plat.xml\nprocesses p1\nplace p1 node-7.lan\nrun 1s\n",
                              &s),
                     0);
    assert_string_equal(s.platform_file, plat);
    assert_string_equal(s.procs[0].host, "node-7.lan");
    scn_free(&s);

    snprintf(text, sizeof text, "platform file %s\nprocesses p1\nrun 1s\n", plat); /* absolute */
    parse_ok(text, &s);
    assert_string_equal(s.platform_file, plat);
    scn_free(&s);

    assert_int_equal(parse_as(scn_path, "platform file other.xml\nrun 1s\n", &s), 2);
    char want[512];
    snprintf(want, sizeof want,
             "%s:1:15: cannot read platform file '%s/other.xml': No such file or directory\n",
             scn_path, dir);
    assert_string_equal(errbuf, want);
    assert_zeroed(&s);
    unlink(plat);
    rmdir(dir);
}

/* scn_settings.h is the one table of `set`: every key's default is what the
 * parser gives, its text parses back to the same value, its range is enforced
 * at both ends, and the link's timings are core's (the window, 1024 against
 * core's 256, is the documented exception). */
static void test_settings_table(void **state)
{
    (void)state;
    struct scn d, s;
    parse_ok("processes p1\nrun 1s\n", &d);
    for (unsigned k = 0; k < SCN_SET_N; k++) {
        const struct scn_setting *st = scn_setting_row((enum scn_set_key)k);
        assert_int_equal(scn_setting_get(&d, (enum scn_set_key)k), st->dflt);
        char v[64], text[256];
        scn_setting_text(&d, (enum scn_set_key)k, v, sizeof v);
        snprintf(text, sizeof text, "processes p1\nset %s %s\nrun 1s\n", st->key, v);
        parse_ok(text, &s);
        assert_int_equal(scn_setting_get(&s, (enum scn_set_key)k), st->dflt);
        scn_free(&s);
        if (st->kind == SCN_SK_SWITCH)
            continue;
        int64_t out = st->kind == SCN_SK_COUNT ? st->hi + 1 : 0; /* durations: lo is 1ns */
        snprintf(text, sizeof text, "processes p1\nset %s %lld%s\nrun 1s\n", st->key,
                 (long long)out, st->kind == SCN_SK_DURATION ? "s" : "");
        assert_int_not_equal(parse(text, &s), 0);
        snprintf(text, sizeof text, "processes p1\nset %s %lld\nrun 1s\n", st->key,
                 (long long)st->lo - (st->kind == SCN_SK_COUNT));
        assert_int_not_equal(parse(text, &s), 0);
    }
    /* scenarios/README.md documents each key with its default, in one table row */
    FILE *f = fopen(PG_SOURCE_DIR "/scenarios/README.md", "r");
    assert_non_null(f);
    static char doc[1 << 18];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = 0;
    for (unsigned k = 0; k < SCN_SET_N; k++) {
        const struct scn_setting *st = scn_setting_row((enum scn_set_key)k);
        char v[64], row[128];
        scn_setting_text(&d, (enum scn_set_key)k, v, sizeof v);
        snprintf(row, sizeof row, "| `%s` |", st->key);
        const char *at = strstr(doc, row), *eol = at ? strchr(at, '\n') : NULL;
        snprintf(row, sizeof row, "| `%s` |", v);
        const char *dflt = at ? strstr(at, row) : NULL;
        if (!dflt || dflt > eol)
            print_error("scenarios/README.md: no row `%s` with default `%s`\n", st->key, v);
        assert_true(dflt && dflt < eol);
    }
    struct phys_config core;
    phys_config_default(&core);
    assert_int_equal(d.heartbeat_period_ns, core.heartbeat_period_ns);
    assert_int_equal(d.suspect_timeout_ns, core.suspect_timeout_ns);
    assert_int_equal(d.rto_initial_ns, core.rto_initial_ns);
    assert_int_equal(d.rto_max_ns, core.rto_max_ns);
    assert_int_equal(d.ack_delay_ns, core.ack_delay_ns);
    assert_int_equal(d.window, 1024);
    assert_int_equal(core.window, 256); /* scn_settings.h says why they differ */
    scn_free(&d);
}

static void test_set(void **state)
{
    struct scn s;
    parse_ok("processes p1\nrun 1s\n", &s); /* defaults */
    assert_int_equal(s.heartbeat_period_ns, 100000000);
    assert_int_equal(s.suspect_timeout_ns, 1000000000);
    assert_int_equal(s.rto_initial_ns, 20000000);
    assert_int_equal(s.rto_max_ns, 400000000);
    assert_int_equal(s.ack_delay_ns, 10000000);
    assert_int_equal(s.window, 1024);
    assert_false(s.abcast_token_fixed);
    scn_free(&s);

    parse_ok("processes p1\nset abcast_token fixed\nrun 1s\n", &s);
    assert_true(s.abcast_token_fixed);
    scn_free(&s);
    parse_ok("processes p1\nset abcast_token follow\nrun 1s\n", &s);
    assert_false(s.abcast_token_fixed);
    scn_free(&s);
    parse_ok("processes p1\nrun 1s\n", &s);
    assert_true(s.vt_compress);
    scn_free(&s);

    parse_ok(
        "processes p1\nset heartbeat_period 50ms\nset suspect_timeout 1500ms\nset rto_initial 5ms\n"
        "set rto_max 1s\nset ack_delay 500us\nset window 64\nrun 1s\n",
        &s);
    assert_int_equal(s.heartbeat_period_ns, 50000000);
    assert_int_equal(s.suspect_timeout_ns, 1500000000);
    assert_int_equal(s.rto_initial_ns, 5000000);
    assert_int_equal(s.rto_max_ns, 1000000000);
    assert_int_equal(s.ack_delay_ns, 500000);
    assert_int_equal(s.window, 64);
    assert_true(s.vt_compress);
    scn_free(&s);

    parse_ok("processes p1\nset vt_compress off\nrun 1s\n", &s);
    assert_false(s.vt_compress);
    scn_free(&s);
    parse_ok("processes p1\nset vt_compress on\nrun 1s\n", &s);
    assert_true(s.vt_compress);
    scn_free(&s);
}

static void test_processes(void **state)
{
    struct scn s;
    parse_ok("processes p1..p3 q r1..r2\nprocesses x_1 node-1..node-2\nrun 1s\n", &s);
    static const char *const want[] = {"p1", "p2",  "p3",     "q",     "r1",
                                       "r2", "x_1", "node-1", "node-2"};
    assert_int_equal(s.n_procs, 9);
    for (uint32_t i = 0; i < s.n_procs; i++) {
        assert_string_equal(s.procs[i].name, want[i]);
        assert_string_equal(s.procs[i].host, "");
    }
    assert_int_equal(scn_find_proc(&s, "r2"), 5);
    assert_int_equal(scn_find_proc(&s, "node-2"), 8);
    assert_int_equal(scn_find_proc(&s, "p4"), -1);
    scn_free(&s);

    parse_ok("processes p1..p16 p0\nrun 1s\n", &s);
    assert_int_equal(s.n_procs, 17);
    assert_string_equal(s.procs[15].name, "p16");
    assert_string_equal(s.procs[16].name, "p0");
    scn_free(&s);
}

static void test_place(void **state)
{
    struct scn s;
    parse_ok("processes p1 p2 p3\nplace p2 h2\nplace p3 h0\nrun 1s\n", &s);
    assert_string_equal(s.procs[0].host, "");
    assert_string_equal(s.procs[1].host, "h2");
    assert_string_equal(s.procs[2].host, "h0");
    scn_free(&s);
}

static void test_group(void **state)
{
    struct scn s;
    parse_ok("processes p1..p5\ngroup g p3 p1..p2 p5\ngroup h p4\nrun 1s\n", &s);
    assert_int_equal(s.n_groups, 2);
    assert_string_equal(s.groups[0].name, "g");
    static const uint32_t ranks[] = {2, 0, 1, 4}; /* rank order as written */
    assert_int_equal(s.groups[0].n_members, 4);
    assert_memory_equal(s.groups[0].members, ranks, sizeof ranks);
    assert_int_equal(s.groups[1].n_members, 1);
    assert_int_equal(s.groups[1].members[0], 3);
    assert_int_equal(scn_find_group(&s, "h"), 1);
    assert_int_equal(scn_find_group(&s, "p1"), -1);
    assert_int_equal(s.groups[0].n_clients, 0);
    assert_null(s.groups[0].clients);
    scn_free(&s);

    /* clients: `group G MEMBERS clients CLIENTS`; clients send cbcast, members diffuse */
    parse_ok("processes p1..p3 c1..c4\ngroup g p2 p1 clients c3 c1..c2 p3\n"
             "send c1..c3 p1 group g order cbcast\nsend p1 group g order diffusion\nrun 1s\n",
             &s);
    static const uint32_t members[] = {1, 0}, clients[] = {5, 3, 4, 2};
    assert_int_equal(s.groups[0].n_members, 2);
    assert_memory_equal(s.groups[0].members, members, sizeof members);
    assert_int_equal(s.groups[0].n_clients, 4);
    assert_memory_equal(s.groups[0].clients, clients, sizeof clients);
    assert_int_equal(s.workloads[1].order, SCN_ORDER_DIFFUSION);
    assert_string_equal(scn_order_name(SCN_ORDER_DIFFUSION), "diffusion");
    char out[2048] = {0};
    FILE *f = fmemopen(out, sizeof out - 1, "w");
    assert_non_null(f);
    scn_print(&s, f);
    fclose(f);
    assert_non_null(strstr(out, "group g (2 members): p2 p1 clients (4): c3 c1 c2 p3\n"));
    assert_non_null(strstr(out, "send p1 group g order diffusion rate 10/s"));
    scn_free(&s);
}

static void test_send(void **state)
{
    struct scn s;
    parse_ok("processes p1..p4\ngroup g p1..p3\ngroup k p1..p3\n"
             "send p1..p2 p4 group g\n"
             "send p3 group k stop 4s size 2KiB order abcast rate 0.5/s start 1.5s\n"
             "send p1 group k order cbcast size 8176B\n"
             "run 10s\n",
             &s);
    assert_int_equal(s.n_workloads, 3);
    const struct scn_workload *w = &s.workloads[0];
    static const uint32_t senders[] = {0, 1, 3}; /* need not be members */
    assert_int_equal(w->n_senders, 3);
    assert_memory_equal(w->senders, senders, sizeof senders);
    assert_int_equal(w->group, 0);
    assert_int_equal(w->order, SCN_ORDER_FIFO); /* defaults */
    assert_true(w->rate_per_s == 10);
    assert_int_equal(w->size_bytes, 64);
    assert_int_equal(w->start_ns, 0);
    assert_int_equal(w->stop_ns, 10000000000); /* the run's end */
    assert_int_equal(w->line, 4);
    w = &s.workloads[1];
    assert_int_equal(w->order, SCN_ORDER_ABCAST);
    assert_true(w->rate_per_s == 0.5);
    assert_int_equal(w->size_bytes, 2048);
    assert_int_equal(w->start_ns, 1500000000);
    assert_int_equal(w->stop_ns, 4000000000);
    w = &s.workloads[2];
    assert_int_equal(w->order, SCN_ORDER_CBCAST);
    assert_int_equal(w->size_bytes, 8176);
    assert_string_equal(scn_order_name(SCN_ORDER_CBCAST), "cbcast");
    scn_free(&s);

    /* with a quiet period, the default stop is its start */
    parse_ok("processes p1\ngroup g p1\nsend p1 group g\nrun 10s\nquiet 3s\n", &s);
    assert_int_equal(s.workloads[0].stop_ns, 7000000000);
    scn_free(&s);
}

static void test_domains_p2p_relay(void **state)
{
    (void)state;
    struct scn s;
    parse_ok("processes p1..p4\ngroup bb p1..p3\ngroup tq p1..p3\ngroup mon p2..p4\n"
             "domain base bb tq\ndomain monitor mon\n"
             "send p1 to p2 order p2p rate 5/s domain base\n"
             "send p3 p4 to p1\n"
             "relay p2 p3 from tq to bb hops 2\n"
             "relay p4 from mon to p1 size 100B\n"
             "relay p1 from p2p to mon order abcast\n"
             "run 10s\n",
             &s);
    assert_int_equal(s.n_domains, 3);
    assert_string_equal(s.domains[0], "default");
    assert_string_equal(s.domains[1], "base");
    assert_string_equal(s.domains[2], "monitor");
    assert_int_equal(s.groups[0].domain, 1);
    assert_int_equal(s.groups[1].domain, 1);
    assert_int_equal(s.groups[2].domain, 2);
    assert_int_equal(s.n_workloads, 2);
    const struct scn_workload *w = &s.workloads[0];
    assert_int_equal(w->group, SCN_NO_GROUP);
    assert_int_equal(w->to, 1);
    assert_int_equal(w->order, SCN_ORDER_P2P);
    assert_int_equal(w->domain, 1);
    assert_true(w->rate_per_s == 5);
    w = &s.workloads[1];
    assert_int_equal(w->n_senders, 2);
    assert_int_equal(w->domain, 0); /* the default domain */
    assert_string_equal(scn_order_name(SCN_ORDER_P2P), "p2p");
    assert_int_equal(s.n_relays, 4); /* one per process */
    const struct scn_relay *r = &s.relays[1];
    assert_int_equal(r->proc, 2);
    assert_int_equal(r->from, 1);
    assert_int_equal(r->to, 0);
    assert_false(r->to_proc);
    assert_int_equal(r->order, SCN_ORDER_CBCAST);
    assert_int_equal(r->hops, 2);
    r = &s.relays[2];
    assert_true(r->to_proc);
    assert_int_equal(r->to, 0);
    assert_int_equal(r->order, SCN_ORDER_P2P);
    assert_int_equal(r->size_bytes, 100);
    assert_int_equal(r->hops, 8);
    r = &s.relays[3];
    assert_int_equal(r->from, SCN_NO_GROUP);
    assert_int_equal(r->order, SCN_ORDER_ABCAST);
    scn_free(&s);

    parse_err("processes p1 p2\ngroup g p1 p2\ndomain d g\ndomain e g\n",
              "t.scn:4:10: group 'g' is already in domain 'd'");
    parse_err("processes p1 p2\ndomain d g\n",
              "t.scn:2:10: unknown group 'g' (declare it with `group`)");
    parse_err("processes p1 p2\ngroup g p1 p2\ndomain d\n", "t.scn:3:8: expected groups after 'd'");
    parse_err("processes p1 p2\nsend p1 to p1\n",
              "t.scn:2:12: a process does not send p2p to itself");
    parse_err("processes p1 p2\nsend p1 to p2 order cbcast\n",
              "t.scn:2:21: `send ... to P` is point-to-point: its order is p2p");
    parse_err("processes p1 p2\ngroup g p1 p2\nsend p1 group g order p2p\n",
              "t.scn:3:23: order p2p needs `to P` instead of `group G`");
    parse_err("processes p1 p2\ngroup g p1 p2\nsend p1 group g domain x\n",
              "t.scn:3:17: unknown send option 'domain' (expected one of: order, rate, size, "
              "start, stop)");
    parse_err("processes p1 p2\ngroup g p1 p2\nrelay p1 from g\n",
              "t.scn:3:1: `relay` needs PROCS `from` G|p2p `to` G|P");
    parse_err("processes p1 p2\ngroup g p1 p2\nrelay p1 from g to p2 order cbcast\n",
              "t.scn:3:29: a relay to a process has order p2p");
    parse_err("processes p1 p2\ngroup g p1 p2\nrelay p1 from g to g hops 0\n",
              "t.scn:3:27: '0' is out of range (1 to 64)");
}

static void test_sizes(void **state)
{
    static const struct {
        const char *text;
        uint32_t bytes;
    } cases[] = {{"0B", 0},         {"1KB", 1000},   {"2KiB", 2048}, {"0.5KB", 500},
                 {"0.008MB", 8000}, {"8176B", 8176}, {"17B", 17}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[128];
        struct scn s;
        snprintf(text, sizeof text, "processes p\ngroup g p\nsend p group g size %s\nrun 1s\n",
                 cases[i].text);
        parse_ok(text, &s);
        assert_int_equal(s.workloads[0].size_bytes, cases[i].bytes);
        scn_free(&s);
    }
}

static void test_durations(void **state)
{
    static const struct {
        const char *text;
        int64_t ns;
    } cases[] = {{"10ms", 10000000},
                 {"2s", 2000000000},
                 {"3.6s", 3600000000},
                 {"50us", 50000},
                 {"7ns", 7},
                 {"1.5us", 1500},
                 {"0.25ms", 250000},
                 {"1.000s", 1000000000},
                 {"1000000s", 1000000000000000},
                 {"0.000000001s", 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[64];
        struct scn s;
        snprintf(text, sizeof text, "processes p1\nrun %s\n", cases[i].text);
        parse_ok(text, &s);
        assert_int_equal(s.run_ns, cases[i].ns);
        scn_free(&s);
    }
}

static void test_timeline(void **state)
{
    struct scn s;
    parse_ok("processes p1..p5\n"
             "at 3s heal\n"
             "at 1s partition p1 p2 | p4..p5\n"
             "at 1s cut p1 -> p3\n"
             "at 1s cut p2 <-> p4\n"
             "at 0s loss 30%\n"
             "at 0s duplicate 0.5%\n"
             "at 0s delay 1ms jitter 4ms\n"
             "at 0s garble 1%\n"
             "at 2s isolate p3\n"
             "at 2s crash p5\n"
             "at 2.5s restart p5\n"
             "at 2.5s sabotage misattribute p2\n"
             "at 0.5s delay 0s\n"
             "run 5s\n",
             &s);
    assert_int_equal(s.n_faults, 13);
    /* sorted by time, ties in file order */
    static const enum scn_fault_kind kinds[] = {
        SCN_F_LOSS,      SCN_F_DUPLICATE, SCN_F_DELAY, SCN_F_GARBLE,  SCN_F_DELAY,
        SCN_F_PARTITION, SCN_F_CUT,       SCN_F_CUT,   SCN_F_ISOLATE, SCN_F_CRASH,
        SCN_F_RESTART,   SCN_F_SABOTAGE,  SCN_F_HEAL};
    static const uint32_t lines[] = {6, 7, 8, 9, 14, 3, 4, 5, 10, 11, 12, 13, 2};
    for (uint32_t i = 0; i < s.n_faults; i++) {
        assert_int_equal(s.faults[i].kind, kinds[i]);
        assert_int_equal(s.faults[i].line, lines[i]);
    }
    const struct scn_fault *f = s.faults;
    assert_true(f[0].prob == 0.3 && f[0].at_ns == 0);
    assert_true(f[1].prob == 0.005);
    assert_int_equal(f[2].delay_ns, 1000000);
    assert_int_equal(f[2].jitter_ns, 4000000);
    assert_true(f[3].prob == 0.01);
    assert_int_equal(f[4].delay_ns, 0); /* 0 clears */
    assert_int_equal(f[4].jitter_ns, 0);
    assert_int_equal(f[4].at_ns, 500000000);
    assert_int_equal(f[5].n_blocks, 2);
    assert_int_equal(f[5].block_len[0], 2);
    assert_int_equal(f[5].blocks[0][0], 0);
    assert_int_equal(f[5].blocks[0][1], 1);
    assert_int_equal(f[5].block_len[1], 2);
    assert_int_equal(f[5].blocks[1][0], 3);
    assert_int_equal(f[5].blocks[1][1], 4);
    assert_true(f[6].from == 0 && f[6].to == 2 && !f[6].bidir);
    assert_true(f[7].from == 1 && f[7].to == 3 && f[7].bidir);
    assert_int_equal(f[8].proc, 2);
    assert_int_equal(f[9].proc, 4);
    assert_int_equal(f[9].at_ns, 2000000000);
    assert_int_equal(f[10].proc, 4);
    assert_int_equal(f[10].at_ns, 2500000000);
    assert_int_equal(f[11].sabotage, SCN_SAB_MISATTRIBUTE);
    assert_int_equal(f[11].proc, 1);
    assert_int_equal(f[12].at_ns, 3000000000);
    scn_free(&s);
}

static void test_sabotage_kinds(void **state)
{
    static const char *const names[] = {"drop",         "duplicate",   "reorder",
                                        "misattribute", "late",        "forge-view",
                                        "swap-abcast",  "early-flush", "corrupt-state"};
    for (int k = 0; k < 9; k++) {
        char text[128];
        struct scn s;
        snprintf(text, sizeof text, "processes p1\nat 1s sabotage %s p1\nrun 2s\n", names[k]);
        parse_ok(text, &s);
        assert_int_equal(s.faults[0].sabotage, (enum scn_sabotage)k);
        scn_free(&s);
    }
}

static void test_join_leave(void **state)
{
    struct scn s;
    parse_ok("processes p1..p3\ngroup g1 p1 p2\ngroup g2 p3\nat 1s join p3 g1\n"
             "at 2s leave p1 g1\nat 2.5s flush p2 g1\nrun 3s\n",
             &s);
    assert_int_equal(s.n_faults, 3);
    assert_int_equal(s.faults[2].kind, SCN_F_FLUSH);
    assert_int_equal(s.faults[2].proc, 1);
    assert_int_equal(s.faults[2].group, 0);
    assert_int_equal(s.faults[0].kind, SCN_F_JOIN);
    assert_int_equal(s.faults[0].proc, 2);
    assert_int_equal(s.faults[0].group, 0);
    assert_int_equal(s.faults[1].kind, SCN_F_LEAVE);
    assert_int_equal(s.faults[1].proc, 0);
    scn_free(&s);
    parse_err("processes p1\ngroup g1 p1\nat 1s join g1 p1\n",
              "t.scn:3:12: 'g1' is a group; a process is expected here");
    parse_err("processes p1\ngroup g1 p1\nat 1s join p1\n",
              "t.scn:3:12: expected a group after 'p1'");
    parse_err("processes p1\ngroup g1 p1\nat 1s leave p1 g1 now\n",
              "t.scn:3:19: unexpected 'now' at the end of `at`");
    parse_err("processes p1\ngroup g1 p1\nat 1s flush p1\n",
              "t.scn:3:13: expected a group after 'p1'");
    parse_err("processes p1\ngroup g1 p1\nat 1s flush p1 p1\n",
              "t.scn:3:16: 'p1' is a process; a group is expected here");
}

/* Crashes and restarts are judged in time order, not file order. */
static void test_crash_restart(void **state)
{
    struct scn s;
    parse_ok("processes p1 p2\n"
             "at 4s restart p1\n"
             "at 3s crash p1\n"
             "at 2s restart p1\n"
             "at 1s crash p1\n"
             "at 1s crash p2\n"
             "run 5s\n",
             &s);
    assert_int_equal(s.n_faults, 5);
    assert_int_equal(s.faults[0].kind, SCN_F_CRASH);
    assert_int_equal(s.faults[0].line, 5);
    assert_int_equal(s.faults[1].line, 6);
    assert_int_equal(s.faults[4].kind, SCN_F_RESTART);
    scn_free(&s);
}

static void test_run_quiet_expect(void **state)
{
    struct scn s;
    parse_ok("processes p1\nrun 10s\n", &s);
    assert_int_equal(s.run_ns, 10000000000);
    assert_int_equal(s.quiet_ns, 0);
    assert_int_equal(s.expect, SCN_EXPECT_PASS);
    scn_free(&s);

    parse_ok("processes p1\nrun 10s\nquiet 3s\nexpect pass\n", &s);
    assert_int_equal(s.quiet_ns, 3000000000);
    assert_int_equal(s.expect, SCN_EXPECT_PASS);
    scn_free(&s);

    static const struct {
        const char *rule, *canonical;
    } cases[] = {{"liveness", "liveness"},   {"10", "liveness"},
                 {"1", "integrity"},         {"fifo", "fifo"},
                 {"4", "virtual-synchrony"}, {"total-order", "total-order"},
                 {"9", "state-transfer"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "expect violation %s\nprocesses p1\nrun 1s\n", cases[i].rule);
        parse_ok(text, &s);
        assert_int_equal(s.expect, SCN_EXPECT_VIOLATION);
        assert_string_equal(s.expect_rule, cases[i].canonical);
        scn_free(&s);
    }
}

static void test_lexical(void **state)
{
    struct scn s;
    /* comments, blank lines, tabs, CRLF, no final newline */
    parse_ok("# a comment\n\n  \t\nprocesses\tp1  p2 # trailing comment\r\n"
             "group g p1#p2 is a comment here\n"
             "at 1s partition p1|p2\n"
             "run 1s",
             &s);
    assert_int_equal(s.n_procs, 2);
    assert_int_equal(s.groups[0].n_members, 1);
    assert_int_equal(s.faults[0].n_blocks, 2);
    scn_free(&s);
}

/* ---- the scenarios of the repository ---- */

static void test_repo_scenarios(void **state)
{
    glob_t g;
    assert_int_equal(glob(PG_SOURCE_DIR "/scenarios/*.scn", 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 8);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct scn s;
        char *buf = NULL;
        size_t len = 0;
        FILE *err = open_memstream(&buf, &len);
        int rc = scn_parse(g.gl_pathv[i], &s, err);
        fclose(err);
        if (rc != 0)
            print_error("%s", buf);
        assert_int_equal(rc, 0);
        assert_int_equal(len, 0);
        free(buf);
        assert_true(s.run_ns > 0 && s.n_procs > 0 && s.n_groups > 0 &&
                    (s.n_workloads > 0 || s.hier.requests || s.hier.n_mcast > 0));
        for (uint32_t k = 1; k < s.n_faults; k++)
            assert_true(s.faults[k - 1].at_ns <= s.faults[k].at_ns);
        scn_free(&s);
    }
    globfree(&g);
}

static void test_quickstart_values(void **state)
{
    struct scn s;
    assert_int_equal(scn_parse(PG_SOURCE_DIR "/scenarios/quickstart.scn", &s, stderr), 0);
    assert_string_equal(s.name, "quickstart");
    assert_true(s.seed == 42);
    assert_int_equal(s.n_procs, 5);
    assert_int_equal(s.n_faults, 4);
    assert_int_equal(s.faults[3].kind, SCN_F_HEAL);
    assert_int_equal(s.faults[3].at_ns, 3600000000);
    assert_int_equal(s.workloads[0].stop_ns, 7000000000);
    assert_true(s.workloads[0].rate_per_s == 50);
    assert_int_equal(s.run_ns, 10000000000);
    assert_int_equal(s.quiet_ns, 3000000000);

    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    scn_print(&s, out);
    fclose(out);
    assert_non_null(strstr(buf, "scenario: quickstart ("));
    assert_non_null(strstr(buf, "\n  platform: cluster latency 50us bandwidth 125000000 B/s\n"));
    assert_non_null(strstr(buf, "\n  suspect_timeout: 1s\n"));
    assert_non_null(strstr(buf, "\n  processes (5): p1..p5\n"));
    assert_non_null(strstr(buf, "\n  group g1 (5 members): p1..p5\n"));
    assert_non_null(strstr(buf, "\n  send p1..p5 group g1 order fifo rate 50/s size 256B start 0s "
                                "stop 7s\n"));
    assert_non_null(strstr(buf, "\n  at 0s loss 10%\n"));
    assert_non_null(strstr(buf, "\n  at 3s partition p1 p2 | p3 p4\n"));
    assert_non_null(strstr(buf, "\n  at 3.6s heal\n"));
    assert_non_null(strstr(buf, "\n  quiet: 3s (no faults and no sends from 7s)\n"));
    free(buf);
    scn_free(&s);
}

static void test_print_faults(void **state)
{
    struct scn s;
    parse_ok("processes p1..p4 q\nplace q h1\ngroup g p1 p2 p3 q\n"
             "at 1s crash p1\nat 2s restart p1\nat 3s crash p1\nat 4s restart p1\n"
             "at 1s cut p2 <-> p3\nat 1s delay 1500us jitter 0s\nat 1s sabotage reorder p2\n"
             "at 1s duplicate 0.5%\nexpect violation 7\nrun 5s\n",
             &s);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    scn_print(&s, out);
    fclose(out);
    assert_non_null(strstr(buf, "\n  processes (5): p1..p4 q\n"));
    assert_non_null(strstr(buf, "\n  place: q on h1\n"));
    assert_non_null(strstr(buf, "\n  group g (4 members): p1..p3 q\n"));
    assert_non_null(strstr(buf, "\n  at 2s restart p1 (as p1#2)\n"));
    assert_non_null(strstr(buf, "\n  at 4s restart p1 (as p1#3)\n"));
    assert_non_null(strstr(buf, "\n  at 1s cut p2 <-> p3\n"));
    assert_non_null(strstr(buf, "\n  at 1s delay 1.5ms jitter 0s\n"));
    assert_non_null(strstr(buf, "\n  at 1s sabotage reorder p2\n"));
    assert_non_null(strstr(buf, "\n  at 1s duplicate 0.5%\n"));
    assert_non_null(strstr(buf, "\n  expect: violation total-order\n"));
    assert_non_null(strstr(buf, "\n  quiet: none\n"));
    assert_non_null(strstr(buf, "\n  abcast_token: follow\n"));
    free(buf);
    scn_free(&s);
}

/* ---- errors ---- */

static const struct {
    const char *text, *err;
} error_cases[] = {
    /* hierarchical groups */
    {"processes r1 a1 b1 c1\ngroup R r1\ngroup SA a1\ngroup SB b1\n"
     "hier H root R subgroups SA SB\nhier H2 root R subgroups SA\n",
     "t.scn:6:1: a scenario has at most one hierarchical group (line 5)"},
    {"processes r1 a1 b1 c1\ngroup R r1\ngroup SA a1\ngroup SB b1\n"
     "hier H root X subgroups SA\n",
     "t.scn:5:13: unknown group 'X' (declare it with `group`)"},
    {"processes r1 a1 b1 c1\ngroup R r1\ngroup SA a1\ngroup SB b1\n"
     "hier H root R subgroups SA SA\n",
     "t.scn:5:28: group 'SA' is used twice in the hierarchical group"},
    {"processes r1 a1 b1 c1\ngroup R r1\ngroup SA a1\ngroup SB b1\n"
     "hier H root R subgroups SA keys 1000 ranges 2\n",
     "t.scn:5:1: 1000 keys in 2 ranges: a range holds 1 to 64 keys"},
    {"processes r1 a1 b1 c1\ngroup R r1\ngroup SA a1\ngroup SB b1\n"
     "hier H root R subgroups SA policy random\n",
     "t.scn:5:35: unknown policy 'random' (expected one of: least-loaded, hash)"},
    {"processes r1 a1 b1 c1\ngroup R r1\ngroup SA a1\ngroup SB b1\n"
     "hier-clients H c1\n",
     "t.scn:5:14: no hierarchical group yet (declare it with `hier NAME root G ...`)"},
    {"processes r1 a1 b1 c1\ngroup R r1\ngroup SA a1\ngroup SB b1\n"
     "hier H root R subgroups SA SB\nhier-clients G c1\n",
     "t.scn:6:14: unknown hierarchical group 'G' (the scenario's is 'H')"},
    {"processes r1 a1 b1 c1\ngroup R r1\ngroup SA a1\ngroup SB b1\n"
     "hier H root R subgroups SA SB\nhier-requests H rate 5/s start 2s stop 1s\n",
     "t.scn:6:40: `stop` must come after `start`"},
    {"processes r1 a1 b1 c1\ngroup R r1\ngroup SA a1\ngroup SB b1\n"
     "hier H root R subgroups SA SB\nhier-mcast H c1 order global rate 1/s start 0s stop 1s\n",
     "t.scn:6:14: c1 is not a member of a subgroup of 'H'"},
    {"processes r1 a1 b1 c1\ngroup R r1\ngroup SA a1\ngroup SB b1\n"
     "hier H root R subgroups SA SB\nat 1s hier-move H 8 SA\n",
     "t.scn:6:19: '8' is out of range (0 to 7)"},
    {"processes r1 a1 b1 c1\ngroup R r1\ngroup SA a1\ngroup SB b1\n"
     "hier H root R subgroups SA SB\nat 1s hier-move H 1 R\n",
     "t.scn:6:21: 'R' is not a subgroup of 'H'"},
    /* values and units */
    {"run 10\n", "t.scn:1:5: duration '10' needs a unit: ns, us, ms or s"},
    {"run 10m\n", "t.scn:1:5: unknown unit in '10m': durations take ns, us, ms or s"},
    {"run -1s\n", "t.scn:1:5: expected a duration (like 10ms, 2s, 3.6s, 50us), not '-1s'"},
    {"run 0s\n", "t.scn:1:5: `run` must be longer than 0s"},
    {"run 1000001s\n", "t.scn:1:5: '1000001s' is longer than the longest duration, 1000000s"},
    {"at 0.0000000001s heal\nrun 1s\n", "t.scn:1:4: '0.0000000001s' is finer than 1ns"},
    {"seed -1\n", "t.scn:1:6: expected a whole number, not '-1'"},
    {"seed 18446744073709551616\n", "t.scn:1:6: '18446744073709551616' is too large"},
    {"at 1s loss 150%\n", "t.scn:1:12: '150%' is over 100%"},
    {"at 1s loss 10\n", "t.scn:1:12: expected a percentage (like 10% or 0.5%), not '10'"},
    {"platform cluster latency 10\n", "t.scn:1:26: duration '10' needs a unit: ns, us, ms or s"},
    {"platform cluster bandwidth 1Gb\n",
     "t.scn:1:28: bandwidth '1Gb' needs a unit: bps, kbps, Mbps, Gbps, Tbps (bits) or Bps, "
     "kBps, MBps, GBps, TBps (bytes)"},
    {"platform cluster bandwidth 0Gbps\n", "t.scn:1:28: bandwidth '0Gbps' must be above 0"},
    {"platform cluster latency 1ms latency 2ms\n", "t.scn:1:30: `latency` given twice"},
    {"platform mesh\n", "t.scn:1:10: unknown platform 'mesh' (expected one of: cluster, file)"},
    {"platform file missing.xml\n",
     "t.scn:1:15: cannot read platform file 'missing.xml': No such file or directory"},
    {"set window 1s\n", "t.scn:1:12: expected a whole number, not '1s'"},
    {"set window 0\n", "t.scn:1:12: '0' is out of range (1 to 65536)"},
    {"set hearbeat_period 1s\n",
     "t.scn:1:5: unknown setting 'hearbeat_period' (valid keys: heartbeat_period, "
     "suspect_timeout, rto_initial, rto_max, ack_delay, window, abcast_token, vt_compress)"},
    {"set abcast_token sometimes\n",
     "t.scn:1:18: unknown abcast_token mode 'sometimes' (expected one of: follow, fixed)"},
    {"set abcast_token\n", "t.scn:1:5: expected `follow` or `fixed` after 'abcast_token'"},
    {"set abcast_token fixed\nset abcast_token follow\n",
     "t.scn:2:5: `set abcast_token` given twice (first at line 1)"},
    {"set abcast_token fixed now\n", "t.scn:1:24: unexpected 'now' at the end of `set`"},
    {"set vt_compress yes\n", "t.scn:1:17: unknown value 'yes' (expected one of: on, off)"},
    {"set vt_compress\n", "t.scn:1:5: expected on or off after 'vt_compress'"},
    {"set vt_compress off on\n", "t.scn:1:21: unexpected 'on' at the end of `set`"},
    {"set suspect_timeout 1s\nset suspect_timeout 2s\n",
     "t.scn:2:5: `set suspect_timeout` given twice (first at line 1)"},
    {"set ack_delay 0s\n", "t.scn:1:15: `ack_delay` must be longer than 0s"},
    {"set rto_initial 500ms\nrun 1s\n", "t.scn:1:17: rto_max is shorter than rto_initial"},
    /* keywords, structure */
    {"proceses p1..p3\nrun 1s\n",
     "t.scn:1:1: unknown keyword 'proceses' (did you mean 'processes'?)"},
    {"frobnicate\n",
     "t.scn:1:1: unknown keyword 'frobnicate' (expected one of: name, seed, platform, set, "
     "processes, place, group, send, at, run, quiet, expect, domain, relay, bound, hier, "
     "hier-clients, hier-requests, hier-mcast)"},
    {"run 10s extra\n", "t.scn:1:9: unexpected 'extra' at the end of `run`"},
    {"run 10s\nrun 5s\n", "t.scn:2:1: `run` given twice (first at line 1)"},
    {"seed\n", "t.scn:1:1: expected a seed (a whole number) after 'seed'"},
    {"run 1s\x01\n", "t.scn:1:7: unexpected control byte 0x01"},
    {"name bad/name\n",
     "t.scn:1:6: invalid scenario name 'bad/name': use letters, digits, '_', '-' and '.'"},
    /* run, quiet, expect */
    {"processes p1\n", "t.scn:2:1: missing `run T`: a scenario needs a simulated duration"},
    {"processes p1", "t.scn:1:13: missing `run T`: a scenario needs a simulated duration"},
    {"", "t.scn:1:1: missing `run T`: a scenario needs a simulated duration"},
    {"run 10s\nquiet 10s\n", "t.scn:2:7: quiet 10s is not shorter than run 10s"},
    {"expect failure\n", "t.scn:1:8: expected `pass` or `violation RULE`, not 'failure'"},
    {"expect violation livenes\n", "t.scn:1:18: unknown rule 'livenes' (did you mean 'liveness'?)"},
    {"expect violation causality\n",
     "t.scn:1:18: unknown rule 'causality' (expected one of: integrity, view-agreement, "
     "sending-view, virtual-synchrony, failure-atomicity, causal-order, total-order, flush, "
     "state-transfer, liveness, fifo, hier-bind, hier-once, hier-order, hier-liveness, "
     "hier-global-order)"},
    {"expect violation 11\n",
     "t.scn:1:18: no rule numbered '11' (checkers/TRACE.md numbers its rules 1 to 10)"},
    /* processes and names */
    {"processes p1..p3 p2\n", "t.scn:1:18: process 'p2' is already declared (line 1)"},
    {"processes p1\nprocesses p2 p1\n", "t.scn:2:14: process 'p1' is already declared (line 1)"},
    {"processes p1..q3\n",
     "t.scn:1:11: bad range 'p1..q3': write PREFIX N..PREFIX M with one prefix and numbers "
     "without leading zeros, like p1..p16"},
    {"processes p01..p3\n",
     "t.scn:1:11: bad range 'p01..p3': write PREFIX N..PREFIX M with one prefix and numbers "
     "without leading zeros, like p1..p16"},
    {"processes p5..p1\n", "t.scn:1:11: empty range 'p5..p1'"},
    {"processes p1..p9999\n", "t.scn:1:11: range 'p1..p9999' has more than 8192 names"},
    {"processes 1p\n",
     "t.scn:1:11: invalid process name '1p': a name starts with a letter or '_' and goes on "
     "with letters, digits, '_' and '-'"},
    {"processes group\n",
     "t.scn:1:11: 'group' cannot name a process (`send` uses it as a keyword)"},
    {"processes\n", "t.scn:1:1: expected process names or ranges (like p1..p5) after 'processes'"},
    {"processes p1\nplace p1 h1\nrun 1s\n",
     "t.scn:2:10: host 'h1' is not in the built-in cluster (hosts h0..h0); use `platform file` "
     "for other hosts"},
    {"processes p1\nplace p1 h0\nplace p1 h0\n",
     "t.scn:3:7: process 'p1' is already placed (line 2)"},
    {"processes p1\nplace p2 h0\n",
     "t.scn:2:7: unknown process 'p2' (declare it with `processes`)"},
    /* groups */
    {"group g\n", "t.scn:1:7: expected the members of the group after 'g'"},
    {"processes p1 p2\ngroup g p1 p2 p1\n", "t.scn:2:15: process 'p1' is listed twice"},
    {"processes p1..p3\ngroup g p1..p3 p2\n", "t.scn:2:16: process 'p2' is listed twice"},
    {"processes p1\ngroup g p1 p9\n",
     "t.scn:2:12: unknown process 'p9' (declare it with `processes`)"},
    {"processes p1\ngroup g p1..p2\n",
     "t.scn:2:9: unknown process 'p2' (declare it with `processes`)"},
    {"processes p1\ngroup g p1\ngroup h g\n",
     "t.scn:3:9: 'g' is a group; a process is expected here"},
    {"processes p1\ngroup p1 p1\n", "t.scn:2:7: 'p1' is already the name of a process"},
    {"processes p1\ngroup g p1\ngroup g p1\n", "t.scn:3:7: group 'g' is already declared"},
    {"processes p1\ngroup g p1\nprocesses g\n", "t.scn:3:11: 'g' is already the name of a group"},
    /* send */
    {"processes p1\nsend p1 over g\n",
     "t.scn:2:1: `send` needs `group G` (or `to P`) after the senders"},
    {"processes p1\nsend p1 to g\n",
     "t.scn:2:12: unknown process 'g' (declare it with `processes`)"},
    {"processes p1\nsend group g\n", "t.scn:2:6: `send` needs at least one sender before `group`"},
    {"processes p1\ngroup g p1\nsend p1 group p1\n",
     "t.scn:3:15: 'p1' is a process; a group is expected here"},
    {"processes p1\ngroup g p1\nsend p1 group h\n",
     "t.scn:3:15: unknown group 'h' (declare it with `group`)"},
    {"processes p1\ngroup g p1\nsend p1 group\n", "t.scn:3:9: expected a group name after 'group'"},
    {"processes p1\ngroup g p1\nsend p1 group g size 8177B\n",
     "t.scn:3:22: size '8177B' is over the maximum, 8176B"},
    {"processes p1\ngroup g p1\nsend p1 group g size 64\n",
     "t.scn:3:22: size '64' needs a unit: B, KB, KiB, MB or MiB"},
    {"processes p1\ngroup g p1\nsend p1 group g size 1.5B\n",
     "t.scn:3:22: size '1.5B' is not a whole number of bytes"},
    {"processes p1\ngroup g p1\nsend p1 group g speed 5/s\n",
     "t.scn:3:17: unknown send option 'speed' (expected one of: order, rate, size, start, stop)"},
    {"processes p1\ngroup g p1\nsend p1 group g strat 1s\n",
     "t.scn:3:17: unknown send option 'strat' (did you mean 'start'?)"},
    {"processes p1\ngroup g p1\nsend p1 group g order total\n",
     "t.scn:3:23: unknown order 'total' (expected one of: fifo, cbcast, abcast, p2p, diffusion)"},
    /* clients */
    {"processes p1 p2\ngroup g p1 clients\n",
     "t.scn:2:12: expected the clients of the group after 'clients'"},
    {"processes p1 p2\ngroup g clients p2\n",
     "t.scn:2:9: `group` needs at least one member before `clients`"},
    {"processes p1 p2\ngroup g p1 p2 clients p2\n",
     "t.scn:2:23: process 'p2' is listed twice (among the members and clients of the group)"},
    {"processes p1 p2\ngroup g p1 clients p2 p2\n",
     "t.scn:2:23: process 'p2' is listed twice (among the members and clients of the group)"},
    {"processes p1 clients\n",
     "t.scn:1:14: 'clients' cannot name a process (`group` uses it as a keyword)"},
    {"processes p1 p2\ngroup g p1 clients p2\nsend p2 group g order diffusion\n",
     "t.scn:3:23: p2 is a client of g: a diffusion is multicast by members"},
    {"processes p1 p2\ngroup g p1 clients p2\nsend p1 p2 group g order abcast\n",
     "t.scn:3:26: p2 is a client of g: a client sends `order cbcast` only"},
    {"processes p1 p2\ngroup g p1 clients p2\nsend p2 group g rate 5/s\n",
     "t.scn:3:1: p2 is a client of g: a client sends `order cbcast` only"},
    {"processes p1 p2\ngroup g p1 clients zz\n",
     "t.scn:2:20: unknown process 'zz' (declare it with `processes`)"},
    {"processes p1\ngroup g p1\nsend p1 group g rate 50\n",
     "t.scn:3:22: expected a rate (like 50/s or 0.5/s), not '50'"},
    {"processes p1\ngroup g p1\nsend p1 group g rate 0/s\n",
     "t.scn:3:22: rate '0/s' is out of range (above 0/s, at most 100000/s)"},
    {"processes p1\ngroup g p1\nsend p1 group g rate 1/s rate 2/s\n",
     "t.scn:3:26: `rate` given twice"},
    {"processes p1\ngroup g p1\nsend p1 group g stop\n",
     "t.scn:3:17: expected a duration after 'stop'"},
    {"processes p1\ngroup g p1\nsend p1 group g stop 12s\nrun 10s\n",
     "t.scn:3:22: send stops at 12s, after the run ends at 10s"},
    {"processes p1\ngroup g p1\nsend p1 group g stop 9s\nrun 10s\nquiet 2s\n",
     "t.scn:3:22: send stops at 9s, inside the quiet period (from 8s = run 10s - quiet 2s): use "
     "`stop 8s` or earlier"},
    {"processes p1\ngroup g p1\nsend p1 group g start 5s stop 5s\nrun 10s\n",
     "t.scn:3:23: send starts at 5s, not before it stops at 5s"},
    {"processes p1\ngroup g p1\nsend p1 group g\nrun 10s\nquiet 3s\nat 9s heal\n",
     "t.scn:6:4: event at 9s is inside the quiet period (from 7s = run 10s - quiet 3s); timeline "
     "events must come before it"},
    /* timeline */
    {"at 1s\n",
     "t.scn:1:4: expected an event (crash, restart, partition, cut, isolate, heal, loss, ...) "
     "after '1s'"},
    {"at 1s explode p1\n",
     "t.scn:1:7: unknown event 'explode' (expected one of: crash, restart, partition, cut, "
     "isolate, heal, loss, duplicate, delay, garble, sabotage, join, leave, flush, "
     "hier-move, hier-rebalance)"},
    {"at 1s hael\n", "t.scn:1:7: unknown event 'hael' (did you mean 'heal'?)"},
    {"at 1s heal now\n", "t.scn:1:12: unexpected 'now' at the end of `at`"},
    {"processes p1\nat 1s crash p1..p1\n", "t.scn:2:13: `crash` takes one process, not a range"},
    {"processes p1\nat 1s crash zz\n",
     "t.scn:2:13: unknown process 'zz' (declare it with `processes`)"},
    {"processes p1\ngroup g p1\nat 1s isolate g\n",
     "t.scn:3:15: 'g' is a group; a process is expected here"},
    {"processes p1 p2\nat 1s partition p1 p2\n",
     "t.scn:2:7: `partition` needs at least two blocks separated by '|', like p1 p2 | p3 p4"},
    {"processes p1 p2\nat 1s partition p1 | p2 p1\n",
     "t.scn:2:25: process 'p1' is listed twice (a process is in at most one block)"},
    {"processes p1 p2\nat 1s partition p1 | | p2\n", "t.scn:2:22: empty block in `partition`"},
    {"processes p1 p2\nat 1s partition p1 | p2 |\n", "t.scn:2:25: empty block in `partition`"},
    {"processes p1\nat 1s cut p1 -> p1\n", "t.scn:2:17: a cut needs two different processes"},
    {"processes p1 p2\nat 1s cut p1 => p2\n", "t.scn:2:14: expected '->' or '<->', not '=>'"},
    {"processes p1 p2\nat 1s cut p1 ->\n", "t.scn:2:14: expected a process after '->'"},
    {"at 1s delay 1ms wobble 2ms\n", "t.scn:1:17: unexpected 'wobble' (expected `jitter T`)"},
    {"processes p1\nat 1s sabotage explode p1\n",
     "t.scn:2:16: unknown sabotage 'explode' (expected one of: drop, duplicate, reorder, "
     "misattribute, late, forge-view, swap-abcast, early-flush, corrupt-state, double-bind, "
     "apply-twice, swap-apply, drop-reply, swap-global)"},
    {"at 11s heal\nrun 10s\n", "t.scn:1:4: event at 11s is after the run ends at 10s"},
    {"at 8s heal\nrun 10s\nquiet 3s\n",
     "t.scn:1:4: event at 8s is inside the quiet period (from 7s = run 10s - quiet 3s); timeline "
     "events must come before it"},
    {"processes p1\nat 2s crash p1\nat 1s crash p1\nrun 5s\n",
     "t.scn:2:13: p1 is already crashed at 2s (crash at 1s, line 3); `restart` it first"},
    {"processes p1\nat 1s restart p1\nrun 5s\n",
     "t.scn:2:15: p1 is not crashed at 1s; `restart` needs an earlier `crash`"},
    {"processes p1\nat 1s crash p1\nat 2s restart p1\nat 3s restart p1\nrun 5s\n",
     "t.scn:4:15: p1 is not crashed at 3s; `restart` needs an earlier `crash`"},
    /* the semantic pass reports the error nearest the top */
    {"processes p1\nat 20s heal\nat 1s restart p1\nrun 5s\n",
     "t.scn:2:4: event at 20s is after the run ends at 5s"},
    /* a scenario needs processes; reported only when nothing nearer the top is */
    {"run 1s\n", "t.scn:2:1: no processes: declare them with `processes NAMES...`"},
    {"at 2s heal\nrun 1s\n", "t.scn:1:4: event at 2s is after the run ends at 1s"},
    /* control bytes are errors in comments too */
    {"processes p1 # a \x01 here\nrun 1s\n", "t.scn:1:18: unexpected control byte 0x01"},
    {"# \x7f\n", "t.scn:1:3: unexpected control byte 0x7f"},
    /* what SimGrid can simulate: the built-in cluster's ranges */
    {"platform cluster latency 1000001ms\n",
     "t.scn:1:26: latency '1000001ms' is out of range (0s to 1000s)"},
    {"platform cluster bandwidth 999bps\n",
     "t.scn:1:28: bandwidth '999bps' is out of range (at least 1kbps = 125Bps)"},
    {"processes p1\ngroup g p1\nsend p1 group g rate 100001/s\nrun 1s\n",
     "t.scn:3:22: rate '100001/s' is out of range (above 0/s, at most 100000/s)"},
    /* one group is either link level (fifo) or a process group */
    {"processes p1 p2\ngroup g p1 p2\nsend p1 group g order cbcast\nsend p2 group g\nrun 1s\n",
     "t.scn:4:1: group g runs the process-group layer (it has cbcast, abcast or diffusion "
     "traffic, clients, a relay, a domain, joins, leaves or flushes); its traffic cannot also be "
     "fifo"},
    {"processes p1 p2\ngroup g p1\nsend p1 group g order fifo\nat 1s join p2 g\nrun 2s\n",
     "t.scn:3:23: group g runs the process-group layer (it has cbcast, abcast or diffusion "
     "traffic, clients, a relay, a domain, joins, leaves or flushes); its traffic cannot also be "
     "fifo"},
};

static void test_errors(void **state)
{
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++)
        parse_err(error_cases[i].text, error_cases[i].err);
}

static void test_error_file(void **state)
{
    struct scn s;
    memset(&s, 0xa5, sizeof s);
    char *buf = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&buf, &len);
    assert_int_equal(scn_parse("/nonexistent/x.scn", &s, err), 2);
    fclose(err);
    assert_string_equal(buf, "/nonexistent/x.scn:1:1: cannot open the scenario: No such file or "
                             "directory\n");
    free(buf);
    assert_zeroed(&s);
}

/* Appends `n` copies of `line` (a printf format taking the copy number) to a new string. */
static char *repeat(const char *head, const char *line, uint32_t n, const char *tail)
{
    size_t cap = strlen(head) + strlen(tail) + (size_t)n * (strlen(line) + 16) + 1;
    char *t = malloc(cap);
    assert_non_null(t);
    size_t at = (size_t)snprintf(t, cap, "%s", head);
    for (uint32_t i = 0; i < n; i++)
        at += (size_t)snprintf(t + at, cap - at, line, i);
    snprintf(t + at, cap - at, "%s", tail);
    return t;
}

static void test_limits(void **state)
{
    struct scn s;
    /* processes: SCN_MAX_PROCS fit, one more does not */
    parse_ok("processes p1..p8192\ngroup g p1..p256\ngroup h p257..p512 clients p513..p1536\n"
             "run 1s\n",
             &s);
    assert_int_equal(s.n_procs, SCN_MAX_PROCS);
    assert_int_equal(scn_find_proc(&s, "p8192"), 8191);
    /* members and clients of a group: SCN_MAX_MEMBERS and SCN_MAX_CLIENTS fit */
    assert_int_equal(s.groups[0].n_members, SCN_MAX_MEMBERS);
    assert_int_equal(s.groups[0].members[255], 255);
    assert_int_equal(s.groups[1].n_clients, SCN_MAX_CLIENTS);
    scn_free(&s);
    parse_err("processes p1..p8192 q\n", "t.scn:1:21: more than 8192 processes");
    parse_err("processes p1..p300\ngroup g p1 p2..p257\n",
              "t.scn:2:12: a group has at most 256 members; 'p257' is one more");
    parse_err("processes p1..p2000\ngroup g p1 clients p2..p1025 p1026\n",
              "t.scn:2:30: a group has at most 1024 clients; 'p1026' is one more");

    char *t = repeat("processes p\n", "group g%u p\n", SCN_MAX_GROUPS + 1, "");
    parse_err(t, "t.scn:4098:1: more than 4096 groups");
    free(t);
    t = repeat("processes p\ngroup g p\n", "send p group g\n", SCN_MAX_WORKLOADS + 1, "");
    parse_err(t, "t.scn:4099:1: more than 4096 `send` lines");
    free(t);
    t = repeat("processes p\n", "at 0s heal\n", SCN_MAX_FAULTS, "run 1s\n");
    parse_ok(t, &s);
    assert_int_equal(s.n_faults, SCN_MAX_FAULTS);
    scn_free(&s);
    free(t);
    t = repeat("", "at 0s heal\n", SCN_MAX_FAULTS + 1, "");
    parse_err(t, "t.scn:4097:1: more than 4096 timeline events");
    free(t);

    /* blocks of a partition */
    t = repeat("processes p0..p64\nat 1s partition p64", " | p%u", SCN_MAX_BLOCKS, "\n");
    parse_err(t, "t.scn:2:7: a partition has at most 64 blocks");
    free(t);
    t = repeat("processes p0..p64\nat 1s partition p64", " | p%u", SCN_MAX_BLOCKS - 1,
               "\nrun 2s\n");
    parse_ok(t, &s);
    assert_int_equal(s.faults[0].n_blocks, SCN_MAX_BLOCKS);
    scn_free(&s);
    free(t);

    /* names: SCN_NAME_MAX - 1 bytes fit */
    char name[SCN_NAME_MAX + 1], text[256], want[256];
    memset(name, 'a', SCN_NAME_MAX - 1);
    name[SCN_NAME_MAX - 1] = '\0';
    snprintf(text, sizeof text, "processes %s\ngroup g %s\nrun 1s\n", name, name);
    parse_ok(text, &s);
    assert_string_equal(s.procs[0].name, name);
    scn_free(&s);
    strcat(name, "a");
    snprintf(text, sizeof text, "processes %s\n", name);
    snprintf(want, sizeof want, "t.scn:1:11: process name '%s' is longer than 47 bytes", name);
    parse_err(text, want);
    snprintf(text, sizeof text, "processes p\ngroup %s p\n", name);
    snprintf(want, sizeof want, "t.scn:2:7: group name '%s' is longer than 47 bytes", name);
    parse_err(text, want);
    snprintf(text, sizeof text, "processes p\nplace p %s\n", name);
    snprintf(want, sizeof want, "t.scn:2:9: host name '%s' is longer than 47 bytes", name);
    parse_err(text, want);

    /* lines: SCN_LINE_MAX - 1 bytes fit */
    char *line = malloc(SCN_LINE_MAX + 16);
    assert_non_null(line);
    memset(line, ' ', SCN_LINE_MAX + 16);
    memcpy(line, "run 1s", 6);
    strcpy(line + SCN_LINE_MAX - 1, "\nprocesses p\n");
    parse_ok(line, &s);
    scn_free(&s);
    line[SCN_LINE_MAX - 1] = ' ';
    strcpy(line + SCN_LINE_MAX, "\n");
    parse_err(line, "t.scn:1:4096: line longer than 4095 bytes");
    free(line);
}

/* A NUL byte inside the text is an error, not the end of the text. */
static void test_nul_byte(void **state)
{
    static const char text[] = "run 1s\nseed 1\0\n";
    struct scn s;
    char *buf = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&buf, &len);
    assert_int_equal(scn_parse_text("t.scn", text, sizeof text - 1, &s, err), 2);
    fclose(err);
    assert_string_equal(buf, "t.scn:2:7: unexpected control byte 0x00\n");
    free(buf);
    assert_zeroed(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_seed),
        cmocka_unit_test(test_platform_cluster),
        cmocka_unit_test(test_platform_file),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_processes),
        cmocka_unit_test(test_place),
        cmocka_unit_test(test_group),
        cmocka_unit_test(test_send),
        cmocka_unit_test(test_domains_p2p_relay),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_timeline),
        cmocka_unit_test(test_sabotage_kinds),
        cmocka_unit_test(test_join_leave),
        cmocka_unit_test(test_crash_restart),
        cmocka_unit_test(test_run_quiet_expect),
        cmocka_unit_test(test_lexical),
        cmocka_unit_test(test_repo_scenarios),
        cmocka_unit_test(test_quickstart_values),
        cmocka_unit_test(test_print_faults),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_error_file),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_settings_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
