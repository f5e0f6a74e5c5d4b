// Native peer for bench/ip_report.ts: libmaxminddb (memory-mapped) on the same database and the
// same addresses as mxy.
//
//   ip_peer DB ADDRESS_FILE [MIN_SECONDS] [PATH…]
//
// ADDRESS_FILE holds one dotted-quad IPv4 address per line. PATH is the data path read by the
// "get_value" run (e.g. `country iso_code`); without one that run is skipped. Prints one JSON
// object per run on its own line:
//   {"engine":"libmaxminddb-sockaddr","queries":N,"found":F,"qps":Q,"cpuQps":Q2,"seconds":S}
#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

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

template <typename F>
static void measure(const char* engine, size_t queries, double min_seconds, F pass) {
  long long found = pass();
  long long passes = 0;
  double start = now_seconds(), elapsed = 0, cpu0 = cpu_seconds();
  do {
    if (pass() != found) {
      std::printf("{\"engine\":\"%s\",\"error\":\"count changed between passes\"}\n", engine);
      return;
    }
    passes++;
    elapsed = now_seconds() - start;
  } while (elapsed < min_seconds);
  double cpu_qps = (double)passes * (double)queries / (cpu_seconds() - cpu0);
  std::printf("{\"engine\":\"%s\",\"queries\":%zu,\"found\":%lld,\"qps\":%.0f,"
              "\"cpuQps\":%.0f,\"seconds\":%.3f}\n",
              engine, queries, found, (double)passes * (double)queries / elapsed, cpu_qps,
              elapsed);
  std::fflush(stdout);
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DB ADDRESS_FILE [MIN_SECONDS] [PATH…]\n", argv[0]);
    return 2;
  }
  MMDB_s mmdb;
  int status = MMDB_open(argv[1], MMDB_MODE_MMAP, &mmdb);
  if (status != MMDB_SUCCESS) {
    std::fprintf(stderr, "cannot open %s: %s\n", argv[1], MMDB_strerror(status));
    return 1;
  }
  std::vector<std::string> texts;
  {
    std::ifstream in(argv[2]);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) texts.push_back(line);
    }
  }
  double min_seconds = argc > 3 ? std::atof(argv[3]) : 1.0;
  std::vector<const char*> path;
  for (int i = 4; i < argc; i++) path.push_back(argv[i]);
  path.push_back(nullptr);

  std::vector<sockaddr_in> addrs(texts.size());
  for (size_t i = 0; i < texts.size(); i++) {
    std::memset(&addrs[i], 0, sizeof(sockaddr_in));
    addrs[i].sin_family = AF_INET;
    inet_pton(AF_INET, texts[i].c_str(), &addrs[i].sin_addr);
  }

  measure("libmaxminddb-sockaddr", addrs.size(), min_seconds, [&]() {
    long long found = 0;
    int err;
    for (auto& a : addrs) {
      MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&mmdb, (const sockaddr*)&a, &err);
      if (err == MMDB_SUCCESS && r.found_entry) found++;
    }
    return found;
  });
  measure("libmaxminddb-string", texts.size(), min_seconds, [&]() {
    long long found = 0;
    int gai, err;
    for (auto& t : texts) {
      MMDB_lookup_result_s r = MMDB_lookup_string(&mmdb, t.c_str(), &gai, &err);
      if (gai == 0 && err == MMDB_SUCCESS && r.found_entry) found++;
    }
    return found;
  });
  if (path.size() > 1) {
    measure("libmaxminddb-get-value", addrs.size(), min_seconds, [&]() {
      long long found = 0;
      int err;
      for (auto& a : addrs) {
        MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&mmdb, (const sockaddr*)&a, &err);
        if (err != MMDB_SUCCESS || !r.found_entry) continue;
        MMDB_entry_data_s data;
        if (MMDB_aget_value(&r.entry, &data, path.data()) == MMDB_SUCCESS && data.has_data) found++;
      }
      return found;
    });
  }
  MMDB_close(&mmdb);
  return 0;
}
