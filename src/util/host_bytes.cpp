#include "util/host_bytes.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "util/errors.h"

namespace trainer {

namespace {

// A mapped file cut short under a running trainer (someone truncates the cache file in place)
// turns the next read of a page past its new end into SIGBUS. Not a crash without a word: the
// handler names the file and exits 1. Slots are written before the mapping is used and never
// freed, so the handler reads them without locks.
struct MappedRange {
  std::atomic<const std::uint8_t*> start{nullptr};
  std::size_t size = 0;
  char name[512] = {};
};
MappedRange g_mapped[16];
std::atomic<int> g_mapped_count{0};

void write_text(const char* text) {
  for (std::size_t left = std::strlen(text); left > 0;) {
    const ssize_t written = ::write(STDERR_FILENO, text, left);
    if (written <= 0) return;
    text += written;
    left -= std::size_t(written);
  }
}

std::atomic<bool> g_reporting{false};

void on_sigbus(int, siginfo_t* info, void*) {
  // Every thread reading the file faults at once: one says it, the others wait for its _exit.
  if (g_reporting.exchange(true))
    for (;;) ::pause();
  const auto* address = static_cast<const std::uint8_t*>(info->si_addr);
  const char* name = "a mapped file";
  for (int i = 0; i < g_mapped_count.load() && i < 16; ++i) {
    const std::uint8_t* start = g_mapped[i].start.load();
    if (start && address >= start && address < start + g_mapped[i].size) name = g_mapped[i].name;
  }
  write_text("trainer: ");
  write_text(name);
  write_text(
      ": cut short while this run was reading it (truncated in place?); stopping, with "
      "the checkpoints written so far kept\n");
  ::_exit(1);
}

void remember_mapping(const std::uint8_t* start, std::size_t size,
                      const std::filesystem::path& name) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> hold(mutex);
  static bool installed = false;
  if (!installed) {
    struct sigaction action {};
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, nullptr);
    installed = true;
  }
  const int slot = g_mapped_count.load();
  if (slot >= 16) return;  // named "a mapped file" then
  std::strncpy(g_mapped[slot].name, name.c_str(), sizeof g_mapped[slot].name - 1);
  g_mapped[slot].size = size;
  g_mapped[slot].start.store(start);
  g_mapped_count.store(slot + 1);
}

}  // namespace

HostBytes::HostBytes(std::vector<std::uint8_t> bytes)
    : owned_(std::move(bytes)), data_(owned_.data()), size_(owned_.size()) {}

HostBytes& HostBytes::operator=(HostBytes&& other) noexcept {
  owned_ = std::move(other.owned_);  // a moved vector keeps its buffer: data_ stays valid
  mapping_ = std::move(other.mapping_);
  data_ = other.data_;
  size_ = other.size_;
  other.owned_.clear();
  other.data_ = nullptr;
  other.size_ = 0;
  return *this;
}

HostBytes HostBytes::map_file(int fd, std::size_t size, const std::filesystem::path& name) {
  HostBytes bytes;
  if (size == 0) return bytes;
  // MAP_POPULATE: the pages are in the page cache already (the file was just hashed), and
  // faulting them in one at a time costs ~10 ms per 47 MB.
  void* address = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  if (address == MAP_FAILED)
    throw RuntimeFailure(describe_errno(name.string() + ": cannot map", errno));
  bytes.mapping_ = std::shared_ptr<void>(address, [size](void* mapped) { ::munmap(mapped, size); });
  bytes.data_ = static_cast<const std::uint8_t*>(address);
  bytes.size_ = size;
  remember_mapping(bytes.data_, size, name);
  return bytes;
}

void HostBytes::drop_front(std::size_t count) {
  count = std::min(count, size_);
  data_ += count;
  size_ -= count;
}

void HostBytes::truncate(std::size_t size) {
  size_ = std::min(size, size_);
}

}  // namespace trainer
