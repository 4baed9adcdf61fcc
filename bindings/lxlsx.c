/*
** lxlsx.c: cs._xlsx_write(path, sheets), plain tables as an XLSX workbook
** through libxlsxwriter, for `coopstat report --format xlsx`.
** The workbook belongs to a userdata from the moment it exists, so a Lua
** error raised while it is filled (a bad cell, memory) leaks nothing: the
** collector frees it.  Errors found here free it first.  Every status the
** library returns is checked and raised with the path and lxw_strerror.
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include <xlsxwriter.h>

#include "lauxlib.h"
#include "lua.h"

#include "lxlsx.h"

#define BOOK_MT "coopstat.xlsx.book"

typedef struct book {
    lxw_workbook *wb; /* NULL once closed or freed */
} book;

/* The formats of one workbook (owned by it). */
typedef struct formats {
    lxw_format *bold;
    lxw_format *integer;
    lxw_format *decimal;
} formats;

/* Where a cell is written, for messages. */
typedef struct place {
    const char *path;
    const char *sheet;
    lua_Integer row; /* 1-based, 0 for the header */
} place;

static void book_free(book *b)
{
    if (b->wb) {
        lxw_workbook_free(b->wb);
        b->wb = NULL;
    }
}

static int book_gc(lua_State *L)
{
    book_free(luaL_checkudata(L, 1, BOOK_MT));
    return 0;
}

/* ------------------------------------------------------------------ */
/* Checking what was written                                          */
/* ------------------------------------------------------------------ */
/* libxlsxwriter builds each sheet in a temporary file and does not
** notice when writing it fails (a full disk): the workbook then holds a
** sheet cut short, and workbook_close() reports success.  So the file is
** read back: every XML part of the zip must inflate completely and end
** with its closing tag. */

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned le16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

/* Inflates the raw deflate data DATA[0..N) of an entry of USIZE bytes;
** 1 when it inflates to USIZE bytes ending (after blanks) with '>' of a
** closing tag "</...>". */
static int entry_whole(const unsigned char *data, size_t n, uint32_t usize, int stored)
{
    unsigned char out[16384], tail[64];
    size_t total = 0, keep = 0, i;
    z_stream z;
    int rc;
    if (stored) {
        if (n < usize) return 0;
        keep = usize < sizeof tail ? usize : sizeof tail;
        memcpy(tail, data + usize - keep, keep);
    } else {
        memset(&z, 0, sizeof z);
        if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return 0;
        z.next_in = (unsigned char *)data;
        z.avail_in = (uInt)n;
        do {
            z.next_out = out;
            z.avail_out = sizeof out;
            rc = inflate(&z, Z_NO_FLUSH);
            if (rc != Z_OK && rc != Z_STREAM_END) break;
            {
                size_t got = sizeof out - z.avail_out;
                total += got;
                if (got >= sizeof tail) {
                    memcpy(tail, out + got - sizeof tail, sizeof tail);
                    keep = sizeof tail;
                } else if (got > 0) {
                    size_t drop = keep + got > sizeof tail ? keep + got - sizeof tail : 0;
                    memmove(tail, tail + drop, keep - drop);
                    keep -= drop;
                    memcpy(tail + keep, out, got);
                    keep += got;
                }
            }
        } while (rc != Z_STREAM_END);
        inflateEnd(&z);
        if (rc != Z_STREAM_END || total != usize) return 0;
    }
    i = keep;
    while (i > 0 && (tail[i - 1] == '\n' || tail[i - 1] == '\r' || tail[i - 1] == ' ')) i--;
    if (i < 3 || tail[i - 1] != '>') return 0;
    /* the last tag closes an element */
    while (i > 0 && tail[i - 1] != '<') i--;
    return i > 0 && i < keep && (tail[i] == '/' || tail[i] == '?');
}

/* NULL when every XML part of the zip PATH is whole; else what is wrong. */
static const char *check_written(const char *path, char *why, size_t size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long len;
    size_t n, off, cd, i, count;
    const char *res = NULL;
    if (!f) return "cannot read the file back";
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 22 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return "the file is too short to be a workbook";
    }
    n = (size_t)len;
    buf = malloc(n);
    if (!buf || fread(buf, 1, n, f) != n) {
        free(buf);
        fclose(f);
        return "cannot read the file back";
    }
    fclose(f);
    /* The end of central directory record, within the last 64 KB. */
    for (off = n - 22;; off--) {
        if (le32(buf + off) == 0x06054b50) break;
        if (off == 0 || n - off > 65557) {
            res = "no zip directory (the file is cut short)";
            goto done;
        }
    }
    count = le16(buf + off + 10);
    cd = le32(buf + off + 16);
    for (i = 0; i < count; i++) {
        size_t nlen, xlen, clen, lh, data;
        uint32_t csize, usize;
        unsigned method;
        const char *name;
        if (cd + 46 > n || le32(buf + cd) != 0x02014b50) {
            res = "a damaged zip directory";
            goto done;
        }
        method = le16(buf + cd + 10);
        csize = le32(buf + cd + 20);
        usize = le32(buf + cd + 24);
        nlen = le16(buf + cd + 28);
        xlen = le16(buf + cd + 30);
        clen = le16(buf + cd + 32);
        lh = le32(buf + cd + 42);
        name = (const char *)buf + cd + 46;
        if (cd + 46 + nlen > n || lh + 30 > n || le32(buf + lh) != 0x04034b50) {
            res = "a damaged zip entry";
            goto done;
        }
        data = lh + 30 + le16(buf + lh + 26) + le16(buf + lh + 28);
        if (nlen > 4 && memcmp(name + nlen - 4, ".xml", 4) == 0 &&
            (data + csize > n || !entry_whole(buf + data, csize, usize, method == 0))) {
            snprintf(why, size, "the part %.*s is cut short (was the disk full?)", (int)nlen,
                     name);
            res = why;
            goto done;
        }
        cd += 46 + nlen + xlen + clen;
    }
