#include "team.h"

namespace nmf {

Team::Team(std::size_t size) : size_(size < 1 ? 1 : size) {
  try {
    for (std::size_t m = 1; m < size_; ++m) helpers_.emplace_back(&Team::helper, this, m);
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : helpers_) t.join();
    throw;
  }
}

Team::~Team() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : helpers_) t.join();
}

void Team::dispatch(Call call, const void* job) {
  if (helpers_.empty()) {
    call(job, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    call_ = call;
    job_ = job;
    pending_ = helpers_.size();
    ++generation_;
  }
  wake_.notify_all();
  call(job, 0);
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return pending_ == 0; });
  job_ = nullptr;
}

void Team::helper(std::size_t member) {
  std::size_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
    if (stopping_) return;
    seen = generation_;
    const Call call = call_;
    const void* job = job_;
    lock.unlock();
    call(job, member);
    lock.lock();
    if (--pending_ == 0) done_.notify_one();
  }
}

}  // namespace nmf
