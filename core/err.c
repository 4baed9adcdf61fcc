/*
** err.c: status codes and the engine's last error message.
** The message is formatted into a fixed buffer in the engine, so that
** reporting an error never needs memory (even when memory ran out).
*/
#include "csint.h"

#include <stdio.h>

const char *cs_strerror(int rc)
{
    switch (rc) {
    case CS_OK: return "ok";
    case CS_ENOMEM: return "out of memory";
    case CS_EINVAL: return "invalid argument";
    case CS_ENOTFOUND: return "not found";
    case CS_ETYPE: return "type mismatch";
    case CS_EIO: return "input/output error";
    case CS_EPARSE: return "malformed input";
    case CS_EENCODING: return "invalid text encoding";
    case CS_EOVERFLOW: return "integer overflow";
    case CS_EINTERRUPT: return "interrupted";
    case CS_EMISUSE: return "API misuse";
    case CS_EEXIST: return "already exists";
    case CS_ESQL: return "SQL error";
    case CS_EBUSY: return "store is busy";
    default: return "unknown error";
    }
}

const char *cs_errmsg(const cs_engine *eng)
{
    return eng->errmsg;
}

int cs__verror(cs_engine *eng, int rc, const char *fmt, va_list ap)
{
    vsnprintf(eng->errmsg, sizeof eng->errmsg, fmt, ap);
    return rc;
}

int cs__error(cs_engine *eng, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cs__verror(eng, rc, fmt, ap);
    va_end(ap);
    return rc;
}
