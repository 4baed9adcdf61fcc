/*
** lcoopstat.c: the coopstat Lua module ("require 'coopstat'").
** Every C object is owned by a full userdata (a box) from the moment it
** exists, so a Lua error (a longjmp) at any point leaks nothing: the
** collector frees whatever a failed call left behind.  The engine's
** userdata lists the boxes holding C objects; each box keeps it alive
** through its user value, and whichever box is still open when the
** engine is finalized (at lua_close) is freed by the engine first.
*/
#define _XOPEN_SOURCE 700 /* realpath */
#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coopstat.h"
#include "lauxlib.h"
#include "lualib.h"
#include "lua.h"

#include "lcoopstat.h"
#include "lembed.h"
#include "lscenario.h"
#include "lxlsx.h"

_Static_assert(sizeof(lua_Integer) == 8, "coopstat needs 64-bit Lua integers");
_Static_assert(LUA_MAXINTEGER == INT64_MAX, "lua_Integer must be int64_t");
/* So that a non-negative lua_Integer always converts to size_t. */
_Static_assert(SIZE_MAX >= INT64_MAX, "coopstat needs a 64-bit size_t");

#define ENGINE_MT "coopstat.engine"
#define ENGINE_REG "coopstat.engine.handle"
#define NULL_MT "coopstat.null"
#define NULL_REG "coopstat.null.value"
#define DATASET_MT "coopstat.dataset"
#define COLUMN_MT "coopstat.column"
#define STORE_MT "coopstat.store"
#define DEFAULT_DB_REG "coopstat.db.default"

/* Every module function and method has these upvalues; the __index
** closures have the methods table as a third. */
#define LUA_ALLOC_REG "coopstat.use_lua_alloc"
#define UV_ENGINE lua_upvalueindex(1)
#define UV_NULL lua_upvalueindex(2)
#define UV_METHODS lua_upvalueindex(3)

/* Rows shown by print(ds), and the width used when $COLUMNS is unset. */
#define SHOW_ROWS 20
#define SHOW_WIDTH 100
/* Values shown by tostring(column). */
#define SHOW_VALUES 10

/* The common head of dataset and column boxes. */
typedef struct box {
    struct box *prev, *next; /* in the engine's list while open */
    struct engbox *eb;
    void (*release)(struct box *b); /* frees the C object, unlinks */
} box;

typedef struct engbox {
    cs_engine *eng;
    box open;     /* list head: boxes holding a C object */
    int orphaned; /* finalized: no new objects */
} engbox;

typedef struct dsbox {
    box h;
    cs_dataset *ds; /* NULL once closed */
} dsbox;

typedef struct colbox {
    box h;
    cs_column *col; /* one reference; NULL once closed */
} colbox;

typedef struct stbox {
    box h;
    cs_store *st;   /* NULL once closed */
} stbox;

/* ------------------------------------------------------------------ */
/* Engine                                                             */
/* ------------------------------------------------------------------ */

static void box_link(box *b)
{
    box *head = &b->eb->open;
    b->prev = head;
    b->next = head->next;
    head->next->prev = b;
    head->next = b;
}

static void box_unlink(box *b)
{
    b->prev->next = b->next;
    b->next->prev = b->prev;
    b->prev = b->next = b;
}

/* The engine is anchored in the registry and by every box, so this runs
** at lua_close (or once nothing uses the engine).  Lua finalizes in
** reverse order of creation, so the boxes are normally closed by now;
** those still open were created by other finalizers during the close,
** which Lua no longer finalizes. */
static int engine_gc(lua_State *L)
{
    engbox *eb = lua_touserdata(L, 1);
    if (eb->orphaned) return 0;
    eb->orphaned = 1;
    while (eb->open.next != &eb->open)
        eb->open.next->release(eb->open.next);
    cs_engine_free(eb->eng);
    eb->eng = NULL;
    return 0;
}

/* Pushes the engine userdata of L, creating it the first time. */
static engbox *push_engine(lua_State *L)
{
    engbox *eb;
    if (lua_getfield(L, LUA_REGISTRYINDEX, ENGINE_REG) == LUA_TUSERDATA)
        return lua_touserdata(L, -1);
    lua_pop(L, 1);
    eb = lua_newuserdatauv(L, sizeof *eb, 0);
    eb->eng = NULL;
    eb->open.prev = eb->open.next = &eb->open;
    eb->open.eb = eb;
    eb->open.release = NULL;
    eb->orphaned = 0;
    if (luaL_newmetatable(L, ENGINE_MT)) {
        lua_pushcfunction(L, engine_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    {
        /* The host may ask the engine to allocate through the state's
        ** allocator (a job's memory limit counts both). */
        void *ud = NULL;
        lua_Alloc f = NULL;
        if (lua_getfield(L, LUA_REGISTRYINDEX, LUA_ALLOC_REG) == LUA_TBOOLEAN &&
            lua_toboolean(L, -1))
            f = lua_getallocf(L, &ud);
        lua_pop(L, 1);
        if (cs_engine_new(f, ud, &eb->eng) != CS_OK)
            luaL_error(L, "coopstat: cannot create the engine: out of memory");
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, ENGINE_REG);
    return eb;
}

void lcoopstat_use_lua_allocator(lua_State *L)
{
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, LUA_ALLOC_REG);
}

cs_engine *lcoopstat_engine(lua_State *L)
{
    engbox *eb = push_engine(L);
    lua_pop(L, 1);
    return eb->eng;
}

static engbox *check_engine(lua_State *L)
{
    engbox *eb = lua_touserdata(L, UV_ENGINE);
    if (eb->orphaned)
        luaL_error(L, "coopstat: the engine is closed (the Lua state is "
                      "closing)");
    return eb;
}

/* Raises the detail of the last error on ENG, after WHAT (if any). */
static int raise_status(lua_State *L, cs_engine *eng, int rc, const char *what)
{
    const char *msg = cs_errmsg(eng);
    if (rc == CS_EINTERRUPT) cs_engine_clear_interrupt(eng);
    size_t wl = what ? strlen(what) : 0;
    if (msg == NULL || *msg == '\0') msg = cs_strerror(rc);
    /* Core verbs name themselves already ("select: no column ..."). */
    if (what && !(strncmp(msg, what, wl) == 0 && msg[wl] == ':'))
        return luaL_error(L, "%s: %s", what, msg);
    return luaL_error(L, "%s", msg);
}

/* Pushes S[0..LEN), a string the core returned as new, and frees it
** even when pushing fails. */
static int push_owned_k(lua_State *L)
{
    lua_pushlstring(L, lua_touserdata(L, 1), (size_t)lua_tointeger(L, 2));
    return 1;
}

static void push_owned(lua_State *L, cs_engine *eng, char *s, size_t len)
{
    int st;
    lua_pushcfunction(L, push_owned_k);
    lua_pushlightuserdata(L, s);
    lua_pushinteger(L, (lua_Integer)len);
    st = lua_pcall(L, 2, 1, 0);
    cs_free(eng, s, len + 1);   /* S may hold NUL bytes of its own */
    if (st != LUA_OK) lua_error(L);
}

/* ------------------------------------------------------------------ */
/* Boxes                                                              */
/* ------------------------------------------------------------------ */

static void dsbox_release(box *h)
{
    dsbox *b = (dsbox *)h;
    if (b->ds) {
        box_unlink(h);
        cs_dataset_free(b->ds);
        b->ds = NULL;
    }
}

static void colbox_release(box *h)
{
    colbox *b = (colbox *)h;
    if (b->col) {
        box_unlink(h);
        cs_column_release(b->col);
        b->col = NULL;
    }
}

/* Pushes a closed box of SIZE bytes with metatable MT, bound to the
** engine upvalue. */
static box *new_box(lua_State *L, size_t size, const char *mt,
                    void (*release)(box *))
{
    engbox *eb = check_engine(L);
    box *b = lua_newuserdatauv(L, size, 1);
    memset(b, 0, size);
    b->prev = b->next = b;
    b->eb = eb;
    b->release = release;
    lua_pushvalue(L, UV_ENGINE);
    lua_setiuservalue(L, -2, 1);
    luaL_setmetatable(L, mt);
    return b;
}

static dsbox *new_dsbox(lua_State *L)
{
    return (dsbox *)new_box(L, sizeof(dsbox), DATASET_MT, dsbox_release);
}

static colbox *new_colbox(lua_State *L)
{
    return (colbox *)new_box(L, sizeof(colbox), COLUMN_MT, colbox_release);
}

static void colbox_set(colbox *b, cs_column *col)
{
    b->col = col;
    box_link(&b->h);
}

/* N, or INT_MAX when N is larger: for Lua's int sizes and hints. */
static int clamp_int(size_t n)
{
    return n > INT_MAX ? INT_MAX : (int)n;
}

/* Puts the dataset OUT, made with status RC, into the box B on top of
** the stack and returns 1 (B), or raises after WHAT.  The collector
** sees only the small box, not the columns behind it, so it is told
** roughly what the dataset holds (8 bytes a cell): loops that make many
** datasets then collect the old ones in time. */
static int set_dataset(lua_State *L, dsbox *b, int rc, cs_dataset *out,
                       const char *what)
{
    size_t kb;
    if (rc != CS_OK) return raise_status(L, b->h.eb->eng, rc, what);
    b->ds = out;
    box_link(&b->h);
    kb = cs_dataset_nrows(out) / 128 * cs_dataset_ncols(out);
    if (kb > 0) lua_gc(L, LUA_GCSTEP, clamp_int(kb));
    return 1;
}

static cs_dataset *check_ds(lua_State *L, int idx)
{
    dsbox *b = luaL_checkudata(L, idx, DATASET_MT);
    if (b->ds == NULL) luaL_error(L, "dataset is closed");
    return b->ds;
}

static cs_column *check_col(lua_State *L, int idx)
{
    colbox *b = luaL_checkudata(L, idx, COLUMN_MT);
    if (b->col == NULL) luaL_error(L, "column is closed");
    return b->col;
}

/* __gc and __close of datasets and columns; closing twice is harmless. */
static int box_close(lua_State *L)
{
    box *b = luaL_testudata(L, 1, DATASET_MT);
    if (b == NULL) b = luaL_testudata(L, 1, COLUMN_MT);
    if (b == NULL)
        return luaL_typeerror(L, 1, "coopstat.dataset or coopstat.column");
    b->release(b);
    return 0;
}

/* Pushes a column box holding a new reference to COL. */
static void push_column(lua_State *L, cs_column *col)
{
    colbox *b = new_colbox(L);
    colbox_set(b, cs_column_retain(col));
}

/* ------------------------------------------------------------------ */
/* Arguments                                                          */
/* ------------------------------------------------------------------ */

static int is_null(lua_State *L, int idx)
{
    return lua_rawequal(L, idx, UV_NULL);
}

/* A table that is not cs.null (itself a table, to Lua). */
static int is_table(lua_State *L, int idx)
{
    return lua_istable(L, idx) && !is_null(L, idx);
}

/* The type of the value at IDX for messages, naming cs.null. */
static const char *type_name(lua_State *L, int idx)
{
    return is_null(L, idx) ? "cs.null" : luaL_typename(L, idx);
}

/* Argument ARG must be a table (not cs.null), or nil when OPTIONAL.
** Returns 0 for an absent optional one. */
static int check_table(lua_State *L, int arg, int optional)
{
    if (optional && lua_isnoneornil(L, arg)) return 0;
    if (!is_table(L, arg)) luaL_typeerror(L, arg, "table");
    return 1;
}

/* The string at IDX as a C string, or NULL when it holds a zero byte
** (the core would silently cut it there). */
static const char *cstring(lua_State *L, int idx)
{
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    return strlen(s) == len ? s : NULL;
}

/* A path argument: a string without zero bytes. */
static const char *check_path(lua_State *L, int arg)
{
    const char *s;
    luaL_checkstring(L, arg);
    s = cstring(L, arg);
    luaL_argcheck(L, s != NULL, arg, "the path contains a zero byte");
    return s;
}

/* ------------------------------------------------------------------ */
/* Values                                                             */
/* ------------------------------------------------------------------ */

/* Pushes V as Lua sees it: nil for null, an ISO string for a date. */
static void push_value(lua_State *L, const cs_value *v)
{
    char buf[16];
    if (v->isnull) {
        lua_pushnil(L);
        return;
    }
    switch (v->type) {
    case CS_TYPE_I64:
        lua_pushinteger(L, (lua_Integer)v->u.i);
        break;
    case CS_TYPE_F64:
        lua_pushnumber(L, (lua_Number)v->u.f);
        break;
    case CS_TYPE_STR:
        lua_pushlstring(L, v->u.s.p, v->u.s.len);
        break;
    case CS_TYPE_BOOL:
        lua_pushboolean(L, v->u.b);
        break;
    case CS_TYPE_DATE:
        cs_date_format(v->u.d, buf);
        lua_pushstring(L, buf);
        break;
    default:
        lua_pushnil(L);
        break;
    }
}

static void push_cell(lua_State *L, const cs_column *col, size_t row)
{
    cs_value v;
    cs_column_get(col, row, &v);
    push_value(L, &v);
}

/* Column J of DS; a view gathers it on first use, which can run out of
** memory. */
static const cs_column *column_at(lua_State *L, const cs_dataset *ds,
                                  size_t j)
{
    const cs_column *col = cs_dataset_column(ds, j);
    if (col == NULL) raise_status(L, cs_dataset_engine(ds), CS_ENOMEM, NULL);
    return col;
}

/* Pushes a table of row ROW keyed by column name; nulls are absent. */
static void push_row(lua_State *L, const cs_dataset *ds, size_t row)
{
    size_t j, ncols = cs_dataset_ncols(ds);
    lua_createtable(L, 0, clamp_int(ncols));
    for (j = 0; j < ncols; j++) {
        cs_value v;
        cs_column_get(column_at(L, ds, j), row, &v);
        if (v.isnull) continue;
        push_value(L, &v);
        lua_setfield(L, -2, cs_dataset_colname(ds, j));
    }
}

/* ------------------------------------------------------------------ */
/* CSV options                                                        */
/* ------------------------------------------------------------------ */

/* The name of the option whose key and value are on top of the stack;
** raises for a key that is not a string without zero bytes. */
static const char *option_name(lua_State *L, const char *fn)
{
    if (lua_type(L, -2) != LUA_TSTRING)
        luaL_error(L, "%s: option names must be strings, got %s", fn,
                   luaL_typename(L, -2));
    if (cstring(L, -2) == NULL)
        luaL_error(L, "%s: option names cannot contain a zero byte", fn);
    return lua_tostring(L, -2);
}

/* The one character of option NAME; EMPTY_OK lets "" and false mean 0. */
static char opt_char(lua_State *L, const char *fn, const char *name,
                     int empty_ok)
{
    size_t len;
    const char *s;
    if (empty_ok && lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1))
        return 0;
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "%s: option '%s' must be a one-character string, got %s",
                   fn, name, type_name(L, -1));
    s = lua_tolstring(L, -1, &len);
    if (len == 0 && empty_ok) return 0;
    if (len != 1)
        luaL_error(L, "%s: option '%s' must be one character, got '%s'", fn,
                   name, s);
    return s[0];
}

