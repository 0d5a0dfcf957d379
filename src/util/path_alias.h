// A model directory in a bucket is worked on in a local copy (io/model_location.h); what the user
// named is the bucket, so messages show its URL where they would show the copy's path. One alias
// per process: one model directory per command.
#pragma once

#include <string>

namespace trainer {

// From now on, `local_root` in a message reads as `shown_as`.
void set_path_alias(const std::string& local_root, const std::string& shown_as);
void clear_path_alias();
// `text` with every occurrence of the local root replaced.
std::string shown_path(const std::string& text);

}  // namespace trainer
