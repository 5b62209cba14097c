/* checkers/trace_read.c: reads a JSON Lines trace (TRACE.md) with cJSON and
 * feeds each event to a checker built from its header.
 *
 * Every problem is reported as `PATH:LINE: message` and makes the read fail:
 * bad JSON, a line that is not an object, a missing or mistyped field, an
 * unknown version, `t` going back. And the limits of TRACE.md: a line over
 * CHK_LINE_MAX bytes (refused as soon as that many bytes came without a
 * '\n': a file is read through one bounded buffer), bytes that are not
 * UTF-8 or are control characters, a name (node, group, msg, ...) that is
 * empty, longer than CHK_NAME_MAX or holds a control character, a fault of
 * an unknown kind or with a value out of range, an event after the header's
 * `end`, or a `quiet_from` after it. An unknown `ev` is kept as
 * CHK_EV_OTHER; the undocumented ones are counted in a note on `err`.
 * Fields the reader does not know are kept, in order, as extra_json, so that
 * writing an event read back gives the same bytes.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "chk_internal.h"

#define RD_EXACT_MAX 9007199254740992.0 /* 2^53: integers a double holds exactly */

struct chk_reader {
    const char *name;
    FILE *err;
    const struct chk_trace_sink *sink;
    bool have_header;
    double last_t;
    double end_s;                     /* the header's `end`, INFINITY when absent */
    uint64_t n_unknown, unknown_line; /* events of undocumented kinds; the first's line */
    char unknown_ev[CHK_NAME_MAX + 1];
    uint64_t line;
    char *copy; /* the current line, NUL-terminated */
    size_t copy_cap;
    const char **arr; /* members then clients of the current event */
    size_t arr_cap, arr_len;
    bool slow_only;  /* every line through cJSON (tests compare the two paths) */
    uint64_t n_fast; /* event lines the fast path took */
    char *extra;     /* extra_json of the current event */
    size_t extra_len, extra_cap;
};

/* String fields of an event, by key. All are names (rd_name) but the free
 * text of `digest` and `detail`, whose bytes are checked with their line. */
static const struct {
    const char *key;
    size_t off;
    bool free_text;
} rd_str_fields[] = {
    {"ev", offsetof(struct chk_event, ev_name), false},
    {"node", offsetof(struct chk_event, node), false},
    {"msg", offsetof(struct chk_event, msg), false},
    {"order", offsetof(struct chk_event, order), false},
    {"group", offsetof(struct chk_event, group), false},
    {"to", offsetof(struct chk_event, to), false},
    {"from", offsetof(struct chk_event, from), false},
    {"domain", offsetof(struct chk_event, domain), false},
    {"digest", offsetof(struct chk_event, digest), true},
    {"kind", offsetof(struct chk_event, kind), false},
    {"peer", offsetof(struct chk_event, peer), false},
    {"detail", offsetof(struct chk_event, detail), true},
    {"key", offsetof(struct chk_event, key), false},
};
#define RD_N_STR (sizeof rd_str_fields / sizeof rd_str_fields[0])
enum { RD_K_T = RD_N_STR, RD_K_VIEW, RD_K_MEMBERS, RD_K_CLIENTS, RD_K_LAMPORT, RD_N_KEYS };
_Static_assert(RD_N_KEYS <= 32, "rd_field's `seen` has one bit per key");

static bool rd_fail(struct chk_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool rd_fail(struct chk_reader *r, const char *fmt, ...)
{
    if (!r->err)
        return false;
    va_list ap;
    va_start(ap, fmt);
    fprintf(r->err, "%s:%llu: ", r->name, (unsigned long long)r->line);
    vfprintf(r->err, fmt, ap);
    fputc('\n', r->err);
    va_end(ap);
    return false;
}

/* ---- bytes and names ---- */

/* Length of the valid UTF-8 sequence at s (n > 0 bytes left), or 0 when it
 * is invalid: overlong, a surrogate, above U+10FFFF, or cut short. */
static size_t rd_utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp, min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, cp = c & 0x1fu, min = 0x80;
    else if ((c & 0xf0) == 0xe0)
        len = 3, cp = c & 0x0fu, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, cp = c & 0x07u, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3fu);
    }
    return cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0 : len;
}

/* What is wrong with a line's first bad byte. */
enum rd_byte { RD_BYTE_OK, RD_BYTE_NUL, RD_BYTE_CONTROL, RD_BYTE_UTF8, RD_BYTE_NUL_ESCAPE };

/* A line's bytes: UTF-8, no control character but tab and CR (cJSON would
 * let them into strings), and no `\u0000` escape (cJSON would cut the
 * string there). Returns the problem and sets *at to the 0-based offset of
 * the first bad byte. */
static enum rd_byte rd_bad_byte(const char *s, size_t n, size_t *at)
{
    const unsigned char *u = (const unsigned char *)s;
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    for (size_t i = 0; i < n;) {
        uint64_t w;
        if (n - i >= 8 && (memcpy(&w, u + i, 8), (w & highs) == 0) &&
            ((w - 0x20 * ones) & ~w & highs) == 0 && (((w ^ 0x5c * ones) - ones) & highs) == 0) {
            i += 8; /* eight printable ASCII bytes, none a backslash */
            continue;
        }
        unsigned char c = u[i];
        *at = i;
        if (c >= 0x20 && c <= 0x7f && c != '\\') {
            i++;
        } else if (c == '\\') {
            if (n - i >= 6 && !memcmp(s + i + 1, "u0000", 5))
                return RD_BYTE_NUL_ESCAPE;
            i += n - i >= 2 ? 2 : 1; /* the escaped character is not a backslash */
        } else if (c == '\t' || c == '\r') {
            i++;
        } else if (c < 0x20) {
            return c ? RD_BYTE_CONTROL : RD_BYTE_NUL;
        } else {
            size_t len = rd_utf8_len(u + i, n - i);
            if (len == 0)
                return RD_BYTE_UTF8;
            i += len;
        }
    }
    return RD_BYTE_OK;
}

