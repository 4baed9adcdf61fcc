-- repl.lua: the Lua half of the coopstat REPL.  cli/repl.c owns the
-- terminal, the history, Ctrl-C and the loop; this part turns what is
-- typed into functions, shows values, runs the dot-commands and finds
-- Tab completions.  The host calls every function here in protected mode.
-- What is typed runs in the session's environment: its top-level locals
-- live there, so that "local table = ..." never reaches _G, where the
-- libraries (and this file) would see it.
local _G, debug, error, getmetatable, io, ipairs, load, loadfile =
      _G, debug, error, getmetatable, io, ipairs, load, loadfile
local math, next, pairs, pcall, rawget, rawlen, rawset, require =
      math, next, pairs, pcall, rawget, rawlen, rawset, require
local select, setmetatable, string, table, tonumber, tostring, type, utf8 =
      select, setmetatable, string, table, tonumber, tostring, type, utf8

local cs = require("coopstat")

local M = {}

-- Settings changed by the dot-commands (the host reads timer and
-- traceback after each statement).
M.options = { mode = "table", timer = false, traceback = false }
M.out = io.stdout        -- where values go (.output FILE)
M.out_name = nil
-- The terminal's size, set by the host before each statement (0: not a
-- terminal, as when stdin is piped).
M.width, M.height = 0, 0
-- The store cs.open() opens by default, from the host (for .tables and
-- completion, which must not create it).
M.db_path = "coopstat.db"

local KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in
            local nil not or repeat return then true until while]]):gmatch("%a+") do
  KEYWORDS[w] = true
end

local function registry_mt(name)
  return debug.getregistry()[name]
end

local function is_dataset(v)
  return type(v) == "userdata" and getmetatable(v) == registry_mt("coopstat.dataset")
end

local function is_store(v)
  return type(v) == "userdata" and getmetatable(v) == registry_mt("coopstat.store")
end

local function is_grouped(v)
  return type(v) == "table" and getmetatable(v) == registry_mt("coopstat.grouped")
end

local function is_ident(s)
  return type(s) == "string" and s:match("^[%a_][%w_]*$") ~= nil and not KEYWORDS[s]
end

-- ---------------------------------------------------------------------
-- The session
-- ---------------------------------------------------------------------

-- The environment of what is typed: the top-level locals, then _G (reads
-- fall back to it, assignments to other names go to it).  Locals are
-- declared through LOCALS, a proxy that sets them in the environment.
local LOCALS = "__repl_locals"
local session, locals
session = setmetatable({}, {
  __index = function(_, k)
    if k == LOCALS then return locals end
    return _G[k]
  end,
  __newindex = _G,
})
locals = setmetatable({}, {
  __index = function(_, k) return rawget(session, k) end,
  __newindex = function(_, k, v) rawset(session, k, v) end,
})
M.session = session

-- The value of the variable NAME as what is typed sees it (nil for db
-- while it is not open).
local function variable(name)
  local v = rawget(session, name)
  if v == nil then v = rawget(_G, name) end
  return v
end

-- The writer of print() and io.write(): the screen, or the .output file.
local function session_print(...)
  local out, n = M.out, select("#", ...)
  for i = 1, n do
    if i > 1 then out:write("\t") end
    out:write(tostring((select(i, ...))))
  end
  out:write("\n")
end

-- Sets up the globals: cs, db (the default store, opened when first used
-- so that a REPL that never touches it creates no file), print.
function M.start(db_path)
  M.db_path = db_path or M.db_path
  _G.cs = cs
  _G.print = session_print
  setmetatable(_G, {
    __index = function(t, k)
      if k == "db" then
        local db = cs.open()
        rawset(t, "db", db)
        return db
      end
    end,
  })
end

-- The store when it is open or its file exists; nil otherwise (nothing is
-- created).
local function store_if_any()
  local db = rawget(_G, "db")
  if db ~= nil then return is_store(db) and db or nil end
  local f = io.open(M.db_path, "rb")
  if not f then return nil end
  f:close()
  return _G.db
end

-- ---------------------------------------------------------------------
-- Lua source: a small lexer (for keeping locals and for completion)
-- ---------------------------------------------------------------------

-- The level of a long bracket "[==[" at I, or nil.
local function long_level(src, i)
  local eqs = src:match("^%[(=*)%[", i)
  return eqs and #eqs
end