static int opt_bool(lua_State *L, const char *fn, const char *name)
{
    if (lua_type(L, -1) != LUA_TBOOLEAN)
        luaL_error(L, "%s: option '%s' must be a boolean, got %s", fn, name,
                   type_name(L, -1));
    return lua_toboolean(L, -1);
}

/* The string value of option NAME (ITEM > 0: of its list's item ITEM). */
static const char *opt_string(lua_State *L, const char *fn, const char *name,
                              lua_Integer item)
{
    const char *s;
    if (lua_type(L, -1) != LUA_TSTRING && item > 0)
        luaL_error(L, "%s: option '%s': item %I must be a string, got %s", fn,
                   name, item, type_name(L, -1));
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "%s: option '%s' must be a string, got %s", fn, name,
                   type_name(L, -1));
    s = cstring(L, -1);
    if (s == NULL)
        luaL_error(L, "%s: option '%s' contains a zero byte", fn, name);
    return s;
}

static cs_type check_type_name(lua_State *L, const char *fn, int idx,
                               const char *colname)
{
    cs_type t = 0;
    if (lua_type(L, idx) == LUA_TSTRING)
        t = cs_type_from_name(lua_tostring(L, idx));
    if (t == 0)
        luaL_error(L,
                   "%s: column '%s': unknown type '%s' (types are int64, "
                   "float64, string, bool, date)",
                   fn, colname, luaL_tolstring(L, idx, NULL));
    return t;
}

/* Pushes a userdata array of N elements of SIZE bytes below the key and
** value on top of the stack, where it stays until the read is done. */
static void *option_array(lua_State *L, size_t n, size_t size)
{
    void *a = lua_newuserdatauv(L, (n ? n : 1) * size, 0);
    lua_insert(L, -3);
    return a;
}

/* Option 'na' (on top of the stack): a string or a list of strings. */
static void opt_na(lua_State *L, const char *fn, cs_csv_options *o)
{
    int list = is_table(L, -1);
    size_t i, n = list ? (size_t)lua_rawlen(L, -1) : 1;
    const char **na;
    if (!list && lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L,
                   "%s: option 'na' must be a string or a list of "
                   "strings, got %s",
                   fn, type_name(L, -1));
    na = option_array(L, n, sizeof *na);
    for (i = 0; i < n; i++) {
        if (list)
            lua_rawgeti(L, -1, (lua_Integer)i + 1);
        else
            lua_pushvalue(L, -1);
        na[i] = opt_string(L, fn, "na", list ? (lua_Integer)i + 1 : 0);
        lua_pop(L, 1);
    }
    o->na = na;
    o->nna = n;
}

/* Option 'schema' (on top of the stack): a table of column = type. */
static void opt_schema(lua_State *L, const char *fn, cs_csv_options *o)
{
    const char **names;
    cs_type *types;
    size_t n = 0, i = 0;
    if (!is_table(L, -1))
        luaL_error(L,
                   "%s: option 'schema' must be a table of column = type, "
                   "got %s",
                   fn, type_name(L, -1));
    for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1))
        n++;
    names = option_array(L, n, sizeof *names);
    types = option_array(L, n, sizeof *types);
    for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1), i++) {
        if (lua_type(L, -2) != LUA_TSTRING || !cstring(L, -2))
            luaL_error(L,
                       "%s: option 'schema': column names must be "
                       "strings without zero bytes, got %s",
                       fn, luaL_typename(L, -2));
        names[i] = lua_tostring(L, -2);
        types[i] = check_type_name(L, fn, -1, names[i]);
    }
    o->schema_names = names;
    o->schema_types = types;
    o->nschema = n;
}

/* Sets option K of the cs_csv_options UD from the value on top of the
** stack; returns 0 when there is no such option. */
static int set_read_option(lua_State *L, const char *fn, const char *k,
                           void *ud)
{
    cs_csv_options *o = ud;
    if (strcmp(k, "sep") == 0)
        o->sep = opt_char(L, fn, k, 0);
    else if (strcmp(k, "decimal") == 0)
        o->decimal = opt_char(L, fn, k, 0);
    else if (strcmp(k, "thousands") == 0)
        o->thousands = opt_char(L, fn, k, 1);
    else if (strcmp(k, "header") == 0)
        o->header = opt_bool(L, fn, k);
    else if (strcmp(k, "date_format") == 0)
        o->date_format = opt_string(L, fn, k, 0);
    else if (strcmp(k, "encoding") == 0)
        o->encoding = opt_string(L, fn, k, 0);
    else if (strcmp(k, "na") == 0)
        opt_na(L, fn, o);
    else if (strcmp(k, "schema") == 0)
        opt_schema(L, fn, o);
    else
        return 0;
    return 1;
}

/* The same for the cs_csv_write_options UD. */
static int set_write_option(lua_State *L, const char *fn, const char *k,
                            void *ud)
{
    cs_csv_write_options *o = ud;
    if (strcmp(k, "sep") == 0)
        o->sep = opt_char(L, fn, k, 0);
    else if (strcmp(k, "decimal") == 0)
        o->decimal = opt_char(L, fn, k, 0);
    else if (strcmp(k, "bom") == 0)
        o->bom = opt_bool(L, fn, k);
    else if (strcmp(k, "crlf") == 0)
        o->crlf = opt_bool(L, fn, k);
    else if (strcmp(k, "header") == 0)
        o->header = opt_bool(L, fn, k);
    else
        return 0;
    return 1;
}

typedef int (*option_setter)(lua_State *L, const char *fn, const char *k,
                             void *ud);

