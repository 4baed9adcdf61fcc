-- init.lua: the parts of the coopstat module written in Lua, added to the
-- module table when it opens.  Each part loads on first use.
local cs = ...

local function lazy(part, name)
  return function(...)
    return require("coopstat." .. part)[name](...)
  end
end

cs.indicator = lazy("indicators", "indicator")
cs.run_indicators = lazy("indicators", "run")
cs.target = lazy("indicators", "target")
cs.rule = lazy("rules", "rule")
cs.parts_sum_to_total = lazy("rules", "parts_sum_to_total")
cs.matches_published = lazy("rules", "matches_published")
cs.dims_sum_to_total = lazy("rules", "dims_sum_to_total")
cs.validate = lazy("rules", "validate")
cs.report = lazy("report", "write")
cs.growth = lazy("scenario", "growth")
cs.project = lazy("scenario", "project")
cs.scenarios = lazy("scenario", "scenarios")
cs.allocate = lazy("scenario", "allocate")

-- Dataset methods written in Lua.
if cs._dataset_methods then
  cs._dataset_methods.remap = function(ds, crosswalk, opts)
    return require("coopstat.units").remap(ds, crosswalk, opts)
  end
end