/* Refuses a line with a bad byte (see rd_bad_byte). */
static bool rd_text_ok(struct chk_reader *r, const char *s, size_t n)
{
    size_t at = 0;
    unsigned c;
    switch (rd_bad_byte(s, n, &at)) {
    case RD_BYTE_OK:
        return true;
    case RD_BYTE_NUL:
        return rd_fail(r,
                       "byte %zu is a NUL byte: a trace is UTF-8 JSON text, not binary "
                       "(checkers/TRACE.md)",
                       at + 1);
    case RD_BYTE_CONTROL:
        c = (unsigned char)s[at];
        return rd_fail(r,
                       "byte %zu is the control character 0x%02x: a trace is UTF-8 JSON text "
                       "(checkers/TRACE.md)",
                       at + 1, c);
    case RD_BYTE_UTF8:
        c = (unsigned char)s[at];
        return rd_fail(r,
                       "byte %zu (0x%02x) is not valid UTF-8: a trace is UTF-8 JSON text "
                       "(checkers/TRACE.md)",
                       at + 1, c);
    default:
        return rd_fail(r,
                       "byte %zu starts the escape \\u0000 (a NUL character), which a trace "
                       "may not hold (checkers/TRACE.md)",
                       at + 1);
    }
}

/* A name of TRACE.md (node, group, msg, ...), as decoded by cJSON: 1 to
 * CHK_NAME_MAX bytes of UTF-8 without control characters. `key` and `index`
 * (>= 0 in a list) name it in the message. */
static bool rd_name(struct chk_reader *r, const char *key, long index, const char *s)
{
    size_t n = strlen(s), i = 0, len = 1;
    const unsigned char *u = (const unsigned char *)s;
    while (i < n && u[i] >= 0x20 && u[i] != 0x7f &&
           (len = u[i] < 0x80 ? 1 : rd_utf8_len(u + i, n - i)) > 0)
        i += len;
    if (n > 0 && n <= CHK_NAME_MAX && i == n)
        return true;
    char where[64]; /* formatted only for the message: names are on the hot path */
    if (index >= 0)
        snprintf(where, sizeof where, "\"%s\"[%ld]", key, index);
    else
        snprintf(where, sizeof where, "\"%s\"", key);
    if (n == 0 || n > CHK_NAME_MAX)
        return rd_fail(r, "field %s is %s: a name has 1 to %u bytes", where,
                       n ? "too long" : "empty", CHK_NAME_MAX);
    if (len == 0)
        return rd_fail(r, "field %s is not UTF-8", where);
    return rd_fail(r, "field %s holds the control character 0x%02x: not a name", where,
                   (unsigned)u[i]);
}

/* Parses the current line (r->copy, n bytes) into a JSON object, or NULL after an error. */
static cJSON *rd_parse(struct chk_reader *r, size_t n)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(r->copy, n, &end, false);
    if (!j) {
        size_t at = end && end >= r->copy ? (size_t)(end - r->copy) : 0;
        rd_fail(r, "bad JSON at byte %zu", at + 1);
        return NULL;
    }
    for (const char *p = end; p < r->copy + n; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r') {
            rd_fail(r, "bad JSON: unexpected text after the object at byte %zu",
                    (size_t)(p - r->copy) + 1);
            cJSON_Delete(j);
            return NULL;
        }
    }
    if (!cJSON_IsObject(j)) {
        rd_fail(r, "a trace line must be a JSON object");
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

static bool rd_finite(struct chk_reader *r, const cJSON *it, const char *key, double *out)
{
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
        return rd_fail(r, "field \"%s\" must be a finite number", key);
    *out = it->valuedouble;
    return true;
}

/* The seed, exactly even above 2^53 (cJSON keeps only a double). */
static bool rd_seed(struct chk_reader *r, const cJSON *it, uint64_t *out)
{
    static const double two64 = 18446744073709551616.0;
    double d = cJSON_IsNumber(it) ? it->valuedouble : -1;
    if (!(d >= 0 && d <= two64 && d == floor(d)))
        return rd_fail(r, "field \"seed\" must be an integer from 0 to 2^64-1");
    if (d < RD_EXACT_MAX) {
        *out = (uint64_t)d;
        return true;
    }
    const char *p = strstr(r->copy, "\"seed\":");
    if (p && p[7] >= '0' && p[7] <= '9') {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p + 7, &end, 10);
        if (errno == 0 && (double)v == d) {
            *out = v;
            return true;
        }
    }
    if (d >= two64)
        return rd_fail(r, "field \"seed\" must be an integer from 0 to 2^64-1");
    *out = (uint64_t)d; /* written by another tool: the nearest double */
    return true;
}

