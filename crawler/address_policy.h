// The address policy of fetches: the class of an IP address (loopback, private, link-local,
// multicast, unspecified or public) and the classes a source's fetches may connect to.
//
// Why it exists: the crawler follows links and redirects that thousands of remote servers
// choose. Without a check made after name resolution, a page (or a host name that resolves to
// 127.0.0.1) could make it fetch the machine's own network: the metrics listener, a cloud
// metadata service on 169.254.169.254, an intranet 10.x host. CurlFetcher checks every
// connection libcurl opens, and every request before it is sent, against the request's
// AddressMask (crawler/curl_fetcher.cc); the crawler derives the mask from the source with
// AllowedAddresses() (docs/sources.md, "Address policy").
//
// The classes are one table of prefixes (address_policy.cc). 100.64.0.0/10 (carrier-grade NAT,
// RFC 6598) is classed private: like RFC 1918 space it is not reachable from the Internet, only
// from inside a provider's network. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) has the class
// of its IPv4 address.
//
// Pure: no I/O, no name resolution. Threading: safe from any thread; ClassifyAddress(),
// ClassifyAddressText() and AddressText() neither allocate nor throw, so libcurl's callbacks may
// call them. Owner: none (free functions and values).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nianbao::crawler {

enum class AddressClass : uint8_t {
  kPublic,
  kLoopback,     // 127.0.0.0/8, ::1
  kPrivate,      // 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, fec0::/10
  kLinkLocal,    // 169.254/16, fe80::/10
  kMulticast,    // 224/4, ff00::/8
  kUnspecified,  // 0.0.0.0/8, ::, reserved 240/4 (and 255.255.255.255), other families
};

// "public", "loopback", "private", "link_local", "multicast", "unspecified".
std::string_view AddressClassName(AddressClass c);

// A set of classes: bit (1 << class).
using AddressMask = uint8_t;
constexpr AddressMask MaskOf(AddressClass c) {
  return static_cast<AddressMask>(1u << static_cast<unsigned>(c));
}
inline constexpr AddressMask kAnyAddress = 0x3f;  // every class: no policy
inline constexpr AddressMask kPublicAddresses = MaskOf(AddressClass::kPublic);

constexpr bool AddressAllowed(AddressMask mask, AddressClass c) { return (mask & MaskOf(c)) != 0; }

// The class of a socket address (AF_INET or AF_INET6; any other family is kUnspecified).
AddressClass ClassifyAddress(const sockaddr* address, socklen_t length) noexcept;

// The class of an IP literal ("10.1.2.3", "::1", "[::1]"); nullopt when `text` is not one.
// Neither allocates nor throws.
std::optional<AddressClass> ClassifyAddressText(std::string_view text) noexcept;

// The class a URL's host stands for in the policy: an IP literal has its own class; a name
// counts as public (nothing is resolved here: a deployment that crawls an intranet by names
// sets allow_private_addresses). nullopt when `url` has no host libcurl can read.
std::optional<AddressClass> UrlHostClass(std::string_view url);

// The classes a source's fetches may connect to: every class when `allow_private` is set, else
// public and the classes of the hosts of its own entry URLs (and portal URL). A source whose
// entry is http://127.0.0.1:8080/ may thus follow links to 127.0.0.2, not to 10.0.0.1.
AddressMask AllowedAddresses(const std::vector<std::string>& entry_urls, bool allow_private);

// "a.b.c.d" or the IPv6 text of a socket address, "" for another family. Never throws
// (returns into the caller's buffer): for the open-socket callback.
void AddressText(const sockaddr* address, socklen_t length, char* out, size_t out_size) noexcept;

}  // namespace nianbao::crawler
