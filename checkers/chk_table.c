/* checkers/chk_table.c: the interning table, the pair map and vectors of chk_internal.h.
 * Every table has a limit (CHK_TAB_MAX); full or out of memory returns CHK_NONE / NULL / false.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "chk_internal.h"

#define CHK_CHUNK_B 65536u

struct chk_chunk {
    struct chk_chunk *next;
    size_t used, cap;
    char data[];
};

bool chk_vec_reserve(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    if (need > CHK_TAB_MAX)
        return false;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(*p, ncap * size);
    if (!np)
        return false;
    *p = np;
    *cap = ncap;
    return true;
}

/* FNV-1a, 32 bits; ids are dense so a weak-ish hash is fine with the final mix. */
static uint32_t chk_hash_str(const char *s, size_t *len)
{
    uint32_t h = 2166136261u;
    const unsigned char *p = (const unsigned char *)s;
    for (; *p; p++)
        h = (h ^ *p) * 16777619u;
    *len = (size_t)(p - (const unsigned char *)s);
    h ^= h >> 15;
    h *= 0x2c1b3c6du;
    h ^= h >> 12;
    return h;
}

static char *chk_arena_copy(struct chk_chunk **arena, const char *s, size_t len)
{
    struct chk_chunk *ch = *arena;
    if (!ch || ch->cap - ch->used < len + 1) {
        size_t cap = len + 1 > CHK_CHUNK_B ? len + 1 : CHK_CHUNK_B;
        ch = malloc(sizeof *ch + cap);
        if (!ch)
            return NULL;
        ch->used = 0;
        ch->cap = cap;
        if (*arena && len + 1 > CHK_CHUNK_B) { /* a big one: keep filling the current chunk */
            ch->next = (*arena)->next;
            (*arena)->next = ch;
        } else {
            ch->next = *arena;
            *arena = ch;
        }
    }
    char *d = ch->data + ch->used;
    memcpy(d, s, len + 1);
    ch->used += len + 1;
    return d;
}

static uint32_t chk_strtab_probe(const struct chk_strtab *t, const char *s, uint32_t h, size_t *at)
{
    size_t mask = t->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t id = t->slots[i];
        if (id == CHK_NONE || (t->hashes[id] == h && strcmp(t->names[id], s) == 0)) {
            *at = i;
            return id;
        }
    }
}

