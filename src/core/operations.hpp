// Cron schedules as pg_cron reads them (the five fields of Vixie cron), moved
// between time zones and stepped to their next run. pg_cron 1.4 runs every
// schedule in GMT; pgcrm takes schedules in the user's zone (docs/operations.md).
#pragma once

#include <bitset>
#include <string>

namespace pgcrm::operations {

struct CronSchedule {
    std::bitset<60> minutes;
    std::bitset<24> hours;
    std::bitset<32> days;     // 1..31
    std::bitset<13> months;   // 1..12
    std::bitset<7> weekdays;  // 0 = Sunday
    // A day field written starting with '*'. As in Vixie cron, when both day
    // fields are restricted a day matches either; otherwise it must match both.
    bool every_day = true;
    bool every_weekday = true;
    // The day fields as written: kept when only the time of day moves.
    std::string day_text, month_text, weekday_text;
};

// Minutes, hours, day of month, month, day of week: numbers, '*', ranges a-b,
// steps /n, lists, month and weekday names, 7 for Sunday. Throws pgcrm::Error
// (22023) naming the field and the bad value.
CronSchedule parse_cron(const std::string& text);

std::string format_cron(const CronSchedule& schedule);

// The schedule that fires at the same instants in a zone `minutes` ahead of
// the one it was written for (negative: behind). Throws pgcrm::Error (22023)
// when no single five-field schedule does: a run moved across midnight on a
// restricted day of the month or month, or runs that would land on different
// days.
CronSchedule shift(const CronSchedule& schedule, int minutes);

struct CivilMinute {
    int year, month, day, hour, minute;
};

// The first minute after `after` (civil time of the schedule's zone) at which
// the schedule fires. Throws pgcrm::Error (22023) for a schedule that never
// fires (such as 30 February) or only past year 9999.
CivilMinute next_run(const CronSchedule& schedule, CivilMinute after);

}  // namespace pgcrm::operations
