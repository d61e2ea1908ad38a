-- Readers for bench/pages.py under wrk: the same weighted mix as bench/locustfile.py.
--
-- BENCH_URLS_LUA names a Lua file returning {urls = {kind = {url, ...}},
-- weights = {kind = n}}. Each request picks a kind by weight, then a URL of it.
-- Connections wait for nothing between requests (a closed loop), so the figures
-- are the server's capacity. Responses carrying X-Cache (the page cache looked)
-- are counted, hits apart. done() prints one JSON line starting "BENCH " with
-- the totals and latency percentiles (milliseconds).

local config = dofile(os.getenv("BENCH_URLS_LUA"))
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local requests, total_weight = {}, 0
-- Globals, so done() can read each thread's with thread:get().
pages, hits, bad = 0, 0, 0

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  for kind, weight in pairs(config.weights) do
    local urls = config.urls[kind]
    if urls and #urls > 0 then
      local formatted = {}
      for i, url in ipairs(urls) do
        formatted[i] = wrk.format("GET", url)
      end
      total_weight = total_weight + weight
      table.insert(requests, {upto = total_weight, list = formatted})
    end
  end
end

function request()
  local pick = math.random() * total_weight
  for _, kind in ipairs(requests) do
    if pick <= kind.upto then
      return kind.list[math.random(#kind.list)]
    end
  end
  local last = requests[#requests].list
  return last[math.random(#last)]
end

function response(status, headers, body)
  local state = headers["X-Cache"] or headers["x-cache"]
  if state then
    pages = pages + 1
    if state == "hit" then
      hits = hits + 1
    end
  end
  if status >= 400 then
    bad = bad + 1
  end
end

function done(summary, latency, _)
  local p, h, b = 0, 0, 0
  for _, thread in ipairs(threads) do
    p = p + thread:get("pages")
    h = h + thread:get("hits")
    b = b + thread:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "p50_ms": %.3f, "p95_ms": %.3f, '
      .. '"p99_ms": %.3f, "max_ms": %.3f, "status_errors": %d, '
      .. '"socket_errors": %d, "pages": %d, "hits": %d}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, b,
    e.connect + e.read + e.write + e.timeout, p, h
  ))
end
