-- POST /oauth/token password grants. Env (via wrk args): email, password, wrong_ratio (0-1).
-- Counts 503 (load shedding, expected under a storm) and other 5xx separately.
local counts = {}
local threads = {}
local email, password, wrong_every

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  email = args[1]
  password = args[2]
  wrong_every = tonumber(args[3] or "0")
  n = 0
  shed = 0
  other5xx = 0
  ok = 0
end

local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  n = n + 1
  local pw = password
  if wrong_every > 0 and n % wrong_every == 0 then
    pw = "definitely-the-wrong-password"
  end
  local body = "grant_type=password&username=" .. encode(email) .. "&password=" .. encode(pw)
  return wrk.format("POST", "/oauth/token", {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end

function response(status, headers, body)
  if status == 503 then
    shed = shed + 1
  elseif status >= 500 then
    other5xx = other5xx + 1
  elseif status == 200 then
    ok = ok + 1
  end
end

function done(summary, latency, requests)
  local s, o, k = 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("shed")
    o = o + t:get("other5xx")
    k = k + t:get("ok")
  end
  io.write(string.format("LOGIN_COUNTS ok=%d shed=%d other5xx=%d\n", k, s, o))
end
