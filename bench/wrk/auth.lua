-- POST /open-api/auth with the bench client's credentials (the body file), a static request.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")

wrk.method = "POST"
common.load_body()
