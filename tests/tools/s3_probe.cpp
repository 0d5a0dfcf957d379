// The S3 client (net/s3_client.h) from the command line, for tests/e2e/test_s3_client.py against
// a real S3 API server (moto): settings from the environment as trainer reads them.
//   s3_probe put s3://bucket/prefix KEY FILE [absent|ETAG]   prints the new ETag
//   s3_probe get s3://bucket/prefix KEY                      the bytes, or exit 3 if no such key
//   s3_probe head|delete s3://bucket/prefix KEY
//   s3_probe list s3://bucket/prefix [PREFIX]                "key size etag" per line
// An S3Error prints "S3ERROR <status> <code> <message>" on stderr and exits 4; others exit 1.
#include <fstream>
#include <iostream>
#include <sstream>

#include "net/net_error.h"
#include "net/s3_client.h"
#include "net/tls_stream.h"
#include "util/errors.h"

using namespace trainer;

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const std::string command = argv[1];
  try {
    const S3Location where = parse_s3_url("URL", argv[2]);
    HttpOptions options;
    options.timeout_s = 10;
    options.trust = []() -> const TrustStore& { return TrustStore::system(); };
    S3Client client(resolve_s3_settings(process_environment()), options);
    const std::string key = argc > 3 ? argv[3] : "";
    if (command == "put" && argc >= 5) {
      std::ifstream in(argv[4], std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      PutCondition condition = PutCondition::none;
      std::string etag;
      if (argc > 5) {
        condition = std::string(argv[5]) == "absent" ? PutCondition::only_if_absent
                                                     : PutCondition::only_if_etag;
        etag = argv[5];
      }
      std::cout << client.put(where, key, bytes.str(), condition, etag) << "\n";
    } else if (command == "get") {
      const auto bytes = client.get(where, key, std::uint64_t(1) << 30);
      if (!bytes) return 3;
      std::cout << *bytes;
    } else if (command == "head") {
      const auto object = client.head(where, key);
      if (!object) return 3;
      std::cout << object->size << " " << object->etag << "\n";
    } else if (command == "delete") {
      client.remove(where, key);
    } else if (command == "list") {
      for (const S3Object& object : client.list(where, key))
        std::cout << object.key << " " << object.size << " " << object.etag << "\n";
    } else {
      return 2;
    }
    return 0;
  } catch (const S3Error& e) {
    std::cerr << "S3ERROR " << e.status() << " " << e.code() << " " << e.what() << "\n";
    return 4;
  } catch (const std::exception& e) {
    std::cerr << "ERROR " << e.what() << "\n";
    return 1;
  }
}
