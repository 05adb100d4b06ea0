// wordfreq: word frequencies, the C++ app of the suites (C++17, the standard
// library only: libc++ in the WebAssembly build, libstdc++ natively).
//
//   wordfreq [-n N] [-f text|csv|json] [-i] [FILE...]
//
// Reads the files (or stdin, or `-`), splits them into words (runs of ASCII
// letters, digits and apostrophes), and prints the N most frequent (default
// 10; 0 for all), most frequent first and ties in byte order, then a summary
// line. -i folds ASCII case. -f picks the report: aligned text (default),
// CSV, or a JSON object. Exit 0; 1 if a file cannot be opened (the others are
// still counted); 2 on a bad option.
//
// What it exercises, on purpose: std::string, std::vector, std::map,
// std::unordered_map, std::set, std::unique_ptr, std::sort with a lambda,
// iostreams (std::ifstream, std::cin, std::cout),
// a class hierarchy called through virtual functions, a template, static
// constructors, and exceptions switched off (wasm32-wasi has none).
// The output depends on nothing but the input, so the native and the
// WebAssembly builds print the same bytes.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

struct Entry {
  std::string word;
  long count;
};

// What was counted; a report formats it.
struct Tally {
  std::vector<Entry> top;        // the N most frequent, in report order
  long words = 0;                // every word read
  long distinct = 0;             // distinct words
  std::set<size_t> lengths;      // distinct word lengths (the summary's range)
  std::map<char, long> initials; // words per first character
};

// A report: one subclass per output format, chosen at run time.
class Report {
 public:
  virtual ~Report() = default;
  virtual std::string name() const = 0;
  virtual void header(std::ostream&) const {}
  virtual void row(std::ostream& out, size_t rank, const Entry& e) const = 0;
  virtual void footer(std::ostream& out, const Tally& t) const = 0;

  void print(std::ostream& out, const Tally& t) const {
    header(out);
    for (size_t i = 0; i < t.top.size(); ++i) row(out, i + 1, t.top[i]);
    footer(out, t);
  }
};

std::string range_text(const Tally& t) {
  if (t.lengths.empty()) return "none";
  return std::to_string(*t.lengths.begin()) + ".." + std::to_string(*t.lengths.rbegin());
}

// `text` padded with spaces to `width` columns, on the left or the right.
std::string pad(const std::string& text, size_t width, bool left) {
  const std::string fill(text.size() < width ? width - text.size() : 0, ' ');
  return left ? text + fill : fill + text;
}

class TextReport : public Report {
 public:
  explicit TextReport(size_t width) : width_(width) {}
  std::string name() const override { return "text"; }
  void row(std::ostream& out, size_t rank, const Entry& e) const override {
    out << pad(std::to_string(rank), 4, false) << "  " << pad(e.word, width_, true)
        << pad(std::to_string(e.count), 8, false) << '\n';
  }
  void footer(std::ostream& out, const Tally& t) const override {
    out << t.words << " words, " << t.distinct << " distinct, lengths " << range_text(t) << '\n';
    out << "most common initial: ";
    auto best = std::max_element(t.initials.begin(), t.initials.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    if (best == t.initials.end()) {
      out << "none\n";
    } else {
      out << best->first << " (" << best->second << ")\n";
    }
  }

 private:
  size_t width_;
};

class CsvReport : public Report {
 public:
  std::string name() const override { return "csv"; }
  void header(std::ostream& out) const override { out << "rank,word,count\n"; }
  void row(std::ostream& out, size_t rank, const Entry& e) const override {
    // Words hold no comma or quote, so no field needs quoting.
    out << rank << ',' << e.word << ',' << e.count << '\n';
  }
  void footer(std::ostream& out, const Tally& t) const override {
    out << "total,," << t.words << '\n';
  }
};

class JsonReport : public Report {
 public:
  std::string name() const override { return "json"; }
  void header(std::ostream& out) const override { out << "{\"top\": ["; }
  void row(std::ostream& out, size_t rank, const Entry& e) const override {
    out << (rank == 1 ? "" : ", ") << "{\"word\": \"" << e.word << "\", \"count\": " << e.count << '}';
  }
  void footer(std::ostream& out, const Tally& t) const override {
    out << "], \"words\": " << t.words << ", \"distinct\": " << t.distinct << "}\n";
  }
};

// A factory table, built by a static constructor: the C++ runtime must run it
// before main.
using Maker = std::unique_ptr<Report> (*)(size_t width);
const std::map<std::string, Maker> kReports = {
    {"text", [](size_t w) -> std::unique_ptr<Report> { return std::make_unique<TextReport>(w); }},
    {"csv", [](size_t) -> std::unique_ptr<Report> { return std::make_unique<CsvReport>(); }},
    {"json", [](size_t) -> std::unique_ptr<Report> { return std::make_unique<JsonReport>(); }},
};

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '\'';
}

// Splits a stream into words and counts them into any map-like container.
template <typename Counts>
long count_words(std::istream& in, bool fold, Counts& counts) {
  long n = 0;
  std::string line, word;
  while (std::getline(in, line)) {
    line.push_back(' ');
    for (char c : line) {
      if (is_word_char(c)) {
        word.push_back(fold ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c);
      } else if (!word.empty()) {
        ++counts[word];
        ++n;
        word.clear();
      }
    }
  }
  return n;
}

int usage() {
  std::cerr << "usage: wordfreq [-n N] [-f text|csv|json] [-i] [FILE...]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  long limit = 10;
  std::string format = "text";
  bool fold = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-n" && i + 1 < argc) {
      char* end = nullptr;
      limit = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || limit < 0) return usage();
    } else if (a == "-f" && i + 1 < argc) {
      format = argv[++i];
      if (kReports.count(format) == 0) return usage();
    } else if (a == "-i") {
      fold = true;
    } else if (a.size() > 1 && a[0] == '-') {
      return usage();
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) files.push_back("-");

  std::unordered_map<std::string, long> counts;
  long words = 0;
  int status = 0;
  for (const std::string& f : files) {
    if (f == "-") {
      words += count_words(std::cin, fold, counts);
      continue;
    }
    std::ifstream in(f);
    if (!in) {
      std::cerr << "wordfreq: " << f << ": cannot open\n";
      status = 1;
      continue;
    }
    words += count_words(in, fold, counts);
  }

  Tally t;
  t.words = words;
  t.distinct = static_cast<long>(counts.size());
  std::vector<Entry> all;
  all.reserve(counts.size());
  size_t width = 4;
  for (const auto& [w, n] : counts) {
    all.push_back({w, n});
    t.lengths.insert(w.size());
    t.initials[w[0]] += n;
  }
  std::sort(all.begin(), all.end(), [](const Entry& a, const Entry& b) {
    return a.count != b.count ? a.count > b.count : a.word < b.word;
  });
  if (limit > 0 && all.size() > static_cast<size_t>(limit)) all.resize(static_cast<size_t>(limit));
  for (const Entry& e : all) width = std::max(width, e.word.size());
  t.top = std::move(all);

  const std::unique_ptr<Report> report = kReports.at(format)(width);
  report->print(std::cout, t);
  std::cout.flush();
  return status;
}
