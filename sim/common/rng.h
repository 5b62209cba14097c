/* sim/common/rng.h: the harness's seeded random numbers (splitmix64), the
 * one place their constants are written.
 *
 * Owns: nothing but a 64-bit state per stream. Every stream is derived from
 * (run seed, stream kind, incarnation id), so each node's draws do not depend
 * on how a driver interleaves nodes: the same scenario and seed give the same
 * faults and the same trace. The simulator, the live driver, the test
 * network (tests/support_fakenet.c), pgroup explore and the unit tests draw
 * from here; sim_rng_mix is the same function as a hash of one word. (The
 * checkers' own hash tables, checkers/chk_table.c, keep theirs: checkers/
 * depends on nothing of the harness.)
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdint.h>

enum sim_rng_kind { SIM_RNG_CORE = 1, SIM_RNG_NET = 2, SIM_RNG_CTL = 3 };

static inline uint64_t sim_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A stream for (seed, kind, id). */
static inline uint64_t sim_rng_stream(uint64_t seed, enum sim_rng_kind kind, uint32_t id)
{
    uint64_t s = seed ^ ((uint64_t)kind << 56) ^ ((uint64_t)id << 20);
    (void)sim_rng_next(&s);
    return s;
}

/* A uniform double in [0, 1). */
static inline double sim_rng_unit(uint64_t *state)
{
    return (double)(sim_rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* Whether a draw falls under probability p (no draw when p <= 0). */
static inline int sim_rng_chance(uint64_t *state, double p)
{
    return p > 0 && sim_rng_unit(state) < p;
}

/* splitmix64 of one word (a hash: sim_rng_next of a copy of x). */
static inline uint64_t sim_rng_mix(uint64_t x)
{
    return sim_rng_next(&x);
}

#endif
