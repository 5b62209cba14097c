/* tests/fuzz/fuzz_trace.c: the trace reader and the checker never crash on any
 * input, and every event they accept writes back to a line that reads back to
 * the same bytes (write -> read -> write is stable).
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chk.h"

#define FZ_HDR "{\"trace\":\"pgroup\",\"version\":1,\"scenario\":\"f\",\"seed\":1}\n"

struct fz_buf {
    char *p;
    size_t cap;
};

/* Writes e into b, growing it as needed; returns the length. */
static size_t fz_write(struct fz_buf *b, const struct chk_event *e)
{
    int n;
    while ((n = chk_event_write(e, b->p, b->cap)) < 0) {
        b->cap = b->cap ? b->cap * 2 : 4096;
        b->p = realloc(b->p, b->cap);
        assert(b->p);
    }
    return (size_t)n;
}

struct fz_inner {
    const char *want; /* the line the outer event wrote */
    size_t want_len;
    int seen;
};

static bool fz_inner_header(void *ctx, const struct chk_header *h)
{
    (void)ctx, (void)h;
    return true;
}

static void fz_inner_event(void *ctx, const struct chk_event *e)
{
    struct fz_inner *in = ctx;
    struct fz_buf b = {0};
    size_t n = fz_write(&b, e);
    assert(n == in->want_len && memcmp(b.p, in->want, n) == 0);
    free(b.p);
    in->seen++;
}

static bool fz_header(void *ctx, const struct chk_header *h)
{
    char buf[8192];
    int n = chk_header_write(h, buf, sizeof buf);
    (void)ctx, (void)n;
    return true;
}

/* Each accepted event: written, read back alone, written again: same bytes. */
static void fz_event(void *ctx, const struct chk_event *e)
{
    struct fz_buf *b = ctx;
    size_t n = fz_write(b, e);
    size_t hl = strlen(FZ_HDR);
    char *trace = malloc(hl + n);
    assert(trace);
    memcpy(trace, FZ_HDR, hl);
    memcpy(trace + hl, b->p, n);
    struct fz_inner in = {.want = b->p, .want_len = n};
    struct chk_trace_sink sink = {
        .on_header = fz_inner_header, .on_event = fz_inner_event, .ctx = &in};
    bool ok = chk_parse_trace_buf("inner", trace, hl + n, stderr, &sink);
    assert(ok && in.seen == 1);
    free(trace);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (!devnull)
        devnull = fopen("/dev/null", "w");
    const char *text = (const char *)data;
    struct chk *c = chk_read_trace_buf("fuzz", text, size, devnull);
    if (c) {
        chk_report(c, devnull);
        assert(chk_counts(c)->events < size);
        chk_free(c);
    }
    struct fz_buf b = {0};
    struct chk_trace_sink sink = {.on_header = fz_header, .on_event = fz_event, .ctx = &b};
    chk_parse_trace_buf("fuzz", text, size, NULL, &sink);
    free(b.p);
    return 0;
}
