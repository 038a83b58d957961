-- For wrk: requests the paths listed (one a line) in the file named by the first script argument,
-- in turn, and prints the median, 95th- and 99th-percentile latency in milliseconds, the requests
-- made, the errors (failed connections, reads, writes, timeouts and answers other than 2xx/3xx)
-- and the requests per second.
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
  io.write(string.format("p50 %.2f p95 %.2f requests %d errors %d p99 %.2f rps %.0f\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
