/* tests/test_wire.c: core/include/link/wire.h round trips and every class of malformed input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "le.h"
#include "rng.h"
#include "wire.h"
#include "phys.h" /* PHYS_MAX_PAYLOAD, PHYS_MAX_DATAGRAM */

static uint8_t payload_src[PHYS_MAX_PAYLOAD];

static void fill_payload(void)
{
    for (size_t i = 0; i < sizeof payload_src; i++)
        payload_src[i] = (uint8_t)(i * 7 + 3);
}

static struct wire_msg data_msg(uint32_t len)
{
    fill_payload();
    return (struct wire_msg){.type = WIRE_DATA,
                             .from = 3,
                             .to = 9,
                             .ack_next = 17,
                             .sack = 0x8000000000000005ull,
                             .seq = 42,
                             .gid = 7,
                             .payload_len = len,
                             .payload = payload_src};
}

static struct wire_msg ctl_msg(enum wire_type t)
{
    return (struct wire_msg){
        .type = t, .from = 0xfffffffeu, .to = 1, .ack_next = UINT64_MAX, .sack = UINT64_MAX};
}

static void assert_msg_equal(const struct wire_msg *a, const struct wire_msg *b)
{
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->from, b->from);
    assert_int_equal(a->to, b->to);
    assert_true(a->ack_next == b->ack_next);
    assert_true(a->sack == b->sack);
    assert_true(a->seq == b->seq);
    assert_int_equal(a->gid, b->gid);
    assert_int_equal(a->payload_len, b->payload_len);
    if (a->payload_len)
        assert_memory_equal(a->payload, b->payload, a->payload_len);
}

/* Encodes, decodes, re-encodes: the bytes and the fields must agree. */
static void round_trip(const struct wire_msg *m)
{
    static uint8_t buf[WIRE_MAX_BYTES], again[WIRE_MAX_BYTES];
    size_t n = wire_encode(m, buf, sizeof buf);
    assert_int_equal(n, wire_size(m));
    struct wire_msg out;
    const char *why = "unset";
    assert_int_equal(wire_decode(buf, n, &out, &why), PG_OK);
    assert_null(why);
    assert_msg_equal(m, &out);
    if (out.type == WIRE_DATA)
        assert_ptr_equal(out.payload, buf + WIRE_DATA_HDR_BYTES); /* no copy */
    size_t n2 =
        wire_encode_crc(&out, wire_payload_crc(out.payload, out.payload_len), again, sizeof again);
    assert_int_equal(n2, n);
    assert_memory_equal(buf, again, n);
}

static void test_round_trip_every_type(void **state)
{
    (void)state;
    uint32_t lens[] = {0, 1, 7, 8, 9, 63, 64, 256, 1000, PHYS_MAX_PAYLOAD - 1, PHYS_MAX_PAYLOAD};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        struct wire_msg m = data_msg(lens[i]);
        round_trip(&m);
    }
    struct wire_msg a = ctl_msg(WIRE_ACK), h = ctl_msg(WIRE_HEARTBEAT);
    round_trip(&a);
    round_trip(&h);
    struct wire_msg big = data_msg(5);
    big.seq = UINT64_MAX;
    big.gid = UINT32_MAX;
    big.sack = 0;
    round_trip(&big);
}

static void test_overhead_is_small(void **state)
{
    (void)state;
    struct wire_msg d = data_msg(0), a = ctl_msg(WIRE_ACK);
    assert_int_equal(wire_size(&d), 48);
    assert_int_equal(wire_size(&a), 32);
    d.payload_len = 100;
    assert_int_equal(wire_size(&d), 148);
    assert_true(WIRE_MAX_BYTES <= PHYS_MAX_DATAGRAM);
}

/* Bitwise reference CRC32C. */
static uint32_t crc_ref(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
    }
    return ~c;
}

static void test_crc32c_matches_reference(void **state)
{
    (void)state;
    const uint8_t check[] = "123456789";
    assert_int_equal(wire_crc32c_update(WIRE_CRC_INIT, check, 9) ^ 0xffffffffu, 0xe3069283u);
    fill_payload();
    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; n < 70; n++) {
            assert_int_equal(wire_crc32c_update(WIRE_CRC_INIT, payload_src + off, n) ^ 0xffffffffu,
                             crc_ref(payload_src + off, n));
            /* the portable path, whatever the CPU */
            assert_int_equal(wire_crc32c_sw(WIRE_CRC_INIT, payload_src + off, n) ^ 0xffffffffu,
                             crc_ref(payload_src + off, n));
        }
    /* chaining is the same as one pass */
    uint32_t c = wire_crc32c_update(WIRE_CRC_INIT, payload_src, 13);
    c = wire_crc32c_update(c, payload_src + 13, 1000);
    assert_int_equal(c ^ 0xffffffffu, crc_ref(payload_src, 1013));
}