/* Applies SET to each entry of the options table at IDX (none or nil:
** no options), read raw; KNOWN lists the names for the error about an
** unknown one.  The strings the options point to are anchored by that
** table, the arrays by userdata pushed on the stack, so the caller keeps
** the stack as it is until the options are used. */
static void parse_options(lua_State *L, int idx, const char *fn,
                          option_setter set, void *ud, const char *known)
{
    if (!check_table(L, idx, 1)) return;
    idx = lua_absindex(L, idx);
    for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
        const char *k = option_name(L, fn);
        if (!set(L, fn, k, ud))
            luaL_error(L, "%s: unknown option '%s' (options are %s)", fn, k,
                       known);
    }
}

static void read_options(lua_State *L, int idx, const char *fn,
                         cs_csv_options *o)
{
    cs_csv_options_init(o);
    parse_options(L, idx, fn, set_read_option, o,
                  "sep, decimal, thousands, header, date_format, encoding, "
                  "na, schema");
}

static void write_options(lua_State *L, int idx, const char *fn,
                          cs_csv_write_options *o)
{
    cs_csv_write_options_init(o);
    parse_options(L, idx, fn, set_write_option, o,
                  "sep, decimal, bom, crlf, header");
}

/* ------------------------------------------------------------------ */
/* Module functions                                                   */
/* ------------------------------------------------------------------ */

/* Reads CSV for FN: the text TEXT[0..LEN) named NAME, or the file NAME
** when TEXT is NULL.  The options are argument 2. */
static int read_csv(lua_State *L, const char *fn, const char *text, size_t len,
                    const char *name)
{
    cs_csv_options o;
    cs_dataset *ds = NULL;
    dsbox *b;
    int rc;
    read_options(L, 2, fn, &o);
    b = new_dsbox(L);
    if (text)
        rc = cs_csv_read_buffer(b->h.eb->eng, text, len, name, &o, &ds);
    else
        rc = cs_csv_read(b->h.eb->eng, name, &o, &ds);
    return set_dataset(L, b, rc, ds, fn);
}

/* cs.read_csv(path [, options]) */
static int l_read_csv(lua_State *L)
{
    return read_csv(L, "read_csv", NULL, 0, check_path(L, 1));
}

/* cs.read_csv_string(text [, options [, name]]) */
static int l_read_csv_string(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    const char *name = luaL_optstring(L, 3, "<string>");
    return read_csv(L, "read_csv_string", text, len, name);
}

/* What a Lua value can become in a column; 0 is cs.null. */
enum { K_NULL = 0, K_BAD = -1 };

/* A Lua float, even an integral one such as 2.0, is a float64 value. */
static int kind_of(lua_State *L, int idx)
{
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        return lua_isinteger(L, idx) ? CS_TYPE_I64 : CS_TYPE_F64;
    case LUA_TSTRING:
        return CS_TYPE_STR;
    case LUA_TBOOLEAN:
        return CS_TYPE_BOOL;
    default:
        return is_null(L, idx) ? K_NULL : K_BAD;
    }
}

static const char *kind_name(int k)
{
    switch (k) {
    case CS_TYPE_I64:
        return "integer";
    case CS_TYPE_F64:
        return "float";
    case CS_TYPE_STR:
        return "string";
    case CS_TYPE_BOOL:
        return "boolean";
    default:
        return "other";
    }
}

/* Pushes column NAME of the columns table (argument 1), raw. */
static void push_array(lua_State *L, const char *name)
{
    lua_pushstring(L, name);
    lua_rawget(L, 1);
}

/* The number of rows of the array on top of the stack, column NAME: its
** largest key.  Raises for a key that is not a row number and for a
** hole. */
static size_t array_rows(lua_State *L, const char *name)
{
    int t = lua_gettop(L);
    lua_Integer max = 0, i;
    for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) {
        if (!lua_isinteger(L, -2) || lua_tointeger(L, -2) < 1)
            luaL_error(L,
                       "dataset: column '%s' has the key '%s'; give each "
                       "column as an array",
                       name, luaL_tolstring(L, -2, NULL));
        if (lua_tointeger(L, -2) > max) max = lua_tointeger(L, -2);
    }
    for (i = 1; i <= max; i++) {
        if (lua_rawgeti(L, t, i) == LUA_TNIL)
            luaL_error(L,
                       "dataset: column '%s': row %I is nil; use cs.null "
                       "for a null",
                       name, i);
        lua_pop(L, 1);
    }
    return (size_t)max;
}

/* The type of column NAME (the array at IDX, N rows) from its values. */
static cs_type infer_type(lua_State *L, int idx, size_t n, const char *name)
{
    int t = 0;
    size_t i, first = 0;
    for (i = 1; i <= n; i++) {
        int k;
        lua_rawgeti(L, idx, (lua_Integer)i);
        k = kind_of(L, -1);
        if (k == K_BAD)
            luaL_error(L, "dataset: column '%s', row %I: cannot store a %s",
                       name, (lua_Integer)i, luaL_typename(L, -1));
        lua_pop(L, 1);
        if (k == K_NULL || k == t) continue;
        if (t == 0) {
            t = k;
            first = i;
        } else if ((t == CS_TYPE_I64 && k == CS_TYPE_F64) ||
                   (t == CS_TYPE_F64 && k == CS_TYPE_I64)) {
            t = CS_TYPE_F64;
        } else {
            luaL_error(L,
                       "dataset: column '%s' mixes %s (row %I) and %s "
                       "(row %I) values",
                       name, kind_name(t), (lua_Integer)first, kind_name(k),
                       (lua_Integer)i);
        }
    }
    return t == 0 ? CS_TYPE_STR : (cs_type)t;
}

