/* sim/live/live_merge.c: merging the trace streams of a live run. See live_merge.h. */
#include "live_merge.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "chk.h"

#define LM_FILE_MAX ((size_t)1 << 34) /* bytes of one stream */

struct lm_stream {
    const char *path;
    char *buf;
    size_t len;
    size_t *off;    /* line k (0: the header) starts at buf + off[k] */
    size_t n_lines; /* the header included */
    double *t;      /* by line */
    uint64_t *lamport;
    size_t next; /* the next line to merge */
    bool bad;    /* an event without a Lamport clock, or one going back */
    size_t bad_line;
};

static int lm_read(struct lm_stream *s, FILE *err)
{
    FILE *f = fopen(s->path, "rb");
    if (!f) {
        fprintf(err, "%s: cannot read: %s\n", s->path, strerror(errno));
        return 2;
    }
    size_t cap = 1 << 16;
    s->buf = malloc(cap);
    assert(s->buf);
    size_t n;
    while ((n = fread(s->buf + s->len, 1, cap - s->len, f)) > 0) {
        s->len += n;
        if (s->len == cap && cap < LM_FILE_MAX) {
            cap *= 2;
            s->buf = realloc(s->buf, cap);
            assert(s->buf);
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(err, "%s: cannot read\n", s->path);
        return 2;
    }
    return 0;
}

/* Splits the stream into lines; a last line without its end is left out. */
static uint64_t lm_lines(struct lm_stream *s)
{
    uint64_t torn = 0;
    while (s->len > 0 && s->buf[s->len - 1] != '\n') {
        s->len--;
        torn = 1;
    }
    size_t cap = 1024;
    s->off = malloc(cap * sizeof *s->off);
    assert(s->off);
    for (size_t at = 0; at < s->len;) {
        if (s->n_lines == cap) {
            cap *= 2;
            s->off = realloc(s->off, cap * sizeof *s->off);
            assert(s->off);
        }
        s->off[s->n_lines++] = at;
        const char *nl = memchr(s->buf + at, '\n', s->len - at);
        assert(nl);
        at = (size_t)(nl - s->buf) + 1;
    }
    s->t = calloc(s->n_lines + 1, sizeof *s->t);
    s->lamport = calloc(s->n_lines + 1, sizeof *s->lamport);
    assert(s->t && s->lamport);
    return torn;
}

static bool lm_on_header(void *ctx, const struct chk_header *h)
{
    (void)ctx, (void)h;
    return true;
}

static void lm_on_event(void *ctx, const struct chk_event *e)
{
    struct lm_stream *s = ctx;
    size_t k = (size_t)e->line - 1;
    assert(k >= 1 && k < s->n_lines);
    s->t[k] = e->t;
    s->lamport[k] = e->lamport;
    if (!s->bad && (e->lamport == 0 || e->lamport <= s->lamport[k - 1])) {
        s->bad = true;
        s->bad_line = k + 1;
    }
}

static size_t lm_line_len(const struct lm_stream *s, size_t k)
{
    return (k + 1 < s->n_lines ? s->off[k + 1] : s->len) - s->off[k];
}

/* Reads, splits and checks one stream (the reader's checks, and its header
 * against the first stream's). */
static int lm_load(struct lm_stream *s, const struct lm_stream *first, enum live_merge_by by,
                   struct live_merged *m, FILE *err)
{
    if (lm_read(s, err) != 0)
        return 2;
    m->torn += lm_lines(s);
    struct chk_trace_sink sink = {.on_header = lm_on_header, .on_event = lm_on_event, .ctx = s};
    if (s->n_lines == 0 || !chk_parse_trace_buf(s->path, s->buf, s->len, err, &sink)) {
        if (s->n_lines == 0)
            fprintf(err, "%s:1: empty trace stream\n", s->path);
        return 2;
    }
    size_t hl = lm_line_len(s, 0);
    if (first && (hl != lm_line_len(first, 0) || memcmp(s->buf, first->buf, hl))) {
        fprintf(err, "%s:1: the header differs from %s's: not a stream of the same run\n", s->path,
                first->path);
        return 2;
    }
    if (by == LIVE_MERGE_BY_LAMPORT && s->bad) {
        fprintf(err, "%s:%zu: an event without a Lamport clock larger than the last one's\n",
                s->path, s->bad_line);
        return 2;
    }
    return 0;
}

/* Whether stream a's next line goes before stream b's. */
static bool lm_before(const struct lm_stream *a, const struct lm_stream *b, enum live_merge_by by)
{
    double ta = a->t[a->next], tb = b->t[b->next];
    uint64_t la = a->lamport[a->next], lb = b->lamport[b->next];
    if (by == LIVE_MERGE_BY_TIME && ta != tb)
        return ta < tb;
    return la < lb; /* then the lower stream: the caller scans in stream order */
}

static void lm_put(struct live_merged *m, size_t *cap, const char *p, size_t n)
{
    if (m->len + n + 1 > *cap) {
        while (m->len + n + 1 > *cap)
            *cap *= 2;
        m->buf = realloc(m->buf, *cap);
        assert(m->buf);
    }
    memcpy(m->buf + m->len, p, n);
    m->len += n;
    m->buf[m->len] = '\0';
}

/* Appends line k of s; its `t` raised to *last_t when smaller. */
static void lm_emit(struct live_merged *m, size_t *cap, const struct lm_stream *s, size_t k,
                    double *last_t)
{
    const char *line = s->buf + s->off[k];
    size_t n = lm_line_len(s, k);
    const char *rest = memchr(line, ',', n);
    if (s->t[k] >= *last_t || strncmp(line, "{\"t\":", 5) || !rest) {
        *last_t = s->t[k] > *last_t ? s->t[k] : *last_t;
        lm_put(m, cap, line, n);
        return;
    }
    char num[64];
    int w = snprintf(num, sizeof num, "{\"t\":%.9f", *last_t);
    assert(w > 0 && (size_t)w < sizeof num);
    while (num[w - 1] == '0')
        w--;
    if (num[w - 1] == '.')
        w--;
    lm_put(m, cap, num, (size_t)w);
    lm_put(m, cap, rest, n - (size_t)(rest - line));
    m->raised++;
}

static void lm_merge(struct lm_stream *st, uint32_t n, enum live_merge_by by, struct live_merged *m)
{
    size_t cap = 1 << 16;
    m->buf = malloc(cap);
    assert(m->buf);
    lm_put(m, &cap, st[0].buf, lm_line_len(&st[0], 0));
    for (uint32_t i = 0; i < n; i++)
        st[i].next = 1;
    double last_t = 0;
    for (;;) {
        struct lm_stream *best = NULL;
        for (uint32_t i = 0; i < n; i++)
            if (st[i].next < st[i].n_lines && (!best || lm_before(&st[i], best, by)))
                best = &st[i];
        if (!best)
            return;
        lm_emit(m, &cap, best, best->next++, &last_t);
        m->events++;
    }
}

int live_merge_files(const char *const *paths, uint32_t n, enum live_merge_by by,
                     struct live_merged *m, FILE *err)
{
    assert(n >= 1);
    *m = (struct live_merged){0};
    struct lm_stream *st = calloc(n, sizeof *st);
    assert(st);
    int rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        st[i].path = paths[i];
        rc = lm_load(&st[i], i ? &st[0] : NULL, by, m, err);
    }
    if (rc == 0)
        lm_merge(st, n, by, m);
    for (uint32_t i = 0; i < n; i++) {
        free(st[i].buf);
        free(st[i].off);
        free(st[i].t);
        free(st[i].lamport);
    }
    free(st);
    return rc;
}