static bool rd_header_fields(struct chk_reader *r, const cJSON *j, struct chk_header *h)
{
    const cJSON *trace = cJSON_GetObjectItemCaseSensitive(j, "trace");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(j, "version");
    const cJSON *scenario = cJSON_GetObjectItemCaseSensitive(j, "scenario");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(j, "seed");
    const cJSON *end = cJSON_GetObjectItemCaseSensitive(j, "end");
    const cJSON *quiet = cJSON_GetObjectItemCaseSensitive(j, "quiet_from");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(j, "expect");
    if (!cJSON_IsString(trace) || strcmp(trace->valuestring, "pgroup") != 0)
        return rd_fail(r, "not a pgroup trace: line 1 needs \"trace\":\"pgroup\"");
    if (!cJSON_IsNumber(version))
        return rd_fail(r, "header: missing or non-numeric field \"version\"");
    if (version->valuedouble != 1)
        return rd_fail(r, "unsupported trace version %g (this checker reads version 1)",
                       version->valuedouble);
    if (!cJSON_IsString(scenario))
        return rd_fail(r, "header: field \"scenario\" must be a string");
    if (!rd_name(r, "scenario", -1, scenario->valuestring))
        return false;
    if (!seed)
        return rd_fail(r, "header: missing field \"seed\"");
    *h = (struct chk_header){.scenario = scenario->valuestring, .quiet_from_s = -1};
    if (!rd_seed(r, seed, &h->seed))
        return false;
    if (end && !rd_finite(r, end, "end", &h->end_s))
        return false;
    if (quiet && !rd_finite(r, quiet, "quiet_from", &h->quiet_from_s))
        return false;
    if (end && h->end_s < 0)
        return rd_fail(r, "header: field \"end\" must not be negative");
    if (quiet && h->quiet_from_s < 0)
        return rd_fail(r, "header: field \"quiet_from\" must not be negative");
    if (end && quiet && h->quiet_from_s > h->end_s)
        return rd_fail(r, "header: quiet_from %.9g is after end %.9g", h->quiet_from_s, h->end_s);
    r->end_s = end ? h->end_s : INFINITY;
    if (expect && (!cJSON_IsString(expect) || chk_rule_parse(expect->valuestring) < 0))
        return rd_fail(r, "header: field \"expect\" must name a rule (e.g. \"integrity\")");
    h->expect = expect ? expect->valuestring : NULL;
    return true;
}

static bool rd_header(struct chk_reader *r, size_t n)
{
    cJSON *j = rd_parse(r, n);
    if (!j)
        return false;
    struct chk_header h;
    bool ok = rd_header_fields(r, j, &h);
    if (ok && !r->sink->on_header(r->sink->ctx, &h))
        ok = rd_fail(r, "out of memory");
    r->have_header = ok;
    cJSON_Delete(j);
    return ok;
}

static int rd_key(const char *k)
{
    for (size_t i = 0; i < RD_N_STR; i++)
        if (!strcmp(k, rd_str_fields[i].key))
            return (int)i;
    return !strcmp(k, "t")         ? RD_K_T
           : !strcmp(k, "view")    ? RD_K_VIEW
           : !strcmp(k, "members") ? RD_K_MEMBERS
           : !strcmp(k, "clients") ? RD_K_CLIENTS
           : !strcmp(k, "lamport") ? RD_K_LAMPORT
                                   : -1;
}

static bool rd_extra_put(struct chk_reader *r, const char *s)
{
    size_t n = strlen(s);
    if (!chk_vec_reserve((void **)&r->extra, &r->extra_cap, r->extra_len + n + 2, 1))
        return false;
    memcpy(r->extra + r->extra_len, s, n + 1);
    r->extra_len += n;
    return true;
}

/* ---- raw member spans: unknown fields are kept byte for byte ---- */

/* Walks the top-level members of the line's object in step with cJSON's
 * children (cJSON keeps member order). The line already parsed, so the
 * scanner only needs to find boundaries; it stays within [p, end). */
struct rd_scan {
    const char *p, *end;
};

static const char *rd_skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

static const char *rd_skip_string(const char *p, const char *end)
{
    for (p++; p < end && *p != '"'; p++)
        if (*p == '\\' && p + 1 < end)
            p++;
    return p < end ? p + 1 : end;
}

static const char *rd_skip_value(const char *p, const char *end)
{
    int depth = 0;
    while (p < end) {
        char ch = *p;
        if (ch == '"') {
            p = rd_skip_string(p, end);
            continue;
        }
        if (ch == '{' || ch == '[')
            depth++;
        else if ((ch == '}' || ch == ']') && depth-- == 0)
            return p;
        else if (ch == ',' && depth == 0)
            return p;
        p++;
    }
    return p;
}

static void rd_scan_start(struct rd_scan *sc, const char *s, size_t n)
{
    sc->end = s + n;
    sc->p = rd_skip_ws(s, sc->end);
    if (sc->end - sc->p >= 3 && !memcmp(sc->p, "\xEF\xBB\xBF", 3)) /* cJSON skips a BOM */
        sc->p = rd_skip_ws(sc->p + 3, sc->end);
    sc->p = sc->p < sc->end && *sc->p == '{' ? sc->p + 1 : sc->end;
}

/* The next member's span `"key":value` (value's trailing blanks excluded); false at the end. */
static bool rd_scan_next(struct rd_scan *sc, const char **start, size_t *len)
{
    const char *p = rd_skip_ws(sc->p, sc->end);
    if (p >= sc->end || *p != '"')
        return false;
    *start = p;
    p = rd_skip_ws(rd_skip_string(p, sc->end), sc->end);
    if (p >= sc->end || *p != ':')
        return false;
    p = rd_skip_value(p + 1, sc->end);
    const char *stop = p;
    while (stop > *start && (stop[-1] == ' ' || stop[-1] == '\t' || stop[-1] == '\r'))
        stop--;
    *len = (size_t)(stop - *start);
    sc->p = p < sc->end && *p == ',' ? p + 1 : sc->end;
    return true;
}

