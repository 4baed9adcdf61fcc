-- rules.lua: validation rules over published and computed figures
-- (coopstat.rules).
--
--   cs.rule{ id = "...", title = "...", check = CHECK, tolerance = 0 }
--
-- CHECK is one of the checks below, or a function(v, rule) returning
-- true/false and a message.  v (the validation context) gives
--   v.period, v.db
--   v:published(id)          the published figure of indicator ID for the
--                            period: { pid, value (base units), printed,
--                            unit, scale, decimals, label } or nil
--   v:computed(id [, cell])  the latest computed value of ID (its total,
--                            or the cell {district = ..., kind = ...}):
--                            { value, n, run_id, version } or nil
--   v:cells(id)              the computed disaggregations of ID
-- A rule compares at the published precision when one side is published:
-- 29,405 workers matches a published 29.4 thousand.  TOLERANCE is absolute,
-- in the indicator's unit.
local cs = require("coopstat")
local ind = require("coopstat.indicators")

local M = {}

local catalogue = ind.registry("cs.rule", "rules")

function M.rule(t)
  if type(t) ~= "table" then error("cs.rule: expects a table {id = ..., check = ...}", 2) end
  local id = t.id
  if type(id) ~= "string" or not id:match("^[%a_][%w_]*$") then
    error("cs.rule: 'id' must be a name of letters, digits and _ (got " .. tostring(id) .. ")", 2)
  end
  for k in pairs(t) do
    if k ~= "id" and k ~= "title" and k ~= "check" and k ~= "tolerance" and k ~= "notes" then
      error(("cs.rule '%s': unknown field '%s'"):format(id, tostring(k)), 2)
    end
  end
  if type(t.check) ~= "function" then
    error(("cs.rule '%s': 'check' must be a check (cs.parts_sum_to_total(...), ...) or a function"):format(id), 2)
  end
  local tol = t.tolerance or 0
  if type(tol) ~= "number" or tol < 0 or tol ~= tol then
    error(("cs.rule '%s': 'tolerance' must be a number >= 0"):format(id), 2)
  end
  return catalogue:add({ id = id, title = t.title or id, check = t.check, tolerance = tol,
    notes = t.notes }, 2)
end

function M.list() return catalogue:entries() end
function M.load_dir(dir) return catalogue:load_dir(dir) end
function M.load_default() return catalogue:load_default() end

------------------------------------------------------------------------
-- Formatting
------------------------------------------------------------------------

-- X at DECIMALS places (plain, "." decimal point).
local function fixed(x, decimals) return ("%." .. decimals .. "f"):format(x) end

-- A figure as a reader compares it: published ones as printed with
-- their unit, computed ones in full.
local function show(side)
  if side.published then
    local p = side.published
    local s = fixed(p.printed, p.decimals)
    if p.scale ~= 1 then s = s .. " " .. p.unit end
    return s
  end
  return ind.number_text(side.value)
end

------------------------------------------------------------------------
-- Checks
------------------------------------------------------------------------

-- One side of a comparison: a figure of indicator ID from SOURCE.
local function figure(v, id, source)
  if source == "published" then
    local p = v:published(id)
    if p == nil then return nil, ("no published figure for '%s' in %s"):format(id, v.period) end
    return { label = p.pid .. " " .. id, value = p.value, published = p }
  end
  local c = v:computed(id)
  if c == nil then return nil, ("no computed value of '%s' for %s"):format(id, v.period) end
  if c.value == nil then return nil, ("the computed value of '%s' is empty"):format(id) end
  return { label = id, value = c.value }
end

-- Whether TOTAL (a side) and X agree: at TOTAL's published precision
-- when it is published, else within TOL.
local function agree(total, x, tol)
  if math.abs(total.value - x) <= tol + 1e-9 * math.max(1, math.abs(x)) then return true end
  local p = total.published
  if p then return fixed(x / p.scale, p.decimals) == fixed(p.printed, p.decimals) end
  return false
end

