// A fit's team of threads: the calling thread and size − 1 helpers of the fit's own, which run one job at a time
// together. Each member takes a fixed contiguous share of the job's range (split), so which thread computes which
// entries depends only on the team size: a fit with T threads gives the same bits on every run.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

namespace nmf {

// The largest team a fit may have (checkFitSizes refuses more).
constexpr std::size_t kMaxTeamThreads = 256;

// [begin, end) of member `member` of `parts` in [0, count): contiguous shares in member order, sizes differing by
// at most one, the larger first.
struct Share {
  std::size_t begin;
  std::size_t end;
};

inline Share split(std::size_t count, std::size_t parts, std::size_t member) {
  const std::size_t base = count / parts, extra = count % parts;
  const std::size_t begin = member * base + (member < extra ? member : extra);
  return Share{begin, begin + base + (member < extra ? 1 : 0)};
}

class Team {
 public:
  // Starts size − 1 helper threads (none for a team of 1). Throws std::system_error when a thread cannot start
  // (the helpers started so far are stopped first).
  explicit Team(std::size_t size);
  ~Team();
  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;

  std::size_t size() const { return size_; }

  // Runs job(member) for every member, member 0 on the calling thread, and returns when all have returned. The
  // job must not throw. Nothing is allocated: the job is handed over by address.
  template <typename Job>
  void run(const Job& job) {
    dispatch([](const void* j, std::size_t member) { (*static_cast<const Job*>(j))(member); }, &job);
  }

  // run over `count` items: job(begin, end) for each member's share. Fewer items than members run on the calling
  // thread alone (the split would leave members idle and cost a hand-over).
  template <typename Job>
  void forEach(std::size_t count, const Job& job) {
    if (size_ == 1 || count < size_) {
      if (count > 0) job(std::size_t{0}, count);
      return;
    }
    run([&](std::size_t member) {
      const Share s = split(count, size_, member);
      job(s.begin, s.end);
    });
  }

 private:
  using Call = void (*)(const void* job, std::size_t member);
  void dispatch(Call call, const void* job);
  void helper(std::size_t member);

  const std::size_t size_;
  std::vector<std::thread> helpers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  Call call_ = nullptr;
  const void* job_ = nullptr;
  std::size_t generation_ = 0;
  std::size_t pending_ = 0;
  bool stopping_ = false;
};

}  // namespace nmf
