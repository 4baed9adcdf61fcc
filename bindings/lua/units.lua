-- units.lua: restating data on other administrative units
-- (coopstat.units: ds:remap).
--
--   local out, report = ds:remap(crosswalk, { key = "commune_code",
--     from = "old_code", to = "new_code", weight = "share",
--     by = { "kind" }, sum = { "orgs", "members" },
--     weights = { ["04891"] = { ["04828"] = 0.3, ["05056"] = 0.7 } },
--     assign = { ["04957"] = "04954" } })
--
-- Each row of DS is sent to the successors of its unit (KEY) in the
-- crosswalk.  The SUM columns (default: every number column but the
-- key and BY) are split by weight: a unit that went whole has weight 1;
-- a divided one takes the crosswalk's weights, or WEIGHTS supplied by
-- the analyst, or goes wholly to the one successor ASSIGN names.  Integer
-- columns are split into integers that sum exactly to the value (largest
-- remainder).  OUT has one row per new unit (and BY values), named as
-- KEY, with the SUM columns summed.  REPORT has a row per old unit:
-- status "full" (one successor), "split" (weights used), "assigned",
-- "unmapped" (not in the crosswalk) or "no_weight" (divided, no weights:
-- left out of OUT), with its successors and rows.
local cs = require("coopstat")

local M = {}

local KNOWN = { key = true, from = true, to = true, weight = true, by = true, sum = true,
  weights = true, assign = true }

local function list(v)
  if v == nil then return {} end
  if type(v) == "string" then return { v } end
  return v
end