/* The type of column NAME, the array at IDX: given, or inferred. */
static cs_type column_type(lua_State *L, int idx, size_t n, const char *name)
{
    cs_type t = 0;
    if (!lua_isnil(L, 3)) {
        lua_pushstring(L, name);
        if (lua_rawget(L, 3) == LUA_TSTRING) /* a name check_types passed */
            t = cs_type_from_name(lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    return t ? t : infer_type(L, idx, n, name);
}

/* Raises for the value on top of the stack, which cannot go into column
** NAME of type T; a number, string or boolean is quoted. */
static int bad_cell(lua_State *L, const char *name, size_t row, cs_type t)
{
    const char *got = type_name(L, -1);
    if (kind_of(L, -1) == K_BAD)
        return luaL_error(L,
                          "dataset: column '%s', row %I: expected %s, "
                          "got %s",
                          name, (lua_Integer)row, cs_type_name(t), got);
    return luaL_error(L,
                      "dataset: column '%s', row %I: expected %s, got %s "
                      "'%s'",
                      name, (lua_Integer)row, cs_type_name(t), got,
                      luaL_tolstring(L, -1, NULL));
}

/* Appends the Lua value on top of the stack to COL of type T. */
static int push_cell_value(lua_State *L, cs_column *col, cs_type t,
                           const char *name, size_t row)
{
    int k = kind_of(L, -1), isint;
    size_t len;
    const char *s;
    int32_t days;
    if (k == K_NULL) return cs_column_push_null(col);
    switch (t) {
    case CS_TYPE_I64: {
        lua_Integer v = lua_tointegerx(L, -1, &isint);
        if (lua_type(L, -1) != LUA_TNUMBER || !isint) bad_cell(L, name, row, t);
        return cs_column_push_i64(col, (int64_t)v);
    }
    case CS_TYPE_F64:
        if (lua_type(L, -1) != LUA_TNUMBER) bad_cell(L, name, row, t);
        return cs_column_push_f64(col, (double)lua_tonumber(L, -1));
    case CS_TYPE_BOOL:
        if (k != CS_TYPE_BOOL) bad_cell(L, name, row, t);
        return cs_column_push_bool(col, lua_toboolean(L, -1));
    case CS_TYPE_STR:
        if (k != CS_TYPE_STR) bad_cell(L, name, row, t);
        s = lua_tolstring(L, -1, &len);
        return cs_column_push_str(col, s, len);
    case CS_TYPE_DATE:
        if (k != CS_TYPE_STR) bad_cell(L, name, row, t);
        s = lua_tolstring(L, -1, &len);
        if (cs_date_parse(s, len, NULL, &days) != CS_OK)
            luaL_error(L,
                       "dataset: column '%s', row %I: '%s' is not a date "
                       "(YYYY-MM-DD)",
                       name, (lua_Integer)row, s);
        return cs_column_push_date(col, days);
    }
    return CS_EINVAL;
}

/* Raises the status RC of building column NAME (at ROW when > 0). */
static int raise_column(lua_State *L, cs_engine *eng, int rc, const char *name,
                        size_t row)
{
    if (row > 0)
        lua_pushfstring(L, "dataset: column '%s', row %I", name,
                        (lua_Integer)row);
    else
        lua_pushfstring(L, "dataset: column '%s'", name);
    return raise_status(L, eng, rc, lua_tostring(L, -1));
}

/* Builds column NAME of NROWS rows and adds it to DS. */
static void add_column(lua_State *L, cs_dataset *ds, const char *name,
                       size_t nrows)
{
    cs_engine *eng = cs_dataset_engine(ds);
    int arr, rc;
    size_t i;
    cs_type t;
    cs_column *col;
    colbox *cb;
    push_array(L, name);
    arr = lua_gettop(L);
    t = column_type(L, arr, nrows, name);
    cb = new_colbox(L);
    rc = cs_column_new(eng, t, &col);
    if (rc != CS_OK) raise_column(L, eng, rc, name, 0);
    colbox_set(cb, col);
    rc = cs_column_reserve(col, nrows);
    if (rc != CS_OK) raise_column(L, eng, rc, name, 0);
    for (i = 1; i <= nrows; i++) {
        lua_rawgeti(L, arr, (lua_Integer)i);
        rc = push_cell_value(L, col, t, name, i);
        if (rc != CS_OK) raise_column(L, eng, rc, name, i);
        lua_pop(L, 1);
    }
    rc = cs_dataset_add(ds, name, col);
    if (rc != CS_OK) raise_column(L, eng, rc, name, 0);
    colbox_release(&cb->h);
    lua_settop(L, arr - 1);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Checks the columns table (argument 1): string names without zero
** bytes, array values.  Returns the number of columns. */
static size_t check_columns(lua_State *L)
{
    size_t n = 0;
    for (lua_pushnil(L); lua_next(L, 1); lua_pop(L, 1), n++) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "dataset: column names must be strings, got %s",
                       luaL_typename(L, -2));
        if (cstring(L, -2) == NULL)
            luaL_error(L,
                       "dataset: column '%s...': a column name cannot "
                       "contain a zero byte",
                       lua_tostring(L, -2));
        if (!is_table(L, -1))
            luaL_error(L, "dataset: column '%s' must be an array, got %s",
                       lua_tostring(L, -2), type_name(L, -1));
    }
    return n;
}

/* Fills NAMES[0..N) from the order list (argument 2), which must name
** every column once. */
static void ordered_names(lua_State *L, const char **names, size_t n)
{
    size_t i, m = (size_t)lua_rawlen(L, 2);
    int seen;
    lua_newtable(L);
    seen = lua_gettop(L);
    for (i = 0; i < m; i++) {
        const char *s;
        if (lua_rawgeti(L, 2, (lua_Integer)i + 1) != LUA_TSTRING)
            luaL_error(L, "dataset: order[%I] must be a column name, got %s",
                       (lua_Integer)i + 1, type_name(L, -1));
        s = lua_tostring(L, -1);
        lua_pushvalue(L, -1);
        if (lua_rawget(L, 1) == LUA_TNIL)
            luaL_error(L,
                       "dataset: the order names '%s', which is not a "
                       "column",
                       s);
        lua_pop(L, 1);
        if (lua_rawget(L, seen) != LUA_TNIL) /* pops the name */
            luaL_error(L, "dataset: the order names '%s' twice", s);
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
        lua_setfield(L, seen, s);
        if (i < n) names[i] = s; /* m > n raised above: a name repeats */
    }
    for (lua_pushnil(L); lua_next(L, 1); lua_pop(L, 1)) {
        lua_pushvalue(L, -2);
        if (lua_rawget(L, seen) == LUA_TNIL)
            luaL_error(L, "dataset: column '%s' is missing from the order",
                       lua_tostring(L, -3));
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* Pushes a userdata array of the column names of cs.dataset(COLUMNS,
** ORDER) in order and returns it; the strings are anchored by the
** argument tables. */
static const char **column_order(lua_State *L, size_t *ncols)
{
    size_t i = 0, n = check_columns(L);
    const char **names = lua_newuserdatauv(L, (n ? n : 1) * sizeof *names, 0);
    if (!lua_isnil(L, 2)) {
        ordered_names(L, names, n);
    } else {
        for (lua_pushnil(L); lua_next(L, 1); lua_pop(L, 1))
            names[i++] = lua_tostring(L, -2);
        qsort(names, n, sizeof *names, cmp_names);
    }
    *ncols = n;
    return names;
}

/* Checks the types table (argument 3, if any): column = type name. */
static void check_types(lua_State *L)
{
    if (lua_isnil(L, 3)) return;
    for (lua_pushnil(L); lua_next(L, 3); lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "dataset: types must be keyed by column name, got %s",
                       luaL_typename(L, -2));
        lua_pushvalue(L, -2);
        if (lua_rawget(L, 1) == LUA_TNIL)
            luaL_error(L, "dataset: types names '%s', which is not a column",
                       lua_tostring(L, -3));
        lua_pop(L, 1);
        check_type_name(L, "dataset", -1, lua_tostring(L, -2));
    }
}

/* The common length of the columns NAMES[0..N). */
static size_t common_rows(lua_State *L, const char **names, size_t n)
{
    size_t j, nrows = 0;
    for (j = 0; j < n; j++) {
        size_t rows;
        push_array(L, names[j]);
        rows = array_rows(L, names[j]);
        lua_pop(L, 1);
        if (j == 0) {
            nrows = rows;
        } else if (rows != nrows) {
            luaL_error(L,
                       "dataset: columns '%s' (%I row%s) and '%s' (%I "
                       "row%s) differ in length (a trailing nil shortens "
                       "an array; use cs.null)",
                       names[0], (lua_Integer)nrows, nrows == 1 ? "" : "s",
                       names[j], (lua_Integer)rows, rows == 1 ? "" : "s");
        }
    }
    return nrows;
}

/* cs.dataset(columns [, order [, types]]) */
static int l_dataset(lua_State *L)
{
    size_t ncols, nrows, j;
    const char **names;
    cs_dataset *ds = NULL;
    dsbox *b;
    int rc;
    check_table(L, 1, 0);
    check_table(L, 2, 1);
    check_table(L, 3, 1);
    lua_settop(L, 3);
    names = column_order(L, &ncols);
    check_types(L);
    nrows = common_rows(L, names, ncols);
    b = new_dsbox(L);
    rc = cs_dataset_new(b->h.eb->eng, &ds);
    set_dataset(L, b, rc, ds, "dataset");
    for (j = 0; j < ncols; j++)
        add_column(L, ds, names[j], nrows);
    return 1;
}

/* ------------------------------------------------------------------ */
/* Dataset methods                                                    */
/* ------------------------------------------------------------------ */

static int ds_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)cs_dataset_nrows(check_ds(L, 1)));
    return 1;
}

static size_t screen_width(void)
{
    const char *s = getenv("COLUMNS");
    char *end;
    long w;
    if (s == NULL) return SHOW_WIDTH;
    w = strtol(s, &end, 10);
    if (end == s || *end != '\0' || w <= 0) return SHOW_WIDTH;
    return (size_t)w;
}

/* Pushes the table of the dataset at 1: at most ROWS rows, WIDTH
** cells wide (0: no limit). */
static int push_table(lua_State *L, size_t rows, size_t width)
{
    dsbox *b = luaL_checkudata(L, 1, DATASET_MT);
    cs_format_options fo;
    char *s;
    size_t len;
    int rc;
    if (b->ds == NULL) {
        lua_pushliteral(L, "coopstat.dataset (closed)");
        return 1;
    }
    fo.max_rows = rows;
    fo.width = width;
    fo.show_types = 0;
    luaL_checkstack(L, 4, NULL);
    rc = cs_dataset_format(b->ds, &fo, &s);
    if (rc != CS_OK) return raise_status(L, b->h.eb->eng, rc, NULL);
    len = strlen(s);
    if (len > 0 && s[len - 1] == '\n') /* print() adds its own */
        len--;
    push_owned(L, b->h.eb->eng, s, len);
    return 1;
}

static int ds_tostring(lua_State *L)
{
    return push_table(L, SHOW_ROWS, screen_width());
}

/* cs._format(ds [, width [, rows]]): tostring(ds) fitted to a screen of
** WIDTH cells (default $COLUMNS) showing at most ROWS rows (default 20);
** 0 is no limit.  For the REPL, which knows its terminal's size. */
static int l_format(lua_State *L)
{
    lua_Integer w = luaL_optinteger(L, 2, (lua_Integer)screen_width());
    lua_Integer r = luaL_optinteger(L, 3, SHOW_ROWS);
    luaL_checkudata(L, 1, DATASET_MT);
    luaL_argcheck(L, w >= 0, 2, "negative width");
    luaL_argcheck(L, r >= 0, 3, "negative row count");
    return push_table(L, (size_t)r, (size_t)w);
}

static int ds_names(lua_State *L)
{
    cs_dataset *ds = check_ds(L, 1);
    size_t j, n = cs_dataset_ncols(ds);
    lua_createtable(L, clamp_int(n), 0);
    for (j = 0; j < n; j++) {
        lua_pushstring(L, cs_dataset_colname(ds, j));
        lua_rawseti(L, -2, (lua_Integer)j + 1);
    }
    return 1;
}

/* ds:fingerprint() -> the SHA-256 of the content, in hex. */
static int ds_fingerprint(lua_State *L)
{
    cs_dataset *ds = check_ds(L, 1);
    char hex[CS_HASH_HEX];
    int rc = cs_dataset_fingerprint(ds, hex);
    if (rc != CS_OK)
        return raise_status(L, cs_dataset_engine(ds), rc, "fingerprint");
    lua_pushstring(L, hex);
    return 1;
}

static int ds_schema(lua_State *L)
{
    cs_dataset *ds = check_ds(L, 1);
    size_t j, n = cs_dataset_ncols(ds);
    lua_createtable(L, 0, clamp_int(n));
    for (j = 0; j < n; j++) {
        lua_pushstring(L,
                       cs_type_name(cs_column_type(column_at(L, ds, j))));
        lua_setfield(L, -2, cs_dataset_colname(ds, j));
    }
    return 1;
}

/* ds:head([n]): the first N rows (all of them when N exceeds #ds). */
static int ds_head(lua_State *L)
{
    lua_Integer n = luaL_optinteger(L, 2, 10);
    cs_dataset *out = NULL;
    dsbox *b;
    int rc;
    luaL_argcheck(L, n >= 0, 2, "the number of rows must not be negative");
    b = new_dsbox(L);
    rc = cs_dataset_slice(check_ds(L, 1), 0, (size_t)n, &out);
    return set_dataset(L, b, rc, out, "head");
}

/* Pushes the column of the dataset at 1 named by the string at 2, or
** raises naming it. */
static int get_column(lua_State *L)
{
    cs_dataset *ds = check_ds(L, 1);
    const char *name = cstring(L, 2);
    cs_column *col;
    luaL_argcheck(L, name != NULL, 2, "a column name has no zero byte");
    col = cs_dataset_get(ds, name);
    if (col == NULL)
        return raise_status(L, cs_dataset_engine(ds), CS_ENOTFOUND, NULL);
    push_column(L, col);
    return 1;
}

static int ds_col(lua_State *L)
{
    check_ds(L, 1);
    luaL_checkstring(L, 2);
    return get_column(L);
}

/* ds[key]: methods first, then columns. */
static int ds_index(lua_State *L)
{
    check_ds(L, 1);
    if (lua_type(L, 2) != LUA_TSTRING)
        return luaL_error(L, "a dataset is indexed by column name, not by %s",
                          type_name(L, 2));
    lua_pushvalue(L, 2);
    if (lua_rawget(L, UV_METHODS) != LUA_TNIL) return 1;
    lua_pop(L, 1);
    return get_column(L);
}

static int rows_iter(lua_State *L)
{
    cs_dataset *ds = check_ds(L, lua_upvalueindex(1));
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(2));
    if ((size_t)i >= cs_dataset_nrows(ds)) return 0;
    push_row(L, ds, (size_t)i);
    lua_pushinteger(L, i + 1);
    lua_copy(L, -1, lua_upvalueindex(2));
    return 2;
}