static bool rd_extra_raw(struct chk_reader *r, const char *span, size_t n)
{
    if (!chk_vec_reserve((void **)&r->extra, &r->extra_cap, r->extra_len + n + 2, 1))
        return rd_fail(r, "out of memory");
    if (r->extra_len)
        r->extra[r->extra_len++] = ',';
    memcpy(r->extra + r->extra_len, span, n);
    r->extra_len += n;
    r->extra[r->extra_len] = '\0';
    return true;
}

/* Keeps an unknown field as `"key":value` in extra_json: its raw bytes when
 * the scanner found them, else cJSON's rendering. */
static bool rd_extra(struct chk_reader *r, const cJSON *it, const char *span, size_t n)
{
    if (span)
        return rd_extra_raw(r, span, n);
    cJSON *key = cJSON_CreateString(it->string);
    char *k = key ? cJSON_PrintUnformatted(key) : NULL;
    char *v = cJSON_PrintUnformatted(it);
    bool ok = k && v && (r->extra_len == 0 || rd_extra_put(r, ",")) && rd_extra_put(r, k) &&
              rd_extra_put(r, ":") && rd_extra_put(r, v);
    cJSON_free(k);
    cJSON_free(v);
    cJSON_Delete(key);
    return ok ? true : rd_fail(r, "out of memory");
}

static bool rd_view(struct chk_reader *r, const cJSON *it, int64_t *out)
{
    double d = cJSON_IsNumber(it) ? it->valuedouble : -1;
    if (!(d >= 0 && d <= RD_EXACT_MAX && d == floor(d)))
        return rd_fail(r, "field \"view\" must be an integer from 0 to 2^53");
    *out = (int64_t)d;
    return true;
}

static bool rd_lamport(struct chk_reader *r, const cJSON *it, uint64_t *out)
{
    double d = cJSON_IsNumber(it) ? it->valuedouble : -1;
    if (!(d >= 1 && d <= RD_EXACT_MAX && d == floor(d)))
        return rd_fail(r, "field \"lamport\" must be an integer from 1 to 2^53");
    *out = (uint64_t)d;
    return true;
}

/* Fills members and clients from their arrays (either may be NULL). */
static bool rd_lists(struct chk_reader *r, const cJSON *mem, const cJSON *cli, struct chk_event *e)
{
    size_t nm = mem ? (size_t)cJSON_GetArraySize(mem) : 0;
    size_t nc = cli ? (size_t)cJSON_GetArraySize(cli) : 0;
    if (!chk_vec_reserve((void **)&r->arr, &r->arr_cap, nm + nc + 1, sizeof *r->arr))
        return rd_fail(r, "out of memory");
    size_t i = 0;
    const cJSON *lists[2] = {mem, cli};
    for (int l = 0; l < 2; l++) {
        const cJSON *it;
        cJSON_ArrayForEach(it, lists[l])
        {
            if (!cJSON_IsString(it))
                return rd_fail(r, "field \"%s\" must be an array of strings",
                               l ? "clients" : "members");
            if (!rd_name(r, l ? "clients" : "members", (long)(i - (l ? nm : 0)), it->valuestring))
                return false;
            r->arr[i++] = it->valuestring;
        }
    }
    assert(i == nm + nc);
    e->members = mem ? r->arr : NULL;
    e->n_members = nm;
    e->clients = cli ? r->arr + nm : NULL;
    e->n_clients = nc;
    return true;
}

/* One field of an event; `seen` catches duplicate keys. */
static bool rd_field(struct chk_reader *r, const cJSON *it, struct chk_event *e, uint32_t *seen,
                     const cJSON **lists, struct rd_scan *sc)
{
    const char *span = NULL;
    size_t span_len = 0;
    if (sc && !rd_scan_next(sc, &span, &span_len))
        span = NULL;
    int k = rd_key(it->string);
    if (k < 0)
        return rd_extra(r, it, span, span_len);
    if (*seen & (1u << k))
        return rd_fail(r, "duplicate field \"%s\"", it->string);
    *seen |= 1u << k;
    if (k < (int)RD_N_STR) {
        if (!cJSON_IsString(it))
            return rd_fail(r, "field \"%s\" must be a string", it->string);
        if (!rd_str_fields[k].free_text && !rd_name(r, it->string, -1, it->valuestring))
            return false;
        *(const char **)((char *)e + rd_str_fields[k].off) = it->valuestring;
        return true;
    }
    switch (k) {
    case RD_K_T:
        return rd_finite(r, it, "t", &e->t);
    case RD_K_VIEW:
        return rd_view(r, it, &e->view);
    case RD_K_LAMPORT:
        return rd_lamport(r, it, &e->lamport);
    case RD_K_MEMBERS:
    case RD_K_CLIENTS:
        if (!cJSON_IsArray(it))
            return rd_fail(r, "field \"%s\" must be an array of strings", it->string);
        lists[k - RD_K_MEMBERS] = it;
        return true;
    default:
        assert(!"unknown key kind");
        return false;
    }
}

/* ---- faults: every kind the simulator writes (sim/driver/timeline.c), with its fields ---- */

