-- test_api.lua: every point of the coopstat Lua API, normal and edge
-- cases.  Runs under `coopstat run` and under a stock lua5.4 with
-- LUA_CPATH=build/?.so; each failed section is reported, then the
-- script fails.

package.path = "tests/lua/?.lua;" .. package.path
local T = require("testlib")
local cs = require("coopstat")

local check, eq, raises, section = T.check, T.eq, T.raises, T.section
local readfile, writefile, tmpname = T.readfile, T.writefile, T.tmpname

-----------------------------------------------------------------------
section("module", function()
  eq(type(cs), "table", "module table")
  eq(cs.version, "0.1.0", "cs.version")
  check(cs.null ~= nil, "cs.null exists")
  eq(tostring(cs.null), "coopstat.null", "tostring(cs.null)")
  eq(require("coopstat"), cs, "require twice gives the same table")
  for _, f in ipairs { "read_csv", "read_csv_string", "dataset" } do
    eq(type(cs[f]), "function", "cs." .. f)
  end
  raises("no fields", function() return cs.null.x end)
  raises("no fields", function() cs.null.x = 1 end)

  -- Opening the module again in the same state shares its engine, null
  -- and metatables with the first opening.
  local d1 = cs.dataset { x = { 1, cs.null } }
  package.loaded.coopstat = nil
  local cs2 = require("coopstat")
  package.loaded.coopstat = cs
  check(cs2 ~= cs, "a second opening gives a new table")
  eq(cs2.null, cs.null, "one null per state")
  local d2 = cs2.dataset { x = { 2, cs.null } }
  eq(getmetatable(d1), getmetatable(d2), "one dataset metatable")
  eq(d2.x:nulls(), 1, "cs.null from the first opening")
  eq(d1.x:sum() + d2.x:sum(), 3, "datasets of both openings")
end)

