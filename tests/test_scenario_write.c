/* tests/test_scenario_write.c: scn_write (sim/scenario/scenario_write.c), the
 * scenario written back as text, with and without edits.
 *
 * Every scenario of the repository is written, parsed again and written
 * again: the two texts are equal and the two parses agree field by field.
 * Several of them run under `pgroup run` as written and as rewritten: the
 * traces are byte-identical. Edits leave out what they name and what would
 * become invalid (a restart whose crash is gone, a partition with one block
 * left, a group without members, sends after a shortened run).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scenario.h"

static void parse_ok(const char *path, const char *text, struct scn *s)
{
    int rc = scn_parse_text(path, text, strlen(text), s, stderr);
    if (rc != 0)
        print_error("%s does not parse:\n%s\n", path, text);
    assert_int_equal(rc, 0);
}

/* The fields a run depends on, compared between two parses. */
static void assert_same(const struct scn *a, const struct scn *b)
{
    assert_string_equal(a->name, b->name);
    assert_true(a->seed == b->seed && a->run_ns == b->run_ns && a->quiet_ns == b->quiet_ns);
    assert_true(a->heartbeat_period_ns == b->heartbeat_period_ns &&
                a->suspect_timeout_ns == b->suspect_timeout_ns &&
                a->rto_initial_ns == b->rto_initial_ns && a->rto_max_ns == b->rto_max_ns &&
                a->ack_delay_ns == b->ack_delay_ns && a->window == b->window &&
                a->abcast_token_fixed == b->abcast_token_fixed && a->vt_compress == b->vt_compress);
    assert_true(a->cluster_latency_ns == b->cluster_latency_ns &&
                a->cluster_bandwidth_Bps == b->cluster_bandwidth_Bps);
    assert_true(a->expect == b->expect);
    assert_string_equal(a->expect_rule, b->expect_rule);
    assert_int_equal(a->n_procs, b->n_procs);
    for (uint32_t i = 0; i < a->n_procs; i++)
        assert_string_equal(a->procs[i].name, b->procs[i].name);
    assert_int_equal(a->n_groups, b->n_groups);
    for (uint32_t g = 0; g < a->n_groups; g++) {
        const struct scn_group *x = &a->groups[g], *y = &b->groups[g];
        assert_true(x->n_members == y->n_members && x->n_clients == y->n_clients &&
                    x->domain == y->domain && x->clients_in_view == y->clients_in_view);
        assert_memory_equal(x->members, y->members, x->n_members * sizeof *x->members);
    }
    assert_int_equal(a->n_workloads, b->n_workloads);
    for (uint32_t i = 0; i < a->n_workloads; i++) {
        const struct scn_workload *x = &a->workloads[i], *y = &b->workloads[i];
        assert_true(x->n_senders == y->n_senders && x->group == y->group && x->to == y->to &&
                    x->order == y->order && x->rate_per_s == y->rate_per_s &&
                    x->size_bytes == y->size_bytes && x->start_ns == y->start_ns &&
                    x->stop_ns == y->stop_ns && x->domain == y->domain);
    }
    assert_int_equal(a->n_relays, b->n_relays);
    assert_int_equal(a->n_domains, b->n_domains);
    assert_int_equal(a->n_faults, b->n_faults);
    for (uint32_t i = 0; i < a->n_faults; i++) {
        const struct scn_fault *x = &a->faults[i], *y = &b->faults[i];
        assert_true(x->at_ns == y->at_ns && x->kind == y->kind && x->proc == y->proc &&
                    x->prob == y->prob && x->delay_ns == y->delay_ns &&
                    x->jitter_ns == y->jitter_ns && x->n_blocks == y->n_blocks);
    }
}

/* Every scenario of scenarios/: write, parse, write again; same text, same fields. */
static void test_repo_round_trip(void **state)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/scenarios", PG_SOURCE_DIR);
    DIR *d = opendir(dir);
    assert_non_null(d);
    unsigned n = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 4, ".scn"))
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct scn a, b;
        assert_int_equal(scn_parse(path, &a, stderr), 0);
        char *t1 = scn_write(&a, NULL, NULL);
        parse_ok(path, t1, &b);
        assert_same(&a, &b);
        char *t2 = scn_write(&b, NULL, NULL);
        assert_string_equal(t1, t2);
        free(t1);
        free(t2);
        scn_free(&a);
        scn_free(&b);
        n++;
    }
    closedir(d);
    assert_true(n >= 30);
}

