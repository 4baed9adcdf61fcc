-- test_scenario.lua: periods in Lua, required rates, growth, projections,
-- scenarios and allocation, against values computed by hand.
package.path = "tests/lua/?.lua;" .. package.path
local T = require("testlib")
local cs = require("coopstat")
local eq, check, raises, section = T.eq, T.check, T.raises, T.section

local function near(got, want, tol, msg)
  check(type(got) == "number" and math.abs(got - want) <= tol,
    ("%s: expected %.10g ± %g, got %s"):format(msg, want, tol, tostring(got)))
end

section("periods: parse, print, order, add, subtract, convert", function()
  local p = cs.period("2023H1")
  eq(tostring(p), "2023H1", "tostring")
  eq(tostring(p + 1), "2023H2", "+1")
  eq(tostring(p + 2), "2024H1", "across a year")
  eq(tostring(3 + p), "2024H2", "n + p")
  eq(tostring(p - 1), "2022H2", "-1")
  eq(cs.period("2025H2") - p, 5, "difference in halves")
  eq(p.type, "half", "type")
  eq(p.year, 2023, "year")
  eq(p.index, 1, "index")
  eq(tostring(p:to("year")), "2023", "a half to its year")
  eq(tostring(cs.period("2023-08"):to("quarter")), "2023Q3", "a month to its quarter")
  eq(p:years_to("2025"), 2.5, "2023H1 to 2025 is 2.5 years")
  eq(cs.years_between("2023", "2025"), 2.0, "years_between")
  eq(cs.period("2023-12") + 1, cs.period("2024-01"), "months roll over")
  eq(tostring(cs.period("2023Q4") + 1), "2024Q1", "quarters roll over")
  check(p < cs.period("2023H2") and cs.period("2023H2") < cs.period("2023"), "order by end")
  check(p == cs.period("2023h1"), "equality, any case")
  eq("kỳ " .. p, "kỳ 2023H1", "concatenation")
  eq(p:last_day(), "2023-06-30", "last day")
  eq(cs.period("2024-02"):last_day(), "2024-02-29", "leap year")
  raises("'2023H3' is not a period", cs.period, "2023H3")
  raises("'2023-13' is not a period", cs.period, "2023-13")
  raises("different types cannot be subtracted", function() return p - cs.period("2025") end)
  raises("not within one half", function() return cs.period("2023"):to("half") end)
  raises("whole number of periods", function() return p + 1.5 end)
  raises("beyond the years 1 to 9999", function() return cs.period("9999H2") + 1 end)
end)

section("required_rate: compound growth per year, whatever the period types", function()
  near(cs.required_rate{ base = 12460, base_period = "2023H1", target = 15000, target_period = "2025" },
    (15000 / 12460) ^ (1 / 2.5) - 1, 1e-12, "members to 15,000 by 2025")
  near(cs.required_rate{ base = 100, base_period = "2023", target = 121, target_period = "2025" },
    0.1, 1e-12, "10% a year over two years")
  near(cs.required_rate{ base = 100, base_period = "2023Q4", target = 110, target_period = "2024Q4" },
    0.1, 1e-12, "quarters")
  raises("must end after", cs.required_rate, { base = 1, base_period = "2025", target = 2, target_period = "2023" })
  raises("base must be > 0", cs.required_rate, { base = 0, base_period = "2023", target = 2, target_period = "2025" })
  raises("unknown option 'tagret'", cs.required_rate, { base = 1, base_period = "2023", tagret = 2, target_period = "2025" })
end)

