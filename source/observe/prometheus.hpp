// A metrics registry for one scrape and its rendering in the Prometheus text exposition
// format (version 0.0.4, what every Prometheus server and prometheus_client's parser read).
//
// sgcache's numbers already live in the engine, the clients and the stats writer as plain
// counters; nothing here accumulates. A scrape builds a registry from those numbers
// (observe/collect.hpp) and renders it. So the registry is plain data: families in the order
// they were first added, samples in the order they were added.
//
// Pure: no I/O, no clock. Errors: adding a sample with a malformed metric or label name, or
// re-adding a family name with another type, throws std::invalid_argument (a programming
// error, caught by the unit tests).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sgcache::observe {

/// Label name and value pairs of one sample, in the order they are rendered.
using labels = std::vector<std::pair<std::string, std::string>>;

enum class metric_type { counter, gauge, histogram };

/// A histogram as Prometheus wants it: upper bounds (ascending, without +Inf) and the number
/// of observations that fell in each bucket; counts has bounds.size() + 1 entries, the last
/// one for observations above the highest bound. Counts are per bucket, not cumulative:
/// rendering makes them cumulative.
struct histogram_data {
    std::vector<double> bounds;
    std::vector<std::uint64_t> counts;
    double sum = 0;
};

class registry {
public:
    /// `name` should end in _total (Prometheus convention); the value must not go down
    /// between scrapes.
    void counter(std::string_view name, std::string_view help, labels l, double value);
    void gauge(std::string_view name, std::string_view help, labels l, double value);
    /// Throws std::invalid_argument when counts.size() != bounds.size() + 1 or the bounds
    /// are not strictly ascending.
    void histogram(std::string_view name, std::string_view help, labels l, const histogram_data& h);

    /// The text format: per family "# HELP", "# TYPE", then its samples; histograms as
    /// name_bucket{le=...} (cumulative, ending with le="+Inf"), name_sum and name_count.
    std::string render() const;

    std::size_t families() const noexcept { return families_.size(); }

private:
    struct sample {
        labels l;
        double value = 0;
        histogram_data h;
    };
    struct family {
        std::string name;
        std::string help;
        metric_type type;
        std::vector<sample> samples;
    };
    family& family_for(std::string_view name, std::string_view help, metric_type t, const labels& l);
    std::vector<family> families_;
};

/// A sample value as the text format writes it: integers without a fraction, "NaN",
/// "+Inf", "-Inf", otherwise the shortest decimal that reads back to the same double.
std::string format_value(double v);

/// A label value with \, " and newline escaped.
std::string escape_label_value(std::string_view v);

/// True for [a-zA-Z_:][a-zA-Z0-9_:]*.
bool valid_metric_name(std::string_view name) noexcept;
/// True for [a-zA-Z_][a-zA-Z0-9_]* not starting with "__" (reserved).
bool valid_label_name(std::string_view name) noexcept;

/// The content type of render()'s output.
inline constexpr const char* text_content_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace sgcache::observe
