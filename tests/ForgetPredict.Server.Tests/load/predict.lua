-- wrk script: POST a predict query with 30 observed cells (load/predict-body.json) to /v1/models/$FP_MODEL/predict,
-- count non-2xx answers as errors, and print requests/s and latency percentiles as one JSON line at the end.
local model = os.getenv("FP_MODEL") or "big"
local body_file = os.getenv("FP_BODY") or "predict-body.json"
local f = assert(io.open(body_file, "r"))
local body = f:read("*a"):gsub("%s+$", "")
f:close()

wrk.method = "POST"
wrk.path = "/v1/models/" .. model .. "/predict"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("FP_API_KEY")
if key and #key > 0 then wrk.headers["Authorization"] = "Bearer " .. key end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format('{"requests":%d,"seconds":%.3f,"requestsPerSecond":%.1f,"p50Ms":%.3f,"p90Ms":%.3f,"p99Ms":%.3f,"maxMs":%.3f,"errors":%d,"non2xx":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    errors, summary.errors.status))
end
