// The build step that lets GCC compile a .cu file for the CUDA emulator:
//   rewrite_cu INPUT.cu DISPLAY_NAME OUTPUT.cpp
// - `kernel<<<grid, block, shared, stream>>>(args)` becomes
//   `::cuda_emu::launch(kernel, site, ::cuda_emu::LaunchConfig{grid, block, shared, stream},
//   args)`, where the site names the kernel, the file and the line, and says whether the kernel's
//   body calls
//   __syncthreads() (only those kernels need a fiber per CUDA thread);
// - `__shared__ T name[N]...;` becomes a reference to the block's shared memory;
// - `#pragma unroll` becomes an empty line (GCC does not know it).
// Every replacement keeps the lines where they were and the output starts with #line naming the
// .cu file, so compiler errors and the emulator's messages point at the .cu source.
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

bool is_identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

int line_of(const std::string& text, std::size_t at) {
  int line = 1;
  for (std::size_t i = 0; i < at && i < text.size(); ++i) line += text[i] == '\n';
  return line;
}

[[noreturn]] void fail(const std::string& file, const std::string& text, std::size_t at,
                       const std::string& why) {
  throw std::runtime_error(file + ":" + std::to_string(line_of(text, at)) + ": " + why);
}

// The index just past the bracket that closes the one at `open` ('(' or '{'), skipping comments
// and string literals.
std::size_t matching(const std::string& text, std::size_t open, const std::string& file) {
  const char opening = text[open], closing = opening == '(' ? ')' : opening == '{' ? '}' : '>';
  int depth = 0;
  for (std::size_t i = open; i < text.size(); ++i) {
    if (text.compare(i, 2, "//") == 0) {
      i = text.find('\n', i);
      if (i == std::string::npos) break;
      continue;
    }
    if (text.compare(i, 2, "/*") == 0) {
      i = text.find("*/", i + 2);
      if (i == std::string::npos) break;
      ++i;
      continue;
    }
    if (text[i] == '"' || text[i] == '\'') {
      const char quote = text[i];
      for (++i; i < text.size() && text[i] != quote; ++i)
        if (text[i] == '\\') ++i;
      continue;
    }
    if (text[i] == opening) ++depth;
    if (text[i] == closing && --depth == 0) return i + 1;
  }
  fail(file, text, open, std::string("no closing '") + closing + "'");
}

std::size_t skip_space(const std::string& text, std::size_t i) {
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  return i;
}

// Each __global__ function of the file: whether its body calls __syncthreads().
std::map<std::string, bool> kernels_and_barriers(const std::string& text, const std::string& file) {
  std::map<std::string, bool> kernels;
  for (std::size_t at = text.find("__global__"); at != std::string::npos;
       at = text.find("__global__", at + 1)) {
    std::size_t i = at + 10;
    std::string name;
    while (true) {
      i = skip_space(text, i);
      if (i >= text.size()) fail(file, text, at, "a __global__ function without a body");
      if (text[i] == '(') break;
      const std::size_t word = i;
      while (i < text.size() && (is_identifier_char(text[i]) || text[i] == ':')) ++i;
      if (i == word) fail(file, text, i, "cannot read the __global__ function's name");
      name = text.substr(word, i - word);
      if (name == "__launch_bounds__") {
        i = matching(text, skip_space(text, i), file);
        name.clear();
      }
    }
    if (name.empty()) fail(file, text, at, "cannot read the __global__ function's name");
    const std::size_t params_end = matching(text, i, file);
    const std::size_t body = skip_space(text, params_end);
    if (body >= text.size() || text[body] != '{') continue;  // a declaration
    const std::size_t body_end = matching(text, body, file);
    kernels[name] = text.substr(body, body_end - body).find("__syncthreads") != std::string::npos;
  }
  return kernels;
}

// Splits "a, f(b, c), d" at the commas outside brackets.
std::vector<std::string> top_level_items(const std::string& text) {
  std::vector<std::string> items(1);
  int depth = 0;
  for (char c : text) {
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      items.emplace_back();
      continue;
    }
    items.back() += c;
  }
  return items;
}

