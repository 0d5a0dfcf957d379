#include "net/s3_settings.h"

#include <cstdlib>
#include <filesystem>
#include <map>

#include "net/url.h"
#include "util/errors.h"
#include "util/file_read.h"
#include "util/system_info.h"
#include "util/text.h"

namespace trainer {
namespace {

constexpr std::uint64_t kMaxSharedFileBytes = std::uint64_t(1) << 20;

bool valid_bucket(const std::string& name) {
  if (name.size() < 3 || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  for (const char c : name)
    if (!alnum(c) && c != '.' && c != '-') return false;
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  // S3 also refuses names formatted as an IP address (192.168.1.1).
  int dots = 0;
  bool digits_and_dots = true;
  for (const char c : name) {
    dots += c == '.';
    digits_and_dots &= (c >= '0' && c <= '9') || c == '.';
  }
  return !(digits_and_dots && dots == 3);
}

// A credential goes into an HTTP header: a control byte would end the header early.
void require_header_safe(const std::string& value, const std::string& what) {
  // Beyond ASCII is not header text either, nor any store's key.
  for (const char c : value)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      throw RuntimeFailure(what +
                           ": holds a control character or a byte beyond ASCII (a newline?); "
                           "credentials are printable ASCII");
}

// One INI section's keys; nested keys ("s3 =" then indented "addressing_style = path") become
// "s3.addressing_style".
using Section = std::map<std::string, std::string>;

std::map<std::string, Section> parse_shared_file(const std::string& text) {
  std::map<std::string, Section> sections;
  std::string current, parent;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    const std::string raw = text.substr(begin, end - begin);
    begin = end + 1;
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      current = trim(line.substr(1, line.size() - 2));
      parent.clear();
      sections[current];
      continue;
    }
    const std::size_t equals = line.find('=');
    if (equals == std::string::npos || current.empty()) continue;
    const std::string key = lowercase(trim(line.substr(0, equals)));
    const std::string value = trim(line.substr(equals + 1));
    const bool indented = !raw.empty() && (raw[0] == ' ' || raw[0] == '\t');
    if (indented && !parent.empty()) {
      sections[current][parent + "." + key] = value;
    } else if (value.empty()) {
      parent = key;  // a nested block follows
    } else {
      parent.clear();
      sections[current][key] = value;
    }
  }
  return sections;
}

// The named file's sections, or nothing when it does not exist.
std::map<std::string, Section> read_shared_file(const std::string& path) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return {};
  return parse_shared_file(read_text_file(path, kMaxSharedFileBytes, ""));
}

}  // namespace

S3Location parse_s3_url(const std::string& label, const std::string& text) {
  if (text.rfind("s3://", 0) != 0)
    throw UsageError(label + ": '" + printable(text) + "' is not an s3:// URL");
  std::string rest = text.substr(5);
  const std::size_t slash = rest.find('/');
  S3Location location;
  location.bucket = rest.substr(0, slash);
  if (slash != std::string::npos) location.prefix = rest.substr(slash + 1);
  while (!location.prefix.empty() && location.prefix.back() == '/') location.prefix.pop_back();
  if (!valid_bucket(location.bucket))
    throw UsageError(label + ": '" + printable(location.bucket) +
                     "' is not a bucket name S3 accepts (3 to 63 of a-z, 0-9, '.' and '-', "
                     "beginning and ending with a letter or digit)");
  if (location.prefix.find("//") != std::string::npos || location.prefix.rfind('/', 0) == 0)
    throw UsageError(label + ": '" + printable(text) + "' has an empty path segment");
  // "." and ".." would become keys that a copy to a disk (aws s3 sync) resolves outside the
  // prefix; '?' and '#' read as a query or fragment to every tool but S3.
  const std::string segments = "/" + location.prefix + "/";
  if (segments.find("/./") != std::string::npos || segments.find("/../") != std::string::npos)
    throw UsageError(label + ": '" + printable(text) + "' has a '.' or '..' path segment");
  if (location.prefix.find_first_of("?#") != std::string::npos)
    throw UsageError(label + ": '" + printable(text) +
                     "' holds '?' or '#'; give the bucket and prefix only");
  for (const char c : location.prefix)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      throw UsageError(label + ": '" + printable(text) + "' holds a control character");
  // S3 keys are at most 1024 bytes; the model directory's own names need up to about 200.
  if (location.prefix.size() > 800)
    throw UsageError(label + ": the prefix is " + std::to_string(location.prefix.size()) +
                     " bytes; at most 800 leave room for the model directory's keys (S3 takes "
                     "1024)");
  return location;
}

