-- sandbox.lua: the restricted environment of job scripts and of
-- `coopstat run --sandbox` (coopstat.sandbox).
--
-- The environment is built from an allow-list: only what is copied in
-- below exists for the script.  Nothing is deleted from the full
-- environment (deny-lists leak).  Library tables are read-only proxies;
-- the string metatable is locked and string.dump is gone from this state;
-- chunks load as text only; files are read only under the allowed
-- folders; writes go only through the store (and report outputs under
-- the allowed output folders).  The time and memory limits are enforced
-- by the host (an instruction-count hook and an accounting allocator).
local cs = require("coopstat")

local M = {}

local function deny(name)
  return function() error(name .. " is not allowed in a job script", 2) end
end

-- A read-only view of T: reads go to a private copy, writes fail.
local function readonly(t, name)
  local copy = {}
  for k, v in pairs(t) do copy[k] = v end
  return setmetatable({}, {
    __index = copy,
    __newindex = function(_, k) error(("%s is read-only (cannot set %s)"):format(name, tostring(k)), 2) end,
    __metatable = false,
    __pairs = function() return next, copy, nil end,
  })
end

local function pick(t, names)
  local out = {}
  for _, n in ipairs(names) do out[n] = t[n] end
  return out
end

-- The real path of PATH (symbolic links and .. resolved), or nil.
local function realpath(path)
  return cs._realpath(path)
end

