#include "core/operations.hpp"

#include <algorithm>
#include <array>
#include <boost/date_time/gregorian/gregorian_types.hpp>
#include <cctype>
#include <set>
#include <sstream>
#include <vector>

#include "core/error.hpp"

namespace pgcrm::operations {

namespace {

struct Field {
    const char* name;
    int lo, hi;
    const char* const* names;  // names[i] stands for lo + i; nullptr: numbers only
    int name_count;
};

constexpr const char* month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* weekday_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr std::array<Field, 5> fields{{{"minute", 0, 59, nullptr, 0},
                                       {"hour", 0, 23, nullptr, 0},
                                       {"day of month", 1, 31, nullptr, 0},
                                       {"month", 1, 12, month_names, 12},
                                       {"day of week", 0, 7, weekday_names, 7}}};

bool is_number(const std::string& s) {
    return !s.empty() && s.size() <= 4 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

[[noreturn]] void bad(const std::string& message) {
    throw Error(sqlstate::invalid_parameter_value, message,
                "A schedule is five fields: minute hour day-of-month month day-of-week, as in '30 2 * * 1-5'.");
}

int parse_value(const std::string& text, const Field& f) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    for (int i = 0; i < f.name_count; ++i)
        if (lower == f.names[i]) return f.lo + i;
    if (!is_number(text))
        bad("\"" + text + "\" is not a " + f.name);
    const int v = std::stoi(text);
    if (v < f.lo || v > f.hi)
        bad("the " + std::string(f.name) + " " + text + " is outside " + std::to_string(f.lo) + "-" +
            std::to_string(f.hi));
    return v;
}

// The values one field's text stands for, as bits from 0 to f.hi.
std::vector<bool> parse_field(const std::string& text, const Field& f) {
    std::vector<bool> bits(f.hi + 1, false);
    std::stringstream items(text);
    std::string item;
    while (std::getline(items, item, ',')) {
        std::string range = item;
        int step = 1;
        if (const auto slash = item.find('/'); slash != std::string::npos) {
            range = item.substr(0, slash);
            const std::string s = item.substr(slash + 1);
            if (!is_number(s) || std::stoi(s) == 0)
                bad("\"" + item + "\" has no valid step in the " + f.name + " field");
            step = std::stoi(s);
        }
        int first, last;
        if (range == "*") {
            first = f.lo;
            last = f.hi;
        } else if (const auto dash = range.find('-'); dash != std::string::npos) {
            first = parse_value(range.substr(0, dash), f);
            last = parse_value(range.substr(dash + 1), f);
            if (last < first) bad("the " + std::string(f.name) + " range \"" + range + "\" runs backwards");
        } else {
            first = last = parse_value(range, f);
        }
        for (int v = first; v <= last; v += step) bits[v] = true;
    }
    if (std::none_of(bits.begin(), bits.end(), [](bool b) { return b; }))
        bad("the " + std::string(f.name) + " field \"" + text + "\" is empty");
    return bits;
}

template <size_t N>
std::bitset<N> to_bits(const std::vector<bool>& v, int offset = 0) {
    std::bitset<N> b;
    for (size_t i = 0; i < v.size(); ++i)
        if (v[i]) b.set(i - offset);
    return b;
}

// Ranges and lists, shortest first: '*', 'a-b', '*/n', 'a-b/n', or a list.
template <size_t N>
std::string format_field(const std::bitset<N>& bits, int lo) {
    std::vector<int> v;
    for (size_t i = lo; i < N; ++i)
        if (bits[i]) v.push_back(static_cast<int>(i));
    const int hi = static_cast<int>(N) - 1;
    if (static_cast<int>(v.size()) == hi - lo + 1) return "*";
    if (v.size() >= 3) {
        const int step = v[1] - v[0];
        bool even = true;
        for (size_t i = 2; i < v.size(); ++i) even = even && v[i] - v[i - 1] == step;
        if (even && step > 1) {
            if (v.front() == lo && v.back() + step > hi) return "*/" + std::to_string(step);
            return std::to_string(v.front()) + "-" + std::to_string(v.back()) + "/" + std::to_string(step);
        }
    }
    std::string out;
    for (size_t i = 0; i < v.size();) {
        size_t j = i;
        while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
        if (!out.empty()) out += ',';
        out += std::to_string(v[i]);
        if (j > i) out += (j == i + 1 ? "," : "-") + std::to_string(v[j]);
        i = j + 1;
    }
    return out;
}

std::string describe_shift(int minutes) {
    return std::to_string(std::abs(minutes)) + " minutes " + (minutes < 0 ? "back" : "ahead");
}

}  // namespace

CronSchedule parse_cron(const std::string& text) {
    static const std::array<std::pair<const char*, const char*>, 7> nicknames{{{"@yearly", "0 0 1 1 *"},
                                                                               {"@annually", "0 0 1 1 *"},
                                                                               {"@monthly", "0 0 1 * *"},
                                                                               {"@weekly", "0 0 * * 0"},
                                                                               {"@daily", "0 0 * * *"},
                                                                               {"@midnight", "0 0 * * *"},
                                                                               {"@hourly", "0 * * * *"}}};
    std::string expanded = text;
    for (const auto& [nick, full] : nicknames)
        if (text == nick) expanded = full;
    std::stringstream in(expanded);
    std::vector<std::string> parts;
    for (std::string part; in >> part;) parts.push_back(part);
    if (parts.size() != 5)
        bad("\"" + text + "\" has " + std::to_string(parts.size()) + " fields, not 5");
    CronSchedule s;
    s.minutes = to_bits<60>(parse_field(parts[0], fields[0]));
    s.hours = to_bits<24>(parse_field(parts[1], fields[1]));
    s.days = to_bits<32>(parse_field(parts[2], fields[2]));
    s.months = to_bits<13>(parse_field(parts[3], fields[3]));
    std::vector<bool> weekdays = parse_field(parts[4], fields[4]);
    if (weekdays[7]) weekdays[0] = true;  // 7 is Sunday too
    weekdays.resize(7);
    s.weekdays = to_bits<7>(weekdays);
    s.every_day = parts[2][0] == '*';
    s.every_weekday = parts[4][0] == '*';
    s.day_text = parts[2];
    s.month_text = parts[3];
    s.weekday_text = parts[4];
    return s;
}

std::string format_cron(const CronSchedule& s) {
    return format_field(s.minutes, 0) + " " + format_field(s.hours, 0) + " " + s.day_text + " " + s.month_text + " " +
           s.weekday_text;
}

CronSchedule shift(const CronSchedule& s, int minutes) {
    if (minutes <= -24 * 60 || minutes >= 24 * 60)
        bad("a time zone difference of " + std::to_string(minutes) + " minutes is a day or more");
    std::bitset<60> new_minutes;
    std::bitset<24> new_hours;
    std::set<std::pair<int, int>> times;
    std::set<int> carries;
    for (int h = 0; h < 24; ++h) {
        if (!s.hours[h]) continue;
        for (int m = 0; m < 60; ++m) {
            if (!s.minutes[m]) continue;
            const int t = h * 60 + m + minutes;
            const int carry = t < 0 ? -1 : t >= 24 * 60 ? 1 : 0;
            const int u = t - carry * 24 * 60;
            times.insert({u / 60, u % 60});
            new_hours.set(u / 60);
            new_minutes.set(u % 60);
            carries.insert(carry);
        }
    }
    const std::string what = "schedule \"" + format_cron(s) + "\" moved " + describe_shift(minutes);
    if (times.size() != new_hours.count() * new_minutes.count())
        bad(what + " has runs at different minutes in different hours, which one schedule cannot say");
    CronSchedule out = s;
    out.minutes = new_minutes;
    out.hours = new_hours;
    if (carries == std::set<int>{0}) return out;
    // Some runs move to the day before or after.
    const bool all_days = s.days.count() == 31, all_months = s.months.count() == 12,
               all_weekdays = s.weekdays.count() == 7;
    if (!all_days || !all_months)
        bad(what + " crosses midnight, and its days of the month or months would then differ from run to run");
    if (all_weekdays) return out;
    if (carries.size() > 1) bad(what + " would move some runs to the day before or after and others not");
    const int carry = *carries.begin();
    out.weekdays.reset();
    for (int d = 0; d < 7; ++d)
        if (s.weekdays[d]) out.weekdays.set((d + carry + 7) % 7);
    out.weekday_text = format_field(out.weekdays, 0);
    return out;
}

CivilMinute next_run(const CronSchedule& s, CivilMinute after) {
    namespace g = boost::gregorian;
    if (after.year < 1400 || after.year > 9998)
        throw Error(sqlstate::datetime_field_overflow, "no cron run is looked for after year " + std::to_string(after.year),
                    "Give a time between the years 1400 and 9998.");
    int hour = after.hour, minute = after.minute + 1;
    if (minute == 60) {
        minute = 0;
        ++hour;
    }
    g::date day(after.year, after.month, after.day);
    if (hour == 24) {
        hour = 0;
        day += g::days(1);
    }
    // Vixie cron's day rule; a schedule that can fire fires within 28 years
    // (the calendar's cycle of weekdays and leap days, give or take a century).
    const bool either = !s.every_day && !s.every_weekday;
    for (int i = 0; i < 366 * 28 && day.year() < 9999; ++i, day += g::days(1), hour = minute = 0) {
        if (!s.months[day.month()]) continue;
        const bool dom = s.days[day.day()], dow = s.weekdays[day.day_of_week().as_number()];
        if (either ? !(dom || dow) : !(dom && dow)) continue;
        for (int h = hour; h < 24; ++h) {
            if (!s.hours[h]) continue;
            for (int m = h == hour ? minute : 0; m < 60; ++m)
                if (s.minutes[m]) return {day.year(), day.month(), day.day(), h, m};
        }
    }
    bad("schedule \"" + format_cron(s) + "\" never fires");
}

}  // namespace pgcrm::operations
