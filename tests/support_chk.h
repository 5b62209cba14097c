/* tests/support_chk.h: a trace builder for the checker's tests.
 *
 * Owns: `struct tb`, which feeds hand-made events to a checker online and
 * writes them as a trace at the same time, so that tb_finish() can read the
 * trace back offline and require both verdicts and reports to agree.
 */
#ifndef PG_SUPPORT_CHK_H
#define PG_SUPPORT_CHK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chk.h"

struct tb {
    struct chk_header h;
    struct chk *c;
    uint64_t line;
    double t, step_s;
    char *text; /* the written trace */
    size_t text_len;
    FILE *out;
};

/* A checker over header `h`; every fed event is `step_s` later than the last. */
struct tb *tb_new(const struct chk_header *h, double step_s);

/* Feeds e (line and t filled in) online and writes it; returns chk_feed's result. */
int tb_feed(struct tb *b, struct chk_event *e);

/* chk_report of c, as a string (caller frees). */
char *report_of(const struct chk *c);

/* Finishes the run, reads the written trace back, checks both verdicts,
 * counts and reports agree, and returns the report (caller frees). */
char *tb_finish(struct tb *b);
void tb_free(struct tb *b);

/* Fails the test unless `needle` is in `hay`. */
void assert_contains(const char *hay, const char *needle);

#endif