std::string rewrite_launches(const std::string& text, const std::string& file,
                             const std::map<std::string, bool>& kernels) {
  std::string out;
  std::size_t copied = 0;
  for (std::size_t open = text.find("<<<"); open != std::string::npos;
       open = text.find("<<<", open + 3)) {
    std::size_t name_begin = open;
    while (name_begin > 0 && std::isspace(static_cast<unsigned char>(text[name_begin - 1])))
      --name_begin;
    const std::size_t name_end = name_begin;
    while (name_begin > 0 &&
           (is_identifier_char(text[name_begin - 1]) || text[name_begin - 1] == ':'))
      --name_begin;
    const std::string kernel = text.substr(name_begin, name_end - name_begin);
    if (kernel.empty()) fail(file, text, open, "a launch without a kernel name before <<<");
    const std::size_t close = text.find(">>>", open);
    if (close == std::string::npos) fail(file, text, open, "<<< without >>>");
    const std::vector<std::string> config =
        top_level_items(text.substr(open + 3, close - open - 3));
    if (config.size() < 2 || config.size() > 4)
      fail(file, text, open,
           "a launch configuration has 2 to 4 items: grid, block[, shared[, stream]]");
    const std::size_t paren = skip_space(text, close + 3);
    if (paren >= text.size() || text[paren] != '(')
      fail(file, text, close, "no argument list after >>>");
    const bool no_arguments = text[skip_space(text, paren + 1)] == ')';
    const auto found = kernels.find(kernel);
    // A kernel defined elsewhere may have barriers: give it fibers.
    const bool barriers = found == kernels.end() || found->second;
    std::string joined;
    for (std::size_t k = 0; k < config.size(); ++k) joined += (k ? "," : "") + config[k];
    out += text.substr(copied, name_begin - copied);
    out += "::cuda_emu::launch(" + kernel + ", ::cuda_emu::KernelSite{\"" + kernel +
           "\", __FILE__, __LINE__, " + (barriers ? "true" : "false") +
           "}, ::cuda_emu::LaunchConfig{" + joined + "}" + (no_arguments ? "" : ",");
    copied = paren + 1;
  }
  return out + text.substr(copied);
}

std::string rewrite_shared(const std::string& text, const std::string& file) {
  static const std::regex declaration(
      R"(__shared__\s+([A-Za-z_][A-Za-z0-9_:]*)\s+([A-Za-z_][A-Za-z0-9_]*)\s*((?:\[[^\]\n]+\])+)\s*;)");
  std::string out;
  std::size_t copied = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), declaration);
       it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    const std::string type = m[1], name = m[2], dims = m[3];
    out += text.substr(copied, std::size_t(m.position(0)) - copied);
    out += "static char cuda_emu_shared_" + name + "; " + type + " (&" + name + ")" + dims +
           " = ::cuda_emu::shared<" + type + dims + ">(&cuda_emu_shared_" + name + ");";
    copied = std::size_t(m.position(0) + m.length(0));
  }
  out += text.substr(copied);
  if (out.find("__shared__") != std::string::npos)
    fail(file, out, out.find("__shared__"),
         "a __shared__ form the emulator does not know (it takes `__shared__ T name[N]...;`)");
  return out;
}

std::string drop_unroll_pragmas(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    const std::size_t first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line.compare(first, 14, "#pragma unroll") == 0) line.clear();
    out += line + "\n";
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: rewrite_cu INPUT.cu DISPLAY_NAME OUTPUT.cpp\n";
    return 2;
  }
  try {
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) throw std::runtime_error(std::string(argv[1]) + ": cannot read");
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string file = argv[2];
    std::string text = buffer.str();
    const std::map<std::string, bool> kernels = kernels_and_barriers(text, file);
    text = drop_unroll_pragmas(text);
    text = rewrite_shared(text, file);
    text = rewrite_launches(text, file, kernels);
    std::ofstream out(argv[3], std::ios::binary);
    out << "#line 1 \"" << file << "\"\n" << text;
    if (!out.flush()) throw std::runtime_error(std::string(argv[3]) + ": cannot write");
  } catch (const std::exception& e) {
    std::cerr << "rewrite_cu: " << e.what() << "\n";
    std::remove(argv[3]);
    return 1;
  }
  return 0;
}
