-- orgs.lua: counts of organisations in the register, by status (P1–P7).
-- A count is of the register as it stands (measure "stock"): computed
-- for any period.  Organisations operating = status 'active'.
local cs = require("coopstat")

-- Counts the organisations of the register meeting COND, in total and
-- by the indicator's dimensions.
local function count_where(ctx, cond)
  local orgs = ctx:read("organizations")
  return ctx:count(orgs:filter(cond), orgs)
end

cs.indicator{
  id = "orgs_operating", unit = "organisations", measure = "stock", period = "half",
  title_vi = "Tổ chức KTTT đang hoạt động", title_en = "Collective-economy organisations operating",
  dims = { "district", "kind" }, inputs = { "organizations" },
  notes = "HTX, QTDND and THT with status 'active' (P1; the article's P1 = 597 contradicts P2+P3+P4 = 600)",
  compute = function(ctx) return count_where(ctx, "status == 'active'") end,
}

cs.indicator{
  id = "htx_operating", unit = "organisations", measure = "stock", period = "half",
  title_vi = "Hợp tác xã đang hoạt động", title_en = "Cooperatives (HTX) operating",
  dims = { "district" }, inputs = { "organizations" }, notes = "P2",
  compute = function(ctx) return count_where(ctx, "status == 'active' and kind == 'HTX'") end,
}

cs.indicator{
  id = "qtdnd_operating", unit = "organisations", measure = "stock", period = "half",
  title_vi = "Quỹ tín dụng nhân dân đang hoạt động", title_en = "People's credit funds (QTDND) operating",
  dims = { "district" }, inputs = { "organizations" }, notes = "P3",
  compute = function(ctx) return count_where(ctx, "status == 'active' and kind == 'QTDND'") end,
}

cs.indicator{
  id = "tht_operating", unit = "organisations", measure = "stock", period = "half",
  title_vi = "Tổ hợp tác đang hoạt động", title_en = "Cooperative groups (THT) operating",
  dims = { "district" }, inputs = { "organizations" }, notes = "P4",
  compute = function(ctx) return count_where(ctx, "status == 'active' and kind == 'THT'") end,
}

cs.indicator{
  id = "htx_stopped", unit = "organisations", measure = "stock", period = "half",
  title_vi = "HTX ngừng hoạt động", title_en = "HTX stopped operating",
  dims = { "district" }, inputs = { "organizations" }, notes = "P5",
  compute = function(ctx) return count_where(ctx, "status == 'stopped' and kind == 'HTX'") end,
}

cs.indicator{
  id = "tht_stopped", unit = "organisations", measure = "stock", period = "half",
  title_vi = "THT ngừng hoạt động", title_en = "THT stopped operating",
  dims = { "district" }, inputs = { "organizations" }, notes = "P6",
  compute = function(ctx) return count_where(ctx, "status == 'stopped' and kind == 'THT'") end,
}

cs.indicator{
  id = "qtdnd_special_control", unit = "organisations", measure = "stock", period = "half",
  title_vi = "QTDND thuộc diện kiểm soát đặc biệt", title_en = "QTDND under special control",
  dims = { "district" }, inputs = { "organizations" },
  notes = "P7: under special control of the State Bank",
  compute = function(ctx) return count_where(ctx, "status == 'special_control' and kind == 'QTDND'") end,
}
