// Every file includes cxxopts through here, so all see the same configuration: one value per
// repeated --mirror (cxxopts would otherwise split vector values at commas, and URLs may hold
// them).
#pragma once

#define CXXOPTS_VECTOR_DELIMITER '\0'
#include <cxxopts.hpp>
