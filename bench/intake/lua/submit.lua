-- wrk script of bench/intake_throughput.py: POST /api/submissions with one small envelope, a fresh
-- random receipt key and form nonce per request (a reused one is refused by design), the source's public
-- key, the CSRF header and session cookie. Reads BENCH_ENVELOPE (a file), BENCH_CSRF, BENCH_COOKIE and
-- BENCH_SOURCE_KEY from the environment; with BENCH_JUNK set, the body is that many random bytes instead (a
-- flood of envelopes that fail the framing check, each on a new connection as nginx would pass them on). Counts requests sent and answers by status; done()
-- prints one machine-readable line "BENCH sent=.. statuses=N:count,...".

local bit = require("bit")

local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local threads = {}
local counter = 1

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local urandom
local body
-- Globals, so that done() can read them from each thread with thread:get.
sent = 0
statuses = {}

function init(args)
   urandom = assert(io.open("/dev/urandom", "rb"))
   local junk = tonumber(os.getenv("BENCH_JUNK") or "")
   if junk then
      body = urandom:read(junk)
      wrk.headers["Connection"] = "close"
   else
      local file = assert(io.open(os.getenv("BENCH_ENVELOPE"), "rb"))
      body = file:read("*a")
      file:close()
   end
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/octet-stream"
   wrk.headers["X-CSRFToken"] = os.getenv("BENCH_CSRF")
   wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
   wrk.headers["X-Source-Key"] = os.getenv("BENCH_SOURCE_KEY")
end

-- base64url without padding of 32 bytes: 43 characters.
local function b64url(raw)
   local out = {}
   local n = #raw
   local i = 1
   while i <= n do
      local a, b, c = raw:byte(i, i + 2)
      local triple = bit.bor(bit.lshift(a, 16), bit.lshift(b or 0, 8), c or 0)
      out[#out + 1] = ALPHABET:sub(bit.rshift(triple, 18) + 1, bit.rshift(triple, 18) + 1)
      local d = bit.band(bit.rshift(triple, 12), 63) + 1
      out[#out + 1] = ALPHABET:sub(d, d)
      if b then
         local e = bit.band(bit.rshift(triple, 6), 63) + 1
         out[#out + 1] = ALPHABET:sub(e, e)
      end
      if c then
         local f = bit.band(triple, 63) + 1
         out[#out + 1] = ALPHABET:sub(f, f)
      end
      i = i + 3
   end
   return table.concat(out)
end

function request()
   sent = sent + 1
   -- wrk.format takes its headers argument instead of wrk.headers, not beside them: set the key in place.
   wrk.headers["X-Receipt-Key"] = b64url(urandom:read(32))
   -- Each form is good once (core/form_nonces.py): a fresh nonce per request, as each page load has.
   wrk.headers["X-Form-Nonce"] = b64url(urandom:read(16))
   return wrk.format(nil, "/api/submissions", nil, body)
end

function response(status, headers, response_body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local total_sent = 0
   local merged = {}
   for _, thread in ipairs(threads) do
      total_sent = total_sent + thread:get("sent")
      for code, count in pairs(thread:get("statuses")) do
         merged[code] = (merged[code] or 0) + count
      end
   end
   local parts = {}
   for code, count in pairs(merged) do
      parts[#parts + 1] = code .. ":" .. count
   end
   io.write(string.format("BENCH sent=%d statuses=%s\n", total_sent, table.concat(parts, ",")))
end
