-- wrk script: cycle through the lines of a file, request bodies for a POST (one JSON document
-- a line) or paths for a GET, and print one machine-readable summary line at the end.
-- Used by bench/wrk.py.
--
-- Each wrk thread has its own Lua state, so each reads the file once in init() and starts
-- at a different offset: the threads do not send the same query at the same moment.

local bodies = {}
local position = 0
local method, path

function init(args)
  method, path = args[1], args[2]
  local file = assert(io.open(args[3], "r"))
  for line in file:lines() do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  file:close()
  position = (tonumber(args[4]) or 0) % math.max(#bodies, 1)
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  if #bodies == 0 then
    return wrk.format(method, path)
  end
  position = position % #bodies + 1
  if method == "GET" then
    return wrk.format(method, bodies[position])
  end
  return wrk.format(method, path, nil, bodies[position])
end

function done(summary, latency, requests)
  io.write(string.format(
    "WRK requests=%d duration_us=%d status_errors=%d socket_errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
