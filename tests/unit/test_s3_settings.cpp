// s3:// URLs and the AWS settings every AWS tool reads: the environment over the shared files,
// profiles, nested s3 settings, and one clear error for credentials that are missing or half given.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "net/s3_settings.h"
#include "util/errors.h"

using namespace trainer;
namespace fs = std::filesystem;

namespace {

EnvironmentReader environment(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    const auto it = values.find(name);
    if (it == values.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("s3:// URLs: bucket and prefix, and the names S3 refuses", "[s3]") {
  S3Location l = parse_s3_url("--model-dir", "s3://runs/sweep/7/");
  REQUIRE((l.bucket == "runs" && l.prefix == "sweep/7" && l.text() == "s3://runs/sweep/7"));
  l = parse_s3_url("--model-dir", "s3://my.bucket-1");
  REQUIRE((l.bucket == "my.bucket-1" && l.prefix.empty()));
  for (const char* bad : {"s3://ab/x", "s3://Runs/x", "s3://-runs/x", "s3://runs_/x", "s3:///x",
                          "s3://runs//x", "gs://runs/x", "s3:/runs"})
    REQUIRE_THROWS_AS(parse_s3_url("--model-dir", bad), UsageError);
  REQUIRE_THROWS_WITH(parse_s3_url("--model-dir", "s3://A/x"), Catch::Contains("--model-dir"));
}

TEST_CASE("AWS settings: the environment, then the shared files", "[s3]") {
  const fs::path home = fs::temp_directory_path() / ("trainer-aws-" + std::to_string(::getpid()));
  fs::remove_all(home);
  fs::create_directories(home / ".aws");
  {
    std::ofstream(home / ".aws" / "credentials")
        << "# comment\n[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n"
           "\n[minio]\naws_access_key_id=MINIOKEY\naws_secret_access_key=MINIOSECRET\n"
           "aws_session_token = TOKEN\n[half]\naws_access_key_id = ONLYKEY\n";
    std::ofstream(home / ".aws" / "config")
        << "[default]\nregion = eu-west-1\n[profile minio]\nregion = us-west-2\ns3 =\n"
           "  addressing_style = virtual\n  endpoint_url = http://127.0.0.1:9000\n[profile half]\n";
  }
  // The environment wins.
  S3Settings s = resolve_s3_settings(environment({{"HOME", home.string()},
                                                  {"AWS_ACCESS_KEY_ID", "ENVKEY"},
                                                  {"AWS_SECRET_ACCESS_KEY", "ENVSECRET"},
                                                  {"AWS_SESSION_TOKEN", "ENVTOKEN"},
                                                  {"AWS_REGION", "ap-south-1"}}));
  REQUIRE((s.credentials.access_key_id == "ENVKEY" && s.credentials.session_token == "ENVTOKEN"));
  REQUIRE((s.region == "ap-south-1" && s.endpoint == "https://s3.ap-south-1.amazonaws.com"));
  REQUIRE((!s.custom_endpoint && !s.path_style && s.credentials_source == "AWS_ACCESS_KEY_ID"));
  // The default profile from the files; AWS_DEFAULT_REGION over the file's region.
  s = resolve_s3_settings(environment({{"HOME", home.string()}}));
  REQUIRE((s.credentials.access_key_id == "FILEKEY" && s.region == "eu-west-1"));
  REQUIRE(s.credentials_source.find("[default]") != std::string::npos);
  s = resolve_s3_settings(
      environment({{"HOME", home.string()}, {"AWS_DEFAULT_REGION", "ca-central-1"}}));
  REQUIRE(s.region == "ca-central-1");
  // A named profile with nested s3 settings; a custom endpoint from the environment means path
  // style unless the profile says otherwise.
  s = resolve_s3_settings(environment({{"HOME", home.string()}, {"AWS_PROFILE", "minio"}}));
  REQUIRE((s.credentials.access_key_id == "MINIOKEY" && s.credentials.session_token == "TOKEN"));
  REQUIRE((s.region == "us-west-2" && s.endpoint == "http://127.0.0.1:9000" && s.custom_endpoint));
  REQUIRE(!s.path_style);  // addressing_style = virtual
  s = resolve_s3_settings(
      environment({{"HOME", home.string()}, {"AWS_ENDPOINT_URL", "http://localhost:5000/"}}));
  REQUIRE((s.endpoint == "http://localhost:5000" && s.path_style));
  s = resolve_s3_settings(environment({{"HOME", home.string()},
                                       {"AWS_ENDPOINT_URL", "http://a:1"},
                                       {"AWS_ENDPOINT_URL_S3", "http://b:2"}}));
  REQUIRE(s.endpoint == "http://b:2");
  // Missing or half-given credentials: one message naming what to set.
  REQUIRE_THROWS_WITH(
      resolve_s3_settings(environment({{"HOME", home.string()}, {"AWS_ACCESS_KEY_ID", "ENVKEY"}})),
      Catch::Contains("AWS_SECRET_ACCESS_KEY: not set"));
  REQUIRE_THROWS_WITH(
      resolve_s3_settings(environment({{"HOME", home.string()}, {"AWS_PROFILE", "half"}})),
      Catch::Contains("[half]: has aws_access_key_id but no aws_secret_access_key"));
  REQUIRE_THROWS_WITH(
      resolve_s3_settings(environment({{"HOME", home.string()}, {"AWS_PROFILE", "nobody"}})),
      Catch::Contains("no AWS credentials"));
  REQUIRE_THROWS_WITH(resolve_s3_settings(environment({})), Catch::Contains("no AWS credentials"));
  // A shared file that is not a regular file is refused by name, not skipped.
  REQUIRE_THROWS_WITH(resolve_s3_settings(environment(
                          {{"HOME", home.string()}, {"AWS_SHARED_CREDENTIALS_FILE", "/dev/zero"}})),
                      Catch::Contains("/dev/zero"));
  fs::remove_all(home);
}
