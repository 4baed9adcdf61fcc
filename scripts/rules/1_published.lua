-- 1_published.lua: the published figures against each other.  A total
-- is compared with the sum of its parts at the total's published
-- precision (29.4 thousand workers holds for 12,578 + 16,827 = 29,405).
local cs = require("coopstat")

cs.rule{
  id = "kttt_parts_sum",
  title = "Tổ chức KTTT = HTX + QTDND + THT (công bố) / organisations = HTX + QTDND + THT (published)",
  check = cs.parts_sum_to_total("orgs_operating", { "htx_operating", "qtdnd_operating", "tht_operating" }),
  tolerance = 0,
}

cs.rule{
  id = "htx_sectors_sum",
  title = "HTX = nông nghiệp + phi nông nghiệp (công bố) / HTX = agricultural + non-agricultural (published)",
  check = cs.parts_sum_to_total("htx_operating", { "htx_agriculture", "htx_nonagriculture" }),
  tolerance = 0,
}

cs.rule{
  id = "workers_parts_sum",
  title = "Lao động = thường xuyên + thời vụ (công bố) / workers = regular + seasonal (published)",
  check = cs.parts_sum_to_total("workers", { "workers_regular", "workers_seasonal" }),
  tolerance = 0,
}

-- The article names four non-agricultural sectors, not all of them.
cs.rule{
  id = "htx_nonagri_named_sectors",
  title = "HTX phi nông nghiệp ≥ tổng các lĩnh vực được nêu (công bố) / non-agricultural HTX ≥ the named sectors (published)",
  check = cs.parts_sum_to_total("htx_nonagriculture",
    { "htx_industry_construction", "htx_trade_services", "htx_transport", "htx_electricity" },
    { relation = ">=" }),
  tolerance = 0,
}
