-- indicators.lua: the indicator catalogue and its runner (coopstat.indicators).
--
-- An indicator is a Lua definition (cs.indicator{...}) whose compute(ctx)
-- returns a number or a dataset.  A run computes the catalogue for one
-- period and stores every value with its lineage, in one transaction:
--   coopstat_definitions  each distinct definition, by the SHA-256 of its
--                         source (compute and the functions and values it
--                         uses), numbered 1, 2, ... per indicator
--   coopstat_runs         one row a run: period, times, engine version
--   coopstat_run_items    one row an indicator of a run: definition,
--                         status, error, the hash of its inputs' and of its
--                         values, and the earlier run it repeated exactly
--   coopstat_run_inputs   the tables an indicator read: fingerprint, rows
--   coopstat_values       the values: total (every dimension empty) and
--                         the disaggregations
local cs = require("coopstat")

local M = {}

local MEASURES = { stock = true, flow = true, ratio = true }
local PERIOD_TYPES = { year = true, half = true, quarter = true, month = true }
local UNITS = { VND = true, ["VND/month"] = true, organisations = true, people = true }
-- Dimensions with a column of their own in coopstat_values (and in export).
local STD_DIMS = { district = true, kind = true }
-- A null key of a disaggregation becomes this value, so that it cannot
-- be mistaken for the total.
M.UNKNOWN = "(không rõ)"

-- The type of a period string, or nil: 2023, 2023H1, 2023Q3, 2023-07.
function M.period_type(p)
  if type(p) ~= "string" then return nil end
  if p:match("^%d%d%d%d$") then return "year" end
  if p:match("^%d%d%d%dH[12]$") then return "half" end
  if p:match("^%d%d%d%dQ[1-4]$") then return "quarter" end
  local m = p:match("^%d%d%d%d%-(%d%d)$")
  if m and tonumber(m) >= 1 and tonumber(m) <= 12 then return "month" end
  return nil
end

local function check_period(p, where)
  if M.period_type(p) == nil then
    error(("%s: period '%s' is not a period (2023, 2023H1, 2023Q3 or 2023-07)")
      :format(where, tostring(p)), 0)
  end
end

------------------------------------------------------------------------
-- Definitions and their hash
------------------------------------------------------------------------

