// Alkane ids and u128 values, as blocks and contracts write them.
//
// alkanes numbers are u128: an id is two of them, (block, tx), written
// "block:tx" in block files; values (transfers, opcodes) are decimal
// strings there, and little-endian 16-byte words inside a contract's
// context and response (../shared/alkanes/README.md).
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace gpuos::contracts {

using u128 = unsigned __int128;

struct AlkaneId {
  u128 block = 0;
  u128 tx = 0;
  auto operator<=>(const AlkaneId&) const = default;
};

// "0".."340282366920938463463374607431768211455"; no sign, no spaces, no
// leading '+'. Leading zeros are accepted.
std::optional<u128> parse_u128(std::string_view decimal);
std::string to_string(u128 v);

// "block:tx", each a parse_u128 number.
std::optional<AlkaneId> parse_alkane_id(std::string_view text);
std::string to_string(const AlkaneId& id);

}  // namespace gpuos::contracts
