/* sim/common/le.h: little-endian byte helpers, the harness's one set.
 *
 * Owns: nothing; reading and writing 16-, 32- and 64-bit integers at a byte
 * pointer, little-endian, for every byte format of sim/ and tests/ (the
 * application's payload header, the live driver's datagram header, the
 * state a test transfers). core/ keeps its own (core/link/wire.c and the pgw_*
 * of the group layer): it depends on nothing outside core/.
 */
#ifndef SIM_LE_H
#define SIM_LE_H

#include <stdint.h>

static inline void le_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void le_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void le_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t le_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le_get64(const uint8_t *p)
{
    return (uint64_t)le_get32(p) | (uint64_t)le_get32(p + 4) << 32;
}

#endif
