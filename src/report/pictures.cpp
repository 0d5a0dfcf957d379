#include "report/pictures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "util/text.h"

namespace trainer {
namespace {

constexpr int kWidth = 640, kHeight = 400;
constexpr int kLeft = 80, kRight = 20, kTop = 40, kBottom = 60;

std::string number(double value, int decimals) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// Text for an attribute or element: control bytes and bytes that are not UTF-8 as \xNN
// (util/text.h printable: XML 1.0 allows neither), U+FFFE and U+FFFF likewise, then the markup.
std::string xml_escape(const std::string& raw) {
  std::string text = printable(raw);
  for (const char* nonchar : {"\xef\xbf\xbe", "\xef\xbf\xbf"}) {
    for (std::size_t at; (at = text.find(nonchar)) != std::string::npos;)
      text.replace(at, 3, nonchar[2] == '\xbe' ? "\\xef\\xbf\\xbe" : "\\xef\\xbf\\xbf");
  }
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A 1-2-5 step giving about `target` intervals over `span`.
double nice_step(double span, int target) {
  const double raw = span / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * magnitude) return m * magnitude;
  }
  return 10.0 * magnitude;
}

}  // namespace

std::string curves_svg(const std::vector<CurveSeries>& series, const std::string& title,
                       const std::string& y_label) {
  double low = 0, high = 1;
  int first = 1, epochs = 1;
  bool any = false;
  for (const CurveSeries& s : series) {
    for (const auto& [epoch, value] : s.points) {
      if (!any) {
        low = high = value;
        first = epochs = epoch;
        any = true;
      }
      low = std::min(low, value);
      high = std::max(high, value);
      first = std::min(first, epoch);
      epochs = std::max(epochs, epoch);
    }
  }
  if (!(high > low)) high = low + (low > 0 ? low * 0.1 : 1.0);
  const double y_step = nice_step(high - low, 5);
  const double y_min = std::floor(low / y_step) * y_step, y_max = std::ceil(high / y_step) * y_step;
  const double x_min = first - 0.5, x_max = epochs + 0.5;
  const int x_step = std::max(1, int(nice_step(std::max(1, epochs - first + 1), 10)));
  const int decimals = std::max(0, int(-std::floor(std::log10(y_step))));
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto px = [&](double epoch) { return kLeft + (epoch - x_min) / (x_max - x_min) * plot_w; };
  auto py = [&](double loss) { return kTop + (y_max - loss) / (y_max - y_min) * plot_h; };

  std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" +
         std::to_string(kWidth) + "\" height=\"" + std::to_string(kHeight) + "\" viewBox=\"0 0 " +
         std::to_string(kWidth) + " " + std::to_string(kHeight) +
         "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<title>" + xml_escape(title) + "</title>\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + std::to_string(kWidth / 2) + "\" y=\"24\" text-anchor=\"middle\" " +
         "font-size=\"15\">" + xml_escape(title) + "</text>\n";
  // Grid lines and tick labels.
  for (double y = y_min; y <= y_max + y_step / 2; y += y_step) {
    const std::string at = number(py(y), 1);
    svg += "<line x1=\"" + std::to_string(kLeft) + "\" y1=\"" + at + "\" x2=\"" +
           std::to_string(kWidth - kRight) + "\" y2=\"" + at + "\" stroke=\"#e0e0e0\"/>\n";
    svg += "<text x=\"" + std::to_string(kLeft - 6) + "\" y=\"" + number(py(y) + 4, 1) +
           "\" text-anchor=\"end\">" + number(y, decimals) + "</text>\n";
  }
  for (int e = first; e <= epochs; e += x_step) {
    const std::string at = number(px(e), 1);
    svg += "<line x1=\"" + at + "\" y1=\"" + std::to_string(kTop) + "\" x2=\"" + at + "\" y2=\"" +
           std::to_string(kHeight - kBottom) + "\" stroke=\"#f0f0f0\"/>\n";
    svg += "<text x=\"" + at + "\" y=\"" + std::to_string(kHeight - kBottom + 18) +
           "\" text-anchor=\"middle\">" + std::to_string(e) + "</text>\n";
  }
  // Axes and their labels.
  svg += "<rect x=\"" + std::to_string(kLeft) + "\" y=\"" + std::to_string(kTop) + "\" width=\"" +
         number(plot_w, 0) + "\" height=\"" + number(plot_h, 0) +
         "\" fill=\"none\" stroke=\"#404040\"/>\n";
  svg += "<text x=\"" + number(kLeft + plot_w / 2, 1) + "\" y=\"" + std::to_string(kHeight - 18) +
         "\" text-anchor=\"middle\">epoch</text>\n";
  svg += "<text transform=\"translate(18 " + number(kTop + plot_h / 2, 1) +
         ") rotate(-90)\" text-anchor=\"middle\">" + xml_escape(y_label) + "</text>\n";
  // One polyline with markers per series; as many legend entries as the plot's height holds, the
  // last of them saying how many more there are.
  int legend_y = kTop + 16;
  const std::size_t legend_rows = std::size_t((kHeight - kBottom - kTop - 8) / 18);
  std::size_t drawn = 0;
  for (const CurveSeries& s : series) {
    const std::string name = xml_escape(s.name), color = xml_escape(s.color);
    std::string points;
    for (const auto& [epoch, value] : s.points)
      points += number(px(epoch), 1) + "," + number(py(value), 1) + " ";
    if (!points.empty()) points.pop_back();
    svg += "<polyline class=\"" + name + "\" points=\"" + points + "\" fill=\"none\" stroke=\"" +
           color + "\" stroke-width=\"2\"/>\n";
    for (const auto& [epoch, value] : s.points) {
      svg += "<circle cx=\"" + number(px(epoch), 1) + "\" cy=\"" + number(py(value), 1) +
             "\" r=\"3\" fill=\"" + color + "\"><title>epoch " + std::to_string(epoch) + " " +
             name + " " + number(value, 6) + "</title></circle>\n";
    }
    const int lx = kWidth - kRight - 110;
    if (++drawn > legend_rows) continue;
    if (drawn == legend_rows && series.size() > legend_rows) {
      svg += "<text x=\"" + std::to_string(lx + 30) + "\" y=\"" + std::to_string(legend_y) +
             "\">and " + std::to_string(series.size() - legend_rows + 1) + " more</text>\n";
      continue;
    }
    svg += "<line x1=\"" + std::to_string(lx) + "\" y1=\"" + std::to_string(legend_y - 4) +
           "\" x2=\"" + std::to_string(lx + 24) + "\" y2=\"" + std::to_string(legend_y - 4) +
           "\" stroke=\"" + color + "\" stroke-width=\"2\"/>\n";
    svg += "<text x=\"" + std::to_string(lx + 30) + "\" y=\"" + std::to_string(legend_y) + "\">" +
           xml_escape(s.legend) + "</text>\n";
    legend_y += 18;
  }
  svg += "</svg>\n";
  return svg;
}