done:
    free(buf);
    return res;
}

/* Frees B's workbook, then raises "PATH: sheet 'S': WHAT: message". */
static int fail_lxw(lua_State *L, book *b, const place *p, const char *what,
                    lxw_error err)
{
    book_free(b);
    if (p->sheet)
        return luaL_error(L, "%s: sheet '%s': %s: %s", p->path, p->sheet, what,
                          lxw_strerror(err));
    return luaL_error(L, "%s: %s: %s", p->path, what, lxw_strerror(err));
}

/* Frees B's workbook, then raises "PATH: sheet 'S', row R: MSG". */
static int fail_arg(lua_State *L, book *b, const place *p, const char *msg)
{
    book_free(b);
    if (p->sheet && p->row > 0)
        return luaL_error(L, "%s: sheet '%s', row %I: %s", p->path, p->sheet,
                          p->row, msg);
    if (p->sheet)
        return luaL_error(L, "%s: sheet '%s': %s", p->path, p->sheet, msg);
    return luaL_error(L, "%s: %s", p->path, msg);
}

/* Writes the value at IDX into cell (ROW, COL): a number, a string,
** true, or nothing for nil and false.  STRFMT formats strings. */
static void write_cell(lua_State *L, book *b, const place *p,
                       lxw_worksheet *ws, lxw_row_t row, lxw_col_t col,
                       int idx, const formats *f, lxw_format *strfmt)
{
    lxw_error err = LXW_NO_ERROR;
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return;
    case LUA_TBOOLEAN:
        if (!lua_toboolean(L, idx)) return;
        err = worksheet_write_boolean(ws, row, col, 1, strfmt);
        break;
    case LUA_TNUMBER: {
        double d = (double)lua_tonumber(L, idx);
        lxw_format *nf;
        if (!isfinite(d)) {
            lua_pushfstring(L, "column %d: %f is not a finite number",
                            (int)col + 1, (LUAI_UACNUMBER)d);
            fail_arg(L, b, p, lua_tostring(L, -1));
        }
        /* Whole numbers as such; below 2^53 a double is exact. */
        nf = (d == floor(d) && fabs(d) < 9007199254740992.0) ? f->integer
                                                              : f->decimal;
        err = worksheet_write_number(ws, row, col, d, nf);
        break;
    }
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        if (strlen(s) != len) {
            lua_pushfstring(L, "column %d: a string holds a zero byte",
                            (int)col + 1);
            fail_arg(L, b, p, lua_tostring(L, -1));
        }
        err = worksheet_write_string(ws, row, col, s, strfmt);
        break;
    }
    default:
        lua_pushfstring(L,
                        "column %d: a cell must be a number, a string, "
                        "false or nil, not %s",
                        (int)col + 1, luaL_typename(L, idx));
        fail_arg(L, b, p, lua_tostring(L, -1));
        return;
    }
    if (err != LXW_NO_ERROR) {
        lua_pushfstring(L, "row %I, column %d", p->row, (int)col + 1);
        fail_lxw(L, b, p, lua_tostring(L, -1), err);
    }
}

/* Writes the row table at IDX as row ROW: its integer keys 1..16384
** are the columns (holes stay empty). */
static void write_row(lua_State *L, book *b, const place *p,
                      lxw_worksheet *ws, lxw_row_t row, int idx,
                      const formats *f, lxw_format *strfmt)
{
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_Integer c = lua_isinteger(L, -2) ? lua_tointeger(L, -2) : 0;
        if (c < 1 || c > LXW_COL_MAX)
            fail_arg(L, b, p,
                     "a row's keys must be column numbers from 1 to 16384");
        write_cell(L, b, p, ws, row, (lxw_col_t)(c - 1), -1, f, strfmt);
        lua_pop(L, 1);
    }
}

