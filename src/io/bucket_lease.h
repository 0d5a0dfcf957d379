// One trainer per model directory in a bucket (README "Object storage"): the lease object
// <prefix>/.lease, created with a conditional PUT (If-None-Match: *) and renewed every third of its
// time to live with If-Match on the ETag the last write returned, so that of two trainers only
// one can hold it, and a killed one holds it at most one TTL longer.
//
// A lease that is there already is taken over (If-Match on its ETag: of two takers one wins) when
// its expiry has passed by this machine's clock, or when it has not changed for its whole TTL as
// timed here (a holder whose clock is ahead cannot keep it forever); a lease that changes while
// watched belongs to a live trainer, and the newcomer is refused.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "net/s3_client.h"

namespace trainer {

class BucketLease {
 public:
  // Takes the lease, telling `say` when it waits for one to expire. Throws RuntimeFailure naming
  // the model directory when a live trainer holds it, or the lease object and S3's code.
  BucketLease(S3Client client, S3Location where, int ttl_seconds,
              const std::function<void(const std::string&)>& say);
  // Stops renewing and removes the lease if it is still ours (best effort: it expires anyway).
  ~BucketLease();
  BucketLease(const BucketLease&) = delete;
  BucketLease& operator=(const BucketLease&) = delete;

  // Empty while the lease is ours; else why it is not (taken over, or not renewed in time): the
  // model directory must not be written any more.
  std::string lost() const;
  const std::string& holder() const { return holder_; }

 private:
  std::string body(std::time_t now) const;
  void take(const std::function<void(const std::string&)>& say);
  void renew_until_stopped();

  S3Client client_;
  const S3Location where_;
  const int ttl_seconds_;
  const std::string holder_;
  mutable std::mutex mutex_;  // guards what follows
  std::string etag_;          // of our last write
  std::chrono::steady_clock::time_point valid_until_;
  std::string last_failure_;  // of the last renewal that failed
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string lost_;
  std::thread renewer_;
};

// The lease's key under the model directory's prefix.
inline constexpr const char* kLeaseKey = ".lease";

}  // namespace trainer