-- Iterates over the tokens of SRC: kind ("name", "number", "string",
-- "comment", "op"), text, first and last byte, and for strings and
-- comments whether they are left open at the end.
local function tokens(src)
  local i, n = 1, #src
  return function()
    while i <= n do
      local c = src:sub(i, i)
      local s = i
      if c:match("%s") then
        i = i + 1
      elseif src:sub(i, i + 1) == "--" then
        local lvl = long_level(src, i + 2)
        local e, open
        if lvl then
          local _, ce = src:find("]" .. ("="):rep(lvl) .. "]", i + 4 + lvl, true)
          e, open = ce or n, ce == nil
        else
          e = (src:find("\n", i, true) or n + 1) - 1
          open = e == n
        end
        i = e + 1
        return "comment", nil, s, e, open
      elseif c:match("[%a_]") then
        local _, e = src:find("^[%w_]+", i)
        i = e + 1
        return "name", src:sub(s, e), s, e
      elseif c:match("%d") or (c == "." and src:sub(i + 1, i + 1):match("%d")) then
        local e -- the end of the digits, the exponent, then any letters
        if src:match("^0[xX]", i) then
          e = select(2, src:find("^0[xX][%x%.]*", i))
          if src:match("^[pP]", e + 1) then e = select(2, src:find("^[pP][+-]?%d*", e + 1)) end
        else
          e = select(2, src:find("^[%d%.]*", i))
          if src:match("^[eE]", e + 1) then e = select(2, src:find("^[eE][+-]?%d*", e + 1)) end
        end
        e = select(2, src:find("^[%w_]*", e + 1))
        i = e + 1
        return "number", src:sub(s, e), s, e
      elseif c == '"' or c == "'" then
        local j = i + 1
        while j <= n do
          local d = src:sub(j, j)
          if d == "\\" then
            j = j + 2
          elseif d == c or d == "\n" then
            break
          else
            j = j + 1
          end
        end
        i = j + 1
        return "string", nil, s, math.min(j, n), j > n
      elseif c == "[" and long_level(src, i) then
        local lvl = long_level(src, i)
        local _, ce = src:find("]" .. ("="):rep(lvl) .. "]", i + 2 + lvl, true)
        i = (ce or n) + 1
        return "string", nil, s, ce or n, ce == nil
      else
        local three, two = src:sub(i, i + 2), src:sub(i, i + 1)
        if three == "..." then
          i = i + 3
        elseif two == ".." or two == "==" or two == "~=" or two == "<=" or
               two == ">=" or two == "<<" or two == ">>" or two == "//" or
               two == "::" then
          i = i + 2
        else
          i = i + 1
        end
        return "op", src:sub(s, i - 1), s, i - 1
      end
    end
  end
end