static size_t encode(const struct wire_msg *m, uint8_t *buf)
{
    return wire_encode(m, buf, WIRE_MAX_BYTES + 16);
}

/* Recomputes the checksum of a forged datagram (header length by type byte). */
static void reseal(uint8_t *buf, size_t len, size_t hdr)
{
    size_t plen = len - hdr - WIRE_CRC_BYTES;
    uint32_t sum = wire_checksum(buf, hdr, wire_payload_crc(buf + hdr, plen));
    le_put32(buf + len - 4, sum);
}

static void expect_malformed(const uint8_t *buf, size_t len, const char *reason)
{
    struct wire_msg out;
    const char *why = NULL;
    assert_int_equal(wire_decode(buf, len, &out, &why), PG_E_MALFORMED);
    assert_non_null(why);
    if (reason)
        assert_string_equal(why, reason);
    assert_int_equal(wire_decode(buf, len, &out, NULL), PG_E_MALFORMED); /* reason optional */
}

static void test_truncated_at_every_length(void **state)
{
    (void)state;
    static uint8_t buf[WIRE_MAX_BYTES + 16];
    struct wire_msg msgs[] = {data_msg(0), data_msg(100), ctl_msg(WIRE_ACK),
                              ctl_msg(WIRE_HEARTBEAT)};
    for (size_t k = 0; k < 4; k++) {
        size_t n = encode(&msgs[k], buf);
        for (size_t len = 0; len < n; len++)
            expect_malformed(buf, len, len < WIRE_MIN_BYTES ? "truncated" : NULL);
    }
    expect_malformed(NULL, 0, "truncated");
}

static void test_oversized(void **state)
{
    (void)state;
    static uint8_t buf[WIRE_MAX_BYTES + 16];
    struct wire_msg m = data_msg(PHYS_MAX_PAYLOAD);
    size_t n = encode(&m, buf);
    expect_malformed(buf, n + 1, "oversized");
    /* a payload_len field beyond the maximum, in a datagram resealed to look valid */
    m = data_msg(16);
    n = encode(&m, buf);
    uint32_t huge = PHYS_MAX_PAYLOAD + 1;
    le_put32(buf + 40, huge);
    reseal(buf, n, WIRE_DATA_HDR_BYTES);
    expect_malformed(buf, n, "oversized");
}

/* Overwrites `size` bytes at `off` with `v`, reseals, expects `reason`. */
static void corrupt_field(const struct wire_msg *m, size_t off, size_t size, uint64_t v,
                          const char *reason)
{
    static uint8_t buf[WIRE_MAX_BYTES + 16];
    size_t n = encode(m, buf);
    for (size_t i = 0; i < size; i++)
        buf[off + i] = (uint8_t)(v >> (8 * i));
    reseal(buf, n, m->type == WIRE_DATA ? WIRE_DATA_HDR_BYTES : WIRE_HDR_BYTES);
    expect_malformed(buf, n, reason);
}

static void test_each_header_field_corrupted(void **state)
{
    (void)state;
    struct wire_msg d = data_msg(20), a = ctl_msg(WIRE_ACK);
    corrupt_field(&d, 0, 2, 0x4751, "bad magic");
    corrupt_field(&a, 0, 2, 0x0000, "bad magic");
    corrupt_field(&d, 2, 1, 0, "bad version");
    corrupt_field(&d, 2, 1, 2, "bad version");
    corrupt_field(&a, 2, 1, 0xff, "bad version");
    corrupt_field(&d, 3, 1, 0, "bad type");
    corrupt_field(&d, 3, 1, 4, "bad type");
    corrupt_field(&a, 3, 1, 0xff, "bad type");
    corrupt_field(&d, 3, 1, WIRE_ACK, "trailing bytes"); /* DATA bytes read as an ACK */
    corrupt_field(&a, 3, 1, WIRE_DATA, "truncated");     /* ACK bytes read as a DATA */
    corrupt_field(&d, 4, 4, 0, "bad field");             /* from */
    corrupt_field(&a, 8, 4, 0, "bad field");             /* to */
    corrupt_field(&d, 12, 8, 0, "bad field");            /* ack_next */
    corrupt_field(&d, 28, 8, 0, "bad field");            /* seq */
    corrupt_field(&d, 36, 4, 0, "bad field");            /* gid */
    corrupt_field(&d, 40, 4, 21, "length mismatch");     /* payload_len */
    corrupt_field(&d, 40, 4, 19, "trailing bytes");
    corrupt_field(&d, 40, 4, 0, "trailing bytes");
    /* fields whose every value is valid: a change without reseal is a bad checksum */
    static uint8_t buf[WIRE_MAX_BYTES + 16];
    size_t n = encode(&d, buf);
    buf[20] ^= 0x10; /* sack */
    expect_malformed(buf, n, "bad checksum");
}

