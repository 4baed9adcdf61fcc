-- scenario.lua: series, projections, scenarios and allocation
-- (coopstat.scenario; the functions are cs.growth, cs.project,
-- cs.scenarios, cs.allocate, cs.fit_trend).
--
-- A series is a dataset with a `period` column (strings such as "2023H1",
-- all of one type), a `value` column and optionally grouping columns
-- (`by`).  Every function returns datasets, so results can be grouped,
-- joined, printed, stored and charted.  The arithmetic (fits, rates,
-- apportionment) is done in C (core/scenario.c, core/period.c).
local cs = require("coopstat")

local M = {}

local function check_opts(where, opts, known)
  if opts == nil then return {} end
  if type(opts) ~= "table" then error(where .. ": options must be a table", 3) end
  for k in pairs(opts) do
    if not known[k] then error(("%s: unknown option '%s'"):format(where, tostring(k)), 3) end
  end
  return opts
end

local function as_list(by)
  if by == nil then return {} end
  if type(by) == "string" then return { by } end
  return by
end

-- The series grouped: { keys = {...}, groups = { { key = {v...}, rows = {
-- {period = p (a period), text, value}, ... } (sorted by period) } } }.
local function groups_of(where, ds, by, pcol, vcol)
  local names = {}
  for _, n in ipairs(ds:names()) do names[n] = true end
  for _, c in ipairs({ pcol, vcol, table.unpack(by) }) do
    if not names[c] then
      error(("%s: the series has no column '%s' (columns: %s)"):format(where, c,
        table.concat(ds:names(), ", ")), 3)
    end
  end
  local out, index, ptype = {}, {}, nil
  for r, i in ds:rows() do
    local p = r[pcol]
    if p == nil then error(("%s: row %d has no period"):format(where, i), 3) end
    local ok, per = pcall(cs.period, tostring(p))
    if not ok then error(("%s: row %d: %s"):format(where, i, per), 3) end
    ptype = ptype or per.type
    if per.type ~= ptype then
      error(("%s: row %d: period %s is a %s, the series has %s periods"):format(where, i,
        tostring(per), per.type, ptype), 3)
    end
    local key, parts = {}, {}
    for j, b in ipairs(by) do
      key[j] = r[b]
      parts[j] = r[b] == nil and "\0" or tostring(r[b])
    end
    local k = table.concat(parts, "\1")
    local g = index[k]
    if not g then
      g = { key = key, rows = {} }
      index[k] = g
      out[#out + 1] = g
    end
    local v = r[vcol]
    g.rows[#g.rows + 1] = { period = per, text = tostring(per), value = v }
  end
  for _, g in ipairs(out) do
    table.sort(g.rows, function(a, b) return a.period < b.period end)
    for j = 2, #g.rows do
      if g.rows[j].period == g.rows[j - 1].period then
        error(("%s: period %s appears twice%s"):format(where, g.rows[j].text,
          #by > 0 and (" in one group (" .. table.concat(by, ", ") .. ")") or ""), 3)
      end
    end
  end
  return out, ptype
end

-- Builds a dataset from COLS (name -> list, nil as cs.null) in ORDER.
local function make(cols, order, n, types)
  local c = {}
  for _, name in ipairs(order) do
    local src, dst = cols[name] or {}, {}
    for i = 1, n do
      local v = src[i]
      if v == nil then v = cs.null end
      dst[i] = v
    end
    c[name] = dst
  end
  return cs.dataset(c, order, types)
end

-- Types of the BY columns as in DS (so that keys keep their type).
local function by_types(ds, by)
  local schema, t = ds:schema(), {}
  for _, b in ipairs(by) do
    if schema[b] == "date" then t[b] = "date" end
  end
  return t
end

------------------------------------------------------------------------
-- growth
------------------------------------------------------------------------

-- cs.growth(series, { by =, period = "period", value = "value" }): per
-- group and period, the change and growth rate against the previous
-- period and against the same period a year earlier.
function M.growth(ds, opts)
  opts = check_opts("growth", opts, { by = true, period = true, value = true })
  local by, pcol, vcol = as_list(opts.by), opts.period or "period", opts.value or "value"
  local groups, ptype = groups_of("growth", ds, by, pcol, vcol)
  local per_year = ({ year = 1, half = 2, quarter = 4, month = 12 })[ptype or "year"]
  local cols = { period = {}, value = {}, prev_period = {}, change = {}, growth = {},
    yoy_period = {}, yoy_change = {}, yoy_growth = {} }
  for _, b in ipairs(by) do cols[b] = {} end
  local n = 0
  local function rate(v, w)
    if v == nil or w == nil or w == 0 then return nil end
    return v / w - 1
  end
  for _, g in ipairs(groups) do
    local at = {}
    for _, r in ipairs(g.rows) do at[r.text] = r end
    for _, r in ipairs(g.rows) do
      n = n + 1
      for j, b in ipairs(by) do cols[b][n] = g.key[j] end
      cols.period[n], cols.value[n] = r.text, r.value
      local prev = at[tostring(r.period - 1)]
      local yoy = at[tostring(r.period - per_year)]
      if prev then
        cols.prev_period[n] = prev.text
        cols.change[n] = (r.value and prev.value) and r.value - prev.value or nil
        cols.growth[n] = rate(r.value, prev.value)
      end
      if yoy and per_year > 1 then
        cols.yoy_period[n] = yoy.text
        cols.yoy_change[n] = (r.value and yoy.value) and r.value - yoy.value or nil
        cols.yoy_growth[n] = rate(r.value, yoy.value)
      end
    end
  end
  local order = {}
  for _, b in ipairs(by) do order[#order + 1] = b end
  for _, c in ipairs({ "period", "value", "prev_period", "change", "growth", "yoy_period",
    "yoy_change", "yoy_growth" }) do order[#order + 1] = c end
  local types = by_types(ds, by)
  types.period, types.prev_period, types.yoy_period = "string", "string", "string"
  types.growth, types.yoy_growth = "float64", "float64"
  local schema = ds:schema()
  local vt = schema[vcol] == "int64" and "int64" or "float64"
  types.value, types.change, types.yoy_change = vt, vt, vt
  return make(cols, order, n, types)
end

------------------------------------------------------------------------
-- project, scenarios
------------------------------------------------------------------------

local METHODS = { cagr = true, linear = true, trend = true }

-- The fitted model of one group: { method, rate, se_rate, r2, n,
-- predict = function(years_after_last) -> value }.
local function model(g, method, rate, where)
  local rows = {}
  for _, r in ipairs(g.rows) do if r.value ~= nil then rows[#rows + 1] = r end end
  if #rows == 0 then return nil, "no value" end
  local last = rows[#rows]
  local first = rows[1]
  if method == "cagr" then
    local r = rate
    if r == nil then
      local years = first.period:years_to(last.period)
      if #rows < 2 or years <= 0 then return nil, "a historical rate needs two periods" end
      if not (first.value > 0) then return nil, "a historical rate needs a first value > 0" end
      r = (last.value / first.value) ^ (1 / years) - 1
    end
    return { method = "cagr", rate = r, n = #rows, last = last,
      predict = function(t) return last.value * (1 + r) ^ t end }
  end
  local xs, ys = {}, {}
  for i, r in ipairs(rows) do
    xs[i] = first.period:years_to(r.period)
    ys[i] = r.value
  end
  local fit, err = cs._fit(xs, ys, method == "trend" and "loglinear" or "linear")
  if not fit then return nil, err end
  local x_last = first.period:years_to(last.period)
  if method == "linear" then
    return { method = "linear", slope = fit.slope, r2 = fit.r2, n = fit.n, last = last,
      se_slope = fit.se_slope,
      predict = function(t) return fit.intercept + fit.slope * (x_last + t) end }
  end
  return { method = "trend", rate = fit.rate, se_rate = fit.se_rate, r2 = fit.r2, n = fit.n,
    last = last, predict = function(t) return math.exp(fit.intercept + fit.slope * (x_last + t)) end }
end

-- The periods after LAST (of its type) up to the one that ends with TO.
local function future(last, to)
  local out, p = {}, last + 1
  local to_p = cs.period(to)
  if last:years_to(to_p) <= 0 then return out end
  while p:years_to(to_p) >= 0 do
    out[#out + 1] = p
    p = p + 1
  end
  return out
end

local function project(where, ds, opts)
  local by, pcol, vcol = as_list(opts.by), opts.period or "period", opts.value or "value"
  local method = opts.method or (opts.rate ~= nil and "cagr" or "trend")
  if not METHODS[method] then
    error(("%s: method must be cagr, linear or trend (got %s)"):format(where, tostring(method)), 3)
  end
  if opts.rate ~= nil and (type(opts.rate) ~= "number" or opts.rate <= -1) then
    error(where .. ": rate must be a number > -1 (a yearly rate: 0.05 for 5%)", 3)
  end
  if opts.rate ~= nil and method ~= "cagr" then
    error(where .. ": a given rate goes with method 'cagr'", 3)
  end
  if opts.to == nil then error(where .. ": 'to' (the last period to project to) is required", 3) end
  local ok, top = pcall(cs.period, opts.to)
  if not ok then error(where .. ": to: " .. top, 3) end
  local groups = groups_of(where, ds, by, pcol, vcol)
  local cols = { [pcol] = {}, [vcol] = {} }
  for _, b in ipairs(by) do cols[b] = {} end
  local fits = { method = {}, rate = {}, se_rate = {}, r2 = {}, n = {}, last_period = {},
    note = {} }
  for _, b in ipairs(by) do fits[b] = {} end
  local n, nf = 0, 0
  for _, g in ipairs(groups) do
    local function push(ptext, v)
      n = n + 1
      for j, b in ipairs(by) do cols[b][n] = g.key[j] end
      cols[pcol][n], cols[vcol][n] = ptext, v
    end
    for _, r in ipairs(g.rows) do push(r.text, r.value) end
    local m, err = model(g, method, opts.rate, where)
    nf = nf + 1
    for j, b in ipairs(by) do fits[b][nf] = g.key[j] end
    fits.method[nf] = method
    if m then
      for _, p in ipairs(future(m.last.period, top)) do
        push(tostring(p), m.predict(m.last.period:years_to(p)))
      end
      fits.rate[nf] = m.rate
      fits.se_rate[nf] = m.se_rate
      fits.r2[nf], fits.n[nf], fits.last_period[nf] = m.r2, m.n, m.last.text
      if method == "linear" then fits.note[nf] = ("slope %.6g a year"):format(m.slope) end
    else
      fits.note[nf] = err
      fits.n[nf] = 0
    end
  end
  local order = {}
  for _, b in ipairs(by) do order[#order + 1] = b end
  order[#order + 1] = pcol
  order[#order + 1] = vcol
  local types = by_types(ds, by)
  types[pcol], types[vcol] = "string", "float64"
  local forder = {}
  for _, b in ipairs(by) do forder[#forder + 1] = b end
  for _, c in ipairs({ "method", "rate", "se_rate", "r2", "n", "last_period", "note" }) do
    forder[#forder + 1] = c
  end
  local ftypes = by_types(ds, by)
  ftypes.method, ftypes.last_period, ftypes.note = "string", "string", "string"
  ftypes.rate, ftypes.se_rate, ftypes.r2, ftypes.n = "float64", "float64", "float64", "int64"
  return make(cols, order, n, types), make(fits, forder, nf, ftypes)
end

-- cs.project(series, { method = "cagr"|"linear"|"trend", rate =, to =,
--   by =, period = "period", value = "value" }): the series extended
-- with projected values up to `to`, and a second dataset: per group the
-- method, fitted or given rate per year, its standard error, r2, points.
function M.project(ds, opts)
  opts = check_opts("project", opts, { method = true, rate = true, to = true, by = true,
    period = true, value = true })
  return project("project", ds, opts)
end

-- cs.scenarios(series, { to =, by =, low = {rate = 0.02}, base = {method =
-- "trend"}, high = {rate = 0.08}, ... }): project under each scenario;
-- the result has a `scenario` column (low, base, high, then any other
-- names in order), and so has the second dataset (the rates).
function M.scenarios(ds, opts)
  if type(opts) ~= "table" then error("scenarios: options must be a table", 2) end
  local common = { to = true, by = true, period = true, value = true }
  local names = {}
  for k, v in pairs(opts) do
    if not common[k] then
      if type(v) ~= "table" then
        error(("scenarios: '%s' must be a table of projection options (or a common option: to, by)")
          :format(tostring(k)), 2)
      end
      names[#names + 1] = k
    end
  end
  if #names == 0 then error("scenarios: no scenario given (e.g. low = {rate = 0.02})", 2) end
  local rank = { low = 1, base = 2, high = 3 }
  table.sort(names, function(a, b)
    local ra, rb = rank[a] or 4, rank[b] or 4
    if ra ~= rb then return ra < rb end
    return a < b
  end)
  local parts, fitparts = {}, {}
  for _, name in ipairs(names) do
    local o = {}
    for k in pairs(common) do o[k] = opts[k] end
    for k, v in pairs(opts[name]) do
      if common[k] or k == "method" or k == "rate" then o[k] = v
      else error(("scenarios: %s: unknown option '%s'"):format(name, tostring(k)), 2) end
    end
    local p, f = project("scenarios: " .. name, ds, o)
    parts[#parts + 1] = p:mutate("'" .. name .. "' as scenario")
    fitparts[#fitparts + 1] = f:mutate("'" .. name .. "' as scenario")
  end
  local out, fits = parts[1], fitparts[1]
  for i = 2, #parts do
    out = out:concat(parts[i])
    fits = fits:concat(fitparts[i])
  end
  return out, fits
end

------------------------------------------------------------------------
-- allocate
------------------------------------------------------------------------

-- cs.allocate(total, weights, { by = "district", weight = "base", method =
-- "proportional" | "equal" }): TOTAL shared out over the rows of WEIGHTS
-- (one per value of `by`), as `by` and `value`.  An integer total is
-- split into integers that sum exactly to it (largest remainder).
function M.allocate(total, ds, opts)
  opts = check_opts("allocate", opts, { by = true, weight = true, method = true })
  if type(total) ~= "number" or total ~= total or total < 0 then
    error("allocate: the total must be a number >= 0", 2)
  end
  local by = opts.by
  if type(by) ~= "string" then error("allocate: 'by' (the column naming the parts) is required", 2) end
  local method = opts.method or "proportional"
  if method ~= "proportional" and method ~= "equal" then
    error("allocate: method must be proportional or equal", 2)
  end
  local wcol = opts.weight
  if method == "proportional" and wcol == nil then
    error("allocate: 'weight' (the column of weights) is required for a proportional allocation", 2)
  end
  local keys, w = {}, {}
  for r, i in ds:rows() do
    if r[by] == nil then error(("allocate: row %d has no %s"):format(i, by), 2) end
    keys[i] = r[by]
    if method == "equal" then
      w[i] = 1
    else
      local x = r[wcol]
      if type(x) ~= "number" or x < 0 or x ~= x then
        error(("allocate: row %d (%s): weight %s must be a number >= 0"):format(i, tostring(r[by]),
          tostring(x)), 2)
      end
      w[i] = x
    end
  end
  if #keys == 0 then error("allocate: no rows to allocate to", 2) end
  local values
  if math.type(total) == "integer" then
    local ok, v = pcall(cs._apportion, total, w)
    if not ok then error("allocate: the weights are all 0", 2) end
    values = v
  else
    local s = 0
    for _, x in ipairs(w) do s = s + x end
    if s == 0 then error("allocate: the weights are all 0", 2) end
    values = {}
    for i, x in ipairs(w) do values[i] = total * x / s end
  end
  return make({ [by] = keys, value = values }, { by, "value" }, #keys,
    { value = math.type(total) == "integer" and "int64" or "float64" })
end

return M