std::string loss_curve_svg(const std::vector<EpochMetrics>& history, const std::string& title) {
  CurveSeries train{"train", "train loss", "#1f77b4", {}}, test{"test", "test loss", "#ff7f0e", {}};
  for (const EpochMetrics& m : history) {
    train.points.emplace_back(m.epoch, m.train_loss);
    test.points.emplace_back(m.epoch, m.test_loss);
  }
  return curves_svg({train, test}, title, "loss (mean squared error)");
}

GrayImage reconstruction_grid(const std::vector<std::uint8_t>& originals,
                              const std::vector<float>& reconstructions, int count, int rows,
                              int cols, int scale, int gap) {
  const int cell_w = cols * scale, cell_h = rows * scale;
  GrayImage image;
  image.width = count * cell_w + (count + 1) * gap;
  image.height = 2 * cell_h + 3 * gap;
  image.pixels.assign(std::size_t(image.width) * image.height, 128);
  const std::size_t pixels = std::size_t(rows) * cols;
  for (int i = 0; i < count; ++i) {
    for (int row = 0; row < 2; ++row) {
      const int x0 = gap + i * (cell_w + gap), y0 = gap + row * (cell_h + gap);
      for (int y = 0; y < cell_h; ++y) {
        for (int x = 0; x < cell_w; ++x) {
          const std::size_t k = std::size_t(i) * pixels + std::size_t(y / scale) * cols + x / scale;
          std::uint8_t value;
          if (row == 0) {
            value = originals[k];
          } else {
            const float r = std::clamp(reconstructions[k], 0.0f, 1.0f);
            value = std::uint8_t(std::lround(r * 255.0f));
          }
          image.pixels[std::size_t(y0 + y) * image.width + x0 + x] = value;
        }
      }
    }
  }
  return image;
}

}  // namespace trainer
