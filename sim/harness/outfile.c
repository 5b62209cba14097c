/* sim/harness/outfile.c: checked output files. See outfile.h. */
#include "outfile.h"

#include <errno.h>
#include <string.h>

static void out_report(const char *path, int err)
{
    fprintf(stderr, "pgroup: cannot write %s: %s\n", path,
            err ? strerror(err) : "write error (the reason was not reported)");
}

FILE *sim_out_open(const char *path, const char *mode)
{
    FILE *f = fopen(path, mode);
    if (!f)
        out_report(path, errno);
    return f;
}

void sim_out_failed(int *saved)
{
    if (!*saved)
        *saved = errno ? errno : EIO;
}

int sim_out_close(FILE *f, const char *path, int saved)
{
    int flagged = ferror(f);
    errno = 0;
    int err = fflush(f) != 0 ? errno : 0;
    errno = 0;
    if (fclose(f) != 0 && !err)
        err = errno ? errno : EIO;
    if (!flagged && !err && !saved)
        return 0;
    out_report(path, saved ? saved : err);
    return 2;
}
