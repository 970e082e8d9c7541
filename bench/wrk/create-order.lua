-- POST /open-api/orders with a fresh Idempotency-Key per request, made up here in Lua:
-- "bench-<run id>-<thread>-<counter>", unique within the run and across runs.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")

wrk.method = "POST"
common.load_body()

local headers, prefix, counter

common.on_init = function(args)
  headers = common.headers()
  prefix = string.format("bench-%s-%d-", os.getenv("BENCH_RUN_ID") or "0", thread_no or 0)
  counter = 0
end

function request()
  counter = counter + 1
  headers["Idempotency-Key"] = prefix .. counter
  return wrk.format(nil, nil, headers)
end
