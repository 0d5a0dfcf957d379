#include "io/bucket_lease.h"

#include <unistd.h>

#include <ctime>

#include <nlohmann/json.hpp>

#include "net/s3_retry.h"
#include "util/atomic_file.h"
#include "util/errors.h"
#include "version.h"

namespace trainer {
namespace {

using Clock = std::chrono::steady_clock;

// Host, process and a random tag: in containers every trainer is pid 1 on a host named alike.
std::string make_holder() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || !host[0]) std::snprintf(host, sizeof host, "?");
  return std::string(host) + " pid " + std::to_string(::getpid()) + " " + random_tag();
}

bool precondition_failed(const S3Error& e) {
  // 412 PreconditionFailed; 409 ConditionalRequestConflict when two conditional writes race.
  return e.status() == 412 || e.status() == 409;
}

struct SeenLease {
  std::string etag, holder;
  std::time_t expires = 0;
  int ttl_seconds = 0;
};

// The lease as it is now, or nullopt when it is gone. Throws RuntimeFailure for an object that is
// not a lease this program writes: removing someone's object is not ours to decide.
std::optional<SeenLease> read_lease(S3Client& client, const S3Location& where) {
  const S3RetryPolicy policy;
  const std::optional<S3Object> head =
      with_s3_retries(policy, [&] { return client.head(where, kLeaseKey); });
  if (!head) return std::nullopt;
  const std::optional<std::string> text =
      with_s3_retries(policy, [&] { return client.get(where, kLeaseKey, 4096); });
  if (!text) return std::nullopt;
  SeenLease seen;
  seen.etag = head->etag;
  try {
    const nlohmann::json lease = nlohmann::json::parse(*text);
    seen.holder = lease.at("holder").get<std::string>();
    const nlohmann::json &expires = lease.at("expires_unix"), &ttl = lease.at("ttl_seconds");
    // Whole numbers in range, or not ours: a huge value must not wrap into a short wait.
    if (!expires.is_number_integer() || !ttl.is_number_integer() ||
        expires.get<std::int64_t>() < 0 || expires.get<std::int64_t>() > (std::int64_t(1) << 40) ||
        ttl.get<std::int64_t>() < 2 || ttl.get<std::int64_t>() > 3600)
      throw std::invalid_argument("out of range");
    seen.expires = std::time_t(expires.get<std::int64_t>());
    seen.ttl_seconds = int(ttl.get<std::int64_t>());
  } catch (const std::exception&) {
    throw RuntimeFailure(s3_object_text(where, kLeaseKey) +
                         ": is not a lease this program wrote (its JSON: holder, expires_unix, "
                         "ttl_seconds 2 to 3600); remove it if no trainer uses " +
                         where.text());
  }
  return seen;
}

}  // namespace

BucketLease::BucketLease(S3Client client, S3Location where, int ttl_seconds,
                         const std::function<void(const std::string&)>& say)
    : client_(std::move(client)),
      where_(std::move(where)),
      ttl_seconds_(ttl_seconds),
      holder_(make_holder()) {
  take(say);
  renewer_ = std::thread([this] { renew_until_stopped(); });
}

std::string BucketLease::body(std::time_t now) const {
  return nlohmann::json{{"holder", holder_},
                        {"expires_unix", now + ttl_seconds_},
                        {"ttl_seconds", ttl_seconds_},
                        {"trainer", TRAINER_VERSION}}
             .dump() +
         "\n";
}

