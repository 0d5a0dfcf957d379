// Flag parsing: defaults, accepted values, and one-line errors that name the flag.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "commands/commands.h"
#include "data/cache.h"
#include "util/errors.h"

using namespace trainer;

namespace {
TrainConfig parse(std::vector<std::string> args) {
  return std::get<TrainConfig>(parse_train_args(args));
}
std::string usage_error(std::vector<std::string> args) {
  try {
    parse_train_args(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(accepted)";
}
}  // namespace

TEST_CASE("defaults are the seed model's", "[cli]") {
  TrainConfig c = parse({});
  REQUIRE(c.epochs == 2);
  REQUIRE(c.dataset == "mnist");
  REQUIRE(c.batch_size == 256);
  REQUIRE(c.adam.learning_rate == 0.01);
  REQUIRE(c.adam.epsilon == 1e-7);
  REQUIRE(c.shape.hidden == 128);
  REQUIRE(c.shape.code == 128);
  REQUIRE(c.shape.output_activation == Activation::relu);
  REQUIRE(c.shuffle);
  REQUIRE(!c.limit);
  REQUIRE(c.backend.threads == 0);
}

TEST_CASE("flags are parsed", "[cli]") {
  TrainConfig c = parse({"--epochs",
                         "5",
                         "--model-dir",
                         "/out",
                         "--dataset=fashion-mnist",
                         "--batch-size",
                         "32",
                         "--learning-rate",
                         "1e-3",
                         "--hidden",
                         "64",
                         "--code",
                         "16",
                         "--output-activation",
                         "sigmoid",
                         "--seed",
                         "18446744073709551615",
                         "--threads",
                         "3",
                         "--no-shuffle",
                         "--limit",
                         "1000",
                         "--data-dir",
                         "d",
                         "--checkpoint-every",
                         "50"});
  REQUIRE(c.epochs == 5);
  REQUIRE(c.model_dir == "/out");
  REQUIRE(c.dataset == "fashion-mnist");
  REQUIRE(c.batch_size == 32);
  REQUIRE(c.adam.learning_rate == 1e-3);
  REQUIRE(c.shape.hidden == 64);
  REQUIRE(c.shape.code == 16);
  REQUIRE(c.shape.output_activation == Activation::sigmoid);
  REQUIRE(c.seed == 18446744073709551615ull);
  REQUIRE(c.backend.threads == 3);
  REQUIRE(!c.shuffle);
  REQUIRE(*c.limit == 1000);
  REQUIRE(*c.data.data_dir == "d");
  REQUIRE(c.checkpoint_every == 50);
  REQUIRE(parse({}).checkpoint_every == 0);
  REQUIRE(std::holds_alternative<ShowHelp>(parse_train_args({"--help"})));
  REQUIRE(std::holds_alternative<ShowVersion>(parse_train_args({"--version"})));
}

TEST_CASE("bad values name the flag and what is allowed", "[cli]") {
  REQUIRE(usage_error({"--epochs", "0"}) ==
          "--epochs: expected a whole number from 1 to 1000000, got '0'");
  REQUIRE(usage_error({"--epochs", "-3"}) ==
          "--epochs: expected a whole number from 1 to 1000000, got '-3'");
  REQUIRE(usage_error({"--epochs", "2.5"}) ==
          "--epochs: expected a whole number from 1 to 1000000, got '2.5'");
  REQUIRE(usage_error({"--epochs", "99999999999999999999"}) ==
          "--epochs: expected a whole number from 1 to 1000000, got '99999999999999999999'");
  REQUIRE(usage_error({"--batch-size", "0"}) ==
          "--batch-size: expected a whole number from 1 to 60000, got '0'");
  REQUIRE(usage_error({"--learning-rate", "nan"}) ==
          "--learning-rate: expected a number greater than 0 and at most 10, got 'nan'");
  REQUIRE(usage_error({"--learning-rate", "-1"}) ==
          "--learning-rate: expected a number greater than 0 and at most 10, got '-1'");
  REQUIRE(usage_error({"--dataset", "cifar"}) ==
          "--dataset: expected one of mnist|fashion-mnist, got 'cifar'");
  REQUIRE(usage_error({"--output-activation", "tanh"}) ==
          "--output-activation: expected one of relu|sigmoid, got 'tanh'");
  REQUIRE(usage_error({"--seed", "-1"}) ==
          "--seed: expected a whole number from 0 to 18446744073709551615, got '-1'");
  REQUIRE(usage_error({"--threads", "0"}) ==
          "--threads: expected a whole number from 1 to 1024, got '0'");
  REQUIRE(usage_error({"--limit", "60001"}) ==
          "--limit: expected a whole number from 1 to 60000, got '60001'");
  REQUIRE(usage_error({"--model-dir", ""}) == "--model-dir: expected a path, got ''");
  REQUIRE(usage_error({"--checkpoint-every", "0"}) ==
          "--checkpoint-every: expected a whole number from 1 to 1000000000, got '0'");
  REQUIRE_THAT(usage_error({"--bogus"}), Catch::Contains("bogus"));
  REQUIRE_THAT(usage_error({"--epochs"}), Catch::Contains("epochs"));
  REQUIRE(usage_error({"--epochs", "3", "stray"}) ==
          "unexpected argument 'stray' (see trainer --help)");
}

TEST_CASE("data flags: mirrors in order, one per flag, then TRAINER_MIRROR", "[cli]") {
  ::unsetenv("TRAINER_MIRROR");
  TrainConfig config = parse({});
  CHECK(config.data.fetch.mirrors.empty());
  CHECK(config.data.fetch.catalog_mirrors);
  CHECK_FALSE(config.data.fetch.offline);
  CHECK(config.data.fetch.timeout_s == 30);
  CHECK(config.data.fetch.retries == 3);

  ::setenv("TRAINER_MIRROR", "  file:///srv/data  https://env.example/a/ ", 1);
  config = parse({"--mirror", "https://m.example/x,y", "--mirror", "http://second.example",
                  "--no-catalog-mirrors", "--offline", "--timeout", "0.5", "--retries", "0"});
  ::unsetenv("TRAINER_MIRROR");
  CHECK(config.data.fetch.mirrors ==
        std::vector<std::string>{"https://m.example/x,y/", "http://second.example/",
                                 "file:///srv/data/", "https://env.example/a/"});
  CHECK_FALSE(config.data.fetch.catalog_mirrors);
  CHECK(config.data.fetch.offline);
  CHECK(config.data.fetch.timeout_s == 0.5);
  CHECK(config.data.fetch.retries == 0);
  CHECK_THAT(usage_error({"--mirror", "https://q.example/?a=1"}),
             Catch::Contains("without a query"));
}

TEST_CASE("data dir precedence: flag, TRAINER_DATA_DIR, XDG_CACHE_HOME, HOME, ./data", "[cli]") {
  const char* saved_home = std::getenv("HOME");
  const std::string home = saved_home ? saved_home : "";
  ::setenv("TRAINER_DATA_DIR", "/env/data", 1);
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  ::setenv("HOME", "/home/someone", 1);
  CHECK(resolve_data_dir(std::string("/flag")).path == "/flag");
  CHECK(resolve_data_dir(std::nullopt).path == "/env/data");
  CHECK(resolve_data_dir(std::nullopt).source == "TRAINER_DATA_DIR");
  ::setenv("TRAINER_DATA_DIR", "", 1);  // set but empty counts as unset
  CHECK(resolve_data_dir(std::nullopt).path == "/xdg/trainer");
  ::setenv("XDG_CACHE_HOME", "relative/cache", 1);  // the XDG spec: ignored
  CHECK(resolve_data_dir(std::nullopt).path == "/home/someone/.cache/trainer");
  ::unsetenv("XDG_CACHE_HOME");
  CHECK(resolve_data_dir(std::nullopt).path == "/home/someone/.cache/trainer");
  ::unsetenv("HOME");
  CHECK(resolve_data_dir(std::nullopt).path == "data");
  ::unsetenv("TRAINER_DATA_DIR");
  if (saved_home) ::setenv("HOME", home.c_str(), 1);
}

TEST_CASE("eval flags", "[cli]") {
  auto parsed = parse_eval_args({"--model-dir", "m", "--checkpoint", "ckpt-0000000016.ckpt",
                                 "--dataset", "mnist", "--device", "cpu", "--offline"});
  const EvalConfig& c = std::get<EvalConfig>(parsed);
  CHECK(c.model_dir == "m");
  CHECK(*c.checkpoint == "ckpt-0000000016.ckpt");
  CHECK(*c.dataset == "mnist");
  CHECK(c.backend.device == DeviceKind::cpu);
  CHECK(c.data.fetch.offline);
  CHECK(!std::get<EvalConfig>(parse_eval_args({})).checkpoint);
  CHECK_THROWS_WITH(parse_eval_args({"--dataset", "cifar"}),
                    "--dataset: expected one of mnist|fashion-mnist, got 'cifar'");
  CHECK_THROWS_WITH(parse_eval_args({"--checkpoint", ""}), "--checkpoint: expected a path, got ''");
}

TEST_CASE("switches read their value: --flag=false is false", "[cli]") {
  const TrainConfig off = parse({"--fresh=false", "--no-shuffle=false", "--quiet=false",
                                 "--offline=false", "--no-catalog-mirrors=false"});
  CHECK_FALSE(off.fresh);
  CHECK(off.shuffle);
  CHECK_FALSE(off.report.quiet);
  CHECK_FALSE(off.data.fetch.offline);
  CHECK(off.data.fetch.catalog_mirrors);
  const TrainConfig on = parse({"--fresh", "--no-shuffle=true", "--quiet", "--offline=1"});
  CHECK(on.fresh);
  CHECK_FALSE(on.shuffle);
  CHECK(on.report.quiet);
  CHECK(on.data.fetch.offline);
  CHECK(std::holds_alternative<TrainConfig>(parse_train_args({"--help=false", "--version=false"})));
  CHECK_FALSE(std::get<BenchConfig>(parse_bench_args({"--json=false"})).json);
  CHECK(std::get<BenchConfig>(parse_bench_args({"--json"})).json);
  CHECK_FALSE(std::get<EvalConfig>(parse_eval_args({"--offline=false"})).data.fetch.offline);
  CHECK_THAT(usage_error({"--fresh=maybe"}), Catch::Contains("maybe"));
}
