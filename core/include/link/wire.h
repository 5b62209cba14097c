/* core/include/link/wire.h: the link layer's datagram format (encode and decode).
 *
 * Owns: the byte layout of every datagram the link layer (phys.h) puts on the
 * network, its version, its checksum, and the bounds checks of decoding. Pure
 * functions: no state, no allocation, no globals (the CRC table is const).
 *
 * Layout, little-endian, version 1:
 *
 *   off size field
 *     0   2  magic      WIRE_MAGIC
 *     2   1  version    WIRE_VERSION
 *     3   1  type       enum wire_type
 *     4   4  from       sender incarnation id (!= 0)
 *     8   4  to         intended receiver incarnation id (!= 0)
 *    12   8  ack_next   cumulative ack: next seq the sender expects from `to` (>= 1)
 *    20   8  sack       bit i set: seq ack_next + 1 + i was received too
 *   --- DATA only ---
 *    28   8  seq        sequence number on the channel from -> to (>= 1)
 *    36   4  gid        physical group id (!= 0)
 *    40   4  len        payload bytes (<= WIRE_MAX_PAYLOAD)
 *    44 len  payload    (an upper layer's message)
 *   --- all ---
 *   end   4  crc        CRC32C (Castagnoli) of payload, then of the header bytes
 *
 * The checksum covers every byte before it. It is computed over the payload
 * first and then the header, so a sender that multicasts one payload on many
 * channels computes the payload part once (wire_payload_crc) and only the
 * header part per channel. Overhead: 48 bytes per DATA, 32 per ACK/HEARTBEAT.
 */
#ifndef PG_WIRE_H
#define PG_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "env.h"

#define WIRE_MAGIC          0x4750u /* "PG" little-endian */
#define WIRE_VERSION        1u
#define WIRE_HDR_BYTES      28u /* common header */
#define WIRE_DATA_HDR_BYTES 44u /* common header + DATA fields */
#define WIRE_CRC_BYTES      4u
#define WIRE_MIN_BYTES      (WIRE_HDR_BYTES + WIRE_CRC_BYTES)
#define WIRE_MAX_PAYLOAD    8192u /* payload bytes of one DATA datagram (phys: PHYS_MAX_PAYLOAD) */
#define WIRE_MAX_BYTES      (WIRE_DATA_HDR_BYTES + WIRE_MAX_PAYLOAD + WIRE_CRC_BYTES)
_Static_assert(WIRE_HDR_BYTES < WIRE_DATA_HDR_BYTES, "DATA adds fields to the common header");
_Static_assert(WIRE_MIN_BYTES <= WIRE_MAX_BYTES, "an ACK or HEARTBEAT is no longer than DATA");

enum wire_type {
    WIRE_DATA = 1,      /* a message of a physical group, sequenced on its channel */
    WIRE_ACK = 2,       /* a standalone acknowledgement */
    WIRE_HEARTBEAT = 3, /* liveness for failure suspicion (also carries acks) */
};

/* One decoded (or to-be-encoded) datagram. For DATA, `payload` points into the
 * decoded buffer (no copy). For ACK and HEARTBEAT, seq/gid/payload are 0/NULL. */
struct wire_msg {
    enum wire_type type;
    pg_node_id from, to;
    uint64_t ack_next;
    uint64_t sack;
    uint64_t seq;
    uint32_t gid;
    uint32_t payload_len;
    const uint8_t *payload;
};

/* CRC32C update: feed `n` bytes at `p` into running value `crc` (start with
 * WIRE_CRC_INIT; the checksum stored on the wire is the final value ^ ~0). */
#define WIRE_CRC_INIT 0xffffffffu
uint32_t wire_crc32c_update(uint32_t crc, const uint8_t *p, size_t n);
/* The portable table-driven update; wire_crc32c_update uses the CPU's crc32
 * instruction instead where there is one. Same results (tests compare them). */
uint32_t wire_crc32c_sw(uint32_t crc, const uint8_t *p, size_t n);

/* The running CRC after the payload: pass it to wire_encode_crc to encode the
 * same payload on many channels while checksumming it once. */
uint32_t wire_payload_crc(const uint8_t *payload, size_t len);

/* The checksum stored on the wire for header bytes `hdr` (hdr_len bytes)
 * given the payload's running CRC. Exposed for tests that forge datagrams. */
uint32_t wire_checksum(const uint8_t *hdr, size_t hdr_len, uint32_t payload_crc);

/* Encoded size of `m` in bytes. Precondition: m is valid (see wire_encode). */
size_t wire_size(const struct wire_msg *m);

/* Encodes `m` into `buf` (cap bytes) and returns the number of bytes written.
 * Preconditions (asserted): a known type, from/to/ack_next != 0, for DATA
 * seq/gid != 0 and payload_len <= WIRE_MAX_PAYLOAD, cap >= wire_size(m). */
size_t wire_encode(const struct wire_msg *m, uint8_t *buf, size_t cap);

/* As wire_encode, with `payload_crc` == wire_payload_crc(m->payload, m->payload_len)
 * computed beforehand by the caller (asserted in debug-cheap cases only). */
size_t wire_encode_crc(const struct wire_msg *m, uint32_t payload_crc, uint8_t *buf, size_t cap);

/* Decodes `len` bytes at `buf` into `out`. Returns PG_OK, or PG_E_MALFORMED
 * with *reason set to a static string: "truncated", "oversized", "bad magic",
 * "bad version", "bad type", "length mismatch", "trailing bytes",
 * "bad checksum", "bad field" (a zero id, seq, gid or ack_next). `reason` may
 * be NULL. On success out->payload points into `buf`. */
int wire_decode(const uint8_t *buf, size_t len, struct wire_msg *out, const char **reason);

/* Static name of a type ("DATA", ...) or "?" */
const char *wire_type_name(enum wire_type t);

#endif
