-- wrk script of bench/intake_throughput.py: the form without JavaScript, as a source's browser sends it.
-- Run with one connection per thread (-tN -cN). BENCH_MODE "cycle": each connection loops GET the form
-- (its CSRF token, form nonce and session cookie), POST it with BENCH_TEXT_FILE's text (about 2 KB of
-- Korean), read the receipt page. BENCH_MODE "flood": POST only, reusing BENCH_CSRF and BENCH_COOKIE with a
-- fresh random nonce each time (what a flooder does: one token is good for a day, nonces are random), each
-- on a new connection, as nginx passes a flood on (beyond its few kept-alive upstream connections).
-- done() prints "BENCH posts=.. receipts=.. statuses=N:count,..." (statuses of the POSTs).

local bit = require("bit")
local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local threads = {}
local BOUNDARY = "----sori-bench-form"

function setup(thread)
   table.insert(threads, thread)
end

local urandom
local text
local mode
local token
local nonce
local cookie
local expecting
-- Globals, so that done() can read them from each thread with thread:get.
posts = 0
receipts = 0
statuses = {}

local function b64url(raw)
   local out = {}
   for i = 1, #raw, 3 do
      local a, b, c = raw:byte(i, i + 2)
      local triple = bit.bor(bit.lshift(a, 16), bit.lshift(b or 0, 8), c or 0)
      for k, present in ipairs({true, true, b ~= nil, c ~= nil}) do
         if present then
            local index = bit.band(bit.rshift(triple, 18 - 6 * (k - 1)), 63) + 1
            out[#out + 1] = ALPHABET:sub(index, index)
         end
      end
   end
   return table.concat(out)
end

function init(args)
   urandom = assert(io.open("/dev/urandom", "rb"))
   local file = assert(io.open(os.getenv("BENCH_TEXT_FILE"), "rb"))
   text = file:read("*a")
   file:close()
   mode = os.getenv("BENCH_MODE") or "cycle"
   if mode == "flood" then
      token = os.getenv("BENCH_CSRF")
      cookie = os.getenv("BENCH_COOKIE")
   end
end

local function field(name, value)
   return "--" .. BOUNDARY .. '\r\nContent-Disposition: form-data; name="' .. name .. '"\r\n\r\n' .. value .. "\r\n"
end

local function form()
   return field("csrf_token", token)
      .. field("form_nonce", nonce)
      .. field("submitter", "witness")
      .. field("what_happened", text)
      .. field("when_kind", "unknown")
      .. field("consent_documentation", "yes")
      .. field("consent_sanctions", "no")
      .. field("consent_public", "no")
      .. field("consent_contact", "yes")
      .. "--" .. BOUNDARY .. "--\r\n"
end

function request()
   if mode == "cycle" and token == nil then
      expecting = "form"
      local headers = {}
      if cookie then headers["Cookie"] = cookie end
      return wrk.format("GET", "/submit?lang=ko", headers, nil)
   end
   if mode == "flood" then nonce = b64url(urandom:read(16)) end
   expecting = "receipt"
   posts = posts + 1
   local headers = {["Content-Type"] = "multipart/form-data; boundary=" .. BOUNDARY, ["Cookie"] = cookie}
   if mode == "flood" then headers["Connection"] = "close" end
   return wrk.format("POST", "/submit?lang=ko", headers, form())
end

function response(status, headers, body)
   if expecting == "form" then
      token = body:match('name="csrf_token" value="([^"]+)"')
      nonce = body:match('name="form_nonce" value="([^"]+)"')
      local set = headers["Set-Cookie"]
      if set then cookie = set:match("^(session=[^;]+)") or cookie end
      return
   end
   statuses[status] = (statuses[status] or 0) + 1
   if status == 200 and body:find('id="receipt%-value"[^>]*>%d%d%d%d %d%d%d%d %d%d%d%d %d%d%d%d<') then
      receipts = receipts + 1
   end
   if mode == "cycle" then token = nil end
end

function done(summary, latency, requests)
   local total_posts, total_receipts, merged = 0, 0, {}
   for _, thread in ipairs(threads) do
      total_posts = total_posts + thread:get("posts")
      total_receipts = total_receipts + thread:get("receipts")
      for code, count in pairs(thread:get("statuses")) do
         merged[code] = (merged[code] or 0) + count
      end
   end
   local parts = {}
   for code, count in pairs(merged) do
      parts[#parts + 1] = code .. ":" .. count
   end
   io.write(string.format("BENCH posts=%d receipts=%d statuses=%s\n", total_posts, total_receipts,
      table.concat(parts, ",")))
end
