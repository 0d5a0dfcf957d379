#include "util/sha256_shani.h"

#include <cpuid.h>
#include <immintrin.h>

namespace trainer {
namespace {

alignas(16) const std::uint32_t kRoundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

}  // namespace

bool cpu_has_sha_ni() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_SSE4_1)) return false;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return (ebx & bit_SHA) != 0;
}

// The SHA instructions keep the eight working variables as two vectors, ABEF and CDGH (A in the
// top lane). sha256rnds2(cdgh, abef, wk) runs two rounds and returns the new ABEF; the old ABEF
// is then the new CDGH, so the two vectors swap roles every call.
__attribute__((target("sha,sse4.1"))) void sha256_blocks_shani(std::uint32_t state[8],
                                                               const std::uint8_t* data,
                                                               std::size_t blocks) {
  const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  // Lanes listed lowest first.
  const __m128i abcd = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state));
  const __m128i efgh = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state + 4));
  const __m128i badc = _mm_shuffle_epi32(abcd, 0xB1);
  const __m128i hgfe = _mm_shuffle_epi32(efgh, 0x1B);
  __m128i abef = _mm_alignr_epi8(badc, hgfe, 8);     // lanes f e b a
  __m128i cdgh = _mm_blend_epi16(hgfe, badc, 0xF0);  // lanes h g d c

  for (std::size_t block = 0; block < blocks; ++block, data += 64) {
    const __m128i abef_before = abef, cdgh_before = cdgh;
    __m128i words[4];  // the last 16 message words, four per vector, as a ring
    for (int i = 0; i < 4; ++i) {
      words[i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16 * i)),
                                  byte_swap);
    }
    for (int group = 0; group < 16; ++group) {
      __m128i w = words[group & 3];
      if (group >= 4) {
        // W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time: msg1 adds the s0
        // terms, the alignr supplies W[t-7..t-4], msg2 adds the s1 terms.
        const __m128i older = words[group & 3], old = words[(group + 1) & 3];
        const __m128i previous = words[(group + 2) & 3], last = words[(group + 3) & 3];
        w = _mm_sha256msg1_epu32(older, old);
        w = _mm_add_epi32(w, _mm_alignr_epi8(last, previous, 4));
        w = _mm_sha256msg2_epu32(w, last);
        words[group & 3] = w;
      }
      const __m128i wk = _mm_add_epi32(
          w, _mm_load_si128(reinterpret_cast<const __m128i*>(kRoundConstants + 4 * group)));
      cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
      abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));
    }
    abef = _mm_add_epi32(abef, abef_before);
    cdgh = _mm_add_epi32(cdgh, cdgh_before);
  }

  const __m128i abef_lanes = _mm_shuffle_epi32(abef, 0x1B);  // lanes a b e f
  const __m128i ghcd_lanes = _mm_shuffle_epi32(cdgh, 0xB1);  // lanes g h c d
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state),
                   _mm_blend_epi16(abef_lanes, ghcd_lanes, 0xF0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state + 4),
                   _mm_alignr_epi8(ghcd_lanes, abef_lanes, 8));
}

}  // namespace trainer