local RELATIONS = { ["="] = true, [">="] = true, ["<="] = true }

-- cs.parts_sum_to_total(total_id, {part_id, ...} [, opts]): the total
-- equals the sum of its parts (relation "="), or is at least (">=") or at
-- most ("<=") it.  opts.source: "published" (default) or "computed".
function M.parts_sum_to_total(total_id, parts, opts)
  opts = opts or {}
  local source = opts.source or "published"
  local relation = opts.relation or "="
  if type(total_id) ~= "string" then error("parts_sum_to_total: the total must be an indicator id", 2) end
  if type(parts) ~= "table" or #parts == 0 then
    error("parts_sum_to_total: the parts must be a list of indicator ids", 2)
  end
  if source ~= "published" and source ~= "computed" then
    error("parts_sum_to_total: source must be 'published' or 'computed'", 2)
  end
  if not RELATIONS[relation] then error("parts_sum_to_total: relation must be '=', '>=' or '<='", 2) end
  return function(v, rule)
    local total, err = figure(v, total_id, source)
    if not total then return { { error = err } } end
    local sum, list = 0, {}
    for i, id in ipairs(parts) do
      local p, perr = figure(v, id, source)
      if not p then return { { error = perr } } end
      sum = sum + p.value
      list[i] = { label = p.label, value = p.value, shown = show(p) }
    end
    local ok
    if relation == "=" then ok = agree(total, sum, rule.tolerance)
    elseif relation == ">=" then ok = total.value + rule.tolerance >= sum or agree(total, sum, rule.tolerance)
    else ok = total.value - rule.tolerance <= sum or agree(total, sum, rule.tolerance) end
    local labels = {}
    for i, p in ipairs(list) do labels[i] = p.label:match("^(%S+)") end
    local rhs_label = table.concat(labels, " + ")
    return { {
      ok = ok,
      message = ("%s %s (%s) %s %s = %s"):format(source, total.label, show(total),
        ok and relation or (relation == "=" and "≠" or "violates " .. relation), rhs_label,
        ind.number_text(sum)),
      lhs = { label = total.label, value = total.value, shown = show(total) },
      rhs = { label = rhs_label, value = sum, shown = ind.number_text(sum), parts = list },
      imbalance = total.value - sum,
    } }
  end
end

-- cs.matches_published(id): the computed total of ID, at the published
-- figure's precision, is the published figure.
function M.matches_published(id)
  if type(id) ~= "string" then error("matches_published: expects an indicator id", 2) end
  return function(v, rule)
    local pub, err = figure(v, id, "published")
    if not pub then return { { error = err } } end
    local comp, cerr = figure(v, id, "computed")
    if not comp then return { { error = cerr } } end
    local ok = agree(pub, comp.value, rule.tolerance)
    local p = pub.published
    local at = fixed(comp.value / p.scale, p.decimals) .. (p.scale ~= 1 and (" " .. p.unit) or "")
    return { {
      ok = ok,
      message = ("computed %s = %s (%s at the published precision) %s published %s = %s"):format(
        id, ind.number_text(comp.value), at, ok and "=" or "≠", p.pid, show(pub)),
      lhs = { label = "computed " .. id, value = comp.value, shown = ind.number_text(comp.value) },
      rhs = { label = "published " .. p.pid, value = pub.value, shown = show(pub) },
      imbalance = comp.value - pub.value,
    } }
  end
end

