-- Shared by the scenario scripts: counts answers by status in every thread and, when the run is done,
-- prints one JSON line (prefixed "BENCH_RESULT ") that bench/run reads. Latencies are in microseconds.
--
-- Environment: BENCH_BODY_FILE (request body, optional), BENCH_RUN_ID (makes keys unique per run).

local M = {}
local threads = {}

function M.read_file(path)
  local file = assert(io.open(path, "rb"), "cannot open " .. tostring(path))
  local text = file:read("*a")
  file:close()
  return text
end

-- A copy of the headers given with -H, to which a script adds per-request headers.
function M.headers()
  local copy = {}
  for name, value in pairs(wrk.headers) do copy[name] = value end
  return copy
end

function M.load_body()
  local path = os.getenv("BENCH_BODY_FILE")
  if path and path ~= "" then
    wrk.body = M.read_file(path)
    wrk.headers["Content-Type"] = "application/json"
  end
end

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

function init(args)
  ok_2xx, not_2xx, status_5xx, not_replayed = 0, 0, 0, 0
  sample = ""
  if M.on_init then M.on_init(args) end
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok_2xx = ok_2xx + 1
    if M.expect_replay and not (headers["idempotent-replayed"] or headers["Idempotent-Replayed"]) then
      not_replayed = not_replayed + 1
    end
  else
    not_2xx = not_2xx + 1
    if status >= 500 then status_5xx = status_5xx + 1 end
    if sample == "" then sample = tostring(status) .. " " .. string.sub(body or "", 1, 300) end
  end
end

local function quote(text)
  return '"' .. string.gsub(text, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
end

function done(summary, latency, requests)
  local ok, bad, fives, unreplayed, first = 0, 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    ok = ok + (thread:get("ok_2xx") or 0)
    bad = bad + (thread:get("not_2xx") or 0)
    fives = fives + (thread:get("status_5xx") or 0)
    unreplayed = unreplayed + (thread:get("not_replayed") or 0)
    local s = thread:get("sample") or ""
    if first == "" then first = s end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"ok_2xx":%d,"not_2xx":%d,"status_5xx":%d,' ..
    '"not_replayed":%d,"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p99_9":%d},' ..
    '"sample":%s}\n',
    summary.requests, summary.duration, summary.bytes, ok, bad, fives, unreplayed,
    e.connect, e.read, e.write, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), quote(first)))
end

return M
