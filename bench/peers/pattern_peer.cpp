// Native peers for bench/pattern_report.ts: Hyperscan (block mode), RE2::Set and
// std::unordered_set<std::string>, on the pattern and query files the report writes.
//
//   pattern_peer globs    REGEX_FILE QUERY_FILE [MIN_SECONDS [ENGINE]] -> Hyperscan and RE2::Set
//   pattern_peer literals KEY_FILE   QUERY_FILE [MIN_SECONDS]            -> std::unordered_set
//
// Literals are measured three ways: prebuilt std::string queries (`unordered-set`), each query
// cut afresh from one text buffer into a new std::string inside the timed loop as mxy's and the
// Map's "fresh" strings are (`unordered-set-fresh`), and each query looked up where it lies in
// that buffer as a std::string_view through C++20 heterogeneous lookup, no string made
// (`unordered-set-view`, the peer of mxy's span lookup).
//
// ENGINE (`hyperscan` or `re2-set`) runs that engine alone (RE2::Set takes minutes to compile
// 100,000 patterns).
//
// REGEX_FILE holds one anchored regular expression per line (the report translates each glob);
// QUERY_FILE one query per line. Prints one JSON object per engine on its own line:
//   {"engine":"hyperscan","queries":N,"matches":M,"qps":Q,"cpuQps":Q2,"seconds":S}
// where matches counts (query, pattern) pairs over one pass of the queries, so the count can be
// compared with mxy's. An engine that cannot compile the set prints {"engine":…,"error":"…"}.
#include <sys/stat.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <hs/hs.h>
#include <re2/re2.h>
#include <re2/set.h>

static std::vector<std::string> read_lines(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path);
    std::exit(2);
  }
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

static std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if ((unsigned char)c < 0x20) {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

static double now_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// CPU time of this thread: on a shared machine, the rate per CPU-second does not count the
// time other processes hold the core (the report compares it with mxy's own).
static double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// Runs `pass` (one pass over all queries, returning the matches) until min_seconds have passed.
template <typename F>
static void measure(const char* engine, size_t queries, double min_seconds, F pass) {
  long long matches = pass();  // warm-up pass, and the count reported
  long long passes = 0;
  double start = now_seconds(), elapsed = 0, cpu0 = cpu_seconds();
  do {
    long long m = pass();
    if (m != matches) {
      std::printf("{\"engine\":\"%s\",\"error\":\"match count changed between passes\"}\n", engine);
      return;
    }
    passes++;
    elapsed = now_seconds() - start;
  } while (elapsed < min_seconds);
  double qps = (double)passes * (double)queries / elapsed;
  double cpu_qps = (double)passes * (double)queries / (cpu_seconds() - cpu0);
  std::printf("{\"engine\":\"%s\",\"queries\":%zu,\"matches\":%lld,\"qps\":%.0f,"
              "\"cpuQps\":%.0f,\"seconds\":%.3f}\n",
              engine, queries, matches, qps, cpu_qps, elapsed);
  std::fflush(stdout);
}

static int on_match(unsigned int, unsigned long long, unsigned long long, unsigned int, void* ctx) {
  (*(long long*)ctx)++;
  return 0;
}

static hs_database_t* compile_hyperscan(const std::vector<std::string>& regexes, bool caseless);

// The compiled database is kept beside the pattern file (PATTERNS.hsdb, or .hsdb-i caseless)
// and reused while it is newer than the patterns: 100,000 patterns take minutes to compile on a
// loaded machine, and the report runs the peer several times on the same patterns.
static hs_database_t* load_compiled(const std::string& path, const char* patterns) {
  struct stat db_st, src_st;
  if (stat(path.c_str(), &db_st) != 0 || stat(patterns, &src_st) != 0) return nullptr;
  if (db_st.st_mtime < src_st.st_mtime) return nullptr;
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  hs_database_t* db = nullptr;
  if (hs_deserialize_database(bytes.data(), bytes.size(), &db) != HS_SUCCESS) return nullptr;
  return db;
}

static void save_compiled(const std::string& path, const hs_database_t* db) {
  char* bytes = nullptr;
  size_t length = 0;
  if (hs_serialize_database(db, &bytes, &length) != HS_SUCCESS) return;
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(bytes, (std::streamsize)length);
  }
  std::rename(tmp.c_str(), path.c_str());
  std::free(bytes);
}

static void run_hyperscan(const std::vector<std::string>& regexes,
                          const std::vector<std::string>& queries, bool caseless,
                          double min_seconds, const char* patterns) {
  std::string cache = std::string(patterns) + (caseless ? ".hsdb-i" : ".hsdb");
  hs_database_t* db = load_compiled(cache, patterns);
  if (db == nullptr) {
    db = compile_hyperscan(regexes, caseless);
    if (db == nullptr) return;
    save_compiled(cache, db);
  }
  hs_scratch_t* scratch = nullptr;
  hs_alloc_scratch(db, &scratch);
  measure("hyperscan", queries.size(), min_seconds, [&]() {
    long long m = 0;
    for (const auto& q : queries) hs_scan(db, q.data(), (unsigned)q.size(), 0, scratch, on_match, &m);
    return m;
  });
  hs_free_scratch(scratch);
  hs_free_database(db);
}