/* `pgroup run` of a scenario and of its rewrite give byte-identical traces. */
static void test_same_trace(void **state)
{
    static const char *const names[] = {
        "quickstart",           "vs-coordinator-crash", "domains-crash", "clients-crash",
        "state-transfer-crash", "vs-abcast-mixed",      "harsh",         "fig4-causal-chain-crash"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char src[1024], dst[1024], cmd[4096];
        snprintf(src, sizeof src, "%s/scenarios/%s.scn", PG_SOURCE_DIR, names[i]);
        snprintf(dst, sizeof dst, "%s/tests/rewrite-%s.scn", PG_BINARY_DIR, names[i]);
        struct scn s;
        assert_int_equal(scn_parse(src, &s, stderr), 0);
        char *text = scn_write(&s, NULL, NULL);
        FILE *f = fopen(dst, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        free(text);
        scn_free(&s);
        snprintf(cmd, sizeof cmd,
                 "cd %s/tests && ../pgroup run %s --brief --trace rewrite-a.jsonl >/dev/null && "
                 "../pgroup run %s --brief --trace rewrite-b.jsonl >/dev/null; "
                 "cmp -s rewrite-a.jsonl rewrite-b.jsonl",
                 PG_BINARY_DIR, src, dst);
        int rc = system(cmd);
        if (rc != 0)
            print_error("%s: the rewritten scenario gives another trace\n", names[i]);
        assert_int_equal(rc, 0);
    }
}

static const char edit_src[] = "name e\n"
                               "processes p1..p5 q\n"
                               "group g1 p1..p5\n"
                               "group g2 q p5\n"
                               "send p1..p5 group g1 order cbcast rate 40/s\n"
                               "send q group g2 order cbcast\n"
                               "at 1s crash p2\n"
                               "at 1.5s partition p1 p2 | p3\n"
                               "at 2s restart p2\n"
                               "at 2.5s join p2 g1\n"
                               "at 3s heal\n"
                               "at 3.5s loss 2.5%\n"
                               "run 6s\n"
                               "quiet 2s\n";

/* Dropping processes, faults and groups, and shortening the run. */
static void test_edits(void **state)
{
    struct scn s, t;
    parse_ok("e.scn", edit_src, &s);
    bool drop_proc[6] = {false, false, true, false, false, true}; /* p3, q */
    bool drop_fault[7] = {true};                                  /* the crash of p2 */
    struct scn_edit e = {.drop_proc = drop_proc, .drop_fault = drop_fault};
    char *text = scn_write(&s, &e, NULL);
    parse_ok("e2.scn", text, &t);
    /* q gone: g2 keeps p5; p3 gone: the partition has one block left; the
     * restart has no crash before it; the join stays */
    assert_int_equal(t.n_procs, 4);
    assert_int_equal(t.n_groups, 2);
    assert_int_equal(t.groups[1].n_members, 1);
    assert_int_equal(t.n_workloads, 1);
    assert_int_equal(t.n_faults, 3); /* join, heal, loss */
    assert_int_equal(t.faults[0].kind, SCN_F_JOIN);
    free(text);
    scn_free(&t);
    /* the run cut to 3s with 1s quiet: events from 2s on go, sends stop at 2s */
    struct scn_edit cut = {.run_ns = 3000000000, .quiet_ns = 1000000000};
    text = scn_write(&s, &cut, NULL);
    parse_ok("e3.scn", text, &t);
    assert_int_equal(t.n_faults, 2); /* crash, partition */
    assert_true(t.workloads[0].stop_ns == 2000000000);
    assert_null(strstr(text, "stop")); /* the default stop: the quiet start */
    free(text);
    scn_free(&t);
    scn_free(&s);
}

static void test_count_lines(void **state)
{
    assert_int_equal(scn_count_lines(""), 0);
    assert_int_equal(scn_count_lines("# c\n\n  \t\nrun 1s\n  # x\nquiet 1ms"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repo_round_trip),
        cmocka_unit_test(test_same_trace),
        cmocka_unit_test(test_edits),
        cmocka_unit_test(test_count_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
