-- testlib.lua: the checks, sections and temporary files that the Lua
-- tests share.  Not a test itself (tests/run.sh runs tests/lua/test_*.lua).
-- Tests run from the repository root, under `coopstat run` or lua5.4:
--
--   package.path = "tests/lua/?.lua;" .. package.path
--   local T = require("testlib")
--   T.section("name", function() T.eq(got, want, "what") end)
--   T.finish("test_name")

local T = { checks = 0 }

local failures, tmpfiles = {}, {}

function T.check(cond, msg)
  T.checks = T.checks + 1
  if not cond then error("check failed: " .. (msg or "?"), 2) end
end

function T.eq(got, want, msg)
  T.checks = T.checks + 1
  if got ~= want then
    error(string.format("%s: expected %s (%s), got %s (%s)", msg or "eq",
      tostring(want), math.type(want) or type(want),
      tostring(got), math.type(got) or type(got)), 2)
  end
end

-- Calls F(...) expecting an error whose message contains each of the
-- plain strings in WANT (a string or a list); returns the message.
function T.raises(want, f, ...)
  T.checks = T.checks + 1
  local wants = type(want) == "table" and want or { want }
  local ok, err = pcall(f, ...)
  if ok then
    error("expected an error containing '" .. tostring(wants[1]) .. "'", 2)
  end
  err = tostring(err)
  for _, w in ipairs(wants) do
    if not err:find(w, 1, true) then
      error(string.format("error %q does not contain %q", err, w), 2)
    end
  end
  return err
end

-- Runs F; a failure is reported and counted, and the next section runs.
function T.section(name, f)
  local ok, err = xpcall(f, debug.traceback)
  if not ok then
    failures[#failures + 1] = name
    io.stderr:write("FAIL ", name, ": ", tostring(err), "\n")
  end
end

function T.readfile(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

function T.writefile(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

-- A fresh temporary path (ending in SUFFIX, if given), removed by finish.
function T.tmpname(suffix)
  local p = os.tmpname()
  tmpfiles[#tmpfiles + 1] = p
  if suffix then
    p = p .. suffix
    tmpfiles[#tmpfiles + 1] = p
  end
  return p
end

-- A temporary file holding CONTENT; returns its path.
function T.tmpfile(content)
  local p = T.tmpname()
  T.writefile(p, content)
  return p
end

-- Removes the temporary files, then raises if a section failed, else
-- prints the number of checks.  NAME heads the line.
function T.finish(name)
  for _, p in ipairs(tmpfiles) do os.remove(p) end
  if #failures > 0 then
    error(string.format("%s: %d section(s) failed (%s), %d checks passed",
      name, #failures, table.concat(failures, ", "), T.checks), 0)
  end
  print(string.format("%s: %d checks passed", name, T.checks))
end

return T
