-- test_errors.lua: misuse of the coopstat Lua API must raise clear Lua
-- errors, never crash or leak (run it under valgrind or ASan too).

-- Created before the module, so it is finalized after the engine when
-- the state closes: using coopstat from it must fail cleanly.
LATE = setmetatable({}, { __gc = function()
  local cs = package.loaded.coopstat
  if cs then
    pcall(cs.dataset, { x = { 1 } })
    if LATE_DS then pcall(function() return #LATE_DS end) end
  end
end })

package.path = "tests/lua/?.lua;" .. package.path
local T = require("testlib")
local cs = require("coopstat")

local check, raises, section = T.check, T.raises, T.section
local tmpfile = T.tmpfile

local d = cs.dataset({ x = { 1, 2, 3 }, s = { "a", "b", "c" } }, { "x", "s" })

-----------------------------------------------------------------------
section("arguments", function()
  raises("bad argument #1", cs.read_csv)
  raises("bad argument #1", cs.read_csv, {})
  raises("bad argument #2", cs.read_csv, "x.csv", 5)
  raises("bad argument #1", cs.read_csv_string, nil)
  raises("bad argument #1", cs.dataset)
  raises("bad argument #3", cs.dataset, { x = { 1 } }, nil, 5)
  raises("coopstat.dataset expected", d.names, 5)
  raises("coopstat.dataset expected", d.names, d.x)
  raises("coopstat.dataset expected", d.head, {})
  raises("bad argument #2", d.head, d, "ten")
  raises("bad argument #2", d.col, d)
  raises("bad argument #2", d.col, d, {})
  raises("bad argument #2", d.write_csv, d)
  raises("bad argument #3", d.write_csv, d, "/tmp/x.csv", "sep")
  raises("coopstat.column expected", d.x.sum, d)
  raises("coopstat.column expected", d.x.to_table, 1)
  raises("indexed by column name", function() return d[1] end)
  raises("indexed by column name", function() return d[true] end)
  raises("coopstat.dataset", function() d.y = 1 end)
end)

-----------------------------------------------------------------------
section("messages carry the caller's position", function()
  local ok, err = pcall(function() return d:col("nope") end)
  check(not ok, "col of a missing column fails")
  check(tostring(err):find("test_errors.lua:%d+: no column 'nope'"),
    "position and message: " .. tostring(err))
  ok, err = pcall(function() return cs.dataset { x = { 1, "a" } } end)
  check(tostring(err):find("test_errors.lua:%d+: dataset:"),
    "position for cs.dataset: " .. tostring(err))
end)

-----------------------------------------------------------------------
section("bad text", function()
  raises({ "column 's'", "row 2" }, cs.dataset, { s = { "ok", "bad\255" } })
  raises({ "column ''" }, cs.dataset, { [""] = { 1 } })
  local p = tmpfile("name\nok\nbad\255\n")
  raises({ "read_csv", p }, cs.read_csv, p)
  os.remove(p)
  raises("read_csv_string", cs.read_csv_string, "a\n\255\n")
end)

-----------------------------------------------------------------------
section("bad csv data", function()
  local p = tmpfile("x,y\n1,a\nabc,b\n")
  raises({ "read_csv", p, ":3:" }, cs.read_csv, p, { schema = { x = "int64" } })
  raises({ "read_csv", p }, cs.read_csv, p, { schema = { x = "date" } })
  os.remove(p)
  p = tmpfile("a,a\n1,2\n")
  raises({ "read_csv", "a" }, cs.read_csv, p)   -- duplicate names
  os.remove(p)
  p = tmpfile("a,b\n\"open,2\n")
  raises({ "read_csv", p }, cs.read_csv, p)     -- unterminated quote
  os.remove(p)
  raises("read_csv", cs.read_csv, "/")          -- a directory
end)

-----------------------------------------------------------------------
section("errors inside callbacks", function()
  local obj = {}
  local ok, err = pcall(d.filter, d, function() error(obj) end)
  check(not ok and err == obj, "error objects pass through filter")
  raises("boom", function()
    for row in d:rows() do if row.x == 2 then error("boom") end end
  end)
  -- Closing a dataset while iterating stops the iteration with an error.
  local e = cs.dataset { x = { 1, 2, 3 } }
  local close = getmetatable(e).__close
  raises("dataset is closed", function()
    for row in e:rows() do if row.x == 1 then close(e) end end
  end)
  -- Yielding from a filter predicate fails cleanly.
  local co = coroutine.wrap(function()
    return d:filter(function() coroutine.yield() return true end)
  end)
  raises("yield", co)
  -- Many failing calls in a row leak nothing.
  for _ = 1, 500 do
    pcall(cs.dataset, { x = { 1, "a" } })
    pcall(cs.dataset, { x = { 1, 2 }, y = { 1 } })
    pcall(d.col, d, "nope")
    pcall(cs.read_csv, "/nonexistent.csv")
    pcall(cs.read_csv_string, "a,b\n1\n")
    pcall(d.filter, d, function() error("x") end)
    -- Raised while option arrays or a half-built dataset are held.
    pcall(cs.read_csv_string, "a\n1\n", { na = { "x", 5 } })
    pcall(cs.read_csv_string, "a\n1\n", { schema = { a = "int64", b = 1 } })
    pcall(cs.read_csv_string, "a\n1\n", { na = "-", sep = ";;" })
    pcall(cs.dataset, { a = { 1, 2 }, b = { "ok", "bad\255" } }, { "a", "b" })
    pcall(cs.dataset, { a = { 1 }, b = { {} } }, { "a", "b" }, { b = "int64" })
  end
  check(true, "repeated failures")
end)

-----------------------------------------------------------------------
section("null sentinel", function()
  raises("coopstat.null", function() return cs.null + 1 end)
  raises("no fields", function() return cs.null.x end)
  check(getmetatable(cs.null) == false, "metatable is protected")
  check(cs.dataset({ x = { cs.null } }).x[1] == nil, "null reads as nil")
end)

-----------------------------------------------------------------------
section("closed objects", function()
  local e = cs.dataset { x = { 1 } }
  local col = e.x
  local close = getmetatable(e).__close
  close(e)
  close(e)   -- closing twice is harmless
  raises("dataset is closed", function() return #e end)
  raises("dataset is closed", d.filter, e, function() return true end)
  raises("dataset is closed", d.write_csv, e, "/tmp/never.csv")
  raises("dataset is closed", d.rows, e)
  raises("dataset is closed", d.schema, e)
  check(col:sum() == 1, "column taken before close")
  getmetatable(col).__close(col)
  raises("column is closed", function() return #col end)
  raises("column is closed", col.max, col)
  raises("column is closed", col.to_table, col)
  raises("column is closed", function() return col[true] end)
  raises("coopstat.dataset or coopstat.column expected", close, 5)
  raises("coopstat.dataset or coopstat.column expected", close, cs.null)
  check(tostring(col):find("closed", 1, true), "tostring of closed column")
end)

-----------------------------------------------------------------------
-- Left for the state's close to finalize, after the engine in the
-- LATE finalizer above.
LATE_DS = cs.dataset { x = { 1, 2 } }
LATE_COL = LATE_DS.x

T.finish("test_errors")
