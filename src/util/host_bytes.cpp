#include "util/host_bytes.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "util/errors.h"

namespace trainer {

namespace {

// A mapping shows the file as it is now, not as it was hashed: a file cut short under a running
// trainer turns the next read past its new end into SIGBUS, and one written in place changes the
// images under it. Both are the user's doing, and both are said: SIGBUS by a handler that names the
// file and exits 1, a write by check_mapped_files() (size, mtime and ctime of the open file, which
// a write cannot keep as they were). Slots are filled before the mapping is used and never
// reused, so the handler reads them without locks.
struct MappedFile {
  std::atomic<const std::uint8_t*> start{nullptr};  // null once unmapped
  std::size_t size = 0;
  int fd = -1;
  struct stat seen {};
  char name[512] = {};
};
constexpr int kSlots = 64;
MappedFile g_mapped[kSlots];
std::atomic<int> g_mapped_count{0};
std::mutex g_mapped_mutex;
std::atomic<bool> g_reporting{false};

void write_text(const char* text) {
  for (std::size_t left = std::strlen(text); left > 0;) {
    const ssize_t written = ::write(STDERR_FILENO, text, left);
    if (written <= 0) return;
    text += written;
    left -= std::size_t(written);
  }
}

void on_sigbus(int, siginfo_t* info, void*) {
  // Every thread reading the file faults at once: one says it, the others wait for its _exit.
  if (g_reporting.exchange(true))
    for (;;) ::pause();
  const auto* address = static_cast<const std::uint8_t*>(info->si_addr);
  const char* name = "a mapped file";
  for (int i = 0; i < g_mapped_count.load() && i < kSlots; ++i) {
    const std::uint8_t* start = g_mapped[i].start.load();
    if (start && address >= start && address < start + g_mapped[i].size) name = g_mapped[i].name;
  }
  write_text("trainer: ");
  write_text(name);
  write_text(": cut short while this run was reading it (truncated in place?); stopping\n");
  ::_exit(1);
}

bool same_time(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

// Returns the slot, or -1 when all are taken (the file is then named "a mapped file" on SIGBUS
// and not watched for writes: 64 mappings is 16 commands' worth).
int remember_mapping(const std::uint8_t* start, std::size_t size, int fd,
                     const std::filesystem::path& name) {
  std::lock_guard<std::mutex> hold(g_mapped_mutex);
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
  if (slot >= kSlots) return -1;
  MappedFile& file = g_mapped[slot];
  file.fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (file.fd >= 0 && ::fstat(file.fd, &file.seen) != 0) {
    ::close(file.fd);
    file.fd = -1;
  }
  std::strncpy(file.name, name.c_str(), sizeof file.name - 1);
  file.size = size;
  file.start.store(start);
  g_mapped_count.store(slot + 1);
  return slot;
}

void forget_mapping(int slot) {
  if (slot < 0) return;
  std::lock_guard<std::mutex> hold(g_mapped_mutex);
  g_mapped[slot].start.store(nullptr);
  if (g_mapped[slot].fd >= 0) ::close(g_mapped[slot].fd);
  g_mapped[slot].fd = -1;
}

}  // namespace

void check_mapped_files() {
  std::lock_guard<std::mutex> hold(g_mapped_mutex);
  for (int i = 0; i < g_mapped_count.load(); ++i) {
    const MappedFile& file = g_mapped[i];
    if (!file.start.load() || file.fd < 0) continue;
    struct stat now {};
    if (::fstat(file.fd, &now) != 0) continue;
    if (now.st_size != file.seen.st_size || !same_time(now.st_mtim, file.seen.st_mtim) ||
        !same_time(now.st_ctim, file.seen.st_ctim)) {
      throw RuntimeFailure(std::string(file.name) +
                           ": changed while this run was reading it (written in place?); "
                           "stopping before anything is saved from it; the next run checks the "
                           "cache again and rebuilds what does not verify");
    }
  }
}

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
  const auto* start = static_cast<const std::uint8_t*>(address);
  const int slot = remember_mapping(start, size, fd, name);
  bytes.mapping_ = std::shared_ptr<void>(address, [size, slot](void* mapped) {
    forget_mapping(slot);
    ::munmap(mapped, size);
  });
  bytes.data_ = start;
  bytes.size_ = size;
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
