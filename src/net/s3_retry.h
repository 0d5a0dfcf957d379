// Retries for the S3 calls of a model directory in a bucket (README "Object storage"): 500, 503,
// SlowDown and a connection lost mid-answer are tried again after a pause that doubles each time;
// S3's refusals (AccessDenied, NoSuchBucket, PreconditionFailed, ...) are answers, not retried.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "net/net_error.h"
#include "net/s3_client.h"

namespace trainer {

struct S3RetryPolicy {
  int retries = 10;  // 0.25 s doubling to 8 s: about 48 s of waiting before giving up
  double first_pause_s = 0.25, max_pause_s = 8;
  // In the background (uploads, the lease) a refused connection is a server restarting; at the
  // start of a command it is more likely a wrong endpoint, said at once.
  bool connection_refused_retried = false;
};

// Whether `failure` (an S3Error or NetError in flight) is worth another try under `policy`;
// `why` receives its message.
bool s3_failure_retryable(const S3RetryPolicy& policy, std::string& why);

// `call()`'s result, retrying as above; `on_retry(why, pause_s)` (if given) hears of each retry;
// `cancelled()` (if given) ends the pauses early, rethrowing. Throws the last failure.
template <class Call>
auto with_s3_retries(const S3RetryPolicy& policy, Call&& call,
                     const std::function<void(const std::string&, double)>& on_retry = {},
                     const std::function<bool()>& cancelled = {}) -> decltype(call()) {
  double pause = policy.first_pause_s;
  for (int attempt = 0;; ++attempt) {
    try {
      return call();
    } catch (...) {
      std::string why;
      if (attempt >= policy.retries || !s3_failure_retryable(policy, why)) throw;
      if (on_retry) on_retry(why, pause);
      const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(pause);
      while (std::chrono::steady_clock::now() < until) {
        if (cancelled && cancelled()) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      pause = std::min(pause * 2, policy.max_pause_s);
    }
  }
}

}  // namespace trainer
