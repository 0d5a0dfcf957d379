// SIGTERM, SIGINT and SIGHUP during training: the handler only records the signal; the training
// loop notices it between steps, writes a checkpoint and throws Interrupted, which main() turns
// into exit status 128 + signal. A second signal ends the process at once, so a stuck run can still
// be stopped with a second Ctrl-C.
#pragma once

#include <stdexcept>
#include <string>

namespace trainer {

// Thrown once the run has saved its progress after a signal.
struct Interrupted : std::runtime_error {
  Interrupted(int signal_number, const std::string& message)
      : std::runtime_error(message), signal(signal_number) {}
  int signal;
};

// Installs the handlers for its lifetime and restores the previous ones afterwards.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  // The first signal received since construction, or 0.
  static int pending();
  // "SIGTERM", "SIGINT", "SIGHUP"
  static std::string name(int signal_number);
};

// As pid 1 (the entrypoint of a container) a process gets no default action for SIGTERM, SIGINT
// and SIGHUP: `docker stop` would wait its full timeout and then SIGKILL. Outside training (data
// loading, evaluation), make them end the process as they would anywhere else: exit 128 + signal.
void exit_on_signals_as_init();

}  // namespace trainer
