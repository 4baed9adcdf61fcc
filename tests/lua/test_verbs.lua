-- test_verbs.lua: the dataset verbs as analysts write them, on the Hòa Bình
-- sample data: each result of the C verbs is checked against the same
-- figure computed row by row in plain Lua, or against the article.
package.path = "tests/lua/?.lua;" .. package.path
local T = require("testlib")
local cs = require("coopstat")
local eq, check, raises, section = T.eq, T.check, T.raises, T.section

local DIR = "data/hoabinh"
local orgs = cs.read_csv(DIR .. "/organizations.csv")
local reps = cs.read_csv(DIR .. "/reports_2023h1.csv")

-- Plain-Lua reference: rows of ds as an array of tables.
local function rows_of(ds)
  local out = {}
  for r in ds:rows() do out[#out + 1] = r end
  return out
end

-- The row of a (small) dataset whose columns equal the given values.
local function find(ds, where)
  for r in ds:rows() do
    local ok = true
    for k, v in pairs(where) do if r[k] ~= v then ok = false end end
    if ok then return r end
  end
end

local function round(x, d) local m = 10 ^ d; return math.floor(x * m + 0.5) / m end

section("filter: string and function agree", function()
  local a = orgs:filter("status == 'active' and kind ~= 'THT'")
  local b = orgs:filter(function(r) return r.status == "active" and r.kind ~= "THT" end)
  eq(#a, #b, "same rows")
  eq(#a, 436, "433 HTX + 3 QTDND")
  eq(a.org_id:sum(), b.org_id:sum(), "same org_ids")
  eq(#orgs:filter("kind in ('HTX', 'THT') and status == 'stopped'"), 128, "in (...)")
  eq(#orgs:filter("year(founded) >= 2018"),
     #orgs:filter(function(r) return r.founded >= "2018-01-01" end), "year()")
  -- Nulls: a comparison with null is null, and filter keeps only true.
  local p = reps:filter("profit_vnd < 0 or profit_vnd == nil")
  local n = 0
  for r in reps:rows() do if r.profit_vnd == nil or r.profit_vnd < 0 then n = n + 1 end end
  eq(#p, n, "nulls and losses")
  eq(#reps:filter("profit_vnd < 0") + #reps:filter("profit_vnd >= 0"),
     #reps - reps.profit_vnd:nulls(), "null is neither")
  eq(#orgs:filter("false"), 0, "empty result")
  eq(#orgs:filter("false"):filter("true"), 0, "filter of empty")
end)

section("filter: errors name the column and position", function()
  raises({ "membres", "position 1" }, orgs.filter, orgs, "membres > 3")
  raises("position", orgs.filter, orgs, "members >")
  raises("kind", orgs.filter, orgs, "kind + 1 > 2")
  raises("filter", orgs.filter, orgs, 42)
end)

section("select, drop, rename, mutate", function()
  local s = orgs:select("org_id", "district")
  eq(#s:names(), 2, "select")
  eq(s:names()[2], "district", "select order")
  eq(#orgs:drop("name"):names(), #orgs:names() - 1, "drop")
  local r = orgs:rename{ kind = "loai" }
  eq(r.loai[1], orgs.kind[1], "rename")
  raises("kind", function() return r.kind end)
  local m = orgs:mutate("regular_workers + seasonal_workers as workers",
                        "members * 2 as m2")
  local w = 0
  for row in orgs:rows() do w = w + row.regular_workers + row.seasonal_workers end
  eq(m.workers:sum(), w, "mutate sums")
  eq(m.m2:sum(), 2 * orgs.members:sum(), "mutate second")
  eq(math.type(m.workers[1]), "integer", "int + int is int")
  local f = reps:mutate("revenue_vnd / 1e9 as rev_bn")
  eq(math.type(f.rev_bn[1]), "float", "division is float")
  raises("no column", orgs.select, orgs, "nope")
end)

section("group_by and agg match the article", function()
  local by = orgs:group_by("kind", "status"):agg("count() as n", "sum(members) as members")
  eq(find(by, { kind = "HTX", status = "active" }).n, 433, "active HTX")
  eq(find(by, { kind = "THT", status = "stopped" }).n, 40, "stopped THT")
  eq(find(by, { kind = "QTDND", status = "special_control" }).n, 1, "QTDND control")
  eq(#by, 6, "six groups")
  eq(by:names()[1], "kind", "keys first")
  local active = orgs:filter("status == 'active'")
  local tot = active:agg("sum(members) as members", "sum(regular_workers) as reg",
                         "sum(seasonal_workers) as sea", "count()")
  eq(#tot, 1, "one row")
  eq(tot.members[1], 12460, "members")
  eq(tot.reg[1], 12578, "regular workers")
  eq(tot.sea[1], 16827, "seasonal workers")
  eq(tot["count()"][1], 600, "named by its text")
  -- Averages over active organisations that reported.
  local j = active:join(reps, "org_id")
  local avg = j:group_by("kind"):agg("mean(revenue_vnd) as rev", "mean(profit_vnd) as profit",
    "wmean(avg_income_vnd_month, regular_workers + seasonal_workers) as income")
  local htx, tht, q = find(avg, { kind = "HTX" }), find(avg, { kind = "THT" }),
    find(avg, { kind = "QTDND" })
  eq(round(htx.rev / 1e9, 1), 1.3, "revenue per HTX")
  eq(round(tht.rev / 1e6, 0), 106, "revenue per THT")
  eq(round(htx.profit / 1e6, 0), 143, "profit per HTX")
  eq(round(tht.profit / 1e6, 1), 31.2, "profit per THT")
  eq(round(q.profit / 1e6, 0), 2923, "surplus per QTDND")
  eq(round(htx.income / 1e6, 1), 4.4, "HTX worker income")
  -- The same mean, row by row.
  local s, n = 0, 0
  for r in j:rows() do
    if r.kind == "HTX" and r.revenue_vnd then s, n = s + r.revenue_vnd, n + 1 end
  end
  check(math.abs(htx.rev - s / n) < 1e-6 * htx.rev, "mean matches the row loop")
  -- Sectors of active HTX.
  local sec = active:filter("kind == 'HTX'"):group_by("sector"):agg("count() as n")
  eq(find(sec, { sector = "agriculture" }).n, 305, "agriculture")
  eq(find(sec, { sector = "other" }).n, 22, "other")
end)

section("aggregates: nulls, expressions, quantiles", function()
  local t = cs.dataset({ g = { "a", "a", "b", "b", "c" },
                         x = { 1, cs.null, 3, 5, cs.null } }, { "g", "x" })
  local a = t:group_by("g"):agg("count() as n", "count(x) as nx", "sum(x) as s",
                                "mean(x) as m", "min(x) as lo", "max(x) as hi")
  local c = find(a, { g = "c" })
  eq(c.n, 1, "count() counts rows")
  eq(c.nx, 0, "count(x) counts values")
  eq(c.s, nil, "sum of no values is null")
  eq(c.m, nil, "mean of no values is null")
  eq(find(a, { g = "b" }).m, 4.0, "mean")
  eq(a.g[1], "a", "groups in order of first row")
  local q = cs.dataset({ x = { 1, 2, 3, 4 } }):agg("median(x) as med", "quantile(x, 0.25) as q1")
  eq(q.med[1], 2.5, "median")
  eq(q.q1[1], 1.75, "quantile type 7")
  local e = orgs:agg("sum(if(kind == 'HTX', members, 0)) as htx_members",
                     "count_distinct(commune) as communes")
  local hm = 0
  for r in orgs:rows() do if r.kind == "HTX" then hm = hm + r.members end end
  eq(e.htx_members[1], hm, "aggregate of an expression")
  local seen, nc = {}, 0
  for r in orgs:rows() do if not seen[r.commune] then seen[r.commune], nc = true, nc + 1 end end
  eq(e.communes[1], nc, "count_distinct")
  local empty = orgs:filter("false"):agg("count() as n", "sum(members) as s")
  eq(empty.n[1], 0, "count of nothing")
  eq(empty.s[1], nil, "sum of nothing")
  raises("summ", orgs.agg, orgs, "summ(members)")
end)

section("sort: stable, nulls last, Vietnamese order", function()
  local s = orgs:sort("members desc", "org_id")
  local prev
  for r in s:rows() do
    if prev then
      check(prev.members > r.members or (prev.members == r.members and prev.org_id < r.org_id),
            "members desc, then org_id")
    end
    prev = r
  end
  local d = orgs:distinct("district"):sort("district")
  local names = d.district:to_table()
  eq(#names, 10, "ten districts")
  eq(names[1], "Cao Phong", "first in Vietnamese order")
  -- Đà Bắc comes after every D- name and before E: đ follows d.
  local pos = {}
  for i, n in ipairs(names) do pos[n] = i end
  check(pos["Đà Bắc"] > pos["Cao Phong"] and pos["Đà Bắc"] < pos["Kim Bôi"], "Đ after D")
  local bytes = orgs:distinct("district"):sort("district", { collation = "bytes" })
  eq(bytes.district[#bytes], "Đà Bắc", "in byte order Đ is last")
  local n = reps:sort("profit_vnd")
  eq(n.profit_vnd[#n], nil, "nulls last ascending")
  local nd = reps:sort("profit_vnd desc")
  eq(nd.profit_vnd[#nd], nil, "nulls last descending")
end)

section("join: inner, left, semi, anti", function()
  local active = orgs:filter("status == 'active'")
  eq(#active:join(reps, "org_id"), #reps, "every report is an active org")
  local left = active:join(reps, "org_id", { how = "left" })
  eq(#left, #active, "left keeps every left row")
  eq(left.revenue_vnd:nulls() >= #active - #reps, true, "unmatched are null")
  local missing = active:join(reps, "org_id", { how = "anti" })
  eq(#missing, #active - #reps, "did not report")
  eq(#active:join(reps, "org_id", { how = "semi" }), #reps, "semi")
  local ren = reps:rename{ org_id = "id" }
  eq(#active:join(ren, { left = "org_id", right = "id" }), #reps, "left/right keys")
  raises("org_id", active.join, active, orgs:select("name"):rename{ name = "org_id" }, "org_id")
  raises({ "right dataset", "no column 'org_ids'", "did you mean 'org_id'?" },
         active.join, active, reps, { left = "org_id", right = "org_ids" })
  raises({ "sort key 'membres desc'", "did you mean 'members'?" }, orgs.sort, orgs,
         "membres desc")
end)

section("pivot, distinct, concat, slice", function()
  local p = orgs:filter("status == 'active'"):pivot{ rows = "district", cols = "kind",
                                                     value = "count()" }
  eq(#p, 10, "one row per district")
  local tot = 0
  for r in p:rows() do tot = tot + (r.HTX or 0) + (r.THT or 0) + (r.QTDND or 0) end
  eq(tot, 600, "cells add up")
  eq(p:names()[1], "district", "row key first")
  eq(#orgs:distinct("kind"), 3, "distinct")
  local c = orgs:head(5):concat(orgs:slice(11, 20))
  eq(#c, 15, "concat")
  eq(c.org_id[6], orgs.org_id[11], "slice is 1-based inclusive")
  eq(#orgs:slice(-5), 5, "negative from the end")
  eq(#orgs:slice(30, 10), 0, "empty slice")
end)

T.finish("test_verbs")
