// For the response builder's tests: build a response from request text, and read a response
// back independently of the builder's code, checking the framing every response must have.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sipring/sip_response.h"

namespace sipring::test {

std::span<const uint8_t> bytes(std::string_view s);

struct Built {
  ResponseError error;
  std::string text;
};

// build_response into a 4096-byte buffer; on an error, checks that nothing was reported written.
Built build(std::string_view request, int code = 200, std::string_view reason = "OK");

// An independent reading of a response, written without the builder's helpers.
struct Parsed {
  std::string start_line;
  std::vector<std::pair<std::string, std::string>> headers;  // name, value as written

  std::vector<std::string> all(const std::string& name) const;
  // The value of the header `name`, which must appear exactly once.
  std::string one(const std::string& name) const;
};

// Checks the framing every response must have and splits it into lines; fails the test otherwise.
Parsed parse_response(const std::string& text);

// Whether `s` is 16 lower-case hex digits, as the builder's To tags are.
bool is_hex_tag(std::string_view s);

// Returns what follows ";tag=" in a To value the builder extended.
std::string added_tag(const std::string& to, const std::string& original);

// An INVITE with the given To value and the other fields the builder needs.
std::string request_with(std::string_view to, std::string_view call_id = "call-1",
                         std::string_view from_tag = "ft1", std::string_view cseq = "5 INVITE",
                         std::string_view branch = "z9hG4bK1");

// The To value of the response to `request`, which must build.
std::string to_of(const std::string& request);

// An OPTIONS request made of the given header lines (each with its CRLF) and the blank line.
std::string minimal_request(std::string_view via, std::string_view from, std::string_view to,
                            std::string_view call_id, std::string_view cseq);

// `request` without its first occurrence of `line`, which must be there.
std::string without(std::string_view request, std::string_view line);

// A typical OPTIONS request with every field the builder needs.
inline constexpr std::string_view kOptionsRequest =
    "OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TLS pc33.atlanta.example.com:5061;branch=z9hG4bKhjhs8ass877\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:carol@chicago.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 63104 OPTIONS\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "Accept: application/sdp\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

}  // namespace sipring::test
