#include "train/interrupt.h"

#include <signal.h>

#include <atomic>

namespace trainer {
namespace {

// Lock-free so that the handler may store into it (async-signal-safe).
std::atomic<int> received{0};
static_assert(std::atomic<int>::is_always_lock_free, "signal handler needs a lock-free flag");

struct sigaction previous_term, previous_int;

void record_signal(int signal_number) {
  int expected = 0;
  received.compare_exchange_strong(expected, signal_number);
}

void install(int signal_number, struct sigaction* previous) {
  struct sigaction action {};
  action.sa_handler = record_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESETHAND: the next signal of this kind takes the default action (terminate).
  // SA_RESTART: a blocking read or write in progress is resumed, not failed with EINTR.
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  sigaction(signal_number, &action, previous);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  received.store(0);
  install(SIGTERM, &previous_term);
  install(SIGINT, &previous_int);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGTERM, &previous_term, nullptr);
  sigaction(SIGINT, &previous_int, nullptr);
}

int InterruptGuard::pending() {
  return received.load();
}

std::string InterruptGuard::name(int signal_number) {
  switch (signal_number) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    default:
      return "signal " + std::to_string(signal_number);
  }
}

}  // namespace trainer
