#include "crawler/address_policy.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <memory>

namespace nianbao::crawler {

namespace {

// An IPv6 address; an IPv4 address is held as its IPv4-mapped form (::ffff:a.b.c.d), so that
// one table classes both families and a mapped address gets the class of its IPv4 address.
using Bytes = std::array<uint8_t, 16>;

struct Prefix {
  Bytes bytes;
  int bits;  // of the 128 of `bytes`
  AddressClass cls;
};

constexpr Prefix V4(uint8_t a, uint8_t b, int bits, AddressClass cls) {
  return {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, 0, 0}, 96 + bits, cls};
}
constexpr Prefix V6(uint8_t first, uint8_t second, int bits, AddressClass cls) {
  return {{first, second}, bits, cls};
}

// Every address that is not public. The prefixes do not overlap, so the order is free; an
// address no row matches is public.
constexpr std::array<Prefix, 15> kPrefixes = {{
    V4(0, 0, 8, AddressClass::kUnspecified),     // 0.0.0.0/8 "this network"
    V4(10, 0, 8, AddressClass::kPrivate),        // RFC 1918
    V4(100, 64, 10, AddressClass::kPrivate),     // RFC 6598 carrier-grade NAT (see the header)
    V4(127, 0, 8, AddressClass::kLoopback),      //
    V4(169, 254, 16, AddressClass::kLinkLocal),  // cloud metadata services live here
    V4(172, 16, 12, AddressClass::kPrivate),     // RFC 1918
    V4(192, 168, 16, AddressClass::kPrivate),    // RFC 1918
    V4(224, 0, 4, AddressClass::kMulticast),     //
    // Reserved ("future use", with the limited broadcast 255.255.255.255): no host of the
    // Internet has one, so nothing a portal could name there is public.
    V4(240, 0, 4, AddressClass::kUnspecified),
    {{}, 128, AddressClass::kUnspecified},                                             // ::
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, AddressClass::kLoopback},  // ::1
    V6(0xfc, 0x00, 7, AddressClass::kPrivate),     // unique local addresses
    V6(0xfe, 0xc0, 10, AddressClass::kPrivate),    // site-local (deprecated, private in use)
    V6(0xfe, 0x80, 10, AddressClass::kLinkLocal),  //
    V6(0xff, 0x00, 8, AddressClass::kMulticast),   //
}};

bool Matches(const Bytes& address, const Prefix& p) {
  int whole = p.bits / 8;
  if (std::memcmp(address.data(), p.bytes.data(), static_cast<size_t>(whole)) != 0) return false;
  int rest = p.bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (address[static_cast<size_t>(whole)] & mask) ==
         (p.bytes[static_cast<size_t>(whole)] & mask);
}

AddressClass Classify(const Bytes& address) {
  for (const Prefix& p : kPrefixes) {
    if (Matches(address, p)) return p.cls;
  }
  return AddressClass::kPublic;
}

Bytes Mapped(const in_addr& v4) {
  Bytes b{};
  b[10] = 0xff;
  b[11] = 0xff;
  std::memcpy(&b[12], &v4.s_addr, 4);  // network order, as written
  return b;
}

}  // namespace

std::string_view AddressClassName(AddressClass c) {
  static constexpr std::array<std::string_view, 6> kNames = {
      "public", "loopback", "private", "link_local", "multicast", "unspecified"};
  return kNames[static_cast<size_t>(c)];
}

AddressClass ClassifyAddress(const sockaddr* address, socklen_t length) noexcept {
  if (address == nullptr) return AddressClass::kUnspecified;
  if (address->sa_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in v4;
    std::memcpy(&v4, address, sizeof v4);
    return Classify(Mapped(v4.sin_addr));
  }
  if (address->sa_family == AF_INET6 && length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 v6;
    std::memcpy(&v6, address, sizeof v6);
    Bytes b;
    std::memcpy(b.data(), v6.sin6_addr.s6_addr, 16);
    return Classify(b);
  }
  return AddressClass::kUnspecified;
}

std::optional<AddressClass> ClassifyAddressText(std::string_view text) noexcept {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  // Copied to a terminated buffer of its own: no allocation, for libcurl's callbacks.
  std::array<char, INET6_ADDRSTRLEN + 1> s{};
  if (text.empty() || text.size() >= s.size()) return std::nullopt;
  std::memcpy(s.data(), text.data(), text.size());
  in_addr v4{};
  if (inet_pton(AF_INET, s.data(), &v4) == 1) return Classify(Mapped(v4));
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.data(), &v6) == 1) {
    Bytes b;
    std::memcpy(b.data(), v6.s6_addr, 16);
    return Classify(b);
  }
  return std::nullopt;
}

std::optional<AddressClass> UrlHostClass(std::string_view url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), &curl_url_cleanup);
  if (u == nullptr) return std::nullopt;
  const std::string text(url);
  if (curl_url_set(u.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) return std::nullopt;
  char* host = nullptr;
  if (curl_url_get(u.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK || host == nullptr) {
    return std::nullopt;
  }
  std::string h(host);
  curl_free(host);
  // A name is not resolved here: it stands for the public Internet.
  return ClassifyAddressText(h).value_or(AddressClass::kPublic);
}

AddressMask AllowedAddresses(const std::vector<std::string>& entry_urls, bool allow_private) {
  if (allow_private) return kAnyAddress;
  AddressMask mask = kPublicAddresses;
  for (const std::string& url : entry_urls) {
    if (auto c = UrlHostClass(url)) mask |= MaskOf(*c);
  }
  return mask;
}

void AddressText(const sockaddr* address, socklen_t length, char* out, size_t out_size) noexcept {
  if (out_size == 0) return;
  out[0] = '\0';
  if (address == nullptr) return;
  const auto size = static_cast<socklen_t>(out_size);
  if (address->sa_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in v4;
    std::memcpy(&v4, address, sizeof v4);
    if (inet_ntop(AF_INET, &v4.sin_addr, out, size) == nullptr) out[0] = '\0';
  } else if (address->sa_family == AF_INET6 &&
             length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 v6;
    std::memcpy(&v6, address, sizeof v6);
    if (inet_ntop(AF_INET6, &v6.sin6_addr, out, size) == nullptr) out[0] = '\0';
  }
}

}  // namespace nianbao::crawler