-- Whether PATH lies under one of DIRS (real paths).
local function allowed(path, dirs)
  local real = realpath(path)
  if not real then return false, "no such file" end
  for _, d in ipairs(dirs) do
    if real == d or real:sub(1, #d + 1) == d .. "/" then return true end
  end
  return false, "outside the folders a job may read"
end

-- The environment for a script.  OPTS: db (the store the script writes
-- to), allow_read (folders), allow_write (folders for report outputs),
-- print (a function for print's output), args.
function M.env(opts)
  opts = opts or {}
  local read_dirs, write_dirs = {}, {}
  for _, d in ipairs(opts.allow_read or {}) do
    local r = realpath(d)
    if r then read_dirs[#read_dirs + 1] = r end
  end
  for _, d in ipairs(opts.allow_write or {}) do
    local r = realpath(d)
    if r then write_dirs[#write_dirs + 1] = r end
  end
  local function check_read(path, what)
    if type(path) ~= "string" then error(what .. ": the path must be a string", 3) end
    local ok, why = allowed(path, read_dirs)
    if not ok then error(("%s: cannot read '%s': %s"):format(what, path, why), 3) end
    return path
  end

  -- This state belongs to the job alone: lock the shared pieces.
  string.dump = nil
  local smt = getmetatable("")
  if smt then smt.__metatable = "locked" end
  local methods = cs._dataset_methods
  if methods then methods.write_csv = deny("ds:write_csv (writing files)") end

  local env = {}
  -- Base functions, copied in one by one.
  for _, n in ipairs({ "assert", "error", "ipairs", "next", "pairs", "pcall", "select",
    "tonumber", "tostring", "type", "xpcall", "rawequal", "rawlen", "rawget",
    "getmetatable", "setmetatable" }) do
    env[n] = _G[n]
  end
  env._VERSION = _VERSION
  env.print = opts.print or print
  env.collectgarbage = function(what, ...)
    if what == nil or what == "count" then return collectgarbage("count") end
    error("collectgarbage('" .. tostring(what) .. "') is not allowed in a job script", 2)
  end
  -- load: text only, in the sandbox (never the full environment).
  env.load = function(chunk, name, mode, e)
    if mode ~= nil and mode ~= "t" then error("load: only text chunks are allowed", 2) end
    if type(chunk) ~= "string" and type(chunk) ~= "function" then
      error("load: expects a string or a function", 2)
    end
    return load(chunk, name, "t", e or env)
  end
  env.dofile = deny("dofile")
  env.loadfile = deny("loadfile")
  -- Libraries: copies of the safe parts, read-only.
  env.string = readonly(pick(string, { "byte", "char", "find", "format", "gmatch", "gsub", "len",
    "lower", "match", "rep", "reverse", "sub", "upper", "pack", "packsize", "unpack" }), "string")
  env.table = readonly(pick(table, { "concat", "insert", "move", "pack", "remove", "sort", "unpack" }), "table")
  env.math = readonly(pick(math, { "abs", "ceil", "cos", "deg", "exp", "floor", "fmod", "huge", "log",
    "max", "maxinteger", "min", "mininteger", "modf", "pi", "rad", "random", "randomseed", "sin",
    "sqrt", "tan", "tointeger", "type", "ult", "acos", "asin", "atan" }), "math")
  env.utf8 = readonly(pick(utf8, { "char", "charpattern", "codes", "codepoint", "len", "offset" }), "utf8")
  env.coroutine = readonly(pick(coroutine, { "create", "isyieldable", "resume", "running", "status",
    "wrap", "yield", "close" }), "coroutine")
  env.os = readonly({ time = os.time, clock = os.clock, date = os.date, difftime = os.difftime,
    execute = deny("os.execute"), exit = deny("os.exit"), remove = deny("os.remove"),
    rename = deny("os.rename"), getenv = deny("os.getenv"), tmpname = deny("os.tmpname") }, "os")
  -- io: reading files under the allowed folders, writing to the output.
  env.io = readonly({
    open = function(path, mode)
      if mode ~= nil and mode ~= "r" and mode ~= "rb" then
        error("io.open: files may only be read in a job script (mode '" .. tostring(mode) .. "')", 2)
      end
      check_read(path, "io.open")
      return io.open(path, mode or "r")
    end,
    lines = function(path, ...)
      if path == nil then error("io.lines: reading standard input is not allowed", 2) end
      check_read(path, "io.lines")
      return io.lines(path, ...)
    end,
    write = function(...) return io.stdout:write(...) end,
    popen = deny("io.popen"), read = deny("io.read"), output = deny("io.output"),
    input = deny("io.input"), tmpfile = deny("io.tmpfile"),
  }, "io")
  -- The engine: reading data under the allowed folders, the store given.
  local c = {}
  for _, n in ipairs({ "dataset", "read_csv_string", "null", "version", "period", "years_between",
    "required_rate", "growth", "project", "scenarios", "allocate", "name_key", "clock", "sha256",
    "indicator", "rule", "parts_sum_to_total", "matches_published", "dims_sum_to_total" }) do
    c[n] = cs[n]
  end
  c.read_csv = function(path, o) check_read(path, "read_csv") return cs.read_csv(path, o) end
  c.open = function(path)
    if path ~= nil then error("cs.open: a job script uses its job's store (call cs.open() without a path)", 2) end
    if not opts.db then error("cs.open: no store for this script", 2) end
    return opts.db
  end
  c.run_indicators = function(o)
    o = o or {}
    if o.db ~= nil and o.db ~= opts.db then error("run_indicators: only the job's store", 2) end
    local copy = {}
    for k, v in pairs(o) do copy[k] = v end
    copy.db = opts.db
    return cs.run_indicators(copy)
  end
  c.validate = function(db, period, o)
    if db ~= opts.db then error("validate: only the job's store", 2) end
    return cs.validate(db, period, o)
  end
  c.target = function(t)
    local copy = {}
    for k, v in pairs(t or {}) do copy[k] = v end
    copy.db = opts.db
    return cs.target(copy)
  end
  c.report = function(db, o)
    if db ~= opts.db then error("report: only the job's store", 2) end
    local out = type(o) == "table" and o.out
    if type(out) ~= "string" then error("report: opts.out is required", 2) end
    local dir = out:match("^(.*)/[^/]*$") or "."
    local real = realpath(dir)
    local ok = false
    for _, d in ipairs(write_dirs) do
      if real and (real == d or real:sub(1, #d + 1) == d .. "/") then ok = true end
    end
    if not ok then error(("report: cannot write '%s': outside the folders a job may write (--allow-write)"):format(out), 2) end
    return cs.report(db, o)
  end
  local module = readonly(c, "coopstat")
  env.require = function(name)
    if name == "coopstat" then return module end
    error(("require '%s': only the coopstat module is available in a job script"):format(tostring(name)), 2)
  end
  env.arg = opts.args
  env._G = env
  return env
end

-- Runs the file PATH in the sandbox; returns what the chunk returns.
function M.run_file(path, args, opts)
  opts = opts or {}
  local f, err = io.open(path, "rb")
  if not f then error(err, 0) end
  local text = f:read("a")
  f:close()
  if text:sub(1, 1) == "\27" then error(path .. ": binary chunks are not allowed", 0) end
  if text:sub(1, 1) == "#" then text = "--" .. text end -- a #! line
  local env = M.env({ db = opts.db, allow_read = opts.allow_read, allow_write = opts.allow_write,
    args = args, print = opts.print })
  local chunk, lerr = load(text, "@" .. path, "t", env)
  if not chunk then error(lerr, 0) end
  return chunk(table.unpack(args or {}))
end

return M
