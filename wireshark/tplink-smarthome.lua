-- Wireshark dissectors for TP-Link Kasa devices:
--   * "kasa": the Smart Home protocol (autokey XOR, initial key 171) on TCP and UDP port 9999.
--     TCP messages carry a 4-byte big-endian length; UDP datagrams (discovery) carry none.
--     The decrypted JSON goes to Wireshark's own JSON dissector, so every key is filterable
--     (json.key == "relay_state"); kasa.module, kasa.method and kasa.err_code summarise it.
--   * "tddp": the TP-Link Device Debug Protocol on UDP 1040 (requests) and 61000 (replies),
--     v1 and v2 headers; v2 data is decrypted (single DES ECB, key = MD5(username..password)[1..8])
--     with the credentials set in the TDDP protocol preferences.
--   * "tplink_tdp": TP-Link's discovery (TDP) on UDP 20002/20004: header fields, CRC check, JSON.
--   * "tplink_http": KLAP and AES exchanges over HTTP (port 80) labelled by step; their bodies are
--     encrypted per session and cannot be decrypted from a capture.
-- Works with the Lua 5.1 to 5.4 builds of Wireshark: bit operations use Wireshark's `bit` (BitOp)
-- library, present in every Wireshark with Lua. Installation: see README.md beside this file.

local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local lshift, rshift, rol, tobit = bit.lshift, bit.rshift, bit.rol, bit.tobit

local MAX_FRAME_BYTES = 1048576 -- a length header announcing more is treated as garbage, not awaited

-------------------------------------------------------------------------------------------------
-- Smart Home protocol
-------------------------------------------------------------------------------------------------

local kasa = Proto("kasa", "TP-Link Kasa Smart Home Protocol")
local kasa_fields = {
  length = ProtoField.uint32("kasa.length", "Length", base.DEC, nil, nil, "Payload bytes announced by the TCP header"),
  direction = ProtoField.string("kasa.direction", "Direction", base.ASCII, "request or reply (by port)"),
  module = ProtoField.string("kasa.module", "Module", base.ASCII, "Top-level key of the JSON message"),
  method = ProtoField.string("kasa.method", "Method", base.ASCII, "Key under a module whose value is an object"),
  err_code = ProtoField.int32("kasa.err_code", "Error code", base.DEC, nil, nil, "err_code reported by the device"),
  text = ProtoField.string("kasa.text", "Decrypted text", base.ASCII),
  ciphertext = ProtoField.bytes("kasa.ciphertext", "Ciphertext"),
}
kasa.fields = kasa_fields

local kasa_experts = {
  too_long = ProtoExpert.new("kasa.length.too_long", "Announced length exceeds the maximum (not Smart Home data?)",
    expert.group.MALFORMED, expert.severity.ERROR),
  truncated = ProtoExpert.new("kasa.truncated", "Message shorter than its length header",
    expert.group.MALFORMED, expert.severity.ERROR),
  not_json = ProtoExpert.new("kasa.not_json", "Decrypted text is not a JSON object (wrong port or protocol?)",
    expert.group.MALFORMED, expert.severity.WARN),
  device_error = ProtoExpert.new("kasa.err_code.nonzero", "The device reported an error",
    expert.group.RESPONSE_CODE, expert.severity.NOTE),
}
kasa.experts = { kasa_experts.too_long, kasa_experts.truncated, kasa_experts.not_json, kasa_experts.device_error }

kasa.prefs.port = Pref.uint("TCP/UDP port", 9999, "Port the devices listen on (requests go to it)")

local json_dissector = Dissector.get("json")

-- Autokey XOR: each ciphertext byte is the key for the next. Returns a Lua (binary) string.
local function xor_decrypt(cipher)
  local out, key = {}, 171
  for i = 1, #cipher do
    local c = cipher:byte(i)
    out[i] = string.char(bxor(key, c))
    key = c
  end
  return table.concat(out)
end

-- Index just past the JSON string whose opening quote is at `i`.
local function skip_string(s, i)
  local j = i + 1
  while j <= #s do
    local b = s:byte(j)
    if b == 92 then j = j + 2 elseif b == 34 then return j + 1 else j = j + 1 end
  end
  return j
end

