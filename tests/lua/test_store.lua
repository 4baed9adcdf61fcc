-- test_store.lua: the store as scripts use it (cs.open, db:write, read,
-- query, exec, tables, transaction, close) on the Hòa Bình sample data.
package.path = "tests/lua/?.lua;" .. package.path
local T = require("testlib")
local cs = require("coopstat")
local eq, check, raises, section = T.eq, T.check, T.raises, T.section

local dir = os.tmpname()
os.remove(dir)
local path = dir .. ".db"
local function cleanup()
  for _, suffix in ipairs { "", "-wal", "-shm" } do os.remove(path .. suffix) end
end
cleanup()

local orgs = cs.read_csv("data/hoabinh/organizations.csv")
local db = cs.open(path)

section("every type and null survive a round trip", function()
  local d = cs.dataset({
    i = { 1, cs.null, math.maxinteger, math.mininteger },
    f = { 1.5, -0.25, cs.null, 1e300 },
    s = { "Đà Bắc", "", cs.null, "a\nb" },
    b = { true, false, cs.null, true },
    d = { "2023-06-30", cs.null, "1899-12-31", "2024-02-29" },
  }, { "i", "f", "s", "b", "d" }, { d = "date" })
  db:write("all_types", d)
  local back = db:read("all_types")
  eq(back:to_csv(), d:to_csv(), "the same text")
  for name, t in pairs(d:schema()) do eq(back:schema()[name], t, name) end
  eq(back:col("s")[2], "", "an empty string is not null")
  eq(back:col("s")[3], nil, "null")
  eq(back:col("i")[4], math.mininteger, "int64 minimum")
  -- SQL has neither NaN nor a negative zero: SQLite stores NaN as NULL
  -- and -0.0 as 0; db:read, through the columnar copy, keeps them.
  db:write("odd", cs.dataset({ f = { 0 / 0, -0.0 } }))
  local odd = db:read("odd")
  check(odd:col("f")[1] ~= odd:col("f")[1], "NaN through db:read")
  eq(1 / odd:col("f")[2], -math.huge, "-0.0 through db:read")
  local sql = db:query("select f from odd")
  eq(sql:col("f")[1], nil, "NaN is NULL to SQL")
  eq(1 / sql:col("f")[2], math.huge, "-0.0 is 0 to SQL")
end)

section("the sample organisations: counts as the article's", function()
  db:write("organizations", orgs)
  local n = db:query([[select kind, count(*) as n from organizations
                       where status = ? group by kind order by kind]], { "active" })
  local got = {}
  for r in n:rows() do got[r.kind] = r.n end
  eq(got.HTX, 433, "HTX operating (P2)")
  eq(got.THT, 164, "THT operating")
  eq(got.QTDND, 3, "QTDND operating")
  -- Only the columns asked, with their types.
  local few = db:read("organizations", { "district", "founded", "members" })
  eq(table.concat(few:names(), ","), "district,founded,members", "order")
  eq(few:schema().founded, "date", "dates stay dates")
  eq(#few, #orgs, "every row")
end)

section("parameters are values, never SQL", function()
  local r = db:query("select count(*) as n from organizations where name = ?",
                     { "x' or '1'='1" })
  eq(r:col("n")[1], 0, "no row matches the text")
  r = db:query("select ? as a, ? as b, ? as c, ? as d", { 1, 2.5, true, cs.null })
  eq(r:col("a")[1], 1, "integer")
  eq(r:col("b")[1], 2.5, "float")
  eq(r:col("c")[1], 1, "boolean as 1")
  eq(r:col("d")[1], nil, "cs.null as NULL")
  raises("query: the statement has 1 parameter, 0 given", db.query, db,
         "select ? as x", {})
  raises("exec: parameter 1 is table", db.exec, db, "select ?", { {} })
end)

section("exec returns the rows changed; a transaction is all or none", function()
  db:write("kv", cs.dataset({ k = { 1, 2, 3 } }))
  eq(db:exec("delete from kv where k >= ?", { 2 }), 2, "two rows deleted")
  raises("boom", db.transaction, db, function(d)
    d:exec("delete from kv")
    d:write("scratch", cs.dataset({ x = { 1 } }))
    error("boom")
  end)
  eq(db:query("select count(*) as n from kv"):col("n")[1], 1, "delete undone")
  local names = {}
  for r in db:tables():rows() do names[r.name] = true end
  check(not names.scratch, "write undone")
  local a, b = db:transaction(function(d)
    d:exec("insert into kv values (?)", { 9 })
    return "done", 2
  end)
  eq(a, "done", "results of fn")
  eq(b, 2, "all of them")
  eq(db:query("select max(k) as m from kv"):col("m")[1], 9, "committed")
end)

section("write modes and errors name the table", function()
  local one = cs.dataset({ k = { 7 } })
  raises("write: table 'kv' exists", db.write, db, "kv", one)
  db:write("kv", one, { mode = "append" })
  eq(db:query("select count(*) as n from kv"):col("n")[1], 3, "appended")
  db:write("kv", one, { mode = "replace" })
  eq(#db:read("kv"), 1, "replaced")
  raises("option 'mode' must be", db.write, db, "kv", one, { mode = "merge" })
  raises("unknown option 'how'", db.write, db, "kv", one, { how = "x" })
  raises("append to 'kv': column 'k' is int64 in the table, string in the data",
         db.write, db, "kv", cs.dataset({ k = { "x" } }), { mode = "append" })
  raises("read: no table 'nope' in the store", db.read, db, "nope")
  raises("query: SQL error at character 8", db.query, db, "select from")
  raises("a store has no field 'writ'", function() return db.writ end)
end)

section("a closed store says so", function()
  local other = cs.open(path)
  other:close()
  other:close()
  raises("the store is closed", other.tables, other)
  check(tostring(other):find("closed"), "tostring says closed")
end)

db:close()
cleanup()
T.finish("test_store")