/* for row, i in ds:rows() do ... end */
static int ds_rows(lua_State *L)
{
    check_ds(L, 1);
    lua_settop(L, 1);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, rows_iter, 2);
    return 1;
}

static int ds_filter_expr(lua_State *L);

/* ds:filter(cond): COND an expression string (the fast path, in C) or a
** function of a row table, called once per row: the rows where it
** returns true. */
static int ds_filter(lua_State *L)
{
    size_t i, k = 0, n = cs_dataset_nrows(check_ds(L, 1));
    size_t *sel;
    cs_dataset *out = NULL;
    dsbox *b;
    int rc;
    if (lua_type(L, 2) == LUA_TSTRING) return ds_filter_expr(L);
    if (lua_type(L, 2) != LUA_TFUNCTION)
        return luaL_error(L, "filter: expected a condition (a string) or a "
                             "function, got %s", type_name(L, 2));
    lua_settop(L, 2);
    if (n > SIZE_MAX / sizeof *sel)
        return luaL_error(L, "filter: not enough memory");
    /* A userdata, so that an error in the predicate leaks nothing. */
    sel = lua_newuserdatauv(L, (n ? n : 1) * sizeof *sel, 0);
    for (i = 0; i < n; i++) {
        lua_pushvalue(L, 2);
        push_row(L, check_ds(L, 1), i); /* the predicate may close it */
        lua_call(L, 1, 1);
        if (lua_toboolean(L, -1)) sel[k++] = i;
        lua_pop(L, 1);
    }
    b = new_dsbox(L);
    rc = cs_dataset_take(check_ds(L, 1), sel, k, &out);
    return set_dataset(L, b, rc, out, "filter");
}

/* ds:write_csv(path [, options]) */
static int ds_write_csv(lua_State *L)
{
    const char *path = check_path(L, 2);
    cs_csv_write_options o;
    cs_dataset *ds;
    int rc;
    write_options(L, 3, "write_csv", &o);
    ds = check_ds(L, 1);
    rc = cs_csv_write(ds, path, &o);
    if (rc != CS_OK)
        return raise_status(L, cs_dataset_engine(ds), rc, "write_csv");
    return 0;
}

/* ds:to_csv([options]): the CSV text as a string. */
static int ds_to_csv(lua_State *L)
{
    cs_csv_write_options o;
    cs_dataset *ds;
    char *s;
    size_t len;
    int rc;
    write_options(L, 2, "to_csv", &o);
    luaL_checkstack(L, 4, NULL);
    ds = check_ds(L, 1);
    rc = cs_csv_write_string(ds, &o, &s, &len);
    if (rc != CS_OK)
        return raise_status(L, cs_dataset_engine(ds), rc, "to_csv");
    push_owned(L, cs_dataset_engine(ds), s, len);
    return 1;
}

/* ------------------------------------------------------------------ */
/* Column methods                                                     */
/* ------------------------------------------------------------------ */

static int col_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)cs_column_len(check_col(L, 1)));
    return 1;
}

/* col[i] is row i (nil out of range); col.name is a method. */
static int col_index(lua_State *L)
{
    int isint;
    lua_Integer i;
    cs_column *col;
    if (lua_type(L, 2) == LUA_TSTRING) {
        luaL_checkudata(L, 1, COLUMN_MT);
        lua_pushvalue(L, 2);
        lua_rawget(L, UV_METHODS);
        return 1;
    }
    col = check_col(L, 1);
    i = lua_tointegerx(L, 2, &isint);
    if (lua_type(L, 2) == LUA_TNUMBER && isint && i >= 1 &&
        (size_t)i <= cs_column_len(col))
        push_cell(L, col, (size_t)i - 1);
    else
        lua_pushnil(L);
    return 1;
}

static int col_tostring(lua_State *L)
{
    colbox *b = luaL_checkudata(L, 1, COLUMN_MT);
    luaL_Buffer buf;
    size_t i, n;
    if (b->col == NULL) {
        lua_pushliteral(L, "coopstat.column (closed)");
        return 1;
    }
    n = cs_column_len(b->col);
    luaL_buffinit(L, &buf);
    lua_pushfstring(L, "column<%s>[%I]", cs_type_name(cs_column_type(b->col)),
                    (lua_Integer)n);
    luaL_addvalue(&buf);
    for (i = 0; i < n && i < SHOW_VALUES; i++) {
        cs_value v;
        luaL_addstring(&buf, i == 0 ? ": " : ", ");
        cs_column_get(b->col, i, &v);
        if (v.isnull) {
            luaL_addstring(&buf, "\xe2\x88\x85"); /* U+2205, as print(ds) */
        } else if (v.type == CS_TYPE_STR) {
            luaL_addchar(&buf, '"');
            luaL_addlstring(&buf, v.u.s.p, v.u.s.len);
            luaL_addchar(&buf, '"');
        } else {
            push_value(L, &v);
            luaL_tolstring(L, -1, NULL);
            lua_remove(L, -2);
            luaL_addvalue(&buf);
        }
    }
    if (n > SHOW_VALUES) luaL_addstring(&buf, ", ...");
    luaL_pushresult(&buf);
    return 1;
}

static int col_type(lua_State *L)
{
    lua_pushstring(L, cs_type_name(cs_column_type(check_col(L, 1))));
    return 1;
}

static int col_count(lua_State *L)
{
    cs_column *col = check_col(L, 1);
    lua_pushinteger(L,
                    (lua_Integer)(cs_column_len(col) - cs_column_nulls(col)));
    return 1;
}

static int col_nulls(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)cs_column_nulls(check_col(L, 1)));
    return 1;
}

/* The stats of the column at 1, for method WHAT.  Returns CS_OK, or
** CS_EOVERFLOW when only the int64 sum does not fit; raises otherwise,
** and for string and date columns when NUMERIC. */
static int column_stats(lua_State *L, const char *what, int numeric,
                        cs_stats *st)
{
    cs_column *col = check_col(L, 1);
    cs_type t = cs_column_type(col);
    int rc;
    if (numeric && (t == CS_TYPE_STR || t == CS_TYPE_DATE))
        luaL_error(L, "%s: column is %s", what, cs_type_name(t));
    rc = cs_column_stats(col, st);
    /* On overflow only the int64 sum is missing; the rest is filled. */
    if (rc != CS_OK && !(rc == CS_EOVERFLOW && t == CS_TYPE_I64))
        raise_status(L, cs_column_engine(col), rc, what);
    return rc;
}

static int col_sum(lua_State *L)
{
    cs_stats st;
    int rc = column_stats(L, "sum", 1, &st);
    cs_column *col = check_col(L, 1);
    if (rc != CS_OK) return raise_status(L, cs_column_engine(col), rc, "sum");
    if (cs_column_type(col) == CS_TYPE_F64)
        lua_pushnumber(L, (lua_Number)st.fsum);
    else
        lua_pushinteger(L, (lua_Integer)st.isum);
    return 1;
}

static int col_mean(lua_State *L)
{
    cs_stats st;
    column_stats(L, "mean", 1, &st);
    if (st.count == 0)
        lua_pushnil(L);
    else
        lua_pushnumber(L, (lua_Number)st.mean);
    return 1;
}

static int col_min(lua_State *L)
{
    cs_stats st;
    column_stats(L, "min", 0, &st);
    push_value(L, &st.min);
    return 1;
}

static int col_max(lua_State *L)
{
    cs_stats st;
    column_stats(L, "max", 0, &st);
    push_value(L, &st.max);
    return 1;
}

/* col:to_table(): an array with cs.null for nulls, so that it has no
** holes and cs.dataset() takes it back. */
static int col_to_table(lua_State *L)
{
    cs_column *col = check_col(L, 1);
    size_t i, n = cs_column_len(col);
    lua_createtable(L, clamp_int(n), 0);
    for (i = 0; i < n; i++) {
        if (cs_column_is_null(col, i))
            lua_pushvalue(L, UV_NULL);
        else
            push_cell(L, col, i);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* ------------------------------------------------------------------ */
/* Opening                                                            */
/* ------------------------------------------------------------------ */

static int null_tostring(lua_State *L)
{
    lua_pushliteral(L, "coopstat.null");
    return 1;
}

static int null_misuse(lua_State *L)
{
    return luaL_error(L, "cs.null is a marker for a missing value and has "
                         "no fields");
}

static void push_null(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, NULL_REG) == LUA_TTABLE) return;
    lua_pop(L, 1);
    lua_newtable(L);
    if (luaL_newmetatable(L, NULL_MT)) {
        lua_pushcfunction(L, null_tostring);
        lua_setfield(L, -2, "__tostring");
        lua_pushcfunction(L, null_misuse);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, null_misuse);
        lua_setfield(L, -2, "__newindex");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
    }
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, NULL_REG);
}

/* ------------------------------------------------------------------ */
/* Verbs: thin wrappers over the core's verbs                         */
/* ------------------------------------------------------------------ */

#define GROUPED_MT "coopstat.grouped"

/* The string at IDX, which must have no zero byte, for FN's WHAT. */
static const char *arg_string(lua_State *L, int idx, const char *fn,
                              const char *what)
{
    size_t len;
    const char *s;
    if (lua_type(L, idx) != LUA_TSTRING)
        luaL_error(L, "%s: expected %s (a string), got %s", fn, what,
                   type_name(L, idx));
    s = lua_tolstring(L, idx, &len);
    if (strlen(s) != len)
        luaL_error(L, "%s: %s '%s' has a zero byte", fn, what, s);
    return s;
}

/* The strings of the array at IDX, as an array in a userdata pushed on
** the stack; the table keeps the strings alive. */
static const char **table_strings(lua_State *L, int idx, const char *fn,
                                  const char *what, size_t *n)
{
    size_t k, len = lua_rawlen(L, idx);
    const char **v = lua_newuserdatauv(L, (len ? len : 1) * sizeof *v, 0);
    for (k = 0; k < len; k++) {
        lua_rawgeti(L, idx, (lua_Integer)k + 1);
        v[k] = arg_string(L, -1, fn, what);
        lua_pop(L, 1);
    }
    *n = len;
    return v;
}

/* The strings given to FN from argument FIRST to the top, or in one
** table (an array) at FIRST, as an array in a userdata pushed on the
** stack. */
static const char **string_args(lua_State *L, int first, const char *fn,
                                const char *what, size_t *n)
{
    int top = lua_gettop(L);
    const char **v;
    size_t k, len;
    if (first == top && is_table(L, first))
        return table_strings(L, first, fn, what, n);
    len = top >= first ? (size_t)(top - first + 1) : 0;
    v = lua_newuserdatauv(L, (len ? len : 1) * sizeof *v, 0);
    for (k = 0; k < len; k++) v[k] = arg_string(L, first + (int)k, fn, what);
    *n = len;
    return v;
}