-- cs.dims_sum_to_total(id [, dim]): the computed cells of ID by DIM
-- (default "district") sum to its computed total.
function M.dims_sum_to_total(id, dim)
  dim = dim or "district"
  return function(v, rule)
    local c = v:computed(id)
    if c == nil or c.value == nil then
      return { { error = ("no computed value of '%s' for %s"):format(id, v.period) } }
    end
    local sum, parts = 0, {}
    for _, cell in ipairs(v:cells(id)) do
      -- Cells of DIM alone (other dimensions empty).
      local only = cell[dim] ~= nil and next(cell.dims) == nil
      for _, other in ipairs({ "district", "kind" }) do
        if other ~= dim and cell[other] ~= nil then only = false end
      end
      if dim ~= "district" and dim ~= "kind" then
        only = cell.dims[dim] ~= nil and cell.district == nil and cell.kind == nil
      end
      if only and cell.value ~= nil then
        sum = sum + cell.value
        parts[#parts + 1] = { label = tostring(cell[dim] or cell.dims[dim]), value = cell.value,
          shown = ind.number_text(cell.value) }
      end
    end
    if #parts == 0 then return { { error = ("'%s' has no cells by %s"):format(id, dim) } } end
    local ok = math.abs(c.value - sum) <= rule.tolerance + 1e-9 * math.max(1, math.abs(sum))
    return { {
      ok = ok,
      message = ("computed %s = %s %s the sum over %d %s values = %s"):format(id,
        ind.number_text(c.value), ok and "=" or "≠", #parts, dim, ind.number_text(sum)),
      lhs = { label = id, value = c.value, shown = ind.number_text(c.value) },
      rhs = { label = "Σ " .. dim, value = sum, shown = ind.number_text(sum), parts = parts },
      imbalance = c.value - sum,
    } }
  end
end

------------------------------------------------------------------------
-- Validation
------------------------------------------------------------------------

local V = {}
V.__index = V

function V:published(id)
  local p = self._pub[id]
  if p == nil then return nil end
  return p
end

function V:computed(id, cell)
  local e = self._latest[id]
  if e == nil then return nil end
  if cell == nil then
    return { value = e.total.value, n = e.total.n, run_id = e.run_id, version = e.version }
  end
  for _, c in ipairs(e.cells) do
    if c.district == cell.district and c.kind == cell.kind then
      return { value = c.value, n = c.n, run_id = e.run_id, version = e.version }
    end
  end
  return nil
end

function V:cells(id)
  local e = self._latest[id]
  return e and e.cells or {}
end

-- The published figures of PERIOD by indicator id.
local function published_by_indicator(db, period)
  local out = {}
  local have = false
  for r in db:tables():rows() do if r.name == "published" then have = true end end
  if not have then return out end
  local pubs = db:read("published")
  local has_period = pubs:schema().period ~= nil
  for r in pubs:rows() do
    if r.indicator_id and r.value and (not has_period or r.period == period) then
      local scale, decimals = r.scale or 1, r.decimals or 0
      out[r.indicator_id] = { pid = r.id, printed = r.value, value = r.value * scale,
        unit = r.unit, scale = scale, decimals = decimals, label = r.label_vi }
    end
  end
  return out
end

-- cs.validate(db, period [, opts]): runs every rule (the shipped ones and
-- those defined with cs.rule) against the latest computed values of the
-- period; when none have been computed, runs the catalogue first.
-- Returns { findings = {...}, confirmed = {...}, errors = {...}, run_id }.
-- Each entry: { rule_id, title, message, lhs, rhs, imbalance } (errors:
-- { rule_id, title, message }).
function M.validate(db, period, opts)
  opts = opts or {}
  if ind.period_type(period) == nil then
    error(("validate: period '%s' is not a period (2023, 2023H1, 2023Q3 or 2023-07)"):format(tostring(period)), 2)
  end
  if opts.rules == nil then M.load_default() end
  local log = opts.log or function(line) io.stderr:write(line, "\n") end
  local latest = ind.latest(db, period)
  local result = { findings = {}, confirmed = {}, errors = {} }
  if #latest == 0 then
    local run_id = ind.run({ db = db, period = period, origin = opts.origin or "validate", log = log })
    log(("no indicator values for %s in the store: computed them first (run %d)"):format(period, run_id))
    result.run_id = run_id
    latest = ind.latest(db, period)
  end
  -- Rules about published figures need the table.
  local have = {}
  for r in db:tables():rows() do have[r.name] = true end
  if not have.published then
    local dir = ind.data_dir()
    if dir then
      db:write("published", cs.read_csv(dir .. "/published_2023h1.csv"), { mode = "create" })
      log(("the store has no table 'published': imported %s/published_2023h1.csv"):format(dir))
    end
  end
  local v = setmetatable({ db = db, period = period, _latest = {},
    _pub = published_by_indicator(db, period) }, V)
  for _, e in ipairs(latest) do v._latest[e.id] = e end
  for _, rule in ipairs(opts.rules or M.list()) do
    local ok, res, msg = pcall(rule.check, v, rule)
    if not ok then
      result.errors[#result.errors + 1] = { rule_id = rule.id, title = rule.title, message = tostring(res) }
    else
      if type(res) == "boolean" then res = { { ok = res, message = msg or "" } } end
      for _, r in ipairs(res) do
        r.rule_id, r.title = rule.id, rule.title
        if r.error then
          r.message = r.error
          result.errors[#result.errors + 1] = r
        elseif r.ok then
          result.confirmed[#result.confirmed + 1] = r
        else
          result.findings[#result.findings + 1] = r
        end
      end
    end
  end
  return result
end

------------------------------------------------------------------------
-- coopstat validate --period P
------------------------------------------------------------------------

M.cli = {}
M.cli.usage = [[
usage: coopstat validate --period P [--db PATH] [--quiet]

Runs every rule of scripts/rules/*.lua against the latest computed
indicator values of period P (computing them first when the store has
none) and the published figures (table 'published').  Prints each
finding (the rule, both sides with their parts, the imbalance), then the
rules that hold (unless --quiet).  Exit status: 0 when every rule holds,
1 when there are findings or a rule could not be checked, 2 on a usage
error.
]]

function M.cli.run(args)
  local cli = require("coopstat.cli")
  local o, pos = cli.parse(args, { ["--period"] = "value", ["--quiet"] = "flag" })
  if #pos > 0 then cli.usage_error("unexpected argument '%s'", pos[1]) end
  if not o.period then cli.usage_error("missing --period (e.g. --period 2023H1)") end
  if not ind.period_type(o.period) then
    cli.usage_error("--period '%s' is not a period (2023, 2023H1, 2023Q3 or 2023-07)", o.period)
  end
  local db = cs.open()
  local res = M.validate(db, o.period, { origin = "cli",
    log = function(line) io.stderr:write("coopstat: validate: ", line, "\n") end })
  db:close()
  local w = io.stdout
  local nrules = #res.findings + #res.confirmed + #res.errors
  w:write(("validate %s: %d checks, %d findings, %d confirmed%s\n"):format(o.period, nrules,
    #res.findings, #res.confirmed, #res.errors > 0 and (", " .. #res.errors .. " not checked") or ""))
  for i, f in ipairs(res.findings) do
    w:write(("\n%d. %s — %s\n"):format(i, f.rule_id, f.title))
    w:write(("   %s\n"):format(f.message))
    w:write(("   left   %-28s %s\n"):format(f.lhs.label, f.lhs.shown or ind.number_text(f.lhs.value)))
    for _, p in ipairs(f.lhs.parts or {}) do w:write(("            %-26s %s\n"):format(p.label, p.shown)) end
    w:write(("   right  %-28s %s\n"):format(f.rhs.label, f.rhs.shown or ind.number_text(f.rhs.value)))
    for _, p in ipairs(f.rhs.parts or {}) do w:write(("            %-26s %s\n"):format(p.label, p.shown)) end
    w:write(("   imbalance %s\n"):format(ind.number_text(f.imbalance)))
  end
  for _, e in ipairs(res.errors) do
    w:write(("\nnot checked: %s — %s: %s\n"):format(e.rule_id, e.title, e.message))
  end
  if not o.quiet and #res.confirmed > 0 then
    w:write("\nconfirmed:\n")
    for _, c in ipairs(res.confirmed) do
      w:write(("  ok  %s: %s\n"):format(c.rule_id, c.message))
    end
  end
  return (#res.findings > 0 or #res.errors > 0) and 1 or 0
end

return M
