-- POST /oauth/token refresh grants, one rotation chain per thread (run with -c equal to
-- -t): each response's new refresh token is the next request's. Tokens come from a file,
-- one per line (args[1]).
local threads = {}
local tokens = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  if #tokens == 0 then
    for line in io.lines(wrk_tokens_file or "target/bench/refresh_tokens.txt") do
      table.insert(tokens, line)
    end
  end
  thread:set("token", tokens[counter])
  table.insert(threads, thread)
end

function init(args)
  failures = 0
end

function request()
  return wrk.format("POST", "/oauth/token", {["Content-Type"] = "application/x-www-form-urlencoded"},
    "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
  if status == 200 then
    token = string.match(body, '"refresh_token":"([^"]+)"')
  else
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local f = 0
  for _, t in ipairs(threads) do
    f = f + t:get("failures")
  end
  io.write(string.format("REFRESH_FAILURES %d\n", f))
end
