/*
** lcoopstat.h: the coopstat Lua module's entry points, for programs
** that embed it (the coopstat CLI preloads it as lua.c preloads its
** libraries).  Scripts reach the module only through require("coopstat").
*/
/*
** The Lua API (names are a contract; scripts depend on them):
**
**   cs.read_csv(path [, opts])       -> dataset
**   cs.read_csv_string(text [, opts [, name]]) -> dataset
**       opts: sep, decimal, thousands (one character; thousands may be
**       "" or false), header (boolean), na (a string or a list),
**       date_format ("%d/%m/%Y"), encoding ("utf-8", "cp1258", "tcvn3",
**       "utf-16", "utf-16le", "utf-16be"),
**       schema ({column = type name}).  An unknown option or a bad value
**       is an error naming the option; options are read raw (a
**       metatable on the options table is not consulted).
**   cs.dataset(columns [, order [, types]]) -> dataset
**       columns: {name = array}; order: a list of every name (default:
**       sorted by bytes); types: {name = type name}, e.g. "date" to
**       parse ISO strings.  Types are otherwise inferred: only Lua
**       integers -> int64, any float (even 2.0, by math.type) or a mix
**       -> float64, strings -> string, booleans -> bool, only nulls or
**       no rows -> string.  NaN is a float64 value, not a null.  Arrays
**       cannot hold nil, so cs.null marks a null; a nil hole, a key that
**       is not a row number and any other value are errors naming the
**       column and row.  The tables are read raw.
**   cs.null, cs.version.  cs.null is a value marker only: where a table
**       is expected it is an error.
**   Paths, column names and option strings are C strings to the core,
**   so a zero byte in one is an error rather than a silent cut.
**
**   #ds, ds:names(), ds:schema() ({name = type name}), ds:head([n=10])
**   (n >= 0; n beyond #ds gives every row),
**   ds:col(name), ds.name / ds[name] (methods take precedence; an
**   unknown name is an error listing the columns), ds:rows() (for row,
**   i in ds:rows(): a fresh table per row, nulls absent),
**   ds:filter(fn(row) -> truthy), ds:write_csv(path [, opts]),
**   ds:to_csv([opts]) (opts: sep, decimal, bom, crlf, header; errors
**   name the method),
**   tostring(ds) (at most 20 rows, $COLUMNS wide or 100).
**   A dataset is closed by its __close (local d <close> = ...) or by the
**   collector; using it afterwards is the error "dataset is closed".
**
**   #col, col[i] (nil outside 1..#col), col:type(), col:sum() (exact
**   integer for int64, the number of trues for bool; an error on
**   overflow and for string and date columns), col:mean() (float; nil
**   without values), col:min(), col:max() (nil without values),
**   col:count() (non-null), col:nulls(), col:to_table() (cs.null for
**   nulls).  A column keeps its data alive after its dataset is closed.
**
**   cs.open([path]) -> db (default: the host's --db, else $COOPSTAT_DB,
**   else ./coopstat.db); db:write(name, ds [, {mode = "create" |
**   "replace" | "append"}]), db:read(name [, {column, ...}]),
**   db:query(sql [, params]) -> dataset, db:exec(sql [, params]) -> rows
**   changed, db:tables() -> dataset (name, kind), db:transaction(fn)
**   (fn(db) committed when it returns, rolled back when it raises),
**   db:close().  params: a list of numbers, strings, booleans and
**   cs.null, bound to ? (or ?N) in order, never spliced into the SQL.
**
**   ds:fingerprint() -> the SHA-256 (hex) of the content (column names,
**   types, every value in row order); cs.sha256(s) -> the SHA-256 of S.
**
**   The parts written in Lua (bindings/lua/NAME.lua, compiled in and
**   preloaded as coopstat.NAME): cs.indicator{...}, cs.run_indicators{...}
**   (coopstat.indicators), cs.rule{...}, cs.parts_sum_to_total,
**   cs.matches_published, cs.dims_sum_to_total, cs.validate
**   (coopstat.rules), cs.report (coopstat.report); see
**   docs/en/indicators.md.  cs._listdir, cs._exe_dir and cs._share_dir
**   serve those parts, cs._format(ds [, width [, rows]]) (tostring(ds)
**   at a given screen size) the REPL; they are not for scripts.
**
** Values reach Lua as: int64 -> integer, float64 -> float, string ->
** string (UTF-8, NFC), bool -> boolean, date -> ISO string
** "YYYY-MM-DD", null -> nil.
*/
#ifndef LCOOPSTAT_H
#define LCOOPSTAT_H

#include "coopstat.h"
#include "lua.h"

/* Opens the module: returns 1 with the module table on the stack.
** One engine serves every call of it in the same Lua state. */
LUAMOD_API int luaopen_coopstat(lua_State *L);

/* The engine the module uses in L, created now if the module has not
** been opened yet, so that a host can hand it to cs_engine_interrupt()
** from a signal handler.  Raises a Lua error when out of memory. */
cs_engine *lcoopstat_engine(lua_State *L);

/* Makes the engine of L allocate through L's allocator (lua_getallocf),
** so that a limit set by an accounting allocator covers the engine's
** buffers too.  Call before the module is first opened in L. */
void lcoopstat_use_lua_allocator(lua_State *L);

/* Makes PATH the store cs.open() opens when given none (the host's
** --db option), ahead of $COOPSTAT_DB and ./coopstat.db. */
void lcoopstat_set_default_db(lua_State *L, const char *path);

/* Sets up L as a host of the module: the standard libraries, the module
** in package.preload (so that require("coopstat") finds it, as lua.c's
** -l would), DB (when not NULL) as its default store, and Lua's warnings
** (an error in a finalizer, warn()) printed on stderr, on at first.  Returns the
** engine (lcoopstat_engine).  Raises a Lua error when out of memory: call
** in protected mode. */
cs_engine *lcoopstat_host(lua_State *L, const char *db);

#endif