/* Adds the sheet table at index S to B's workbook. */
static void add_sheet(lua_State *L, book *b, place *p, int s,
                      const formats *f)
{
    lxw_worksheet *ws;
    lxw_error err;
    lua_Integer i, n, first = 0;
    int t;

    if (lua_getfield(L, s, "name") != LUA_TSTRING)
        fail_arg(L, b, p, "a sheet needs a name (a string)");
    p->sheet = lua_tostring(L, -1); /* stays on the stack meanwhile */
    p->row = 0;
    err = workbook_validate_sheet_name(b->wb, p->sheet);
    if (err != LXW_NO_ERROR) fail_lxw(L, b, p, "sheet name", err);
    ws = workbook_add_worksheet(b->wb, p->sheet);
    if (ws == NULL)
        fail_lxw(L, b, p, "adding the sheet", LXW_ERROR_MEMORY_MALLOC_FAILED);

    t = lua_getfield(L, s, "widths");
    if (t == LUA_TTABLE) {
        n = (lua_Integer)lua_rawlen(L, -1);
        if (n > LXW_COL_MAX) fail_arg(L, b, p, "too many column widths");
        for (i = 1; i <= n; i++) {
            int isnum;
            double w;
            lua_rawgeti(L, -1, i);
            w = (double)lua_tonumberx(L, -1, &isnum);
            if (!isnum || !(w >= 0 && w <= 255))
                fail_arg(L, b, p, "a column width must be a number 0..255");
            err = worksheet_set_column(ws, (lxw_col_t)(i - 1),
                                       (lxw_col_t)(i - 1), w, NULL);
            if (err != LXW_NO_ERROR) fail_lxw(L, b, p, "column width", err);
            lua_pop(L, 1);
        }
    } else if (t != LUA_TNIL) {
        fail_arg(L, b, p, "widths must be a list of numbers");
    }
    lua_pop(L, 1);

    t = lua_getfield(L, s, "header");
    if (t == LUA_TTABLE) {
        write_row(L, b, p, ws, 0, -1, f, f->bold);
        worksheet_freeze_panes(ws, 1, 0);
        first = 1; /* the rows start below the header */
    } else if (t != LUA_TNIL) {
        fail_arg(L, b, p, "header must be a list");
    }
    lua_pop(L, 1);

    t = lua_getfield(L, s, "rows");
    if (t == LUA_TTABLE) {
        n = (lua_Integer)lua_rawlen(L, -1);
        if (n + first > LXW_ROW_MAX) fail_arg(L, b, p, "too many rows");
        for (i = 1; i <= n; i++) {
            p->row = i;
            t = lua_rawgeti(L, -1, i);
            if (t == LUA_TTABLE)
                write_row(L, b, p, ws, (lxw_row_t)(i - 1 + first), -1, f,
                          NULL);
            else if (t != LUA_TNIL && !(t == LUA_TBOOLEAN && !lua_toboolean(L, -1)))
                fail_arg(L, b, p, "a row must be a list of cells");
            lua_pop(L, 1);
        }
        p->row = 0;
    } else if (t != LUA_TNIL) {
        fail_arg(L, b, p, "rows must be a list of rows");
    }
    lua_pop(L, 2); /* rows, name */
}

int l_xlsx_write(lua_State *L)
{
    size_t len;
    const char *path = luaL_checklstring(L, 1, &len);
    lua_Integer i, n;
    book *b;
    formats f;
    place p;
    lxw_error err;

    luaL_argcheck(L, strlen(path) == len, 1, "the path holds a zero byte");
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    b = lua_newuserdatauv(L, sizeof *b, 0);
    b->wb = NULL;
    if (luaL_newmetatable(L, BOOK_MT)) {
        lua_pushcfunction(L, book_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);

    p.path = path;
    p.sheet = NULL;
    p.row = 0;
    b->wb = workbook_new(path);
    if (b->wb == NULL)
        return fail_lxw(L, b, &p, "creating the workbook",
                        LXW_ERROR_MEMORY_MALLOC_FAILED);
    f.bold = workbook_add_format(b->wb);
    f.integer = workbook_add_format(b->wb);
    f.decimal = workbook_add_format(b->wb);
    if (!f.bold || !f.integer || !f.decimal)
        return fail_lxw(L, b, &p, "adding a format",
                        LXW_ERROR_MEMORY_MALLOC_FAILED);
    format_set_bold(f.bold);
    format_set_num_format(f.integer, "#,##0");
    format_set_num_format(f.decimal, "#,##0.00");

    n = (lua_Integer)lua_rawlen(L, 2);
    for (i = 1; i <= n; i++) {
        if (lua_rawgeti(L, 2, i) != LUA_TTABLE) {
            lua_pushfstring(L, "sheet %I is not a table", i);
            return fail_arg(L, b, &p, lua_tostring(L, -1));
        }
        add_sheet(L, b, &p, lua_gettop(L), &f);
        p.sheet = NULL;
        lua_pop(L, 1);
    }

    /* workbook_close frees the workbook whatever it returns. */
    err = workbook_close(b->wb);
    b->wb = NULL;
    if (err != LXW_NO_ERROR) return fail_lxw(L, b, &p, "writing", err);
    {
        char why[300];
        const char *bad = check_written(p.path, why, sizeof why);
        if (bad) {
            remove(p.path);
            return luaL_error(L, "%s: %s", p.path, bad);
        }
    }
    return 0;
}
