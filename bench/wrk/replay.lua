-- POST /open-api/orders with the same Idempotency-Key every time (given with -H): every answer after the
-- first must be a replay (Idempotent-Replayed: true); one that is not counts as an error.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")

wrk.method = "POST"
common.load_body()
common.expect_replay = true
