-- wrk script: optional method/body/headers from the environment, a count of every status
-- code seen (all threads), and a one-line JSON report with latency percentiles.
--
-- Environment: WRK_METHOD (GET), WRK_BODY (""), WRK_HEADERS ("Name: value\n..." lines).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  wrk.method = os.getenv("WRK_METHOD") or "GET"
  local body = os.getenv("WRK_BODY")
  if body and #body > 0 then
    wrk.body = body
  end
  local headers = os.getenv("WRK_HEADERS") or ""
  for line in headers:gmatch("[^\n]+") do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then
      wrk.headers[name] = value
    end
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local seen = thread:get("statuses")
    for status, n in pairs(seen) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.3f, "p90_ms": %.3f, ' ..
    '"p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "socket_errors": %d, "timeouts": %d, ' ..
    '"statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout, table.concat(parts, ", ")))
end
