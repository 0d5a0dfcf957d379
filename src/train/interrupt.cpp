#include "train/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace trainer {
namespace {

// Lock-free so that the handler may store into it (async-signal-safe).
std::atomic<int> received{0};
static_assert(std::atomic<int>::is_always_lock_free, "signal handler needs a lock-free flag");

struct sigaction previous_term, previous_int, previous_hup;

void record_signal(int signal_number) {
  int expected = 0;
  // The second signal does not wait for the checkpoint (and works for pid 1, which the kernel
  // spares the default action of SIGTERM and SIGINT).
  if (!received.compare_exchange_strong(expected, signal_number)) ::_exit(128 + signal_number);
}

void exit_at_once(int signal_number) {
  ::_exit(128 + signal_number);
}

void install(int signal_number, void (*handler)(int), struct sigaction* previous) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  // A blocking read or write in progress is resumed, not failed with EINTR.
  action.sa_flags = SA_RESTART;
  sigaction(signal_number, &action, previous);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  received.store(0);
  install(SIGTERM, record_signal, &previous_term);
  install(SIGINT, record_signal, &previous_int);
  // A closed terminal or a dropped SSH session: a checkpoint, as for Ctrl-C.
  install(SIGHUP, record_signal, &previous_hup);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGTERM, &previous_term, nullptr);
  sigaction(SIGINT, &previous_int, nullptr);
  sigaction(SIGHUP, &previous_hup, nullptr);
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
    case SIGHUP:
      return "SIGHUP";
    default:
      return "signal " + std::to_string(signal_number);
  }
}

void exit_on_signals_as_init() {
  if (::getpid() != 1) return;
  install(SIGTERM, exit_at_once, nullptr);
  install(SIGINT, exit_at_once, nullptr);
  install(SIGHUP, exit_at_once, nullptr);
}

}  // namespace trainer
