/* core/include/link/err.h: the one enum of operating errors that every pgroup layer returns.
 *
 * Owns: the error codes and their message strings. Programmer errors (a
 * violated precondition) are assert()s, never codes. Every public call in
 * core/ returns PG_OK (0) or one of these negative codes.
 */
#ifndef PG_ERR_H
#define PG_ERR_H

enum pgerr {
    PG_OK = 0,
    PG_E_NOGROUP = -1,   /* unknown group id */
    PG_E_NOTMEMBER = -2, /* the caller (or the named pid) is not a member */
    PG_E_CRASHED = -3,   /* this node has crashed or was excluded */
    PG_E_TOOBIG = -4,    /* message larger than the configured maximum */
    PG_E_FULL = -5,      /* a bounded queue or table is full; retry later */
    PG_E_EXISTS = -6,    /* the group or member already exists */
    PG_E_INVAL = -7,     /* an argument is out of its documented range */
    PG_E_MALFORMED = -8, /* a datagram failed decoding (wire.h) */
    PG_E_SUSPECTED = -9, /* the peer was declared faulty by phys_monitor */
    PG_E_BUSY = -10,     /* an operation of this kind is already under way */
    PG_E_TIMEOUT = -11,  /* an awaited answer missed its deadline (state transfer) */
};

/* Returns a static, human-readable message for `err` (never NULL). */
const char *pgerr_str(int err);

#endif
