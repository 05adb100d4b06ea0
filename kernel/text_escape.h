// text_escape.h: guest text made safe for a terminal (header-only, so the
// CLI, the loader and the daemon can all use it).
//
// What a guest writes (its stdout in `tail`, its program and function
// names in `ps`, `wait` and error messages) reaches the user's terminal. A
// terminal obeys escape sequences: a guest could set the window title, move
// the cursor to overwrite earlier lines, or (on some terminals) answer back
// into the shell's input. escape_text() shows every byte that could act as
// a visible escape, and keeps the rest, valid UTF-8 included, as written:
//   - C0 controls and DEL as \xNN (ESC is \x1b), except tab; newline and
//     carriage return as \n and \r (newline kept if keep_newlines);
//   - C1 controls (U+0080..U+009F, 8-bit CSI and friends) and the Unicode
//     bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069,
//     "Trojan Source") and line/paragraph separators as \uXXXX;
//   - bytes that are not well-formed UTF-8 as \xNN.
// Backslashes stay as they are, so the output is readable rather than
// reversible; `--raw` and `--json` give the exact bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gpuos {

namespace escape_detail {

// Length of the well-formed UTF-8 sequence at s[i] (2..4) and its code
// point, or 0 if there is none (RFC 3629: shortest form, no surrogates).
inline int utf8_sequence(std::string_view s, size_t i, uint32_t& cp) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(i);
  int n;
  uint32_t min;
  if (c >= 0xc2 && c <= 0xdf) n = 2, cp = c & 0x1f, min = 0x80;
  else if (c >= 0xe0 && c <= 0xef) n = 3, cp = c & 0x0f, min = 0x800;
  else if (c >= 0xf0 && c <= 0xf4) n = 4, cp = c & 0x07, min = 0x10000;
  else return 0;
  if (i + n > s.size()) return 0;
  for (int k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

inline bool is_format_control(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
         cp == 0x2028 || cp == 0x2029;
}

}  // namespace escape_detail

inline std::string escape_text(std::string_view s, bool keep_newlines = false) {
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (c == '\t' || (c == '\n' && keep_newlines)) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (c == '\n') {
      out += "\\n";
      ++i;
    } else if (c == '\r') {
      out += "\\r";
      ++i;
    } else if (c < 0x80) {  // other C0 controls, DEL
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
      ++i;
    } else {
      uint32_t cp = 0;
      const int n = escape_detail::utf8_sequence(s, i, cp);
      if (n == 0) {  // not UTF-8: the byte itself
        out += "\\x";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
        ++i;
      } else if (escape_detail::is_format_control(cp)) {
        out += "\\u";
        for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(cp >> shift) & 15]);
        i += static_cast<size_t>(n);
      } else {
        out.append(s.substr(i, static_cast<size_t>(n)));
        i += static_cast<size_t>(n);
      }
    }
  }
  return out;
}

}  // namespace gpuos