-- A series growing exactly 6% a year, half-yearly, for two districts.
local function series(rate_a, rate_b)
  local d, p, v = {}, {}, {}
  local per = cs.period("2020H1")
  for i = 0, 6 do
    d[#d + 1], p[#p + 1], v[#v + 1] = "A", tostring(per + i), 1000 * (1 + rate_a) ^ (i / 2)
    d[#d + 1], p[#p + 1], v[#v + 1] = "B", tostring(per + i), 500 * (1 + rate_b) ^ (i / 2)
  end
  return cs.dataset({ district = d, period = p, value = v }, { "district", "period", "value" })
end

section("growth: against the previous period and a year earlier", function()
  local s = cs.dataset({ period = { "2022H1", "2022H2", "2023H1" }, value = { 100, 110, 121 } },
    { "period", "value" })
  local g = cs.growth(s)
  eq(g.prev_period[2], "2022H1", "previous period")
  eq(g.change[3], 11, "change")
  near(g.growth[3], 0.1, 1e-12, "growth")
  eq(g.yoy_period[3], "2022H1", "a year earlier")
  near(g.yoy_growth[3], 0.21, 1e-12, "year on year")
  eq(g.growth[1], nil, "no previous period for the first")
  local gb = cs.growth(series(0.06, 0.02), { by = "district" })
  eq(#gb, 14, "every row")
  near(gb:filter("district == 'B' and period == '2023H1'").yoy_growth[1], 0.02, 1e-12, "by group")
  raises("has no column 'periode'", cs.growth, s, { period = "periode" })
  raises("appears twice", cs.growth, s:concat(s))
end)

section("project: cagr, linear and trend", function()
  local s = series(0.06, 0.02)
  local p, fits = cs.project(s, { method = "trend", to = "2025", by = "district" })
  -- 7 observed + 2023H2, 2024H1, 2024H2, 2025H1, 2025H2 for each district.
  eq(#p, 24, "extended to 2025H2")
  local a = p:filter("district == 'A' and period == '2025H2'").value[1]
  near(a, 1000 * 1.06 ^ 5.5, 1e-6, "trend follows 6% a year (2020H1 to 2025H2: 5.5 years)")
  near(fits:filter("district == 'A'").rate[1], 0.06, 1e-12, "fitted rate")
  near(fits:filter("district == 'B'").rate[1], 0.02, 1e-12, "fitted rate B")
  check(fits:filter("district == 'A'").se_rate[1] < 1e-7, "no uncertainty on an exact series")
  local c = cs.project(s, { rate = 0.1, to = "2024", by = "district" })
  near(c:filter("district == 'A' and period == '2024H2'").value[1], 1000 * 1.06 ^ 3 * 1.1 ^ 1.5, 1e-6,
    "cagr: a given rate from the last value")
  local h = cs.project(s:filter("district == 'B'"), { method = "cagr", to = "2023" })
  near(h:filter("period == '2023H2'").value[1], 500 * 1.02 ^ 3.5, 1e-9, "cagr: the historical rate")
  local lin = cs.dataset({ period = { "2021", "2022", "2023" }, value = { 10, 12, 14 } }, { "period", "value" })
  local l = cs.project(lin, { method = "linear", to = "2025" })
  eq(#l, 5, "years")
  near(l.value[5], 18, 1e-9, "linear extends the line")
  local same = cs.project(lin, { method = "linear", to = "2023" })
  eq(#same, 3, "nothing to add when 'to' is observed")
  raises("method must be cagr, linear or trend", cs.project, lin, { method = "magic", to = "2025" })
  raises("'to' (the last period to project to) is required", cs.project, lin, { method = "trend" })
  raises("a given rate goes with method 'cagr'", cs.project, lin, { method = "trend", rate = 0.1, to = "2025" })
  raises("unknown option 'too'", cs.project, lin, { too = "2025" })
  local mixed = cs.dataset({ period = { "2021", "2022H1" }, value = { 1, 2 } }, { "period", "value" })
  raises("is a half, the series has year periods", cs.project, mixed, { to = "2025" })
  -- One point: no fit, said in the rates table.
  local one = cs.dataset({ period = { "2023" }, value = { 5 } }, { "period", "value" })
  local o, of = cs.project(one, { method = "trend", to = "2025" })
  eq(#o, 1, "no projection from one point")
  check(of.note[1]:find("a fit needs 2", 1, true), "the reason")
end)

section("scenarios: one projection per scenario", function()
  local s = series(0.06, 0.02)
  local out, fits = cs.scenarios(s, { to = "2025", by = "district", low = { rate = 0.02 },
    base = { method = "trend" }, high = { rate = 0.08 } })
  eq(#out, 72, "three scenarios")
  local last = out:filter("district == 'A' and period == '2025H2'")
  eq(#last, 3, "one value each")
  eq(last.scenario[1], "low", "low first")
  eq(last.scenario[3], "high", "high last")
  check(last.value[1] < last.value[2] and last.value[2] < last.value[3], "low < base < high")
  near(fits:filter("scenario == 'high' and district == 'A'").rate[1], 0.08, 0, "given rate kept")
  raises("no scenario given", cs.scenarios, s, { to = "2025" })
  raises("'low' must be a table", cs.scenarios, s, { to = "2025", low = 0.02 })
end)

section("allocate: integers summing exactly to the total", function()
  local w = cs.dataset({ district = { "A", "B", "C" }, base = { 1, 1, 1 } }, { "district", "base" })
  local a = cs.allocate(10, w, { by = "district", weight = "base" })
  eq(a:col("value"):sum(), 10, "sums to the total")
  eq(a.value[1], 4, "largest remainder: ties to the first")
  eq(math.type(a.value[1]), "integer", "integers")
  local e = cs.allocate(7, w, { by = "district", method = "equal" })
  eq(e:col("value"):sum(), 7, "equal split sums")
  local f = cs.allocate(1.5, w, { by = "district", weight = "base" })
  near(f.value[1], 0.5, 1e-12, "a float total stays float")
  local h = cs.read_csv("data/hoabinh/history.csv"):filter("period == '2023H1'")
  local base = h:group_by("district"):agg("sum(members) as base")
  local alloc = cs.allocate(15001, base, { by = "district", weight = "base" })
  eq(alloc:col("value"):sum(), 15001, "the province target shared out without losing a member")
  raises("weights are all 0", cs.allocate, 5,
    cs.dataset({ district = { "A" }, base = { 0 } }, { "district", "base" }), { by = "district", weight = "base" })
  raises("'weight' (the column of weights) is required", cs.allocate, 5, w, { by = "district" })
  raises("the total must be a number >= 0", cs.allocate, -1, w, { by = "district", weight = "base" })
end)

section("history.csv: 2023H1 is the register's aggregate; targets are marked illustrative", function()
  local h = cs.read_csv("data/hoabinh/history.csv")
  local orgs = cs.read_csv("data/hoabinh/organizations.csv"):filter("status == 'active'")
  local reps = cs.read_csv("data/hoabinh/reports_2023h1.csv")
  local agg = orgs:group_by("district", "kind"):agg("count() as orgs", "sum(members) as members",
    "sum(regular_workers + seasonal_workers) as workers")
  local rev = orgs:join(reps, "org_id"):group_by("district", "kind"):agg("sum(revenue_vnd) as revenue_vnd")
  local j = h:filter("period == '2023H1'"):join(agg, { "district", "kind" }, { suffix = "_reg" })
    :join(rev, { "district", "kind" }, { suffix = "_rep" })
  eq(#j, #agg, "a row per district and kind")
  for r in j:rows() do
    eq(r.orgs, r.orgs_reg, r.district .. " " .. r.kind .. " orgs")
    eq(r.members, r.members_reg, r.district .. " " .. r.kind .. " members")
    eq(r.workers, r.workers_reg, r.district .. " " .. r.kind .. " workers")
    eq(r.revenue_vnd, r.revenue_vnd_rep, r.district .. " " .. r.kind .. " revenue")
  end
  local periods = h:distinct("period"):sort("period")
  eq(table.concat(periods.period:to_table(), ","), "2020H1,2020H2,2021H1,2021H2,2022H1,2022H2,2023H1",
    "seven half-years")
  -- Growth differs between districts.
  local g = cs.project(h:group_by("district", "period"):agg("sum(members) as value"),
    { method = "trend", to = "2023", by = "district" })
  local _, fits = cs.project(h:group_by("district", "period"):agg("sum(members) as value"),
    { method = "trend", to = "2023H1", by = "district" })
  check(fits:col("rate"):max() - fits:col("rate"):min() > 0.03, "district rates differ")
  check(#g > 0, "projectable")
  local t = cs.read_csv("data/hoabinh/targets_2025.csv", { schema = { period = "string" } })
  eq(#t:filter("basis == nil or not (basis ~= nil)"), 0, "every target has a basis")
  for r in t:rows() do check(r.basis:find("illustrative", 1, true), "marked illustrative") end
  local prov = t:filter("district == nil and indicator_id == 'members'").target[1]
  eq(t:filter("district ~= nil and indicator_id == 'members'"):col("target"):sum(), prov,
    "the province target is the districts' sum")
end)

section("remap: totals are kept for full mappings; divided units reported", function()
  local orgs = cs.read_csv("data/hoabinh/organizations.csv")
  local cw = cs.read_csv("data/admin/hoabinh_crosswalk_2025.csv",
    { schema = { old_code = "string", new_code = "string", new_province_code = "string" } })
  local by = orgs:filter("status == 'active'"):group_by("commune_code", "kind")
    :agg("count() as orgs", "sum(members) as members", "sum(capital_vnd * 1.0) as capital")
  local out, rep = by:remap(cw, { key = "commune_code", by = "kind", weight = "share" })
  -- The three divided communes have no published shares: left out, and said.
  local nw = rep:filter("status == 'no_weight'")
  eq(#nw, 3, "three divided communes")
  eq(table.concat(nw.commune_code:to_table(), ","), "04891,04957,05221", "which")
  local left = by:join(nw:select("commune_code"), "commune_code", { how = "semi" })
  eq(out:col("orgs"):sum() + left:col("orgs"):sum(), by:col("orgs"):sum(), "organisations conserved")
  eq(out:col("members"):sum() + left:col("members"):sum(), by:col("members"):sum(), "members conserved")
  check(#out:distinct("commune_code") <= 46, "on at most 46 new units")
  -- With weights for the divided ones (and one assigned whole): every unit kept.
  local out2, rep2 = by:remap(cw, { key = "commune_code", by = "kind", weight = "share",
    weights = { ["04891"] = { ["04891"] = 0.35, ["04828"] = 0.65 },
                ["04957"] = { ["04924"] = 0.5, ["04960"] = 0.5 } },
    assign = { ["05221"] = "05200" } })
  eq(out2:col("orgs"):sum(), by:col("orgs"):sum(), "every organisation kept")
  eq(out2:col("members"):sum(), by:col("members"):sum(), "every member kept (integers apportioned)")
  near(out2:col("capital"):sum(), by:col("capital"):sum(), 1e-3, "float sums split by weight")
  eq(math.type(out2.orgs[1]), "integer", "counts stay integers")
  eq(#rep2:filter("status == 'split'"), 2, "two split by weight")
  eq(#rep2:filter("status == 'assigned'"), 1, "one assigned")
  -- Unknown codes are reported, not dropped silently.
  local odd = cs.dataset({ commune_code = { "99999" }, orgs = { 5 } }, { "commune_code", "orgs" })
  local o3, r3 = odd:remap(cw, { key = "commune_code" })
  eq(#o3, 0, "nothing restated")
  eq(r3.status[1], "unmapped", "reported as unmapped")
  raises("unknown option 'wieght'", function() return by:remap(cw, { key = "commune_code", wieght = "share" }) end)
  raises("the crosswalk has no column 'old'", function() return by:remap(cw, { key = "commune_code", from = "old" }) end)
end)

T.finish("test_scenario")
