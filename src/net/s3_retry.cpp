#include "net/s3_retry.h"

#include <exception>

namespace trainer {

bool s3_failure_retryable(const S3RetryPolicy& policy, std::string& why) {
  try {
    throw;
  } catch (const S3Error& e) {
    why = e.what();
    return e.retryable();
  } catch (const NetError& e) {
    why = e.what();
    switch (e.kind()) {
      case NetFailure::timeout:
      case NetFailure::closed:
        return true;
      case NetFailure::connect:
      case NetFailure::dns:
        return e.retryable() || policy.connection_refused_retried;
      default:
        return e.retryable();
    }
  } catch (const std::exception& e) {
    why = e.what();
    return false;
  }
}

}  // namespace trainer
