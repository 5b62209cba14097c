/* tests/support_chk.c: see support_chk.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support_chk.h"

struct tb *tb_new(const struct chk_header *h, double step_s)
{
    struct tb *b = calloc(1, sizeof *b);
    assert_non_null(b);
    b->h = *h;
    b->step_s = step_s;
    b->c = chk_new(&b->h);
    assert_non_null(b->c);
    b->out = open_memstream(&b->text, &b->text_len);
    assert_non_null(b->out);
    char buf[256];
    int n = chk_header_write(&b->h, buf, sizeof buf);
    assert_true(n > 0);
    fwrite(buf, 1, (size_t)n, b->out);
    b->line = 1;
    return b;
}

int tb_feed(struct tb *b, struct chk_event *e)
{
    e->line = ++b->line;
    b->t += b->step_s;
    e->t = b->t;
    char buf[4096];
    int n = chk_event_write(e, buf, sizeof buf);
    assert_true(n > 0);
    fwrite(buf, 1, (size_t)n, b->out);
    return chk_feed(b->c, e);
}

char *report_of(const struct chk *c)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    assert_non_null(f);
    chk_report(c, f);
    fclose(f);
    return s;
}

char *tb_finish(struct tb *b)
{
    chk_finish(b->c);
    fclose(b->out);
    b->out = NULL;
    char *online = report_of(b->c);
    struct chk *off = chk_read_trace_buf("mem.jsonl", b->text, b->text_len, stderr);
    assert_non_null(off);
    char *offline = report_of(off);
    assert_string_equal(online, offline);
    assert_int_equal(chk_passed(off), chk_passed(b->c));
    assert_int_equal(chk_counts(off)->events, chk_counts(b->c)->events);
    for (int r = 0; r < CHK_R_COUNT; r++)
        assert_int_equal(chk_violations(off, (enum chk_rule)r),
                         chk_violations(b->c, (enum chk_rule)r));
    free(offline);
    chk_free(off);
    return online;
}

void tb_free(struct tb *b)
{
    chk_free(b->c);
    free(b->text);
    free(b);
}

void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("expected to find\n%s\nin\n%s", needle, hay);
}
