#include "util/piece_hash.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>

#include "util/errors.h"
#include "util/system_info.h"

namespace trainer {

PieceHasher::PieceHasher() : piece_(std::make_unique<Sha256>()) {}

void PieceHasher::update(const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const std::size_t take = std::min(size, kHashPieceBytes - piece_bytes_);
    piece_->update(data, take);
    piece_bytes_ += take;
    data += take;
    size -= take;
    if (piece_bytes_ == kHashPieceBytes) {
      top_.update(piece_->digest().data(), 32);
      piece_ = std::make_unique<Sha256>();
      piece_bytes_ = 0;
    }
  }
}

std::string PieceHasher::hex_digest() {
  if (piece_bytes_ > 0) top_.update(piece_->digest().data(), 32);
  piece_bytes_ = 0;
  return top_.hex_digest();
}

namespace {

struct Piece {
  std::size_t file;
  std::uint64_t offset;
  std::size_t size;
};

// Reads exactly `size` bytes at `offset`; a file that ends sooner has changed under us.
void read_piece(const FileToHash& file, const Piece& piece, std::uint8_t* buffer) {
  std::size_t done = 0;
  while (done < piece.size) {
    const ssize_t got =
        ::pread(file.fd, buffer + done, piece.size - done, off_t(piece.offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw RuntimeFailure(describe_errno(file.name, errno));
    if (got == 0) {
      throw RuntimeFailure(file.name + ": ended at byte " + std::to_string(piece.offset + done) +
                           " while it was read, expected " + std::to_string(file.size));
    }
    done += std::size_t(got);
  }
}

}  // namespace

std::vector<std::string> piece_hashes(const std::vector<FileToHash>& files, int threads) {
  std::vector<Piece> pieces;
  std::vector<std::size_t> first_piece;  // of each file, in `pieces`
  for (std::size_t f = 0; f < files.size(); ++f) {
    first_piece.push_back(pieces.size());
    for (std::uint64_t at = 0; at < files[f].size; at += kHashPieceBytes)
      pieces.push_back(
          {f, at, std::size_t(std::min<std::uint64_t>(kHashPieceBytes, files[f].size - at))});
  }
  first_piece.push_back(pieces.size());
  std::vector<std::string> digests(pieces.size());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    try {
      std::vector<std::uint8_t> buffer(kHashPieceBytes);
      for (std::size_t i = next++; i < pieces.size() && !failed; i = next++) {
        read_piece(files[pieces[i].file], pieces[i], buffer.data());
        Sha256 hash;
        hash.update(buffer.data(), pieces[i].size);
        digests[i] = hash.digest();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      failed = true;
    }
  };
  // Threads of its own rather than util/thread_pool: each needs its own read buffer, for this one
  // call, and a thread that cannot be had only makes the check slower. More threads than cores
  // (--threads above the machine's) would only take turns.
  const int useful = std::min(std::max(threads, 1), usable_cpu_count());
  const int helpers = int(std::min<std::size_t>(std::size_t(useful), pieces.size())) - 1;
  std::vector<std::thread> started;
  for (int i = 0; i < helpers; ++i) {
    try {
      started.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no thread to be had (a pids limit): the ones running finish the pieces
    }
  }
  work();
  for (std::thread& helper : started) helper.join();
  if (failure) std::rethrow_exception(failure);
  std::vector<std::string> hex;
  for (std::size_t f = 0; f < files.size(); ++f) {
    Sha256 top;
    for (std::size_t i = first_piece[f]; i < first_piece[f + 1]; ++i)
      top.update(digests[i].data(), 32);
    hex.push_back(top.hex_digest());
  }
  return hex;
}

}  // namespace trainer