-----------------------------------------------------------------------
section("dataset construction and inference", function()
  local t = cs.dataset({ district = { "Đà Bắc", "Mai Châu" },
                         members = { 120, 80 } }, { "district", "members" })
  eq(#t, 2, "#t")
  local names = t:names()
  eq(#names, 2, "#names")
  eq(names[1], "district", "names[1]")
  eq(names[2], "members", "names[2]")
  local s = t:schema()
  eq(s.district, "string", "schema district")
  eq(s.members, "int64", "schema members")

  -- Without an order, columns are alphabetical.
  local a = cs.dataset { zeta = { 1 }, alpha = { 2 }, mid = { 3 } }
  names = a:names()
  eq(table.concat(names, ","), "alpha,mid,zeta", "alphabetical order")

  -- Inference.
  local d = cs.dataset {
    i = { 1, 2, 3 },
    f = { 1, 2.5, 3 },
    ff = { 0.5, 1.5, 2.5 },
    s = { "a", "b", "c" },
    b = { true, false, true },
    n = { cs.null, cs.null, cs.null },
    mi = { cs.null, 7, cs.null },
  }
  s = d:schema()
  eq(s.i, "int64", "integers -> int64")
  eq(s.f, "float64", "mixed int/float -> float64")
  eq(s.ff, "float64", "floats -> float64")
  eq(s.s, "string", "strings -> string")
  eq(s.b, "bool", "booleans -> bool")
  eq(s.n, "string", "all-null -> string")
  eq(s.mi, "int64", "nulls do not change the type")
  eq(math.type(d.i[1]), "integer", "int64 cell is a Lua integer")
  eq(math.type(d.f[1]), "float", "float64 cell is a Lua float")
  eq(d.f[1], 1.0, "widened integer")
  eq(d.b[2], false, "bool cell")
  eq(d.mi[1], nil, "null cell is nil")
  eq(d.mi[2], 7, "cell next to nulls")

  -- math.type decides: any float, even an integral 2.0, makes the column
  -- float64; integers only give int64.
  local w = cs.dataset { a = { 1, 2.0 }, b = { 2.0, 3.0 }, c = { 2, 3 } }
  eq(w:schema().a, "float64", "1 and 2.0 -> float64")
  eq(w:schema().b, "float64", "2.0 -> float64")
  eq(math.type(w.b[1]), "float", "2.0 stays a float")
  eq(w:schema().c, "int64", "2 -> int64")

  -- NaN is a float64 value, not a null.
  local nan = cs.dataset { x = { 1.5, 0 / 0, cs.null } }
  eq(nan:schema().x, "float64", "NaN column type")
  eq(nan.x:count(), 2, "NaN counts as a value")
  eq(nan.x:nulls(), 1, "NaN is not a null")
  check(nan.x[2] ~= nan.x[2], "NaN reads back as NaN")
  eq(nan.x:max(), 1.5, "max skips a NaN after a number")
  check(nan.x:sum() ~= nan.x:sum(), "sum with a NaN is NaN")

  -- Raw access: metatables on the argument tables are not consulted.
  local meta = setmetatable({}, { __index = function() return {} end })
  eq(cs.dataset({ x = { 1 } }, nil, meta):schema().x, "int64",
    "types' __index is ignored")

  -- An empty column is a string column.
  local e = cs.dataset { x = {} }
  eq(#e, 0, "empty column dataset has 0 rows")
  eq(e:schema().x, "string", "empty column -> string")

  -- No columns at all.
  local z = cs.dataset {}
  eq(#z, 0, "no columns: 0 rows")
  eq(#z:names(), 0, "no columns: no names")
  check(type(tostring(z)) == "string", "tostring of an empty dataset")

  -- Explicit types.
  local ty = cs.dataset({ d = { "2023-06-30", cs.null, "2020-02-29" },
                          f = { 1, 2, 3 }, i = { 1.0, 2.0, cs.null } },
                        { "d", "f", "i" },
                        { d = "date", f = "float64", i = "int64" })
  s = ty:schema()
  eq(s.d, "date", "types: date")
  eq(s.f, "float64", "types: float64 from integers")
  eq(s.i, "int64", "types: int64 from integral floats")
  eq(ty.d[1], "2023-06-30", "date reaches Lua as an ISO string")
  eq(ty.d[2], nil, "null date")
  eq(ty.d[3], "2020-02-29", "leap day")
  eq(math.type(ty.f[1]), "float", "forced float")
  eq(math.type(ty.i[1]), "integer", "forced integer")
  eq(ty.d:min(), "2020-02-29", "date min")
  eq(ty.d:max(), "2023-06-30", "date max")

  -- Vietnamese text is stored in NFC: decomposed input compares equal.
  local nfd = "Ho\204\128a Bi\204\128nh"   -- o + U+0300, i + U+0300
  local nfc = "H\195\178a B\195\172nh"      -- ò, ì precomposed
  local v = cs.dataset { p = { nfd, nfc } }
  eq(v.p[1], nfc, "NFD input comes back NFC")
  eq(v.p[1], v.p[2], "composed and decomposed are one value")
end)

-----------------------------------------------------------------------
section("dataset construction errors", function()
  raises({ "column 'x'", "row 2 is nil", "cs.null" }, cs.dataset,
    { x = { 1, nil, 3 } })
  raises({ "'x'", "'y'", "differ in length" }, cs.dataset,
    { x = { 1, 2, 3 }, y = { 1, 2 } })
  raises({ "column 'x'", "row 3", "integer", "string" }, cs.dataset,
    { x = { 1, 2, "three" } })
  raises({ "column 'b'", "row 2" }, cs.dataset, { b = { true, 1 } })
  raises({ "column 't'", "row 1", "table" }, cs.dataset, { t = { {} } })
  raises({ "column 'f'", "function" }, cs.dataset, { f = { print } })
  raises({ "column 'k'", "key" }, cs.dataset, { k = { 1, 2, foo = 3 } })
  raises({ "column 'a'", "array" }, cs.dataset, { a = 5 })
  raises("column names must be strings", cs.dataset, { [1] = { 1 } })
  raises("bad argument #1", cs.dataset, "x")
  raises("bad argument #2", cs.dataset, { x = { 1 } }, "x")
  -- Odd keys and values.
  raises({ "column 'x'", "row 2 is nil" }, cs.dataset,
    { x = { [1] = 1, [3] = 3 } })
  raises({ "column 'x'", "row 1 is nil" }, cs.dataset,
    { x = { [math.maxinteger] = 1 } })
  raises({ "column 'x'", "key '1.5'" }, cs.dataset, { x = { 1, [1.5] = 2 } })
  raises({ "column 'x'", "key '0'" }, cs.dataset, { x = { [0] = 1, 2 } })
  raises({ "column 'x'", "key '-1'" }, cs.dataset, { x = { 1, [-1] = 2 } })
  raises({ "column 'x'", "row 2", "cannot store a table" }, cs.dataset,
    { x = { 1, { 2 } } })
  raises("column names must be strings, got number", cs.dataset,
    { [1.5] = { 1 } })
  raises({ "column 'x'", "array", "got cs.null" }, cs.dataset, { x = cs.null })
  raises({ "bad argument #1", "coopstat.null" }, cs.dataset, cs.null)
  raises({ "bad argument #2", "coopstat.null" }, cs.dataset, { x = { 1 } },
    cs.null)
  raises({ "bad argument #3", "coopstat.null" }, cs.dataset, { x = { 1 } },
    nil, cs.null)
  -- Names are C strings in the core: a zero byte would cut them short.
  raises("zero byte", cs.dataset, { ["a\0b"] = { 1 } })
  raises("zero byte", cs.dataset, { ["a\0b"] = { 1 }, ["a\0c"] = { 2 } })
  -- Order lists.
  raises({ "order", "'y'", "not a column" }, cs.dataset, { x = { 1 } },
    { "x", "y" })
  raises({ "'y'", "missing from the order" }, cs.dataset,
    { x = { 1 }, y = { 2 } }, { "x" })
  raises({ "'x'", "twice" }, cs.dataset, { x = { 1 } }, { "x", "x" })
  raises("order[1]", cs.dataset, { x = { 1 } }, { 1 })
  raises("order[2] must be a column name, got cs.null", cs.dataset,
    { x = { 1 }, y = { 2 } }, { "x", cs.null })
  -- Types.
  raises({ "unknown type 'integer'", "'x'" }, cs.dataset, { x = { 1 } }, nil,
    { x = "integer" })
  raises({ "types", "'y'", "not a column" }, cs.dataset, { x = { 1 } }, nil,
    { y = "int64" })
  raises({ "column 'd'", "row 2", "not a date" }, cs.dataset,
    { d = { "2023-01-01", "2023-13-01" } }, nil, { d = "date" })
  raises({ "column 'i'", "row 1", "int64" }, cs.dataset, { i = { 1.5 } },
    nil, { i = "int64" })
  raises({ "column 's'", "row 1", "string" }, cs.dataset, { s = { 1 } },
    nil, { s = "string" })
  -- The message names the value's own type.
  raises({ "expected date, got number '1'" }, cs.dataset, { d = { 1 } },
    nil, { d = "date" })
  check(not raises("expected int64, got table", cs.dataset, { i = { {} } },
    nil, { i = "int64" }):find("0x", 1, true), "no table address")
end)

-----------------------------------------------------------------------
section("columns", function()
  local d = cs.dataset({ m = { 5, 12, cs.null, 30 },
                         f = { 1.5, cs.null, 2.5, 3.0 },
                         s = { "b", "a", cs.null, "c" },
                         b = { true, false, true, cs.null } },
                       { "m", "f", "s", "b" })
  local m = d:col("m")
  eq(#m, 4, "#col")
  eq(m[1], 5, "col[1]")
  eq(m[3], nil, "null is nil")
  eq(m[0], nil, "col[0] is nil")
  eq(m[5], nil, "col[#col+1] is nil")
  eq(m[-1], nil, "col[-1] is nil")
  eq(m[1.5], nil, "col[1.5] is nil")
  eq(m[2.0], 12, "col[2.0] is row 2")
  eq(m.nosuchmethod, nil, "unknown method is nil")
  eq(m:type(), "int64", "type")
  eq(m:sum(), 47, "int sum")
  eq(math.type(m:sum()), "integer", "int sum is an integer")
  eq(m:count(), 3, "count")
  eq(m:nulls(), 1, "nulls")
  eq(m:min(), 5, "min")
  eq(m:max(), 30, "max")
  eq(math.type(m:min()), "integer", "int min is an integer")
  check(math.abs(m:mean() - 47 / 3) < 1e-12, "mean")
  eq(math.type(m:mean()), "float", "mean is a float")

  local f = d.f
  eq(f:type(), "float64", "float type")
  eq(f:sum(), 7.0, "float sum")
  eq(math.type(f:sum()), "float", "float sum is a float")
  eq(f:mean(), 7.0 / 3, "float mean")
  eq(f:min(), 1.5, "float min")
  eq(f:max(), 3.0, "float max")

  local s = d.s
  eq(s:min(), "a", "string min")
  eq(s:max(), "c", "string max")
  eq(s:count(), 3, "string count")
  raises("sum: column is string", s.sum, s)
  raises("mean: column is string", s.mean, s)

  local b = d.b
  eq(b:sum(), 2, "bool sum counts trues")
  eq(math.type(b:sum()), "integer", "bool sum is an integer")
  eq(b:min(), false, "bool min")
  eq(b:max(), true, "bool max")
  eq(b[1], true, "bool cell")

  local t = m:to_table()
  eq(#t, 4, "to_table keeps nulls as cs.null")
  eq(t[1], 5, "to_table[1]")
  eq(t[3], cs.null, "to_table null is cs.null")
  local back = cs.dataset { m = t }
  eq(back.m:nulls(), 1, "to_table round-trips through cs.dataset")

  local str = tostring(m)
  check(str:find("column<int64>[4]", 1, true), "tostring(col): " .. str)
  check(str:find("5, 12", 1, true), "tostring(col) values: " .. str)
  local long = cs.dataset { x = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 } }
  check(tostring(long.x):find("...", 1, true), "long column is elided")

  -- Dates cannot be summed.
  local dd = cs.dataset({ d = { "2023-06-30" } }, nil, { d = "date" })
  raises("sum: column is date", function() return dd.d:sum() end)
end)

-----------------------------------------------------------------------
section("empty and one-row datasets", function()
  local e = cs.dataset({ n = {}, s = {} }, { "n", "s" }, { n = "int64" })
  eq(#e, 0, "#e")
  eq(e.n:sum(), 0, "sum of an empty int column")
  eq(math.type(e.n:sum()), "integer", "empty int sum is an integer")
  eq(e.n:mean(), nil, "mean of an empty column is nil")
  eq(e.n:min(), nil, "min of an empty column is nil")
  eq(e.n:max(), nil, "max of an empty column is nil")
  eq(e.n:count(), 0, "count of an empty column")
  eq(e.n[1], nil, "empty[1]")
  local str = tostring(e)
  check(str:find("n", 1, true) and str:find("s", 1, true),
    "tostring of a 0-row dataset names its columns")
  local rows = 0
  for _ in e:rows() do rows = rows + 1 end
  eq(rows, 0, "rows() of an empty dataset")
  eq(#e:head(), 0, "head of an empty dataset")
  eq(#e:filter(function() return true end), 0, "filter of an empty dataset")

  local nulls = cs.dataset({ n = { cs.null, cs.null } }, nil, { n = "int64" })
  eq(nulls.n:sum(), 0, "sum of an all-null column")
  eq(nulls.n:mean(), nil, "mean of an all-null column")
  eq(nulls.n:count(), 0, "count of an all-null column")
  eq(nulls.n:nulls(), 2, "nulls of an all-null column")

  local one = cs.dataset { x = { 42 }, y = { "một" } }
  eq(#one, 1, "one row")
  eq(one.x:sum(), 42, "one-row sum")
  eq(one.x:mean(), 42.0, "one-row mean")
  eq(one.y[1], "một", "one-row string")
  rows = 0
  for row in one:rows() do
    rows = rows + 1
    eq(row.x, 42, "one-row row.x")
  end
  eq(rows, 1, "one-row rows()")
end)

-----------------------------------------------------------------------
section("integer limits", function()
  local d = cs.dataset { x = { math.maxinteger, 1 } }
  raises({ "sum", "int64" }, d.x.sum, d.x)
  eq(d.x:max(), math.maxinteger, "max survives an overflowing sum")
  eq(d.x:min(), 1, "min survives an overflowing sum")
  check(d.x:mean() > 4e18, "mean survives an overflowing sum")
  local n = cs.dataset { x = { math.mininteger, -1 } }
  raises("sum", n.x.sum, n.x)
  local ok = cs.dataset { x = { math.maxinteger, math.mininteger } }
  eq(ok.x:sum(), -1, "sum that fits")
  eq(ok.x[1], math.maxinteger, "maxinteger round-trips")
  eq(ok.x[2], math.mininteger, "mininteger round-trips")
end)

-----------------------------------------------------------------------
section("rows, filter, head, col", function()
  local orgs = cs.dataset({
    org_id = { 1, 2, 3, 4, 5 },
    status = { "active", "stopped", "active", cs.null, "active" },
    members = { 10, 20, 30, 40, cs.null },
  }, { "org_id", "status", "members" })

  local n, seen = 0, {}
  for row, i in orgs:rows() do
    n = n + 1
    eq(i, n, "rows() second value is the row number")
    seen[#seen + 1] = row.org_id
    if row.org_id == 4 then eq(row.status, nil, "null is nil in a row") end
    if row.org_id == 5 then eq(row.members, nil, "null member is nil") end
    row.org_id = -1   -- fresh tables: changing one changes nothing
  end
  eq(n, 5, "rows() visits every row")
  eq(table.concat(seen, ","), "1,2,3,4,5", "rows() in order")
  eq(orgs.org_id[1], 1, "rows() tables are copies")

  local active = orgs:filter(function(row) return row.status == "active" end)
  eq(#active, 3, "filter count")
  eq(table.concat(active.org_id:to_table(), ","), "1,3,5", "filter rows")
  eq(active:schema().members, "int64", "filter keeps types")
  eq(active.members[3], nil, "filter keeps nulls")
  local none = orgs:filter(function() return false end)
  eq(#none, 0, "filter with no match")
  eq(#none:names(), 3, "filter with no match keeps columns")
  local truthy = orgs:filter(function(row) return row.members end)
  eq(#truthy, 4, "filter treats values as truthy")
  raises("boom", orgs.filter, orgs, function() error("boom") end)
  raises("expected a condition (a string) or a function", orgs.filter, orgs, 5)

  eq(#orgs:head(), 5, "head default on a short dataset")
  eq(#orgs:head(2), 2, "head(2)")
  eq(orgs:head(2).org_id[2], 2, "head rows")
  eq(#orgs:head(0), 0, "head(0)")
  eq(#orgs:head(100), 5, "head(100)")
  local many = {}
  for i = 1, 25 do many[i] = i end
  eq(#cs.dataset({ x = many }):head(), 10, "head default is 10")
  raises("must not be negative", orgs.head, orgs, -1)
  raises("must not be negative", orgs.head, orgs, math.mininteger)
  eq(#orgs:head(math.maxinteger), 5, "head(math.maxinteger)")
  eq(#orgs:head(2.0), 2, "head(2.0)")
  raises("integer representation", orgs.head, orgs, 2.5)

  eq(orgs:col("members"):sum(), 100, "col()")
  eq(orgs.members:sum(), 100, "ds.name sugar")
  eq(orgs["members"]:sum(), 100, "ds[name] sugar")
  raises({ "no column 'membrs'", "org_id", "status", "members" },
    orgs.col, orgs, "membrs")
  raises({ "membrs", "members" }, function() return orgs.membrs end)
  raises("zero byte", orgs.col, orgs, "members\0x")
  raises("zero byte", function() return orgs["members\0x"] end)

  -- A column named like a method is reached with col().
  local clash = cs.dataset { names = { "x" }, head = { 1 } }
  eq(type(clash.names), "function", "methods win over columns")
  eq(clash:col("names")[1], "x", "col() reaches a clashing column")
  eq(clash:col("head")[1], 1, "col() reaches 'head'")
end)

-----------------------------------------------------------------------
section("lifetimes and close", function()
  local col
  do
    local d <close> = cs.dataset { x = { 1, 2, 3 } }
    col = d.x
    eq(#d, 3, "open dataset")
    CLOSED = d
  end
  raises("dataset is closed", function() return #CLOSED end)
  raises("dataset is closed", function() return CLOSED:names() end)
  raises("dataset is closed", function() return CLOSED.x end)
  raises("dataset is closed", function() return CLOSED:head() end)
  raises("dataset is closed", function() return CLOSED:col("x") end)
  check(tostring(CLOSED):find("closed", 1, true), "tostring of closed")
  CLOSED = nil
  -- The column outlives its dataset.
  eq(col:sum(), 6, "column outlives its closed dataset")
  eq(col[3], 3, "column cells after close")
  do
    local c <close> = col
  end
  raises("column is closed", col.sum, col)
  raises("column is closed", function() return col[1] end)

  -- Columns outlive collected datasets; many datasets are freed.
  local keep
  for i = 1, 200 do
    local d = cs.dataset { v = { i, i + 1 }, s = { "a" .. i, "b" } }
    if i == 100 then keep = d.s end
  end
  collectgarbage()
  collectgarbage()
  eq(keep[1], "a100", "column kept across collections")

  -- A dataset closed inside a filter predicate is detected.
  local d = cs.dataset { x = { 1, 2, 3 } }
  local close = getmetatable(d).__close
  raises("dataset is closed", d.filter, d, function() close(d) end)
end)

-----------------------------------------------------------------------
section("tostring", function()
  local t = cs.dataset({ district = { "Đà Bắc", "Mai Châu", cs.null },
                         members = { 120, 80, 7 } },
                       { "district", "members" })
  local s = tostring(t)
  check(s:find("district", 1, true), "tostring has column names")
  check(s:find("members", 1, true), "tostring has all column names")
  check(s:find("Đà Bắc", 1, true), "tostring has Vietnamese text")
  check(s:find("120", 1, true), "tostring has numbers")
  check(s:sub(-1) ~= "\n", "tostring has no trailing newline")
  local many = {}
  for i = 1, 100 do many[i] = i * 1000 end
  local big = tostring(cs.dataset { x = many })
  local lines = select(2, big:gsub("\n", "\n"))
  check(lines < 40, "print shows at most about 20 rows, got lines " .. lines)
end)

-----------------------------------------------------------------------
section("csv round trip", function()
  local path = tmpname(".csv")
  local d = cs.dataset({
    id = { 1, 2, 3, 4 },
    name = { "Hợp tác xã Đà Bắc", 'say "xin chào"', "", cs.null },
    note = { "a,b", "line1\nline2", "plain", "x" },
    price = { 1.5, cs.null, -2.25, 1e-3 },
    ok = { true, false, cs.null, true },
    day = { "2023-06-30", cs.null, "1999-12-31", "2000-01-01" },
  }, { "id", "name", "note", "price", "ok", "day" }, { day = "date" })
  d:write_csv(path)
  local r = cs.read_csv(path)
  eq(#r, 4, "rows read back")
  eq(table.concat(r:names(), ","), "id,name,note,price,ok,day", "names")
  local s = r:schema()
  eq(s.id, "int64", "id type")
  eq(s.name, "string", "name type")
  eq(s.price, "float64", "price type")
  eq(s.ok, "bool", "ok type")
  eq(s.day, "date", "day type")
  eq(r.name[1], "Hợp tác xã Đà Bắc", "Vietnamese text")
  eq(r.name[2], 'say "xin chào"', "quotes")
  eq(r.name[3], "", "empty string stays empty")
  eq(r.name[4], nil, "null stays null")
  eq(r.note[1], "a,b", "separator inside a field")
  eq(r.note[2], "line1\nline2", "newline inside a field")
  eq(r.price[1], 1.5, "float")
  eq(r.price[2], nil, "null float")
  eq(r.price[4], 1e-3, "small float exact")
  eq(r.ok[2], false, "bool")
  eq(r.ok[3], nil, "null bool")
  eq(r.day[1], "2023-06-30", "date")
  eq(r.day[2], nil, "null date")

  -- to_csv gives the same text as write_csv.
  eq(d:to_csv(), readfile(path), "to_csv matches write_csv")

  -- Writer options.
  local e = cs.dataset({ a = { 1.5 }, b = { "x" } }, { "a", "b" })
  local text = e:to_csv { sep = ";", decimal = ",", crlf = true }
  eq(text, "a;b\r\n1,5;x\r\n", "sep, decimal and crlf")
  text = e:to_csv { header = false }
  eq(text, "1.5,x\n", "no header")
  e:write_csv(path, { bom = true })
  eq(readfile(path):sub(1, 3), "\239\187\191", "bom")
  local back = cs.read_csv(path)
  eq(back:names()[1], "a", "bom is skipped on read")
  raises("write_csv: unknown option 'sepp'", e.write_csv, e, path,
    { sepp = ";" })
  raises({ "write_csv", "'bom'" }, e.write_csv, e, path, { bom = "yes" })
  raises({ "to_csv: option 'sep'" }, e.to_csv, e, { sep = ";;" })
  raises("to_csv: unknown option 'bom2'", e.to_csv, e, { bom2 = true })
  -- A zero byte in a path would cut it short: an error, not "/tmp/a".
  raises({ "bad argument #2", "zero byte" }, e.write_csv, e, path .. "\0.bak")
  raises({ "write_csv", "zero byte" }, function() e:write_csv(path .. "\0") end)
  raises("write_csv", e.write_csv, e, "/nonexistent-dir/x/y.csv")
end)

-----------------------------------------------------------------------
section("read_csv options and errors", function()
  local path = tmpname(".csv")
  writefile(path, "org_id;name;members;revenue;founded\n" ..
                  "1;HTX Tân Lạc;1.200;1.234,5;30/06/2023\n" ..
                  "2;THT Mai Châu;-;12,0;01/01/2020\n")
  local d = cs.read_csv(path, { sep = ";", decimal = ",", thousands = ".",
                                na = { "-" }, date_format = "%d/%m/%Y" })
  local s = d:schema()
  eq(s.org_id, "int64", "org_id")
  eq(s.members, "int64", "members with thousands")
  eq(s.revenue, "float64", "revenue with decimal comma")
  eq(s.founded, "date", "date_format")
  eq(d.members[1], 1200, "thousands separator")
  eq(d.members[2], nil, "na marker")
  eq(d.revenue[1], 1234.5, "decimal comma")
  eq(d.founded[1], "2023-06-30", "dd/mm/yyyy date")
  eq(d.name[1], "HTX Tân Lạc", "text")

  local sch = cs.read_csv(path, { sep = ";", decimal = ",", thousands = ".",
                                  na = "-", date_format = "%d/%m/%Y",
                                  schema = { org_id = "string",
                                             members = "float64" } })
  eq(sch:schema().org_id, "string", "schema forces string")
  eq(sch.org_id[1], "1", "string ids")
  eq(sch:schema().members, "float64", "schema forces float64")

  writefile(path, "1,2\n3,4\n")
  local nh = cs.read_csv(path, { header = false })
  eq(#nh, 2, "header=false reads the first line as data")
  eq(#nh:names(), 2, "header=false invents names")

  raises("read_csv: unknown option 'sepp'", cs.read_csv, path,
    { sepp = ";" })
  raises({ "read_csv", "'sep'" }, cs.read_csv, path, { sep = ";;" })
  raises({ "read_csv", "'sep'" }, cs.read_csv, path, { sep = 1 })
  raises({ "read_csv", "'header'" }, cs.read_csv, path, { header = "no" })
  raises({ "read_csv", "'na'" }, cs.read_csv, path, { na = 5 })
  raises({ "read_csv", "'na'" }, cs.read_csv, path, { na = { 5 } })
  raises({ "read_csv", "'schema'" }, cs.read_csv, path, { schema = "x" })
  raises({ "unknown type 'integer'", "'a'" }, cs.read_csv, path,
    { schema = { a = "integer" } })
  raises({ "read_csv", "'encoding'" }, cs.read_csv, path, { encoding = 1 })
  raises("read_csv", cs.read_csv, path, { encoding = "klingon" })
  raises("bad argument #2", cs.read_csv, path, "sep")
  raises({ "bad argument #2", "coopstat.null" }, cs.read_csv, path, cs.null)
  raises("options are sep, decimal", cs.read_csv, path, { sepp = ";" })
  raises("option names must be strings", cs.read_csv, path, { ";" })
  raises("option names cannot contain a zero byte", cs.read_csv, path,
    { ["sep\0x"] = ";" })
  raises("read_csv: option 'sep' must be a one-character string, got cs.null",
    cs.read_csv, path, { sep = cs.null })
  raises("read_csv: option 'na': item 2 must be a string, got nil",
    cs.read_csv, path, { na = { "-", nil, "x" } })
  raises({ "read_csv", "'na'", "cs.null" }, cs.read_csv, path, { na = cs.null })
  raises({ "read_csv", "'schema'", "cs.null" }, cs.read_csv, path,
    { schema = cs.null })
  raises({ "read_csv", "'schema'", "strings" }, cs.read_csv, path,
    { schema = { "int64" } })
  -- Zero bytes would cut a path or marker short in the core.
  raises({ "bad argument #1", "zero byte" }, cs.read_csv, path .. "\0x")
  raises({ "'na'", "zero byte" }, cs.read_csv, path, { na = "N\0A" })
  raises({ "'na'", "zero byte" }, cs.read_csv, path, { na = { "-", "N\0A" } })
  raises({ "'date_format'", "zero byte" }, cs.read_csv, path,
    { date_format = "%d\0" })
  -- Options are read raw: an __index on the options table is not seen.
  local raw = cs.read_csv(path,
    setmetatable({}, { __index = { header = false } }))
  eq(#raw, 1, "options' __index is ignored")

  -- A ragged file: the message gives path:line:column.
  writefile(path, "a,b,c\n1,2,3\n4,5\n")
  local err = raises(path .. ":3:", cs.read_csv, path)
  check(err:find(path .. ":3:%d+"), "line and column in: " .. err)

  -- A missing file names the path.
  raises("/nonexistent/file.csv", cs.read_csv, "/nonexistent/file.csv")

  -- Composed and decomposed Vietnamese give one distinct value.
  writefile(path, "tinh\nH\195\178a B\195\172nh\nHo\204\128a Bi\204\128nh\n")
  local v = cs.read_csv(path)
  eq(v.tinh[1], v.tinh[2], "NFC and NFD read as one value")
  eq(v.tinh[2], "H\195\178a B\195\172nh", "read as NFC")

  -- read_csv_string.
  local st = cs.read_csv_string("x,y\n1,a\n2,b\n")
  eq(#st, 2, "read_csv_string rows")
  eq(st.x:sum(), 3, "read_csv_string values")
  raises("mytext", cs.read_csv_string, "a,b\n1\n", nil, "mytext")

  -- Column names are NFC: a name typed decomposed finds its column.
  local vn = cs.dataset({ ["tha\u{300}nh vie\u{302}n"] = { 1, 2 } })
  eq(vn:names()[1], "th\u{E0}nh vi\u{EA}n", "names are stored NFC")
  eq(vn:col("tha\u{300}nh vie\u{302}n"):sum(), 3, "decomposed name finds it")
  eq(vn["th\u{E0}nh vi\u{EA}n"]:sum(), 3, "composed name finds it")
end)

-----------------------------------------------------------------------
T.finish("test_api")