S3Settings resolve_s3_settings(const EnvironmentReader& env) {
  const std::string profile = env("AWS_PROFILE").value_or("default");
  const std::optional<std::string> home = env("HOME");
  const std::string credentials_file =
      env("AWS_SHARED_CREDENTIALS_FILE").value_or(home ? *home + "/.aws/credentials" : "");
  const std::string config_file =
      env("AWS_CONFIG_FILE").value_or(home ? *home + "/.aws/config" : "");
  const auto credentials_sections = read_shared_file(credentials_file);
  const auto config_sections = read_shared_file(config_file);
  // ~/.aws/config names a profile "[profile NAME]", except "[default]".
  const std::string config_name = profile == "default" ? "default" : "profile " + profile;
  const Section empty;
  auto section = [&](const std::map<std::string, Section>& sections, const std::string& name) {
    const auto it = sections.find(name);
    return it == sections.end() ? empty : it->second;
  };
  const Section from_credentials = section(credentials_sections, profile);
  const Section from_config = section(config_sections, config_name);
  auto setting = [](const Section& s, const std::string& key) -> std::optional<std::string> {
    const auto it = s.find(key);
    if (it == s.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };

  S3Settings settings;
  const std::optional<std::string> key_id = env("AWS_ACCESS_KEY_ID");
  const std::optional<std::string> secret = env("AWS_SECRET_ACCESS_KEY");
  if (key_id || secret) {
    if (!key_id || !secret)
      throw RuntimeFailure(std::string(key_id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") +
                           ": not set, though " +
                           (key_id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") + " is");
    settings.credentials = {*key_id, *secret, env("AWS_SESSION_TOKEN").value_or("")};
    settings.credentials_source = "AWS_ACCESS_KEY_ID";
  } else {
    for (const Section* s : {&from_credentials, &from_config}) {
      const auto file_key = setting(*s, "aws_access_key_id");
      const auto file_secret = setting(*s, "aws_secret_access_key");
      if (!file_key && !file_secret) continue;
      const std::string where = (s == &from_credentials ? credentials_file : config_file) + " [" +
                                (s == &from_credentials ? profile : config_name) + "]";
      if (!file_key || !file_secret)
        throw RuntimeFailure(where + ": has " +
                             (file_key ? "aws_access_key_id but no aws_secret_access_key"
                                       : "aws_secret_access_key but no aws_access_key_id"));
      settings.credentials = {*file_key, *file_secret,
                              setting(*s, "aws_session_token").value_or("")};
      settings.credentials_source = where;
      break;
    }
  }
  if (!settings.credentials_source.empty()) {
    const std::string from = settings.credentials_source == "AWS_ACCESS_KEY_ID"
                                 ? std::string()
                                 : settings.credentials_source + ": ";
    require_header_safe(settings.credentials.access_key_id, from + "AWS_ACCESS_KEY_ID");
    require_header_safe(settings.credentials.secret_access_key, from + "AWS_SECRET_ACCESS_KEY");
    require_header_safe(settings.credentials.session_token, from + "AWS_SESSION_TOKEN");
  }
  if (settings.credentials_source.empty())
    throw RuntimeFailure(
        "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile '" +
        profile + "' in " + (credentials_file.empty() ? "~/.aws/credentials" : credentials_file) +
        " (instance and container roles are not read)");

  settings.region =
      env("AWS_REGION")
          .value_or(env("AWS_DEFAULT_REGION")
                        .value_or(setting(from_config, "region").value_or("us-east-1")));
  std::optional<std::string> endpoint = env("AWS_ENDPOINT_URL_S3");
  std::string endpoint_source = "AWS_ENDPOINT_URL_S3";
  for (const auto& [value, source] :
       {std::pair{env("AWS_ENDPOINT_URL"), std::string("AWS_ENDPOINT_URL")},
        {setting(from_config, "s3.endpoint_url"), config_file + " [" + config_name + "] s3"},
        {setting(from_config, "endpoint_url"), config_file + " [" + config_name + "]"}}) {
    if (!endpoint && value) {
      endpoint = value;
      endpoint_source = source;
    }
  }
  if (endpoint) {
    // Checked here, where the variable can be named: http(s), a host, a port, nothing after.
    std::string why;
    try {
      const Url url = parse_url(*endpoint);
      if (url.scheme != "http" && url.scheme != "https")
        why = "not http:// or https://";
      else if (url.target != "/" || endpoint->find_first_of("?#") != std::string::npos)
        why = "a path, query or fragment";
    } catch (const std::invalid_argument& e) {
      why = e.what();
    }
    if (!why.empty())
      throw RuntimeFailure(endpoint_source + ": '" + printable(*endpoint) +
                           "' is not an S3 endpoint (" + why + "; give http(s)://host[:port])");
  }
  settings.custom_endpoint = endpoint.has_value();
  settings.endpoint = endpoint.value_or("https://s3." + settings.region + ".amazonaws.com");
  while (!settings.endpoint.empty() && settings.endpoint.back() == '/')
    settings.endpoint.pop_back();
  // As botocore's "auto": path style for a store of one's own (its host names do not resolve per
  // bucket), virtual-hosted for AWS; the profile's s3.addressing_style decides when given.
  const std::string style = setting(from_config, "s3.addressing_style").value_or("auto");
  settings.path_style = style == "path" || (style == "auto" && settings.custom_endpoint);
  return settings;
}

EnvironmentReader process_environment() {
  return environment_value;
}

}  // namespace trainer
