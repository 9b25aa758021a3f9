-- wrk script of bench/load.py: at the end of a run, print one line
--   WRK_REPORT {"requests": ..., "latency_us": {"p50": ..., "p95": ..., ...}, "statuses": {...}}
-- with exact percentiles from wrk's latency histogram (its --latency text gives 50/75/90/99 only)
-- and the count of responses by status, so that every non-2xx answer is counted, 3xx included
-- (wrk's own "Non-2xx or 3xx responses" counts only 4xx and 5xx).
--
-- Pass "--no-status" after "--" to skip the per-response callback: wrk then does not hand each
-- response to Lua, which costs client CPU; only wrk's own 4xx/5xx count is left.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   statuses = {}
   for _, arg in ipairs(args) do
      if arg == "--no-status" then
         response = nil
      end
   end
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local counts = {}
   for _, thread in ipairs(threads) do
      local seen = thread:get("statuses") or {}
      for status, n in pairs(seen) do
         counts[status] = (counts[status] or 0) + n
      end
   end
   local parts = {}
   for status, n in pairs(counts) do
      table.insert(parts, string.format('"%d": %d', status, n))
   end
   local e = summary.errors
   io.write(string.format(
      'WRK_REPORT {"duration_us": %.0f, "requests": %.0f, "bytes": %.0f, '
         .. '"errors": {"connect": %.0f, "read": %.0f, "write": %.0f, "status": %.0f, "timeout": %.0f}, '
         .. '"latency_us": {"min": %.0f, "mean": %.1f, "stdev": %.1f, "max": %.0f, '
         .. '"p50": %.0f, "p90": %.0f, "p95": %.0f, "p99": %.0f}, "statuses": {%s}}\n',
      summary.duration, summary.requests, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.stdev, latency.max,
      latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
      table.concat(parts, ", ")
   ))
end
