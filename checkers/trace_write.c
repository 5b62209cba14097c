/* checkers/trace_write.c: formats the header and events as JSON lines (TRACE.md).
 *
 * Hand-written for speed (it runs on every event of every traced run). Key
 * order is fixed; numbers are formatted so that the same event always gives
 * the same bytes: `t` (and the header's end/quiet_from) with "%.9f" and the
 * trailing zeros trimmed, integers in decimal.
 */
#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "chk_internal.h"

struct chk_wbuf {
    char *p;
    size_t cap, len;
    bool over;
};

static void wb_raw(struct chk_wbuf *b, const char *s, size_t n)
{
    if (b->over || n > b->cap - b->len) {
        b->over = true;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void wb_lit(struct chk_wbuf *b, const char *s)
{
    wb_raw(b, s, strlen(s));
}

/* Writes s as a JSON string: quotes, backslash and control characters escaped. */
static void wb_str(struct chk_wbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    wb_raw(b, "\"", 1);
    const char *run = s;
    for (;; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        wb_raw(b, run, (size_t)(s - run));
        run = s + 1;
        if (ch == 0)
            break;
        char esc[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
        const char *two = ch == '"'    ? "\\\""
                          : ch == '\\' ? "\\\\"
                          : ch == '\n' ? "\\n"
                          : ch == '\r' ? "\\r"
                          : ch == '\t' ? "\\t"
                          : ch == '\b' ? "\\b"
                          : ch == '\f' ? "\\f"
                                       : NULL;
        if (two)
            wb_raw(b, two, 2);
        else
            wb_raw(b, esc, sizeof esc);
    }
    wb_raw(b, "\"", 1);
}

/* `,"key":"value"` when value is present. `key` is the literal `,"key":`. */
static void wb_field(struct chk_wbuf *b, const char *key, const char *val)
{
    if (!val)
        return;
    wb_lit(b, key);
    wb_str(b, val);
}

static void wb_i64(struct chk_wbuf *b, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRId64, v);
    wb_raw(b, num, (size_t)n);
}

/* "%.9f" with trailing zeros (and a bare point) trimmed; -0 becomes 0. */
static void wb_seconds(struct chk_wbuf *b, double t)
{
    assert(isfinite(t));
    char num[400];
    int n = snprintf(num, sizeof num, "%.9f", t);
    assert(n > 0 && (size_t)n < sizeof num);
    while (num[n - 1] == '0')
        n--;
    if (num[n - 1] == '.')
        n--;
    if (n == 2 && num[0] == '-' && num[1] == '0')
        wb_raw(b, "0", 1);
    else
        wb_raw(b, num, (size_t)n);
}

static void wb_list(struct chk_wbuf *b, const char *key, const char *const *v, size_t n)
{
    wb_lit(b, key);
    wb_raw(b, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            wb_raw(b, ",", 1);
        assert(v[i]);
        wb_str(b, v[i]);
    }
    wb_raw(b, "]", 1);
}

/* Ends the line; returns its length or -1 when it did not fit (with a NUL after it). */
static int wb_end(struct chk_wbuf *b)
{
    wb_raw(b, "}\n", 2);
    if (b->over || b->len >= b->cap || b->len > INT32_MAX)
        return -1;
    b->p[b->len] = '\0';
    return (int)b->len;
}

int chk_header_write(const struct chk_header *h, char *buf, size_t cap)
{
    assert(h && (buf || cap == 0));
    struct chk_wbuf b = {.p = buf, .cap = cap};
    wb_lit(&b, "{\"trace\":\"pgroup\",\"version\":1,\"scenario\":");
    wb_str(&b, h->scenario ? h->scenario : "");
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRIu64, h->seed);
    wb_lit(&b, ",\"seed\":");
    wb_raw(&b, num, (size_t)n);
    wb_lit(&b, ",\"end\":");
    wb_seconds(&b, h->end_s);
    if (h->quiet_from_s >= 0) {
        wb_lit(&b, ",\"quiet_from\":");
        wb_seconds(&b, h->quiet_from_s);
    }
    if (h->expect) {
        wb_lit(&b, ",\"expect\":");
        wb_str(&b, h->expect);
    }
    return wb_end(&b);
}

/* Key order: t, lamport, ev, node, msg, order, group, to, from, view, domain, members,
 * clients, digest, kind, peer, detail, key, then extra_json verbatim. */
int chk_event_write(const struct chk_event *e, char *buf, size_t cap)
{
    assert(e && (buf || cap == 0));
    const char *ev = chk_ev_string(e);
    assert(ev && e->view >= -1);
    struct chk_wbuf b = {.p = buf, .cap = cap};
    wb_lit(&b, "{\"t\":");
    wb_seconds(&b, e->t);
    if (e->lamport) {
        wb_lit(&b, ",\"lamport\":");
        wb_i64(&b, (int64_t)e->lamport);
    }
    wb_field(&b, ",\"ev\":", ev);
    wb_field(&b, ",\"node\":", e->node);
    wb_field(&b, ",\"msg\":", e->msg);
    wb_field(&b, ",\"order\":", e->order);
    wb_field(&b, ",\"group\":", e->group);
    wb_field(&b, ",\"to\":", e->to);
    wb_field(&b, ",\"from\":", e->from);
    if (e->view != -1) {
        wb_lit(&b, ",\"view\":");
        wb_i64(&b, e->view);
    }
    wb_field(&b, ",\"domain\":", e->domain);
    if (e->members)
        wb_list(&b, ",\"members\":", e->members, e->n_members);
    if (e->members || e->clients)
        wb_list(&b, ",\"clients\":", e->clients, e->clients ? e->n_clients : 0);
    wb_field(&b, ",\"digest\":", e->digest);
    wb_field(&b, ",\"kind\":", e->kind);
    wb_field(&b, ",\"peer\":", e->peer);
    wb_field(&b, ",\"detail\":", e->detail);
    wb_field(&b, ",\"key\":", e->key);
    if (e->extra_json && e->extra_json[0]) {
        wb_raw(&b, ",", 1);
        wb_lit(&b, e->extra_json);
    }
    return wb_end(&b);
}
