// Result<T, E>: the one error-carrying return type of gpuos (vk-bootstrap style).
//
// Every subsystem defines its own error enum (VkError, SessionError, ...) and
// returns Result<T, ThatEnum>. An Error carries the enum value plus a
// human-readable detail string, so a failure reaching the CLI can be printed as
// is. No exception crosses a service loop; Result is how failures travel.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace gpuos {

template <typename Code>
struct Error {
  Code code;
  std::string detail;
};

template <typename T, typename Code>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error<Code> err) : v_(std::move(err)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }

  const Error<Code>& error() const { return std::get<1>(v_); }
  Code code() const { return error().code; }
  const std::string& detail() const { return error().detail; }

 private:
  std::variant<T, Error<Code>> v_;
};

// Result<void, E>: success carries nothing.
template <typename Code>
class [[nodiscard]] Result<void, Code> {
 public:
  Result() = default;
  Result(Error<Code> err) : err_(std::move(err)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error<Code>& error() const { return err_; }
  Code code() const { return err_.code; }
  const std::string& detail() const { return err_.detail; }

 private:
  Error<Code> err_{};
  bool ok_ = true;
};

template <typename Code>
Error<Code> fail(Code code, std::string detail) {
  return Error<Code>{code, std::move(detail)};
}

}  // namespace gpuos
