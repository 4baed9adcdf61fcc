-- finance.lua: half-year averages over the reports of the organisations
-- operating (P12–P17).
-- Averages skip the values an organisation did not report; n is the
-- number of organisations behind each average.
local cs = require("coopstat")

-- The reports of the period joined to the organisations operating of
-- KIND, keeping those that reported COLUMN.
local function reported(ctx, kind, column)
  local orgs = ctx:read("organizations"):filter("status == 'active' and kind == '" .. kind .. "'")
  return orgs:join(ctx:read("reports"), "org_id"):filter(column .. " ~= nil")
end

cs.indicator{
  id = "htx_revenue_avg", unit = "VND", measure = "ratio", period = "half",
  title_vi = "Doanh thu bình quân 1 HTX", title_en = "Average revenue per HTX",
  dims = { "district" }, inputs = { "organizations", "reports" }, notes = "P12",
  compute = function(ctx) return ctx:by(reported(ctx, "HTX", "revenue_vnd"), "mean(revenue_vnd)") end,
}

cs.indicator{
  id = "tht_revenue_avg", unit = "VND", measure = "ratio", period = "half",
  title_vi = "Doanh thu bình quân 1 THT", title_en = "Average revenue per THT",
  dims = { "district" }, inputs = { "organizations", "reports" }, notes = "P13",
  compute = function(ctx) return ctx:by(reported(ctx, "THT", "revenue_vnd"), "mean(revenue_vnd)") end,
}

cs.indicator{
  id = "htx_profit_avg", unit = "VND", measure = "ratio", period = "half",
  title_vi = "Lợi nhuận bình quân 1 HTX", title_en = "Average profit per HTX",
  dims = { "district" }, inputs = { "organizations", "reports" }, notes = "P14",
  compute = function(ctx) return ctx:by(reported(ctx, "HTX", "profit_vnd"), "mean(profit_vnd)") end,
}

cs.indicator{
  id = "tht_profit_avg", unit = "VND", measure = "ratio", period = "half",
  title_vi = "Lợi nhuận bình quân 1 THT", title_en = "Average profit per THT",
  dims = { "district" }, inputs = { "organizations", "reports" }, notes = "P15",
  compute = function(ctx) return ctx:by(reported(ctx, "THT", "profit_vnd"), "mean(profit_vnd)") end,
}

cs.indicator{
  id = "qtdnd_surplus_avg", unit = "VND", measure = "ratio", period = "half",
  title_vi = "Chênh lệch thu nhập - chi phí bình quân 1 QTDND",
  title_en = "Average income minus expense per QTDND",
  dims = { "district" }, inputs = { "organizations", "reports" },
  notes = "P16: a credit fund's profit_vnd is its income minus expense",
  compute = function(ctx) return ctx:by(reported(ctx, "QTDND", "profit_vnd"), "mean(profit_vnd)") end,
}

cs.indicator{
  id = "htx_worker_income_month", unit = "VND/month", measure = "ratio", period = "half",
  title_vi = "Thu nhập bình quân người lao động trong HTX", title_en = "Average monthly income of an HTX worker",
  dims = { "district" }, inputs = { "organizations", "reports" },
  notes = "P17: mean of avg_income_vnd_month over reporting HTX, weighted by regular + seasonal workers",
  compute = function(ctx)
    return ctx:by(reported(ctx, "HTX", "avg_income_vnd_month"),
      "wmean(avg_income_vnd_month, regular_workers + seasonal_workers)")
  end,
}