static void test_version_mismatch_is_rejected(void **state)
{
    (void)state;
    static uint8_t buf[WIRE_MAX_BYTES + 16];
    struct wire_msg h = ctl_msg(WIRE_HEARTBEAT);
    size_t n = encode(&h, buf);
    assert_int_equal(buf[2], WIRE_VERSION);
    buf[2] = WIRE_VERSION + 1;
    expect_malformed(buf, n, "bad version"); /* even before the checksum */
}

static void flip_every_bit(const struct wire_msg *m)
{
    static uint8_t buf[WIRE_MAX_BYTES + 16];
    size_t n = encode(m, buf);
    for (size_t bit = 0; bit < 8 * n; bit++) {
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        expect_malformed(buf, n, NULL);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    struct wire_msg out;
    assert_int_equal(wire_decode(buf, n, &out, NULL), PG_OK); /* restored */
}

static void test_flipped_bit_anywhere_detected(void **state)
{
    (void)state;
    struct wire_msg d = data_msg(300), a = ctl_msg(WIRE_ACK), h = ctl_msg(WIRE_HEARTBEAT);
    flip_every_bit(&d);
    flip_every_bit(&a);
    flip_every_bit(&h);
    /* flips in the payload and checksum are caught by the checksum */
    static uint8_t buf[WIRE_MAX_BYTES + 16];
    size_t n = encode(&d, buf);
    buf[WIRE_DATA_HDR_BYTES + 5] ^= 0x01;
    expect_malformed(buf, n, "bad checksum");
    buf[WIRE_DATA_HDR_BYTES + 5] ^= 0x01;
    buf[n - 1] ^= 0x80;
    expect_malformed(buf, n, "bad checksum");
}

static void test_trailing_bytes(void **state)
{
    (void)state;
    static uint8_t buf[WIRE_MAX_BYTES + 16];
    struct wire_msg msgs[] = {data_msg(10), ctl_msg(WIRE_ACK), ctl_msg(WIRE_HEARTBEAT)};
    for (size_t k = 0; k < 3; k++) {
        size_t n = encode(&msgs[k], buf);
        buf[n] = 0;
        expect_malformed(buf, n + 1, "trailing bytes");
        expect_malformed(buf, n + 1, "trailing bytes");
        memset(buf + n, 0xee, 8);
        expect_malformed(buf, n + 8, "trailing bytes");
    }
}

static void test_random_bytes_never_decode(void **state)
{
    (void)state;
    /* 200k random buffers: none may pass (magic + version + crc make it ~2^-56). */
    static uint8_t buf[256];
    uint64_t s = 12345;
    for (int it = 0; it < 200000; it++) {
        size_t len = (size_t)(s % sizeof buf);
        for (size_t i = 0; i < len; i++) {
            buf[i] = (uint8_t)(sim_rng_next(&s) >> 56);
        }
        if (len >= 3 && it % 2) { /* half of them with a valid magic and version */
            buf[0] = 0x50, buf[1] = 0x47, buf[2] = WIRE_VERSION;
        }
        expect_malformed(buf, len, NULL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_type),
        cmocka_unit_test(test_overhead_is_small),
        cmocka_unit_test(test_crc32c_matches_reference),
        cmocka_unit_test(test_truncated_at_every_length),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_each_header_field_corrupted),
        cmocka_unit_test(test_version_mismatch_is_rejected),
        cmocka_unit_test(test_flipped_bit_anywhere_detected),
        cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_random_bytes_never_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