static hs_database_t* compile_hyperscan(const std::vector<std::string>& regexes, bool caseless) {
  std::vector<const char*> exprs;
  std::vector<unsigned> flags, ids;
  for (size_t i = 0; i < regexes.size(); i++) {
    exprs.push_back(regexes[i].c_str());
    flags.push_back(HS_FLAG_DOTALL | HS_FLAG_SINGLEMATCH | (caseless ? HS_FLAG_CASELESS : 0));
    ids.push_back((unsigned)i);
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), (unsigned)exprs.size(), HS_MODE_BLOCK,
                       nullptr, &db, &err) != HS_SUCCESS) {
    std::printf("{\"engine\":\"hyperscan\",\"error\":\"%s (pattern %d)\"}\n",
                json_escape(err->message).c_str(), err->expression);
    hs_free_compile_error(err);
    return nullptr;
  }
  return db;
}

static void run_re2_set(const std::vector<std::string>& regexes,
                        const std::vector<std::string>& queries, bool caseless,
                        double min_seconds) {
  RE2::Options opt;
  opt.set_dot_nl(true);
  opt.set_case_sensitive(!caseless);
  opt.set_log_errors(false);
  opt.set_max_mem((int64_t)4 << 30);
  RE2::Set set(opt, RE2::ANCHOR_BOTH);
  for (const auto& r : regexes) {
    // the report's expressions carry ^…$ for Hyperscan; RE2::Set anchors itself
    std::string body = r;
    if (!body.empty() && body.front() == '^') body.erase(0, 1);
    if (!body.empty() && body.back() == '$') body.pop_back();
    std::string error;
    if (set.Add(body, &error) < 0) {
      std::printf("{\"engine\":\"re2-set\",\"error\":\"%s\"}\n", json_escape(error).c_str());
      return;
    }
  }
  if (!set.Compile()) {
    std::printf("{\"engine\":\"re2-set\",\"error\":\"compile failed (out of memory)\"}\n");
    return;
  }
  std::vector<int> hits;
  // RE2::Set's DFA thrashes its cache on some sets (a pass can take many minutes): a first pass
  // with a budget decides whether the set is measured at all.
  {
    const double budget = 20;
    double start = now_seconds();
    size_t done = 0;
    for (const auto& q : queries) {
      hits.clear();
      set.Match(q, &hits);
      done++;
      if ((done & 63) == 0 && now_seconds() - start > budget) {
        std::printf("{\"engine\":\"re2-set\",\"error\":\"gave up: %zu of %zu queries in %.0f s "
                    "(%.0f q/s)\"}\n",
                    done, queries.size(), budget, (double)done / (now_seconds() - start));
        std::fflush(stdout);
        return;
      }
    }
  }
  measure("re2-set", queries.size(), min_seconds, [&]() {
    long long m = 0;
    for (const auto& q : queries) {
      hits.clear();
      if (set.Match(q, &hits)) m += (long long)hits.size();
    }
    return m;
  });
}

// std::hash over string_view, marked transparent so that a set of std::string can be searched
// with a view (C++20); the same hash as std::hash<std::string>.
struct ViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

static void run_unordered_set(const std::vector<std::string>& keys,
                              const std::vector<std::string>& queries, double min_seconds) {
  std::unordered_set<std::string> set(keys.begin(), keys.end());
  measure("unordered-set", queries.size(), min_seconds, [&]() {
    long long m = 0;
    for (const auto& q : queries) m += (long long)set.count(q);
    return m;
  });
  // The queries as they arrive from input: one text buffer, each query at an offset.
  std::string text;
  std::vector<size_t> starts;
  for (const auto& q : queries) {
    starts.push_back(text.size());
    text += q;
    text += '\n';
  }
  starts.push_back(text.size());
  const char* base = text.data();
  measure("unordered-set-fresh", queries.size(), min_seconds, [&]() {
    long long m = 0;
    for (size_t i = 0; i + 1 < starts.size(); i++) {
      std::string q(base + starts[i], starts[i + 1] - 1 - starts[i]);
      m += (long long)set.count(q);
    }
    return m;
  });
  std::unordered_set<std::string, ViewHash, std::equal_to<>> views(keys.begin(), keys.end());
  measure("unordered-set-view", queries.size(), min_seconds, [&]() {
    long long m = 0;
    for (size_t i = 0; i + 1 < starts.size(); i++) {
      m += (long long)views.count(std::string_view(base + starts[i], starts[i + 1] - 1 - starts[i]));
    }
    return m;
  });
}

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: %s globs|globs-i|literals PATTERNS QUERIES [MIN_SECONDS [ENGINE]]\n",
                 argv[0]);
    return 2;
  }
  std::string mode = argv[1];
  auto patterns = read_lines(argv[2]);
  auto queries = read_lines(argv[3]);
  double min_seconds = argc > 4 ? std::atof(argv[4]) : 1.0;
  if (mode == "globs" || mode == "globs-i") {
    bool caseless = mode == "globs-i";
    std::string only = argc > 5 ? argv[5] : "";
    if (only.empty() || only == "hyperscan") {
      run_hyperscan(patterns, queries, caseless, min_seconds, argv[2]);
    }
    if (only.empty() || only == "re2-set") run_re2_set(patterns, queries, caseless, min_seconds);
  } else if (mode == "literals") {
    run_unordered_set(patterns, queries, min_seconds);
  } else {
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  }
  return 0;
}
