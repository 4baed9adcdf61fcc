-- 3_computed.lua: the computed values against each other: parts sum to
-- their totals, and districts sum to the province.
local cs = require("coopstat")

cs.rule{
  id = "kttt_parts_sum_computed",
  title = "Tổ chức KTTT = HTX + QTDND + THT (tính toán) / organisations = HTX + QTDND + THT (computed)",
  check = cs.parts_sum_to_total("orgs_operating", { "htx_operating", "qtdnd_operating", "tht_operating" },
    { source = "computed" }),
}

cs.rule{
  id = "htx_sectors_sum_computed",
  title = "HTX = nông nghiệp + phi nông nghiệp (tính toán) / HTX = agricultural + non-agricultural (computed)",
  check = cs.parts_sum_to_total("htx_operating", { "htx_agriculture", "htx_nonagriculture" },
    { source = "computed" }),
}

cs.rule{
  id = "workers_parts_sum_computed",
  title = "Lao động = thường xuyên + thời vụ (tính toán) / workers = regular + seasonal (computed)",
  check = cs.parts_sum_to_total("workers", { "workers_regular", "workers_seasonal" }, { source = "computed" }),
}

-- Counts and sums: the districts add up to the province.
local ADDITIVE = {
  "orgs_operating", "htx_operating", "qtdnd_operating", "tht_operating", "htx_stopped",
  "tht_stopped", "qtdnd_special_control", "members", "workers", "workers_regular",
  "workers_seasonal", "htx_agriculture", "htx_nonagriculture", "htx_industry_construction",
  "htx_trade_services", "htx_transport", "htx_electricity", "qtdnd_capital",
}
for _, id in ipairs(ADDITIVE) do
  cs.rule{
    id = "districts_sum_" .. id,
    title = "Tổng các huyện = toàn tỉnh / districts sum to the province: " .. id,
    check = cs.dims_sum_to_total(id, "district"),
  }
end
