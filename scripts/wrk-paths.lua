-- For wrk: requests the paths listed (one a line) in the file named by the first script argument,
-- in turn, and prints the median and 95th-percentile latency in milliseconds and any errors.
local paths = {}
local i = 0

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("p50 %.2f p95 %.2f requests %d errors %d\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout))
end
