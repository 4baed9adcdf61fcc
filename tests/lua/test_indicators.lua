-- test_indicators.lua: the indicator runner (cs.indicator, cs.run_indicators):
-- values of the shipped catalogue on the sample data, lineage, re-run
-- identity, formula changes, failing indicators, and the validation rules.
package.path = "tests/lua/?.lua;" .. package.path
local T = require("testlib")
local cs = require("coopstat")
local ind = require("coopstat.indicators")
local eq, check, raises, section = T.eq, T.check, T.raises, T.section

local base = os.tmpname()
os.remove(base)
local paths = { base .. "-a.db", base .. "-b.db" }
local function cleanup()
  for _, p in ipairs(paths) do
    for _, suffix in ipairs { "", "-wal", "-shm" } do os.remove(p .. suffix) end
  end
end
cleanup()

local logged = {}
local function log(line) logged[#logged + 1] = line end
local db = cs.open(paths[1])

local function item(summary, id)
  for _, it in ipairs(summary.items) do if it.id == id then return it end end
end
local function total(db_, id, period)
  for _, e in ipairs(ind.latest(db_, period or "2023H1", { id })) do return e.total.value, e end
end
local function count(sql, params)
  local q = db:query(sql, params)
  return q:col(q:names()[1])[1]
end

local run1, s1
section("the catalogue computes the article's figures", function()
  run1, s1 = cs.run_indicators{ db = db, period = "2023H1", log = log }
  eq(math.type(run1), "integer", "run id")
  eq(s1.ok, 24, "24 indicators")
  eq(s1.failed, 0, "none failed")
  -- The store had no inputs: they were imported, and it said so.
  check(#s1.imported >= 2, "inputs imported")
  check(table.concat(logged, "\n"):find("has no table 'organizations'", 1, true), "said so")
  eq(total(db, "orgs_operating"), 600, "P1 (600 in the data)")
  eq(total(db, "htx_operating"), 433, "P2")
  eq(total(db, "qtdnd_operating"), 3, "P3")
  eq(total(db, "tht_operating"), 164, "P4")
  eq(total(db, "htx_stopped"), 88, "P5")
  eq(total(db, "tht_stopped"), 40, "P6")
  eq(total(db, "qtdnd_special_control"), 1, "P7")
  eq(total(db, "members"), 12460, "P8")
  eq(total(db, "workers"), 29405, "P9")
  eq(total(db, "workers_regular"), 12578, "P10")
  eq(total(db, "workers_seasonal"), 16827, "P11")
  eq(("%.1f"):format(total(db, "htx_revenue_avg") / 1e9), "1.3", "P12")
  eq(("%.0f"):format(total(db, "tht_revenue_avg") / 1e6), "106", "P13")
  eq(("%.0f"):format(total(db, "htx_profit_avg") / 1e6), "143", "P14")
  eq(("%.1f"):format(total(db, "tht_profit_avg") / 1e6), "31.2", "P15")
  eq(("%.0f"):format(total(db, "qtdnd_surplus_avg") / 1e6), "2923", "P16")
  eq(("%.4f"):format(total(db, "htx_worker_income_month")), "4398050.7255", "P17 weighted by workers")
  eq(total(db, "htx_agriculture"), 305, "P18")
  eq(total(db, "htx_nonagriculture"), 128, "P19 (128 in the data)")
  eq(total(db, "htx_industry_construction"), 51, "P20")
  eq(total(db, "htx_trade_services"), 25, "P21")
  eq(total(db, "htx_transport"), 17, "P22")
  eq(total(db, "htx_electricity"), 13, "P23")
  eq(total(db, "qtdnd_capital"), 574000000000, "P24")
end)

section("disaggregations: districts sum to the province, n counts organisations", function()
  local _, e = total(db, "members")
  local sum, cells = 0, 0
  for _, c in ipairs(e.cells) do
    if c.district and not c.kind then sum, cells = sum + c.value, cells + 1 end
  end
  eq(cells, 10, "ten districts")
  eq(sum, 12460, "their sum")
  eq(e.total.n, 600, "600 organisations behind the total")
  local _, rev = total(db, "htx_revenue_avg")
  eq(rev.total.n, 399, "399 HTX reported a revenue")
  -- Counts have a row for every district, zero included.
  local _, el = total(db, "htx_electricity")
  local zeros = 0
  for _, c in ipairs(el.cells) do if c.value == 0 then zeros = zeros + 1 end end
  eq(#el.cells, 10, "a cell per district")
  check(zeros > 0, "districts without one count 0")
end)

section("lineage: definition hash, inputs and their fingerprints, engine, time", function()
  local r = db:query("select * from coopstat_runs where run_id = ?", { run1 })
  eq(r.engine_version[1], cs.version, "engine version")
  eq(r.status[1], "ok", "status")
  check(r.started_at[1]:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$"), "ISO time")
  local it = db:query("select * from coopstat_run_items where run_id = ? and indicator_id = 'htx_revenue_avg'", { run1 })
  check(it.def_hash[1]:match("^%x+$") and #it.def_hash[1] == 64, "sha-256 definition hash")
  eq(it.def_hash[1], ind.get("htx_revenue_avg").hash, "the definition's hash")
  local inp = db:query([[select tbl, fingerprint, nrows, nrows_used from coopstat_run_inputs
    where run_id = ? and indicator_id = 'htx_revenue_avg' order by tbl]], { run1 })
  eq(#inp, 2, "two inputs")
  eq(inp.tbl[1], "organizations", "organizations")
  eq(inp:col("fingerprint")[1], db:read("organizations"):fingerprint(), "its fingerprint")
  eq(inp.nrows[1], 729, "rows")
  eq(inp.tbl[2], "reports", "reports")
  eq(inp.nrows_used[2], 555, "the period's rows")
  local def = db:query("select * from coopstat_definitions where hash = ?", { it.def_hash[1] })
  eq(def.version[1], 1, "version 1")
  check(def.source[1]:find("mean(revenue_vnd)", 1, true), "the source is kept")
  -- The helper the formula uses is part of what is hashed.
  check(def.source[1]:find("upvalue reported", 1, true), "helpers hashed too")
end)

section("running twice on the same inputs gives the same values and says so", function()
  local run2, s2 = cs.run_indicators{ db = db, period = "2023H1", log = log }
  check(run2 > run1, "a new run")
  for _, it in ipairs(s2.items) do
    eq(it.same_as, run1, it.id .. " same as the first run")
    eq(it.version, 1, it.id .. " version")
  end
  eq(count("select count(*) from coopstat_definitions"), 24, "no new definition")
  local a = db:query("select indicator_id, district, kind, value from coopstat_values where run_id = ? order by rowid", { run1 })
  local b = db:query("select indicator_id, district, kind, value from coopstat_values where run_id = ? order by rowid", { run2 })
  eq(a:to_csv(), b:to_csv(), "identical values")
end)

section("a title change is not a new version; a formula change is", function()
  local old = ind.get("htx_revenue_avg")
  cs.indicator{ id = "htx_revenue_avg", unit = "VND", measure = "ratio", period = "half",
    title_vi = "Doanh thu bình quân (tiêu đề mới)", dims = { "district" },
    inputs = { "organizations", "reports" }, compute = old.compute }
  eq(ind.get("htx_revenue_avg").hash, old.hash, "same hash")
  cs.indicator{ id = "htx_revenue_avg", unit = "VND", measure = "ratio", period = "half",
    title_vi = "Doanh thu trung vị 1 HTX", dims = { "district" },
    inputs = { "organizations", "reports" },
    compute = function(ctx)
      local htx = ctx:read("organizations"):filter("status == 'active' and kind == 'HTX'")
      return ctx:by(htx:join(ctx:read("reports"), "org_id"):filter("revenue_vnd ~= nil"), "median(revenue_vnd)")
    end }
  check(ind.get("htx_revenue_avg").hash ~= old.hash, "a new hash")
  local run3, s3 = cs.run_indicators{ db = db, period = "2023H1", only = { "htx_revenue_avg" }, log = log }
  local it = item(s3, "htx_revenue_avg")
  eq(it.version, 2, "version 2")
  eq(it.new_version, true, "new")
  eq(it.same_as, nil, "not the same as before")
  local v, e = total(db, "htx_revenue_avg")
  eq(e.version, 2, "the latest value is version 2's")
  eq(e.run_id, run3, "of the new run")
  check(v ~= 1302150000, "a different value (the median)")
  -- The old values are kept, with the version they came from.
  local old_vals = db:query([[select v.value, d.version from coopstat_values v
    join coopstat_run_items i on i.run_id = v.run_id and i.indicator_id = v.indicator_id
    join coopstat_definitions d on d.hash = i.def_hash
    where v.run_id = ? and v.indicator_id = 'htx_revenue_avg' and v.district is null]], { run1 })
  eq(old_vals.value[1], 1302150000.0, "the old value kept")
  eq(old_vals.version[1], 1, "marked version 1")
  eq(count("select count(*) from coopstat_definitions where indicator_id = 'htx_revenue_avg'"), 2, "two versions")
end)

section("an indicator that errors is recorded; the others go on", function()
  cs.indicator{ id = "broken", unit = "people", measure = "stock", inputs = { "organizations" },
    compute = function(ctx) ctx:read("organizations") error("boom at the district level") end }
  cs.indicator{ id = "bad_result", unit = "people", measure = "stock", dims = { "district" },
    compute = function(ctx) return ctx:read("organizations"):select("district", "kind"):mutate("1 as value") end }
  cs.indicator{ id = "no_total", unit = "VND", measure = "ratio", dims = { "district", "kind" },
    compute = function(ctx)
      return ctx:read("organizations"):group_by("district", "kind"):agg("mean(capital_vnd) as value")
    end }
  local runs_before = count("select count(*) from coopstat_runs")
  local run, s = cs.run_indicators{ db = db, period = "2023H1",
    only = { "members", "broken", "bad_result", "no_total", "workers" }, log = log }
  eq(s.ok, 2, "two computed")
  eq(s.failed, 3, "three failed")
  check(item(s, "broken").error:find("boom at the district level", 1, true), "the error kept")
  check(item(s, "bad_result").error:find("column 'kind' that is not a declared dimension", 1, true),
    item(s, "bad_result").error)
  check(item(s, "no_total").error:find("no total row", 1, true), item(s, "no_total").error)
  eq(count("select status from coopstat_runs where run_id = ?", { run }), "failed", "the run is marked")
  eq(count("select count(*) from coopstat_runs"), runs_before + 1, "one run")
  eq(count("select count(*) from coopstat_values where run_id = ? and indicator_id = 'broken'", { run }), 0,
    "no value from the failed one")
  check(item(s, "members").same_as ~= nil, "members still the same as before")
end)

section("bad options fail before anything is written", function()
  local runs = count("select count(*) from coopstat_runs")
  raises("period '2023H3' is not a period", cs.run_indicators, { db = db, period = "2023H3" })
  raises("no indicator 'nope' (known:", cs.run_indicators, { db = db, period = "2023H1", only = { "nope" } })
  raises("unknown option 'perod'", cs.run_indicators, { db = db, perod = "2023H1" })
  raises("unit must be one of", cs.indicator, { id = "x", unit = "kg", measure = "stock", compute = print })
  raises("unknown field 'dim'", cs.indicator, { id = "x", unit = "VND", measure = "stock", dim = {}, compute = print })
  raises("'compute' must be a function", cs.indicator, { id = "x", unit = "VND", measure = "stock" })
  eq(count("select count(*) from coopstat_runs"), runs, "no run recorded")
end)

section("changed inputs: new fingerprints, no claim of sameness", function()
  local fp = db:read("organizations"):fingerprint()
  db:exec("update organizations set members = members + 1 where org_id = 3")
  check(db:read("organizations"):fingerprint() ~= fp, "the fingerprint follows the content")
  local _, s = cs.run_indicators{ db = db, period = "2023H1", only = { "members", "htx_stopped" }, log = log }
  eq(item(s, "members").same_as, nil, "members changed")
  eq(total(db, "members"), 12461, "and counts the new member")
  -- Same values, but not on the same inputs: no claim either.
  eq(item(s, "htx_stopped").same_as, nil, "other inputs")
end)

section("ctx:read keeps the period's rows; other period types skip flows", function()
  db:exec("insert into reports (org_id, period, revenue_vnd, profit_vnd, avg_income_vnd_month) values (3, '2023H2', 1000000, 5000, 4000000)")
  local _, s = cs.run_indicators{ db = db, period = "2023H2", only = { "htx_revenue_avg", "htx_operating" }, log = log }
  eq(s.ok, 2, "both")
  local v, e = total(db, "htx_revenue_avg", "2023H2")
  eq(v, 1000000.0, "only 2023H2's report (the median of one)")
  eq(e.total.n, 1, "one organisation")
  eq(total(db, "htx_revenue_avg", "2023H1") ~= nil, true, "2023H1 still there")
  local _, y = cs.run_indicators{ db = db, period = "2023", only = { "htx_profit_avg", "htx_operating" }, log = log }
  eq(item(y, "htx_profit_avg").status, "skipped", "a half-year flow is not computed for a year")
  eq(item(y, "htx_operating").status, "ok", "a stock is")
end)

section("validation on the sample data: exactly the article's contradictions and their echoes", function()
  local db2 = cs.open(paths[2])
  -- The shipped catalogue again (this test redefined htx_revenue_avg).
  local res = cs.validate(db2, "2023H1", { log = function() end })
  local ids = {}
  for _, f in ipairs(res.findings) do ids[#ids + 1] = f.rule_id end
  table.sort(ids)
  -- htx_revenue_avg was redefined above as a median: its published check
  -- is a fifth finding, which shows the rules look at computed values.
  local want = { "htx_sectors_sum", "kttt_parts_sum", "published_htx_nonagriculture",
    "published_htx_revenue_avg", "published_orgs_operating" }
  eq(table.concat(ids, ","), table.concat(want, ","), "the findings")
  eq(#res.errors, 0, "every rule checked")
  local by = {}
  for _, f in ipairs(res.findings) do by[f.rule_id] = f end
  eq(by.kttt_parts_sum.lhs.value, 597, "P1")
  eq(by.kttt_parts_sum.rhs.value, 600, "P2 + P3 + P4")
  eq(#by.kttt_parts_sum.rhs.parts, 3, "three parts")
  eq(by.kttt_parts_sum.imbalance, -3, "imbalance")
  eq(by.htx_sectors_sum.rhs.value, 434, "P18 + P19")
  eq(by.published_orgs_operating.lhs.value, 600, "computed 600")
  eq(by.published_htx_nonagriculture.lhs.value, 128, "computed 128")
  local confirmed = {}
  for _, c in ipairs(res.confirmed) do confirmed[c.rule_id] = true end
  check(confirmed.workers_parts_sum, "P9 = P10 + P11 at the published precision")
  check(confirmed.htx_nonagri_named_sectors, "P19 >= P20 + ... + P23")
  check(confirmed.published_htx_worker_income_month, "P17")
  check(confirmed.districts_sum_members, "districts sum to the province")
  db2:close()
end)

section("catalogue files: a duplicate id names both files, a syntax error its line", function()
  local dir = base .. "-cat"
  os.execute("mkdir -p '" .. dir .. "'")
  local function write(name, text)
    local f = assert(io.open(dir .. "/" .. name, "w"))
    f:write(text)
    f:close()
  end
  local def = [[require("coopstat").indicator{ id = "dup_x", unit = "people", measure = "stock",
    compute = function() return 1 end }
]]
  write("a.lua", def)
  write("b.lua", def)
  raises({ "defined twice", "a.lua", "b.lua" }, ind.load_dir, dir)
  os.remove(dir .. "/b.lua")
  write("c.lua", "require('coopstat').indicator{ id = \n")
  raises("c.lua:2:", ind.load_dir, dir)
  os.remove(dir .. "/a.lua")
  os.remove(dir .. "/c.lua")
  os.remove(dir)
end)

section("targets are stored and replaced", function()
  eq(cs.target{ db = db, indicator_id = "members", period = "2025", target = 15000,
    basis = "illustrative" }, 1, "one target")
  eq(cs.target{ db = db, indicator_id = "members", district = "Đà Bắc", period = "2025",
    target = 900, basis = "illustrative" }, 2, "two")
  eq(cs.target{ db = db, indicator_id = "members", period = "2025", target = 15500,
    basis = "revised" }, 2, "a province target replaced, not added")
  eq(count("select target from targets where district is null"), 15500, "the new value")
  raises("'basis' must say", cs.target, { db = db, indicator_id = "members", period = "2025", target = 1 })
  raises("period '2025H3' is not a period", cs.target, { db = db, indicator_id = "members",
    period = "2025H3", target = 1, basis = "x" })
end)

section("--units 2025: values restated on the 2025 units, kept apart", function()
  local db3 = cs.open(paths[2])
  local run, s = cs.run_indicators{ db = db3, period = "2023H1", only = { "htx_operating", "members" },
    units = "2025", log = log }
  eq(s.ok, 2, "computed")
  local e = ind.latest(db3, "2023H1", { "htx_operating" }, "2025")[1]
  eq(e.total.value, 433, "the province total is unchanged")
  local sum, units, unplaced = 0, 0, 0
  for _, c in ipairs(e.cells) do
    sum, units = sum + c.value, units + 1
    if c.district == ind.UNPLACED then unplaced = c.value end
  end
  eq(sum, 433, "the 2025 units sum to the province")
  check(units <= 47, "46 units and the unplaced")
  check(unplaced > 0, "organisations of divided communes unplaced")
  check(table.concat(logged, "\n"):find("divided communes", 1, true), "and said so")
  -- The default (2023 units) values are not mixed with these.
  local d = ind.latest(db3, "2023H1", { "htx_operating" })[1]
  check(d == nil or d.run_id ~= run, "2025-unit values stay out of the default")
  -- Assigning the divided communes places everyone.
  local _, s2 = cs.run_indicators{ db = db3, period = "2023H1", only = { "htx_operating" }, units = "2025",
    assign = { ["04891"] = "04828", ["04957"] = "04924", ["05221"] = "05200" }, log = log }
  eq(s2.ok, 1, "computed")
  e = ind.latest(db3, "2023H1", { "htx_operating" }, "2025")[1]
  for _, c in ipairs(e.cells) do check(c.district ~= ind.UNPLACED, "nothing unplaced") end
  raises("units must be", cs.run_indicators, { db = db3, period = "2023H1", units = "2030" })
  db3:close()
end)

section("rule definitions are checked", function()
  raises("'check' must be a check", cs.rule, { id = "r1", check = 3 })
  raises("tolerance' must be a number >= 0", cs.rule, { id = "r1", check = print, tolerance = -1 })
  raises("the parts must be a list", cs.parts_sum_to_total, "a", {})
  raises("relation must be", cs.parts_sum_to_total, "a", { "b" }, { relation = ">" })
end)

db:close()
cleanup()
T.finish("test_indicators")