void BucketLease::take(const std::function<void(const std::string&)>& say) {
  const S3RetryPolicy policy;
  const std::string url = s3_object_text(where_, kLeaseKey);
  for (int round = 0; round < 100; ++round) {
    const Clock::time_point asked = Clock::now();
    try {
      etag_ = with_s3_retries(policy, [&] {
        return client_.put(where_, kLeaseKey, body(std::time(nullptr)),
                           PutCondition::only_if_absent);
      });
      valid_until_ = asked + std::chrono::seconds(ttl_seconds_);
      return;
    } catch (const S3Error& e) {
      if (!precondition_failed(e)) throw;
    }
    std::optional<SeenLease> seen = read_lease(client_, where_);
    if (!seen) continue;  // released meanwhile: create it again
    const std::time_t now = std::time(nullptr);
    if (seen->expires > now) {
      const int wait = int(std::min<std::time_t>(seen->expires - now, seen->ttl_seconds)) + 1;
      say("waiting up to " + std::to_string(wait) + " s for the lease " + url + " (" +
          seen->holder + ") to expire or be renewed");
      const Clock::time_point until = Clock::now() + std::chrono::seconds(wait);
      while (Clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        const std::optional<SeenLease> now_seen = read_lease(client_, where_);
        if (!now_seen) break;
        if (now_seen->etag != seen->etag)
          throw RuntimeFailure(where_.text() +
                               ": another trainer is using this model directory (it renews the "
                               "lease " +
                               url + ": " + now_seen->holder +
                               "); wait for it or pass another --model-dir");
      }
    }
    // Expired, or not renewed for a whole TTL: its holder is gone. One taker wins the If-Match.
    const Clock::time_point taking = Clock::now();
    try {
      etag_ = with_s3_retries(policy, [&] {
        return client_.put(where_, kLeaseKey, body(std::time(nullptr)), PutCondition::only_if_etag,
                           seen->etag);
      });
      valid_until_ = taking + std::chrono::seconds(ttl_seconds_);
      say("took over the lease " + url + " of " + seen->holder + ", which was not renewed");
      return;
    } catch (const S3Error& e) {
      // Changed since (412), or released since (404: its holder finished): look again.
      if (!precondition_failed(e) && e.status() != 404) throw;
    }
  }
  throw RuntimeFailure(url + ": the lease keeps changing hands; is another trainer starting?");
}

void BucketLease::renew_until_stopped() {
  const auto period = std::chrono::milliseconds(ttl_seconds_ * 1000 / 3);
  std::unique_lock<std::mutex> hold(mutex_);
  Clock::time_point next = Clock::now() + period;
  while (!stopping_ && lost_.empty()) {
    if (wake_.wait_until(hold, next, [this] { return stopping_; })) break;
    hold.unlock();
    const Clock::time_point asked = Clock::now();
    std::string failure, etag;
    int status = 0;
    try {
      etag = client_.put(where_, kLeaseKey, body(std::time(nullptr)), PutCondition::only_if_etag,
                         etag_);
    } catch (const S3Error& e) {
      failure = e.what();
      status = precondition_failed(e) ? 412 : e.status();
    } catch (const std::exception& e) {
      failure = e.what();
    }
    hold.lock();
    if (failure.empty()) {
      etag_ = etag;
      valid_until_ = asked + std::chrono::seconds(ttl_seconds_);
    } else if (status == 412) {
      lost_ = s3_object_text(where_, kLeaseKey) +
              ": another trainer took over this model directory's lease; this run stops writing "
              "there";
    } else if (status == 404) {
      lost_ = s3_object_text(where_, kLeaseKey) +
              ": the lease was removed by someone else; this run stops writing there";
    }
    if (!failure.empty()) last_failure_ = failure;
    // A failed renewal is tried again soon; a good one waits a third of the TTL.
    next = Clock::now() + (failure.empty() ? period : std::chrono::milliseconds(500));
  }
}

std::string BucketLease::lost() const {
  const std::lock_guard<std::mutex> hold(mutex_);
  if (!lost_.empty()) return lost_;
  // Our own clock decides, whatever a renewal in flight will say: past the TTL another trainer may
  // take the lease, and from then on this run must not write.
  if (Clock::now() >= valid_until_)
    return s3_object_text(where_, kLeaseKey) + ": the lease could not be renewed within " +
           std::to_string(ttl_seconds_) + " s (" +
           (last_failure_.empty() ? "no answer" : last_failure_) +
           "); another trainer may take it, so this run stops writing there";
  return "";
}

BucketLease::~BucketLease() {
  {
    const std::lock_guard<std::mutex> hold(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  if (!lost().empty()) return;
  // Only ours: a lease that changed since our last write belongs to whoever changed it.
  try {
    const std::optional<S3Object> head = client_.head(where_, kLeaseKey);
    if (head && head->etag == etag_) client_.remove(where_, kLeaseKey);
  } catch (const std::exception&) {
    // It expires within one TTL.
  }
}

}  // namespace trainer