/* Runs a verb of the dataset at 1 that takes a list of strings. */
typedef int (*list_verb)(const cs_dataset *, const char *const *, size_t,
                         cs_dataset **);

static int run_list_verb(lua_State *L, list_verb f, const char *fn,
                         const char *what, int need)
{
    cs_dataset *ds = check_ds(L, 1), *out = NULL;
    size_t n;
    const char **v = string_args(L, 2, fn, what, &n);
    dsbox *b;
    if (need && n == 0) return luaL_error(L, "%s: no %s given", fn, what);
    b = new_dsbox(L);
    int rc = f(ds, v, n, &out);
    return set_dataset(L, b, rc, out, fn);
}

static int ds_select(lua_State *L)
{
    return run_list_verb(L, cs_dataset_select, "select", "column name", 1);
}

static int ds_drop(lua_State *L)
{
    return run_list_verb(L, cs_dataset_drop, "drop", "column name", 1);
}

static int ds_mutate(lua_State *L)
{
    return run_list_verb(L, cs_dataset_mutate, "mutate", "expression", 1);
}

static int ds_distinct(lua_State *L)
{
    return run_list_verb(L, cs_dataset_distinct, "distinct", "column name",
                         0);
}

static int agg_all(const cs_dataset *ds, const char *const *aggs, size_t n,
                   cs_dataset **out)
{
    return cs_dataset_agg(ds, NULL, 0, aggs, n, out);
}

/* ds:agg("sum(members) as members", ...): one row over all rows. */
static int ds_agg(lua_State *L)
{
    return run_list_verb(L, agg_all, "agg", "aggregate", 1);
}

/* ds:filter("status == 'active'"): compiled and run in C. */
static int ds_filter_expr(lua_State *L)
{
    cs_dataset *ds = check_ds(L, 1), *out = NULL;
    const char *cond = arg_string(L, 2, "filter", "condition");
    dsbox *b = new_dsbox(L);
    int rc = cs_dataset_filter(ds, cond, &out);
    return set_dataset(L, b, rc, out, "filter");
}

/* ds:rename{ old = "new", ... } */
static int ds_rename(lua_State *L)
{
    cs_dataset *ds = check_ds(L, 1), *out = NULL;
    const char **from, **to;
    size_t n = 0, k = 0;
    dsbox *b;
    if (!is_table(L, 2))
        return luaL_error(L, "rename: expected a table { old = \"new\" }, "
                             "got %s", type_name(L, 2));
    lua_settop(L, 2);
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        n++;
        lua_pop(L, 1);
    }
    from = lua_newuserdatauv(L, (n ? n : 1) * sizeof *from, 0);
    to = lua_newuserdatauv(L, (n ? n : 1) * sizeof *to, 0);
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        from[k] = arg_string(L, -2, "rename", "old column name");
        to[k] = arg_string(L, -1, "rename", "new column name");
        k++;
        lua_pop(L, 1);
    }
    b = new_dsbox(L);
    int rc = cs_dataset_rename(ds, from, to, n, &out);
    return set_dataset(L, b, rc, out, "rename");
}

static int ds_concat(lua_State *L)
{
    cs_dataset *a = check_ds(L, 1), *c = check_ds(L, 2), *out = NULL;
    dsbox *b = new_dsbox(L);
    int rc = cs_dataset_concat(a, c, &out);
    return set_dataset(L, b, rc, out, "concat");
}

/* ds:slice(i [, j]): rows I to J inclusive, 1-based; negative positions
** count from the end, as in string.sub. */
static int ds_slice(lua_State *L)
{
    cs_dataset *ds = check_ds(L, 1), *out = NULL;
    lua_Integer n = (lua_Integer)cs_dataset_nrows(ds);
    lua_Integer i = luaL_checkinteger(L, 2), j = luaL_optinteger(L, 3, -1);
    dsbox *b;
    if (i < 0) i = i < -n ? 1 : n + i + 1;
    if (j < 0) j = n + j + 1;
    if (i < 1) i = 1;
    if (j > n) j = n;
    b = new_dsbox(L);
    int rc = cs_dataset_slice(ds, (size_t)(i - 1),
                              i > j ? 0 : (size_t)(j - i + 1), &out);
    return set_dataset(L, b, rc, out, "slice");
}

/* ds:group_by(keys...) returns a grouping; grouping:agg(aggs...) runs it.
** The grouping is a table { dataset, keys = { ... } }. */
static int ds_group_by(lua_State *L)
{
    size_t n, k;
    const char **keys;
    check_ds(L, 1);
    keys = string_args(L, 2, "group_by", "column name", &n);
    if (n == 0) return luaL_error(L, "group_by: no column name given");
    lua_createtable(L, 1, 1);
    lua_pushvalue(L, 1);
    lua_rawseti(L, -2, 1);
    lua_createtable(L, clamp_int(n), 0);
    for (k = 0; k < n; k++) {
        lua_pushstring(L, keys[k]);
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    lua_setfield(L, -2, "keys");
    luaL_setmetatable(L, GROUPED_MT);
    return 1;
}

static int grouped_agg(lua_State *L)
{
    cs_dataset *ds, *out = NULL;
    size_t nkeys, naggs;
    const char **keys, **aggs;
    dsbox *b;
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_rawgeti(L, 1, 1);
    lua_getfield(L, 1, "keys");
    lua_rotate(L, 2, 2);              /* grouping, dataset, keys, aggs... */
    ds = check_ds(L, 2);
    luaL_checktype(L, 3, LUA_TTABLE);
    aggs = string_args(L, 4, "agg", "aggregate", &naggs);
    keys = table_strings(L, 3, "group_by", "column name", &nkeys);
    if (naggs == 0) return luaL_error(L, "agg: no aggregate given");
    b = new_dsbox(L);
    int rc = cs_dataset_agg(ds, keys, nkeys, aggs, naggs, &out);
    return set_dataset(L, b, rc, out, "agg");
}

static int grouped_index(lua_State *L)
{
    lua_pushvalue(L, 2);
    lua_rawget(L, UV_METHODS);
    return 1;
}

static int grouped_tostring(lua_State *L)
{
    luaL_Buffer buf;
    lua_Integer i, n;
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "keys");
    n = (lua_Integer)lua_rawlen(L, 2);
    luaL_buffinit(L, &buf);
    luaL_addstring(&buf, "grouping by ");
    for (i = 1; i <= n; i++) {
        lua_rawgeti(L, 2, i);
        if (i > 1) luaL_addstring(&buf, ", ");
        luaL_addvalue(&buf);
    }
    luaL_pushresult(&buf);
    return 1;
}

/* Reads the options table at IDX for FN, calling SET for each key. */
static void each_option(lua_State *L, int idx, const char *fn,
                        const char *known,
                        void (*set)(lua_State *, const char *, void *),
                        void *ud)
{
    if (lua_isnoneornil(L, idx)) return;
    if (!is_table(L, idx))
        luaL_error(L, "%s: options must be a table, got %s", fn,
                   type_name(L, idx));
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "%s: unknown option (known: %s)", fn, known);
        set(L, lua_tostring(L, -2), ud);
        lua_pop(L, 1);
    }
}

static void sort_option(lua_State *L, const char *k, void *ud)
{
    cs_collation *coll = ud;
    const char *v;
    if (strcmp(k, "collation") != 0)
        luaL_error(L, "sort: unknown option '%s' (known: collation)", k);
    v = arg_string(L, -1, "sort", "collation");
    if (strcmp(v, "vi") == 0) *coll = CS_COLLATE_VI;
    else if (strcmp(v, "bytes") == 0) *coll = CS_COLLATE_BYTES;
    else luaL_error(L, "sort: collation must be \"vi\" or \"bytes\", not '%s'",
                    v);
}

/* ds:sort("members desc", "district" [, { collation = "vi"|"bytes" }]) */
static int ds_sort(lua_State *L)
{
    cs_dataset *ds = check_ds(L, 1), *out = NULL;
    cs_collation coll = CS_COLLATE_VI;
    int top = lua_gettop(L);
    size_t n;
    const char **keys;
    dsbox *b;
    /* A last table with no array part holds options. */
    if (top >= 3 && is_table(L, top) && lua_rawlen(L, top) == 0) {
        each_option(L, top, "sort", "collation", sort_option, &coll);
        lua_settop(L, --top);
    }
    keys = string_args(L, 2, "sort", "sort key", &n);
    if (n == 0) return luaL_error(L, "sort: no sort key given");
    b = new_dsbox(L);
    int rc = cs_dataset_sort(ds, keys, n, coll, &out);
    return set_dataset(L, b, rc, out, "sort");
}

typedef struct join_opts {
    cs_join_how how;
    const char *suffix;
    int by_name; /* match = "name" */
} join_opts;

static void join_option(lua_State *L, const char *k, void *ud)
{
    join_opts *o = ud;
    if (strcmp(k, "how") == 0) {
        static const char *const hows[] = {"inner", "left", "semi", "anti",
                                           NULL};
        const char *v = arg_string(L, -1, "join", "how");
        int i;
        for (i = 0; hows[i] && strcmp(hows[i], v) != 0; i++) {}
        if (!hows[i])
            luaL_error(L, "join: how must be \"inner\", \"left\", \"semi\" "
                          "or \"anti\", not '%s'", v);
        o->how = (cs_join_how)i;
    } else if (strcmp(k, "suffix") == 0) {
        o->suffix = arg_string(L, -1, "join", "suffix");
    } else if (strcmp(k, "match") == 0) {
        const char *v = arg_string(L, -1, "join", "match");
        if (strcmp(v, "name") != 0 && strcmp(v, "exact") != 0)
            luaL_error(L, "join: match must be \"exact\" or \"name\", not '%s'", v);
        o->by_name = strcmp(v, "name") == 0;
    } else {
        luaL_error(L, "join: unknown option '%s' (known: how, suffix, match)", k);
    }
}

/* Names given as one string or an array of them, as an array in a
** userdata pushed on the stack. */
static const char **name_list(lua_State *L, int idx, const char *fn,
                              const char *what, size_t *n)
{
    const char **v;
    if (is_table(L, idx)) return table_strings(L, idx, fn, what, n);
    v = lua_newuserdatauv(L, sizeof *v, 0);
    v[0] = arg_string(L, idx, fn, what);
    *n = 1;
    return v;
}

