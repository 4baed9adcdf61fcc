-- people.lua: members and workers of the organisations operating (P8–P11).
local cs = require("coopstat")

local function active(ctx) return ctx:read("organizations"):filter("status == 'active'") end

cs.indicator{
  id = "members", unit = "people", measure = "stock", period = "half",
  title_vi = "Thành viên các tổ chức KTTT", title_en = "Members of collective-economy organisations",
  dims = { "district", "kind" }, inputs = { "organizations" }, notes = "P8: organisations operating",
  compute = function(ctx) return ctx:by(active(ctx), "sum(members)") end,
}

cs.indicator{
  id = "workers", unit = "people", measure = "stock", period = "half",
  title_vi = "Người lao động trong các tổ chức KTTT", title_en = "Workers in collective-economy organisations",
  dims = { "district", "kind" }, inputs = { "organizations" },
  notes = "P9: the sum of regular plus the sum of seasonal workers",
  compute = function(ctx)
    -- Nulls count as none, so that this is sum(regular) + sum(seasonal).
    local w = active(ctx):mutate("coalesce(regular_workers, 0) + coalesce(seasonal_workers, 0) as workers")
    return ctx:by(w, "sum(workers)")
  end,
}

cs.indicator{
  id = "workers_regular", unit = "people", measure = "stock", period = "half",
  title_vi = "Lao động thường xuyên", title_en = "Regular workers",
  dims = { "district", "kind" }, inputs = { "organizations" }, notes = "P10",
  compute = function(ctx) return ctx:by(active(ctx), "sum(regular_workers)") end,
}

cs.indicator{
  id = "workers_seasonal", unit = "people", measure = "stock", period = "half",
  title_vi = "Lao động thời vụ", title_en = "Seasonal workers",
  dims = { "district", "kind" }, inputs = { "organizations" }, notes = "P11",
  compute = function(ctx) return ctx:by(active(ctx), "sum(seasonal_workers)") end,
}