enum rd_fv { RD_FV_NONE, RD_FV_PROB, RD_FV_SECONDS, RD_FV_NAME, RD_FV_BOOL, RD_FV_BLOCKS };

static const struct {
    const char *kind;
    const char *key[3];
    enum rd_fv type[3];
} rd_faults[] = {
    {"partition", {"blocks"}, {RD_FV_BLOCKS}},
    {"heal", {NULL}, {RD_FV_NONE}},
    {"cut", {"src", "dst", "both"}, {RD_FV_NAME, RD_FV_NAME, RD_FV_BOOL}},
    {"isolate", {"proc"}, {RD_FV_NAME}},
    {"loss", {"p"}, {RD_FV_PROB}},
    {"duplicate", {"p"}, {RD_FV_PROB}},
    {"garble", {"p"}, {RD_FV_PROB}},
    {"delay", {"delay_s", "jitter_s"}, {RD_FV_SECONDS, RD_FV_SECONDS}},
    {"sabotage", {"proc", "what"}, {RD_FV_NAME, RD_FV_NAME}},
    {"join", {"proc", "group"}, {RD_FV_NAME, RD_FV_NAME}},
    {"leave", {"proc", "group"}, {RD_FV_NAME, RD_FV_NAME}},
    {"hier-move", {"range", "to"}, {RD_FV_NAME, RD_FV_NAME}},
    {"hier-rebalance", {NULL}, {RD_FV_NONE}},
};
#define RD_N_FAULTS (sizeof rd_faults / sizeof rd_faults[0])

/* `blocks`: at least two non-empty lists of names. */
static bool rd_blocks(struct chk_reader *r, const cJSON *it)
{
    if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) < 2)
        return rd_fail(r, "field \"blocks\" of a partition must list at least two blocks");
    const cJSON *b, *n;
    cJSON_ArrayForEach(b, it)
    {
        if (!cJSON_IsArray(b) || cJSON_GetArraySize(b) < 1)
            return rd_fail(r, "field \"blocks\" of a partition must list non-empty lists of "
                              "node names");
        long k = 0;
        cJSON_ArrayForEach(n, b)
        {
            if (!cJSON_IsString(n))
                return rd_fail(r, "field \"blocks\" of a partition must hold node names");
            if (!rd_name(r, "blocks", k++, n->valuestring))
                return false;
        }
    }
    return true;
}

static bool rd_fault_field(struct chk_reader *r, const char *kind, const char *key, enum rd_fv type,
                           const cJSON *it)
{
    double d = cJSON_IsNumber(it) ? it->valuedouble : NAN;
    switch (type) {
    case RD_FV_PROB:
        if (!(d >= 0 && d <= 1))
            return rd_fail(r, "field \"%s\" of a %s fault must be a probability from 0 to 1", key,
                           kind);
        return true;
    case RD_FV_SECONDS:
        if (!(d >= 0 && isfinite(d)))
            return rd_fail(r,
                           "field \"%s\" of a %s fault must be a finite number of seconds, "
                           "not negative",
                           key, kind);
        return true;
    case RD_FV_NAME:
        if (!cJSON_IsString(it))
            return rd_fail(r, "field \"%s\" of a %s fault must be a name", key, kind);
        return rd_name(r, key, -1, it->valuestring);
    case RD_FV_BOOL:
        if (!cJSON_IsBool(it))
            return rd_fail(r, "field \"%s\" of a %s fault must be true or false", key, kind);
        return true;
    case RD_FV_BLOCKS:
        return rd_blocks(r, it);
    default:
        assert(!"unknown fault field type");
        return false;
    }
}

/* A fault event: a documented kind with its fields, each in range. */
static bool rd_fault(struct chk_reader *r, const cJSON *j, const char *kind)
{
    size_t f = 0;
    while (f < RD_N_FAULTS && strcmp(rd_faults[f].kind, kind))
        f++;
    if (f == RD_N_FAULTS)
        return rd_fail(
            r,
            "unknown fault kind \"%.64s\" (checkers/TRACE.md lists partition, heal, cut, "
            "isolate, loss, duplicate, garble, delay, sabotage, join, leave)",
            kind);
    for (size_t k = 0; k < 3 && rd_faults[f].key[k]; k++) {
        const char *key = rd_faults[f].key[k];
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(j, key);
        if (!it)
            return rd_fail(r, "%s fault without field \"%s\"", kind, key);
        if (!rd_fault_field(r, kind, key, rd_faults[f].type[k], it))
            return false;
    }
    return true;
}

/* Builds the event of a parsed line; strings stay owned by j and r. */
static bool rd_event_fields(struct chk_reader *r, const cJSON *j, size_t n, struct chk_event *e)
{
    *e = (struct chk_event){.view = -1, .line = r->line};
    r->extra_len = 0;
    uint32_t seen = 0;
    const cJSON *lists[2] = {NULL, NULL};
    struct rd_scan sc;
    rd_scan_start(&sc, r->copy, n);
    const cJSON *it;
    cJSON_ArrayForEach(it, j)
    {
        if (!rd_field(r, it, e, &seen, lists, &sc))
            return false;
    }
    if (!(seen & (1u << RD_K_T)))
        return rd_fail(r, "missing field \"t\"");
    if (!e->ev_name)
        return rd_fail(r, "missing field \"ev\"");
    if (!rd_lists(r, lists[0], lists[1], e))
        return false;
    e->extra_json = r->extra_len ? r->extra : NULL;
    e->ev = chk_ev_parse(e->ev_name);
    const char *missing = chk_event_missing(e);
    if (missing)
        return rd_fail(r, "%s event without field \"%s\"", e->ev_name, missing);
    if (e->t < 0)
        return rd_fail(r, "field \"t\" must not be negative");
    if (e->t < r->last_t)
        return rd_fail(r, "t goes back in time (%.9g after %.9g)", e->t, r->last_t);
    if (e->t > r->end_s)
        return rd_fail(r, "event at t = %.9g is past the header's end (%.9g)", e->t, r->end_s);
    if (e->ev == CHK_EV_FAULT && !rd_fault(r, j, e->kind))
        return false;
    r->last_t = e->t;
    return true;
}