/* ds:join(other, on [, { how = "inner"|"left"|"semi"|"anti", suffix }])
** ON is "k", { "k1", "k2" } or { left = "a", right = "b" }. */
static int ds_join(lua_State *L)
{
    cs_dataset *l = check_ds(L, 1), *r = check_ds(L, 2), *out = NULL;
    join_opts o = {CS_JOIN_INNER, NULL, 0};
    const char **lk, **rk;
    size_t nl, nr;
    dsbox *b;
    lua_settop(L, 4);
    each_option(L, 4, "join", "how, suffix, match", join_option, &o);
    if (is_table(L, 3) && lua_rawlen(L, 3) == 0) {
        lua_getfield(L, 3, "left");
        lua_getfield(L, 3, "right");
        if (lua_isnil(L, 5) || lua_isnil(L, 6))
            return luaL_error(L, "join: 'on' needs both left and right keys");
        lk = name_list(L, 5, "join", "key column", &nl);
        rk = name_list(L, 6, "join", "key column", &nr);
    } else if (lua_type(L, 3) == LUA_TSTRING || is_table(L, 3)) {
        lk = name_list(L, 3, "join", "key column", &nl);
        rk = lk;
        nr = nl;
    } else {
        return luaL_error(L, "join: 'on' must be a column name, a list of "
                             "names or { left = ..., right = ... }, not %s",
                          type_name(L, 3));
    }
    if (nl == 0 || nl != nr)
        return luaL_error(L, "join: %zu left key(s) for %zu right key(s)", nl,
                          nr);
    b = new_dsbox(L);
    int rc = o.by_name ? cs_dataset_join_names(l, r, lk, rk, nl, o.how, o.suffix, &out)
                       : cs_dataset_join(l, r, lk, rk, nl, o.how, o.suffix, &out);
    return set_dataset(L, b, rc, out, "join");
}

/* ds:pivot{ rows = "district" | {...}, cols = "kind", value = "count()" } */
static int ds_pivot(lua_State *L)
{
    cs_dataset *ds = check_ds(L, 1), *out = NULL;
    const char **rows, *cols, *value = "count()";
    size_t n;
    dsbox *b;
    if (!is_table(L, 2))
        return luaL_error(L, "pivot: expected a table { rows = ..., cols = "
                             "..., value = ... }, got %s", type_name(L, 2));
    lua_settop(L, 2);
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2)
                                                       : "";
        if (strcmp(k, "rows") != 0 && strcmp(k, "cols") != 0 &&
            strcmp(k, "value") != 0)
            return luaL_error(L, "pivot: unknown field '%s' (known: rows, "
                                 "cols, value)", k);
        lua_pop(L, 1);
    }
    lua_getfield(L, 2, "cols");                        /* 3 */
    cols = arg_string(L, 3, "pivot", "cols");
    lua_getfield(L, 2, "value");                       /* 4 */
    if (!lua_isnil(L, 4)) value = arg_string(L, 4, "pivot", "value");
    lua_getfield(L, 2, "rows");                        /* 5 */
    if (lua_isnil(L, 5)) return luaL_error(L, "pivot: no rows given");
    rows = name_list(L, 5, "pivot", "rows", &n);
    b = new_dsbox(L);
    int rc = cs_dataset_pivot(ds, rows, n, cols, value, &out);
    return set_dataset(L, b, rc, out, "pivot");
}

/* ------------------------------------------------------------------ */
/* Store                                                              */
/* ------------------------------------------------------------------ */

static void stbox_release(box *h)
{
    stbox *b = (stbox *)h;
    if (b->st) {
        box_unlink(h);
        cs_store_close(b->st);
        b->st = NULL;
    }
}

static cs_store *check_store(lua_State *L)
{
    stbox *b = luaL_checkudata(L, 1, STORE_MT);
    if (b->st == NULL) luaL_error(L, "the store is closed");
    return b->st;
}

static int store_close(lua_State *L)
{
    stbox *b = luaL_checkudata(L, 1, STORE_MT);
    stbox_release(&b->h);
    return 0;
}

void lcoopstat_set_default_db(lua_State *L, const char *path)
{
    lua_pushstring(L, path);
    lua_setfield(L, LUA_REGISTRYINDEX, DEFAULT_DB_REG);
}

/* Lua's warnings: an error in a finalizer (__gc) and warn() from a
** script.  A host prints them on stderr from the start (a finalizer's
** error is otherwise lost); warn("@off") and warn("@on") switch them. */
typedef struct warnings {
    int on;   /* printing */
    int cont; /* in the middle of a message (its pieces follow) */
} warnings;

static void on_warning(void *ud, const char *msg, int tocont)
{
    warnings *w = ud;
    if (!w->cont && *msg == '@') { /* a control message */
        if (strcmp(msg, "@off") == 0) w->on = 0;
        else if (strcmp(msg, "@on") == 0) w->on = 1;
        return;
    }
    if (w->on) {
        if (!w->cont) fputs("coopstat: warning: ", stderr);
        fputs(msg, stderr);
        if (!tocont) fputc('\n', stderr);
        fflush(stderr);
    }
    w->cont = tocont;
}

cs_engine *lcoopstat_host(lua_State *L, const char *db)
{
    warnings *w = lua_newuserdatauv(L, sizeof *w, 0);
    w->on = 1;
    w->cont = 0;
    lua_setfield(L, LUA_REGISTRYINDEX, "coopstat.warnings"); /* kept alive */
    lua_setwarnf(L, on_warning, w);
    luaL_openlibs(L);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_coopstat);
    lua_setfield(L, -2, "coopstat");
    lua_pop(L, 1);
    if (db) lcoopstat_set_default_db(L, db);
    return lcoopstat_engine(L);
}

/* cs.open([path]): the store at PATH, else the one the host named
** (--db), else $COOPSTAT_DB, else ./coopstat.db. */
static int l_open(lua_State *L)
{
    const char *path;
    stbox *b;
    int rc;
    if (lua_isnoneornil(L, 1)) {
        lua_getfield(L, LUA_REGISTRYINDEX, DEFAULT_DB_REG);
        path = lua_tostring(L, -1);
        if (!path) path = getenv("COOPSTAT_DB");
        if (!path || !*path) path = "coopstat.db";
    } else {
        path = check_path(L, 1);
    }
    b = (stbox *)new_box(L, sizeof(stbox), STORE_MT, stbox_release);
    rc = cs_store_open(b->h.eb->eng, path, &b->st);
    if (rc != CS_OK) return raise_status(L, b->h.eb->eng, rc, "open");
    box_link(&b->h);
    return 1;
}

/* Reads the parameters at IDX (a list; cs.null for null; nil: none)
** into values whose strings borrow from the Lua stack. */
static cs_value *check_params(lua_State *L, int idx, const char *fn,
                              size_t *np)
{
    cs_value *v;
    size_t n, i;
    *np = 0;
    if (lua_isnoneornil(L, idx)) return NULL;
    if (!is_table(L, idx))
        luaL_error(L, "%s: parameters must be a list, not %s", fn,
                   type_name(L, idx));
    n = lua_rawlen(L, idx);
    v = lua_newuserdatauv(L, (n ? n : 1) * sizeof *v, 0);
    for (i = 0; i < n; i++) {
        int t = lua_rawgeti(L, idx, (lua_Integer)i + 1);
        memset(&v[i], 0, sizeof v[i]);
        if (is_null(L, -1)) {
            v[i].type = CS_TYPE_I64;
            v[i].isnull = 1;
        } else if (t == LUA_TNUMBER && lua_isinteger(L, -1)) {
            v[i].type = CS_TYPE_I64;
            v[i].u.i = lua_tointeger(L, -1);
        } else if (t == LUA_TNUMBER) {
            v[i].type = CS_TYPE_F64;
            v[i].u.f = lua_tonumber(L, -1);
        } else if (t == LUA_TSTRING) {
            v[i].type = CS_TYPE_STR;
            v[i].u.s.p = lua_tolstring(L, -1, &v[i].u.s.len);
        } else if (t == LUA_TBOOLEAN) {
            v[i].type = CS_TYPE_BOOL;
            v[i].u.b = lua_toboolean(L, -1);
        } else {
            luaL_error(L, "%s: parameter %d is %s (numbers, strings, "
                          "booleans and cs.null are allowed)",
                       fn, (int)i + 1, type_name(L, -1));
        }
        /* The string stays referenced by the table at IDX. */
        lua_pop(L, 1);
    }
    *np = n;
    return v;
}

/* db:write(name, ds [, {mode = "create"|"replace"|"append"}]) */
static int store_write(lua_State *L)
{
    cs_store *st = check_store(L);
    const char *name = luaL_checkstring(L, 2);
    cs_dataset *ds = check_ds(L, 3);
    cs_write_mode mode = CS_WRITE_CREATE;
    int rc;
    if (!lua_isnoneornil(L, 4)) {
        const char *m;
        check_table(L, 4, 0);
        lua_pushnil(L);
        while (lua_next(L, 4)) {
            const char *k = lua_type(L, -2) == LUA_TSTRING
                                ? lua_tostring(L, -2) : "?";
            if (strcmp(k, "mode") != 0)
                return luaL_error(L, "write: unknown option '%s' (known: "
                                     "mode)", k);
            lua_pop(L, 1);
        }
        lua_getfield(L, 4, "mode");
        m = lua_tostring(L, -1);
        if (!m || (strcmp(m, "create") != 0 && strcmp(m, "replace") != 0 &&
                   strcmp(m, "append") != 0))
            return luaL_error(L, "write: option 'mode' must be \"create\", "
                                 "\"replace\" or \"append\"");
        mode = m[0] == 'c' ? CS_WRITE_CREATE
               : m[0] == 'r' ? CS_WRITE_REPLACE : CS_WRITE_APPEND;
    }
    rc = cs_store_write(st, name, ds, mode);
    if (rc != CS_OK) return raise_status(L, cs_store_engine(st), rc, "write");
    return 0;
}