function M.remap(ds, cw, opts)
  if type(opts) ~= "table" then error("remap: options must be a table { key = ..., from = ..., to = ... }", 2) end
  for k in pairs(opts) do
    if not KNOWN[k] then error(("remap: unknown option '%s'"):format(tostring(k)), 2) end
  end
  local key, from, to = opts.key, opts.from or "old_code", opts.to or "new_code"
  if type(key) ~= "string" then error("remap: 'key' (the column holding the unit code) is required", 2) end
  local schema, cws = ds:schema(), cw:schema()
  if not schema[key] then error(("remap: the dataset has no column '%s'"):format(key), 2) end
  for _, c in ipairs({ from, to }) do
    if not cws[c] then error(("remap: the crosswalk has no column '%s'"):format(c), 2) end
  end
  if opts.weight and not cws[opts.weight] then
    error(("remap: the crosswalk has no column '%s'"):format(opts.weight), 2)
  end
  local by = list(opts.by)
  local sum = opts.sum and list(opts.sum)
  if not sum then
    sum = {}
    local skip = { [key] = true }
    for _, b in ipairs(by) do skip[b] = true end
    for _, name in ipairs(ds:names()) do
      if not skip[name] and (schema[name] == "int64" or schema[name] == "float64") then
        sum[#sum + 1] = name
      end
    end
  end
  for _, c in ipairs(sum) do
    if schema[c] ~= "int64" and schema[c] ~= "float64" then
      error(("remap: column '%s' is %s; only number columns are split"):format(c, tostring(schema[c])), 2)
    end
  end
  for _, b in ipairs(by) do
    if not schema[b] then error(("remap: the dataset has no column '%s'"):format(b), 2) end
  end
  -- Successors of each old code: { {code, weight or nil}, ... }.
  local succ = {}
  for r in cw:rows() do
    local old, new = r[from], r[to]
    if old ~= nil and new ~= nil then
      old, new = tostring(old), tostring(new)
      succ[old] = succ[old] or {}
      local w = opts.weight and r[opts.weight] or nil
      table.insert(succ[old], { code = new, weight = w })
    end
  end
  local weights, assign = opts.weights or {}, opts.assign or {}
  -- The weights of OLD, and its status.
  local plan = {}
  local function plan_for(old)
    if plan[old] then return plan[old] end
    local s, p = succ[old], nil
    if assign[old] ~= nil then
      p = { status = "assigned", to = { { code = tostring(assign[old]), weight = 1 } } }
    elseif s == nil then
      p = { status = "unmapped", to = {} }
    elseif #s == 1 then
      p = { status = "full", to = { { code = s[1].code, weight = 1 } } }
    else
      local given = weights[old]
      local to_list, missing = {}, false
      for i, x in ipairs(s) do
        local w = given and given[x.code] or x.weight
        if type(w) ~= "number" or w < 0 then missing = true end
        to_list[i] = { code = x.code, weight = w }
      end
      if missing then
        p = { status = "no_weight", to = to_list }
      else
        p = { status = "split", to = to_list }
      end
    end
    p.rows = 0
    plan[old] = p
    return p
  end
  -- Send every row to its successors.
  local acc, order = {}, {}
  local nrows = 0
  for r, i in ds:rows() do
    nrows = i
    local old = r[key]
    if old == nil then error(("remap: row %d has no %s"):format(i, key), 2) end
    old = tostring(old)
    local p = plan_for(old)
    p.rows = p.rows + 1
    if p.status ~= "unmapped" and p.status ~= "no_weight" then
      local w = {}
      for j, t in ipairs(p.to) do w[j] = t.weight end
      local parts = {}
      for _, c in ipairs(sum) do
        local v = r[c]
        if v == nil then
          parts[c] = {}
        elseif math.type(v) == "integer" then
          local share = cs._apportion(math.abs(v), w)
          if v < 0 then for j = 1, #share do share[j] = -share[j] end end
          parts[c] = share
        else
          local s = 0
          for _, x in ipairs(w) do s = s + x end
          local share = {}
          for j, x in ipairs(w) do share[j] = v * x / s end
          parts[c] = share
        end
      end
      for j, t in ipairs(p.to) do
        local kparts = { t.code }
        for _, b in ipairs(by) do kparts[#kparts + 1] = r[b] == nil and "\0" or tostring(r[b]) end
        local k = table.concat(kparts, "\1")
        local a = acc[k]
        if not a then
          a = { code = t.code, by = {}, sums = {} }
          for _, b in ipairs(by) do a.by[b] = r[b] end
          acc[k] = a
          order[#order + 1] = k
        end
        for _, c in ipairs(sum) do
          local v = parts[c][j]
          if v ~= nil then a.sums[c] = (a.sums[c] or 0) + v end
        end
      end
    end
  end
  -- The restated dataset.
  local cols, names = { [key] = {} }, { key }
  for _, b in ipairs(by) do cols[b] = {} names[#names + 1] = b end
  for _, c in ipairs(sum) do cols[c] = {} names[#names + 1] = c end
  for i, k in ipairs(order) do
    local a = acc[k]
    cols[key][i] = a.code
    for _, b in ipairs(by) do cols[b][i] = a.by[b] == nil and cs.null or a.by[b] end
    for _, c in ipairs(sum) do cols[c][i] = a.sums[c] == nil and cs.null or a.sums[c] end
  end
  local types = { [key] = "string" }
  for _, c in ipairs(sum) do types[c] = schema[c] end
  for _, b in ipairs(by) do if schema[b] == "date" then types[b] = "date" end end
  local out = cs.dataset(cols, names, types)
  -- The report: one row per old unit met.
  local olds = {}
  for old in pairs(plan) do olds[#olds + 1] = old end
  table.sort(olds)
  local rep = { [key] = {}, status = {}, successors = {}, weights = {}, rows = {} }
  for i, old in ipairs(olds) do
    local p = plan[old]
    local codes, ws = {}, {}
    for j, t in ipairs(p.to) do
      codes[j] = t.code
      ws[j] = t.weight == nil and "?" or tostring(t.weight)
    end
    rep[key][i], rep.status[i], rep.rows[i] = old, p.status, p.rows
    rep.successors[i] = table.concat(codes, ",")
    rep.weights[i] = table.concat(ws, ",")
  end
  local report = cs.dataset(rep, { key, "status", "successors", "weights", "rows" },
    { [key] = "string", status = "string", successors = "string", weights = "string", rows = "int64" })
  return out, report, nrows
end

return M
