-- 2_computed_vs_published.lua: every computed indicator that has a
-- published figure matches it at the published precision (1,302,150,000
-- VND matches a published 1.3 tỷ đồng).
local cs = require("coopstat")

local IDS = {
  "orgs_operating", "htx_operating", "qtdnd_operating", "tht_operating", "htx_stopped",
  "tht_stopped", "qtdnd_special_control", "members", "workers", "workers_regular",
  "workers_seasonal", "htx_revenue_avg", "tht_revenue_avg", "htx_profit_avg", "tht_profit_avg",
  "qtdnd_surplus_avg", "htx_worker_income_month", "htx_agriculture", "htx_nonagriculture",
  "htx_industry_construction", "htx_trade_services", "htx_transport", "htx_electricity",
  "qtdnd_capital",
}

for _, id in ipairs(IDS) do
  cs.rule{
    id = "published_" .. id,
    title = "Số tính toán khớp số công bố / computed matches published: " .. id,
    check = cs.matches_published(id),
    tolerance = 0,
  }
end
