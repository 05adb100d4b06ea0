// The envelope every `--json` document shares (docs/cli.md, "--json output").
//
//   - Each document is one line on stdout: a JSON object with "schema"
//     (control::JSON_SCHEMA) and "ok". Streams (tail, logs) print one per
//     line, all alike.
//   - A verb that fails under --json still says why on stderr, one line as
//     always, and its last stdout line is
//       {"schema":1,"ok":false,"error":"<the same text>","exit_code":N}
//     with N the status gpuos exits with.
//
// So a script reads the last line to learn the outcome and never has to
// parse stderr. Verbs print through print_json and report failures through
// report_error; main() switches the envelope on for a verb given --json
// and calls finish_json with the exit status.
#pragma once

#include <nlohmann/json.hpp>

namespace gpuos::cli {

// main: the verb was given --json.
void set_json_output(bool on);

// Prints `doc` as one line, with "schema" and "ok": true added where it has
// none. Invalid UTF-8 in strings is replaced, never an exception.
void print_json(nlohmann::json doc);

// `gpuos: <message>` on stderr, as fprintf(stderr, fmt, ...) would print
// it (fmt starts with "gpuos: " and ends with "\n"), and the message kept
// for the --json error line. Returns 0 so that `return report_error(...),
// CODE;` reads as one statement.
[[gnu::format(printf, 1, 2)]] int report_error(const char* fmt, ...);

// main, on the way out: under --json, a verb that reported an error ends
// with the error line. A verb may call it first with `extra`, fields of its
// own for that line (with "error" of its own where it reported none); the
// line is then not printed twice. Nothing is printed for exit status 0.
// Returns `exit_code`.
int finish_json(int exit_code, const nlohmann::json& extra = nlohmann::json::object());

}  // namespace gpuos::cli
