-- coopstat_csv_read.lua FILE: coopstat's side of the csv_read workload.
local cs = require("coopstat")
local file = arg[1]
if file == nil then return end            -- "noop": start-up only
local t = cs.read_csv(file)
print(#t, t:col("members"):sum())