/* Counts an event of an undocumented kind and hands a good event to the sink. */
static void rd_event_deliver(struct chk_reader *r, const struct chk_event *e, bool ok)
{
    if (ok && e->ev == CHK_EV_OTHER && !chk_ev_documented(e->ev_name) && r->n_unknown++ == 0) {
        snprintf(r->unknown_ev, sizeof r->unknown_ev, "%s", e->ev_name);
        r->unknown_line = r->line;
    }
    if (ok)
        r->sink->on_event(r->sink->ctx, e);
}

/* ---- the fast path: the event lines the writer emits ---- */

/* trace_write.c writes an event as one compact object: known keys, strings
 * without escapes, JSON numbers, and the members/clients arrays of names.
 * rd_fast parses exactly that shape in place (no allocation, no cJSON) and
 * fills `e` as the cJSON path would; anything else (a blank, an escape, an
 * unknown or repeated key, a fault, any value out of range, anything the
 * cJSON path would refuse) makes it answer false, and the line goes through
 * the cJSON path, which keeps it or reports it. It writes NULs into r->copy:
 * the caller copies the line again before that path. tests/test_chk.c
 * checks that both paths give the same events. */
struct rd_fcur {
    char *p, *end;
};

/* A string value without escapes, NUL-terminated in place. `name`: a name
 * of TRACE.md (1 to CHK_NAME_MAX bytes, no control character; the line's
 * bytes were already checked to be UTF-8 without control characters but
 * tab and CR). */
static const char *rd_fast_str(struct rd_fcur *c, bool name)
{
    if (c->p >= c->end || *c->p != '"')
        return NULL;
    char *start = ++c->p;
    while (c->p < c->end && *c->p != '"') {
        unsigned char u = (unsigned char)*c->p;
        if (u == '\\' || (name && (u < 0x20 || u == 0x7f)))
            return NULL;
        c->p++;
    }
    if (c->p >= c->end || (name && (c->p == start || c->p - start > CHK_NAME_MAX)))
        return NULL;
    *c->p++ = '\0';
    return start;
}

/* The double nearest the JSON number [p, q), as strtod gives it. Up to 15
 * significant digits and 22 decimals without exponent, it is the quotient
 * of two doubles that are exact (digits < 2^53, 10^k for k <= 22), and a
 * division rounds correctly (Clinger's fast path); else strtod. */
static double rd_fast_decimal(const char *p, const char *q)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *s = p;
    bool neg = s < q && *s == '-';
    s += neg;
    uint64_t m = 0;
    int digits = 0, decimals = 0;
    bool frac = false;
    for (; s < q; s++) {
        if (*s == '.') {
            frac = true;
            continue;
        }
        if (*s < '0' || *s > '9')
            break; /* an exponent */
        m = m * 10 + (uint64_t)(*s - '0');
        digits += m > 0;
        decimals += frac;
    }
    if (s == q && digits <= 15 && decimals <= 22) {
        double v = (double)m / pow10[decimals];
        return neg ? -v : v;
    }
    char buf[64];
    size_t n = (size_t)(q - p);
    if (n >= sizeof buf)
        return NAN;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return strtod(buf, NULL);
}

