/* core/link/err.c: message strings for enum pgerr. */
#include "err.h"

const char *pgerr_str(int err)
{
    switch (err) {
    case PG_OK:
        return "ok";
    case PG_E_NOGROUP:
        return "unknown group";
    case PG_E_NOTMEMBER:
        return "not a member of the group";
    case PG_E_CRASHED:
        return "node has crashed or was excluded";
    case PG_E_TOOBIG:
        return "message too large";
    case PG_E_FULL:
        return "queue or table full";
    case PG_E_EXISTS:
        return "already exists";
    case PG_E_INVAL:
        return "invalid argument";
    case PG_E_MALFORMED:
        return "malformed datagram";
    case PG_E_SUSPECTED:
        return "peer suspected faulty";
    case PG_E_BUSY:
        return "operation already under way";
    case PG_E_TIMEOUT:
        return "timed out";
    default:
        return "unknown error code";
    }
}