static bool chk_strtab_grow(struct chk_strtab *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 64;
    if (ncap / 2 > CHK_TAB_MAX)
        return false;
    uint32_t *ns = malloc(ncap * sizeof *ns);
    if (!ns)
        return false;
    memset(ns, 0xff, ncap * sizeof *ns);
    for (uint32_t id = 0; id < t->n; id++) {
        size_t i = t->hashes[id] & (ncap - 1);
        while (ns[i] != CHK_NONE)
            i = (i + 1) & (ncap - 1);
        ns[i] = id;
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
    return true;
}

/* The id of `s` (hash h) if the recent-names cache holds it, else CHK_NONE. */
static uint32_t chk_strtab_recent(const struct chk_strtab *t, const char *s, uint32_t h)
{
    uint32_t id = t->recent[h % CHK_STR_RECENT];
    if (id == 0 || t->hashes[id - 1] != h || strcmp(t->names[id - 1], s) != 0)
        return CHK_NONE;
    return id - 1;
}

/* The id of the last lookup if `s` is the same pointer with the same content. */
static uint32_t chk_strtab_last(const struct chk_strtab *t, const char *s)
{
    if (s != t->last_s || t->last_id == 0 || strcmp(t->names[t->last_id - 1], s) != 0)
        return CHK_NONE;
    return t->last_id - 1;
}

uint32_t chk_strtab_find(const struct chk_strtab *t, const char *s)
{
    if (!t->cap)
        return CHK_NONE;
    uint32_t last = chk_strtab_last(t, s);
    if (last != CHK_NONE)
        return last;
    size_t len, at;
    uint32_t h = chk_hash_str(s, &len);
    uint32_t id = chk_strtab_recent(t, s, h);
    return id != CHK_NONE ? id : chk_strtab_probe(t, s, h, &at);
}

uint32_t chk_strtab_intern(struct chk_strtab *t, const char *s)
{
    assert(s);
    uint32_t last = chk_strtab_last(t, s);
    if (last != CHK_NONE)
        return last;
    size_t len, at;
    uint32_t h = chk_hash_str(s, &len);
    if (t->cap) {
        uint32_t id = chk_strtab_recent(t, s, h);
        if (id == CHK_NONE && (id = chk_strtab_probe(t, s, h, &at)) != CHK_NONE)
            t->recent[h % CHK_STR_RECENT] = id + 1;
        if (id != CHK_NONE) {
            t->last_s = s;
            t->last_id = id + 1;
            return id;
        }
    }
    if (((size_t)t->n + 1) * 2 > t->cap && !chk_strtab_grow(t))
        return CHK_NONE;
    size_t need = (size_t)t->n + 1;
    size_t cap2 = t->names_cap;
    if (!chk_vec_reserve((void **)&t->names, &t->names_cap, need, sizeof *t->names) ||
        !chk_vec_reserve((void **)&t->hashes, &cap2, need, sizeof *t->hashes))
        return CHK_NONE;
    assert(cap2 == t->names_cap);
    char *copy = chk_arena_copy(&t->arena, s, len);
    if (!copy)
        return CHK_NONE;
    uint32_t id = chk_strtab_probe(t, s, h, &at);
    assert(id == CHK_NONE);
    id = t->n++;
    t->names[id] = copy;
    t->hashes[id] = h;
    t->slots[at] = id;
    t->recent[h % CHK_STR_RECENT] = id + 1;
    t->last_s = s;
    t->last_id = id + 1;
    return id;
}

void chk_strtab_free(struct chk_strtab *t)
{
    for (struct chk_chunk *ch = t->arena, *next; ch; ch = next) {
        next = ch->next;
        free(ch);
    }
    free(t->slots);
    free(t->names);
    free(t->hashes);
    memset(t, 0, sizeof *t);
}

/* ---- pair map ---- */

uint64_t chk_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static size_t chk_map_hash(uint64_t a, uint64_t b)
{
    uint64_t x = a * 0x9e3779b97f4a7c15u ^ (b + 0x632be59bd9b4e019u) * 0xbf58476d1ce4e5b9u;
    x ^= x >> 31;
    x *= 0x94d049bb133111ebu;
    x ^= x >> 29;
    return (size_t)x;
}

/* The home slot of (a, b): hashed, or (b << dense_bits) + a in a dense map. */
static size_t chk_map_home(const struct chk_map *m, uint64_t a, uint64_t b)
{
    return m->dense_bits ? (size_t)((b << m->dense_bits) + a) : chk_map_hash(a, b);
}

/* Slots store a + 1 so that zeroed memory is an empty table (calloc: the
 * kernel's zero pages, no memset of a table that can reach tens of MiB). */
static struct chk_map_slot *chk_map_probe(const struct chk_map *m, uint64_t a, uint64_t b)
{
    size_t mask = m->cap - 1;
    uint64_t key = a + 1;
    for (size_t i = chk_map_home(m, a, b) & mask;; i = (i + 1) & mask) {
        struct chk_map_slot *s = &m->slots[i];
        if (s->a == 0 || (s->a == key && s->b == b))
            return s;
    }
}

/* Moves every entry into a table of `ncap` slots, placed by m's current home function. */
static bool chk_map_rebuild(struct chk_map *m, size_t ncap)
{
    struct chk_map_slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return false;
    struct chk_map old = *m;
    m->slots = ns;
    m->cap = ncap;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slots[i].a == 0)
            continue;
        *chk_map_probe(m, old.slots[i].a - 1, old.slots[i].b) = old.slots[i];
    }
    free(old.slots);
    return true;
}

static bool chk_map_grow(struct chk_map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64;
    if (ncap / 2 > CHK_TAB_MAX)
        return false;
    return chk_map_rebuild(m, ncap);
}

bool chk_map_set_dense(struct chk_map *m, unsigned bits)
{
    assert(bits > 0 && bits <= 32);
    if (bits == m->dense_bits)
        return true;
    unsigned old = m->dense_bits;
    m->dense_bits = bits;
    if (!m->cap || chk_map_rebuild(m, m->cap))
        return true;
    m->dense_bits = old; /* out of memory: the old table stands */
    return false;
}

uint64_t *chk_map_get(const struct chk_map *m, uint64_t a, uint64_t b)
{
    assert(a != UINT64_MAX);
    if (!m->cap)
        return NULL;
    struct chk_map_slot *s = chk_map_probe(m, a, b);
    return s->a == 0 ? NULL : &s->v;
}

uint64_t *chk_map_upsert(struct chk_map *m, uint64_t a, uint64_t b, uint64_t init, bool *created)
{
    assert(a != UINT64_MAX);
    *created = false;
    if (m->cap) {
        struct chk_map_slot *s = chk_map_probe(m, a, b);
        if (s->a != 0)
            return &s->v;
    }
    if ((m->n + 1) * 2 > m->cap && !chk_map_grow(m))
        return NULL;
    struct chk_map_slot *s = chk_map_probe(m, a, b);
    assert(s->a == 0);
    s->a = a + 1;
    s->b = b;
    s->v = init;
    m->n++;
    *created = true;
    return &s->v;
}

void chk_map_free(struct chk_map *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}