/* A JSON number (strict grammar), as cJSON reads it (strtod). */
static bool rd_fast_num(struct rd_fcur *c, double *out)
{
    char *q = c->p, *e = c->end;
    if (q < e && *q == '-')
        q++;
    if (q >= e || *q < '0' || *q > '9')
        return false;
    if (*q == '0')
        q++;
    else
        while (q < e && *q >= '0' && *q <= '9')
            q++;
    if (q < e && *q == '.') {
        if (++q >= e || *q < '0' || *q > '9')
            return false;
        while (q < e && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < e && (*q == 'e' || *q == 'E')) {
        if (++q < e && (*q == '+' || *q == '-'))
            q++;
        if (q >= e || *q < '0' || *q > '9')
            return false;
        while (q < e && *q >= '0' && *q <= '9')
            q++;
    }
    *out = rd_fast_decimal(c->p, q);
    c->p = q;
    return isfinite(*out);
}

/* The key at c (no escapes), as rd_key numbers it; -1 if unknown. */
static int rd_fast_key(struct rd_fcur *c)
{
    static const struct {
        const char *k;
        size_t n;
        int id;
    } keys[] = {{"t", 1, RD_K_T},
                {"ev", 2, 0},
                {"node", 4, 1},
                {"msg", 3, 2},
                {"order", 5, 3},
                {"group", 5, 4},
                {"view", 4, RD_K_VIEW},
                {"from", 4, 6},
                {"to", 2, 5},
                {"members", 7, RD_K_MEMBERS},
                {"clients", 7, RD_K_CLIENTS},
                {"domain", 6, 7},
                {"digest", 6, 8},
                {"kind", 4, 9},
                {"peer", 4, 10},
                {"detail", 6, 11},
                {"lamport", 7, RD_K_LAMPORT}};
    if (c->p >= c->end || *c->p != '"')
        return -1;
    char *start = c->p + 1, *q = memchr(start, '"', (size_t)(c->end - start));
    if (!q || q + 1 >= c->end || q[1] != ':')
        return -1;
    size_t n = (size_t)(q - start);
    c->p = q + 2;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (keys[i].n == n && !memcmp(keys[i].k, start, n))
            return keys[i].id; /* the same as rd_key (tests/test_chk.c) */
    return -1;
}

/* members or clients: an array of names into r->arr (members first). */
static bool rd_fast_list(struct chk_reader *r, struct rd_fcur *c, size_t *n)
{
    *n = 0;
    if (c->p >= c->end || *c->p++ != '[')
        return false;
    if (c->p < c->end && *c->p == ']') {
        c->p++;
        return true;
    }
    for (;;) {
        const char *name = rd_fast_str(c, true);
        if (!name ||
            !chk_vec_reserve((void **)&r->arr, &r->arr_cap, r->arr_len + 2, sizeof *r->arr))
            return false;
        r->arr[r->arr_len++] = name;
        (*n)++;
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        return c->p < c->end && *c->p++ == ']';
    }
}

/* One `"key":value` of the fast path. */
static bool rd_fast_field(struct chk_reader *r, struct rd_fcur *c, struct chk_event *e,
                          uint32_t *seen, size_t *nm, size_t *nc, size_t at[2])
{
    int k = rd_fast_key(c);
    if (k < 0 || (*seen & (1u << k)))
        return false;
    *seen |= 1u << k;
    if (k < (int)RD_N_STR) {
        const char *v = rd_fast_str(c, !rd_str_fields[k].free_text);
        *(const char **)((char *)e + rd_str_fields[k].off) = v;
        return v != NULL;
    }
    double d;
    switch (k) {
    case RD_K_T:
        return rd_fast_num(c, &e->t);
    case RD_K_VIEW:
        if (!rd_fast_num(c, &d) || !(d >= 0 && d <= RD_EXACT_MAX && d == floor(d)))
            return false;
        e->view = (int64_t)d;
        return true;
    case RD_K_LAMPORT:
        if (!rd_fast_num(c, &d) || !(d >= 1 && d <= RD_EXACT_MAX && d == floor(d)))
            return false;
        e->lamport = (uint64_t)d;
        return true;
    case RD_K_MEMBERS:
        at[0] = r->arr_len;
        return rd_fast_list(r, c, nm);
    default:
        assert(k == RD_K_CLIENTS);
        at[1] = r->arr_len;
        return rd_fast_list(r, c, nc);
    }
}

/* The event of line r->copy (n bytes) if it has the writer's shape and
 * holds (see above); false: use the cJSON path. */
static bool rd_fast(struct chk_reader *r, size_t n, struct chk_event *e)
{
    struct rd_fcur c = {r->copy, r->copy + n};
    if (n < 2 || c.p[0] != '{' || c.end[-1] != '}')
        return false;
    c.p++;
    c.end--; /* the fields lie in [p, end) */
    *e = (struct chk_event){.view = -1, .line = r->line};
    uint32_t seen = 0;
    size_t nm = 0, nc = 0, at[2] = {0, 0}; /* where members and clients start in r->arr */
    r->arr_len = 0;
    while (c.p < c.end) {
        if (!rd_fast_field(r, &c, e, &seen, &nm, &nc, at))
            return false;
        if (c.p < c.end && *c.p++ != ',')
            return false;
        if (c.p == c.end && c.end[-1] == ',')
            return false; /* a trailing comma */
    }
    if (!(seen & (1u << RD_K_T)) || !e->ev_name)
        return false;
    if (!chk_vec_reserve((void **)&r->arr, &r->arr_cap, r->arr_len + 1, sizeof *r->arr))
        return false;
    if (seen & (1u << RD_K_MEMBERS)) /* pointers taken now: the lists may have moved arr */
        e->members = r->arr + at[0], e->n_members = nm;
    if (seen & (1u << RD_K_CLIENTS))
        e->clients = r->arr + at[1], e->n_clients = nc;
    e->ev = chk_ev_parse(e->ev_name);
    if (e->ev == CHK_EV_FAULT || chk_event_missing(e))
        return false;
    if (e->t < 0 || e->t < r->last_t || e->t > r->end_s)
        return false;
    r->last_t = e->t;
    return true;
}

static bool rd_event(struct chk_reader *r, const char *s, size_t n)
{
    struct chk_event e;
    bool ok = !r->slow_only && rd_fast(r, n, &e);
    if (!ok) {
        memcpy(r->copy, s, n); /* the fast path may have cut it */
        cJSON *j = rd_parse(r, n);
        if (!j)
            return false;
        ok = rd_event_fields(r, j, n, &e);
        rd_event_deliver(r, &e, ok);
        cJSON_Delete(j);
        return ok;
    }
    r->n_fast++;
    rd_event_deliver(r, &e, true);
    return true;
}

/* A line over the limit (of which n bytes are known): its first bad byte if
 * one came before the limit (a binary file says so), else its length. */
static bool rd_long_line(struct chk_reader *r, const char *s, size_t n)
{
    if (!rd_text_ok(r, s, n < CHK_LINE_MAX ? n : CHK_LINE_MAX))
        return false;
    return rd_fail(r, "line longer than %u bytes (the limit of checkers/TRACE.md)", CHK_LINE_MAX);
}

/* One line (without its '\n'); line 1 is the header. */
static bool rd_line(struct chk_reader *r, const char *s, size_t n)
{
    r->line++;
    if (n > CHK_LINE_MAX)
        return rd_long_line(r, s, n);
    if (!chk_vec_reserve((void **)&r->copy, &r->copy_cap, n + 1, 1))
        return rd_fail(r, "out of memory (a line of %zu bytes)", n);
    memcpy(r->copy, s, n);
    r->copy[n] = '\0';
    size_t blank = 0;
    while (blank < n && (s[blank] == ' ' || s[blank] == '\t' || s[blank] == '\r'))
        blank++;
    if (blank == n)
        return rd_fail(r, "%s", r->line == 1 ? "empty header line" : "empty line");
    if (!rd_text_ok(r, s, n))
        return false;
    return r->line == 1 ? rd_header(r, n) : rd_event(r, s, n);
}

static bool rd_done(struct chk_reader *r, bool ok)
{
    if (ok && !r->have_header) {
        r->line = 1;
        ok = rd_fail(r, "empty trace: no header line");
    }
    if (ok && r->n_unknown && r->err)
        fprintf(r->err,
                "%s: note: %llu events of kinds checkers/TRACE.md does not define were kept but "
                "not judged "
                "(the first: \"%s\", line %llu)\n",
                r->name, (unsigned long long)r->n_unknown, r->unknown_ev,
                (unsigned long long)r->unknown_line);
    free(r->copy);
    free(r->arr);
    free(r->extra);
    return ok;
}

bool chk_parse_trace_buf(const char *name, const char *buf, size_t len, FILE *err,
                         const struct chk_trace_sink *sink)
{
    return chk_parse_trace_buf_path(name, buf, len, err, sink, false, NULL);
}

bool chk_parse_trace_buf_path(const char *name, const char *buf, size_t len, FILE *err,
                              const struct chk_trace_sink *sink, bool slow_only, uint64_t *n_fast)
{
    assert(name && (buf || !len) && sink && sink->on_header && sink->on_event);
    struct chk_reader r = {.name = name,
                           .err = err,
                           .sink = sink,
                           .last_t = -INFINITY,
                           .end_s = INFINITY,
                           .slow_only = slow_only};
    bool ok = true;
    size_t at = 0;
    while (ok && at < len) {
        const char *nl = memchr(buf + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (buf + at)) : len - at;
        ok = rd_line(&r, buf + at, n);
        at += n + 1;
    }
    if (n_fast)
        *n_fast = r.n_fast;
    return rd_done(&r, ok);
}

/* ---- the checker as a sink ---- */

static bool rd_chk_header(void *ctx, const struct chk_header *h)
{
    struct chk **c = ctx;
    *c = chk_new(h);
    return *c != NULL;
}

static void rd_chk_event(void *ctx, const struct chk_event *e)
{
    struct chk **c = ctx;
    chk_feed(*c, e);
}

static struct chk *rd_chk_result(struct chk *c, bool ok)
{
    if (!ok) {
        chk_free(c);
        return NULL;
    }
    chk_finish(c);
    return c;
}

struct chk *chk_read_trace_buf(const char *name, const char *buf, size_t len, FILE *err)
{
    struct chk *c = NULL;
    struct chk_trace_sink sink = {.on_header = rd_chk_header, .on_event = rd_chk_event, .ctx = &c};
    bool ok = chk_parse_trace_buf(name, buf, len, err, &sink);
    return rd_chk_result(c, ok);
}

/* Reads f line by line through one buffer of CHK_LINE_MAX + 64 KiB bytes: a
 * line longer than the limit is refused as soon as that many bytes came
 * without a '\n' (/dev/zero fails at once, in bounded memory). */
static bool rd_file(struct chk_reader *r, FILE *f)
{
    size_t cap = (size_t)CHK_LINE_MAX + 1 + (64u << 10), start = 0, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return rd_fail(r, "out of memory");
    bool ok = true, eof = false;
    while (ok) {
        char *nl = memchr(buf + start, '\n', len - start);
        if (nl) {
            size_t n = (size_t)(nl - (buf + start));
            ok = rd_line(r, buf + start, n);
            start += n + 1;
            continue;
        }
        size_t rest = len - start;
        if (rest > CHK_LINE_MAX || (eof && rest)) {
            ok = rd_line(r, buf + start, rest); /* too long, or the last line without '\n' */
            break;
        }
        if (eof)
            break;
        memmove(buf, buf + start, rest);
        start = 0;
        len = rest;
        size_t got = fread(buf + len, 1, cap - len, f);
        if (got == 0 && ferror(f)) {
            r->line++;
            ok = rd_fail(r, "read error: %s", strerror(errno));
        }
        eof = got == 0;
        len += got;
    }
    free(buf);
    return ok;
}

struct chk *chk_read_trace(const char *path, FILE *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err)
            fprintf(err, "%s: cannot open: %s\n", path, strerror(errno));
        return NULL;
    }
    struct chk *c = NULL;
    struct chk_trace_sink sink = {.on_header = rd_chk_header, .on_event = rd_chk_event, .ctx = &c};
    struct chk_reader r = {
        .name = path, .err = err, .sink = &sink, .last_t = -INFINITY, .end_s = INFINITY};
    bool ok = rd_file(&r, f);
    fclose(f);
    ok = rd_done(&r, ok);
    return rd_chk_result(c, ok);
}