local function token_list(src)
  local list = {}
  for kind, text, s, e, open in tokens(src) do
    list[#list + 1] = { kind = kind, text = text, s = s, e = e, open = open }
  end
  return list
end

-- ---------------------------------------------------------------------
-- Compiling what is typed
-- ---------------------------------------------------------------------

-- SRC with its top-level locals made session variables: "local x = 1"
-- becomes "__repl_locals.x = 1", "local function f" "function
-- __repl_locals.f", "local x" "__repl_locals.x = nil" (attributes such
-- as <const> are dropped); nil when SRC declares none.  Lines stay where
-- they were, for error messages.
local function keep_locals(src)
  local toks, edits, depth = {}, {}, 0
  for _, t in ipairs(token_list(src)) do
    if t.kind ~= "comment" then toks[#toks + 1] = t end
  end
  local k = 1
  while k <= #toks do
    local t = toks[k]
    if t.kind == "name" then
      local w = t.text
      if w == "function" or w == "do" or w == "if" or w == "repeat" then
        depth = depth + 1
      elseif w == "end" or w == "until" then
        depth = depth - 1
      elseif w == "local" and depth == 0 then
        local nx = toks[k + 1]
        edits[#edits + 1] = { t.s, t.e, "" }
        if nx and nx.kind == "name" and nx.text == "function" then
          local fname = toks[k + 2]
          if not (fname and fname.kind == "name") then return nil end
          edits[#edits + 1] = { fname.s, fname.s - 1, LOCALS .. "." }
        else
          local j, last = k + 1, t.e
          while toks[j] and toks[j].kind == "name" do
            if toks[j].text == "_ENV" then return nil end
            edits[#edits + 1] = { toks[j].s, toks[j].s - 1, LOCALS .. "." }
            last = toks[j].e
            j = j + 1
            if toks[j] and toks[j].text == "<" and toks[j + 2] and
               toks[j + 2].text == ">" then
              edits[#edits + 1] = { toks[j].s, toks[j + 2].e, "" }
              last = toks[j + 2].e
              j = j + 3
            end
            if toks[j] and toks[j].kind == "op" and toks[j].text == "," then
              j = j + 1
            else
              break
            end
          end
          if not (toks[j] and toks[j].kind == "op" and toks[j].text == "=") then
            edits[#edits + 1] = { last + 1, last, " = nil" }
          end
          k = j - 1
        end
      end
    end
    k = k + 1
  end
  if #edits == 0 then return nil end
  -- From the end, so that positions stay right (stable for equal ones:
  -- an insertion before a name never meets another edit there).
  table.sort(edits, function(a, b) return a[1] > b[1] end)
  for _, ed in ipairs(edits) do
    src = src:sub(1, ed[1] - 1) .. ed[3] .. src:sub(ed[2] + 1)
  end
  return src
end
M._keep_locals = keep_locals

-- Compiles CHUNK as "return CHUNK" (an expression whose values are
-- shown), else as statements, as lua.c does.  Returns the function, or
-- nil and "incomplete" (the chunk needs more lines; unless FINAL: no more
-- will come), or nil and the syntax error.
function M.compile(chunk, final)
  local f = load("return " .. chunk, "=stdin", "t", session)
  if f then return f end
  local g, err = load(chunk, "=stdin", "t", session)
  if not g then
    if err:sub(-5) == "<eof>" and not final then return nil, "incomplete" end
    return nil, err
  end
  local kept = keep_locals(chunk)
  if kept then
    local h = load(kept, "=stdin", "t", session)
    if h then return h end
  end
  return g
end

-- ---------------------------------------------------------------------
-- Showing values
-- ---------------------------------------------------------------------

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    if c == "\n" then return "\\n" end
    if c == "\t" then return "\\t" end
    if c == '"' or c == "\\" then return "\\" .. c end
    return string.format("\\%d", c:byte())
  end) .. '"'
end

local function short(v)
  if v == cs.null then return "cs.null" end
  if type(v) == "function" then return "function" end
  if is_dataset(v) then
    local ok, n = pcall(function() return #v, #v:names() end)
    if not ok then return "<dataset (closed)>" end
    return string.format("<dataset %d rows, %d columns>", #v, #v:names())
  end
  return tostring(v)
end

-- The parts of table T written as Lua ("1", "x = 2", ...).
local function table_parts(t, depth, seen)
  local parts, n = {}, rawlen(t)
  local function repr(v)
    if type(v) == "string" then return quote(v) end
    if type(v) ~= "table" or is_grouped(v) or v == cs.null then return short(v) end
    local mt = debug.getmetatable(v)
    if mt and rawget(mt, "__tostring") then return tostring(v) end
    if seen[v] or depth >= 3 then return "{…}" end
    seen[v] = true
    local inner = table_parts(v, depth + 1, seen)
    seen[v] = nil
    return "{" .. table.concat(inner, ", ") .. "}"
  end
  for i = 1, math.min(n, 200) do parts[#parts + 1] = repr(rawget(t, i)) end
  local keys = {}
  for key in next, t do
    if not (math.type(key) == "integer" and key >= 1 and key <= n) then
      keys[#keys + 1] = key
    end
  end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "number" or ta == "string" then return a < b end
    return tostring(a) < tostring(b)
  end)
  for _, key in ipairs(keys) do
    if #parts >= 200 then break end
    local name = is_ident(key) and key or "[" .. repr(key) .. "]"
    parts[#parts + 1] = name .. " = " .. repr(rawget(t, key))
  end
  if n + #keys > #parts then
    parts[#parts + 1] = string.format("… %d more", n + #keys - #parts)
  end
  return parts
end

-- A plain Lua table written as Lua, on one line when it fits.
local function show_table(t)
  local parts = table_parts(t, 1, { [t] = true })
  local line = "{" .. table.concat(parts, ", ") .. "}"
  local width = M.width > 0 and M.width or 100
  if utf8.len(line) and utf8.len(line) <= width or #parts <= 1 then return line end
  local rows = M.height > 0 and math.max(M.height - 4, 4) or #parts
  if #parts > rows then
    local more = #parts - rows + 1
    for i = #parts, rows, -1 do parts[i] = nil end
    parts[#parts + 1] = string.format("… %d more", more)
  end
  -- One line each, cut to the screen.
  for i, p in ipairs(parts) do
    local len = utf8.len(p)
    if len and len > width - 3 then
      parts[i] = p:sub(1, utf8.offset(p, width - 3) - 1) .. "…"
    end
  end
  return "{\n  " .. table.concat(parts, ",\n  ") .. "\n}"
end

local function json_number(x)
  if math.type(x) == "integer" then return tostring(x) end
  if x ~= x or x == math.huge or x == -math.huge then return "null" end
  for prec = 15, 17 do
    local s = string.format("%." .. prec .. "g", x)
    if tonumber(s) == x then return s end
  end
  return string.format("%.17g", x)
end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    local esc = { ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
                  ['"'] = '\\"', ["\\"] = "\\\\" }
    return esc[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function json(v, depth)
  local t = type(v)
  if v == nil or v == cs.null then return "null" end
  if t == "boolean" then return tostring(v) end
  if t == "number" then return json_number(v) end
  if t == "string" then return json_string(v) end
  if is_dataset(v) then
    local names, out = v:names(), {}
    for row in v:rows() do
      local fields = {}
      for j, name in ipairs(names) do
        fields[j] = json_string(name) .. ":" .. json(row[name], depth + 1)
      end
      out[#out + 1] = "{" .. table.concat(fields, ",") .. "}"
    end
    return "[" .. table.concat(out, ",\n ") .. "]"
  end
  if t == "table" and depth < 20 then
    local n = rawlen(v)
    local out = {}
    if n > 0 or next(v) == nil then
      for i = 1, n do out[i] = json(rawget(v, i), depth + 1) end
      return "[" .. table.concat(out, ",") .. "]"
    end
    local keys = {}
    for k in next, v do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    for _, k in ipairs(keys) do
      local val = rawget(v, k)
      if val == nil then val = rawget(v, tonumber(k)) end
      out[#out + 1] = json_string(k) .. ":" .. json(val, depth + 1)
    end
    return "{" .. table.concat(out, ",") .. "}"
  end
  return json_string(tostring(v))
end

-- The text of value V as the REPL shows it.
local function render(v)
  local mode = M.options.mode
  if mode == "json" then return json(v, 0) end
  if is_dataset(v) then
    if mode == "csv" then return (v:to_csv():gsub("\r?\n$", "")) end
    if M.out ~= io.stdout then return cs._format(v, 0, 0) end
    if M.width > 0 then
      return cs._format(v, M.width, math.max(M.height - 6, 4))
    end
    return tostring(v)
  end
  if v == cs.null then return "cs.null" end
  if type(v) == "table" and not is_grouped(v) then
    local mt = debug.getmetatable(v)
    if not (mt and rawget(mt, "__tostring")) then return show_table(v) end
  end
  return tostring(v)
end

-- Shows the N values that a statement returned, keeping the first in _.
function M.show(n, ...)
  if n == 0 then return end
  rawset(_G, "_", (...))
  local texts = {}
  for i = 1, n do texts[i] = render((select(i, ...))) end
  M.out:write(table.concat(texts, "\t"), "\n")
  M.out:flush()
end

-- ---------------------------------------------------------------------
-- Dot-commands
-- ---------------------------------------------------------------------

local HELP = {
  { ".help", "this list" },
  { ".tables", "the tables of the store (db) and the datasets of this session" },
  { ".schema [NAME]", "the columns and types of a dataset or store table (all: no NAME)" },
  { ".load FILE.csv [NAME]", "read a CSV file into the dataset NAME (default: from the file's name)" },
  { ".run SCRIPT.lua [ARGS]", "run a Lua script in this session (its globals stay)" },
  { ".timer on|off", "show the time each statement takes" },
  { ".mode table|csv|json", "how datasets and values are shown" },
  { ".output [FILE]", "send values and print() to FILE; no FILE: back to the screen" },
  { ".traceback on|off", "show the stack traceback of errors" },
  { ".quit", "leave (also .exit and Ctrl-D)" },
}

local HELP_NOTES = [[

Type Lua.  An expression shows its value (datasets as tables fitted to the
screen) and the last value is kept in _; a statement just runs.  cs is the
coopstat module, db the store (--db, $COOPSTAT_DB or ./coopstat.db, opened
when first used), and require works.  A top-level "local x = ..." keeps x
for the whole session (it becomes a session variable).  An unfinished
chunk (function, {, a long string) continues on the next line with "..>".
Tab completes names, fields, methods, column names inside col(" filter("
and the like, table names in db:read(", file names in read_csv(".
Up/Down recall history (kept in ~/.coopstat_history or $COOPSTAT_HISTORY).
Ctrl-C cancels the running statement (twice within 2 s: leave), clears the
line or drops an unfinished chunk; Ctrl-D leaves.]]

local function help()
  local w = 0
  for _, h in ipairs(HELP) do w = math.max(w, #h[1]) end
  for _, h in ipairs(HELP) do
    io.stdout:write(string.format("%-" .. w .. "s  %s\n", h[1], h[2]))
  end
  io.stdout:write(HELP_NOTES, "\n")
end

-- The words of a dot-command line; "..." and '...' quote a word.
local function split_args(s)
  local args, i, n = {}, 1, #s
  while i <= n do
    local c = s:sub(i, i)
    if c:match("%s") then
      i = i + 1
    elseif c == '"' or c == "'" then
      local j = s:find(c, i + 1, true) or n + 1
      args[#args + 1] = s:sub(i + 1, j - 1)
      i = j + 1
    else
      local j = s:find("%s", i) or n + 1
      args[#args + 1] = s:sub(i, j - 1)
      i = j
    end
  end
  return args
end

local function on_off(name, value)
  if value == nil then
    io.stdout:write(name, " is ", M.options[name] and "on" or "off", "\n")
  elseif value == "on" or value == "off" then
    M.options[name] = value == "on"
  else
    error(string.format(".%s: expected on or off, not '%s'", name, value), 0)
  end
end

-- The name of the dataset that .load makes of FILE: its base name made a
-- Lua name ("Báo cáo 2023.csv" -> bao_cao_2023).
local function dataset_name(file)
  local base = file:match("([^/]*)$"):gsub("%.[^.]*$", "")
  if base:find("[\128-\255]") then
    base = cs.name_key(base, { loose = true })
  end
  base = base:gsub("[^%w_]+", "_"):gsub("^_+", ""):gsub("_+$", ""):lower()
  if base == "" or base:match("^%d") then base = "t_" .. base end
  if KEYWORDS[base] then base = base .. "_" end
  return base
end

-- The names of the datasets held in variables (the session's, globals).
local function session_datasets()
  local list, seen = {}, {}
  for _, t in ipairs({ session, _G }) do
    for k, v in next, t do
      if type(k) == "string" and k ~= "_" and not seen[k] and is_dataset(v) then
        seen[k] = true
        list[#list + 1] = k
      end
    end
  end
  table.sort(list)
  return list
end

local function write_value(v)
  io.stdout:write(render(v), "\n")
end

local function store_tables(db)
  local names, kinds = {}, {}
  local t = db:tables()
  for r in t:rows() do
    names[#names + 1] = r.name
    kinds[#kinds + 1] = r.kind
  end
  return names, kinds
end

local function sql_name(s)
  return '"' .. s:gsub('"', '""') .. '"'
end

local function dot_tables()
  local name, kind, rows, ncols = {}, {}, {}, {}
  local db = store_if_any()
  if db then
    local names, kinds = store_tables(db)
    for i, n in ipairs(names) do
      name[#name + 1], kind[#kind + 1] = n, kinds[i]
      local c = db:query("SELECT count(*) AS n FROM " .. sql_name(n))
      rows[#rows + 1] = c.n[1]
      ncols[#ncols + 1] = #db:query("SELECT * FROM " .. sql_name(n) .. " LIMIT 0"):names()
    end
  end
  for _, n in ipairs(session_datasets()) do
    local ds = variable(n)
    local ok, cols = pcall(ds.names, ds)
    if ok then
      name[#name + 1], kind[#kind + 1] = n, "dataset"
      rows[#rows + 1], ncols[#ncols + 1] = #ds, #cols
    end
  end
  if #name == 0 then
    io.stdout:write("no tables: the store ", M.db_path,
                    db and " is empty" or " does not exist yet",
                    ", and no dataset is held in a global variable\n")
    return
  end
  write_value(cs.dataset({ name = name, kind = kind, rows = rows, columns = ncols },
                         { "name", "kind", "rows", "columns" }))
end

-- The schema of dataset DS: one row per column.
local function schema_of(ds)
  local names, types = ds:names(), {}
  local sch = ds:schema()
  for i, n in ipairs(names) do types[i] = sch[n] end
  return cs.dataset({ column = names, type = types }, { "column", "type" })
end

local function store_schema(db, name)
  local s = db:query("SELECT name AS column, type FROM coopstat_columns " ..
                     "WHERE tbl = ? ORDER BY pos", { name })
  if #s == 0 then
    s = db:query("SELECT name AS column, type FROM pragma_table_info(?) " ..
                 "ORDER BY cid", { name })
  end
  return s
end

local function dot_schema(name)
  local db = store_if_any()
  if name == nil then
    local lines = {}
    for _, n in ipairs(session_datasets()) do
      local ok, sch = pcall(schema_of, variable(n))
      if ok then
        local cols = {}
        for r in sch:rows() do cols[#cols + 1] = r.column .. " " .. r.type end
        lines[#lines + 1] = n .. " (dataset): " .. table.concat(cols, ", ")
      end
    end
    if db then
      for _, n in ipairs((store_tables(db))) do
        local cols = {}
        for r in store_schema(db, n):rows() do cols[#cols + 1] = r.column .. " " .. r.type end
        lines[#lines + 1] = n .. " (store): " .. table.concat(cols, ", ")
      end
    end
    if #lines == 0 then lines[1] = "nothing to show: no dataset, no store table" end
    io.stdout:write(table.concat(lines, "\n"), "\n")
    return
  end
  local v = variable(name)
  if is_dataset(v) then
    write_value(schema_of(v))
    return
  end
  if db then
    local s = store_schema(db, name)
    if #s > 0 then
      write_value(s)
      return
    end
  end
  error(string.format(".schema: no dataset or store table named '%s'", name), 0)
end

local function dot_load(args)
  local file, name = args[1], args[2]
  if not file then error("usage: .load FILE.csv [NAME]", 0) end
  name = name or dataset_name(file)
  if not is_ident(name) then
    error(string.format(".load: '%s' is not a Lua name: give one, as in .load FILE.csv NAME", name), 0)
  end
  local ds = cs.read_csv(file)
  rawset(session, name, ds) -- as "local NAME = cs.read_csv(FILE)"
  rawset(_G, "_", ds)
  local line = string.format("%s: %d rows, %d columns: %s", name, #ds,
                             #ds:names(), table.concat(ds:names(), ", "))
  local width = M.width > 0 and M.width or 100
  if utf8.len(line) and utf8.len(line) > width then
    line = line:sub(1, utf8.offset(line, width) - 1) .. "…"
  end
  io.stdout:write(line, "\n")
end

local function dot_run(args)
  local script = args[1]
  if not script then error("usage: .run SCRIPT.lua [ARGS...]", 0) end
  local f, err = loadfile(script, "t")
  if not f then error(err, 0) end
  local saved = rawget(_G, "arg")
  local a = { [0] = script }
  for i = 2, #args do a[i - 1] = args[i] end
  rawset(_G, "arg", a)
  local restore <close> = setmetatable({}, {
    __close = function() rawset(_G, "arg", saved) end,
  })
  f(table.unpack(a))
end

local function dot_output(file)
  if M.out ~= io.stdout then
    M.out:close()
    M.out, M.out_name = io.stdout, nil
    io.output(io.stdout)
  end
  if file then
    local f, err = io.open(file, "w")
    if not f then error(".output: " .. err, 0) end
    M.out, M.out_name = f, file
    io.output(f)
  end
end

local COMMANDS = {
  help = function() help() end,
  tables = function() dot_tables() end,
  schema = function(args) dot_schema(args[1]) end,
  load = dot_load,
  run = dot_run,
  timer = function(args) on_off("timer", args[1]) end,
  traceback = function(args) on_off("traceback", args[1]) end,
  mode = function(args)
    local m = args[1]
    if m == nil then
      io.stdout:write("mode is ", M.options.mode, "\n")
    elseif m == "table" or m == "csv" or m == "json" then
      M.options.mode = m
    else
      error(string.format(".mode: expected table, csv or json, not '%s'", m), 0)
    end
  end,
  output = function(args) dot_output(args[1]) end,
  quit = function() return "quit" end,
}
COMMANDS.exit = COMMANDS.quit

-- Runs the dot-command LINE (".tables", ".load x.csv orgs"...); returns
-- "quit" to leave.
function M.dot(line)
  local name, rest = line:match("^%s*%.([%w_]+)%s*(.-)%s*$")
  local cmd = name and COMMANDS[name]
  if not cmd then
    local best
    for k in pairs(COMMANDS) do
      if name and (k:sub(1, #name) == name) then best = k end
    end
    error(string.format("unknown command '.%s'%s: .help lists them", name or "",
                        best and string.format(" (did you mean '.%s'?)", best) or ""), 0)
  end
  return cmd(split_args(rest))
end

-- ---------------------------------------------------------------------
-- Completion
-- ---------------------------------------------------------------------

-- Methods whose string arguments name columns: the whole string (a
-- column name) or the words of an expression.
local NAME_ARGS = { col = true, select = true, drop = true, group_by = true,
                    distinct = true, rename = true, pivot = true, join = true }
local EXPR_ARGS = { filter = true, mutate = true, agg = true, sort = true }
local FILE_FUNCS = { read_csv = true, write_csv = true, dofile = true,
                     loadfile = true, open = true, lines = true }
local TABLE_METHODS = { read = "name", write = "name", query = "sql", exec = "sql" }
local EXPR_FUNCS = { "abs", "round", "floor", "ceil", "coalesce", "if", "year",
                     "month", "day", "lower", "upper", "len", "name_key", "date",
                     "and", "or", "not", "nil", "true", "false" }
local AGG_FUNCS = { "count", "count_distinct", "sum", "mean", "wmean", "min", "max",
                    "median", "quantile", "stddev", "var", "first", "last", "as" }
-- What dataset methods return, to complete along a chain of calls.
local RETURNS = { filter = "dataset", select = "dataset", drop = "dataset",
                  rename = "dataset", mutate = "dataset", concat = "dataset",
                  slice = "dataset", distinct = "dataset", agg = "dataset",
                  sort = "dataset", join = "dataset", pivot = "dataset",
                  head = "dataset", remap = "dataset", group_by = "grouped",
                  col = "column", read = "dataset", query = "dataset",
                  tables = "dataset", read_csv = "dataset",
                  read_csv_string = "dataset", dataset = "dataset" }

-- The methods table behind a userdata's __index closure (the module's
-- metatables keep it as upvalue 3), or its __index table.
local function methods_of(v)
  if type(v) == "string" then return string end
  local mt = getmetatable(v)
  if type(mt) ~= "table" then return nil end
  local idx = rawget(mt, "__index")
  if type(idx) == "table" then return idx end
  if type(idx) == "function" then
    local _, up = debug.getupvalue(idx, 3)
    if type(up) == "table" then return up end
  end
  return nil
end

-- A stand-in for a value known by its kind only (from a chain of calls).
local function kind_value(kind)
  local mt = registry_mt("coopstat." .. kind)
  return mt and setmetatable({}, { __index = mt.__index, kind = kind })
end

-- The value the tokens TOKS[1..J] end with, if it can be found without
-- calling anything: a global, its fields, and for calls of known methods
-- the kind they return.  Returns the value (or a stand-in) and whether it
-- is exact.
local function value_before(toks, j)
  local chain = {}
  while j >= 1 do
    local t = toks[j]
    if t.kind == "op" and t.text == ")" then -- a call: skip its arguments
      local open, depth = j, 0
      while open >= 1 do
        local x = toks[open]
        if x.kind == "op" and x.text == ")" then depth = depth + 1 end
        if x.kind == "op" and x.text == "(" then
          depth = depth - 1
          if depth == 0 then break end
        end
        open = open - 1
      end
      if open < 1 then return nil end
      table.insert(chain, 1, { call = true })
      j = open - 1
    elseif t.kind == "string" then -- f"..." calls f
      table.insert(chain, 1, { call = true })
      j = j - 1
    elseif t.kind == "name" and not KEYWORDS[t.text] then
      local sep = toks[j - 1]
      table.insert(chain, 1, { name = t.text })
      if sep and sep.kind == "op" and (sep.text == "." or sep.text == ":") then
        j = j - 2
      else
        break
      end
    else
      return nil
    end
  end
  if #chain == 0 or not chain[1].name then return nil end
  local v
  if chain[1].name == "db" and variable("db") == nil then
    v = store_if_any()
  else
    v = variable(chain[1].name)
  end
  -- BASE: the last dataset met before the first call, whose columns a
  -- chain of verbs mostly keeps.
  local exact, base = true, nil
  for i = 2, #chain do
    if exact and (is_dataset(v) or is_grouped(v)) then base = v end
    local seg = chain[i]
    if seg.name then
      local nxt = chain[i + 1]
      if nxt and nxt.call then
        local kind = RETURNS[seg.name]
        if not kind then return nil end
        v, exact = kind_value(kind), false
      elseif exact and type(v) == "table" then
        v = rawget(v, seg.name)
      elseif exact and is_dataset(v) then
        local ok, c = pcall(v.col, v, seg.name)
        v = ok and c or nil
      else
        return nil
      end
    end
    if v == nil then return nil end
  end
  if exact and (is_dataset(v) or is_grouped(v)) then base = v end
  return v, exact, base
end

local function kind_of(v)
  if is_dataset(v) then return "dataset" end
  if is_store(v) then return "store" end
  if is_grouped(v) then return "grouped" end
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(mt, "kind") or nil
end

local function starts(s, prefix)
  return s:sub(1, #prefix) == prefix
end

local function add_unique(list, seen, s)
  if not seen[s] then
    seen[s] = true
    list[#list + 1] = s
  end
end

local function matching(words, prefix, hide_private)
  local out, seen = {}, {}
  for _, w in ipairs(words) do
    if type(w) == "string" and starts(w, prefix) and
       not (hide_private and w:sub(1, 1) == "_" and prefix:sub(1, 1) ~= "_") then
      add_unique(out, seen, w)
    end
  end
  table.sort(out)
  return out
end

local function table_names()
  local db = store_if_any()
  if not db then return {} end
  return (store_tables(db))
end

local function columns_of(v)
  if is_grouped(v) then v = rawget(v, 1) end
  if is_dataset(v) then
    local ok, names = pcall(v.names, v)
    if ok then return names end
  end
  return {}
end

local function files(start)
  return start, {}, "", true
end

-- Completion inside a string that starts at byte Q of LINE, an argument
-- of the function or method whose name is token F of TOKS.
local function complete_in_string(line, toks, q, f)
  local quote_char = line:sub(q, q)
  local inside = line:sub(q + 1)
  local fname = f and toks[f]
  if not (fname and fname.kind == "name") then return nil end
  local name = fname.text
  local sep = toks[f - 1]
  if FILE_FUNCS[name] then return files(q) end
  local recv, base
  if sep and sep.kind == "op" and (sep.text == ":" or sep.text == ".") then
    local exact
    recv, exact, base = value_before(toks, f - 2)
  end
  local kind = recv and kind_of(recv)
  if kind == "store" and TABLE_METHODS[name] then
    if TABLE_METHODS[name] == "name" then
      return q, matching(table_names(), inside), quote_char
    end
    local word = inside:match("[%w_]*$")
    return #line - #word, matching(table_names(), word), ""
  end
  if kind ~= "dataset" and kind ~= "grouped" then return nil end
  local cols = columns_of(base)
  if NAME_ARGS[name] then
    return q, matching(cols, inside), quote_char
  end
  if EXPR_ARGS[name] or name == "agg" then
    local word = inside:match("[%w_\128-\255]*$")
    local words = {}
    for _, c in ipairs(cols) do
      if not c:find("[^%w_\128-\255]") then words[#words + 1] = c end
    end
    if name ~= "sort" then
      for _, f in ipairs(EXPR_FUNCS) do words[#words + 1] = f end
    end
    if name == "agg" then
      for _, f in ipairs(AGG_FUNCS) do words[#words + 1] = f end
    end
    if name == "sort" then
      words[#words + 1] = "desc"
      words[#words + 1] = "asc"
    end
    return #line - #word, matching(words, word), ""
  end
  return nil
end

local function fields_of(v, after_colon)
  local words = {}
  if after_colon then
    local m = methods_of(v)
    if m then for k in next, m do words[#words + 1] = k end end
    if type(v) == "table" and not getmetatable(v) then
      for k, x in next, v do
        if type(x) == "function" then words[#words + 1] = k end
      end
    end
    return words
  end
  if is_dataset(v) then
    for _, c in ipairs(columns_of(v)) do
      if is_ident(c) then words[#words + 1] = c end
    end
    return words
  end
  if type(v) == "table" then
    local seen, t = {}, v
    while type(t) == "table" and not seen[t] do
      seen[t] = true
      for k in next, t do
        if is_ident(k) then words[#words + 1] = k end
      end
      local mt = getmetatable(t)
      t = type(mt) == "table" and rawget(mt, "__index") or nil
    end
    if is_grouped(v) or kind_of(v) then
      local m = methods_of(v)
      if m then for k in next, m do words[#words + 1] = k end end
    end
  end
  return words
end

-- What follows a unique completion of K in table T: "(" for a function.
local function suffix_for(t, k, after_colon)
  if after_colon then return "(" end
  if type(t) == "table" or type(t) == "userdata" then
    local ok, x = pcall(function() return t[k] end)
    if ok and type(x) == "function" then return "(" end
  end
  return ""
end

local DOT_ARGS = {
  mode = { "table", "csv", "json" }, timer = { "on", "off" },
  traceback = { "on", "off" },
}

local function complete_dot(line)
  local cmd, sp = line:match("^%s*%.([%w_]*)()")
  if sp > #line then
    local names = {}
    for k in pairs(COMMANDS) do names[#names + 1] = k end
    return sp - 1 - #cmd, matching(names, cmd), " "
  end
  local rest = line:sub(sp)
  local word = rest:match("[^%s\"']*$")
  local start = #line - #word
  local nargs = #split_args(rest:sub(1, #rest - #word))
  if cmd == "load" or cmd == "run" or cmd == "output" then
    if nargs == 0 then return start, {}, " ", true end
    return nil
  end
  if cmd == "schema" and nargs == 0 then
    local words = session_datasets()
    for _, t in ipairs(table_names()) do words[#words + 1] = t end
    return start, matching(words, word), ""
  end
  if DOT_ARGS[cmd] and nargs == 0 then
    return start, matching(DOT_ARGS[cmd], word), ""
  end
  return nil
end

-- Completes LINE, the text before the cursor.  Returns the byte offset
-- (from 0) where the word being completed starts, the candidates, what
-- to append after a unique one, and true to complete file names instead.
function M.complete(line)
  if line:match("^%s*%.[%a_]?[%w_]*") and not line:match("^%s*%.%d") then
    local start, words, append, want_files = complete_dot(line)
    if start then return start, words or {}, append or "", want_files or false end
    return #line, {}, "", false
  end
  local toks = token_list(line)
  local last = toks[#toks]
  if last and last.kind == "comment" and last.open then return #line, {}, "", false end
  if last and last.kind == "string" and last.open then
    -- The innermost "(" still open before the string.
    local depth, open = 0, nil
    for j = #toks - 1, 1, -1 do
      local t = toks[j]
      if t.kind == "op" and (t.text == ")" or t.text == "}" or t.text == "]") then
        depth = depth + 1
      elseif t.kind == "op" and (t.text == "(" or t.text == "{" or t.text == "[") then
        if depth == 0 then
          if t.text == "(" then open = j end
          if t.text ~= "{" then break end
        else
          depth = depth - 1
        end
      end
    end
    if line:sub(last.s, last.s) == "[" then return #line, {}, "", false end
    -- f"..." and f:m"..." call F with the string alone.
    local prev = toks[#toks - 1]
    local f = prev and prev.kind == "name" and #toks - 1 or open and open - 1
    local start, words, append, want_files =
      complete_in_string(line, toks, last.s, f)
    if start then return start, words or {}, append or "", want_files or false end
    return #line, {}, "", false
  end
  -- A name, perhaps after "." or ":".
  local word = line:match("[%a_][%w_]*$") or ""
  if word ~= "" and last and last.kind ~= "name" then word = "" end
  local start = #line - #word
  local before = line:sub(1, start):match("^(.-)%s*$")
  local sep = before:sub(-1)
  if (sep == "." or sep == ":") and before:sub(-2) ~= ".." then
    local btoks = token_list(before:sub(1, -2))
    local v, exact, base = value_before(btoks, #btoks)
    if v == nil then return start, {}, "", false end
    if sep == "." and not exact and kind_of(v) == "dataset" then v = base end
    local words = matching(fields_of(v, sep == ":"), word, true)
    local append = #words == 1 and suffix_for(v, words[1], sep == ":") or ""
    return start, words, append, false
  end
  local names = {}
  for _, t in ipairs({ session, _G }) do
    for k in next, t do
      if is_ident(k) then names[#names + 1] = k end
    end
  end
  names[#names + 1] = "db"
  for k in pairs(KEYWORDS) do names[#names + 1] = k end
  local words = matching(names, word, true)
  local append = #words == 1 and (KEYWORDS[words[1]] and " " or suffix_for(session, words[1])) or ""
  return start, words, append, false
end

return M