-- Lists the modules (depth-1 keys), methods (depth-2 keys holding an object or null) and the
-- err_code values of a JSON text without a full parse; "context" (child_ids) is not a module.
local function summarise_json(s)
  local summary = { modules = {}, methods = {}, calls = {}, err_codes = {} }
  local kinds, keys = {}, {} -- per depth: container kind, current key
  local expect_key = false
  local i = 1
  while i <= #s do
    local b = s:byte(i)
    if b == 34 then
      local after = skip_string(s, i)
      if expect_key then
        local depth, key = #kinds, s:sub(i + 1, after - 2)
        keys[depth] = key
        expect_key = false
        local in_context = keys[1] == "context"
        if depth == 1 and not in_context then
          summary.modules[#summary.modules + 1] = key
          summary.calls[#summary.calls + 1] = key
        elseif depth == 2 and not in_context and s:find("^%s*:%s*[{n]", after) then
          summary.methods[#summary.methods + 1] = key
          -- "module.method" replaces the bare module name in the Info column
          local last = summary.calls[#summary.calls]
          if last == keys[1] then summary.calls[#summary.calls] = keys[1] .. "." .. key
          else summary.calls[#summary.calls + 1] = keys[1] .. "." .. key end
        end
        if key == "err_code" and (depth == 2 or depth == 3) then
          local value = s:match("^%s*:%s*(-?%d+)", after)
          if value then summary.err_codes[#summary.err_codes + 1] = tonumber(value) end
        end
      end
      i = after
    else
      if b == 123 or b == 91 then          -- { [
        kinds[#kinds + 1] = b
        expect_key = b == 123
      elseif b == 125 or b == 93 then      -- } ]
        keys[#kinds] = nil
        kinds[#kinds] = nil
        expect_key = false
      elseif b == 44 then                  -- ,
        expect_key = kinds[#kinds] == 123
      end
      i = i + 1
    end
  end
  return summary
end

-- The Info column lists every message of a packet (a segment may complete several).
local info_frame, info_text

local function direction_of(pinfo)
  local port = pinfo.match_uint
  if port == nil or port == 0 then port = kasa.prefs.port end
  return (pinfo.dst_port == port) and "request" or "reply"
end

-- Dissects one message: `tvb` holds the 4-byte length (when framed) and the ciphertext.
local function dissect_message(tvb, pinfo, tree, framed)
  local header = framed and 4 or 0
  local item = tree:add(kasa, tvb())
  local direction = direction_of(pinfo)
  item:add(kasa_fields.direction, direction):set_generated()
  if framed then
    local length = tvb(0, 4):uint()
    local length_item = item:add(kasa_fields.length, tvb(0, 4))
    if length > MAX_FRAME_BYTES then
      length_item:add_proto_expert_info(kasa_experts.too_long)
    elseif tvb:len() < 4 + length then
      length_item:add_proto_expert_info(kasa_experts.truncated)
    end
  end
  local body_len = tvb:len() - header
  local summary_text = direction
  if body_len > 0 then
    local body = tvb(header, body_len)
    item:add(kasa_fields.ciphertext, body)
    local plain = xor_decrypt(body:raw())
    local plain_tvb = ByteArray.new(plain, true):tvb("Decrypted Smart Home JSON")
    item:add(kasa_fields.text, body, plain)
    local first = plain:match("^%s*(.)")
    if first == "{" then
      local summary = summarise_json(plain)
      for _, name in ipairs(summary.modules) do item:add(kasa_fields.module, name):set_generated() end
      for _, name in ipairs(summary.methods) do item:add(kasa_fields.method, name):set_generated() end
      summary_text = direction .. " " .. table.concat(summary.calls, ",")
      for _, code in ipairs(summary.err_codes) do
        local code_item = item:add(kasa_fields.err_code, code):set_generated()
        if code ~= 0 then
          code_item:add_proto_expert_info(kasa_experts.device_error)
          summary_text = summary_text .. " err_code " .. code
        end
      end
      json_dissector:call(plain_tvb, pinfo, item)
    else
      item:add_proto_expert_info(kasa_experts.not_json)
    end
  end
  item:append_text(" (" .. direction .. ")")
  if info_frame == pinfo.number then
    info_text = info_text .. " | " .. summary_text
  else
    info_frame, info_text = pinfo.number, summary_text
  end
  pinfo.cols.protocol = "Kasa"
  pinfo.cols.info = info_text
  return tvb:len()
end

-- Total length of the TCP message starting at `offset`; an absurd header swallows the segment
-- instead of making Wireshark wait for gigabytes that will never come.
local function tcp_message_length(tvb, _, offset)
  local length = tvb(offset, 4):uint()
  if length > MAX_FRAME_BYTES then return tvb:len() - offset end
  return 4 + length
end

local function dissect_tcp_message(tvb, pinfo, tree)
  return dissect_message(tvb, pinfo, tree, true)
end

local PT_UDP = 3

function kasa.dissector(tvb, pinfo, tree)
  info_frame = nil
  if pinfo.port_type == PT_UDP then
    return dissect_message(tvb, pinfo, tree, false)
  end
  dissect_tcp_pdus(tvb, tree, 4, tcp_message_length, dissect_tcp_message)
  return tvb:len()
end

-------------------------------------------------------------------------------------------------
-- MD5 (RFC 1321) and single DES (FIPS 46-3): Wireshark's Lua API offers neither.
-------------------------------------------------------------------------------------------------

local function le32(x)
  return string.char(band(x, 255), band(rshift(x, 8), 255), band(rshift(x, 16), 255), band(rshift(x, 24), 255))
end

local MD5_K, MD5_S = {}, { 7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21 }
for i = 1, 64 do MD5_K[i] = tobit(math.floor(math.abs(math.sin(i)) * 4294967296)) end

local function md5(message)
  local len = #message
  message = message .. "\128" .. string.rep("\0", (55 - len) % 64) .. le32(len * 8) .. le32(0)
  local h = { 0x67452301, tobit(0xefcdab89), tobit(0x98badcfe), 0x10325476 }
  for chunk = 1, #message, 64 do
    local m = {}
    for i = 0, 15 do
      local b1, b2, b3, b4 = message:byte(chunk + 4 * i, chunk + 4 * i + 3)
      m[i] = bor(b1, lshift(b2, 8), lshift(b3, 16), lshift(b4, 24))
    end
    local a, b, c, d = h[1], h[2], h[3], h[4]
    for i = 0, 63 do
      local round, f, g = rshift(i, 4), nil, nil
      if round == 0 then f, g = bor(band(b, c), band(bnot(b), d)), i
      elseif round == 1 then f, g = bor(band(d, b), band(bnot(d), c)), (5 * i + 1) % 16
      elseif round == 2 then f, g = bxor(b, c, d), (3 * i + 5) % 16
      else f, g = bxor(c, bor(b, bnot(d))), (7 * i) % 16 end
      f = tobit(f + a + MD5_K[i + 1] + m[g])
      a, d, c = d, c, b
      b = tobit(b + rol(f, MD5_S[round * 4 + i % 4 + 1]))
    end
    h[1], h[2], h[3], h[4] = tobit(h[1] + a), tobit(h[2] + b), tobit(h[3] + c), tobit(h[4] + d)
  end
  return le32(h[1]) .. le32(h[2]) .. le32(h[3]) .. le32(h[4])
end

-- DES on arrays of bits (1-based, most significant bit first): slow but short, and TDDP
-- payloads are a few blocks.
local function number_list(text)
  local list = {}
  for n in text:gmatch("%d+") do list[#list + 1] = tonumber(n) end
  return list
end

local DES_IP, DES_FP, DES_E = {}, {}, {}
for row = 0, 7 do
  local start = (row < 4) and 2 * (row + 1) or 2 * (row - 4) + 1
  for k = 0, 7 do DES_IP[row * 8 + k + 1] = start + 8 * (7 - k) end
end
for i = 1, 64 do DES_FP[DES_IP[i]] = i end
for j = 0, 7 do
  for k = 0, 5 do DES_E[j * 6 + k + 1] = (4 * j + k - 1) % 32 + 1 end
end
local DES_P = number_list("16 7 20 21 29 12 28 17 1 15 23 26 5 18 31 10 2 8 24 14 32 27 3 9 19 13 30 6 22 11 4 25")
local DES_PC1 = number_list([[57 49 41 33 25 17 9 1 58 50 42 34 26 18 10 2 59 51 43 35 27 19 11 3 60 52 44 36
  63 55 47 39 31 23 15 7 62 54 46 38 30 22 14 6 61 53 45 37 29 21 13 5 28 20 12 4]])
local DES_PC2 = number_list([[14 17 11 24 1 5 3 28 15 6 21 10 23 19 12 4 26 8 16 7 27 20 13 2
  41 52 31 37 47 55 30 40 51 45 33 48 44 49 39 56 34 53 46 42 50 36 29 32]])
local DES_SHIFTS = number_list("1 1 2 2 2 2 2 2 1 2 2 2 2 2 2 1")
local DES_S = {
  number_list([[14 4 13 1 2 15 11 8 3 10 6 12 5 9 0 7 0 15 7 4 14 2 13 1 10 6 12 11 9 5 3 8
    4 1 14 8 13 6 2 11 15 12 9 7 3 10 5 0 15 12 8 2 4 9 1 7 5 11 3 14 10 0 6 13]]),
  number_list([[15 1 8 14 6 11 3 4 9 7 2 13 12 0 5 10 3 13 4 7 15 2 8 14 12 0 1 10 6 9 11 5
    0 14 7 11 10 4 13 1 5 8 12 6 9 3 2 15 13 8 10 1 3 15 4 2 11 6 7 12 0 5 14 9]]),
  number_list([[10 0 9 14 6 3 15 5 1 13 12 7 11 4 2 8 13 7 0 9 3 4 6 10 2 8 5 14 12 11 15 1
    13 6 4 9 8 15 3 0 11 1 2 12 5 10 14 7 1 10 13 0 6 9 8 7 4 15 14 3 11 5 2 12]]),
  number_list([[7 13 14 3 0 6 9 10 1 2 8 5 11 12 4 15 13 8 11 5 6 15 0 3 4 7 2 12 1 10 14 9
    10 6 9 0 12 11 7 13 15 1 3 14 5 2 8 4 3 15 0 6 10 1 13 8 9 4 5 11 12 7 2 14]]),
  number_list([[2 12 4 1 7 10 11 6 8 5 3 15 13 0 14 9 14 11 2 12 4 7 13 1 5 0 15 10 3 9 8 6
    4 2 1 11 10 13 7 8 15 9 12 5 6 3 0 14 11 8 12 7 1 14 2 13 6 15 0 9 10 4 5 3]]),
  number_list([[12 1 10 15 9 2 6 8 0 13 3 4 14 7 5 11 10 15 4 2 7 12 9 5 6 1 13 14 0 11 3 8
    9 14 15 5 2 8 12 3 7 0 4 10 1 13 11 6 4 3 2 12 9 5 15 10 11 14 1 7 6 0 8 13]]),
  number_list([[4 11 2 14 15 0 8 13 3 12 9 7 5 10 6 1 13 0 11 7 4 9 1 10 14 3 5 12 2 15 8 6
    1 4 11 13 12 3 7 14 10 15 6 8 0 5 9 2 6 11 13 8 1 4 10 7 9 5 0 15 14 2 3 12]]),
  number_list([[13 2 8 4 6 15 11 1 10 9 3 14 5 0 12 7 1 15 13 8 10 3 7 4 12 5 6 11 0 14 9 2
    7 11 4 1 9 12 14 2 0 6 10 13 15 3 5 8 2 1 14 7 4 10 8 13 15 12 9 0 3 5 6 11]]),
}

local function to_bits(bytes)
  local bits = {}
  for i = 1, #bytes do
    local b = bytes:byte(i)
    for k = 7, 0, -1 do bits[#bits + 1] = band(rshift(b, k), 1) end
  end
  return bits
end

local function from_bits(bits)
  local chars = {}
  for i = 1, #bits, 8 do
    local b = 0
    for k = 0, 7 do b = b * 2 + bits[i + k] end
    chars[#chars + 1] = string.char(b)
  end
  return table.concat(chars)
end

local function permute(bits, table_)
  local out = {}
  for i = 1, #table_ do out[i] = bits[table_[i]] end
  return out
end

local function des_subkeys(key)
  local cd, keys = permute(to_bits(key), DES_PC1), {}
  for round = 1, 16 do
    for _ = 1, DES_SHIFTS[round] do -- rotate both 28-bit halves left
      local c1, d1 = cd[1], cd[29]
      for i = 1, 27 do cd[i], cd[28 + i] = cd[i + 1], cd[29 + i] end
      cd[28], cd[56] = c1, d1
    end
    keys[round] = permute(cd, DES_PC2)
  end
  return keys
end

local function des_block(block, keys, decrypting)
  local bits = permute(to_bits(block), DES_IP)
  local l, r = {}, {}
  for i = 1, 32 do l[i], r[i] = bits[i], bits[32 + i] end
  for round = 1, 16 do
    local k = keys[decrypting and (17 - round) or round]
    local f = {}
    for s = 0, 7 do
      local x = {}
      for j = 1, 6 do x[j] = (r[DES_E[s * 6 + j]] ~= k[s * 6 + j]) and 1 or 0 end
      local v = DES_S[s + 1][(x[1] * 2 + x[6]) * 16 + x[2] * 8 + x[3] * 4 + x[4] * 2 + x[5] + 1]
      for j = 0, 3 do f[s * 4 + j + 1] = band(rshift(v, 3 - j), 1) end
    end
    local next_r = {}
    for i = 1, 32 do next_r[i] = (l[i] ~= f[DES_P[i]]) and 1 or 0 end
    l, r = r, next_r
  end
  local joined = {}
  for i = 1, 32 do joined[i], joined[32 + i] = r[i], l[i] end
  return from_bits(permute(joined, DES_FP))
end

-- ECB over whole 8-byte blocks (TDDP pads with NULs, so there is no partial block).
local function des_ecb(data, key, decrypting)
  local keys, out = des_subkeys(key), {}
  for i = 1, #data - 7, 8 do out[#out + 1] = des_block(data:sub(i, i + 7), keys, decrypting) end
  return table.concat(out)
end

-------------------------------------------------------------------------------------------------
-- TDDP
-------------------------------------------------------------------------------------------------

local TDDP_REQUEST_PORT, TDDP_REPLY_PORT = 1040, 61000

local tddp = Proto("tddp", "TP-Link Device Debug Protocol")
local tddp_types = { [1] = "Set config", [2] = "Get config", [3] = "Special command", [4] = "Heartbeat",
  [7] = "Encrypted command" }
local tddp_codes = { [1] = "Request", [2] = "Reply" }
local tddp_fields = {
  version = ProtoField.uint8("tddp.version", "Version"),
  type = ProtoField.uint8("tddp.type", "Type", base.HEX, tddp_types),
  code = ProtoField.uint8("tddp.code", "Code", base.HEX, tddp_codes),
  status = ProtoField.uint8("tddp.status", "Status", base.HEX, nil, nil, "0 = ok; anything else is an error"),
  length = ProtoField.uint32("tddp.length", "Data length", base.DEC),
  id = ProtoField.uint16("tddp.id", "Id", base.DEC),
  subtype = ProtoField.uint8("tddp.subtype", "Subtype", base.HEX),
  reserved = ProtoField.uint8("tddp.reserved", "Reserved", base.HEX),
  digest = ProtoField.bytes("tddp.digest", "Digest"),
  digest_ok = ProtoField.bool("tddp.digest_ok", "Digest matches"),
  direction = ProtoField.string("tddp.direction", "Direction", base.ASCII, "request or reply (by port)"),
  data = ProtoField.bytes("tddp.data", "Data"),
  plaintext = ProtoField.string("tddp.plaintext", "Decrypted data", base.ASCII, "Data without its NUL padding"),
}
tddp.fields = tddp_fields

local tddp_experts = {
  short = ProtoExpert.new("tddp.short", "Packet shorter than the TDDP header", expert.group.MALFORMED,
    expert.severity.ERROR),
  bad_padding = ProtoExpert.new("tddp.length.not_blocks", "Encrypted data is not a whole number of 8-byte blocks",
    expert.group.MALFORMED, expert.severity.WARN),
  bad_digest = ProtoExpert.new("tddp.digest.mismatch",
    "Digest does not match: wrong username/password in the TDDP preferences, or a corrupt packet",
    expert.group.CHECKSUM, expert.severity.WARN),
  status = ProtoExpert.new("tddp.status.error", "The device reported an error status", expert.group.RESPONSE_CODE,
    expert.severity.NOTE),
}
tddp.experts = { tddp_experts.short, tddp_experts.bad_padding, tddp_experts.bad_digest, tddp_experts.status }

tddp.prefs.username = Pref.string("Username", "admin", "Device username; the DES key is MD5(username..password)[1..8]")
tddp.prefs.password = Pref.string("Password", "admin", "Device password")
tddp.prefs.key = Pref.string("DES key (hex)", "",
  "8-byte key as 16 hex digits; overrides username and password when set")

-- The key is derived again whenever the preferences differ from those it was derived from.
local tddp_key, tddp_key_source

local function current_tddp_key()
  local hex = (tddp.prefs.key or ""):gsub("[%s:]", "")
  local user, password = tddp.prefs.username or "", tddp.prefs.password or ""
  local source = hex .. "\0" .. user .. "\0" .. password
  if source ~= tddp_key_source then
    if #hex == 16 and not hex:find("%X") then
      tddp_key = hex:gsub("%x%x", function(pair) return string.char(tonumber(pair, 16)) end)
    else
      tddp_key = md5(user .. password):sub(1, 8)
    end
    tddp_key_source = source
  end
  return tddp_key
end

local function printable(text)
  return (text:gsub("[^\32-\126]", "."))
end

-- Drops the NUL padding (a loop: "\0" in patterns needs Lua 5.2+, "%z" is gone from 5.4's manual).
local function strip_nuls(text)
  local last = #text
  while last > 0 and text:byte(last) == 0 do last = last - 1 end
  return text:sub(1, last)
end

function tddp.dissector(tvb, pinfo, tree)
  if tvb:len() < 12 then return 0 end
  local version = tvb(0, 1):uint()
  if version ~= 1 and version ~= 2 then return 0 end
  local header_len = (version == 2) and 28 or 12
  pinfo.cols.protocol = "TDDP"
  local item = tree:add(tddp, tvb())
  if tvb:len() < header_len then
    item:add_proto_expert_info(tddp_experts.short)
    return tvb:len()
  end
  local direction = (pinfo.dst_port == TDDP_REQUEST_PORT) and "request" or "reply"
  item:add(tddp_fields.direction, direction):set_generated()
  item:add(tddp_fields.version, tvb(0, 1))
  item:add(tddp_fields.type, tvb(1, 1))
  item:add(tddp_fields.code, tvb(2, 1))
  local status = tvb(3, 1):uint()
  local status_item = item:add(tddp_fields.status, tvb(3, 1))
  if status ~= 0 then status_item:add_proto_expert_info(tddp_experts.status) end
  item:add(tddp_fields.length, tvb(4, 4))
  item:add(tddp_fields.id, tvb(8, 2))
  item:add(tddp_fields.subtype, tvb(10, 1))
  item:add(tddp_fields.reserved, tvb(11, 1))
  local digest_item
  if version == 2 then digest_item = item:add(tddp_fields.digest, tvb(12, 16)) end

  local info = string.format("%s %s, id %d, subtype 0x%02x", direction,
    tddp_types[tvb(1, 1):uint()] or string.format("type 0x%02x", tvb(1, 1):uint()), tvb(8, 2):uint(),
    tvb(10, 1):uint())
  if status ~= 0 then info = info .. string.format(", status 0x%02x", status) end

  local data_len = math.min(tvb(4, 4):uint(), tvb:len() - header_len)
  local padded = ""
  if data_len > 0 then
    local data = tvb(header_len, data_len)
    item:add(tddp_fields.data, data)
    local plain_range = data
    if version == 1 then
      padded = data:raw() -- v1 is not encrypted
    else
      if data_len % 8 ~= 0 then item:add_proto_expert_info(tddp_experts.bad_padding) end
      padded = des_ecb(data:raw(), current_tddp_key(), true)
      if #padded > 0 then plain_range = ByteArray.new(padded, true):tvb("Decrypted TDDP data")() end
    end
    local plain = strip_nuls(padded)
    item:add(tddp_fields.plaintext, plain_range, plain)
    info = info .. ': "' .. printable(plain) .. '"'
  end

  if version == 2 then
    -- The digest covers the first 12 header bytes, 16 zero bytes and the padded plaintext; some
    -- clients hash the ciphertext instead. Either is accepted, a mismatch is only reported.
    local head = tvb:raw(0, 12) .. string.rep("\0", 16)
    local digest = tvb:raw(12, 16)
    local ok = md5(head .. padded) == digest or (data_len > 0 and md5(head .. tvb:raw(header_len, data_len)) == digest)
    local ok_item = digest_item:add(tddp_fields.digest_ok, ok):set_generated()
    if not ok then ok_item:add_proto_expert_info(tddp_experts.bad_digest) end
  end
  pinfo.cols.info = info
  return tvb:len()
end

-------------------------------------------------------------------------------------------------
-- TDP: TP-Link's discovery on UDP 20002 (and 20004). A 16-byte big-endian header whose CRC-32 is
-- computed with 0x5A6B7C8D in its place, then JSON (the query's RSA key, the reply's device).
-------------------------------------------------------------------------------------------------

local tdp = Proto("tplink_tdp", "TP-Link Discovery Protocol (TDP)")
local tdp_fields = {
  version = ProtoField.uint8("tplink_tdp.version", "Version"),
  msg_type = ProtoField.uint8("tplink_tdp.msg_type", "Message type", base.HEX),
  op_code = ProtoField.uint16("tplink_tdp.op_code", "Op code", base.HEX),
  msg_size = ProtoField.uint16("tplink_tdp.msg_size", "Payload size", base.DEC),
  flags = ProtoField.uint8("tplink_tdp.flags", "Flags", base.HEX),
  reserved = ProtoField.uint8("tplink_tdp.reserved", "Reserved", base.HEX),
  serial = ProtoField.uint32("tplink_tdp.serial", "Serial", base.HEX),
  crc = ProtoField.uint32("tplink_tdp.crc", "CRC-32", base.HEX),
  crc_ok = ProtoField.bool("tplink_tdp.crc_ok", "CRC matches"),
  direction = ProtoField.string("tplink_tdp.direction", "Direction", base.ASCII, "request or reply (by port)"),
  text = ProtoField.string("tplink_tdp.text", "JSON text", base.ASCII),
}
tdp.fields = tdp_fields
local tdp_experts = {
  short = ProtoExpert.new("tplink_tdp.short", "Shorter than the 16-byte TDP header", expert.group.MALFORMED, expert.severity.ERROR),
  bad_crc = ProtoExpert.new("tplink_tdp.crc.bad", "The CRC does not match the packet", expert.group.CHECKSUM, expert.severity.WARN),
  size = ProtoExpert.new("tplink_tdp.msg_size.mismatch", "The payload size differs from the bytes that follow",
    expert.group.MALFORMED, expert.severity.WARN),
}
tdp.experts = { tdp_experts.short, tdp_experts.bad_crc, tdp_experts.size }

local TDP_PORTS = { [20002] = true, [20004] = true }

local crc_table = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do
    if band(c, 1) ~= 0 then c = bxor(tobit(0xEDB88320), rshift(c, 1)) else c = rshift(c, 1) end
  end
  crc_table[i] = c
end

-- CRC-32 (IEEE, as zlib) of a Lua string, as an unsigned number.
local function crc32(s)
  local c = tobit(0xFFFFFFFF)
  for i = 1, #s do
    c = bxor(crc_table[band(bxor(c, s:byte(i)), 0xFF)], rshift(c, 8))
  end
  return bnot(c) % 4294967296
end

function tdp.dissector(tvb, pinfo, tree)
  pinfo.cols.protocol = "TDP"
  local subtree = tree:add(tdp, tvb(), "TP-Link Discovery Protocol")
  local direction = TDP_PORTS[pinfo.dst_port] and "request" or "reply"
  subtree:add(tdp_fields.direction, direction):set_generated()
  if tvb:len() < 16 then
    subtree:add_proto_expert_info(tdp_experts.short)
    pinfo.cols.info = "TDP " .. direction .. " (too short)"
    return tvb:len()
  end
  subtree:add(tdp_fields.version, tvb(0, 1))
  subtree:add(tdp_fields.msg_type, tvb(1, 1))
  subtree:add(tdp_fields.op_code, tvb(2, 2))
  local size_item = subtree:add(tdp_fields.msg_size, tvb(4, 2))
  subtree:add(tdp_fields.flags, tvb(6, 1))
  subtree:add(tdp_fields.reserved, tvb(7, 1))
  subtree:add(tdp_fields.serial, tvb(8, 4))
  local crc_item = subtree:add(tdp_fields.crc, tvb(12, 4))
  local body = tvb:len() > 16 and tvb(16):raw() or ""
  local ok = crc32(tvb(0, 12):raw() .. string.char(0x5A, 0x6B, 0x7C, 0x8D) .. body) == tvb(12, 4):uint()
  subtree:add(tdp_fields.crc_ok, ok):set_generated()
  if not ok then crc_item:add_proto_expert_info(tdp_experts.bad_crc) end
  if tvb(4, 2):uint() ~= #body then size_item:add_proto_expert_info(tdp_experts.size) end
  local info = "TDP " .. direction
  if #body > 0 then
    subtree:add(tdp_fields.text, tvb(16))
    if body:byte(1) == 123 and json_dissector ~= nil then json_dissector:call(tvb(16):tvb(), pinfo, subtree) end
    local model = body:match('"device_model"%s*:%s*"([^"]*)"')
    local scheme = body:match('"encrypt_type"%s*:%s*"([^"]*)"')
    if model ~= nil then info = info .. " " .. model end
    if scheme ~= nil then info = info .. " (" .. scheme .. ")" end
  end
  pinfo.cols.protocol = "TDP"
  pinfo.cols.info = info
  return tvb:len()
end

-------------------------------------------------------------------------------------------------
-- KLAP and AES over HTTP (port 80): Wireshark's HTTP dissector parses them; this post-dissector
-- names each step, by path (KLAP) or the JSON "method" (AES). The bodies are encrypted with
-- keys made per session, which no capture shows: they are labelled, not decrypted.
-------------------------------------------------------------------------------------------------

local tphttp = Proto("tplink_http", "TP-Link KLAP/AES over HTTP")
local tphttp_fields = {
  protocol = ProtoField.string("tplink_http.protocol", "Protocol", base.ASCII, "klap or aes"),
  step = ProtoField.string("tplink_http.step", "Step", base.ASCII, "handshake1, handshake2, request; handshake, login_device, securePassthrough"),
  seq = ProtoField.int32("tplink_http.seq", "KLAP sequence number", base.DEC),
  direction = ProtoField.string("tplink_http.direction", "Direction", base.ASCII),
  note = ProtoField.string("tplink_http.note", "Note", base.ASCII),
}
tphttp.fields = tphttp_fields

local http_uri = Field.new("http.request.uri")
local http_code = Field.new("http.response.code")
local http_request_in = Field.new("http.request_in")
local http_file_data = Field.new("http.file_data")

local ENCRYPTED = "encrypted per session: cannot be decoded without the session keys"
local http_steps = {} -- request frame number -> { protocol, step }

local function label_request(uri, body)
  local path, query = uri:match("^([^?]*)%??(.*)$")
  if path == "/app/handshake1" then return { protocol = "klap", step = "handshake1" } end
  if path == "/app/handshake2" then return { protocol = "klap", step = "handshake2" } end
  if path == "/app/request" then
    return { protocol = "klap", step = "request", seq = tonumber(query:match("seq=(%-?%d+)")) }
  end
  if path == "/app" and body ~= nil then
    local method = body:match('^%s*{.-"method"%s*:%s*"([^"]*)"')
    if method ~= nil then return { protocol = "aes", step = method } end
  end
  return nil
end

local function note_of(label, direction)
  if label.protocol == "klap" then
    if label.step == "handshake1" then
      return direction == "request" and "KLAP handshake1: the client seed (16 bytes)"
        or "KLAP handshake1: the device seed (16 bytes) and the hash proving its account (32)"
    elseif label.step == "handshake2" then
      return direction == "request" and "KLAP handshake2: the client proves the account (32-byte hash)"
        or "KLAP handshake2: the device accepts (200) or refuses the proof"
    end
    return "KLAP " .. direction .. ": a 32-byte signature, then AES ciphertext, " .. ENCRYPTED
  end
  if label.step == "handshake" then
    return direction == "request" and "AES handshake: the client's RSA public key"
      or "AES handshake: the session key and IV, RSA-encrypted to the client"
  elseif label.step == "securePassthrough" then
    return "AES securePassthrough: the SMART request or reply (a login_device or any other) is inside, " .. ENCRYPTED
  end
  return "AES " .. label.step
end

function tphttp.dissector(tvb, pinfo, tree)
  local uri, code = http_uri(), http_code()
  local label, direction
  if uri ~= nil then
    local data = http_file_data()
    label = label_request(uri.value, data ~= nil and tostring(data.value) or nil)
    direction = "request"
    if label ~= nil then http_steps[pinfo.number] = label end
  elseif code ~= nil then
    local request_in = http_request_in()
    label = request_in ~= nil and http_steps[request_in.value] or nil
    direction = "reply"
  end
  if label == nil then return end
  local subtree = tree:add(tphttp, "TP-Link " .. string.upper(label.protocol) .. " " .. label.step)
  subtree:add(tphttp_fields.protocol, label.protocol):set_generated()
  subtree:add(tphttp_fields.step, label.step):set_generated()
  if label.seq ~= nil then subtree:add(tphttp_fields.seq, label.seq):set_generated() end
  subtree:add(tphttp_fields.direction, direction):set_generated()
  subtree:add(tphttp_fields.note, note_of(label, direction)):set_generated()
  pinfo.cols.protocol = string.upper(label.protocol)
  pinfo.cols.info = string.upper(label.protocol) .. " " .. label.step .. " " .. direction
    .. (label.seq ~= nil and (" seq=" .. label.seq) or "")
end

-------------------------------------------------------------------------------------------------
-- Registration: the Lua "kasa" dissector takes port 9999 over Wireshark's built-in
-- tplink-smarthome dissector (which shows only the length and the decrypted text).
-------------------------------------------------------------------------------------------------

local registered_port
local function register_kasa_port()
  local tcp_table, udp_table = DissectorTable.get("tcp.port"), DissectorTable.get("udp.port")
  if registered_port ~= nil then
    tcp_table:remove(registered_port, kasa)
    udp_table:remove(registered_port, kasa)
  end
  registered_port = kasa.prefs.port
  tcp_table:add(registered_port, kasa)
  udp_table:add(registered_port, kasa)
end
register_kasa_port()
function kasa.prefs_changed()
  if registered_port ~= kasa.prefs.port then register_kasa_port() end
end

DissectorTable.get("udp.port"):add(TDDP_REQUEST_PORT, tddp)
DissectorTable.get("udp.port"):add(TDDP_REPLY_PORT, tddp)
for port in pairs(TDP_PORTS) do DissectorTable.get("udp.port"):add(port, tdp) end
register_postdissector(tphttp)