/* db:read(name [, {column, ...}]) */
static int store_read(lua_State *L)
{
    cs_store *st = check_store(L);
    const char *name = luaL_checkstring(L, 2);
    const char **cols = NULL;
    size_t n = 0;
    cs_dataset *out;
    dsbox *b;
    if (!lua_isnoneornil(L, 3)) {
        check_table(L, 3, 0);
        cols = table_strings(L, 3, "read", "columns", &n);
    }
    b = new_dsbox(L);
    int rc = cs_store_read(st, name, cols, n, &out);
    return set_dataset(L, b, rc, out, "read");
}

/* db:query(sql [, params]) */
static int store_query(lua_State *L)
{
    cs_store *st = check_store(L);
    const char *sql = cstring(L, 2);
    size_t np;
    cs_value *p = check_params(L, 3, "query", &np);
    cs_dataset *out;
    dsbox *b = new_dsbox(L);
    int rc = cs_store_query(st, sql, p, np, &out);
    return set_dataset(L, b, rc, out, "query");
}

/* db:exec(sql [, params]) -> rows changed */
static int store_exec(lua_State *L)
{
    cs_store *st = check_store(L);
    const char *sql = cstring(L, 2);
    size_t np;
    cs_value *p = check_params(L, 3, "exec", &np);
    int64_t changes = 0;
    int rc = cs_store_exec(st, sql, p, np, &changes);
    if (rc != CS_OK) return raise_status(L, cs_store_engine(st), rc, "exec");
    lua_pushinteger(L, (lua_Integer)changes);
    return 1;
}

static int store_tables(lua_State *L)
{
    cs_store *st = check_store(L);
    cs_dataset *out;
    dsbox *b = new_dsbox(L);
    int rc = cs_store_tables(st, &out);
    return set_dataset(L, b, rc, out, "tables");
}

/* db:transaction(fn): runs fn(db) in a transaction, committed when fn
** returns, rolled back when it raises (the error goes on). */
static int store_transaction(lua_State *L)
{
    cs_store *st = check_store(L);
    int rc, top;
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    if ((rc = cs_store_begin(st)) != CS_OK)
        return raise_status(L, cs_store_engine(st), rc, "transaction");
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 1);
    if (lua_pcall(L, 1, LUA_MULTRET, 0) != LUA_OK) {
        /* The store may have been closed inside: nothing to undo then. */
        stbox *b = lua_touserdata(L, 1);
        if (b->st) cs_store_rollback(b->st);
        return lua_error(L);
    }
    if (((stbox *)lua_touserdata(L, 1))->st == NULL)
        return luaL_error(L, "transaction: the store was closed inside it");
    if ((rc = cs_store_commit(st)) != CS_OK) {
        cs_store_rollback(st);
        return raise_status(L, cs_store_engine(st), rc, "transaction");
    }
    top = lua_gettop(L);
    return top - 2;
}

static int store_tostring(lua_State *L)
{
    stbox *b = luaL_checkudata(L, 1, STORE_MT);
    lua_pushstring(L, b->st ? "coopstat.store" : "coopstat.store (closed)");
    return 1;
}

static int store_index(lua_State *L)
{
    luaL_checkudata(L, 1, STORE_MT);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, UV_METHODS) != LUA_TNIL) return 1;
    return luaL_error(L, "a store has no field '%s'",
                      lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2)
                                                    : type_name(L, 2));
}

/* cs.clock(): seconds on a monotonic clock, for timing statements. */
static int l_clock(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
    return 1;
}

/* cs.sha256(s) -> the SHA-256 of the bytes of S, in hex. */
static int l_sha256(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    char hex[CS_HASH_HEX];
    cs_sha256_hex(s, len, hex);
    lua_pushstring(L, hex);
    return 1;
}

static int closedir_k(lua_State *L)
{
    DIR **d = lua_touserdata(L, 1);
    if (*d) closedir(*d);
    *d = NULL;
    return 0;
}

/* cs._listdir(path) -> the sorted names in directory PATH (no "." or
** ".."), or nil and a message. */
static int l_listdir(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    DIR **d = lua_newuserdatauv(L, sizeof(DIR *), 0);
    struct dirent *e;
    lua_Integer n = 0;
    *d = NULL;
    lua_newtable(L); /* metatable: closes the directory on errors too */
    lua_pushcfunction(L, closedir_k);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    if ((*d = opendir(path)) == NULL) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: cannot open the directory", path);
        return 2;
    }
    lua_newtable(L);
    while ((e = readdir(*d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        lua_pushstring(L, e->d_name);
        lua_rawseti(L, -2, ++n);
    }
    closedir(*d);
    *d = NULL;
    lua_getglobal(L, "table");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "sort");
        lua_pushvalue(L, -3);
        lua_call(L, 1, 0);
    }
    lua_pop(L, 1);
    return 1;
}

/* cs._realpath(path) -> the absolute path with links and ".." resolved,
** or nil when it does not exist. */
static int l_realpath(lua_State *L)
{
    char *r = realpath(luaL_checkstring(L, 1), NULL);
    if (!r) return 0;
    lua_pushstring(L, r);
    free(r);
    return 1;
}

/* cs._exe_dir() -> the directory of the running program (nil when it
** cannot be read), to find the files installed beside it. */
static int l_exe_dir(lua_State *L)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    char *slash;
    if (n <= 0) return 0;
    buf[n] = '\0';
    slash = strrchr(buf, '/');
    if (slash == NULL) return 0;
    *slash = '\0';
    lua_pushstring(L, slash == buf ? "/" : buf);
    return 1;
}

static const luaL_Reg lib_funcs[] = {{"clock", l_clock},
                                     {"sha256", l_sha256},
                                     {"_listdir", l_listdir},
                                     {"_exe_dir", l_exe_dir},
                                     {"_format", l_format},
                                     {"_realpath", l_realpath},
                                     {"_xlsx_write", l_xlsx_write},
                                     {"read_csv", l_read_csv},
                                     {"read_csv_string", l_read_csv_string},
                                     {"dataset", l_dataset},
                                     {"open", l_open},
                                     {NULL, NULL}};

static const luaL_Reg store_meta[] = {{"__gc", store_close},
                                      {"__close", store_close},
                                      {"__tostring", store_tostring},
                                      {NULL, NULL}};

static const luaL_Reg store_methods[] = {{"write", store_write},
                                         {"read", store_read},
                                         {"query", store_query},
                                         {"exec", store_exec},
                                         {"tables", store_tables},
                                         {"transaction", store_transaction},
                                         {"close", store_close},
                                         {NULL, NULL}};

static const luaL_Reg ds_meta[] = {{"__gc", box_close},
                                   {"__close", box_close},
                                   {"__len", ds_len},
                                   {"__tostring", ds_tostring},
                                   {NULL, NULL}};

static const luaL_Reg ds_methods[] = {{"names", ds_names},
                                      {"fingerprint", ds_fingerprint},
                                      {"schema", ds_schema},
                                      {"head", ds_head},
                                      {"col", ds_col},
                                      {"rows", ds_rows},
                                      {"filter", ds_filter},
                                      {"write_csv", ds_write_csv},
                                      {"to_csv", ds_to_csv},
                                      {"select", ds_select},
                                      {"drop", ds_drop},
                                      {"rename", ds_rename},
                                      {"mutate", ds_mutate},
                                      {"concat", ds_concat},
                                      {"slice", ds_slice},
                                      {"distinct", ds_distinct},
                                      {"agg", ds_agg},
                                      {"group_by", ds_group_by},
                                      {"sort", ds_sort},
                                      {"join", ds_join},
                                      {"pivot", ds_pivot},
                                      {NULL, NULL}};

static const luaL_Reg grouped_meta[] = {{"__tostring", grouped_tostring},
                                        {NULL, NULL}};

static const luaL_Reg grouped_methods[] = {{"agg", grouped_agg},
                                           {NULL, NULL}};

static const luaL_Reg col_meta[] = {{"__gc", box_close},
                                    {"__close", box_close},
                                    {"__len", col_len},
                                    {"__tostring", col_tostring},
                                    {NULL, NULL}};

static const luaL_Reg col_methods[] = {
    {"type", col_type},   {"sum", col_sum},           {"mean", col_mean},
    {"min", col_min},     {"max", col_max},           {"count", col_count},
    {"nulls", col_nulls}, {"to_table", col_to_table}, {NULL, NULL}};

/* Fills the metatable NAME, unless this state already has it; the
** engine and null sentinel are at E and N. */
static void make_metatable(lua_State *L, const char *name, int e, int n,
                           const luaL_Reg *meta, const luaL_Reg *methods,
                           lua_CFunction index)
{
    if (!luaL_newmetatable(L, name)) {
        lua_pop(L, 1);
        return;
    }
    lua_pushvalue(L, e);
    lua_pushvalue(L, n);
    luaL_setfuncs(L, meta, 2);
    lua_pushvalue(L, e);
    lua_pushvalue(L, n);
    lua_newtable(L);
    lua_pushvalue(L, e);
    lua_pushvalue(L, n);
    luaL_setfuncs(L, methods, 2);
    lua_pushcclosure(L, index, 3);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

LUAMOD_API int luaopen_coopstat(lua_State *L)
{
    int e, n;
    push_engine(L);
    e = lua_gettop(L);
    push_null(L);
    n = lua_gettop(L);
    make_metatable(L, DATASET_MT, e, n, ds_meta, ds_methods, ds_index);
    make_metatable(L, COLUMN_MT, e, n, col_meta, col_methods, col_index);
    make_metatable(L, GROUPED_MT, e, n, grouped_meta, grouped_methods,
                   grouped_index);
    make_metatable(L, STORE_MT, e, n, store_meta, store_methods,
                   store_index);
    luaL_newlibtable(L, lib_funcs);
    lua_pushvalue(L, e);
    lua_pushvalue(L, n);
    luaL_setfuncs(L, lib_funcs, 2);
    lua_pushvalue(L, n);
    lua_setfield(L, -2, "null");
    lua_pushliteral(L, CS_VERSION);
    lua_setfield(L, -2, "version");
#ifdef CS_SHARE_DIR
    lua_pushliteral(L, CS_SHARE_DIR);
    lua_setfield(L, -2, "_share_dir");
#endif
    /* The dataset methods table, for the Lua parts to add methods to
    ** (ds:remap): upvalue 3 of the metatable's __index. */
    luaL_getmetatable(L, DATASET_MT);
    lua_getfield(L, -1, "__index");
    lua_getupvalue(L, -1, 3);
    lua_setfield(L, -4, "_dataset_methods");
    lua_pop(L, 2);
    lscenario_open(L, lua_gettop(L));
    lembed_open(L, lua_gettop(L));
    return 1;
}
