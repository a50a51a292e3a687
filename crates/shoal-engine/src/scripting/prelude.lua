-- Shoal's script sandbox, run once when the VM is made. Receives the hooks table the engine
-- fills while a script runs, and returns the protected globals proxy and the runner.
local hooks = ...
local G = {}
for k, v in pairs(_G) do G[k] = v end
for _, name in ipairs({'print', 'dofile', 'loadfile', 'setfenv', 'getfenv', 'module',
    'require', 'gcinfo', 'newproxy', 'os', 'io', 'debug', 'package', '_G'}) do
  G[name] = nil
end
local rawset_, setmetatable_, error_, type_ = rawset, setmetatable, error, type
local loadstring_, load_, setfenv_, xpcall_ = loadstring, load, setfenv, xpcall
local lower_ = string.lower
local concat_ = table.concat
local readonly = setmetatable_({}, {__mode = 'k'})
local function ro_error() error_('Attempt to modify a readonly table', 2) end
local function protect(t)
  local p = setmetatable_({}, {__index = t, __newindex = ro_error, __metatable = false})
  readonly[p] = true
  return p
end
local smt = getmetatable('')
if smt then smt.__metatable = false end

local redis = G.redis
-- redis.call is a Rust function (set by the engine), so a script's `return redis.call(..)`
-- keeps the script's frame and its errors name the script's line.
redis.pcall = function(...)
  local _, v = hooks.call(...)
  return v
end
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3

local flags_ok = {['no-writes'] = true, ['allow-oom'] = true, ['allow-stale'] = true,
  ['no-cluster'] = true, ['allow-cross-slot-keys'] = true}
local function register(...)
  local n, a, b = select('#', ...), ...
  local name, cb, flags, desc
  if n == 1 then
    if type_(a) ~= 'table' then
      error_('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).', 0)
    end
    for k, v in pairs(a) do
      if type_(k) ~= 'string' and type_(k) ~= 'number' then
        error_('named argument key given to redis.register_function is not a string', 0)
      end
      local key = lower_(tostring(k))
      if key == 'function_name' then
        if type_(v) ~= 'string' and type_(v) ~= 'number' then
          error_('function_name argument given to redis.register_function must be a string', 0)
        end
        name = v
      elseif key == 'description' then
        if type_(v) ~= 'string' and type_(v) ~= 'number' then
          error_('description argument given to redis.register_function must be a string', 0)
        end
        desc = v
      elseif key == 'callback' then
        if type_(v) ~= 'function' then
          error_('callback argument given to redis.register_function must be a function', 0)
        end
        cb = v
      elseif key == 'flags' then
        if type_(v) ~= 'table' then
          error_('flags argument to redis.register_function must be a table representing function flags', 0)
        end
        flags = v
      else error_('unknown argument given to redis.register_function', 0) end
    end
  elseif n == 2 then
    if type_(a) ~= 'string' and type_(a) ~= 'number' then
      error_('first argument to redis.register_function must be a string', 0)
    end
    if type_(b) ~= 'function' then
      error_('second argument to redis.register_function must be a function', 0)
    end
    name, cb = a, b
  else
    error_('wrong number of arguments to redis.register_function', 0)
  end
  if name == nil then error_('redis.register_function must get a function name argument', 0) end
  if cb == nil then error_('redis.register_function must get a callback argument', 0) end
  local fl = {}
  if flags ~= nil then
    for _, f in ipairs(flags) do
      local canonical = (type_(f) == 'string' or type_(f) == 'number') and lower_(tostring(f))
      if not canonical or not flags_ok[canonical] then error_('unknown flag given', 0) end
      fl[#fl + 1] = canonical
    end
  end
  if desc ~= nil then desc = tostring(desc) end
  local e = hooks.register(tostring(name), cb, fl, desc)
  if e then error_(e, 0) end
end

local redis_load = {register_function = register, log = redis.log,
  REDIS_VERSION = redis.REDIS_VERSION, REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
  LOG_DEBUG = redis.LOG_DEBUG, LOG_VERBOSE = redis.LOG_VERBOSE,
  LOG_NOTICE = redis.LOG_NOTICE, LOG_WARNING = redis.LOG_WARNING}
for _, name in ipairs({'string', 'table', 'math', 'coroutine', 'cjson', 'bit', 'struct',
    'cmsgpack', 'redis'}) do
  if G[name] then G[name] = protect(G[name]) end
end
do
  local fields = redis_load
  redis_load = setmetatable_({}, {__index = function(_, k)
    local v = fields[k]
    if v == nil then
      error_("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
    end
    return v
  end, __newindex = ro_error, __metatable = false})
  readonly[redis_load] = true
end

-- Globals resolve through a plain table chain (env -> G), so a script's `redis`, `KEYS` or
-- `ARGV` costs a table lookup, not a function call; only a name G lacks reaches a function,
-- which raises. While a library loads, env resolves through a function that sees nothing
-- but the load-time `redis` (`hooks.set_loading`).
local function missing(_, k)
  error_("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end
local function while_loading(_, k)
  if k == 'redis' then return redis_load end
  error_("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end
local env_mt = {__index = G, __newindex = ro_error, __metatable = false}
local env = setmetatable_({}, env_mt)
hooks.set_loading = function(on)
  if on then env_mt.__index = while_loading else env_mt.__index = G end
end
readonly[env] = true
G._G = env
G.rawset = function(t, k, v)
  if readonly[t] then error_('Attempt to modify a readonly table', 2) end
  return rawset_(t, k, v)
end
G.setmetatable = function(t, m)
  if readonly[t] then error_('Attempt to modify a readonly table', 0) end
  return setmetatable_(t, m)
end
-- Precompiled chunks can corrupt the VM: like Redis, read everything as source text (a
-- leading ESC then fails to parse).
local function as_text(s)
  if type_(s) == 'string' and s:byte(1) == 27 then return ' ' .. s end
  return s
end
G.loadstring = function(s, name)
  local f, e = loadstring_(as_text(s), name)
  if f then setfenv_(f, env) end
  return f, e
end
G.load = function(fn, name)
  local parts = {}
  if type_(fn) == 'function' then
    while true do
      local piece = fn()
      if piece == nil or piece == '' then break end
      parts[#parts + 1] = piece
    end
    fn = concat_(parts)
  end
  return G.loadstring(fn, name)
end

-- Errors raised by Rust functions reach Lua as opaque values: pcall and xpcall hand scripts
-- the error table (redis.call) or message (libraries) Redis would.
local pcall_, unpack_, convert = pcall, unpack, hooks.convert
local function converted(ok, ...)
  if ok then return ok, ... end
  return false, convert((...))
end
G.pcall = function(f, ...)
  return converted(pcall_(f, ...))
end
G.xpcall = function(f, h)
  return xpcall_(f, function(e) return h(convert(e)) end)
end

-- The runner: `f(a, b)` under `xpcall` with `handler`, KEYS and ARGV set for scripts (and
-- cleared for functions). The call goes through one closure made here, fed through
-- upvalues, so a call allocates nothing of its own.
local cur_f, cur_a, cur_b
local function body() return (cur_f(cur_a, cur_b)) end
local function run(f, handler, a, b, script)
  if script then G.KEYS, G.ARGV = a, b else G.KEYS, G.ARGV = nil, nil end
  local pf, pa, pb = cur_f, cur_a, cur_b
  cur_f, cur_a, cur_b = f, a, b
  local ok, v = xpcall_(body, handler)
  cur_f, cur_a, cur_b = pf, pa, pb
  return ok, v
end
setmetatable_(G, {__index = missing, __metatable = false})
return env, run
