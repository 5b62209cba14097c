/* core/include/link/env.h: the abstract world that core/ is compiled against.
 *
 * Owns: the only channel between the protocol and anything outside it. The
 * core never reads a clock, never calls rand(), does no I/O and keeps no
 * globals; it asks this interface instead. sim/ implements it over SimGrid,
 * tests/ implement it over a small deterministic fake network.
 *
 * Every callback is invoked synchronously from inside one of the node's input
 * calls (a datagram arrived, a timer fired, an application call) and must not
 * call back into the node.
 */
#ifndef PG_ENV_H
#define PG_ENV_H

#include <stddef.h>
#include <stdint.h>

/* A process incarnation. 0 is never a valid id. A restarted process gets a new id. */
typedef uint32_t env_node_id;
#define ENV_NODE_NONE 0u
/* The same under the name the layers above have always used (419 uses in
 * core/, sim/, tests/: renamed when those files are next rewritten). */
typedef env_node_id pg_node_id;
#define PG_NODE_NONE ENV_NODE_NONE

/* Timer slots: each layer of a node owns one one-shot timer and re-arms it for
 * its earliest deadline. Setting a slot replaces its pending deadline. */
enum env_timer_slot {
    PG_TIMER_PHYS = 0,
    PG_TIMER_PG = 1,
    PG_TIMER_SLOTS = 4,
};
#define PG_TIMER_NEVER INT64_MAX

/* Typed trace events that the core emits (diagnostics; the application-level
 * events of TRACE.md are written by whoever sits above the core's upcalls). */
enum env_trace_kind {
    PG_TR_SUSPECT = 1,   /* this node declared `peer` faulty (phys_monitor fired) */
    PG_TR_GARBLED = 2,   /* a malformed datagram from `peer` was dropped; detail says why */
    PG_TR_DROPPED = 3,   /* a well-formed but unusable datagram was dropped; detail says why */
    PG_TR_SOMETIMES = 4, /* an interesting situation was reached; detail names it */
};

struct env_trace {
    enum env_trace_kind kind;
    env_node_id peer;   /* or ENV_NODE_NONE */
    uint32_t group;     /* or 0 */
    uint64_t value;     /* kind-specific */
    const char *detail; /* static string, or NULL */
};

struct env {
    void *ctx; /* passed back to every callback */

    /* Current time in integer nanoseconds; never decreases. */
    int64_t (*now_ns)(void *ctx);

    /* Arms one-shot timer `slot` (< PG_TIMER_SLOTS) to fire at absolute time
     * `deadline_ns`, replacing any pending deadline of that slot.
     * PG_TIMER_NEVER disarms it. When it fires, the owner calls the node's
     * timer input with that slot. */
    void (*timer_set)(void *ctx, unsigned slot, int64_t deadline_ns);

    /* Sends an unreliable datagram: it may be lost, duplicated, delayed or
     * reordered. The env copies `buf` before returning. */
    void (*send)(void *ctx, env_node_id to, const uint8_t *buf, size_t len);

    /* The next 64-bit draw of this node's seeded pseudo-random stream
     * (reproducible for a given seed; the core's only source of chance). */
    uint64_t (*draw_u64)(void *ctx);

    /* Records a typed trace event. May be NULL (events are discarded). */
    void (*trace)(void *ctx, const struct env_trace *ev);
};

#endif