-- The text of lines FIRST..LAST of the chunk SOURCE (debug.getinfo's
-- source: "@file" or the chunk's text), or nil.
local file_cache = {}
local function source_lines(source, first, last)
  local text
  if source:sub(1, 1) == "@" then
    local path = source:sub(2)
    text = file_cache[path]
    if text == nil then
      local f = io.open(path, "rb")
      text = f and f:read("a") or false
      if f then f:close() end
      file_cache[path] = text
    end
    if not text then return nil end
  elseif source:sub(1, 1) == "=" then
    return nil
  else
    text = source
  end
  local out, n = {}, 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    if n >= first and n <= last then out[#out + 1] = line end
    if n > last then break end
  end
  return table.concat(out, "\n")
end

-- A canonical text of value V for the hash: functions by their source
-- and what they use (their upvalues), recursively; plain tables by their
-- sorted contents; modules by name.
local function describe(v, seen, depth)
  local t = type(v)
  if t == "string" then return ("%q"):format(v) end
  if t == "number" then return math.type(v) == "integer" and tostring(v) or ("%.17g"):format(v) end
  if t ~= "function" and t ~= "table" then return t .. ":" .. tostring(v) end
  if seen[v] then return "<" .. seen[v] .. ">" end
  for name, mod in pairs(package.loaded) do
    if mod == v then return "module " .. tostring(name) end
  end
  if depth > 20 then return "<deep>" end
  local id = 0
  for _ in pairs(seen) do id = id + 1 end
  seen[v] = "ref" .. id
  if t == "table" then
    if getmetatable(v) ~= nil then return "table with metatable" end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b)
      if type(a) == type(b) and (type(a) == "number" or type(a) == "string") then return a < b end
      return type(a) < type(b)
    end)
    local parts = {}
    for _, k in ipairs(keys) do
      parts[#parts + 1] = describe(k, seen, depth + 1) .. "=" .. describe(v[k], seen, depth + 1)
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  local info = debug.getinfo(v, "S")
  if info.what == "C" then return "C function" end
  local src = source_lines(info.source, info.linedefined, info.lastlinedefined)
    or ("function at " .. info.short_src .. ":" .. info.linedefined)
  local parts = { src }
  local i = 1
  while true do
    local name, value = debug.getupvalue(v, i)
    if name == nil then break end
    if name ~= "_ENV" then
      parts[#parts + 1] = "upvalue " .. name .. " = " .. describe(value, seen, depth + 1)
    end
    i = i + 1
  end
  return table.concat(parts, "\n")
end

-- What a definition's hash covers: what it computes, not its titles or
-- notes (which may be corrected without making a new version).
local function definition_text(def)
  return table.concat({
    "coopstat-indicator-1",
    "id=" .. def.id,
    "unit=" .. def.unit,
    "measure=" .. def.measure,
    "period=" .. def.period,
    "dims=" .. table.concat(def.dims, ","),
    "inputs=" .. table.concat(def.inputs, ","),
    "compute=" .. describe(def.compute, {}, 0),
  }, "\n")
end

local function check_list(v, field, id)
  if v == nil then return {} end
  if type(v) ~= "table" then
    error(("cs.indicator '%s': '%s' must be a list of names"):format(id, field), 3)
  end
  local out, seen = {}, {}
  for i, x in ipairs(v) do
    if type(x) ~= "string" or x == "" then
      error(("cs.indicator '%s': %s[%d] must be a name"):format(id, field, i), 3)
    end
    if seen[x] then error(("cs.indicator '%s': %s lists '%s' twice"):format(id, field, x), 3) end
    seen[x], out[i] = true, x
  end
  return out
end

local FIELDS = { id = true, title_vi = true, title_en = true, unit = true, measure = true,
  period = true, dims = true, inputs = true, notes = true, compute = true }

-- A registry of named definitions (the indicator catalogue here, the
-- rules in coopstat.rules): in the order they were made, and by id.  A
-- second definition of an id replaces the first (a script's variant of
-- a catalogue formula), except within the catalogue's own files, where it
-- is an error naming both.
local Registry = {}
Registry.__index = Registry

function M.registry(what, subdir)
  return setmetatable({ what = what, subdir = subdir, list = {}, by_id = {},
    loading = nil, loaded_default = false }, Registry)
end

-- Adds ENTRY (a table with id); LEVEL is the error level of the caller.
function Registry:add(entry, level)
  entry.file = self.loading
  local old = self.by_id[entry.id]
  if old then
    if self.loading and old.file and old.file ~= self.loading then
      error(("%s '%s': defined twice, in %s and %s"):format(self.what, entry.id, old.file,
        self.loading), level + 1)
    end
    for i, x in ipairs(self.list) do if x == old then self.list[i] = entry end end
  else
    self.list[#self.list + 1] = entry
  end
  self.by_id[entry.id] = entry
  return entry
end

function Registry:entries()
  local out = {}
  for i, x in ipairs(self.list) do out[i] = x end
  return out
end

-- Loads every DIR/*.lua file (in name order) as a catalogue file.
function Registry:load_dir(dir)
  local names, err = cs._listdir(dir)
  if not names then error(err, 0) end
  for _, name in ipairs(names) do
    if name:match("%.lua$") then
      local path = dir .. "/" .. name
      local chunk, msg = loadfile(path, "t")
      if not chunk then error(msg, 0) end
      self.loading = path
      local ok, e = pcall(chunk)
      self.loading = nil
      if not ok then error(e, 0) end
    end
  end
end

-- Loads the shipped files (scripts/SUBDIR) once; what a script defined
-- before stays, and takes precedence.
function Registry:load_default()
  if self.loaded_default then return end
  local dir = M.scripts_dir()
  if not dir then
    error(("cannot find scripts/%s; set COOPSTAT_SCRIPTS to the scripts directory"):format(self.subdir), 0)
  end
  self.loaded_default = true
  local own = self.list
  self.list, self.by_id = {}, {}
  self:load_dir(dir .. "/" .. self.subdir)
  for _, x in ipairs(own) do
    if self.by_id[x.id] then
      for i, c in ipairs(self.list) do if c.id == x.id then self.list[i] = x end end
    else
      self.list[#self.list + 1] = x
    end
    self.by_id[x.id] = x
  end
end

local catalogue = M.registry("cs.indicator", "indicators")

-- Checks and registers a definition; returns it.  A second definition of
-- an id replaces the first (a script's variant of a catalogue formula),
-- except within the catalogue files, where it is an error.
function M.indicator(t)
  if type(t) ~= "table" then error("cs.indicator: expects a table {id = ..., compute = ...}", 2) end
  local id = t.id
  if type(id) ~= "string" or not id:match("^[%a_][%w_]*$") then
    error("cs.indicator: 'id' must be a name of letters, digits and _ (got " .. tostring(id) .. ")", 2)
  end
  for k in pairs(t) do
    if not FIELDS[k] then error(("cs.indicator '%s': unknown field '%s'"):format(id, tostring(k)), 2) end
  end
  if type(t.compute) ~= "function" then
    error(("cs.indicator '%s': 'compute' must be a function(ctx)"):format(id), 2)
  end
  local unit = t.unit
  if not UNITS[unit] then
    error(("cs.indicator '%s': unit must be one of VND, VND/month, organisations, people (got %s)")
      :format(id, tostring(unit)), 2)
  end
  if not MEASURES[t.measure] then
    error(("cs.indicator '%s': measure must be stock, flow or ratio (got %s)"):format(id, tostring(t.measure)), 2)
  end
  local period = t.period or "half"
  if not PERIOD_TYPES[period] then
    error(("cs.indicator '%s': period must be year, half, quarter or month (got %s)"):format(id, tostring(period)), 2)
  end
  for _, f in ipairs({ "title_vi", "title_en", "notes" }) do
    if t[f] ~= nil and type(t[f]) ~= "string" then
      error(("cs.indicator '%s': '%s' must be a string"):format(id, f), 2)
    end
  end
  local def = {
    id = id, title_vi = t.title_vi or id, title_en = t.title_en or id, unit = unit,
    measure = t.measure, period = period, dims = check_list(t.dims, "dims", id),
    inputs = check_list(t.inputs, "inputs", id), notes = t.notes, compute = t.compute,
  }
  for _, d in ipairs(def.dims) do
    if d == "value" or d == "n" then
      error(("cs.indicator '%s': '%s' cannot be a dimension"):format(id, d), 2)
    end
  end
  def.source = definition_text(def)
  def.hash = cs.sha256(def.source)
  return catalogue:add(def, 2)
end

-- The first directory of CANDIDATES holding PROBE (a file, or a
-- directory when it ends in "/").
local function find_dir(candidates, probe)
  for i = 1, candidates.n do
    local dir = candidates[i]
    if dir and dir ~= "" then
      if probe:sub(-1) == "/" then
        if cs._listdir(dir .. "/" .. probe) then return dir end
      else
        local f = io.open(dir .. "/" .. probe, "rb")
        if f then f:close() return dir end
      end
    end
  end
  return nil
end

local function share_candidates(env, sub)
  local exe = cs._exe_dir()
  return {
    os.getenv(env),
    exe and (exe .. "/../share/coopstat/" .. sub),
    exe and (exe .. "/../" .. sub),
    cs._share_dir and (cs._share_dir .. "/" .. sub),
    sub,
    n = 5,
  }
end

-- The directory of the shipped catalogue: $COOPSTAT_SCRIPTS/indicators,
-- else beside the program, else the installed one, else ./scripts.
function M.scripts_dir()
  local c = share_candidates("COOPSTAT_SCRIPTS", "scripts")
  return find_dir(c, "indicators/")
end

-- The bundled sample data directory ($COOPSTAT_DATA, else beside the
-- program...).
function M.data_dir()
  local c = share_candidates("COOPSTAT_DATA", "data/hoabinh")
  c[1] = os.getenv("COOPSTAT_DATA")
  return find_dir(c, "organizations.csv")
end

function M.load_dir(dir) return catalogue:load_dir(dir) end

-- Loads the shipped catalogue once (unless it was loaded already).
function M.load_default() return catalogue:load_default() end

-- The definitions, in catalogue order.
function M.list() return catalogue:entries() end

function M.get(id) return catalogue.by_id[id] end

------------------------------------------------------------------------
-- Running
------------------------------------------------------------------------

-- The value of a cell as stored: integers stay integers; a float that
-- is NaN or infinite is refused.
local function check_value(v, where)
  if v == nil then return nil end
  if type(v) ~= "number" then
    error(("%s: value must be a number, got %s"):format(where, type(v)), 0)
  end
  if v ~= v or v == math.huge or v == -math.huge then
    error(("%s: value is %s"):format(where, tostring(v)), 0)
  end
  return v
end

-- The shortest decimal text that reads back as X (plain, "." decimal).
function M.number_text(x)
  if x == nil then return "" end
  if math.type(x) == "integer" then return tostring(x) end
  if x == math.floor(x) and math.abs(x) < 2 ^ 53 then return ("%d"):format(x) end
  for digits = 15, 17 do
    local s = ("%." .. digits .. "g"):format(x)
    if tonumber(s) == x then
      if s:find("e") then s = ("%.17f"):format(x):gsub("0+$", ""):gsub("%.$", "") end
      return s
    end
  end
  return ("%.17g"):format(x)
end

-- Canonical text of a cell's extra dimensions (those other than
-- district and kind): "name=value" pairs joined by ";", sorted.
local function dims_text(extra)
  local keys = {}
  for k in pairs(extra) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. tostring(extra[k]) end
  return table.concat(parts, ";")
end

local function parse_dims_text(s)
  local out = {}
  if s == nil or s == "" then return out end
  for k, v in (s .. ";"):gmatch("([^=;]+)=([^;]*);") do out[k] = v end
  return out
end

-- The rows of what compute returned: { dims = {name = value}, value, n }.
-- A number (and an optional count) is the total; a dataset has the
-- dimension columns, `value` and optionally `n`.
local function result_rows(def, res, n)
  local id = def.id
  if type(res) == "number" or res == nil then
    if res == nil then error("compute returned nothing (a number or a dataset is expected)", 0) end
    if n ~= nil and math.type(n) ~= "integer" then error("compute's second result (n) must be an integer", 0) end
    return { { dims = {}, value = check_value(res, id), n = n } }
  end
  if type(res) ~= "userdata" or type(res.names) ~= "function" then
    error(("compute returned a %s (a number or a dataset is expected)"):format(type(res)), 0)
  end
  local allowed = {}
  for _, d in ipairs(def.dims) do allowed[d] = true end
  local has_value = false
  for _, name in ipairs(res:names()) do
    if name == "value" then has_value = true
    elseif name ~= "n" and not allowed[name] then
      error(("the dataset returned has a column '%s' that is not a declared dimension (dims: %s)")
        :format(name, #def.dims > 0 and table.concat(def.dims, ", ") or "none"), 0)
    end
  end
  if not has_value then error("the dataset returned has no 'value' column", 0) end
  local rows, total, seen = {}, nil, {}
  for r, i in res:rows() do
    local dims, any = {}, false
    for _, d in ipairs(def.dims) do
      if r[d] ~= nil then dims[d], any = tostring(r[d]), true end
    end
    if r.n ~= nil and math.type(r.n) ~= "integer" then
      error(("row %d: n must be an integer"):format(i), 0)
    end
    local row = { dims = dims, value = check_value(r.value, ("row %d"):format(i)), n = r.n }
    local key = dims_text(dims)
    if seen[key] then
      error(("row %d: a second row for %s"):format(i, key == "" and "the total" or key), 0)
    end
    seen[key] = true
    if not any then total = row end
    rows[#rows + 1] = row
  end
  if total == nil then
    -- Without a total row, one partition of an additive measure sums.
    local dimcols = {}
    for _, name in ipairs(res:names()) do
      if allowed[name] then dimcols[#dimcols + 1] = name end
    end
    if def.measure == "ratio" or #dimcols ~= 1 then
      error("the dataset returned has no total row (every dimension empty): add one, or build it with ctx:by()", 0)
    end
    local sum, nsum, int = 0, 0, true
    for _, r in ipairs(rows) do
      if r.value ~= nil then
        sum = sum + r.value
        int = int and math.type(r.value) == "integer"
      end
      nsum = (nsum and r.n) and nsum + r.n or nil
    end
    table.insert(rows, 1, { dims = {}, value = sum, n = nsum })
  end
  return rows
end

-- The computing context handed to compute(ctx).
local Ctx = {}
Ctx.__index = Ctx

-- ctx:read(name [, columns]): a store table as a dataset, restricted to
-- ctx.period when it has a `period` column.  Reads are recorded for the
-- lineage.
function Ctx:read(name, columns)
  local run = self._run
  if run.units and name == "organizations" then return self:_read_restated(columns) end
  local t = run.tables[name]
  if t == nil then
    local ok, ds = pcall(run.db.read, run.db, name)
    if not ok then error(("ctx:read('%s'): %s"):format(name, tostring(ds)), 2) end
    t = { ds = ds, fingerprint = ds:fingerprint(), nrows = #ds }
    local schema = ds:schema()
    if schema.period ~= nil then
      if schema.period ~= "string" then
        error(("ctx:read('%s'): its period column is %s, not string"):format(name, schema.period), 2)
      end
      t.restricted = ds:filter("period == '" .. run.period .. "'")
    else
      t.restricted = ds
    end
    run.tables[name] = t
  end
  local used = self._inputs[name]
  if used == nil then
    self._inputs[name] = { fingerprint = t.fingerprint, nrows = t.nrows, nrows_used = #t.restricted }
    self._input_order[#self._input_order + 1] = name
  end
  if columns then return t.restricted:select(table.unpack(columns)) end
  return t.restricted
end

-- The name of the unit that takes the organisations of a divided commune
-- when the run was not told where they went.
M.UNPLACED = "(chưa phân định)"

-- organizations restated on the 2025 units: `district` and
-- `district_code` become the 2025 commune or ward (the district level was
-- abolished), through the crosswalk table `crosswalk_2025` (old_code,
-- new_code, new_name).  A commune that went whole to one unit follows it;
-- a divided one goes where run.assign says, else to M.UNPLACED.
function Ctx:_read_restated(columns)
  local run = self._run
  if run.restated == nil then
    local saved = run.units
    run.units = nil -- read the stored tables themselves (and record them)
    local orgs = self:read("organizations")
    local cw = self:read("crosswalk_2025")
    run.units = saved
    local succ, names = {}, {}
    for r in cw:rows() do
      local old, new = tostring(r.old_code), tostring(r.new_code)
      succ[old] = succ[old] or {}
      table.insert(succ[old], new)
      names[new] = r.new_name
    end
    local map = { old_code = {}, new_code = {}, new_name = {} }
    local divided = {}
    for old, list in pairs(succ) do
      local new = #list == 1 and list[1] or run.assign[old]
      if new ~= nil and names[new] == nil then
        error(("--assign %s=%s: %s is not a 2025 unit of the crosswalk"):format(old, new, new), 0)
      end
      map.old_code[#map.old_code + 1] = old
      map.new_code[#map.new_code + 1] = new or "?"
      map.new_name[#map.new_name + 1] = new and names[new] or M.UNPLACED
      if not new then divided[#divided + 1] = old end
    end
    local m = cs.dataset(map, { "old_code", "new_code", "new_name" })
    local schema = orgs:schema()
    local key = "commune_code"
    if schema[key] ~= "string" then
      error("ctx:read('organizations'): commune_code must be text to follow the crosswalk", 0)
    end
    local j = orgs:join(m, { left = key, right = "old_code" }, { how = "left" })
    local unmapped = #j:filter("new_code == nil")
    if unmapped > 0 then
      error(("%d organisation(s) have a commune_code that is not in crosswalk_2025"):format(unmapped), 0)
    end
    local keep = {}
    for _, n in ipairs(orgs:names()) do keep[#keep + 1] = n end
    j = j:drop("district", "district_code"):rename{ new_name = "district", new_code = "district_code" }
    run.restated = j:select(table.unpack(keep))
    local n = #run.restated:filter("district_code == '?'")
    if n > 0 and run.log then
      table.sort(divided)
      run.log(("%d organisation(s) of divided communes (%s) are under '%s': pass --assign OLD=NEW to place them")
        :format(n, table.concat(divided, ", "), M.UNPLACED))
    end
  end
  if columns then return run.restated:select(table.unpack(columns)) end
  return run.restated
end

-- ctx:by(ds, aggregate): the aggregate (an expression such as
-- "mean(revenue_vnd)") over DS as a whole and by each dimension of the
-- indicator (and by all of them together when there are several), as a
-- dataset of the dimensions, `value` and `n` (the rows of DS behind each
-- value, for disclosure control).  A null key becomes M.UNKNOWN.
-- The groupings of a breakdown by DIMS: each dimension alone, then (with
-- more than one) all of them together.
local function groupings_of(dims)
  local groupings = {}
  for _, d in ipairs(dims) do groupings[#groupings + 1] = { d } end
  if #dims > 1 then groupings[#groupings + 1] = dims end
  return groupings
end

function Ctx:by(ds, aggregate)
  local dims = self.dims
  local cols = { value = {}, n = {} }
  for _, d in ipairs(dims) do cols[d] = {} end
  local function add(t, keys)
    for r in t:rows() do
      local i = #cols.value + 1
      for _, d in ipairs(dims) do
        local v = cs.null
        if keys[d] then v = r[d] == nil and M.UNKNOWN or tostring(r[d]) end
        cols[d][i] = v
      end
      cols.value[i] = r.value == nil and cs.null or r.value
      cols.n[i] = r.n
    end
  end
  local aggs = { aggregate .. " as value", "count() as n" }
  add(ds:agg(table.unpack(aggs)), {})
  for _, g in ipairs(groupings_of(dims)) do
    local keys = {}
    for _, d in ipairs(g) do keys[d] = true end
    add(ds:group_by(table.unpack(g)):agg(table.unpack(aggs)), keys)
  end
  local order = {}
  for _, d in ipairs(dims) do order[#order + 1] = d end
  order[#order + 1] = "value"
  order[#order + 1] = "n"
  local types = {}
  for _, d in ipairs(dims) do types[d] = "string" end
  -- A value column of only nulls still needs a number type.
  local allnull = true
  for _, v in ipairs(cols.value) do if v ~= cs.null then allnull = false break end end
  if allnull then types.value = "float64" end
  return cs.dataset(cols, order, types)
end

-- ctx:count(ds [, universe]): the number of rows of DS, in total and by
-- dimension.  With UNIVERSE (a dataset having the dimension columns), a
-- combination of dimension values found there but not in DS counts 0.
function Ctx:count(ds, universe)
  local counts = self:by(ds, "count()")
  if universe == nil or #self.dims == 0 then return counts end
  local dims = self.dims
  local function key(r)
    local k = {}
    for i, d in ipairs(dims) do k[i] = r[d] == nil and "\0" or tostring(r[d]) end
    return table.concat(k, "\1")
  end
  -- The counts by key; then every key of the universe in its order.
  local found, order = {}, {}
  for r in counts:rows() do
    local k = key(r)
    found[k] = r
    order[#order + 1] = k
  end
  local cols = { value = {}, n = {} }
  for _, d in ipairs(dims) do cols[d] = {} end
  local done = {}
  local function push(r)
    local i = #cols.value + 1
    for _, d in ipairs(dims) do cols[d][i] = r[d] == nil and cs.null or r[d] end
    cols.value[i], cols.n[i] = r.value, r.n
    done[key(r)] = true
  end
  push(counts:head(1):rows()())
  for _, g in ipairs(groupings_of(dims)) do
    for r in universe:select(table.unpack(g)):distinct():rows() do
      local row = { value = 0, n = 0 }
      for _, d in ipairs(g) do row[d] = r[d] == nil and M.UNKNOWN or tostring(r[d]) end
      local k = key(row)
      if not done[k] then push(found[k] or row) end
    end
  end
  for _, k in ipairs(order) do
    if not done[k] then push(found[k]) end
  end
  local names, types = {}, {}
  for _, d in ipairs(dims) do names[#names + 1] = d types[d] = "string" end
  names[#names + 1] = "value"
  names[#names + 1] = "n"
  return cs.dataset(cols, names, types)
end

-- Imports the tables the selected indicators need and the store lacks
-- from the sample data directory, in the current transaction.
local SAMPLE_FILES = {
  organizations = "organizations.csv", reports = "reports_2023h1.csv",
  published = "published_2023h1.csv", sectors = "sectors.csv",
  admin_units = "admin_units_2023.csv", history = "history.csv",
  targets = "targets_2025.csv", crosswalk_2025 = "../admin/hoabinh_crosswalk_2025.csv",
}
local SAMPLE_SCHEMA = {
  organizations = { district_code = "string", commune_code = "string" },
  admin_units = { code = "string", parent_code = "string" },
  targets = { period = "string" },
  crosswalk_2025 = { old_code = "string", new_code = "string", new_province_code = "string" },
}
M.SAMPLE_FILES, M.SAMPLE_SCHEMA = SAMPLE_FILES, SAMPLE_SCHEMA

local function import_missing(db, defs, log, also)
  local have = {}
  for r in db:tables():rows() do have[r.name] = true end
  local missing, seen = {}, {}
  for _, t in ipairs(also) do
    if not have[t] then seen[t] = true missing[#missing + 1] = t end
  end
  for _, d in ipairs(defs) do
    for _, t in ipairs(d.inputs) do
      if not have[t] and not seen[t] then
        seen[t] = true
        missing[#missing + 1] = t
      end
    end
  end
  if #missing == 0 then return {} end
  local dir = M.data_dir()
  local done = {}
  for _, t in ipairs(missing) do
    local file = SAMPLE_FILES[t]
    if file and dir then
      local ds = cs.read_csv(dir .. "/" .. file, { schema = SAMPLE_SCHEMA[t] })
      db:write(t, ds, { mode = "create" })
      done[#done + 1] = t
      log(("the store has no table '%s': imported %s (%d rows)"):format(t, dir .. "/" .. file, #ds))
    end
  end
  return done
end

local function now_iso()
  -- UTC, to the second; the store's clock is the machine's.
  return os.date("!%Y-%m-%dT%H:%M:%SZ")
end

-- The canonical text of a list of stored rows, for the values hash.
local function values_text(rows)
  local lines = {}
  for i, r in ipairs(rows) do
    lines[i] = dims_text(r.dims) .. "|" .. M.number_text(r.value) .. "|" .. tostring(r.n)
  end
  table.sort(lines)
  return table.concat(lines, "\n")
end

-- The definition row of DEF in the store (made when new); returns its
-- version number.
local function store_definition(db, def)
  local q = db:query("select version from coopstat_definitions where hash = ?", { def.hash })
  if #q > 0 then
    db:exec("update coopstat_definitions set title_vi = ?, title_en = ?, notes = ? where hash = ?",
      { def.title_vi, def.title_en, def.notes or cs.null, def.hash })
    return q.version[1], false
  end
  local v = db:query("select coalesce(max(version), 0) + 1 as v from coopstat_definitions where indicator_id = ?",
    { def.id }).v[1]
  db:exec([[insert into coopstat_definitions (hash, indicator_id, version, title_vi, title_en,
    unit, measure, period_type, dims, inputs, notes, source, created_at)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)]],
    { def.hash, def.id, v, def.title_vi, def.title_en, def.unit, def.measure, def.period,
      table.concat(def.dims, ","), table.concat(def.inputs, ","), def.notes or cs.null,
      def.source, now_iso() })
  return v, true
end

local function check_opts(opts)
  local known = { db = true, period = true, only = true, catalogue = true, origin = true, log = true,
    units = true, assign = true }
  for k in pairs(opts) do
    if not known[k] then error(("cs.run_indicators: unknown option '%s'"):format(tostring(k)), 3) end
  end
end

-- cs.run_indicators{ db = db, period = "2023H1", only = {id, ...},
--   catalogue = DIR | false, origin = "lua", log = function(line) }
-- Runs the catalogue for the period; returns the run id and a summary
-- { run_id, ok, failed, skipped, items = { {id, status, error, version,
-- new_version, same_as, n_values} } }.
function M.run(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("cs.run_indicators: expects a table of options", 2) end
  check_opts(opts)
  local period = opts.period
  check_period(period, "cs.run_indicators")
  local log = opts.log or function(line) io.stderr:write(line, "\n") end
  if opts.catalogue == nil then
    M.load_default()
  elseif opts.catalogue then
    M.load_dir(opts.catalogue)
  end
  local defs = {}
  if opts.only then
    if type(opts.only) ~= "table" then error("cs.run_indicators: 'only' must be a list of ids", 2) end
    local seen = {}
    for _, id in ipairs(opts.only) do
      local d = catalogue.by_id[id]
      if not d then
        local known = {}
        for _, x in ipairs(catalogue.list) do known[#known + 1] = x.id end
        error(("cs.run_indicators: no indicator '%s' (known: %s)"):format(tostring(id), table.concat(known, ", ")), 2)
      end
      if not seen[id] then defs[#defs + 1] = d end
      seen[id] = true
    end
  else
    defs = M.list()
  end
  if #defs == 0 then error("cs.run_indicators: the catalogue is empty", 2) end
  if opts.units ~= nil and opts.units ~= "2025" and opts.units ~= "2023" then
    error("cs.run_indicators: units must be '2023' (the units of the data) or '2025' (the units from 1 July 2025)", 2)
  end
  if opts.units == "2023" then opts.units = nil end
  if opts.assign ~= nil and type(opts.assign) ~= "table" then
    error("cs.run_indicators: assign must be a table { old_code = new_code }", 2)
  end
  local db = opts.db or cs.open()
  local ptype = M.period_type(period)
  local summary = { ok = 0, failed = 0, skipped = 0, items = {}, imported = {} }

  db:transaction(function()
    summary.imported = import_missing(db, defs, log, opts.units and { "crosswalk_2025" } or {})
    if opts.units and opts.assign and next(opts.assign) then
      -- Check the placements before anything is computed.
      local olds, news = {}, {}
      for r in db:read("crosswalk_2025"):rows() do
        olds[tostring(r.old_code)] = (olds[tostring(r.old_code)] or 0) + 1
        news[tostring(r.new_code)] = true
      end
      for old, new in pairs(opts.assign) do
        if not olds[tostring(old)] then
          error(("assign %s=%s: %s is not a commune of the crosswalk"):format(old, new, old), 0)
        end
        if not news[tostring(new)] then
          error(("assign %s=%s: %s is not a 2025 unit of the crosswalk"):format(old, new, new), 0)
        end
      end
    end
    db:exec([[insert into coopstat_runs (period, started_at, engine_version, status, origin, units)
      values (?, ?, ?, 'running', ?, ?)]], { period, now_iso(), cs.version, opts.origin or "lua",
      opts.units or cs.null })
    local run_id = db:query("select max(run_id) as id from coopstat_runs").id[1]
    summary.run_id = run_id
    local run = { db = db, period = period, tables = {}, units = opts.units, assign = opts.assign or {},
      log = log }
    for _, def in ipairs(defs) do
      local item = { id = def.id, status = "ok" }
      summary.items[#summary.items + 1] = item
      item.version, item.new_version = store_definition(db, def)
      local ctx = setmetatable({ period = period, period_type = ptype, db = db, id = def.id,
        dims = def.dims, _run = run, _inputs = {}, _input_order = {} }, Ctx)
      local t0 = cs.clock()
      local rows
      if def.period ~= ptype and def.measure ~= "stock" then
        item.status = "skipped"
        item.error = ("a %s indicator: not computed for the %s %s"):format(def.period, ptype, period)
      else
        local ok, res, n = xpcall(def.compute, function(e)
          return debug.traceback(tostring(e), 2)
        end, ctx)
        if ok then
          ok, rows = pcall(result_rows, def, res, n)
          if not ok then res = rows end
        end
        if not ok then
          item.status = "error"
          -- The first line is the message; the traceback stays stored.
          item.error = tostring(res)
        end
      end
      item.seconds = cs.clock() - t0
      -- Lineage: what this indicator read.
      local fp = {}
      for _, name in ipairs(ctx._input_order) do
        local u = ctx._inputs[name]
        db:exec("insert into coopstat_run_inputs values (?, ?, ?, ?, ?, ?)",
          { run_id, def.id, name, u.fingerprint, u.nrows, u.nrows_used })
        fp[#fp + 1] = name .. "=" .. u.fingerprint
      end
      -- Where divided communes were placed is an input too.
      if opts.units then
        fp[#fp + 1] = "units=" .. opts.units
        for k, v in pairs(run.assign) do fp[#fp + 1] = "assign " .. tostring(k) .. "=" .. tostring(v) end
      end
      table.sort(fp)
      local inputs_hash = cs.sha256(table.concat(fp, "\n"))
      local values_hash = cs.null
      if item.status == "ok" then
        for _, r in ipairs(rows) do
          local extra = {}
          for k, v in pairs(r.dims) do if not STD_DIMS[k] then extra[k] = v end end
          if opts.units then extra.units = opts.units end
          db:exec([[insert into coopstat_values (run_id, indicator_id, period, district, kind, dims, value, n)
            values (?, ?, ?, ?, ?, ?, ?, ?)]],
            { run_id, def.id, period, r.dims.district or cs.null, r.dims.kind or cs.null,
              dims_text(extra), r.value == nil and cs.null or r.value, r.n or cs.null })
        end
        item.n_values = #rows
        values_hash = cs.sha256((opts.units and ("units=" .. opts.units .. "\n") or "") .. values_text(rows))
        -- The same definition on the same inputs before: the same values?
        local prev = db:query([[select i.run_id, i.values_hash from coopstat_run_items i
            join coopstat_runs r on r.run_id = i.run_id
            where i.indicator_id = ? and r.period = ? and i.def_hash = ? and i.inputs_hash = ?
              and i.status = 'ok' order by i.run_id desc limit 1]],
          { def.id, period, def.hash, inputs_hash })
        if #prev > 0 then
          if prev.values_hash[1] == values_hash then
            item.same_as = prev.run_id[1]
          else
            item.differs_from = prev.run_id[1]
          end
        end
        summary.ok = summary.ok + 1
      elseif item.status == "skipped" then
        summary.skipped = summary.skipped + 1
      else
        summary.failed = summary.failed + 1
      end
      db:exec([[insert into coopstat_run_items (run_id, indicator_id, def_hash, status, error,
          n_values, inputs_hash, values_hash, same_as, seconds) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)]],
        { run_id, def.id, def.hash, item.status, item.error or cs.null, item.n_values or 0,
          inputs_hash, values_hash, item.same_as or cs.null, item.seconds })
    end
    db:exec([[update coopstat_runs set finished_at = ?, status = ?, n_ok = ?, n_failed = ?,
        n_skipped = ? where run_id = ?]],
      { now_iso(), summary.failed > 0 and "failed" or "ok", summary.ok, summary.failed,
        summary.skipped, run_id })
  end)
  if opts.db == nil then db:close() end
  return summary.run_id, summary
end

------------------------------------------------------------------------
-- Targets
------------------------------------------------------------------------

local TARGET_FIELDS = { indicator_id = true, district = true, period = true, target = true,
  basis = true, note = true, db = true }

-- cs.target{ indicator_id =, district = (nil: the province), period =,
--   target =, basis =, note =, db = } stores a target in the store's table
-- `targets` (made when missing), replacing one for the same indicator,
-- district and period.  Returns the number of targets of the indicator.
function M.target(t)
  if type(t) ~= "table" then error("cs.target: expects a table { indicator_id = ..., period = ..., target = ... }", 2) end
  for k in pairs(t) do
    if not TARGET_FIELDS[k] then error(("cs.target: unknown field '%s'"):format(tostring(k)), 2) end
  end
  if type(t.indicator_id) ~= "string" or t.indicator_id == "" then
    error("cs.target: 'indicator_id' must be an indicator id", 2)
  end
  if M.period_type(t.period) == nil then
    error(("cs.target: period '%s' is not a period (2025, 2025H2, ...)"):format(tostring(t.period)), 2)
  end
  if type(t.target) ~= "number" or t.target ~= t.target then error("cs.target: 'target' must be a number", 2) end
  if t.district ~= nil and type(t.district) ~= "string" then error("cs.target: 'district' must be a string", 2) end
  if t.basis == nil or t.basis == "" then
    error("cs.target: 'basis' must say where the target comes from (a resolution, or 'illustrative')", 2)
  end
  local db = t.db or cs.open()
  local n
  db:transaction(function()
    local have = false
    for r in db:tables():rows() do if r.name == "targets" then have = true end end
    if have then
      db:exec("delete from targets where indicator_id = ? and coalesce(district, '') = ? and period = ?",
        { t.indicator_id, t.district or "", t.period })
    end
    local row = cs.dataset({ indicator_id = { t.indicator_id }, district = { t.district or cs.null },
      period = { t.period }, target = { t.target }, basis = { t.basis }, note = { t.note or cs.null } },
      { "indicator_id", "district", "period", "target", "basis", "note" },
      { district = "string", note = "string", target = math.type(t.target) == "integer" and "int64" or "float64" })
    if have then
      local schema = db:read("targets"):schema()
      if schema.target == "float64" and math.type(t.target) == "integer" then
        row = row:mutate("target * 1.0 as target")
      end
      db:write("targets", row, { mode = "append" })
    else
      db:write("targets", row, { mode = "create" })
    end
    n = db:query("select count(*) as n from targets where indicator_id = ?", { t.indicator_id }).n[1]
  end)
  if t.db == nil then db:close() end
  return n
end

------------------------------------------------------------------------
-- Reading stored values
------------------------------------------------------------------------

-- "a, b,c" -> {"a", "b", "c"} (spaces around names dropped).
local function split(s)
  local out = {}
  if s == nil or s == "" then return out end
  for x in s:gmatch("[^,]+") do
    x = x:match("^%s*(.-)%s*$")
    if x ~= "" then out[#out + 1] = x end
  end
  return out
end

local function has_lineage(db)
  local q = db:query("select count(*) as n from sqlite_master where name = 'coopstat_values'")
  return q.n[1] > 0
end

-- The latest successful values of each indicator for PERIOD (catalogue
-- order first, then by id): a list of { id, run_id, def_hash, version,
-- title_vi, title_en, unit, measure, dims, total = {value, n},
-- cells = { {district, kind, dims, value, n} } }.
function M.latest(db, period, ids, units)
  check_period(period, "latest")
  units = (units ~= "2023") and units or nil
  if not has_lineage(db) then return {} end
  local items = db:query([[
    select i.indicator_id as id, i.run_id, i.def_hash, d.version, d.title_vi, d.title_en,
           d.unit, d.measure, d.dims, d.notes
    from coopstat_run_items i
    join coopstat_runs r on r.run_id = i.run_id
    join coopstat_definitions d on d.hash = i.def_hash
    where r.period = ?1 and i.status = 'ok' and r.units is ?2
      and i.run_id = (select max(j.run_id) from coopstat_run_items j
                      join coopstat_runs r2 on r2.run_id = j.run_id
                      where j.indicator_id = i.indicator_id and r2.period = ?1 and j.status = 'ok'
                        and r2.units is ?2)
    order by i.indicator_id]], { period, units or cs.null })
  local want
  if ids then
    want = {}
    for _, id in ipairs(ids) do want[id] = true end
  end
  local out, by = {}, {}
  for r in items:rows() do
    if not want or want[r.id] then
      local e = { id = r.id, run_id = r.run_id, def_hash = r.def_hash, version = r.version,
        title_vi = r.title_vi, title_en = r.title_en, unit = r.unit, measure = r.measure,
        notes = r.notes, dims = split(r.dims), total = {}, cells = {} }
      out[#out + 1], by[r.id] = e, e
    end
  end
  local vals = db:query([[
    select v.indicator_id as id, v.run_id, v.district, v.kind, v.dims, v.value, v.n
    from coopstat_values v join coopstat_runs r on r.run_id = v.run_id
    where r.period = ? order by v.rowid]], { period })
  for v in vals:rows() do
    local e = by[v.id]
    if e and e.run_id == v.run_id then
      local dims = parse_dims_text(v.dims)
      dims.units = nil -- the run's, not a disaggregation
      if v.district == nil and v.kind == nil and next(dims) == nil then
        e.total = { value = v.value, n = v.n }
      else
        e.cells[#e.cells + 1] = { district = v.district, kind = v.kind,
          dims = dims, value = v.value, n = v.n }
      end
    end
  end
  -- Catalogue order where the catalogue is known.
  local pos = {}
  for i, d in ipairs(catalogue.list) do pos[d.id] = i end
  table.sort(out, function(a, b)
    local pa, pb = pos[a.id] or math.huge, pos[b.id] or math.huge
    if pa ~= pb then return pa < pb end
    return a.id < b.id
  end)
  return out
end

-- What run RUN_ID was: { run_id, period, started_at, finished_at,
-- engine_version, status, origin, inputs = { {tbl, fingerprint, nrows} } }.
function M.run_info(db, run_id)
  local r = db:query("select * from coopstat_runs where run_id = ?", { run_id })
  if #r == 0 then return nil end
  local info = {}
  for _, c in ipairs(r:names()) do info[c] = r:col(c)[1] end
  info.inputs = {}
  local q = db:query([[select tbl, fingerprint, max(nrows) as nrows from coopstat_run_inputs
    where run_id = ? group by tbl, fingerprint order by tbl]], { run_id })
  for x in q:rows() do info.inputs[#info.inputs + 1] = x end
  return info
end

------------------------------------------------------------------------
-- The command line: coopstat indicators list|run|show|export|explain
------------------------------------------------------------------------

M.cli = {}
M.cli.usage = [==[
usage: coopstat indicators list
       coopstat indicators run --period P [--only ID,...] [--units 2025 [--assign OLD=NEW,...]]
       coopstat indicators show ID [--period P]
       coopstat indicators export --period P [--format csv|json] [--out FILE] [--units 2025]
       coopstat indicators explain ID --period P [--district D] [--kind K]
  (each takes --db PATH: the store; default $COOPSTAT_DB, else ./coopstat.db)

The indicator catalogue is scripts/indicators/*.lua (found in
$COOPSTAT_SCRIPTS, else beside the program, else the installed copy).

  list     the indicators: id, unit, measure, period, dimensions, title
  run      computes the catalogue for period P (2023, 2023H1, 2023Q3,
           2023-07) and stores every value with its lineage (run id,
           definition hash and version, input fingerprints, engine
           version, time), in one transaction.  Tables the store lacks
           are first imported from the sample data (and it says so).
           An indicator that fails is recorded; the others go on; the
           exit status is 1 when any failed.  --units 2025 computes them
           on the units in force from 1 July 2025 (the district dimension
           then holds the 2025 commune or ward, through the table
           crosswalk_2025); --assign places the organisations of a divided
           commune (its code=the successor's code).
  show     the values of ID across runs and periods (total, and with
           --period the disaggregations too)
  export   the latest values for P: indicator_id, period, district, kind,
           value, unit, run_id, then any other dimension; the province
           total has every dimension empty.  Plain numbers ("." decimal
           point, no grouping), money in VND.  Standard output without
           --out.
  explain  how a value was made: the definition version and its source,
           the runs, the input tables with their fingerprints and the rows
           that fed it
]==]

local cli_mod

local function cli() cli_mod = cli_mod or require("coopstat.cli") return cli_mod end

local function pad(s, w)
  s = tostring(s)
  local n = utf8.len(s) or #s
  return s .. string.rep(" ", math.max(0, w - n))
end

-- Prints ROWS (lists of strings) aligned under HEADER; RIGHT: columns
-- aligned right.
local function print_table(header, rows, right)
  local w = {}
  for i, h in ipairs(header) do w[i] = utf8.len(h) or #h end
  for _, r in ipairs(rows) do
    for i = 1, #header do
      local n = utf8.len(tostring(r[i] or "")) or #tostring(r[i] or "")
      if n > w[i] then w[i] = n end
    end
  end
  local function line(r)
    local parts = {}
    for i = 1, #header do
      local s = tostring(r[i] or "")
      if right and right[i] then
        parts[i] = string.rep(" ", w[i] - (utf8.len(s) or #s)) .. s
      else
        parts[i] = pad(s, w[i])
      end
    end
    io.stdout:write((table.concat(parts, "  "):gsub("%s+$", "")), "\n")
  end
  line(header)
  local rule = {}
  for i = 1, #header do rule[i] = string.rep("─", w[i]) end
  line(rule)
  for _, r in ipairs(rows) do line(r) end
end
M.print_table = print_table

local function cmd_list(args)
  local _, pos = cli().parse(args, {})
  if #pos > 0 then cli().usage_error("list takes no argument (got '%s')", pos[1]) end
  M.load_default()
  local rows = {}
  for _, d in ipairs(M.list()) do
    rows[#rows + 1] = { d.id, d.unit, d.measure, d.period, table.concat(d.dims, ","), d.title_vi }
  end
  print_table({ "id", "unit", "measure", "period", "dims", "title" }, rows)
  return 0
end

local function cmd_run(args)
  local o, pos = cli().parse(args, { ["--period"] = "value", ["--only"] = "value",
    ["--units"] = "value", ["--assign"] = "value" })
  if #pos > 0 then cli().usage_error("unexpected argument '%s'", pos[1]) end
  if not o.period then cli().usage_error("missing --period (e.g. --period 2023H1)") end
  if o.units and o.units ~= "2023" and o.units ~= "2025" then
    cli().usage_error("--units must be 2023 or 2025 (got '%s')", o.units)
  end
  local assign
  if o.assign then
    if o.units ~= "2025" then cli().usage_error("--assign goes with --units 2025") end
    assign = {}
    for _, pair in ipairs(split(o.assign)) do
      local old, new = pair:match("^(%d+)=(%d+)$")
      if not old then cli().usage_error("--assign takes OLD=NEW commune codes, e.g. 04891=04828 (got '%s')", pair) end
      assign[old] = new
    end
  end
  if not M.period_type(o.period) then
    cli().usage_error("--period '%s' is not a period (2023, 2023H1, 2023Q3 or 2023-07)", o.period)
  end
  local only
  if o.only then only = split(o.only) end
  M.load_default()
  local run_id, s = M.run({ period = o.period, only = only, origin = "cli", units = o.units,
    assign = assign,
    log = function(line) io.stderr:write("coopstat: indicators: ", line, "\n") end })
  local rows = {}
  for _, it in ipairs(s.items) do
    local note
    if it.status == "error" then
      note = "ERROR: " .. (it.error:match("^[^\n]*") or it.error)
    elseif it.status == "skipped" then
      note = "skipped: " .. it.error
    elseif it.same_as then
      note = ("same values as run %d"):format(it.same_as)
    elseif it.differs_from then
      note = ("values differ from run %d on the same inputs and definition"):format(it.differs_from)
    elseif it.new_version and it.version > 1 then
      note = ("new definition: version %d"):format(it.version)
    else
      note = ""
    end
    rows[#rows + 1] = { it.id, "v" .. it.version, it.status, tostring(it.n_values or 0), note }
  end
  print_table({ "indicator", "version", "status", "values", "" }, rows, { [4] = true })
  io.stdout:write(("run %d, period %s%s: %d computed, %d failed, %d skipped\n")
    :format(run_id, o.period, (o.units == "2025") and ", on the 2025 units" or "", s.ok, s.failed,
      s.skipped))
  return s.failed > 0 and 1 or 0
end

local function cmd_show(args)
  local o, pos = cli().parse(args, { ["--period"] = "value" })
  if #pos ~= 1 then cli().usage_error("show takes one indicator id") end
  local id = pos[1]
  if o.period and not M.period_type(o.period) then
    cli().usage_error("--period '%s' is not a period", o.period)
  end
  local db = cs.open()
  if not has_lineage(db) then error("the store has no indicator values yet", 0) end
  local q = db:query([[
    select r.period, v.run_id, d.version, r.started_at, v.district, v.kind, v.dims, v.value, v.n,
           i.same_as, r.units
    from coopstat_values v
    join coopstat_runs r on r.run_id = v.run_id
    join coopstat_run_items i on i.run_id = v.run_id and i.indicator_id = v.indicator_id
    join coopstat_definitions d on d.hash = i.def_hash
    where v.indicator_id = ?1 and (?2 is null or r.period = ?2)
      and (?2 is not null or (v.district is null and v.kind is null
                              and (v.dims = '' or v.dims like 'units=%')))
    order by r.period, v.run_id, v.rowid]], { id, o.period or cs.null })
  if #q == 0 then
    error(("no values of '%s'%s in the store"):format(id, o.period and (" for " .. o.period) or ""), 0)
  end
  local rows = {}
  for r in q:rows() do
    rows[#rows + 1] = { r.period .. (r.units and (" (" .. r.units .. " units)") or ""),
      tostring(r.run_id), "v" .. r.version, r.started_at,
      r.district or "", r.kind or "", (r.dims or ""):gsub("units=%d+;?", ""), M.number_text(r.value),
      r.n and tostring(r.n) or "", r.same_as and ("= run " .. r.same_as) or "" }
  end
  print_table({ "period", "run", "version", "time", "district", "kind", "other", "value", "n", "" },
    rows, { [2] = true, [8] = true, [9] = true })
  -- Targets beside the values.
  local have = false
  for r in db:tables():rows() do if r.name == "targets" then have = true end end
  if have then
    local t = db:query([[select period, coalesce(district, '(toàn tỉnh / province)') as district, target, basis
      from targets where indicator_id = ?]], { id }):sort("period", "district", { collation = "vi" })
    if #t > 0 then
      io.stdout:write("\ntargets:\n")
      local trows = {}
      for r in t:rows() do
        trows[#trows + 1] = { tostring(r.period), r.district, M.number_text(r.target), r.basis or "" }
      end
      print_table({ "period", "district", "target", "basis" }, trows, { [3] = true })
    end
  end
  db:close()
  return 0
end

local function csv_field(s)
  s = tostring(s or "")
  if s:find('[,"\r\n]') then s = '"' .. s:gsub('"', '""') .. '"' end
  return s
end

local function json_string(s)
  return '"' .. tostring(s):gsub('[%c"\\]', function(c)
    local map = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
    return map[c] or ("\\u%04x"):format(c:byte())
  end) .. '"'
end

-- The export rows for PERIOD: header and rows (strings; nil = empty).
function M.export_rows(db, period, units)
  local items = M.latest(db, period, nil, units)
  local extra, extra_seen = {}, {}
  for _, e in ipairs(items) do
    for _, c in ipairs(e.cells) do
      for k in pairs(c.dims) do
        if not extra_seen[k] then extra_seen[k] = true extra[#extra + 1] = k end
      end
    end
  end
  table.sort(extra)
  local header = { "indicator_id", "period", "district", "kind", "value", "unit", "run_id" }
  if units and units ~= "2023" then
    -- On the 2025 units, 'district' holds the unit (a commune or ward).
    table.insert(extra, 1, "units")
  end
  for _, k in ipairs(extra) do header[#header + 1] = k end
  local rows = {}
  for _, e in ipairs(items) do
    local function add(c)
      local r = { e.id, period, c.district, c.kind, c.value, e.unit, e.run_id }
      for i, k in ipairs(extra) do
        if k == "units" then r[7 + i] = units else r[7 + i] = c.dims and c.dims[k] end
      end
      rows[#rows + 1] = r
    end
    add(e.total)
    for _, c in ipairs(e.cells) do add(c) end
  end
  return header, rows, #items
end

local function cmd_export(args)
  local o, pos = cli().parse(args, { ["--period"] = "value", ["--format"] = "value", ["--out"] = "value",
    ["--units"] = "value" })
  if #pos > 0 then cli().usage_error("unexpected argument '%s'", pos[1]) end
  if not o.period then cli().usage_error("missing --period (e.g. --period 2023H1)") end
  if not M.period_type(o.period) then cli().usage_error("--period '%s' is not a period", o.period) end
  local format = o.format or "csv"
  if format ~= "csv" and format ~= "json" then
    cli().usage_error("--format must be csv or json (got '%s')", format)
  end
  pcall(M.load_default) -- for the catalogue's order
  local db = cs.open()
  local header, rows, n = M.export_rows(db, o.period, o.units)
  db:close()
  if n == 0 then
    error(("no indicator values for period %s: run 'coopstat indicators run --period %s' first")
      :format(o.period, o.period), 0)
  end
  local out = {}
  if format == "csv" then
    local h = {}
    for i, x in ipairs(header) do h[i] = csv_field(x) end
    out[#out + 1] = table.concat(h, ",") .. "\n"
    for _, r in ipairs(rows) do
      local f = {}
      for i = 1, #header do
        local v = r[i]
        f[i] = type(v) == "number" and M.number_text(v) or csv_field(v)
      end
      out[#out + 1] = table.concat(f, ",") .. "\n"
    end
  else
    out[#out + 1] = "[\n"
    for j, r in ipairs(rows) do
      local f = {}
      for i, k in ipairs(header) do
        local v = r[i]
        local s
        if v == nil then s = "null"
        elseif type(v) == "number" then s = M.number_text(v)
        else s = json_string(v) end
        f[i] = json_string(k) .. ": " .. s
      end
      out[#out + 1] = "  {" .. table.concat(f, ", ") .. "}" .. (j < #rows and ",\n" or "\n")
    end
    out[#out + 1] = "]\n"
  end
  local text = table.concat(out)
  if o.out then
    local tmp = o.out .. ".tmp"
    local f, err = io.open(tmp, "wb")
    if not f then error(err, 0) end
    local ok, werr = f:write(text)
    local cok, cerr = f:close()
    if not ok or not cok then
      os.remove(tmp)
      error(("%s: %s"):format(o.out, tostring(werr or cerr)), 0)
    end
    local rok, rerr = os.rename(tmp, o.out)
    if not rok then
      os.remove(tmp)
      error(rerr, 0)
    end
    io.stderr:write(("coopstat: indicators: wrote %d values to %s\n"):format(#rows, o.out))
  else
    io.stdout:write(text)
  end
  return 0
end

local function cmd_explain(args)
  local o, pos = cli().parse(args, { ["--period"] = "value", ["--district"] = "value",
    ["--kind"] = "value" })
  if #pos ~= 1 then cli().usage_error("explain takes one indicator id") end
  if not o.period then cli().usage_error("missing --period (e.g. --period 2023H1)") end
  if not M.period_type(o.period) then cli().usage_error("--period '%s' is not a period", o.period) end
  local id = pos[1]
  local db = cs.open()
  local items = has_lineage(db) and M.latest(db, o.period, { id }) or {}
  local e = items[1]
  if e == nil then
    error(("no value of '%s' for period %s in the store"):format(id, o.period), 0)
  end
  local cell = e.total
  if o.district or o.kind then
    cell = nil
    for _, c in ipairs(e.cells) do
      if c.district == o.district and c.kind == o.kind and next(c.dims) == nil then cell = c end
    end
    if cell == nil then
      error(("'%s' has no value for %s%s in run %d"):format(id,
        o.district and ("district '" .. o.district .. "'") or "",
        o.kind and (" kind '" .. o.kind .. "'") or "", e.run_id), 0)
    end
  end
  local def = db:query("select * from coopstat_definitions where hash = ?", { e.def_hash })
  local info = M.run_info(db, e.run_id)
  local item = db:query("select * from coopstat_run_items where run_id = ? and indicator_id = ?",
    { e.run_id, id })
  local w = io.stdout
  w:write(("%s — %s / %s\n"):format(id, e.title_vi, e.title_en))
  w:write(("value     %s %s%s\n"):format(M.number_text(cell.value), e.unit,
    cell.n and ("  (from %d rows)"):format(cell.n) or ""))
  w:write(("where     period %s%s%s\n"):format(o.period,
    o.district and (", district " .. o.district) or "", o.kind and (", kind " .. o.kind) or ", province total"))
  w:write(("run       %d, %s → %s, engine %s (%s)\n"):format(info.run_id, info.started_at,
    info.finished_at or "?", info.engine_version, info.origin or ""))
  if item.same_as[1] then w:write(("          same values as run %d\n"):format(item.same_as[1])) end
  w:write(("definition version %d of %s, sha256 %s, first used %s\n"):format(e.version, id,
    e.def_hash, def.created_at[1]))
  w:write(("          measure %s, period %s, dims %s\n"):format(def.measure[1], def.period_type[1],
    def.dims[1] ~= "" and def.dims[1] or "none"))
  local vers = db:query([[select version, hash, created_at from coopstat_definitions
    where indicator_id = ? order by version]], { id })
  if #vers > 1 then
    for v in vers:rows() do
      w:write(("          version %d: %s (%s)%s\n"):format(v.version, v.hash:sub(1, 12), v.created_at,
        v.hash == e.def_hash and "  ← this value" or ""))
    end
  end
  w:write("inputs\n")
  local inp = db:query([[select tbl, fingerprint, nrows, nrows_used from coopstat_run_inputs
    where run_id = ? and indicator_id = ? order by tbl]], { e.run_id, id })
  for r in inp:rows() do
    w:write(("  %-14s %d rows (%d for %s)  fingerprint %s\n"):format(r.tbl, r.nrows, r.nrows_used,
      o.period, r.fingerprint))
  end
  if #inp == 0 then w:write("  (none read)\n") end
  w:write("source\n")
  local src = def.source[1]:match("compute=(.*)$") or def.source[1]
  for line in (src .. "\n"):gmatch("([^\n]*)\n") do w:write("  | ", line, "\n") end
  db:close()
  return 0
end

local SUB = { list = cmd_list, run = cmd_run, show = cmd_show, export = cmd_export, explain = cmd_explain }

function M.cli.run(args)
  local sub = table.remove(args, 1)
  if sub == nil then cli().usage_error("missing a subcommand (list, run, show, export, explain)") end
  local f = SUB[sub]
  if f == nil then
    cli().usage_error("unknown subcommand '%s' (list, run, show, export, explain)", sub)
  end
  return f(args)
end

return M
