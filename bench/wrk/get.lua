-- GET the path given on the command line (wrk's static request: no per-request Lua).
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
require("common")

wrk.method = "GET"
