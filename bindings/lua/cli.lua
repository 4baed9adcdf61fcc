-- cli.lua: the commands of the coopstat program written in Lua
-- (indicators, validate, report).  cli/main.c calls
-- main(command, args...) in a fresh state and exits with what it returns.
local cs = require("coopstat")

local M = {}

local EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
M.EXIT_OK, M.EXIT_ERROR, M.EXIT_USAGE = EXIT_OK, EXIT_ERROR, EXIT_USAGE

-- A usage error: raised as a table so that main() tells it from a failure.
local function usage_error(fmt, ...)
  error({ usage = string.format(fmt, ...) }, 0)
end
M.usage_error = usage_error

-- Parses ARGS against SPEC = { ["--name"] = "value" | "flag" }; returns
-- the options (keyed by name without dashes, "-" turned into "_") and
-- the positional arguments.  "--name=value" works too.
function M.parse(args, spec)
  local opts, pos, i = {}, {}, 1
  while i <= #args do
    local a = args[i]
    if a == "--" then
      table.move(args, i + 1, #args, #pos + 1, pos)
      break
    elseif a:sub(1, 2) == "--" or (a:sub(1, 1) == "-" and #a > 1) then
      local name, value = a:match("^(%-%-[^=]+)=(.*)$")
      name = name or a
      local kind = spec[name]
      if kind == nil then usage_error("unknown option '%s'", name) end
      local key = name:gsub("^%-+", ""):gsub("%-", "_")
      if kind == "flag" then
        if value then usage_error("option '%s' takes no value", name) end
        opts[key] = true
      else
        if value == nil then
          i = i + 1
          value = args[i]
          if value == nil then usage_error("option '%s' needs a value", name) end
        end
        opts[key] = value
      end
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return opts, pos
end

-- Each command: the part that holds it; the part's field `cli` is
-- { usage = text, run = function(args) -> exit status }.
M.commands = { indicators = "indicators", validate = "rules", report = "report" }

function M.main(command, ...)
  local args = { ... }
  local part = M.commands[command]
  local entry = part and require("coopstat." .. part).cli
  if entry == nil then
    io.stderr:write(("coopstat: '%s' is not available in this version\n"):format(command))
    return EXIT_USAGE
  end
  for _, a in ipairs(args) do
    if a == "--help" or a == "-h" then
      io.stdout:write(entry.usage)
      return EXIT_OK
    end
  end
  local ok, status = pcall(entry.run, args)
  if ok then return status or EXIT_OK end
  if type(status) == "table" and status.usage then
    io.stderr:write(("coopstat: %s: %s\n%s"):format(command, status.usage, entry.usage))
    return EXIT_USAGE
  end
  io.stderr:write(("coopstat: %s: %s\n"):format(command, tostring(status)))
  return EXIT_ERROR
end

return M
