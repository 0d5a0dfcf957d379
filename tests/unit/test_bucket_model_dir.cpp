// The pieces of a model directory in a bucket that need no server: which keys a copy takes, how
// messages name the bucket instead of the copy, which failures are retried, and how --model-dir
// spells a bucket. The server side is tests/e2e/test_s3_model_dir.py.
#include <catch2/catch.hpp>

#include "cli/flag_values.h"
#include "io/model_dir.h"
#include "net/net_error.h"
#include "net/s3_retry.h"
#include "util/errors.h"
#include "util/path_alias.h"

using namespace trainer;

TEST_CASE("a bucket's copy takes the model directory's names only") {
  for (const char* key : {"weights/model.safetensors", "weights/config.json",
                          "saved_model/3/saved_model.pb", "saved_model/3/variables/",
                          "checkpoints/ckpt-0000000469.ckpt", "logs/events.out.tfevents.1.trainer",
                          "metrics.jsonl", "loss.svg", "reconstructions.png", "model.onnx"})
    CHECK(ModelDir::is_layout_path(key));
  for (const char* key : {"run-00001/weights/config.json", "weights", "weights/", "checkpoints",
                          "sweep.svg", ".lease", "notes.txt", "logsx/a", ""})
    CHECK_FALSE(ModelDir::is_layout_path(key));
}

TEST_CASE("messages show the bucket's URL where they would show its local copy") {
  set_path_alias("/tmp/trainer/staging/12-ab", "s3://runs/a");
  CHECK(shown_path("/tmp/trainer/staging/12-ab/checkpoints/x.ckpt: damaged") ==
        "s3://runs/a/checkpoints/x.ckpt: damaged");
  CHECK(shown_path("a /tmp/trainer/staging/12-ab and /tmp/trainer/staging/12-ab/b") ==
        "a s3://runs/a and s3://runs/a/b");
  CHECK(shown_path("/tmp/other") == "/tmp/other");
  clear_path_alias();
  CHECK(shown_path("/tmp/trainer/staging/12-ab/x") == "/tmp/trainer/staging/12-ab/x");
}

TEST_CASE("S3's throttling and lost connections are retried, its refusals are not") {
  S3RetryPolicy quick;
  quick.first_pause_s = 0.001;
  quick.max_pause_s = 0.002;
  int calls = 0;
  const int value = with_s3_retries(quick, [&] {
    if (++calls < 3) throw S3Error(503, "SlowDown", "s3://b/k: PUT answered 503 SlowDown", true);
    return 7;
  });
  CHECK(value == 7);
  CHECK(calls == 3);

  calls = 0;
  CHECK_THROWS_AS(with_s3_retries(quick,
                                  [&]() -> int {
                                    ++calls;
                                    throw S3Error(403, "AccessDenied", "denied", false);
                                  }),
                  S3Error);
  CHECK(calls == 1);

  // A refused connection: said at once at the start, waited out in the background.
  calls = 0;
  auto refused = [&]() -> int {
    ++calls;
    throw NetError(NetFailure::connect, false, "connection refused");
  };
  CHECK_THROWS_AS(with_s3_retries(quick, refused), NetError);
  CHECK(calls == 1);
  S3RetryPolicy background = quick;
  background.connection_refused_retried = true;
  background.retries = 4;
  calls = 0;
  CHECK_THROWS_AS(with_s3_retries(background, refused), NetError);
  CHECK(calls == 5);

  calls = 0;
  CHECK(with_s3_retries(quick, [&] {
          if (++calls == 1) throw NetError(NetFailure::closed, false, "reset mid-answer");
          return 1;
        }) == 1);
  CHECK(calls == 2);
}

TEST_CASE("the model-dir flag spells a bucket one way and names the route for gs://") {
  CHECK(parse_model_dir_flag("s3://runs/a/b/") == "s3://runs/a/b");
  CHECK(parse_model_dir_flag("s3://runs") == "s3://runs");
  CHECK(parse_model_dir_flag("local/dir") == "local/dir");
  CHECK_THROWS_WITH(parse_model_dir_flag("gs://bucket/x"),
                    Catch::Contains("S3-compatible API: --model-dir s3://bucket/x"));
  CHECK_THROWS_WITH(parse_model_dir_flag("hdfs://nn/x"),
                    Catch::Contains("a local path or s3://bucket/prefix"));
  CHECK_THROWS_WITH(parse_model_dir_flag("s3://Bad_Bucket/x"), Catch::Contains("bucket name"));
  CHECK_THROWS_AS(parse_model_dir_flag("s3:/runs/x"), UsageError);
}
