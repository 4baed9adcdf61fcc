-- sectors.lua: HTX operating by sector (P18–P23).
local cs = require("coopstat")

local function htx_where(ctx, cond)
  local orgs = ctx:read("organizations")
  return ctx:count(orgs:filter("status == 'active' and kind == 'HTX' and " .. cond), orgs)
end

local SECTORS = {
  { "htx_agriculture", "sector == 'agriculture'", "HTX nông nghiệp", "HTX in agriculture", "P18" },
  { "htx_nonagriculture", "sector ~= 'agriculture'", "HTX phi nông nghiệp", "HTX outside agriculture",
    "P19 (the article's P19 = 129 contradicts P2 − P18 = 128)" },
  { "htx_industry_construction", "sector == 'industry_construction'", "HTX công nghiệp - xây dựng",
    "HTX in industry and construction", "P20" },
  { "htx_trade_services", "sector == 'trade_services'", "HTX thương mại - dịch vụ",
    "HTX in trade and services", "P21" },
  { "htx_transport", "sector == 'transport'", "HTX giao thông vận tải", "HTX in transport", "P22" },
  { "htx_electricity", "sector == 'electricity'", "HTX dịch vụ điện năng", "HTX in electricity services", "P23" },
}

for _, s in ipairs(SECTORS) do
  local cond = s[2]
  cs.indicator{
    id = s[1], unit = "organisations", measure = "stock", period = "half",
    title_vi = s[3], title_en = s[4], dims = { "district" }, inputs = { "organizations" }, notes = s[5],
    compute = function(ctx) return htx_where(ctx, cond) end,
  }
end
