-- jobs.lua: what a scheduled run does inside its child process
-- (coopstat.jobs).  cli/jobs.c forks the child, sets its limits and calls
-- M.child(spec) in a fresh Lua state; the result goes back to the parent.
local cs = require("coopstat")

local M = {}

-- The latest period present in the store's reports (for --period auto).
function M.latest_period(db)
  local have = false
  for r in db:tables():rows() do if r.name == "reports" then have = true end end
  if not have then error("--period auto: the store has no table 'reports'", 0) end
  local ind = require("coopstat.indicators")
  local best
  for r in db:query("select distinct period from reports where period is not null"):rows() do
    local p = tostring(r.period)
    if ind.period_type(p) then
      if best == nil or cs.period(p) > cs.period(best) then best = p end
    end
  end
  if not best then error("--period auto: no period in the table 'reports'", 0) end
  return best
end

local function split(s)
  local out = {}
  for x in (s or ""):gmatch("[^,]+") do
    x = x:match("^%s*(.-)%s*$")
    if x ~= "" then out[#out + 1] = x end
  end
  return out
end

-- Runs one job.  SPEC: name, db_path, kind ("script" | "indicators"),
-- script, args (a list), ids ("a,b" or ""), period ("auto" or a period),
-- allow_read (a list of folders), allow_write.  Returns a table
-- { status = "ok" | "failed", error, values, indicator_run, period }.
function M.child(spec)
  local db = cs.open(spec.db_path)
  if spec.kind == "indicators" then
    local period = spec.period
    if period == nil or period == "auto" then period = M.latest_period(db) end
    local only = split(spec.ids)
    local run_id, s = cs.run_indicators{ db = db, period = period, origin = "job:" .. spec.name,
      only = #only > 0 and only or nil, log = function(line) io.stderr:write(line, "\n") end }
    local n = db:query("select count(*) as n from coopstat_values where run_id = ?", { run_id }).n[1]
    local res = { status = s.failed > 0 and "failed" or "ok", values = n, indicator_run = run_id,
      period = period }
    if s.failed > 0 then
      local bad = {}
      for _, it in ipairs(s.items) do
        if it.status == "error" then bad[#bad + 1] = it.id .. ": " .. (it.error:match("^[^\n]*") or "") end
      end
      res.error = ("%d indicator(s) failed: %s"):format(s.failed, table.concat(bad, "; "))
    end
    db:close()
    return res
  end
  -- A script: sandboxed, its writes in one transaction.
  local before = db:query("select total_changes() as n").n[1]
  db:transaction(function()
    require("coopstat.sandbox").run_file(spec.script, spec.args or {}, {
      db = db, allow_read = spec.allow_read, allow_write = spec.allow_write })
  end)
  local after = db:query("select total_changes() as n").n[1]
  db:close()
  return { status = "ok", values = after - before }
end

return M
