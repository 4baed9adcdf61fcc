-- 5_capital.lua: the capital of the credit funds operating (P24).
local cs = require("coopstat")

cs.indicator{
  id = "qtdnd_capital", unit = "VND", measure = "stock", period = "half",
  title_vi = "Tổng nguồn vốn của các QTDND", title_en = "Total capital of the QTDND",
  dims = { "district" }, inputs = { "organizations" }, notes = "P24: QTDND operating",
  compute = function(ctx)
    return ctx:by(ctx:read("organizations"):filter("status == 'active' and kind == 'QTDND'"),
      "sum(capital_vnd)")
  end,
}
