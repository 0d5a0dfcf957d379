#include "backend/products_only_backend.h"

namespace trainer {

void ProductsOnlyBackend::gemm(const GemmArgs& args) {
  GemmArgs product = args;  // the product and its epilogue (bias, activation, ReLU mask) only
  product.row_sums = nullptr;
  product.adam = false;
  inner_.gemm(product);
}

}  // namespace trainer
