// Files that are either absent, the old version, or the complete new version, never a mix:
// write to a temporary name in the same directory, fsync, rename over the target, fsync the
// directory.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace trainer {

// Throws RuntimeFailure naming the path and the cause; the temporary file is removed on failure.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);
// The same for a file made of `pieces` in order, written from where they lie: a model's arena
// goes to disk without first being copied into one buffer with its header.
void write_file_atomically(const std::filesystem::path& path,
                           const std::vector<std::string_view>& pieces);
// The same for a file too large to hold: `produce` writes it in pieces through the function it
// is given. An exception from `produce` leaves the old file (or none) and no temporary.
using PieceWriter = std::function<void(std::string_view piece)>;
void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(const PieceWriter& write)>& produce);

// A directory of files, put in place whole: built under a temporary name beside `dir`, then
// swapped with the old directory in one rename (renameat2 RENAME_EXCHANGE) and the old one
// removed. Readers see the old directory or the new one, never a mix (TF Serving watches for new
// version directories this way). `files` are paths relative to `dir` with their contents;
// `empty_dirs` are made too. Throws RuntimeFailure naming `dir`; the temporary is removed on
// failure.
struct DirectoryEntry {
  std::string relative_path;
  std::string_view contents;
};
void write_directory_atomically(const std::filesystem::path& dir,
                                const std::vector<DirectoryEntry>& files,
                                const std::vector<std::string>& empty_dirs);

// Throws RuntimeFailure "<path>: exists and is <a directory, a device, a FIFO, a symbolic link>"
// unless `path` is absent or a regular file: an atomic write replaces whatever is at its name,
// and a device (/dev/null), a FIFO or a symlink (/dev/stdout) must not become a regular file.
void require_replaceable(const std::filesystem::path& path);

// Temporaries of `file_name` are named "<prefix><pid>.<random>" in the target's directory; the
// prefix holds as much of the name as keeps the whole within NAME_MAX.
std::string temporary_prefix(const std::string& file_name);
// 8 lowercase hex digits from the system's random source: what tells apart the names that
// processes of one pid (every container's pid 1) make.
std::string random_tag();

// Removes the temporaries (files and directories) that the writers above left in `dir` when its
// process was killed: those whose process is gone, or that are older than an hour. Call while
// holding the lock that keeps the other writers of its kind out of `dir`.
void remove_stale_temporaries(const std::filesystem::path& dir);

// Checks, before any work is done, that `dir` (or the nearest existing directory it would be
// created in) accepts new files. Throws RuntimeFailure "<label>: cannot write in <dir>: <cause>"
// followed by hint(errno).
void require_writable_directory(const std::filesystem::path& dir, const std::string& label,
                                const std::function<std::string(int)>& hint);

// mkdir -p that reports the first component it could not create (RuntimeFailure).
void make_directories(const std::filesystem::path& dir);

}  // namespace trainer
